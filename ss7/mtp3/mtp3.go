// Package mtp3 encodes and decodes the MTP3 service information octet and
// routing label (ITU-T Q.704: 14-bit point codes, 4-bit SLS; ANSI T1.111:
// 24-bit point codes, SLS octet), as found in an MSU and in the pre-RFC
// draft form of M3UA DATA.
package mtp3

import (
	"errors"
	"strconv"
)

// Standard selects the MTP3 flavour.
type Standard uint8

const (
	ITU  Standard = iota // 4-octet routing label
	ANSI                 // 7-octet routing label
)

// ErrTruncated is returned when the input is shorter than the label.
var ErrTruncated = errors.New("mtp3: truncated")

// Service indicator values.
const (
	SISNM  = 0
	SISCCP = 3
	SITUP  = 4
	SIISUP = 5
)

// SIO is the service information octet.
type SIO uint8

// MakeSIO builds an SIO from service indicator, network indicator and
// message priority (ANSI; spare in ITU).
func MakeSIO(si, ni, mp uint8) SIO { return SIO(si&15 | (mp&3)<<4 | (ni&3)<<6) }

// SI returns the service indicator (bits 4-1).
func (s SIO) SI() uint8 { return uint8(s) & 15 }

// Priority returns bits 6-5 (ANSI message priority).
func (s SIO) Priority() uint8 { return uint8(s) >> 4 & 3 }

// NI returns the network indicator (bits 8-7).
func (s SIO) NI() uint8 { return uint8(s) >> 6 }

// Label is a routing label.
type Label struct {
	DPC, OPC uint32
	SLS      uint8
}

// LabelLen is the routing label length for std.
func LabelLen(std Standard) int {
	if std == ANSI {
		return 7
	}
	return 4
}

// DecodeLabel decodes the routing label at the start of b.
func DecodeLabel(std Standard, b []byte) (Label, error) {
	if len(b) < LabelLen(std) {
		return Label{}, ErrTruncated
	}
	if std == ANSI {
		return Label{
			DPC: uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16,
			OPC: uint32(b[3]) | uint32(b[4])<<8 | uint32(b[5])<<16,
			SLS: b[6],
		}, nil
	}
	x := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	return Label{DPC: x & 0x3FFF, OPC: x >> 14 & 0x3FFF, SLS: uint8(x >> 28)}, nil
}

// Append appends the routing label to dst.
func (l Label) Append(std Standard, dst []byte) []byte {
	if std == ANSI {
		return append(dst, byte(l.DPC), byte(l.DPC>>8), byte(l.DPC>>16),
			byte(l.OPC), byte(l.OPC>>8), byte(l.OPC>>16), l.SLS)
	}
	x := l.DPC&0x3FFF | (l.OPC&0x3FFF)<<14 | uint32(l.SLS&15)<<28
	return append(dst, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
}

// DecodeMSU splits an MSU's signalling information (SIO, routing label,
// user part); payload aliases b.
func DecodeMSU(std Standard, b []byte) (sio SIO, l Label, payload []byte, err error) {
	if len(b) < 1+LabelLen(std) {
		return 0, Label{}, nil, ErrTruncated
	}
	l, _ = DecodeLabel(std, b[1:])
	return SIO(b[0]), l, b[1+LabelLen(std):], nil
}

// AppendMSU appends SIO, routing label and payload to dst.
func AppendMSU(std Standard, dst []byte, sio SIO, l Label, payload []byte) []byte {
	dst = append(dst, byte(sio))
	dst = l.Append(std, dst)
	return append(dst, payload...)
}

// FormatPC formats a point code as ITU 3-8-3 or ANSI network-cluster-member.
func FormatPC(std Standard, pc uint32) string {
	if std == ANSI {
		return strconv.Itoa(int(pc>>16&0xFF)) + "-" + strconv.Itoa(int(pc>>8&0xFF)) + "-" + strconv.Itoa(int(pc&0xFF))
	}
	return strconv.Itoa(int(pc>>11&7)) + "-" + strconv.Itoa(int(pc>>3&0xFF)) + "-" + strconv.Itoa(int(pc&7))
}
