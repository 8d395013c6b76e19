// Package tsharktest runs tshark, the outside decoder, from tests. Tests that
// need it call Require, which skips loudly when tshark is not installed (CI
// and `make test` as root install it). Pcap builders for the various
// encapsulations live beside this file, one file per encapsulation.
package tsharktest

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Require returns the path of tshark or skips the test with a loud reason.
func Require(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("SKIP: tshark not installed — outside-decoder check NOT RUN; install it with `apt-get install -y tshark` (make test does this as root)")
	}
	return p
}

// Run runs tshark with args (for example "-r", file, "-o", pref) and returns
// its standard output. The test fails if tshark exits non-zero.
func Run(t testing.TB, args ...string) []byte {
	t.Helper()
	p := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark %s: %v\nstderr: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// Fields runs `tshark -r file [extra...] -T fields -E separator=/t -E occurrence=a
// -E aggregator=, -e f1 -e f2 ...` and returns one row of field values per packet.
func Fields(t testing.TB, file string, extra []string, fields ...string) [][]string {
	t.Helper()
	args := append([]string{"-r", file}, extra...)
	args = append(args, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out := Run(t, args...)
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// JSON runs `tshark -r file [extra...] -T json` and returns the decoded packets.
func JSON(t testing.TB, file string, extra ...string) []map[string]any {
	t.Helper()
	args := append([]string{"-r", file}, extra...)
	args = append(args, "-T", "json")
	out := Run(t, args...)
	var pkts []map[string]any
	if err := json.Unmarshal(out, &pkts); err != nil {
		t.Fatalf("tshark json: %v", err)
	}
	return pkts
}
