package expect

import (
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

func testSet(t *testing.T) *warrant.Set {
	t.Helper()
	plan := warrant.NumberPlan{CountryCode: "44", InternationalPrefix: "00", NationalPrefix: "0", AreaCode: "20", NSNMin: 9, NSNMax: 10}
	from, until := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	ws := []warrant.Warrant{
		{LIID: "A", Targets: []warrant.Target{{Number: "+442079460000"}}, Start: from, End: until, Delivery: warrant.IRIAndCC},
		{LIID: "B", Targets: []warrant.Target{{Number: "+442079460000"}, {Number: "+442079460002"}}, Start: from, End: until, Delivery: warrant.IRIOnly},
	}
	set, errs := warrant.NewSet(plan, ws)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return set
}

func truthMsgs(t0 time.Time, spec ...string) []switchsim.MessageTruth {
	var out []switchsim.MessageTruth
	for i, s := range spec {
		typ, from, _ := strings.Cut(s, "/")
		m := switchsim.MessageTruth{Type: typ, From: from, Time: t0.Add(time.Duration(i) * 10 * time.Millisecond)}
		if typ == "REL" {
			m.Cause = 16
		}
		out = append(out, m)
	}
	return out
}

func TestBuild(t *testing.T) {
	t0 := time.Now().UTC()
	nat := func(d string) *switchsim.NumberTruth { return &switchsim.NumberTruth{Digits: d, NAI: 3} }
	bearer := [2]switchsim.BearerTruth{
		{Dir: "fwd", Span: "ab", Timeslot: 1, Seed: 11, Carried: true, FirstFrame: 100, LastFrame: 899},
		{Dir: "bwd", Span: "ba", Timeslot: 1, Seed: 22, Carried: true, FirstFrame: 100, LastFrame: 899},
	}
	gt := &switchsim.GroundTruth{Version: switchsim.TruthVersion, Variant: "itu", Law: "alaw", IdleCode: 0xD5, Calls: []switchsim.CallTruth{
		// 1: the target (national form) calls: two warrants, originating.
		{ID: 1, Scenario: "target-orig", CIC: 1, Target: true, Calling: nat("2079460000"), Called: nat("7111111111"), Answered: true,
			Messages: truthMsgs(t0, "IAM/orig", "ACM/term", "ANM/term", "REL/orig", "RLC/term"), Bearer: bearer},
		// 2: a non-target call: nothing.
		{ID: 2, Scenario: "answered", CIC: 2, Calling: nat("7222222222"), Called: nat("7333333333"), Answered: true,
			Messages: truthMsgs(t0, "IAM/orig", "ACM/term", "ANM/term", "REL/term", "RLC/orig"), Bearer: bearer},
		// 3: overlap dialling to the third target: BEGIN at the SAM that
		// completes the number, IRI only.
		{ID: 3, Scenario: "overlap", CIC: 3, Target: true, Calling: nat("7444444444"), Called: nat("2079460002"), CalledInIAM: "2079",
			Messages: func() []switchsim.MessageTruth {
				m := truthMsgs(t0, "IAM/orig", "SAM/orig", "SAM/orig", "ACM/term", "REL/term", "RLC/orig")
				m[1].Digits, m[2].Digits = "460", "002"
				return m
			}(), Bearer: bearer},
	}}
	e, err := Build(gt, testSet(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Warnings) > 0 {
		t.Errorf("warnings: %v", e.Warnings)
	}
	if e.TargetCalls != 2 || len(e.Intercepts) != 3 {
		t.Fatalf("%d target calls, %d intercepts; want 2, 3", e.TargetCalls, len(e.Intercepts))
	}
	a, b, c := e.Intercepts[0], e.Intercepts[1], e.Intercepts[2]
	if a.LIID != "A" || b.LIID != "B" || c.LIID != "B" || c.Call != 3 {
		t.Fatalf("intercepts %s/%d %s/%d %s/%d", a.LIID, a.Call, b.LIID, b.Call, c.LIID, c.Call)
	}
	if got := strings.Join(a.Types(), ","); got != "BEGIN,CONTINUE,CONTINUE,END" || a.Direction != "originating-Target" || a.Cause != 16 || a.CauseParty != "originating-Party" {
		t.Errorf("call 1: %s %s cause %d %s", got, a.Direction, a.Cause, a.CauseParty)
	}
	if len(a.Content) != 2 || a.Content[0].Seed != 11 || a.Content[0].Octets != 800 || len(b.Content) != 0 {
		t.Errorf("call 1 content: %+v / IRI-only: %+v", a.Content, b.Content)
	}
	if a.Content[0].SHA256 != PatternSHA256(11, 100, 899) || len(a.Content[0].SHA256) != 64 {
		t.Errorf("sha256 %q", a.Content[0].SHA256)
	}
	if got := strings.Join(c.Types(), ","); got != "BEGIN,CONTINUE,END" || c.IRI[0].Msg != "SAM" || c.Called.Digits != "2079460002" || c.Direction != "terminating-Target" {
		t.Errorf("overlap: %s (%s) called %s %s", got, c.IRI[0].Msg, c.Called.Digits, c.Direction)
	}
	for _, n := range e.TargetNumbers {
		if n == "7222222222" {
			t.Errorf("non-target number listed as a target call's")
		}
	}
	if len(e.OtherNumbers) != 2 {
		t.Errorf("other numbers %v", e.OtherNumbers)
	}
	// Nothing received: every intercept is missing.
	rep := Check(e, &Observed{}, CheckOptions{})
	if rep.OK() || rep.Matched != 0 || len(rep.Errors) != 3 {
		t.Errorf("empty observation: %v", rep.Errors)
	}
}
