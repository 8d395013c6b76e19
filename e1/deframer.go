package e1

import (
	"fmt"
	"strings"
)

// Deframer is the face both deframers show, for code that picks the framing
// at run time (the span tool, the SAToP source).
type Deframer interface {
	// Write consumes raw span bits, MSB first; it never fails.
	Write(p []byte) (int, error)
	// Stats returns a snapshot of the counters and state.
	Stats() Stats
	// FrameBits is the frame length in bits (256 or 193).
	FrameBits() int
	// Timeslots is the number of octets handed to the FrameHandler per
	// frame (32 or 24).
	Timeslots() int
}

// Framings lists the names NewDeframer accepts.
var Framings = []string{"e1", "e1-crc4", "e1-cas", "e1-crc4-cas", "t1-sf", "t1-esf"}

// NewDeframer returns a deframer for a framing named as in Framings.
func NewDeframer(framing string, h FrameHandler) (Deframer, error) {
	switch strings.ToLower(framing) {
	case "e1":
		return NewE1Deframer(E1Config{}, h), nil
	case "e1-crc4":
		return NewE1Deframer(E1Config{CRC4: true}, h), nil
	case "e1-cas":
		return NewE1Deframer(E1Config{CAS: true}, h), nil
	case "e1-crc4-cas", "e1-cas-crc4":
		return NewE1Deframer(E1Config{CRC4: true, CAS: true}, h), nil
	case "t1-sf", "t1-d4", "t1":
		return NewT1Deframer(T1Config{}, h), nil
	case "t1-esf":
		return NewT1Deframer(T1Config{ESF: true}, h), nil
	}
	return nil, fmt.Errorf("e1: unknown framing %q (want one of %s)", framing, strings.Join(Framings, ", "))
}

// FrameBits returns 256.
func (d *E1Deframer) FrameBits() int { return E1FrameBits }

// Timeslots returns 32.
func (d *E1Deframer) Timeslots() int { return E1Timeslots }

// FrameBits returns 193.
func (d *T1Deframer) FrameBits() int { return T1FrameBits }

// Timeslots returns 24.
func (d *T1Deframer) Timeslots() int { return T1Channels }
