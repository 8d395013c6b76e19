package bridge

import (
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// secondCallEnv is a bridge behind a bearer lagging by 30 ms, without the
// grace timer, on which a first intercepted call (CIC 5, LIID-ONE) has set
// the spans' clocks and ended, and the IAM of a second one (CIC 6 to tgt2,
// LIID-TWO) has just been sent.
func secondCallEnv(t *testing.T) *env {
	t.Helper()
	e := latencyEnv(t, 0)
	noGraceTimer(e)
	// A first intercepted call sets the spans' clocks.
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.clock = e.clock.Add(30 * time.Millisecond) // the bearer lags by 30 ms
	e.feed(160 * 5)
	e.send(time.Minute, pcA, rel(5, 16))
	e.feed(160 * 4)
	e.send(time.Second, pcB, msg(isup.RLC, 5))

	// The second call: signalling stamped on the wall clock the bearer
	// is on.
	e.at = e.clock.Add(-30 * time.Millisecond)
	e.send(0, pcA, iam(6, other, tgt2))
	return e
}

// TestLateAnswerContentFromAnswerFrame: the ANM is processed 150 ms after
// the answer was on the line (a loaded gateway); content still starts at
// the answer frame, bit-exact and without a gap into live content, stamped
// with the answer's time, and takes nothing from before it.
func TestLateAnswerContentFromAnswerFrame(t *testing.T) {
	e := secondCallEnv(t)
	e.feed(160*3 + 40) // the answer is off the chunk grid of any live start
	answer := e.frame
	answerAt := e.clock.Add(-30 * time.Millisecond) // frame answer on the line
	e.feed(1200)                                    // 150 ms later ...
	e.at = answerAt
	e.tr.Handle(answerAt, 2, pcB, pcA, msg(isup.ANM, 6)) // ... the ANM is processed
	e.feed(1360)

	ps := e.decoded()
	e.wantTypes(ps, "LIID-TWO", "BEGIN CONTINUE MEDIA MEDIA")
	checkHeaders(t, ps, "LIID-TWO")
	// 150 ms + 170 ms from the answer frame: 16 chunks per direction.
	checkContent(t, ps, "LIID-TWO", spanAtB, spanBtA, [2]int{6, 22}, answer, 16, 8)
	if cc := only(ps, "LIID-TWO", 3); len(cc) == 0 || !cc[0].cc.Time.Equal(answerAt) {
		t.Errorf("first CC PDU not stamped with the answer time %v", answerAt)
	}
	if n := e.dm.Span(spanAtB).Shortfall.Load(); n != 0 {
		t.Errorf("shortfall %d frames", n)
	}
}

// TestLateAnswerBeyondHistory: an ANM processed later than the
// demultiplexer's history reaches starts at the oldest frame kept.
func TestLateAnswerBeyondHistory(t *testing.T) {
	e := secondCallEnv(t)
	e.feed(800)
	answer := e.frame
	answerAt := e.clock.Add(-30 * time.Millisecond)
	e.feed(6000) // 750 ms
	e.at = answerAt
	e.tr.Handle(answerAt, 2, pcB, pcA, msg(isup.ANM, 6))
	e.feed(8)
	oldest := e.frame - 4000
	ps := e.decoded()
	checkContent(t, ps, "LIID-TWO", spanAtB, spanBtA, [2]int{6, 22}, oldest, 25, 8)
	if n := e.dm.Span(spanAtB).Shortfall.Load(); n != oldest-answer {
		t.Errorf("shortfall %d frames, want %d", n, oldest-answer)
	}
}

// TestPromptAnswerStartsLive: an ANM processed within the bearer latency
// (its answer frame has not reached the demultiplexer yet) starts content
// live, at the next frame to arrive, as without history.
func TestPromptAnswerStartsLive(t *testing.T) {
	e := secondCallEnv(t)
	e.feed(880)
	// Received 10 ms ago: the frame on the line then reaches the
	// demultiplexer 20 ms from now.
	answerAt := e.clock.Add(-10 * time.Millisecond)
	e.at = answerAt
	e.tr.Handle(answerAt, 2, pcB, pcA, msg(isup.ANM, 6))
	live := e.frame
	e.feed(160 * 4)
	checkContent(t, e.decoded(), "LIID-TWO", spanAtB, spanBtA, [2]int{6, 22}, live, 4, 8)
}
