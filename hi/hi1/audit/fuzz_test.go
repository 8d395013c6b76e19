package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzAuditVerify: Verify never panics on arbitrary files, and a file it
// calls clean and good is never one that the writer did not produce
// (here: any change to a known-good file is either still good only if it is
// byte-identical, or reported).
func FuzzAuditVerify(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := seed.Public().(ed25519.PublicKey)
	dir := f.TempDir()
	path := filepath.Join(dir, "a.jsonl")
	a, err := Open(path, Options{Key: seed, Every: 2, NoSync: true, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	if err != nil {
		f.Fatal(err)
	}
	a.Record("x1.request", slog.String("liid", "L"), slog.Int("code", 0))
	a.Record("intercept.start", slog.Uint64("cin", 1))
	a.Record("intercept.end", slog.Uint64("cin", 1))
	a.Close()
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"seq":1,"time":"2026-01-01T00:00:00Z","kind":"checkpoint","attrs":{},"prev":"00","sig":"AA=="}` + "\n"))
	// The anchor of the good file: its shutdown checkpoint.
	ls := bytes.Split(bytes.TrimSuffix(good, []byte("\n")), []byte("\n"))
	an := &Anchor{Seq: uint64(len(ls)), Hash: sha256.Sum256(ls[len(ls)-1])}
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Verify(bytes.NewReader(b), pub)
		if err != nil {
			t.Fatal(err)
		}
		arep, err := VerifyAnchored(bytes.NewReader(b), pub, an)
		if err != nil {
			t.Fatal(err)
		}
		if arep.OK() && !bytes.Equal(b, good) && len(b) <= len(good) {
			// Reaching the anchor means holding the good file's last
			// line; no shorter or equal-length other file can.
			t.Fatalf("altered file verified against the anchor")
		}
		if rep.OK() && len(b) == len(good) && !bytes.Equal(b, good) {
			// Same length, different bytes, yet verified: every line is
			// signed over its exact bytes, so this cannot be.
			t.Fatalf("altered file verified clean")
		}
	})
}
