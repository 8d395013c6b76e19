package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/test/expect"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// simConfig is a short run: every scenario in turn, hold times of a few
// hundred milliseconds.
func simConfig(calls int) switchsim.Config {
	mix, _ := switchsim.ParseMix("all")
	return switchsim.Config{
		Calls:       calls,
		Rate:        25,
		Concurrency: 20,
		Hold:        400 * time.Millisecond,
		Ring:        60 * time.Millisecond,
		Gap:         5 * time.Millisecond,
		Mix:         mix,
		RoundRobin:  true,
		Targets:     Targets,
		TargetShare: 0.7,
		CountryCode: "44",
		Seed:        seed(),
	}
}

// seed is 3 (a seed whose runs intercept every scenario), or E2E_SEED.
func seed() int64 {
	if v, err := strconv.ParseInt(os.Getenv("E2E_SEED"), 10, 64); err == nil {
		return v
	}
	return 3
}

// run executes r and fails the test on harness errors.
func run(t *testing.T, r Run) *Harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var simLog SyncBuffer
	h, err := Execute(ctx, t.TempDir(), r, &simLog)
	if h != nil && h.Log != nil && t.Failed() {
		t.Logf("gateway log:\n%s", tail(h.Log.String(), 40))
	}
	if err != nil {
		if h != nil {
			t.Logf("gateway log:\n%s", tail(h.Log.String(), 60))
		}
		t.Fatalf("run: %v (simulator log: %s)", err, tail(simLog.String(), 20))
	}
	if h.SimErr != nil {
		t.Fatalf("simulator: %v\n%s", h.SimErr, tail(simLog.String(), 20))
	}
	return h
}

// Tolerances of the end-to-end checks (see verify); TestBinaries gives
// lemf the same.
const (
	e2eHeadTolerance = -0 // frames; Check's zero: none missing
	e2eTailTolerance = 160
	e2eMaxLossFill   = -1 // none
)

// verify checks the run against its expectation, per scenario, and the
// gateway's log for numbers.
func verify(t *testing.T, h *Harness, opt expect.CheckOptions) *expect.Report {
	t.Helper()
	e := h.Expect
	for _, w := range e.Warnings {
		t.Errorf("expectation: %s", w)
	}
	// Content is checked bit-exact from the first pattern octet to the
	// last: the gateway starts content when it has processed ANM, before
	// the pattern reaches it, and keeps it after REL until the bearer has
	// passed the release (the jitter buffer and the 20 ms chunking lag the
	// signalling). So nothing may be missing at either end, beyond what a
	// scheduling stall of the simulator's bearer goroutine can shift: one
	// chunk at the end (the release point is estimated from the bearer's
	// arrival times), nothing at the start; and no pattern octet may arrive
	// as loss fill (the gateway's UDP receive buffer holds bursts).
	if opt.HeadTolerance == 0 {
		opt.HeadTolerance = e2eHeadTolerance
	}
	if opt.TailTolerance == 0 {
		opt.TailTolerance = e2eTailTolerance
	}
	if opt.MaxLossFill == 0 {
		opt.MaxLossFill = e2eMaxLossFill
	}
	rep := h.Check(opt)
	t.Logf("%s", rep.Summary())
	// Every scenario of the run, its intercepts and their problems.
	perScenario := map[string]int{}
	for _, ic := range e.Intercepts {
		perScenario[ic.Scenario]++
	}
	for _, sc := range switchsim.Scenarios {
		t.Run(string(sc), func(t *testing.T) {
			if perScenario[string(sc)] == 0 {
				t.Skipf("no intercepted %s call in this run", sc)
			}
			for _, msg := range rep.Errors {
				if strings.Contains(msg, "("+string(sc)+",") {
					t.Error(msg)
				}
			}
		})
	}
	for _, msg := range rep.Errors {
		if !strings.Contains(msg, "call ") {
			t.Error(msg)
		}
	}
	if rep.Matched != len(e.Intercepts) || rep.Received != rep.Matched {
		t.Errorf("intercepts: expected %d, received %d, matched %d", len(e.Intercepts), rep.Received, rep.Matched)
	}
	if e.TargetCalls == 0 || e.TargetCalls == e.Calls {
		t.Errorf("run has %d intercepted calls of %d: want some of each", e.TargetCalls, e.Calls)
	}
	log := h.Log.String()
	if leaked := LeakedNumbers(e, log); len(leaked) > 0 {
		t.Errorf("gateway log carries %d party numbers, e.g. %s", len(leaked), leaked[0])
	}
	// The bridge promises its logs carry no LIID either.
	for _, l := range e.LIIDs {
		if strings.Contains(log, l) {
			t.Errorf("gateway log carries LIID %s", l)
		}
	}
	if os.Getenv("E2E_KEEP") != "" {
		t.Logf("gateway log:\n%s", h.Log.String())
	}
	return rep
}

