// Package rtpout turns one direction of an intercepted circuit into an RTP
// stream: 20 ms chunks of G.711 octets from the TDM demultiplexer become RTP
// packets built with github.com/pion/rtp into a caller's reused buffer.
//
// The RTP clock is the TDM frame count (8000 frames/s = the 8 kHz G.711
// clock): timestamp = initial + (frame number − first frame number), never the
// wall clock. The sequence number advances by one per packet, also across a
// gap in frame numbers (the timestamp jump shows the gap). SSRC, initial
// sequence number and initial timestamp are random (crypto/rand). The marker
// bit is set on the first packet only; pion's Packetizer would set it on every
// G.711 packet, so headers are built here.
package rtpout

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pion/rtp"
)

// RTP payload types of G.711 (RFC 3551).
const (
	PTPCMU uint8 = 0 // µ-law, T1
	PTPCMA uint8 = 8 // A-law, E1
)

// ChunkOctets is the payload of one packet: 20 ms at 8000 octets/s.
const ChunkOctets = 160

// HeaderLen is the length of the RTP header written (no CSRC, no extension).
const HeaderLen = 12

// PacketLen is the length of one packet with a ChunkOctets payload.
const PacketLen = HeaderLen + ChunkOctets

// ErrFrameOrder is returned when a chunk does not start after the previous one.
var ErrFrameOrder = errors.New("rtpout: chunk frame number does not advance")

// Packetizer builds the RTP packets of one direction of one call. It is not
// safe for concurrent use.
type Packetizer struct {
	hdr       rtp.Header
	ts0       uint32
	seq0      uint16
	first     uint64 // frame number of the first octet of the first packet
	next      uint64 // frame number expected next
	started   bool
	packets   uint64
	gaps      uint64
	gapFrames uint64
}

// New returns a packetizer for payload type pt (PTPCMA or PTPCMU) with a
// random SSRC, initial sequence number and initial timestamp.
func New(pt uint8) (*Packetizer, error) {
	var r [10]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, fmt.Errorf("rtpout: random SSRC/sequence/timestamp: %w", err)
	}
	return NewWith(pt, binary.BigEndian.Uint32(r[0:4]), binary.BigEndian.Uint16(r[4:6]), binary.BigEndian.Uint32(r[6:10])), nil
}

// NewWith returns a packetizer with the given SSRC, initial sequence number
// and initial timestamp (for tests and reproducible captures).
func NewWith(pt uint8, ssrc uint32, seq uint16, ts uint32) *Packetizer {
	return &Packetizer{
		hdr:  rtp.Header{Version: 2, PayloadType: pt & 0x7f, SSRC: ssrc, SequenceNumber: seq, Timestamp: ts},
		ts0:  ts,
		seq0: seq,
	}
}

// ForT1 returns PTPCMU for T1 spans and PTPCMA for E1 spans.
func ForT1(t1 bool) uint8 {
	if t1 {
		return PTPCMU
	}
	return PTPCMA
}

// SSRC is the stream's synchronisation source.
func (p *Packetizer) SSRC() uint32 { return p.hdr.SSRC }

// PayloadType is the RTP payload type.
func (p *Packetizer) PayloadType() uint8 { return p.hdr.PayloadType }

// InitialSequence and InitialTimestamp are the first packet's values.
func (p *Packetizer) InitialSequence() uint16  { return p.seq0 }
func (p *Packetizer) InitialTimestamp() uint32 { return p.ts0 }

// Stats returns packets written, frame-number gaps seen, and frames missing
// in those gaps.
func (p *Packetizer) Stats() (packets, gaps, gapFrames uint64) {
	return p.packets, p.gaps, p.gapFrames
}

// MarshalTo writes one RTP packet carrying chunk, whose first octet is TDM
// frame firstFrame, into buf and returns its length. buf needs
// HeaderLen+len(chunk) bytes (PacketLen for a 20 ms chunk). Chunks must come
// in frame order without overlap; a later start than expected is a gap (the
// timestamp jumps, the sequence number does not). It does not allocate.
func (p *Packetizer) MarshalTo(buf, chunk []byte, firstFrame uint64) (int, error) {
	if len(buf) < HeaderLen+len(chunk) {
		return 0, fmt.Errorf("rtpout: buffer of %d bytes, need %d", len(buf), HeaderLen+len(chunk))
	}
	if !p.started {
		p.first, p.started = firstFrame, true
		p.hdr.Marker = true
	} else {
		if firstFrame < p.next {
			return 0, ErrFrameOrder
		}
		p.hdr.Marker = false
		p.hdr.SequenceNumber++
		if firstFrame > p.next {
			p.gaps++
			p.gapFrames += firstFrame - p.next
		}
	}
	p.hdr.Timestamp = p.ts0 + uint32(firstFrame-p.first)
	n, err := p.hdr.MarshalTo(buf)
	if err != nil {
		return 0, fmt.Errorf("rtpout: header: %w", err)
	}
	n += copy(buf[n:], chunk)
	p.next = firstFrame + uint64(len(chunk))
	p.packets++
	return n, nil
}

// Append is MarshalTo appending to dst (growing it if needed).
func (p *Packetizer) Append(dst, chunk []byte, firstFrame uint64) ([]byte, error) {
	need := HeaderLen + len(chunk)
	if cap(dst)-len(dst) < need {
		grown := make([]byte, len(dst), len(dst)+need)
		copy(grown, dst)
		dst = grown
	}
	n, err := p.MarshalTo(dst[len(dst):len(dst)+need], chunk, firstFrame)
	if err != nil {
		return dst, err
	}
	return dst[:len(dst)+n], nil
}
