package bridge

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

func TestAnsweredTargetOriginates(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(2*time.Second, pcB, msg(isup.ACM, 5))
	e.send(5*time.Second, pcB, msg(isup.ANM, 5))
	first, clock0 := e.frame, e.clock
	e.feed(160 * 5)
	e.send(time.Minute, pcA, rel(5, 16))
	e.feed(160 * 2) // after release: no content
	e.send(time.Second, pcB, msg(isup.RLC, 5))

	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE CONTINUE MEDIA MEDIA END")
	cin := checkHeaders(t, ps, "LIID-ONE")
	iri := only(ps, "LIID-ONE", 2)
	for _, p := range ps {
		if p.dest != "lemf1" {
			t.Errorf("PDU to %q", p.dest)
		}
	}
	begin, ans, end := iri[0].iri, iri[2].iri, iri[5].iri
	if !begin.Time.Equal(t0) || !begin.Params.Time.Equal(t0) {
		t.Errorf("BEGIN time %v / %v, want the IAM's receive time %v", begin.Time, begin.Params.Time, t0)
	}
	if begin.Params.Direction != "originating-Target" || begin.Params.State != "setUpInProcess" || begin.Params.LIID != "LIID-ONE" {
		t.Errorf("BEGIN %+v", begin.Params)
	}
	e.wantParties(begin, partyWant{role: "originating-Party", calling: tgt1}, partyWant{role: "terminating-Party", called: other})
	if ans.Params.State != "connected" || !ans.Time.Equal(t0.Add(7*time.Second)) {
		t.Errorf("answer CONTINUE state %q time %v", ans.Params.State, ans.Time)
	}
	p := end.Params
	if p.Cause == nil || p.Cause.Value != 16 || p.Cause.Location != 2 || p.Ringing != "00:00:05" || p.Conversation != "00:01:00" || p.State != "idle" {
		t.Errorf("END cause %+v ringing %q conversation %q state %q", p.Cause, p.Ringing, p.Conversation, p.State)
	}
	if !end.Time.Equal(t0.Add(67 * time.Second)) {
		t.Errorf("END time %v", end.Time)
	}
	e.wantParties(end, partyWant{role: "originating-Party", calling: tgt1, params: []byte{0x12}})
	for _, m := range iri[3:5] {
		if m.iri.Media == nil || m.iri.Media.MediaFormat != 8 || m.iri.Media.CCLinkID != uint64(m.iri.Media.PayloadDirection+1) {
			t.Errorf("media info %+v", m.iri.Media)
		}
	}
	// Each media info names its direction's first CC PDU number.
	cc := only(ps, "LIID-ONE", 3)
	for _, m := range iri[3:5] {
		for _, c := range cc {
			if int(c.cc.Direction) == m.iri.Media.PayloadDirection {
				if uint64(c.p.Header.Seq) != m.iri.Media.FirstPDUNumber {
					t.Errorf("media info first PDU %d, first CC PDU of direction %d has seq %d", m.iri.Media.FirstPDUNumber, c.cc.Direction, c.p.Header.Seq)
				}
				break
			}
		}
	}
	// Target originates: from target is what pcA sends (span a, TS 5).
	checkContent(t, ps, "LIID-ONE", spanAtB, spanBtA, [2]int{5, 21}, first, 5, 8)
	// CC timestamps: the wall clock at the first chunk, then the TDM clock.
	var k [2]int
	for _, c := range cc {
		d := c.cc.Direction
		want := clock0.Add(time.Duration(k[d]) * 20 * time.Millisecond)
		if !c.cc.Time.Equal(want) || !c.p.Header.Time.Equal(want) {
			t.Errorf("CC dir %d chunk %d time %v / %v, want %v", d, k[d], c.cc.Time, c.p.Header.Time, want)
		}
		k[d]++
	}
	wantAudit := []string{
		fmt.Sprintf("intercept.start liid=LIID-ONE cin=%d", cin),
		fmt.Sprintf("intercept.end liid=LIID-ONE cin=%d reason=release", cin),
	}
	if !slices.Equal(e.audit.rec, wantAudit) {
		t.Errorf("audit %q, want %q", e.audit.rec, wantAudit)
	}
	if e.dm.Span(spanAtB).Subscribers(5) != 0 || e.dm.Span(spanBtA).Subscribers(21) != 0 {
		t.Error("timeslots still subscribed after release")
	}
	if e.b.Active() != 0 || testutil.ToFloat64(e.b.m.active) != 0 || testutil.ToFloat64(e.b.m.started) != 1 ||
		testutil.ToFloat64(e.b.m.ended) != 1 || testutil.ToFloat64(e.b.m.cc) != 10 || testutil.ToFloat64(e.b.m.iri[hi2.Continue]) != 2 ||
		testutil.ToFloat64(e.b.m.media) != 2 {
		t.Errorf("metrics/stats after the call: %+v", e.b.Stats())
	}
	if n, err := testutil.GatherAndCount(e.reg); err != nil || n == 0 {
		t.Errorf("registry: %d metrics, %v", n, err)
	}
	if !strings.Contains(e.logs.String(), fmt.Sprintf("cin=%d", cin)) {
		t.Errorf("logs do not mention the CIN:\n%s", e.logs.String())
	}
}

