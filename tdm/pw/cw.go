// Package pw carries TDM over UDP pseudowires: SAToP (RFC 4553, unstructured
// bitstream) and CESoPSN (RFC 5086, N timeslots × whole frames, basic or
// with CAS). It parses and builds the control word and the optional RTP
// header, reorders packets in a jitter buffer by their 16-bit sequence
// number, fills lost or invalid (L bit) packets with all ones (AIS), counts
// everything in Stats (exported to Prometheus), and packetizes spans for the
// sending side (the switch simulator).
package pw

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// CWLen is the size of the control word; RTPLen the size of a fixed RTP header.
const (
	CWLen  = 4
	RTPLen = 12
)

// FRG values (RFC 4623 fragmentation bits, used by CESoPSN with CAS).
const (
	FragNone   = 0 // 00: whole multiframe (or no structure)
	FragFirst  = 1 // 01: first fragment
	FragLast   = 2 // 10: last fragment
	FragMiddle = 3 // 11: intermediate fragment
)

// CESoPSN M field values (with L = 0).
const (
	MNormal = 0 // 00: no local defect modification
	MRDI    = 2 // 10: RDI condition of the attachment circuit
	MSig    = 3 // 11: reserved for CE signalling packets
)

// CW is the pseudowire control word:
//
//	0000 L R RSV/M(2) FRG(2) LEN(6) SEQ(16)
type CW struct {
	L   bool   // local TDM data invalid (payload may be omitted)
	R   bool   // remote: the peer is losing packets
	M   uint8  // RSV (SAToP, must be 0) or M (CESoPSN), 2 bits
	FRG uint8  // fragmentation, 2 bits
	Len uint8  // length of the packet (RTP + CW + payload) when < 64 bytes, else 0
	Seq uint16 // sequence number
}

// Put writes the control word into b[:4].
func (c CW) Put(b []byte) {
	_ = b[3]
	var v uint32
	if c.L {
		v |= 1 << 27
	}
	if c.R {
		v |= 1 << 26
	}
	v |= uint32(c.M&3) << 24
	v |= uint32(c.FRG&3) << 22
	v |= uint32(c.Len&0x3F) << 16
	v |= uint32(c.Seq)
	binary.BigEndian.PutUint32(b, v)
}

// ParseCW decodes a control word.
func ParseCW(b []byte) (CW, error) {
	if len(b) < CWLen {
		return CW{}, ErrShort
	}
	v := binary.BigEndian.Uint32(b)
	if v>>28 != 0 {
		return CW{}, ErrNotCW
	}
	return CW{
		L:   v&(1<<27) != 0,
		R:   v&(1<<26) != 0,
		M:   uint8(v>>24) & 3,
		FRG: uint8(v>>22) & 3,
		Len: uint8(v>>16) & 0x3F,
		Seq: uint16(v),
	}, nil
}

// RTPMode says whether an RTP header precedes the control word.
type RTPMode uint8

const (
	RTPNone    RTPMode = iota // control word first
	RTPPresent                // always an RTP header (v2) first
	RTPAuto                   // detect: first two bits 10 → RTP v2, first nibble 0000 → control word
)

// ParseRTPMode parses "none", "rtp" or "auto".
func ParseRTPMode(s string) (RTPMode, error) {
	switch s {
	case "", "none", "off":
		return RTPNone, nil
	case "rtp", "on", "present":
		return RTPPresent, nil
	case "auto":
		return RTPAuto, nil
	}
	return 0, fmt.Errorf("rtp mode %q: want none, rtp or auto", s)
}

// Parse errors.
var (
	ErrShort   = errors.New("pw: packet too short")
	ErrNotCW   = errors.New("pw: control word does not start with 0000")
	ErrRTP     = errors.New("pw: bad RTP header")
	ErrLen     = errors.New("pw: LEN field larger than the packet")
	ErrPayload = errors.New("pw: payload size does not match the configuration")
)

// Packet is a parsed pseudowire packet. Payload aliases the input.
type Packet struct {
	CW           CW
	HasRTP       bool
	RTPSeq       uint16
	RTPTimestamp uint32
	SSRC         uint32
	PT           uint8
	Payload      []byte
}

// Parse decodes b into p (no allocation). When LEN is set the packet is
// trimmed to it (Ethernet padding); a LEN beyond the packet is an error.
// RTP padding (the P bit) is removed from the payload.
func Parse(b []byte, mode RTPMode, p *Packet) error {
	full := b
	p.HasRTP = false
	hdr := 0
	if mode == RTPPresent || (mode == RTPAuto && len(b) > 0 && b[0]>>6 == 2) {
		if len(b) < RTPLen {
			return ErrShort
		}
		if b[0]>>6 != 2 {
			return ErrRTP
		}
		n := RTPLen + 4*int(b[0]&0x0F)
		if len(b) < n {
			return ErrRTP
		}
		if b[0]&0x10 != 0 { // extension
			if len(b) < n+4 {
				return ErrRTP
			}
			n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
			if len(b) < n {
				return ErrRTP
			}
		}
		p.HasRTP = true
		p.PT = b[1] & 0x7F
		p.RTPSeq = binary.BigEndian.Uint16(b[2:])
		p.RTPTimestamp = binary.BigEndian.Uint32(b[4:])
		p.SSRC = binary.BigEndian.Uint32(b[8:])
		hdr = n
		b = b[n:]
	}
	cw, err := ParseCW(b)
	if err != nil {
		return err
	}
	p.CW = cw
	if cw.Len != 0 {
		if int(cw.Len) > len(full) || int(cw.Len) < hdr+CWLen {
			return ErrLen
		}
		full = full[:cw.Len]
	}
	if p.HasRTP && full[0]&0x20 != 0 {
		// RTP padding (RFC 3550 5.1): the last octet counts the padding
		// octets, itself included.
		n := len(full) - hdr - CWLen
		if n == 0 || full[len(full)-1] == 0 || int(full[len(full)-1]) > n {
			return ErrRTP
		}
		full = full[:len(full)-int(full[len(full)-1])]
	}
	p.Payload = full[hdr+CWLen:]
	return nil
}

// Header builds the RTP header and control word in front of payloads.
type Header struct {
	RTP  bool   // put an RTP header before the control word
	PT   uint8  // RTP payload type (dynamic, e.g. 96)
	SSRC uint32 // RTP SSRC
}

// appendPacket appends RTP (optional) + CW + payload to dst. ts is the RTP
// timestamp (8 kHz units).
func (h *Header) appendPacket(dst []byte, cw CW, ts uint32, payload []byte) []byte {
	hl := CWLen
	if h.RTP {
		hl += RTPLen
	}
	if total := hl + len(payload); total < 64 {
		cw.Len = uint8(total)
	} else {
		cw.Len = 0
	}
	if h.RTP {
		var r [RTPLen]byte
		r[0] = 0x80
		r[1] = h.PT & 0x7F
		binary.BigEndian.PutUint16(r[2:], cw.Seq)
		binary.BigEndian.PutUint32(r[4:], ts)
		binary.BigEndian.PutUint32(r[8:], h.SSRC)
		dst = append(dst, r[:]...)
	}
	var c [CWLen]byte
	cw.Put(c[:])
	dst = append(dst, c[:]...)
	return append(dst, payload...)
}