// TestITUGatewaySGP: ITU ISUP, RFC 4666 M3UA, the gateway as SGP (the
// switch connects), E1 with CRC-4 over SAToP, content as RTP in iPMMCC.
// It also proves the checker catches a missing, a corrupted and an
// extra PDU, and that one call under two warrants gives two intercepts.
func TestITUGatewaySGP(t *testing.T) {
	h := run(t, Run{Setup: Setup{Variant: isup.ITU}, Sim: simConfig(60)})
	rep := verify(t, h, expect.CheckOptions{})
	if rep.PatternOctets[0] == 0 || rep.PatternOctets[1] == 0 {
		t.Errorf("no content checked: %v", rep.PatternOctets)
	}
	twoWarrants(t, h)
	t.Run("checker", func(t *testing.T) { checkerCatches(t, h) })
}

// twoWarrants: calls of the first target match two warrants and give two
// intercepts with their own CINs.
func twoWarrants(t *testing.T, h *Harness) {
	t.Helper()
	byCall := map[int][]string{}
	for _, ic := range h.Expect.Intercepts {
		byCall[ic.Call] = append(byCall[ic.Call], ic.LIID)
	}
	n := 0
	for _, l := range byCall {
		if len(l) == 2 {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no call matched two warrants")
	}
	cins := map[uint32]string{}
	for _, x := range h.Collector.Observed().IRI {
		if prev, ok := cins[x.CIN]; ok && prev != x.LIID {
			t.Errorf("CIN %d used by %s and %s", x.CIN, prev, x.LIID)
		}
		cins[x.CIN] = x.LIID
	}
	t.Logf("%d calls matched two warrants", n)
}

// checkerCatches mutates what the LEMF received and expects Check to fail.
func checkerCatches(t *testing.T, h *Harness) {
	base := h.Collector.Observed()
	mutate := map[string]func(o *expect.Observed){
		"drop an IRI record": func(o *expect.Observed) { o.IRI = append(o.IRI[:3], o.IRI[4:]...) },
		"flip a content octet": func(o *expect.Observed) {
			for i := range o.CC {
				if len(o.CC[i].Data) > 100 {
					o.CC[i].Data = append([]byte(nil), o.CC[i].Data...)
					o.CC[i].Data[100] ^= 0x10
					return
				}
			}
		},
		"an intercept of a non-target": func(o *expect.Observed) {
			x := o.IRI[0]
			x.CIN = 99999999
			o.IRI = append(o.IRI, x)
		},
		"a wrong IRI type": func(o *expect.Observed) {
			for i := range o.IRI {
				if o.IRI[i].Rec.Type == hi2.Continue && o.IRI[i].Rec.Contents == "eTSI671IRI" {
					o.IRI[i].Rec.Type = hi2.Report
					return
				}
			}
		},
	}
	for name, f := range mutate {
		o := &expect.Observed{IRI: append([]expect.IRIRecord(nil), base.IRI...), CC: append([]expect.CCRecord(nil), base.CC...)}
		f(o)
		rep := expect.Check(h.Expect, o, expect.CheckOptions{})
		if rep.OK() {
			t.Errorf("%s: the check passed", name)
		} else {
			t.Logf("%s: %s", name, rep.Errors[0])
		}
	}
}

// TestANSIGatewayASP: ANSI ISUP, T1 ESF spans, the gateway as ASP (it
// connects to the switch's SGP), content as raw octets in pstnIsdnCC.
func TestANSIGatewayASP(t *testing.T) {
	// Debug logging: not even debug lines may carry a number.
	h := run(t, Run{Setup: Setup{Variant: isup.ANSI, GatewayASP: true, CCFormat: "pstnIsdnCC", LogLevel: "debug"}, Sim: simConfig(50)})
	verify(t, h, expect.CheckOptions{})
}

// TestInbandContent: content_start acm-inband and a switch that sends ACM
// with in-band information: the backward direction (ringback) is
// intercepted from the ACM, also for calls never answered.
func TestInbandContent(t *testing.T) {
	sc := simConfig(30)
	sc.InBand = true
	h := run(t, Run{Setup: Setup{Variant: isup.ITU, ContentACM: true}, Sim: sc})
	verify(t, h, expect.CheckOptions{})
	n := 0
	for _, ic := range h.Expect.Intercepts {
		if !ic.Answered && len(ic.Content) > 0 {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no unanswered intercepted call with content in this run")
	}
}

// TestDraft6 runs the legacy draft-6 M3UA DATA form, ITU with the gateway
// as ASP and ANSI with the gateway as SGP.
func TestDraft6(t *testing.T) {
	t.Run("itu-asp", func(t *testing.T) {
		h := run(t, Run{Setup: Setup{Variant: isup.ITU, Draft6: true, GatewayASP: true}, Sim: simConfig(30)})
		verify(t, h, expect.CheckOptions{})
	})
	t.Run("ansi-sgp", func(t *testing.T) {
		h := run(t, Run{Setup: Setup{Variant: isup.ANSI, Draft6: true}, Sim: simConfig(30)})
		verify(t, h, expect.CheckOptions{})
	})
}

// TestLEMFOutage takes the LEMF down for a while in the middle of a run:
// every IRI record still arrives (from the gateway's durable spool, in
// order, duplicates allowed), content received is still bit-exact.
func TestLEMFOutage(t *testing.T) {
	down := make(chan time.Time, 1)
	var upAt time.Time
	r := Run{Setup: Setup{Variant: isup.ITU}, Sim: simConfig(40), Quiet: 3 * time.Second}
	r.During = func(ctx context.Context, h *Harness) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-ctx.Done():
			return
		}
		h.Collector.Stop()
		down <- time.Now()
		t.Logf("LEMF down at %s", time.Now().Format("15:04:05.000"))
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
		}
		upAt = time.Now()
		t.Logf("LEMF up at %s", upAt.Format("15:04:05.000"))
		if err := h.Collector.Restart(); err != nil {
			t.Errorf("LEMF restart: %v", err)
		}
	}
	h := run(t, r)
	var downAt time.Time
	select {
	case downAt = <-down:
	default:
		t.Fatal("the LEMF was never taken down")
	}
	rep := verify(t, h, expect.CheckOptions{AllowCCLoss: true})
	// IRI produced while the LEMF was away arrived after it came back.
	held := 0
	for _, x := range h.Collector.Observed().IRI {
		if x.Time.After(downAt) && x.Time.Before(upAt) && x.Received.After(upAt) {
			held++
		}
	}
	if held == 0 {
		t.Errorf("no IRI record was produced during the outage and delivered after it")
	}
	t.Logf("IRI records held in the spool during the outage: %d", held)
	t.Logf("replayed IRI PDUs: %d, CC lost: %d", rep.Duplicates, rep.CCLost)
}

