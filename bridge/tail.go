package bridge

import (
	"math"
	"sync/atomic"
	"time"
)

// The bearer lags the signalling: a frame reaches the bridge after the
// source's jitter buffer (its depth plus a packet) and the demultiplexer's
// 20 ms chunking. So when REL is processed, the last part of the call's
// content is still on its way. A session that ends by release (or any
// other end of the call, but not by its warrant's expiry) therefore keeps
// its content subscriptions until the bearer clock has passed the moment
// the release was processed: the IRI-END goes out at once, the CC tail
// follows it (TS 102 232-1 does not forbid CC PDUs after IRI-END for the same
// CIN; content that was on the line before the release belongs to the call).
//
// The moment is mapped onto a span's frame clock with spanClock: from every
// chunk, arrival wall time − frame time of the chunk's end; the minimum of
// these (the least delayed chunks) is the wall time at which frame 0 would
// have arrived, and minus the span's configured bearer latency (jitter
// buffer + a packet) the wall time at which it was on the line. The minimum
// is allowed to creep upwards by 50 ppm (E1/T1 clock tolerance), so a span
// clock slower than the host's is followed. A chunk stalled by load arrives
// later than the minimum says: the tail waits for it, up to
// Config.ReleaseGrace (in frames past the last chunk delivered, and as a
// timer for a span that went silent), so a dead span never holds a session.
// A stall of more than a second (a starved host) leaves the minimum alone:
// the backlog that follows it comes back down to it. A real step of the
// span's clock (a restarted sender) is followed once a second of its frames
// has stayed more than a second above the minimum, or at once when the
// frame numbering went back too.

// DefaultReleaseGrace bounds the content tail after a release.
const DefaultReleaseGrace = 500 * time.Millisecond

// chunkDur is one 20 ms chunk.
const chunkDur = 160 * frameDur

type spanClock struct {
	off  atomic.Int64  // ns: min over chunks of arrival − end frame × 125 µs
	last atomic.Uint64 // end frame of the last observation
	set  atomic.Bool
	// A step in progress (observe only): the chunks since frame stepFrom
	// all arrived more than a second above off; stepMin is their minimum.
	stepping bool
	stepFrom uint64
	stepMin  int64
}

// stepFrames is a second of span frames: how long a step must last.
const stepFrames = 8000

// observe takes one chunk: its arrival (ns since the epoch) and the frame
// after its last octet. The span's source goroutine calls it (one writer
// per span). It does not allocate.
func (c *spanClock) observe(arrival int64, end uint64) {
	off := arrival - int64(end)*int64(frameDur)
	last := c.last.Load()
	if !c.set.Load() || (end+2*chunkFrames < last && off-c.off.Load() > int64(time.Second)) {
		// The first chunk, or the numbering went back and the clock
		// stepped: a new sender.
		c.off.Store(off)
		c.last.Store(end)
		c.set.Store(true)
		c.stepping = false
		return
	}
	cur := c.off.Load()
	if end > last {
		cur += int64(end-last) * 25 / 4 // 50 ppm of 125 µs per frame
		c.last.Store(end)
	}
	switch {
	case off < cur:
		cur = off
		c.stepping = false
	case off-cur > int64(time.Second):
		if !c.stepping || end < c.stepFrom {
			c.stepping, c.stepFrom, c.stepMin = true, end, off
		}
		c.stepMin = min(c.stepMin, off)
		if end-c.stepFrom >= stepFrames {
			cur = c.stepMin
			c.stepping = false
		}
	default:
		c.stepping = false
	}
	c.off.Store(cur)
}

// frameAt returns the first frame that was on the line at or after wall
// time t (ns), for a bearer latency of lat: frames below it came before t.
func (c *spanClock) frameAt(t int64, lat time.Duration) (uint64, bool) {
	if !c.set.Load() {
		return 0, false
	}
	d := t - c.off.Load() + int64(lat)
	if d <= 0 {
		return 0, true
	}
	f := (d + int64(frameDur) - 1) / int64(frameDur)
	if f < 0 || f > math.MaxInt64/2 {
		return 0, false
	}
	return uint64(f), true
}

// clock returns the span's clock estimate (created on first use).
func (b *Bridge) clock(span string) *spanClock {
	b.clkMu.Lock()
	defer b.clkMu.Unlock()
	c := b.clocks[span]
	if c == nil {
		if b.clocks == nil {
			b.clocks = map[string]*spanClock{}
		}
		c = &spanClock{}
		b.clocks[span] = c
	}
	return c
}

// drainContentLocked is the end of content at a call's end: directions
// whose bearer has not yet reached the release point keep their
// subscription until it has (see above); the others stop now.
func (s *session) drainContentLocked() {
	if !s.contentOn {
		return
	}
	b := s.b
	now := b.now().UnixNano()
	grace := b.grace
	graceFrames := uint64(grace / frameDur)
	tail := false
	for i, d := range s.dirs {
		if d == nil || s.cancels[i] == nil {
			continue
		}
		if !d.started {
			// No chunk yet: its media information would follow the
			// IRI-END. Stop (only a call released within a chunk and
			// a jitter buffer of its answer loses anything).
			s.cancelDirLocked(i)
			continue
		}
		stop, ok := d.clk.frameAt(now, d.lat)
		if !ok || d.next >= stop {
			s.cancelDirLocked(i)
			continue
		}
		d.stopAt = min(stop, d.next+graceFrames)
		d.draining = true
		tail = true
	}
	if !tail {
		s.stopContentLocked()
		return
	}
	b.m.tails.Inc()
	b.tailMu.Lock()
	b.tails[s] = struct{}{}
	b.tailMu.Unlock()
	s.tailTimer = b.afterFunc(grace, s.stopContent)
}

// cancelDirLocked ends one direction's subscription; content stops when
// both have.
func (s *session) cancelDirLocked(i int) {
	if c := s.cancels[i]; c != nil {
		c()
		s.cancels[i] = nil
	}
	if s.cancels[0] == nil && s.cancels[1] == nil {
		s.stopContentLocked()
	}
}
