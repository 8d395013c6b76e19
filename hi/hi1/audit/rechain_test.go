package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rechain rewrites line i of ls with fn and recomputes every later line's
// prev, as someone with write access but without the node's key would: the
// chain is consistent again, signatures are left as they were.
func rechain(ls [][]byte, i int, fn func([]byte) []byte) [][]byte {
	out := make([][]byte, len(ls))
	for j := range ls {
		out[j] = bytes.TrimSuffix(bytes.Clone(ls[j]), []byte("\n"))
	}
	out[i] = fn(out[i])
	for j := i + 1; j < len(out); j++ {
		h := sha256.Sum256(out[j-1])
		k := bytes.Index(out[j], []byte(`"prev":"`)) + len(`"prev":"`)
		copy(out[j][k:k+64], hex.EncodeToString(h[:]))
	}
	for j := range out {
		out[j] = append(out[j], '\n')
	}
	return out
}

// TestRewrittenRechainedTailDetected: a record after the last checkpoint
// of a file whose writer crashed is rewritten and the rest re-chained.
// With only checkpoints signed this verified; every record now carries its
// own signature.
func TestRewrittenRechainedTailDetected(t *testing.T) {
	pub, priv := newKey(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := Open(path, Options{Key: priv, Every: 4, NoSync: true, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 { // records 1-4, checkpoint 5, records 6-7
		a.Record("intercept.start", slog.String("liid", "LIID-1"), slog.Int("cin", i))
	}
	if err := a.Abandon(); err != nil { // crash: no shutdown checkpoint
		t.Fatal(err)
	}
	ls := lines(t, path)
	if len(ls) != 7 {
		t.Fatalf("%d lines", len(ls))
	}
	for _, tc := range []struct {
		name string
		line int
	}{{"last record", 6}, {"record after the checkpoint", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			c := rechain(ls, tc.line, func(l []byte) []byte {
				return bytes.Replace(l, []byte("LIID-1"), []byte("LIID-2"), 1)
			})
			rep := verifyBytes(t, bytes.Join(c, nil), pub)
			if rep.Bad == nil || rep.Bad.Line != tc.line+1 {
				t.Fatalf("rewritten and re-chained line %d not detected: %+v", tc.line+1, rep)
			}
		})
	}
	t.Run("signature stripped", func(t *testing.T) {
		c := rechain(ls, 6, func(l []byte) []byte {
			if i := bytes.LastIndex(l, []byte(`,"sig":"`)); i >= 0 {
				return append(l[:i:i], '}')
			}
			return l
		})
		if rep := verifyBytes(t, bytes.Join(c, nil), pub); rep.Bad == nil || rep.Bad.Line != 7 {
			t.Fatalf("unsigned last record accepted: %+v", rep)
		}
	})
	// The untouched crashed file: good records, not clean.
	b, _ := os.ReadFile(path)
	if rep := verifyBytes(t, b, pub); rep.Bad != nil || rep.Clean || rep.Records != 7 {
		t.Fatalf("crashed file: %+v", rep)
	}
}
