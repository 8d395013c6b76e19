package e1

import (
	"math/rand/v2"
	"testing"
)

func TestShiftCopies(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	src := make([]byte, 40)
	for range 200 {
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		bs := unpack(src)
		for s := uint(0); s < 8; s++ {
			want := pack(bs[s : s+256])
			var d32 [32]byte
			if s > 0 {
				shift32(&d32, src, s)
				if string(d32[:]) != string(want) {
					t.Fatalf("shift32 s=%d", s)
				}
			}
			var d24 [24]byte
			shift24(&d24, src, s)
			if string(d24[:]) != string(want[:24]) {
				t.Fatalf("shift24 s=%d", s)
			}
			if byteAt(src, int(s)+8) != want[1] || bitAt(src, int(s)) != bs[s] {
				t.Fatalf("byteAt/bitAt s=%d", s)
			}
		}
	}
}
