package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
)

// run opens the audit file anchored in the store at dbPath, writes n
// records, closes both cleanly and returns the audit log's text.
func run(t *testing.T, path, dbPath string, priv ed25519.PrivateKey, n int) string {
	t.Helper()
	var logs bytes.Buffer
	a, err := audit.Open(path, audit.Options{Key: priv, Every: 4, NoSync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dbPath, store.Options{NoSync: true, Auditor: a})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Anchor(st); err != nil {
		t.Fatal(err)
	}
	for range n {
		a.Record("intercept.start", slog.String("liid", "LIID-SECRET"))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return logs.String()
}

func verifyWithStore(t *testing.T, path, dbPath string, pub ed25519.PublicKey) *audit.Report {
	t.Helper()
	seq, h, ok, err := store.ReadAuditAnchor(dbPath)
	if err != nil || !ok {
		t.Fatalf("anchor: %v %v", ok, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyAnchored(bytes.NewReader(b), pub, &audit.Anchor{Seq: seq, Hash: h})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestTruncationToEarlierShutdownDetected: the file cut back to an earlier
// clean end verifies on its own, but not against the store's anchor, which
// names the missing range; the next Open records the discontinuity.
func TestTruncationToEarlierShutdownDetected(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	path, dbPath := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "hi1.db")
	run(t, path, dbPath, priv, 3) // seq 1-3, shutdown checkpoint 4
	first, _ := os.ReadFile(path)
	run(t, path, dbPath, priv, 5) // reopen 5, records 6-9, periodic 10, record 11, shutdown 12
	if rep := verifyWithStore(t, path, dbPath, pub); !rep.OK() {
		t.Fatalf("intact file against its anchor: %+v", rep)
	}
	if err := os.WriteFile(path, first, 0o600); err != nil { // cut back to the first shutdown
		t.Fatal(err)
	}
	if rep, _ := audit.Verify(bytes.NewReader(first), pub); !rep.OK() {
		t.Fatalf("the cut file should verify on its own (that is why the anchor exists): %+v", rep)
	}
	rep := verifyWithStore(t, path, dbPath, pub)
	if rep.OK() || !strings.Contains(rep.Anchor, "records seq 5-12 are missing") {
		t.Fatalf("truncation not named against the anchor: %+v", rep)
	}

	logs := run(t, path, dbPath, priv, 1)
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte(`"kind":"audit.discontinuity","attrs":{"expected_seq":12,"found_seq":4,`)) {
		t.Fatalf("discontinuity not recorded:\n%s", b)
	}
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "expected_seq=12") || strings.Contains(logs, "LIID") {
		t.Fatalf("discontinuity log: %s", logs)
	}
	rep = verifyWithStore(t, path, dbPath, pub)
	if rep.Bad != nil || rep.Anchor != "" || !rep.Clean || rep.Discontinuities != 1 || rep.OK() {
		t.Fatalf("recorded discontinuity not reported: %+v", rep)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "DISCONTINUITY") {
		t.Fatalf("warnings: %v", rep.Warnings)
	}
}

// TestDeletedFileDetected: a deleted audit file is re-created with a
// discontinuity naming the records it no longer has.
func TestDeletedFileDetected(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	path, dbPath := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "hi1.db")
	run(t, path, dbPath, priv, 2) // 1-2, shutdown 3
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	run(t, path, dbPath, priv, 1)
	b, _ := os.ReadFile(path)
	if !bytes.HasPrefix(b, []byte(`{"seq":1,`)) || !bytes.Contains(b, []byte(`"expected_seq":3,"found_seq":0,"detail":"the file was empty, missing or moved aside; records 1-3 are not in it"`)) {
		t.Fatalf("deletion not recorded:\n%s", b)
	}
	if rep, _ := audit.Verify(bytes.NewReader(b), pub); rep.Bad != nil || rep.OK() || rep.Discontinuities != 1 {
		t.Fatalf("report: %+v", rep)
	}
}

// TestReplacedFileDetected: the anchored record exists but differs (a file
// from another run signed with the same key was put in place).
func TestReplacedFileDetected(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	path, dbPath := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "hi1.db")
	run(t, path, dbPath, priv, 2)
	other := filepath.Join(dir, "other.jsonl")
	run(t, other, filepath.Join(dir, "other.db"), priv, 6) // same key, longer, different records
	b, _ := os.ReadFile(other)
	os.WriteFile(path, b, 0o600)
	rep := verifyWithStore(t, path, dbPath, pub)
	if rep.Bad == nil || rep.Bad.Seq != 3 || !strings.Contains(rep.Bad.Reason, "anchored") {
		t.Fatalf("replaced file: %+v", rep)
	}
}

// TestWriteFailureMetrics: a write failure sets tdmtap_audit_healthy to 0,
// counts the error and every record dropped after it, and Err reports it.
func TestWriteFailureMetrics(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	a, err := audit.Open(filepath.Join(dir, "a"), audit.Options{Key: priv, NoSync: true, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	a.Record("x1.request")
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tdmtap_audit_healthy 1 while the audit chain is being written; 0 after a write or fsync failure (later records are dropped).
# TYPE tdmtap_audit_healthy gauge
tdmtap_audit_healthy 1
`), "tdmtap_audit_healthy"); err != nil || a.Err() != nil {
		t.Fatal(err, a.Err())
	}
	a.Abandon() // the file is gone from under the writer
	a.Record("intercept.start")
	a.Record("intercept.end")
	if a.Err() == nil {
		t.Fatal("failure not reported by Err")
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tdmtap_audit_healthy 1 while the audit chain is being written; 0 after a write or fsync failure (later records are dropped).
# TYPE tdmtap_audit_healthy gauge
tdmtap_audit_healthy 0
# HELP tdmtap_audit_records_dropped_total Audit records not written because the chain had failed or was closed.
# TYPE tdmtap_audit_records_dropped_total counter
tdmtap_audit_records_dropped_total 2
# HELP tdmtap_audit_write_errors_total Audit file write, fsync or close failures.
# TYPE tdmtap_audit_write_errors_total counter
tdmtap_audit_write_errors_total 1
`), "tdmtap_audit_healthy", "tdmtap_audit_records_dropped_total", "tdmtap_audit_write_errors_total"); err != nil {
		t.Fatal(err)
	}
}
