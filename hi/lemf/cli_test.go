package lemf

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs the lemf command against one delivered call and returns its
// exit code and standard output.
func runCLI(t *testing.T, expectation string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	addrFile := filepath.Join(dir, "addr")
	args := []string{"--listen", "127.0.0.1:0", "--out", out, "--addr-file", addrFile, "--duration", "30s"}
	if expectation != "" {
		ef := filepath.Join(dir, "expect.json")
		os.WriteFile(ef, []byte(expectation), 0o644)
		args = append(args, "--expect", ef)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- Run(ctx, args, &stdout, &stderr) }()
	var addr []byte
	waitFor(t, 5*time.Second, "addr file", func() bool {
		addr, _ = os.ReadFile(addrFile)
		return len(addr) > 0
	})
	c, err := net.Dial("tcp", strings.TrimSpace(string(addr)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range callPDUs(newGen(), "LI-1", 7) {
		c.Write(p)
	}
	c.Close()
	// The END record is the last PDU: once it is in iri.jsonl, everything
	// before it on the connection has been handled.
	waitFor(t, 5*time.Second, "END in iri.jsonl", func() bool {
		b, _ := os.ReadFile(filepath.Join(out, "iri.jsonl"))
		return bytes.Contains(b, []byte(`"type":"END"`))
	})
	cancel()
	code := <-done
	if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return code, stdout.String()
}

func TestCLIExpectPassAndFail(t *testing.T) {
	from, to := bytes.Repeat(mwALaw, nPkts), bytes.Repeat(mwALaw[:80], nPkts)
	if code, out := runCLI(t, expectationFor(from, to, "BEGIN", "CONTINUE", "END")); code != ExitOK || !strings.Contains(out, "expectation met") {
		t.Fatalf("matching run: exit %d", code)
	}
	if code, out := runCLI(t, expectationFor(from[:160], to, "BEGIN", "CONTINUE", "END")); code != ExitMismatch || !strings.Contains(out, "EXPECTATION FAILED") {
		t.Fatalf("mismatching run: exit %d", code)
	}
	if code, out := runCLI(t, ""); code != ExitOK || !strings.Contains(out, "LI-1-7-from-target") {
		t.Fatalf("plain run: exit %d", code)
	}
	var so, se bytes.Buffer
	if code := Run(context.Background(), []string{"--listen", "127.0.0.1:0"}, &so, &se); code != ExitUsage {
		t.Fatalf("no --out: exit %d", code)
	}
	if code := Run(context.Background(), []string{"--out", t.TempDir(), "--tls-cert", "x"}, &so, &se); code != ExitUsage {
		t.Fatalf("half TLS: exit %d", code)
	}
}
