package config

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse checks that no input makes the config decoder panic, and that
// every problem it reports carries a line within the file (or 0 for whole-
// file problems).
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/example.yaml", "testdata/bad.yaml", "testdata/bad-circuits.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ps := Parse("fuzz.yaml", data)
		if c == nil {
			t.Fatal("nil config")
		}
		// Line breaks as YAML counts them: LF, CR, CR LF, NEL, LS, PS
		// (counted generously: CR LF as two).
		lines := 1 + bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) +
			bytes.Count(data, []byte("\u0085")) + bytes.Count(data, []byte("\u2028")) + bytes.Count(data, []byte("\u2029"))
		for _, p := range ps {
			if p.File == "fuzz.yaml" && (p.Line < 0 || p.Line > lines+1) {
				t.Fatalf("problem line %d beyond %d lines: %s", p.Line, lines, p)
			}
		}
		if len(ps) == 0 {
			_ = c.CircuitMap()
			if _, err := c.WarrantSet(); err != nil {
				t.Fatalf("valid config, but warrant set fails: %v", err)
			}
		}
	})
}
