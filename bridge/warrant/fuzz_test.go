package warrant

import (
	"testing"
)

// FuzzCanonical checks normalisation never panics, stays within bounds,
// yields digits only, and is idempotent on its own international output.
func FuzzCanonical(f *testing.F) {
	f.Add(uint8(4), []byte("442079460000"))
	f.Add(uint8(3), []byte("02079460000"))
	f.Add(uint8(1), []byte("79460000F"))
	f.Add(uint8(2), []byte("00442079460000"))
	f.Add(uint8(2), []byte("#"))
	f.Fuzz(func(t *testing.T, nai uint8, digits []byte) {
		var buf [MaxDigits]byte
		n := ukPlan.Canonical(&buf, nai, digits)
		if n < 0 || n > MaxDigits {
			t.Fatalf("length %d", n)
		}
		var again [MaxDigits]byte
		if n > 0 {
			if m := ukPlan.Canonical(&again, NAIInternational, buf[:n]); string(again[:m]) != string(buf[:n]) &&
				buf[n-1] != 'F' && buf[n-1] != 'f' && buf[n-1] != '#' {
				t.Fatalf("not idempotent: %q -> %q", buf[:n], again[:m])
			}
		}
		_, _ = ukPlan.CanonicalTarget(string(digits))
	})
}

// FuzzParse checks the warrants file decoder never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodYAML))
	f.Add([]byte(badYAML))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, _ := Parse("fuzz.yaml", data)
		s, _ := NewSet(ukPlan, ws)
		if s.Len() != len(ws) {
			t.Fatalf("set holds %d of %d warrants", s.Len(), len(ws))
		}
	})
}
