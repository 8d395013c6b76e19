package ber

import "testing"

// walk visits every element recursively, decoding values as the PS-PDU
// parser would.
func walk(b []byte, depth int) {
	r := NewReader(b)
	var t TLV
	for r.Next(&t) {
		_ = t.String()
		if t.Constructed && depth < MaxDepth {
			walk(t.Value, depth+1)
			_, _ = AppendOctets(nil, &t)
		} else {
			_, _ = Uint(t.Value)
			_, _ = Int(t.Value)
			_, _ = AppendOID(nil, t.Value)
			_, _ = AppendRelativeOID(nil, t.Value)
			_, _ = GeneralizedTime(t.Value)
		}
		if len(t.Raw) < len(t.Value) {
			panic("raw shorter than value")
		}
	}
}

func FuzzBER(f *testing.F) {
	for _, s := range []string{"3080040161 0000", "9f817f0100", "3003020100", "a0808001000000"} {
		f.Add(h(stripSpaces(s)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		walk(b, 0)
		n, err := ElementLen(b)
		if err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("ElementLen %d of %d", n, len(b))
		}
	})
}

func stripSpaces(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
