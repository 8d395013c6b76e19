package e1

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
