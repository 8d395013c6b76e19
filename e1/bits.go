package e1

import "encoding/binary"

// bitAt returns bit pos (0 = MSB of buf[0]).
func bitAt(buf []byte, pos int) uint8 {
	return buf[pos>>3] >> (7 - uint(pos&7)) & 1
}

// byteAt returns the 8 bits starting at bit pos; buf must hold the octet
// after the one containing pos.
func byteAt(buf []byte, pos int) uint8 {
	i := pos >> 3
	return uint8(binary.BigEndian.Uint16(buf[i:]) >> (8 - uint(pos&7)))
}

// shift32 copies the 32 octets starting at bit s (1..7) of src[0:33].
func shift32(dst *[32]byte, src []byte, s uint) {
	_ = src[32]
	w0 := binary.BigEndian.Uint64(src[0:])
	w1 := binary.BigEndian.Uint64(src[8:])
	w2 := binary.BigEndian.Uint64(src[16:])
	w3 := binary.BigEndian.Uint64(src[24:])
	t := uint64(src[32])
	binary.BigEndian.PutUint64(dst[0:], w0<<s|w1>>(64-s))
	binary.BigEndian.PutUint64(dst[8:], w1<<s|w2>>(64-s))
	binary.BigEndian.PutUint64(dst[16:], w2<<s|w3>>(64-s))
	binary.BigEndian.PutUint64(dst[24:], w3<<s|t>>(8-s))
}

// shift24 copies the 24 octets starting at bit s (0..7) of src (25 octets
// when s != 0).
func shift24(dst *[24]byte, src []byte, s uint) {
	if s == 0 {
		copy(dst[:], src[:24])
		return
	}
	_ = src[24]
	w0 := binary.BigEndian.Uint64(src[0:])
	w1 := binary.BigEndian.Uint64(src[8:])
	w2 := binary.BigEndian.Uint64(src[16:])
	t := uint64(src[24])
	binary.BigEndian.PutUint64(dst[0:], w0<<s|w1>>(64-s))
	binary.BigEndian.PutUint64(dst[8:], w1<<s|w2>>(64-s))
	binary.BigEndian.PutUint64(dst[16:], w2<<s|t>>(8-s))
}

// load64 returns the 64 bits starting at bit pos; buf must hold 9 octets
// from pos>>3 (the deframers' buffers are padded).
func load64(buf []byte, pos int) uint64 {
	i, s := pos>>3, uint(pos&7)
	w := binary.BigEndian.Uint64(buf[i:])
	if s != 0 {
		w = w<<s | uint64(buf[i+8])>>(8-s)
	}
	return w
}
