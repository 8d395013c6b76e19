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

// TestSpanClockStall: a host stall of more than a second (the chunks of
// 1.3 s arrive in a burst at its end) does not move the estimate, so a
// release processed during the burst keeps its content tail; a lasting step
// with the numbering going on is followed after a second of frames.
func TestSpanClockStall(t *testing.T) {
	var c spanClock
	ms := int64(time.Millisecond)
	base := int64(1e18)
	end := uint64(0)
	chunk := func(late int64) {
		end += 160
		c.observe(base+int64(end)*int64(frameDur)+late*ms, end)
	}
	for range 50 {
		chunk(30) // one second on time
	}
	want := func(what string, at int64, f uint64) {
		t.Helper()
		if got, _ := c.frameAt(base+at*ms, 30*time.Millisecond); got < f-1 || got > f+1 {
			t.Errorf("%s: frame at %d ms: %d, want %d", what, at, got, f)
		}
	}
	want("on time", 1000, 8000)
	// 1.3 s stall: the backlog arrives from 2.33 s on, 1 ms apart.
	stallEnd := int64(1000 + 1300 + 30)
	for i := range 65 {
		e := end + 160
		c.observe(base+(stallEnd+int64(i))*ms, e)
		end = e
		if i == 10 {
			want("during the burst", stallEnd+int64(i), uint64(stallEnd+int64(i))*8)
		}
	}
	want("after the burst", 2400, 2400*8)
	// The line clock steps by 3 s with the numbering going on: followed
	// once a second of frames stayed above.
	for range 60 {
		chunk(3030)
	}
	at := (int64(end)*int64(frameDur))/ms + 3030
	want("after a lasting step", at, end+30*8) // 30 ms of latency: the line is ahead
}
