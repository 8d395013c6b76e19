package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/lemf"
	"github.com/tdmtap/tdmtap/test/expect"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// BuildBinaries builds tdmtap, switchsim and lemf into dir (go build, from
// the module root).
func BuildBinaries(ctx context.Context, dir string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", abs+string(filepath.Separator), "./cmd/tdmtap", "./cmd/switchsim", "./cmd/lemf")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// ModuleRoot is the directory of go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	p := strings.TrimSpace(string(out))
	if p == "" || p == os.DevNull {
		return "", errors.New("not inside the tdmtap module")
	}
	return filepath.Dir(p), nil
}

// BinRun runs the three binaries as separate processes.
type BinRun struct {
	Bin    string // directory with tdmtap, switchsim, lemf
	Out    string // output directory (emptied first)
	Config string // the gateway config (fixed free ports; an SGP link named by Link)
	Link   string // the gateway's SGP link the simulator connects to
	// OPC and DPC are the simulator's exchanges (between them, the config's
	// circuits); SimArgs more switchsim flags (calls, rate, targets, ...).
	OPC, DPC string
	SimArgs  []string
	Progress io.Writer // progress lines (nil: none)
	// Tolerances of lemf's ground-truth check (its flags --head-tolerance,
	// --tail-tolerance in frames, --max-loss-fill; -1: none allowed). Zero
	// keeps the loose values BinRun used before the gateway's content
	// tail (1600, 8000 frames, 20 % loss fill) for slow environments (user-mode
	// Linux); the demo and TestBinaries set the tight ones.
	HeadTolerance, TailTolerance int64
	MaxLossFill                  float64
}

// Tight tolerances for loopback runs on an ordinary machine: nothing
// missing at the start, one chunk at the end, no loss fill.
const (
	TightHead     = -1 // none missing (lemf's 0)
	TightTail     = 160
	TightLossFill = -1
)

// BinResult is the outcome of a BinRun.
type BinResult struct {
	Truth *switchsim.GroundTruth
	// Expect and Report are lemf's ground-truth check (its expected.json
	// and check.json), with Extra appended to Report.Errors.
	Expect *expect.Expectation
	Report *expect.Report
	// Extra are the problems found beside lemf's check: the gateway did
	// not stop cleanly, its log carries numbers.
	Extra      []string
	LEMF       *lemf.Summary
	LEMFExit   int    // lemf's exit code: its verdict (own checks and the ground truth)
	LEMFOutput string // what lemf printed
	GatewayLog string
	LEMFDir    string
}

func (r *BinRun) say(format string, a ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, format+"\n", a...)
	}
}

