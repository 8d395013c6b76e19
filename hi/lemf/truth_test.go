package lemf

import (
	"bytes"
	"context"
	"io"
	"testing"
)

type fakeTruth struct {
	pass bool
	got  TruthOptions
	dir  string
}

func (f *fakeTruth) CheckTruth(dir string, o TruthOptions, w io.Writer) (bool, error) {
	f.got, f.dir = o, dir
	io.WriteString(w, "checked\n")
	return f.pass, nil
}

func TestTruthFlags(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	dir := t.TempDir()
	// --truth needs a checker and --warrants.
	if c := Run(ctx, []string{"--out", dir, "--truth", "t.json", "--warrants", "w.yaml"}, &out, &errb); c != ExitUsage {
		t.Errorf("--truth without a checker: exit %d", c)
	}
	if c := RunWith(ctx, []string{"--out", dir, "--truth", "t.json"}, &out, &errb, &fakeTruth{}); c != ExitUsage {
		t.Errorf("--truth without --warrants: exit %d", c)
	}
	if c := RunWith(ctx, []string{"check", "--out", dir}, &out, &errb, &fakeTruth{}); c != ExitUsage {
		t.Errorf("check without --truth: exit %d", c)
	}
	// lemf check: the checker's verdict is the exit code.
	for _, pass := range []bool{true, false} {
		f := &fakeTruth{pass: pass}
		c := RunWith(ctx, []string{"check", "--out", dir, "--truth", "t.json", "--warrants", "cfg.yaml", "--tail-tolerance", "8", "--numbering", "cc=44"}, &out, &errb, f)
		if want := map[bool]int{true: ExitOK, false: ExitMismatch}[pass]; c != want {
			t.Errorf("check (pass %v): exit %d, want %d", pass, c, want)
		}
		if f.dir != dir || f.got.Truth != "t.json" || f.got.Warrants != "cfg.yaml" || f.got.TailTolerance != 8 || f.got.Numbering != "cc=44" {
			t.Errorf("checker got %q %+v", f.dir, f.got)
		}
	}
	// A live run checks when it stops.
	f := &fakeTruth{pass: false}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	c := RunWith(cctx, []string{"--listen", "127.0.0.1:0", "--out", dir, "--truth", "t.json", "--warrants", "cfg.yaml"}, &out, &errb, f)
	if c != ExitMismatch || f.dir != dir {
		t.Errorf("live run: exit %d, checked %q\n%s%s", c, f.dir, out.String(), errb.String())
	}
}