// TestBinaries runs the real binaries (built here) as separate processes:
// lemf, tdmtap run, switchsim; lemf's own checks must pass and its outputs
// must match the ground truth.
func TestBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three binaries")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := BuildBinaries(ctx, bin); err != nil {
		t.Fatal(err)
	}
	var ports Ports
	lemfAddr, err := ports.Pick("tcp")
	if err != nil {
		t.Fatal(err)
	}
	cfgDir := filepath.Join(dir, "cfg")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := writeConfig(cfgDir, Setup{Variant: isup.ITU, Metrics: true}, lemfAddr, lemfAddr, "", &ports)
	ports.Release()
	if err != nil {
		t.Fatal(err)
	}
	r := &BinRun{Bin: bin, Out: filepath.Join(dir, "out"), Config: cfg, Link: "sw", OPC: "2-200-3", DPC: "2-200-4",
		SimArgs: []string{"--calls", "30", "--rate", "20", "--concurrency", "20", "--hold", "400ms", "--ring", "60ms", "--gap", "5ms",
			"--mix", "all", "--round-robin", "--targets", strings.Join(Targets, ","), "--target-share", "0.7",
			"--country-code", "44", "--seed", "3"},
		HeadTolerance: TightHead, TailTolerance: TightTail, MaxLossFill: TightLossFill}
	res, err := r.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", res.Report.Summary())
	if res.LEMFExit != 0 {
		t.Errorf("lemf exit code %d:\n%s", res.LEMFExit, tail(res.LEMFOutput, 30))
	}
	for _, e := range res.Report.Errors {
		t.Error(e)
	}
	if res.Report.Matched == 0 || res.Report.PatternOctets[0] == 0 {
		t.Errorf("nothing intercepted: %+v", res.Report)
	}
	if !strings.Contains(res.GatewayLog, "tdmtap stopped") {
		t.Errorf("the gateway did not stop cleanly:\n%s", tail(res.GatewayLog, 20))
	}
	wavs, _ := filepath.Glob(filepath.Join(res.LEMFDir, "*.wav"))
	if len(wavs) == 0 {
		t.Errorf("lemf wrote no WAV file")
	}
	t.Run("lemf-check-catches", func(t *testing.T) {
		lemfCheckCatches(t, filepath.Join(bin, "lemf"), res.LEMFDir, filepath.Join(r.Out, "truth.json"), cfg)
	})
}
