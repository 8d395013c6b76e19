// Package demux splits span frames into per-timeslot 64 kbit/s streams:
// subscribers ask for (span, timeslot) and receive 20 ms chunks (160 octets)
// with the TDM frame number of the chunk's first octet. Every timeslot of a
// span keeps its last 0.5 s in a ring (HistoryFrames octets: about 130 KB
// per E1 span), so a subscriber may start in the past (SubscribeFrom: a
// content start processed late still gets the speech from the answer on).
// Chunks are slices of that ring, shared by every subscriber of the
// timeslot (no copy per subscriber); a chunk is valid only during the
// callback. Subscribing and unsubscribing are safe while frames flow; the
// frame path takes no lock and does not allocate.
package demux

import (
	"sync"
	"sync/atomic"

	"github.com/tdmtap/tdmtap/tdm"
)

// ChunkFrames is the chunk length in frames (octets per timeslot): 20 ms.
const ChunkFrames = tdm.FramesPerChunk

// MaxWidth is the widest frame handled (E1: 32 octets).
const MaxWidth = 32

// MaxGapFill is the largest frame gap filled with all ones inside chunks;
// longer gaps restart the chunks at the next frame received.
const MaxGapFill = 8000

// Func receives a chunk of one timeslot. chunk (160 octets) is shared by all
// subscribers of the timeslot and valid only during the call; firstFrame is
// the TDM frame number of chunk[0].
type Func func(chunk []byte, firstFrame uint64)

// Demux is a set of spans, found by name. It implements tdm.FrameSink.
type Demux struct {
	mu    sync.Mutex
	spans atomic.Pointer[map[string]*Span]
}

// New returns an empty demultiplexer.
func New() *Demux {
	d := &Demux{}
	m := map[string]*Span{}
	d.spans.Store(&m)
	return d
}

// Span returns the span called name, creating it on first use. Feeding its
// Frames method directly saves the lookup by name.
func (d *Demux) Span(name string) *Span {
	if s := (*d.spans.Load())[name]; s != nil {
		return s
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := *d.spans.Load()
	if s := old[name]; s != nil {
		return s
	}
	s := newSpan(name)
	m := make(map[string]*Span, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = s
	d.spans.Store(&m)
	return s
}

// Subscribe registers fn for timeslot ts of span: E1 TS0..TS31, T1
// channels 1..24 (see tdm.SlotIndex). The returned cancel function
// removes it; after cancel returns fn is not called again except for a
// delivery already in progress on the frame path.
func (d *Demux) Subscribe(span string, ts int, fn Func) (cancel func()) {
	return d.Span(span).Subscribe(ts, fn)
}

// Frames implements tdm.FrameSink. Frames of unknown spans are dropped
// (nobody subscribed to them).
func (d *Demux) Frames(span string, first uint64, n int, slots []byte, width int) {
	if s := (*d.spans.Load())[span]; s != nil {
		s.Frames(first, n, slots, width)
	}
}

// SubscribeFrom is Subscribe starting at TDM frame start: fn first receives
// the span's history from start on (chunks of 160 frames, start the first
// frame of the first), then live chunks, with no gap and no duplicate. A
// start older than the history (HistoryFrames) begins at the oldest frame
// kept and adds the frames missed to Span.Shortfall; a start not yet
// received waits for it. The history chunks are delivered on the frame path
// at the span's next frames.
func (d *Demux) SubscribeFrom(span string, ts int, start uint64, fn Func) (cancel func()) {
	return d.Span(span).SubscribeFrom(ts, start, fn)
}

// HistoryFrames is the history kept for every timeslot of a span: 0.5 s.
const HistoryFrames = 4000

// ringLen is the history ring plus a mirror of its first chunk, so that
// every 160-frame chunk, wherever it starts, is one contiguous slice.
const ringLen = HistoryFrames + ChunkFrames

type sub struct {
	fn   Func
	dead atomic.Bool
	// Frame path only: from (want) is the first frame wanted (fromSet:
	// SubscribeFrom); next is the first frame of the next chunk once
	// placed.
	from    uint64
	fromSet bool
	placed  bool
	next    uint64
}

type snapshot struct {
	active []int            // timeslots with subscribers
	subs   [MaxWidth][]*sub // per timeslot
}

// Span demultiplexes one span. Frames must be called from one goroutine at a
// time (the span's source); Subscribe/cancel from any goroutine.
type Span struct {
	name string
	mu   sync.Mutex
	snap atomic.Pointer[snapshot]
	// hist[idx] holds octet idx of frame f at f%HistoryFrames (and the
	// first chunk's positions again at +HistoryFrames); frames lo..next-1
	// are valid.
	hist [MaxWidth][ringLen]byte
	lo   uint64
	next uint64
	seen bool
	// Gaps counts frame-number gaps (frames not delivered by the source).
	Gaps atomic.Uint64
	// Shortfall counts frames asked for by SubscribeFrom that were older
	// than the history.
	Shortfall atomic.Uint64
}

func newSpan(name string) *Span {
	s := &Span{name: name}
	s.snap.Store(&snapshot{})
	return s
}

// Name returns the span name.
func (s *Span) Name() string { return s.name }

// Subscribe registers fn for timeslot ts; see Demux.Subscribe. Its chunks
// start at the first frame received after it.
func (s *Span) Subscribe(ts int, fn Func) (cancel func()) {
	return s.subscribe(ts, &sub{fn: fn})
}

// SubscribeFrom registers fn for timeslot ts from frame start; see
// Demux.SubscribeFrom.
func (s *Span) SubscribeFrom(ts int, start uint64, fn Func) (cancel func()) {
	return s.subscribe(ts, &sub{fn: fn, from: start, fromSet: true})
}

func (s *Span) subscribe(ts int, sb *sub) (cancel func()) {
	if ts < 0 || ts >= MaxWidth {
		return func() {}
	}
	s.mu.Lock()
	old := s.snap.Load()
	nw := *old
	if len(old.subs[ts]) == 0 {
		nw.active = append(append([]int(nil), old.active...), ts)
	}
	nw.subs[ts] = append(append([]*sub(nil), old.subs[ts]...), sb)
	s.snap.Store(&nw)
	s.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { s.unsubscribe(ts, sb) }) }
}

