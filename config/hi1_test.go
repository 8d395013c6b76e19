package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, f := range names {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHI1(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "node.key", "x1.crt", "x1.key", "ca.crt", "keyring.yaml")
	fp := strings.Repeat("AB:", 31) + "AB"
	cfg := minimal + `hi1:
  store: hi1.db
  audit_file: audit.jsonl
  node_key: node.key
  audit_checkpoint_every: 50
  x1:
    listen: 127.0.0.1:0
    cert: x1.crt
    key: x1.key
    client_ca: ca.crt
    allow: ["` + fp + `", "` + strings.Repeat("01", 32) + `"]
    keyring: keyring.yaml
    two_person: true
    ne_identifier: ne-1
    admf_identifier: admf-1
    signature_window: 2m
`
	path := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := c.HI1
	if h == nil || h.Line != 17 || h.Store != filepath.Join(dir, "hi1.db") || h.AuditFile != filepath.Join(dir, "audit.jsonl") ||
		h.NodeKey != filepath.Join(dir, "node.key") || h.CheckpointEvery != 50 {
		t.Fatalf("hi1 %+v", h)
	}
	x := h.X1
	if x == nil || x.Listen != "127.0.0.1:0" || x.Cert != filepath.Join(dir, "x1.crt") || x.Key != filepath.Join(dir, "x1.key") ||
		x.ClientCA != filepath.Join(dir, "ca.crt") || x.Keyring != filepath.Join(dir, "keyring.yaml") || !x.TwoPerson ||
		x.NEIdentifier != "ne-1" || x.ADMFIdentifier != "admf-1" || x.SignatureWindow != 2*time.Minute ||
		len(x.Allow) != 2 || x.Allow[0] != strings.Repeat("ab", 32) {
		t.Fatalf("x1 %+v", x)
	}

	// Defaults; no X1.
	c, ps := Parse(path, []byte(minimal+"hi1:\n  store: a.db\n  audit_file: a.jsonl\n  node_key: node.key\n"))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if c.HI1 == nil || c.HI1.X1 != nil || c.HI1.CheckpointEvery != DefaultCheckpointEvery {
		t.Fatalf("defaults %+v", c.HI1)
	}
	// No section: static warrants only.
	if c, ps := Parse(path, []byte(minimal)); len(ps) > 0 || c.HI1 != nil {
		t.Fatalf("no hi1 section: %v %+v", ps, c.HI1)
	}
}

func TestHI1Bad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "node.key", "x1.crt")
	cfg := minimal + `hi1:
  store: same
  audit_file: same
  audit_checkpoint_every: 0
  colour: blue
  x1:
    listen: "127.0.0.1:http"
    cert: x1.crt
    key: nosuch.key
    allow: ["abcd", "` + strings.Repeat("01", 32) + `", "` + strings.Repeat("01", 32) + `"]
    two_person: maybe
    signature_window: 2h
`
	path := filepath.Join(dir, "cfg.yaml")
	_, ps := Parse(path, []byte(cfg))
	f := path + ":"
	checkProblems(t, ps, []string{
		f + `17: hi1: missing required key "node_key"`,
		f + `18: hi1 audit_file: the same file as store`,
		f + `19: hi1 audit_checkpoint_every: 0 out of range 1..1000000`,
		f + `20: hi1: unknown key "colour"`,
		f + `22: hi1 x1: missing required key "keyring"`,
		f + `22: hi1 x1 listen: "127.0.0.1:http": port "http" is not a number`,
		f + `24: hi1 x1 key: stat ` + filepath.Join(dir, "nosuch.key") + `: no such file`,
		f + `25: hi1 x1 allow: "abcd" is not a SHA-256 certificate fingerprint`,
		f + `25: hi1 x1 allow: fingerprint listed twice (first at line 25)`,
		f + `26: hi1 x1 two_person: "maybe" is not true or false`,
		f + `27: hi1 x1 signature_window: 2h0m0s out of range 1s..1h0m0s`,
	})
	_, ps = Parse(path, []byte(minimal+"hi1: [a]\n"))
	checkProblems(t, ps, []string{path + `:16: hi1: expected a mapping, got a list`})
}
