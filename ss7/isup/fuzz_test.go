package isup

import (
	"bytes"
	"testing"
)

// FuzzDecode decodes arbitrary input in both variants; whatever decodes
// must re-encode, and the re-encoding must decode and re-encode to the same
// bytes (and the same numbers). A partially decoded message (damaged
// optional part, skipped parameters) re-encodes what it kept, which decodes
// whole.
func FuzzDecode(f *testing.F) {
	for _, v := range []Variant{ITU, ANSI} {
		for _, typ := range allTypes(v) {
			p, err := sample(f, v, typ, 9).Append(v, nil)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(p, v == ANSI)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, ansi bool) {
		v := ITU
		if ansi {
			v = ANSI
		}
		var m Message
		if err := m.Decode(v, data); err != nil {
			return
		}
		out, err := m.Append(v, nil)
		if err != nil {
			// Inputs that decode but cannot be re-encoded must be rare and
			// explainable; the only ones are pointers that overflow.
			t.Fatalf("re-encode of decoded % x: %v", data, err)
		}
		var m2 Message
		if err := m2.Decode(v, out); err != nil {
			t.Fatalf("re-decode of % x (from % x): %v", out, data, err)
		}
		if m2.Partial() {
			t.Fatalf("re-encoding % x of % x (damaged %v, skipped %d) decodes partially: %v, skipped %d",
				out, data, m.Damaged, m.SkippedParams, m2.Damaged, m2.SkippedParams)
		}
		if m.Damaged != nil && m.Damaged.Error() == "" {
			t.Fatal("empty damage reason")
		}
		out2, err := m2.Append(v, nil)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("unstable:\n% x\n% x (%v)", out, out2, err)
		}
		if m.Type != m2.Type || m.CIC != m2.CIC || m.Called.String() != m2.Called.String() ||
			m.Calling.String() != m2.Calling.String() || m.Cause.Value != m2.Cause.Value {
			t.Fatalf("fields differ after re-decode: % x", data)
		}
	})
}