func TestAnsweredTargetTerminates(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(6, tgt1, other))
	e.send(time.Second, pcB, msg(isup.ACM, 6))
	e.send(time.Second, pcB, msg(isup.ANM, 6))
	first := e.frame
	e.feed(160*3 + 50) // a partial chunk is not delivered
	e.send(time.Second, pcB, rel(6, 16))
	e.send(time.Second, pcA, msg(isup.RLC, 6))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE CONTINUE MEDIA MEDIA END")
	checkHeaders(t, ps, "LIID-ONE")
	iri := only(ps, "LIID-ONE", 2)
	if d := iri[0].iri.Params.Direction; d != "terminating-Target" {
		t.Errorf("direction %q", d)
	}
	e.wantParties(iri[0].iri, partyWant{role: "originating-Party", calling: other}, partyWant{role: "terminating-Party", called: tgt1})
	// The called side released: its party carries the cause.
	e.wantParties(iri[5].iri, partyWant{role: "terminating-Party", called: tgt1, params: []byte{0x12}})
	// From target is what pcB sends (span b, TS 22).
	checkContent(t, ps, "LIID-ONE", spanBtA, spanAtB, [2]int{22, 6}, first, 3, 8)
}

func TestUnansweredAndBusy(t *testing.T) {
	e := newEnv(t)
	// Unanswered: the caller gives up while it rings.
	e.send(0, pcA, iam(7, tgt1, other))
	e.send(time.Second, pcB, msg(isup.ACM, 7))
	e.feed(160 * 2)
	e.send(20*time.Second, pcA, rel(7, 16))
	e.send(time.Second, pcB, msg(isup.RLC, 7))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE END")
	end := only(ps, "LIID-ONE", 2)[2].iri.Params
	if end.Ringing != "00:00:20" || end.Conversation != "" || end.Cause == nil || end.Cause.Value != 16 {
		t.Errorf("unanswered END ringing %q conversation %q cause %+v", end.Ringing, end.Conversation, end.Cause)
	}
	if len(only(ps, "LIID-ONE", 3)) != 0 {
		t.Error("content for an unanswered call")
	}

	// Busy: the far end refuses at once.
	e2 := newEnv(t)
	e2.send(0, pcA, iam(8, tgt1, other))
	e2.send(time.Second, pcB, rel(8, 17))
	e2.send(time.Second, pcA, msg(isup.RLC, 8))
	ps = e2.decoded()
	e2.wantTypes(ps, "LIID-ONE", "BEGIN END")
	end = only(ps, "LIID-ONE", 2)[1].iri.Params
	if end.Cause == nil || end.Cause.Value != 17 || end.Ringing != "" || end.Conversation != "" {
		t.Errorf("busy END cause %+v ringing %q conversation %q", end.Cause, end.Ringing, end.Conversation)
	}
	e2.wantParties(only(ps, "LIID-ONE", 2)[1].iri, partyWant{role: "terminating-Party", called: tgt1, params: []byte{0x12}})
}

