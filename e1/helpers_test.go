package e1

import (
	"math/rand/v2"
	"testing"
)

// unpack returns the bits of p, MSB of each octet first.
func unpack(p []byte) []uint8 {
	out := make([]uint8, 0, len(p)*8)
	for _, b := range p {
		for i := 7; i >= 0; i-- {
			out = append(out, b>>i&1)
		}
	}
	return out
}

// pack is the inverse of unpack; a trailing partial octet is padded with ones.
func pack(bs []uint8) []byte {
	out := make([]byte, (len(bs)+7)/8)
	for i := range out {
		out[i] = 0xff
	}
	for i, b := range bs {
		if b == 0 {
			out[i/8] &^= 0x80 >> (i % 8)
		}
	}
	return out
}

// shiftBits drops the first k bits of a bitstream.
func shiftBits(p []byte, k int) []byte {
	bs := unpack(p)[k:]
	return pack(bs[:len(bs)/8*8])
}

// polyRemainder is the textbook CRC: the message bits (first bit = highest
// power) times x^w, divided modulo 2 by the generator (coefficients from
// x^w down to x^0); the w-bit remainder, first coefficient as MSB.
func polyRemainder(msg []uint8, gen []uint8) uint8 {
	w := len(gen) - 1
	a := append(append([]uint8(nil), msg...), make([]uint8, w)...)
	for i := 0; i+w < len(a); i++ {
		if a[i] == 1 {
			for j, g := range gen {
				a[i+j] ^= g
			}
		}
	}
	var r uint8
	for _, b := range a[len(a)-w:] {
		r = r<<1 | b
	}
	return r
}

var (
	genCRC4 = []uint8{1, 0, 0, 1, 1}       // x⁴ + x + 1
	genCRC6 = []uint8{1, 0, 0, 0, 0, 1, 1} // x⁶ + x + 1
)

// e1Stream generates n frames of random timeslot content (TS0 and, with
// CAS, TS16 are overwritten by the framer) and their bitstream.
func e1Stream(t testing.TB, cfg E1Config, n int, seed uint64) (payload [][]byte, stream []byte, f *E1Framer) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	f = NewE1Framer(cfg)
	for range n {
		s := make([]byte, E1Timeslots)
		for i := range s {
			s[i] = byte(r.Uint32())
		}
		stream = f.AppendFrame(stream, s)
		payload = append(payload, s)
	}
	return payload, stream, f
}

func t1Stream(t testing.TB, cfg T1Config, n int, seed uint64) (payload [][]byte, stream []byte, f *T1Framer) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	f = NewT1Framer(cfg)
	for range n {
		s := make([]byte, T1Channels)
		for i := range s {
			s[i] = byte(r.Uint32())
		}
		stream = f.AppendFrame(stream, s)
		payload = append(payload, s)
	}
	stream = f.Flush(stream)
	return payload, stream, f
}

// collector records delivered frames and checks frame numbers increase.
type collector struct {
	t      testing.TB
	frames map[uint64][]byte
	order  []uint64
	width  int
}

func newCollector(t testing.TB, width int) *collector {
	return &collector{t: t, frames: map[uint64][]byte{}, width: width}
}

func (c *collector) handle(fn uint64, slots []byte) {
	if len(slots) != c.width {
		c.t.Fatalf("frame %d: %d slots, want %d", fn, len(slots), c.width)
	}
	if n := len(c.order); n > 0 && fn <= c.order[n-1] {
		c.t.Fatalf("frame number %d after %d", fn, c.order[n-1])
	}
	c.frames[fn] = append([]byte(nil), slots...)
	c.order = append(c.order, fn)
}

// writeChunks feeds p to w in pieces of varying size.
func writeChunks(w interface{ Write([]byte) (int, error) }, p []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 3))
	for len(p) > 0 {
		n := min(1+r.IntN(700), len(p))
		w.Write(p[:n])
		p = p[n:]
	}
}

// e1Equal compares a delivered E1 frame with the payload given to the
// framer, skipping the timeslots the framer generates.
func e1Equal(cfg E1Config, got, want []byte) bool {
	for ts := 1; ts < E1Timeslots; ts++ {
		if ts == 16 && cfg.CAS {
			continue
		}
		if got[ts] != want[ts] {
			return false
		}
	}
	return true
}
