package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

func TestRun(t *testing.T) {
	sgp, err := m3ua.NewSGP(m3ua.LinkConfig{Name: "gw", Role: m3ua.RoleSGP, Transport: sigtran.TCP, LocalAddrs: []string{"127.0.0.1:0"}},
		m3ua.HandlerFunc(func(context.Context, *m3ua.Indication) {}), m3ua.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := sgp.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sctx, scancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = sgp.Run(sctx) }()
	defer func() { scancel(); <-done }()

	truth := filepath.Join(t.TempDir(), "truth.json")
	var out, errb bytes.Buffer
	code := run(ctx, []string{"--connect", addr.String(), "--calls", "6", "--rate", "100", "--hold", "50ms", "--ring", "10ms", "--gap", "2ms",
		"--mix", "answered=1,busy=1,overlap=1", "--lead", "10ms", "--tail", "10ms", "--truth", truth, "--log-level", "warn"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	gt, err := switchsim.ReadTruth(truth)
	if err != nil {
		t.Fatal(err)
	}
	if gt.Totals.Calls != 6 || gt.Totals.Completed != 6 || !strings.Contains(out.String(), "6 calls") {
		t.Fatalf("totals %+v, output %q", gt.Totals, out.String())
	}
	if code := run(ctx, []string{"--m3ua-role", "nope"}, &out, &errb); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	if code := run(ctx, []string{"--connect", "127.0.0.1:1", "--calls", "1", "--mix", "busy", "--link-timeout", "200ms"}, &out, &errb); code != 1 {
		t.Errorf("no peer: exit %d", code)
	}
}