func TestForwarded(t *testing.T) {
	e := newEnv(t)
	// A call to the target forwarded elsewhere: the IAM carries the target
	// as original called and redirecting number.
	m := iam(9, other, other2)
	m.OriginalCalled = num(isup.POriginalCalledNumber, tgt1)
	m.Redirecting = num(isup.PRedirectingNumber, tgt1)
	e.send(0, pcA, m)
	e.send(time.Second, pcB, msg(isup.ACM, 9))
	e.send(time.Second, pcB, rel(9, 16))
	e.send(time.Second, pcA, msg(isup.RLC, 9))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE END")
	begin := only(ps, "LIID-ONE", 2)[0].iri
	if begin.Params.Direction != "terminating-Target" {
		t.Errorf("direction %q", begin.Params.Direction)
	}
	e.wantParties(begin, partyWant{role: "originating-Party", calling: other2},
		partyWant{role: "terminating-Party", called: other, params: []byte{0x28, 0x0B}})
	for _, ip := range begin.Params.Parties[1].ISUPParams {
		if ip.Number == nil || ip.Number.Digits != tgt1 {
			t.Errorf("ISUP parameter %+v", ip)
		}
	}

	// A call between non-targets that the far exchange forwards to a target:
	// caught when the ACM brings the redirection number.
	e2 := newEnv(t)
	e2.send(0, pcA, iam(10, other, other2))
	acm := msg(isup.ACM, 10)
	acm.RedirectionNumber = num(isup.PRedirectionNumber, tgt2)
	e2.send(2*time.Second, pcB, acm)
	e2.send(time.Second, pcB, msg(isup.ANM, 10))
	e2.send(time.Second, pcA, rel(10, 16))
	ps = e2.decoded()
	e2.wantTypes(ps, "LIID-TWO", "BEGIN CONTINUE END")
	begin = only(ps, "LIID-TWO", 2)[0].iri
	if !begin.Time.Equal(t0.Add(2*time.Second)) || begin.Params.Direction != "terminating-Target" {
		t.Errorf("late BEGIN at %v direction %q", begin.Time, begin.Params.Direction)
	}
	e2.wantParties(begin, partyWant{role: "originating-Party", calling: other2}, partyWant{role: "terminating-Party", called: other},
		partyWant{role: "forwarded-to-Party", called: tgt2})
}

func TestResetMidCall(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(10, tgt1, other))
	e.send(time.Second, pcB, msg(isup.ACM, 10))
	e.send(time.Second, pcB, msg(isup.ANM, 10))
	first := e.frame
	e.feed(160 * 3)
	e.send(10*time.Second, pcB, msg(isup.RSC, 10))
	e.feed(160 * 2)
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE CONTINUE MEDIA MEDIA END")
	end := only(ps, "LIID-ONE", 2)[5].iri.Params
	if end.Cause != nil || end.Conversation != "00:00:10" {
		t.Errorf("reset END cause %+v conversation %q", end.Cause, end.Conversation)
	}
	checkContent(t, ps, "LIID-ONE", spanBtA, spanAtB, [2]int{26, 10}, first, 3, 8)
	if !strings.Contains(e.audit.rec[1], "reason=call-ended") {
		t.Errorf("audit %q", e.audit.rec)
	}
}

