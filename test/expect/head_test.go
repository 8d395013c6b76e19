package expect

import (
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// TestHeadMissingExplainedBySignallingLag: pattern frames missing at the
// start of a direction pass only when the gateway stamped the message that
// starts content (the last one sent before the pattern) at least that late;
// a late stamp of a message sent after the pattern started explains nothing.
func TestHeadMissingExplainedBySignallingLag(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const first, last, missing = 8000, 9599, 400 // 50 ms missing
	start := epoch.Add(time.Second)              // frame 8000
	seed := switchsim.PatternSeed(7, switchsim.Forward)
	data := make([]byte, 0, last-first+1)
	for f := uint64(first + missing); f <= last; f++ {
		data = append(data, switchsim.PatternOctet(seed, f))
	}
	e := &Expectation{IdleCode: 0xD5, BearerEpoch: epoch, FrameRate: 8000}
	c := &Content{PayloadDirection: FromTarget, Seed: seed, FirstFrame: first, LastFrame: last, Octets: last - first + 1}
	dir := []CCRecord{{Kind: hi3.ContentsPstnIsdnCC, Data: data}}
	for _, tc := range []struct {
		name          string
		sent, stamped time.Duration // relative to the first pattern frame
		ok            bool
	}{
		{"gateway on time", -time.Millisecond, 0, false},
		{"gateway 60 ms late", -time.Millisecond, 60 * time.Millisecond, true},
		{"gateway 30 ms late", -time.Millisecond, 30 * time.Millisecond, false},
		{"late stamp of a later message", 10 * time.Millisecond, 60 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ic := &Intercept{IRI: []Record{{Type: "CONTINUE", Msg: "ANM", Time: start.Add(tc.sent)}}}
			recs := []*IRIRecord{{Time: start.Add(tc.stamped)}}
			r := &Report{}
			checkContent(r, "call", c, dir, e, &CheckOptions{}, time.Time{}, signallingLag(e, ic, recs, first))
			if r.HeadMissing != missing {
				t.Errorf("head missing %d, want %d", r.HeadMissing, missing)
			}
			failed := strings.Contains(strings.Join(r.Errors, "\n"), "pattern frames missing")
			if failed == tc.ok {
				t.Errorf("errors %q, want ok=%v", r.Errors, tc.ok)
			}
		})
	}
}
