package e1

import (
	"encoding/binary"
	"math/bits"
)

// CRC-4 (x⁴+x+1, G.704) and CRC-6 (x⁶+x+1, T1.403 ESF): non-reflected,
// initial value 0, no final inversion, bit 1 of each octet (MSB) first; the
// register after the last bit is the check word, its most significant bit is
// C1. The tables advance the register by one octet: for a CRC of width w < 8
// the state is placed in the top w bits of the octet and XORed with the data.

var crc4Table = makeCRCTable(4, 0x3)
var crc6Table = makeCRCTable(6, 0x3)

func makeCRCTable(width uint, poly uint8) (t [256]uint8) {
	top := uint8(1) << (width - 1)
	mask := uint8(1)<<width - 1
	for v := 0; v < 256; v++ {
		var c uint8
		for i := 7; i >= 0; i-- {
			fb := (c&top != 0) != (v>>i&1 != 0)
			c = (c << 1) & mask
			if fb {
				c ^= poly
			}
		}
		t[v] = c
	}
	return t
}

// crc4Update advances a CRC-4 register over octets.
func crc4Update(c uint8, p []byte) uint8 {
	for _, b := range p {
		c = crc4Table[c<<4^b]
	}
	return c
}

// crc6Update advances a CRC-6 register over octets.
func crc6Update(c uint8, p []byte) uint8 {
	for _, b := range p {
		c = crc6Table[c<<2^b]
	}
	return c
}

// crc6Bit advances a CRC-6 register by one bit.
func crc6Bit(c uint8, bit uint8) uint8 {
	fb := (c>>5)&1 ^ bit&1
	c = (c << 1) & 0x3f
	if fb != 0 {
		c ^= 0x3
	}
	return c
}

// Whole-frame CRC updates. CRC is linear over GF(2): the register after a
// frame is (register before) × x^framebits mod P, XOR the frame's own
// contribution, and each bit of that contribution is the parity of the
// frame's bits under a fixed mask. Masks are derived from the octet tables
// above at start-up; frames are loaded as little-endian 64-bit words.

var (
	e1CRCMask  [4][4]uint64 // [CRC bit][frame word]
	e1CRCShift [16]uint8    // register × x^256 mod P
	t1CRCMask  [6][3]uint64 // over the 24 channel octets
	t1CRCShift [64]uint8    // register advanced over one frame with F = 1 and zero octets
)

func init() {
	var frame [E1Timeslots]byte
	for t := range E1FrameBits {
		clear(frame[:])
		frame[t/8] = 0x80 >> (t % 8)
		c := crc4Update(0, frame[:])
		for j := range 4 {
			if c>>j&1 != 0 {
				e1CRCMask[j][t/64] |= 1 << ((t/8)%8*8 + 7 - t%8)
			}
		}
	}
	clear(frame[:])
	for s := range e1CRCShift {
		e1CRCShift[s] = crc4Update(uint8(s), frame[:])
	}
	var ch [T1Channels]byte
	for t := range T1Channels * 8 {
		clear(ch[:])
		ch[t/8] = 0x80 >> (t % 8)
		c := crc6Update(0, ch[:])
		for j := range 6 {
			if c>>j&1 != 0 {
				t1CRCMask[j][t/64] |= 1 << ((t/8)%8*8 + 7 - t%8)
			}
		}
	}
	clear(ch[:])
	for s := range t1CRCShift {
		t1CRCShift[s] = crc6Update(crc6Bit(uint8(s), 1), ch[:])
	}
}

// e1FrameCRC advances a CRC-4 register over a 32-octet frame whose TS0 is
// replaced by ts0.
func e1FrameCRC(c uint8, slots []byte, ts0 uint8) uint8 {
	_ = slots[31]
	w0 := binary.LittleEndian.Uint64(slots[0:])&^0xff | uint64(ts0)
	w1 := binary.LittleEndian.Uint64(slots[8:])
	w2 := binary.LittleEndian.Uint64(slots[16:])
	w3 := binary.LittleEndian.Uint64(slots[24:])
	m := &e1CRCMask
	r := e1CRCShift[c&15]
	r ^= uint8(bits.OnesCount64(w0&m[0][0]^w1&m[0][1]^w2&m[0][2]^w3&m[0][3]) & 1)
	r ^= uint8(bits.OnesCount64(w0&m[1][0]^w1&m[1][1]^w2&m[1][2]^w3&m[1][3])&1) << 1
	r ^= uint8(bits.OnesCount64(w0&m[2][0]^w1&m[2][1]^w2&m[2][2]^w3&m[2][3])&1) << 2
	r ^= uint8(bits.OnesCount64(w0&m[3][0]^w1&m[3][1]^w2&m[3][2]^w3&m[3][3])&1) << 3
	return r
}

// t1FrameCRC advances a CRC-6 register over a T1 frame: the F bit counted
// as 1, then the 24 channel octets.
func t1FrameCRC(c uint8, slots []byte) uint8 {
	_ = slots[23]
	w0 := binary.LittleEndian.Uint64(slots[0:])
	w1 := binary.LittleEndian.Uint64(slots[8:])
	w2 := binary.LittleEndian.Uint64(slots[16:])
	m := &t1CRCMask
	r := t1CRCShift[c&63]
	r ^= uint8(bits.OnesCount64(w0&m[0][0]^w1&m[0][1]^w2&m[0][2]) & 1)
	r ^= uint8(bits.OnesCount64(w0&m[1][0]^w1&m[1][1]^w2&m[1][2])&1) << 1
	r ^= uint8(bits.OnesCount64(w0&m[2][0]^w1&m[2][1]^w2&m[2][2])&1) << 2
	r ^= uint8(bits.OnesCount64(w0&m[3][0]^w1&m[3][1]^w2&m[3][2])&1) << 3
	r ^= uint8(bits.OnesCount64(w0&m[4][0]^w1&m[4][1]^w2&m[4][2])&1) << 4
	r ^= uint8(bits.OnesCount64(w0&m[5][0]^w1&m[5][1]^w2&m[5][2])&1) << 5
	return r
}
