// Package g711 holds ITU-T G.711 A-law and µ-law conversion tables, computed
// from the segment rules of the Recommendation at package initialisation,
// plus the digital-milliwatt test patterns and idle codes used to check a
// bearer path bit-exactly.
package g711

// Idle codes: the code for a zero sample as sent on an idle channel.
const (
	ALawIdle = 0xD5 // A-law positive zero (after even-bit inversion)
	ULawIdle = 0xFF // µ-law positive zero
)

// Digital milliwatt patterns (1 kHz, 0 dBm0), eight samples repeated.
var (
	ALawMilliwatt = [8]byte{0x34, 0x21, 0x21, 0x34, 0xB4, 0xA1, 0xA1, 0xB4}
	ULawMilliwatt = [8]byte{0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E}
)

var (
	alawToLinear [256]int16
	ulawToLinear [256]int16
	linearToALaw [8192]byte  // indexed by 16-bit sample >> 3 (13-bit, offset)
	linearToULaw [16384]byte // indexed by 16-bit sample >> 2 (14-bit, offset)
)

func init() {
	for i := range 256 {
		alawToLinear[i] = decodeA(byte(i))
		ulawToLinear[i] = decodeU(byte(i))
	}
	for i := range len(linearToALaw) {
		linearToALaw[i] = encodeA(int16((i - 4096) << 3))
	}
	for i := range len(linearToULaw) {
		linearToULaw[i] = encodeU(int16((i - 8192) << 2))
	}
}

// ALawToLinear decodes an A-law code to a 16-bit linear sample.
func ALawToLinear(a byte) int16 { return alawToLinear[a] }

// ULawToLinear decodes a µ-law code to a 16-bit linear sample.
func ULawToLinear(u byte) int16 { return ulawToLinear[u] }

// LinearToALaw encodes a 16-bit linear sample to A-law.
func LinearToALaw(s int16) byte { return linearToALaw[(int(s)>>3)+4096] }

// LinearToULaw encodes a 16-bit linear sample to µ-law.
func LinearToULaw(s int16) byte { return linearToULaw[(int(s)>>2)+8192] }

// decodeA implements the A-law expansion: 13-bit magnitude, segment 0 and 1
// with step 2, each further segment doubling the step; result scaled to 16 bits.
func decodeA(a byte) int16 {
	a ^= 0x55
	seg := int(a>>4) & 7
	mant := int(a & 0x0F)
	var mag int
	if seg == 0 {
		mag = mant<<1 + 1
	} else {
		mag = (mant<<1 + 33) << (seg - 1)
	}
	mag <<= 3
	if a&0x80 != 0 {
		return int16(mag)
	}
	return int16(-mag)
}

func encodeA(s int16) byte {
	sign := byte(0x80)
	x := int(s)
	if x < 0 {
		sign = 0
		x = -x - 1
	}
	x >>= 3 // 13-bit magnitude 0..4095
	if x > 4095 {
		x = 4095
	}
	var code byte
	if x < 32 {
		code = byte(x >> 1)
	} else {
		seg := 1
		for v := x >> 6; v > 0; v >>= 1 {
			seg++
		}
		code = byte(seg<<4) | byte((x>>seg)&0x0F)
	}
	return (code | sign) ^ 0x55
}

const ulawBias = 0x84

// decodeU implements the µ-law expansion (bias 132 on a 14-bit scale, scaled to 16 bits).
func decodeU(u byte) int16 {
	u = ^u
	t := (int(u&0x0F)<<3 + ulawBias) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

func encodeU(s int16) byte {
	x := int(s)
	sign := byte(0)
	if x < 0 {
		sign = 0x80
		x = -x
	}
	if x > 32635 {
		x = 32635
	}
	x += ulawBias
	seg := 0
	for v := x >> 8; v > 0 && seg < 7; v >>= 1 {
		seg++
	}
	mant := (x >> (seg + 3)) & 0x0F
	return ^(sign | byte(seg<<4) | byte(mant))
}
