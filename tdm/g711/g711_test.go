package g711

import (
	"math"
	"testing"
)

func TestKnownPoints(t *testing.T) {
	cases := []struct {
		code byte
		a, u int16
	}{
		{0xD5, 8, -8},    // A-law idle: smallest positive step
		{0x55, -8, 8},    // A-law smallest negative
		{0xAA, 32256, 0}, // A-law largest positive
		{0x2A, -32256, 0},
	}
	for _, c := range cases {
		if got := ALawToLinear(c.code); got != c.a {
			t.Errorf("A-law %#02x = %d, want %d", c.code, got, c.a)
		}
	}
	upts := map[byte]int16{0xFF: 0, 0x7F: 0, 0x80: 32124, 0x00: -32124, 0xFE: 8, 0x7E: -8, 0xEF: 132, 0xF0: 120}
	for code, want := range upts {
		if got := ULawToLinear(code); got != want {
			t.Errorf("µ-law %#02x = %d, want %d", code, got, want)
		}
	}
	if LinearToALaw(0) != ALawIdle || LinearToULaw(0) != ULawIdle {
		t.Fatalf("zero encodes to %#x / %#x", LinearToALaw(0), LinearToULaw(0))
	}
	if LinearToALaw(32767) != 0xAA || LinearToALaw(-32768) != 0x2A {
		t.Fatalf("A-law clipping: %#x %#x", LinearToALaw(32767), LinearToALaw(-32768))
	}
	if LinearToULaw(32767) != 0x80 || LinearToULaw(-32768) != 0x00 {
		t.Fatalf("µ-law clipping: %#x %#x", LinearToULaw(32767), LinearToULaw(-32768))
	}
}

func TestRoundTripAllCodes(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		if got := LinearToALaw(ALawToLinear(c)); got != c {
			t.Errorf("A-law %#02x -> %d -> %#02x", c, ALawToLinear(c), got)
		}
		want := c
		if c == 0x7F { // µ-law negative zero decodes to 0 and re-encodes as positive zero
			want = 0xFF
		}
		if got := LinearToULaw(ULawToLinear(c)); got != want {
			t.Errorf("µ-law %#02x -> %d -> %#02x", c, ULawToLinear(c), got)
		}
	}
}

func TestMonotonic(t *testing.T) {
	prevA, prevU := int16(math.MinInt16), int16(math.MinInt16)
	for s := -32768; s <= 32767; s += 7 {
		a := ALawToLinear(LinearToALaw(int16(s)))
		u := ULawToLinear(LinearToULaw(int16(s)))
		if a < prevA || u < prevU {
			t.Fatalf("quantiser not monotonic at %d", s)
		}
		prevA, prevU = a, u
	}
}

// The milliwatt patterns are a 1 kHz sine sampled at phases 9π/8 + kπ/4 at
// (the published sequences start in the negative half-cycle),
// at 0 dBm0; re-encoding such a sine must give exactly the published codes.
func TestMilliwatt(t *testing.T) {
	// 0 dBm0 peak: A-law 3.14 dBm0 overload → peak = 4096*8/10^(3.14/20) ; µ-law 3.17 dBm0 at 8159*4.
	peakA := 32768.0 / math.Pow(10, 3.14/20)
	peakU := 32636.0 / math.Pow(10, 3.17/20)
	for k := range 8 {
		ph := math.Pi + math.Pi/8 + float64(k)*math.Pi/4
		a := LinearToALaw(int16(math.Round(peakA * math.Sin(ph))))
		u := LinearToULaw(int16(math.Round(peakU * math.Sin(ph))))
		if a != ALawMilliwatt[k] {
			t.Errorf("A-law milliwatt[%d] = %#02x, want %#02x", k, a, ALawMilliwatt[k])
		}
		if u != ULawMilliwatt[k] {
			t.Errorf("µ-law milliwatt[%d] = %#02x, want %#02x", k, u, ULawMilliwatt[k])
		}
	}
	// Decoded, the pattern is symmetric: s0=s3, s1=s2, second half negated.
	for _, tab := range []struct {
		p   [8]byte
		dec func(byte) int16
	}{{ALawMilliwatt, ALawToLinear}, {ULawMilliwatt, ULawToLinear}} {
		s := make([]int16, 8)
		for i, c := range tab.p {
			s[i] = tab.dec(c)
		}
		if s[0] != s[3] || s[1] != s[2] || s[4] != -s[0] || s[5] != -s[1] || s[1] >= s[0] || s[0] >= 0 {
			t.Errorf("milliwatt not a symmetric sine: %v", s)
		}
	}
}

func BenchmarkALawDecode(b *testing.B) {
	b.ReportAllocs()
	var sum int
	for i := 0; b.Loop(); i++ {
		sum += int(ALawToLinear(byte(i)))
	}
	_ = sum
}