// Execute runs lemf, then the gateway, then the simulator; waits until the
// gateway has delivered everything; stops the gateway (SIGTERM, drain) and
// lemf, which then checks what it received against the ground truth (its
// verdict is LEMFExit, its report Report).
func (r *BinRun) Execute(ctx context.Context) (*BinResult, error) {
	res := &BinResult{LEMFDir: filepath.Join(r.Out, "lemf")}
	cfg, err := config.Load(r.Config)
	if err != nil {
		return nil, err
	}
	if len(cfg.Destinations) != 1 || cfg.Destinations[0].HI2 != cfg.Destinations[0].HI3 {
		return nil, errors.New("e2e: the config needs one destination with HI2 and HI3 on one address (one lemf)")
	}
	var linkAddr string
	for _, l := range cfg.Links {
		if l.Name == r.Link && l.Role == config.SGP && len(l.Local) > 0 {
			linkAddr = l.Local[0]
		}
	}
	if linkAddr == "" {
		return nil, fmt.Errorf("e2e: no SGP link %q in %s", r.Link, r.Config)
	}
	for _, d := range cfg.Destinations {
		_ = os.RemoveAll(d.SpoolDir) // an old spool would replay an earlier run
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return nil, err
	}
	// lemf checks the run itself when it stops: its own checks (sequence
	// numbers, decoding, framing) and the whole run against the
	// simulator's ground truth (truth.json, written by switchsim before
	// lemf is stopped) under the gateway's warrants (its config).
	truthPath := filepath.Join(r.Out, "truth.json")
	lemfArgs := []string{"--listen", cfg.Destinations[0].HI2, "--out", res.LEMFDir,
		"--truth", truthPath, "--warrants", r.Config, "--addr-file", filepath.Join(r.Out, "lemf.addr")}
	tol := func(v, def int64) string {
		switch {
		case v == 0:
			v = def
		case v < 0:
			v = 0
		}
		return strconv.FormatInt(v, 10)
	}
	fill := r.MaxLossFill
	switch {
	case fill == 0:
		fill = 0.2
	case fill < 0:
		fill = 0
	}
	lemfArgs = append(lemfArgs, "--head-tolerance", tol(r.HeadTolerance, 1600), "--tail-tolerance", tol(r.TailTolerance, 8000),
		"--max-loss-fill", strconv.FormatFloat(fill, 'g', -1, 64))
	var lemfOut, lemfErr bytes.Buffer
	lemfCmd := exec.CommandContext(ctx, filepath.Join(r.Bin, "lemf"), lemfArgs...)
	lemfCmd.Stdout, lemfCmd.Stderr = &lemfOut, &lemfErr
	_ = os.Remove(filepath.Join(r.Out, "lemf.addr"))
	if err := lemfCmd.Start(); err != nil {
		return nil, fmt.Errorf("lemf: %w", err)
	}
	defer func() { _ = lemfCmd.Process.Kill() }()
	if err := poll(ctx, 10*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(r.Out, "lemf.addr"))
		return err == nil
	}); err != nil {
		return nil, fmt.Errorf("lemf did not start: %w\n%s", err, lemfErr.String())
	}
	r.say("lemf listening on %s, writing to %s", cfg.Destinations[0].HI2, res.LEMFDir)

	logPath := filepath.Join(r.Out, "tdmtap.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	gw := exec.CommandContext(ctx, filepath.Join(r.Bin, "tdmtap"), "run", "-c", r.Config)
	gw.Stdout, gw.Stderr = logf, logf
	if err := gw.Start(); err != nil {
		return nil, fmt.Errorf("tdmtap: %w", err)
	}
	defer func() { _ = gw.Process.Kill() }()
	gwDone := make(chan error, 1)
	go func() { gwDone <- gw.Wait() }()
	metrics := cfg.Metrics.Listen
	if err := poll(ctx, 15*time.Second, func() bool {
		select {
		case <-gwDone:
			return true
		default:
		}
		if metrics != "" {
			resp, err := http.Get("http://" + metrics + "/healthz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}
		b, _ := os.ReadFile(logPath)
		return bytes.Contains(b, []byte("tdmtap running"))
	}); err != nil || gw.ProcessState != nil {
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("tdmtap did not start: %v\n%s", err, tail(string(b), 30))
	}
	r.say("tdmtap running (config %s, log %s)", r.Config, logPath)

	args := append([]string{"--m3ua-role", "asp", "--connect", linkAddr, "--config", r.Config,
		"--opc", r.OPC, "--dpc", r.DPC, "--truth", truthPath, "--log-level", "warn"}, r.SimArgs...)
	sim := exec.CommandContext(ctx, filepath.Join(r.Bin, "switchsim"), args...)
	var simOut bytes.Buffer
	sim.Stdout, sim.Stderr = &simOut, &simOut
	r.say("switchsim %s", strings.Join(args, " "))
	simErr := sim.Run()
	r.say("%s", strings.TrimSpace(simOut.String()))
	if res.Truth, err = switchsim.ReadTruth(truthPath); err != nil {
		return nil, fmt.Errorf("switchsim: %v: %w\n%s", simErr, err, simOut.String())
	}
	if simErr != nil {
		return nil, fmt.Errorf("switchsim: %w\n%s", simErr, simOut.String())
	}

	// Everything delivered: the gateway's delivery queues are empty for a
	// while (needs the metrics endpoint), else the LEMF's output stops
	// growing.
	if err := waitDelivered(ctx, metrics); err != nil {
		r.say("warning: %v", err)
	}
	_ = gw.Process.Signal(syscall.SIGTERM)
	var gwErr error
	select {
	case gwErr = <-gwDone:
		if gwErr != nil {
			r.say("tdmtap exited: %v", gwErr)
		}
	case <-time.After(40 * time.Second):
		_ = gw.Process.Kill()
		return nil, errors.New("tdmtap did not stop within 40 s of SIGTERM")
	}
	b, _ := os.ReadFile(logPath)
	res.GatewayLog = string(b)
	_ = lemfCmd.Process.Signal(syscall.SIGTERM)
	err = lemfCmd.Wait()
	res.LEMFOutput = lemfOut.String()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.LEMFExit = ee.ExitCode()
	default:
		return nil, fmt.Errorf("lemf: %w", err)
	}
	if res.Report, err = expect.ReadReport(filepath.Join(res.LEMFDir, expect.ReportFile)); err != nil {
		return nil, fmt.Errorf("lemf made no ground-truth report (exit %d): %w\n%s%s", res.LEMFExit, err, res.LEMFOutput, lemfErr.String())
	}
	if res.Expect, err = expect.ReadFile(filepath.Join(res.LEMFDir, expect.ExpectedFile)); err != nil {
		return nil, err
	}
	var sum lemf.Summary
	if b, err := os.ReadFile(filepath.Join(res.LEMFDir, "summary.json")); err != nil {
		return nil, fmt.Errorf("lemf: %w", err)
	} else if err := json.Unmarshal(b, &sum); err != nil {
		return nil, fmt.Errorf("lemf: summary.json: %w", err)
	}
	res.LEMF = &sum
	if gwErr != nil || !strings.Contains(res.GatewayLog, "tdmtap stopped") {
		res.Extra = append(res.Extra, fmt.Sprintf("tdmtap did not stop cleanly on SIGTERM (%v)", gwErr))
	}
	if leaked := LeakedNumbers(res.Expect, res.GatewayLog); len(leaked) > 0 {
		res.Extra = append(res.Extra, fmt.Sprintf("the gateway log carries %d party numbers, e.g. %s", len(leaked), leaked[0]))
	}
	res.Report.Errors = append(res.Report.Errors, res.Extra...)
	return res, nil
}

func poll(ctx context.Context, limit time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// waitDelivered waits until the gateway's delivery queues
// (tdmtap_deliver_queued_pdus) have been empty for a second.
func waitDelivered(ctx context.Context, metrics string) error {
	if metrics == "" {
		return errors.New("no metrics endpoint: cannot see the delivery queues")
	}
	var since time.Time
	return poll(ctx, 60*time.Second, func() bool {
		q, err := queued(metrics)
		if err != nil || q > 0 {
			since = time.Time{}
			return false
		}
		if since.IsZero() {
			since = time.Now()
		}
		return time.Since(since) >= time.Second
	})
}

// queued sums tdmtap_deliver_queued_pdus.
func queued(metrics string) (float64, error) {
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum, seen := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "tdmtap_deliver_queued_pdus") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, err
		}
		sum += v
		seen = true
	}
	if !seen {
		return 0, errors.New("tdmtap_deliver_queued_pdus not found")
	}
	return sum, sc.Err()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
