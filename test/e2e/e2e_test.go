package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

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
		TargetShare: 0.3,
		CountryCode: "44",
		Seed:        7,
	}
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

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// verify checks the run against its expectation, per scenario, and the
// gateway's log for numbers.
func verify(t *testing.T, h *Harness, opt expect.CheckOptions) *expect.Report {
	t.Helper()
	e := h.Expect
	for _, w := range e.Warnings {
		t.Errorf("expectation: %s", w)
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
	if leaked := LeakedNumbers(e, h.Log.String()); len(leaked) > 0 {
		t.Errorf("gateway log carries %d party numbers, e.g. %s", len(leaked), leaked[0])
	}
	if os.Getenv("E2E_KEEP") != "" {
		t.Logf("gateway log:\n%s", h.Log.String())
	}
	return rep
}

func TestITUGatewaySGP(t *testing.T) {
	h := run(t, Run{Setup: Setup{Variant: isup.ITU}, Sim: simConfig(40)})
	verify(t, h, expect.CheckOptions{})
}