func (s *Span) unsubscribe(ts int, sb *sub) {
	sb.dead.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	nw := *old
	nw.subs[ts] = nil
	for _, x := range old.subs[ts] {
		if x != sb {
			nw.subs[ts] = append(nw.subs[ts], x)
		}
	}
	if len(nw.subs[ts]) == 0 {
		nw.active = nil
		for _, a := range old.active {
			if a != ts {
				nw.active = append(nw.active, a)
			}
		}
	}
	s.snap.Store(&nw)
}

// Subscribers returns the number of subscribers of timeslot ts.
func (s *Span) Subscribers(ts int) int {
	if ts < 0 || ts >= MaxWidth {
		return 0
	}
	return len(s.snap.Load().subs[ts])
}

// Frames takes n frames of width octets (slots[f*width+ts]) starting at
// frame number first. Every timeslot goes into the history. A gap in frame
// numbers up to MaxGapFill frames is filled with all ones so chunks stay on
// the TDM clock; a longer gap (or numbering going back) drops the history
// and restarts the chunks at first.
func (s *Span) Frames(first uint64, n int, slots []byte, width int) {
	if width > MaxWidth || n <= 0 {
		return
	}
	snap := s.snap.Load()
	switch {
	case !s.seen:
		s.lo, s.next, s.seen = first, first, true
	case first == s.next:
	case first > s.next && first-s.next <= MaxGapFill:
		s.Gaps.Add(1)
		// Fill in steps shorter than the history, delivering between
		// them, so subscribers get every filled chunk.
		for s.next < first {
			end := min(first, s.next+HistoryFrames/2)
			for f := s.next; f < end; f++ {
				p := f % HistoryFrames
				for idx := range width {
					s.hist[idx][p] = 0xFF
					if p < ChunkFrames {
						s.hist[idx][p+HistoryFrames] = 0xFF
					}
				}
			}
			s.advance(end)
			s.deliver(snap, width)
		}
	default:
		s.Gaps.Add(1)
		s.lo, s.next = first, first
		for _, ts := range snap.active {
			for _, sb := range snap.subs[ts] {
				sb.next = first
			}
		}
	}
	// Place new subscribers before this batch: a live one starts here, a
	// SubscribeFrom one at its frame within the history.
	for _, ts := range snap.active {
		for _, sb := range snap.subs[ts] {
			if !sb.placed {
				s.place(sb, first, n)
			}
		}
	}
	for f := range n {
		fr := first + uint64(f)
		p := fr % HistoryFrames
		row := slots[f*width : f*width+width]
		for idx, o := range row {
			s.hist[idx][p] = o
		}
		if p < ChunkFrames {
			for idx, o := range row {
				s.hist[idx][p+HistoryFrames] = o
			}
		}
	}
	s.advance(first + uint64(n))
	s.deliver(snap, width)
}

// advance marks the frames before next written.
func (s *Span) advance(next uint64) {
	s.next = next
	if s.next-s.lo > HistoryFrames {
		s.lo = s.next - HistoryFrames
	}
}

// deliver hands every placed subscriber its complete chunks.
func (s *Span) deliver(snap *snapshot, width int) {
	for _, ts := range snap.active {
		idx, ok := tdm.SlotIndex(width, ts)
		if !ok {
			continue
		}
		h := &s.hist[idx]
		for _, sb := range snap.subs[ts] {
			for sb.placed && sb.next+ChunkFrames <= s.next && !sb.dead.Load() {
				if sb.next < s.lo {
					// Overtaken by a history too short for it.
					sb.next = s.lo
					continue
				}
				p := sb.next % HistoryFrames
				sb.fn(h[p:p+ChunkFrames], sb.next)
				sb.next += ChunkFrames
			}
		}
	}
}

// place sets a new subscriber's first frame; first is the first frame of
// the batch of n about to be written (s.next), which evicts the oldest
// frames.
func (s *Span) place(sb *sub, first uint64, n int) {
	sb.placed = true
	sb.next = first
	lo := s.lo
	if end := first + uint64(n); end-lo > HistoryFrames {
		lo = end - HistoryFrames
	}
	switch {
	case !sb.fromSet || sb.from > first+MaxGapFill:
		// Live (or a start too far ahead to be meant).
	case sb.from < lo:
		s.Shortfall.Add(lo - sb.from)
		sb.next = lo
	default:
		sb.next = sb.from
	}
}

var _ tdm.FrameSink = (*Demux)(nil)
