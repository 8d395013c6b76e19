package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// writeFile writes n records (checkpoint every 4) and closes cleanly.
func writeFile(t *testing.T, priv ed25519.PrivateKey, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := Open(path, Options{Key: priv, Every: 4, NoSync: true, Now: func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		a.Record("intercept.start", slog.String("liid", "LIID-1"), slog.Int("cin", i), slog.Time("time", clock),
			slog.Group("who", slog.String("key", "alice")))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func lines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))[:bytes.Count(b, []byte("\n"))]
}

func verifyBytes(t *testing.T, b []byte, pub ed25519.PublicKey) *Report {
	t.Helper()
	rep, err := Verify(bytes.NewReader(b), pub)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestCleanFileVerifies(t *testing.T) {
	pub, priv := newKey(t)
	path := writeFile(t, priv, 10)
	b, _ := os.ReadFile(path)
	rep := verifyBytes(t, b, pub)
	if !rep.OK() || rep.Records != 13 || rep.Checkpoints != 3 {
		t.Fatalf("report %+v bad %v", rep, rep.Bad)
	}
	if !strings.Contains(string(b), `"who":{"key":"alice"}`) {
		t.Fatalf("group attr not encoded: %s", b)
	}
	// Another key does not verify the checkpoints.
	other, _ := newKey(t)
	if rep := verifyBytes(t, b, other); rep.Bad == nil || rep.Bad.Line != 1 {
		t.Fatalf("wrong key accepted: %+v", rep.Bad)
	}
}

func TestTamperingDetected(t *testing.T) {
	pub, priv := newKey(t)
	path := writeFile(t, priv, 10)
	ls := lines(t, path)
	join := func(ls [][]byte) []byte { return bytes.Join(ls, nil) }
	clone := func() [][]byte {
		out := make([][]byte, len(ls))
		for i := range ls {
			out[i] = append([]byte(nil), ls[i]...)
		}
		return out
	}

	t.Run("flipped byte", func(t *testing.T) {
		c := clone()
		i := bytes.Index(c[2], []byte("LIID-1"))
		c[2][i+5] ^= 0x01 // LIID-1 -> LIID-0: still valid JSON
		rep := verifyBytes(t, join(c), pub)
		if rep.Bad == nil || rep.Bad.Line != 3 || rep.Bad.Seq != 3 || !strings.Contains(rep.Bad.Reason, "signature") {
			t.Fatalf("flip not detected at line 3 itself: %+v", rep.Bad)
		}
	})
	t.Run("flipped byte in every position of a record", func(t *testing.T) {
		for pos := range len(ls[1]) - 1 {
			c := clone()
			c[1][pos] ^= 0x20
			if rep := verifyBytes(t, join(c), pub); rep.Bad == nil {
				t.Fatalf("flip at byte %d of line 2 not detected", pos)
			}
		}
	})
	t.Run("flipped byte in final checkpoint", func(t *testing.T) {
		c := clone()
		last := c[len(c)-1]
		i := bytes.Index(last, []byte(`"time":"`))
		last[i+10] ^= 0x01
		rep := verifyBytes(t, join(c), pub)
		if rep.Bad == nil || rep.Bad.Line != len(c) {
			t.Fatalf("flip in last checkpoint not detected: %+v", rep.Bad)
		}
	})
	t.Run("dropped record", func(t *testing.T) {
		c := clone()
		c = append(c[:6], c[7:]...)
		rep := verifyBytes(t, join(c), pub)
		if rep.Bad == nil || rep.Bad.Line != 7 || rep.Bad.Seq != 8 || !strings.Contains(rep.Bad.Reason, "missing") {
			t.Fatalf("drop not detected: %+v", rep.Bad)
		}
	})
	t.Run("swapped pair", func(t *testing.T) {
		c := clone()
		c[2], c[3] = c[3], c[2]
		rep := verifyBytes(t, join(c), pub)
		if rep.Bad == nil || rep.Bad.Line != 3 {
			t.Fatalf("swap not detected: %+v", rep.Bad)
		}
	})
	t.Run("truncated tail", func(t *testing.T) {
		c := clone()
		rep := verifyBytes(t, join(c[:len(c)-3]), pub)
		if rep.Bad != nil || rep.Clean || len(rep.Warnings) == 0 {
			t.Fatalf("truncation not reported: %+v", rep)
		}
	})
	t.Run("cut mid-record", func(t *testing.T) {
		b := join(clone())
		rep := verifyBytes(t, b[:len(b)-10], pub)
		if rep.OK() {
			t.Fatal("cut file verified")
		}
	})
	t.Run("beginning removed", func(t *testing.T) {
		rep := verifyBytes(t, join(clone()[1:]), pub)
		if rep.Bad == nil || rep.Bad.Line != 1 {
			t.Fatalf("missing head not detected: %+v", rep.Bad)
		}
	})
	t.Run("re-signed record without key", func(t *testing.T) {
		// Replacing a checkpoint's signature with another checkpoint's fails.
		c := clone()
		s1 := c[4][bytes.LastIndex(c[4], []byte(`"sig":`)):]
		i := bytes.LastIndex(c[9], []byte(`"sig":`))
		c[9] = append(c[9][:i:i], s1...)
		rep := verifyBytes(t, join(c), pub)
		if rep.Bad == nil || rep.Bad.Line != 10 {
			t.Fatalf("signature swap not detected: %+v", rep.Bad)
		}
	})
}

func TestReopenContinuesChain(t *testing.T) {
	pub, priv := newKey(t)
	path := writeFile(t, priv, 3)
	a, err := Open(path, Options{Key: priv, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a.Record("x1.request", slog.String("result", "accepted"))
	// Simulate a crash: no Close; then reopen.
	a2, err := Open(path, Options{Key: priv, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a2.Record("lemf.connect", slog.String("dest", "lemf1"))
	if err := a2.Close(); err != nil {
		t.Fatal(err)
	}
	a.f.Close()
	b, _ := os.ReadFile(path)
	rep := verifyBytes(t, b, pub)
	if !rep.OK() {
		t.Fatalf("reopened file does not verify: %+v %v", rep, rep.Bad)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(string(b), KindUnclean) {
		t.Fatalf("crash not recorded: %v", rep.Warnings)
	}
}

func TestRecordAfterCloseKeepsError(t *testing.T) {
	_, priv := newKey(t)
	a, err := Open(filepath.Join(t.TempDir(), "a"), Options{Key: priv, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Record("late")
	if a.Err() == nil {
		t.Fatal("record after close not reported")
	}
}

func TestSignatureEncodingNotMalleable(t *testing.T) {
	pub, priv := newKey(t)
	path := writeFile(t, priv, 2)
	b, _ := os.ReadFile(path)
	// The last base64 character before "==" carries 4 unused bits; a lax
	// decoder would accept a changed character.
	i := bytes.LastIndex(b, []byte(`=="}`))
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		if c == b[i-1] {
			continue
		}
		m := bytes.Clone(b)
		m[i-1] = c
		if rep := verifyBytes(t, m, pub); rep.OK() {
			t.Fatalf("altered signature character %q verified", c)
		}
	}
}

func TestReopenAfterCutRecord(t *testing.T) {
	pub, priv := newKey(t)
	path := writeFile(t, priv, 3)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append(b, []byte(`{"seq":8,"time":"2026-`)...), 0o600) // crash mid-write
	a, err := Open(path, Options{Key: priv, NoSync: true})
	if err != nil {
		t.Fatalf("a cut record prevents start: %v", err)
	}
	a.Record("hi1.start")
	a.Close()
	nb, _ := os.ReadFile(path)
	if rep := verifyBytes(t, nb, pub); !rep.OK() || !bytes.Contains(nb, []byte("previous_file")) {
		t.Fatalf("new chain: %+v", rep)
	}
	matches, _ := filepath.Glob(path + ".damaged.*")
	if len(matches) != 1 {
		t.Fatalf("damaged file not kept: %v", matches)
	}
	old, _ := os.ReadFile(matches[0])
	if rep := verifyBytes(t, old, pub); rep.OK() || rep.Bad == nil {
		t.Fatalf("cut in the damaged file not reported: %+v", rep)
	}
}
