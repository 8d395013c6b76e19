package bridge

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// latencyEnv is an env whose bearer reaches the bridge 30 ms late (as
// behind a 30 ms jitter buffer), with the bridge told so.
func latencyEnv(t *testing.T, grace time.Duration) *env {
	e := newEnv(t, func(c *Config) {
		c.BearerLatency = func(string) time.Duration { return 30 * time.Millisecond }
		c.ReleaseGrace = grace
	})
	return e
}

// noGraceTimer keeps the tail's wall-clock grace timer from firing: the
// test feeds the bearer by hand, and a loaded machine may take longer than
// the grace between two feeds (TestReleaseTailGrace tests the timer).
func noGraceTimer(e *env) {
	e.b.afterFunc = func(_ time.Duration, f func()) *time.Timer { return time.AfterFunc(time.Hour, f) }
}

// TestReleaseContentTail: the IRI-END goes out when REL is processed; the
// content goes on until the bearer has passed the release (30 ms of
// latency: two more chunks), then stops.
func TestReleaseContentTail(t *testing.T) {
	e := latencyEnv(t, 0)
	noGraceTimer(e)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	onLine := e.clock
	e.clock = e.clock.Add(30 * time.Millisecond) // the bearer lags by 30 ms
	first := e.frame
	e.feed(160 * 5)
	e.send(time.Minute, pcA, rel(5, 16))
	nAtRel := len(e.decoded())
	if e.dm.Span(spanAtB).Subscribers(5) != 1 {
		t.Fatal("content stopped at the release")
	}
	e.feed(160 * 4)
	e.send(time.Second, pcB, msg(isup.RLC, 5))

	ps := e.decoded()
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA END")
	checkHeaders(t, ps, "LIID-ONE")
	// 5 chunks before the release and the 2 that carry the last 30 ms.
	checkContent(t, ps, "LIID-ONE", spanAtB, spanBtA, [2]int{5, 21}, first, 7, 8)
	if ps[nAtRel-1].hi != 2 || ps[nAtRel-1].iri.Type.String() != "END" {
		t.Errorf("the last PDU at the release is not the IRI-END")
	}
	if n := len(ps) - nAtRel; n != 4 {
		t.Errorf("%d CC PDUs after the IRI-END, want 4", n)
	}
	// PDU timestamps: when the content was on the line.
	if cc := only(ps, "LIID-ONE", 3); len(cc) == 0 || !cc[0].cc.Time.Equal(onLine) {
		t.Errorf("first CC PDU not stamped %v (arrival less chunk and latency)", onLine)
	}
	if e.dm.Span(spanAtB).Subscribers(5) != 0 || e.dm.Span(spanBtA).Subscribers(21) != 0 {
		t.Error("timeslots still subscribed after the tail")
	}
	if got := testutil.ToFloat64(e.b.m.tails); got != 1 {
		t.Errorf("tails metric %v", got)
	}
	e.b.tailMu.Lock()
	if len(e.b.tails) != 0 {
		t.Errorf("%d tails left", len(e.b.tails))
	}
	e.b.tailMu.Unlock()
}

// TestReleaseTailGrace: a span that goes silent at the release does not
// hold the session: the grace timer ends the tail.
func TestReleaseTailGrace(t *testing.T) {
	e := latencyEnv(t, 20*time.Millisecond)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.clock = e.clock.Add(30 * time.Millisecond)
	e.feed(160 * 5)
	e.send(time.Minute, pcA, rel(5, 16))
	deadline := time.Now().Add(5 * time.Second)
	for e.dm.Span(spanAtB).Subscribers(5) != 0 || e.dm.Span(spanBtA).Subscribers(21) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the tail of a silent span was never ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.feed(160 * 4)
	if n := len(only(e.decoded(), "LIID-ONE", 3)); n != 10 {
		t.Errorf("%d CC PDUs, want 10 (none after the grace)", n)
	}
}

// TestReleaseTailBoundedInFrames: a span whose frames keep coming but
// whose clock estimate is far off is cut after the grace's worth of frames.
func TestReleaseTailBoundedInFrames(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.BearerLatency = func(string) time.Duration { return time.Hour }
		c.ReleaseGrace = 100 * time.Millisecond // 800 frames: 5 chunks
	})
	noGraceTimer(e)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160 * 2)
	e.send(time.Minute, pcA, rel(5, 16))
	e.feed(160 * 10)
	if n := len(only(e.decoded(), "LIID-ONE", 3)); n != 2*(2+5) {
		t.Errorf("%d CC PDUs, want %d", n, 2*(2+5))
	}
}

// TestCloseStopsTail: Close ends content tails too.
func TestCloseStopsTail(t *testing.T) {
	e := latencyEnv(t, time.Minute)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.clock = e.clock.Add(30 * time.Millisecond)
	e.feed(160 * 2)
	e.send(time.Minute, pcA, rel(5, 16))
	e.send(time.Second, pcB, msg(isup.RLC, 5))
	if e.dm.Span(spanAtB).Subscribers(5) != 1 {
		t.Fatal("no tail")
	}
	e.b.Close()
	if e.dm.Span(spanAtB).Subscribers(5) != 0 || e.dm.Span(spanBtA).Subscribers(21) != 0 {
		t.Error("Close left the tail subscribed")
	}
}

func TestSpanClock(t *testing.T) {
	var c spanClock
	if _, ok := c.frameAt(0, 0); ok {
		t.Fatal("estimate without observation")
	}
	ms := int64(time.Millisecond)
	base := int64(1e18)
	// Chunks arrive 30 ms after their end, one late by 15 ms.
	for i, late := range []int64{30, 45, 30, 31} {
		end := uint64(160 * (i + 1))
		c.observe(base+int64(end)*int64(frameDur)+late*ms, end)
	}
	// Wall time of frame 800 on the line: base + 100 ms.
	if f, _ := c.frameAt(base+100*ms, 30*time.Millisecond); f < 799 || f > 801 {
		t.Errorf("frame at 100 ms: %d, want 800", f)
	}
	// A step of more than a second (a restarted sender) is followed.
	c.observe(base+5*int64(time.Second), 10)
	if f, _ := c.frameAt(base+5*int64(time.Second), 0); f != 10 {
		t.Errorf("after a step: frame %d, want 10", f)
	}
}
