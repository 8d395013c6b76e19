package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
)

// TestAuditVerifyStore: a file cut back to an earlier clean end passes
// `audit verify` alone but fails with --store, naming the missing range.
func TestAuditVerifyStore(t *testing.T) {
	dir := t.TempDir()
	if _, err := runCLI(t, "keys", "gen", filepath.Join(dir, "node")); err != nil {
		t.Fatal(err)
	}
	key, err := sign.LoadPrivateKey(filepath.Join(dir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	af, db := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "hi1.db")
	session := func(n int) {
		a, err := audit.Open(af, audit.Options{Key: key, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(db, store.Options{NoSync: true, Auditor: a})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Anchor(st); err != nil {
			t.Fatal(err)
		}
		for range n {
			a.Record("lemf.connect", slog.String("dest", "lemf1"))
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	session(2) // 1-2, shutdown 3
	early, _ := os.ReadFile(af)
	session(2) // reopen 4, 5-6, shutdown 7
	pub := filepath.Join(dir, "node.pub")
	if out, err := runCLI(t, "audit", "verify", af, "--pub", pub, "--store", db); err != nil || !strings.Contains(out, "chain OK") {
		t.Fatalf("intact file with --store: %v %s", err, out)
	}
	os.WriteFile(af, early, 0o600)
	if out, err := runCLI(t, "audit", "verify", af, "--pub", pub); err != nil {
		t.Fatalf("the cut file alone should pass (the store is what tells): %v %s", err, out)
	}
	out, err := runCLI(t, "audit", "verify", af, "--pub", pub, "--store", db)
	if err == nil || !strings.Contains(err.Error(), "records seq 4-7 are missing") {
		t.Fatalf("cut file with --store: %v %s", err, out)
	}
	// The node's next start records the discontinuity; verify then fails
	// even without the store.
	session(1)
	out, err = runCLI(t, "audit", "verify", af, "--pub", pub)
	if err == nil || !strings.Contains(err.Error(), "discontinuity") || !strings.Contains(out, "DISCONTINUITY") {
		t.Fatalf("recorded discontinuity: %v %s", err, out)
	}
}
