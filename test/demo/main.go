// Command demo is `make demo`: it builds tdmtap, switchsim and lemf, starts
// them as separate processes on loopback with the bundled configuration
// (tdmtap.yaml and warrants.yaml next to this file, ports replaced by free
// ones), runs a few hundred calls of every scenario of which some hit
// warrants, stops everything cleanly, checks what the monitoring centre
// received against the simulator's ground truth (lemf does, with --truth:
// its exit code is the verdict), and prints a summary. The exit code is 0
// only when lemf's checks passed (and the gateway stopped cleanly without a
// number in its log).
//
//	go run ./test/demo [--out out/demo] [--bin bin] [--calls 300] [--rate 10] [--hold 1s] [--seed 1]
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/test/e2e"
)

//go:embed tdmtap.yaml
var configYAML string

//go:embed warrants.yaml
var warrantsYAML string

func main() { os.Exit(run()) }

func run() int {
	out := flag.String("out", filepath.Join("out", "demo"), "output directory (emptied first)")
	bin := flag.String("bin", "bin", "where to build the binaries")
	noBuild := flag.Bool("no-build", false, "use the binaries already in --bin")
	calls := flag.Int("calls", 300, "calls to make")
	rate := flag.Float64("rate", 10, "calls started per second")
	hold := flag.Duration("hold", time.Second, "conversation time (varied ±50 %)")
	seed := flag.Int64("seed", 1, "simulator seed")
	mix := flag.String("mix", "answered=20,unanswered=10,busy=10,target-orig=8,target-term=8,fwd-from-target=6,fwd-to-target=6,reset=10,overlap=12,suspend=10",
		"scenario weights (switchsim --mix)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "demo: "+format+"\n", a...)
		return 1
	}
	if err := os.RemoveAll(*out); err != nil {
		return fail("%v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail("%v", err)
	}
	if !*noBuild {
		fmt.Printf("building tdmtap, switchsim and lemf into %s/ ...\n", *bin)
		if err := e2e.BuildBinaries(ctx, *bin); err != nil {
			return fail("%v", err)
		}
	}
	cfgPath, targets, err := writeConfig(*out)
	if err != nil {
		return fail("%v", err)
	}
	r := &e2e.BinRun{
		Bin: *bin, Out: *out, Config: cfgPath, Link: "switch", OPC: "2-200-3", DPC: "2-200-4",
		SimArgs: []string{"--calls", strconv.Itoa(*calls), "--rate", strconv.FormatFloat(*rate, 'f', -1, 64),
			"--concurrency", "60", "--hold", hold.String(), "--ring", "150ms", "--gap", "10ms", "--mix", *mix,
			"--targets", strings.Join(targets, ","), "--target-share", "0.15", "--country-code", "44",
			"--seed", strconv.FormatInt(*seed, 10)},
		Progress:      os.Stdout,
		HeadTolerance: e2e.TightHead, TailTolerance: e2e.TightTail, MaxLossFill: e2e.TightLossFill,
	}
	res, err := r.Execute(ctx)
	if err != nil {
		return fail("%v", err)
	}
	return summary(res, *out, time.Since(start))
}

// writeConfig writes the bundled config into dir with every port replaced
// by a free one (UDP for the spans, TCP for the rest), and the warrants
// next to it; it returns the config path and the target numbers.
func writeConfig(dir string) (string, []string, error) {
	tmp := filepath.Join(dir, "bundled.yaml")
	if err := os.WriteFile(tmp, []byte(configYAML), 0o644); err != nil {
		return "", nil, err
	}
	wpath := filepath.Join(dir, "warrants.yaml")
	if err := os.WriteFile(wpath, []byte(warrantsYAML), 0o644); err != nil {
		return "", nil, err
	}
	cfg, err := config.Load(tmp)
	_ = os.Remove(tmp)
	if err != nil {
		return "", nil, fmt.Errorf("bundled config: %w", err)
	}
	udp := map[string]bool{}
	for _, s := range cfg.Spans {
		udp[s.Listen] = true
	}
	addrs := map[string]bool{cfg.Metrics.Listen: true}
	for _, l := range cfg.Links {
		for _, a := range l.Local {
			addrs[a] = true
		}
	}
	for _, d := range cfg.Destinations {
		addrs[d.HI2], addrs[d.HI3] = true, true
	}
	for a := range udp {
		addrs[a] = true
	}
	text := configYAML
	var ports e2e.Ports
	defer ports.Release()
	for a := range addrs {
		if a == "" {
			continue
		}
		network := "tcp"
		if udp[a] {
			network = "udp"
		}
		free, err := ports.Pick(network)
		if err != nil {
			return "", nil, err
		}
		text = strings.ReplaceAll(text, a+" ", free+" ")
		text = strings.ReplaceAll(text, a+"\n", free+"\n")
	}
	p := filepath.Join(dir, "tdmtap.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		return "", nil, err
	}
	// The simulator calls every target of the warrants (international form).
	set, err := cfg.WarrantSet()
	if err != nil {
		return "", nil, err
	}
	seen := map[string]bool{}
	var targets []string
	plan := set.Plan()
	for _, w := range set.Warrants() {
		for _, t := range w.Targets {
			k, err := plan.CanonicalTarget(t.Number)
			if err == nil && !seen[k] {
				seen[k] = true
				targets = append(targets, "+"+k)
			}
		}
	}
	sort.Strings(targets)
	return p, targets, nil
}

func summary(res *e2e.BinResult, out string, took time.Duration) int {
	t := res.Truth.Totals
	rep := res.Report
	fmt.Println()
	fmt.Println("=== tdmtap demo ===")
	var sc []string
	for k, v := range t.ByScenario {
		sc = append(sc, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(sc)
	fmt.Printf("calls seen:        %d (%d answered, %d ISUP messages); %s\n", t.Calls, t.Answered, t.Messages, strings.Join(sc, ", "))
	byLIID := map[string]int{}
	for _, ic := range res.Expect.Intercepts {
		byLIID[ic.LIID]++
	}
	var li []string
	for k, v := range byLIID {
		li = append(li, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(li)
	fmt.Printf("intercepts:        %d calls hit warrants -> %d intercepts received of %d expected (%s); %d calls produced nothing, as they must\n",
		res.Expect.TargetCalls, rep.Received, rep.Expected, strings.Join(li, ", "), res.Expect.Calls-res.Expect.TargetCalls)
	fmt.Printf("IRI records:       BEGIN %d, CONTINUE %d, END %d (+ %d media records)\n",
		rep.IRIByType["BEGIN"], rep.IRIByType["CONTINUE"], rep.IRIByType["END"], rep.Media)
	fmt.Printf("content:           fromTarget %.1f s, toTarget %.1f s (%.1f s + %.1f s of it checked bit-exact against the simulator's pattern)\n",
		float64(rep.ContentOctets[0])/8000, float64(rep.ContentOctets[1])/8000, float64(rep.PatternOctets[0])/8000, float64(rep.PatternOctets[1])/8000)
	fmt.Printf("                   pattern missing at a call's start/end: at most %.0f / %.0f ms; loss-filled %d octets\n",
		float64(rep.HeadMissing)/8, float64(rep.TailMissing)/8, rep.LossFilled[0]+rep.LossFilled[1])
	wavs, _ := filepath.Glob(filepath.Join(res.LEMFDir, "*.wav"))
	lo, hi := 0, 0
	for _, st := range res.LEMF.Streams {
		if lo == 0 || st.Port < lo {
			lo = st.Port
		}
		hi = max(hi, st.Port)
	}
	fmt.Printf("outputs:           %s: iri.jsonl, cc.pcap (tshark -r %s -d udp.port==%d-%d,rtp), %d WAV files, summary.json, expected.json, check.json\n",
		res.LEMFDir, filepath.Join(res.LEMFDir, "cc.pcap"), lo, hi, len(wavs))
	fmt.Printf("                   %s: tdmtap.yaml, tdmtap.log, truth.json (what the switch sent)\n", out)
	verdict := "PASSED"
	if res.LEMFExit != 0 {
		verdict = "FAILED"
	}
	fmt.Printf("lemf's verdict:    %s (exit code %d): its own checks (sequence numbers, decoding, framing) and the run against the ground truth (lemf --truth, report in %s)\n",
		verdict, res.LEMFExit, filepath.Join(res.LEMFDir, "check.json"))
	fmt.Printf("took:              %s\n", took.Round(100*time.Millisecond))
	if res.LEMFExit != 0 {
		fmt.Println(res.LEMFOutput)
	}
	if res.LEMFExit != 0 || len(res.Extra) > 0 {
		fmt.Printf("DEMO FAILED: lemf exit code %d, %d problems besides\n", res.LEMFExit, len(res.Extra))
		for _, e := range res.Extra {
			fmt.Println("  - " + e)
		}
		return 1
	}
	fmt.Println("DEMO PASSED: lemf found every intercept, IRI record and content octet as the ground truth says, nothing for non-targets; no numbers in the gateway log")
	return 0
}