func TestOverlapDialling(t *testing.T) {
	e := newEnv(t)
	// The target's number completes only with the second SAM.
	e.send(0, pcA, iam(11, "207946", other))
	sam := func(d string) *isup.Message {
		m := msg(isup.SAM, 11)
		m.Subsequent = num(isup.PSubsequentNumber, d)
		return m
	}
	e.send(time.Second, pcA, sam("00"))
	if n := len(e.o.out); n != 0 {
		t.Fatalf("%d PDUs before the number is complete", n)
	}
	e.send(time.Second, pcA, sam("01"))
	e.send(time.Second, pcB, msg(isup.ACM, 11))
	e.send(time.Second, pcB, rel(11, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE END")
	begin := only(ps, "LIID-ONE", 2)[0].iri
	if !begin.Time.Equal(t0.Add(2*time.Second)) || begin.Params.Direction != "terminating-Target" {
		t.Errorf("BEGIN at %v direction %q", begin.Time, begin.Params.Direction)
	}
	e.wantParties(begin, partyWant{role: "originating-Party", calling: other}, partyWant{role: "terminating-Party", called: tgt1})

	// The target dials with overlap: BEGIN on the IAM, CONTINUE per SAM with
	// the called number so far.
	e2 := newEnv(t)
	e2.send(0, pcA, iam(12, "20794", tgt1))
	m := msg(isup.SAM, 12)
	m.Subsequent = num(isup.PSubsequentNumber, "69999")
	e2.send(time.Second, pcA, m)
	e2.send(time.Second, pcB, rel(12, 1))
	ps = e2.decoded()
	e2.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE END")
	iri := only(ps, "LIID-ONE", 2)
	e2.wantParties(iri[0].iri, partyWant{role: "originating-Party", calling: tgt1}, partyWant{role: "terminating-Party", called: "20794"})
	e2.wantParties(iri[1].iri, partyWant{role: "terminating-Party", called: other})
}

func TestSupervisionTimeout(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(13, tgt1, other))
	e.send(time.Second, pcB, msg(isup.ACM, 13))
	e.tr.Tick(e.at.Add(31 * time.Second))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE END")
	end := only(ps, "LIID-ONE", 2)[2].iri
	if !end.Time.Equal(t0.Add(32*time.Second)) || end.Params.Ringing != "00:00:31" || end.Params.Cause != nil {
		t.Errorf("timeout END at %v ringing %q cause %+v", end.Time, end.Params.Ringing, end.Params.Cause)
	}
	if e.b.Active() != 0 {
		t.Error("session left after the supervision timer")
	}
}

func TestTwoWarrantsTwoIntercepts(t *testing.T) {
	e := newEnv(t)
	// Target 1 calls target 2: two independent intercepts.
	e.send(0, pcA, iam(14, tgt2, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 14))
	first := e.frame
	e.feed(160 * 4)
	e.send(time.Second, pcA, rel(14, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA END")
	e.wantTypes(ps, "LIID-TWO", "BEGIN CONTINUE MEDIA MEDIA END")
	c1 := checkHeaders(t, ps, "LIID-ONE")
	c2 := checkHeaders(t, ps, "LIID-TWO")
	if c1 == c2 {
		t.Errorf("both intercepts have CIN %d", c1)
	}
	for _, p := range ps {
		if want := map[string]string{"LIID-ONE": "lemf1", "LIID-TWO": "lemf2"}[p.p.Header.LIID]; p.dest != want {
			t.Errorf("%s PDU to %s", p.p.Header.LIID, p.dest)
		}
	}
	if d := only(ps, "LIID-ONE", 2)[0].iri.Params.Direction; d != "originating-Target" {
		t.Errorf("LIID-ONE direction %q", d)
	}
	if d := only(ps, "LIID-TWO", 2)[0].iri.Params.Direction; d != "terminating-Target" {
		t.Errorf("LIID-TWO direction %q", d)
	}
	// LIID-ONE: iPMMCC, from target = span a TS 14. LIID-TWO (lemf2 takes
	// pstnIsdnCC): raw octets, from target = span b TS 30.
	checkContent(t, ps, "LIID-ONE", spanAtB, spanBtA, [2]int{14, 30}, first, 4, 8)
	checkContent(t, ps, "LIID-TWO", spanBtA, spanAtB, [2]int{30, 14}, first, 4, 8)
}

func TestNonTargetProducesNothing(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(15, other, other2))
	e.send(time.Second, pcB, msg(isup.ACM, 15))
	e.send(time.Second, pcB, msg(isup.ANM, 15))
	e.feed(160 * 3)
	e.send(time.Second, pcA, rel(15, 16))
	e.send(time.Second, pcB, msg(isup.RLC, 15))
	e.send(time.Second, pcB, msg(isup.RSC, 15))
	e.tr.Tick(e.at.Add(time.Hour))
	e.b.Tick(e.at.Add(time.Hour))
	if len(e.o.out) != 0 || len(e.audit.rec) != 0 || e.logs.Len() != 0 {
		t.Errorf("non-target call: %d PDUs, audit %q, logs %q", len(e.o.out), e.audit.rec, e.logs.String())
	}
	if e.dm.Span(spanAtB).Subscribers(15) != 0 {
		t.Error("non-target bearer subscribed")
	}
	if s := e.b.Stats(); s.Started != 0 || s.Matches == 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestReloadKeepsLiveIntercept(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(3, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 3))
	first := e.frame
	e.feed(160 * 2)
	// Revoke every warrant and change the destination's CC format: the live
	// intercept keeps its warrant and format until its call ends.
	empty, _ := warrant.NewSet(plan, nil)
	e.b.Reload(empty)
	e.b.SetDestinations(map[string]config.CCFormat{"lemf1": config.PstnIsdnCC})
	e.feed(160 * 2)
	e.send(time.Second, pcA, msg(isup.SUS, 3))
	e.send(time.Second, pcA, msg(isup.RES, 3))
	e.send(time.Second, pcA, rel(3, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA CONTINUE CONTINUE END")
	checkHeaders(t, ps, "LIID-ONE")
	checkContent(t, ps, "LIID-ONE", spanAtB, spanBtA, [2]int{3, 19}, first, 4, 8)
	n := len(e.o.out)
	// New calls see the new set: nothing.
	e.send(time.Second, pcA, iam(4, other, tgt1))
	if len(e.o.out) != n {
		t.Error("a revoked warrant still intercepts new calls")
	}
	// Reinstated: the next intercept gets a new, higher CIN.
	e.b.Reload(warrants(t))
	e.send(time.Second, pcA, msg(isup.RLC, 3))
	e.send(time.Second, pcA, iam(2, other, tgt1))
	ps = e.decoded()
	var cins []uint32
	for _, p := range only(ps, "LIID-ONE", 2) {
		if p.iri.Type == hi2.Begin {
			cins = append(cins, p.p.Header.CIN)
		}
	}
	if len(cins) != 2 || cins[1] <= cins[0] {
		t.Errorf("CINs %v", cins)
	}
}

func TestValidityWindow(t *testing.T) {
	e := newEnv(t)
	// Before the window opens: nothing.
	e.send(0, pcA, iam(1, tgt3, other))
	e.send(time.Second, pcA, rel(1, 16))
	if len(e.o.out) != 0 {
		t.Fatalf("%d PDUs before the warrant's start", len(e.o.out))
	}
	end := t0.Add(2 * time.Hour)
	e.at = end.Add(-30 * time.Second)
	e.send(0, pcA, iam(2, tgt3, other))
	e.send(time.Second, pcB, msg(isup.ANM, 2))
	e.clock = end.Add(-60 * time.Millisecond)
	first := e.frame
	e.feed(160 * 5) // chunks at -60, -40, -20 ms pass; at 0 and +20 ms not
	e.b.Tick(end.Add(-time.Second))
	e.b.Tick(end.Add(time.Second))
	e.feed(160 * 2)
	e.send(time.Minute, pcA, rel(2, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-WIN", "BEGIN CONTINUE MEDIA MEDIA END")
	checkContent(t, ps, "LIID-WIN", spanBtA, spanAtB, [2]int{18, 2}, first, 3, 8)
	last := only(ps, "LIID-WIN", 2)[4].iri
	if !last.Time.Equal(end) || last.Params.Cause != nil {
		t.Errorf("END at %v (cause %+v), want the warrant's end %v", last.Time, last.Params.Cause, end)
	}
	if !strings.Contains(e.audit.rec[len(e.audit.rec)-1], "reason=warrant-expired") {
		t.Errorf("audit %q", e.audit.rec)
	}
	if e.b.Stats().ChunkDropped != 4 {
		t.Errorf("dropped %d chunks, want 4", e.b.Stats().ChunkDropped)
	}
	// After the window: nothing.
	n := len(e.o.out)
	e.send(time.Second, pcA, iam(3, tgt3, other))
	if len(e.o.out) != n {
		t.Error("intercepted after the warrant's end")
	}
}

func TestContentOnInbandACMAndT1(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ContentStart = config.StartOnACMInband
		c.SpanT1 = func(string) bool { return true }
	})
	e.send(0, pcA, iam(5, other, tgt1))
	acm := msg(isup.ACM, 5)
	acm.OBCI = isup.OptionalBackwardCallIndicators{Present: true, Value: 1}
	e.send(time.Second, pcB, acm)
	first := e.frame
	e.feed(160 * 2)
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160)
	e.send(time.Second, pcA, rel(5, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA CONTINUE END")
	checkContent(t, ps, "LIID-ONE", spanAtB, spanBtA, [2]int{5, 21}, first, 3, 0)
	if m := only(ps, "LIID-ONE", 2)[2].iri.Media; m == nil || m.MediaFormat != 0 {
		t.Errorf("media info %+v", m)
	}
}

func TestCloseStopsContentWithoutEnd(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160)
	e.b.Close()
	e.feed(160)
	e.send(time.Second, pcA, rel(5, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA")
	if n := len(only(ps, "LIID-ONE", 3)); n != 2 {
		t.Errorf("%d CC PDUs, want 2", n)
	}
}

func TestClockCIN(t *testing.T) {
	now := CINEpoch.Add(1000 * time.Second)
	c := NewClockCIN(func() time.Time { return now })
	a, b := c.Next("x"), c.Next("y")
	if a != 1000 || b != 1001 {
		t.Errorf("CINs %d %d", a, b)
	}
	// A restart later starts at the clock, above what the last run gave.
	now = now.Add(10 * time.Second)
	if r := NewClockCIN(func() time.Time { return now }).Next("x"); r != 1010 {
		t.Errorf("after restart %d", r)
	}
	// Wraps below 10^8, skipping 0.
	now = CINEpoch.Add(MaxCIN * time.Second)
	if w := NewClockCIN(func() time.Time { return now }).Next("x"); w != 1 {
		t.Errorf("at wrap %d", w)
	}
}

func TestNewChecksConfig(t *testing.T) {
	st := &warrant.Store{}
	o := &recorder{}
	for _, c := range []Config{
		{Output: o, Node: node},
		{Warrants: st, Node: node},
		{Warrants: st, Output: o},
		{Warrants: st, Output: o, Node: config.Node{OperatorID: "this-operator-id-is-too-long"}},
		{Warrants: st, Output: o, Node: node, ContentStart: "later"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestGenericNumberDirection(t *testing.T) {
	for _, tc := range []struct {
		qualifier uint8
		want      string
	}{{6, "originating-Target"}, {1, "terminating-Target"}} {
		e := newEnv(t)
		m := iam(5, other, other2)
		m.Generic = num(isup.PGenericNumber, tgt1)
		m.Generic.Qualifier = tc.qualifier
		e.send(0, pcA, m)
		e.send(time.Second, pcB, rel(5, 16))
		ps := e.decoded()
		e.wantTypes(ps, "LIID-ONE", "BEGIN END")
		begin := only(ps, "LIID-ONE", 2)[0].iri
		if begin.Params.Direction != tc.want {
			t.Errorf("qualifier %d: direction %q, want %q", tc.qualifier, begin.Params.Direction, tc.want)
		}
		e.wantParties(begin, partyWant{role: "originating-Party", calling: other2, params: []byte{0xC0}}, partyWant{role: "terminating-Party", called: other})
	}
}

func TestIRIOnlyWarrant(t *testing.T) {
	e := newEnv(t)
	set, errs := warrant.NewSet(plan, []warrant.Warrant{{LIID: "LIID-IRI", Targets: []warrant.Target{{Number: "+44" + tgt1}},
		Roles: warrant.RoleCalled, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour), Delivery: warrant.IRIOnly, Destinations: []string{"lemf1", "lemf2"}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e.b.Reload(set)
	// The warrant counts the called role only: the target calling is not
	// intercepted.
	e.send(0, pcA, iam(4, other, tgt1))
	e.send(time.Second, pcA, rel(4, 16))
	if len(e.o.out) != 0 {
		t.Fatalf("%d PDUs for a role the warrant does not count", len(e.o.out))
	}
	e.send(time.Second, pcA, iam(5, tgt1, other))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160 * 3)
	if e.dm.Span(spanAtB).Subscribers(5) != 0 {
		t.Error("IRI-only intercept subscribed the bearer")
	}
	e.send(time.Second, pcB, rel(5, 16))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-IRI", "BEGIN BEGIN CONTINUE CONTINUE END END")
	var per = map[string]int{}
	for _, p := range ps {
		if p.hi != 2 {
			t.Errorf("HI%d PDU for an IRI-only warrant", p.hi)
		}
		per[p.dest]++
	}
	if per["lemf1"] != 3 || per["lemf2"] != 3 {
		t.Errorf("PDUs per destination %v", per)
	}
}
