// Package hextest reads the commented hex listings that the hi packages'
// golden tests are written in. It is for tests only.
package hextest

import (
	"encoding/hex"
	"strings"
	"testing"
)

// Decode turns a commented hex listing into bytes: whitespace is ignored and
// everything after "--" on a line is a comment. Bad hex fails the test.
func Decode(t testing.TB, s string) []byte {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(strings.Join(strings.Fields(line), ""))
	}
	out, err := hex.DecodeString(b.String())
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return out
}
