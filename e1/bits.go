package e1

import "encoding/binary"

// shiftCopy copies len(dst) octets starting at bit s (0..7) of src, which
// must hold len(dst)+1 octets when s != 0.
func shiftCopy(dst, src []byte, s uint) {
	if s == 0 {
		copy(dst, src)
		return
	}
	n := len(dst)
	_ = src[n]
	i := 0
	for ; i+8 <= n; i += 8 {
		w := binary.BigEndian.Uint64(src[i:])
		binary.BigEndian.PutUint64(dst[i:], w<<s|uint64(src[i+8])>>(8-s))
	}
	for ; i < n; i++ {
		dst[i] = src[i]<<s | src[i+1]>>(8-s)
	}
}

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
