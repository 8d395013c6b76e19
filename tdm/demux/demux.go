// Package demux splits span frames into per-timeslot 64 kbit/s streams:
// subscribers ask for (span, timeslot) and receive 20 ms chunks (160 octets)
// with the TDM frame number of the chunk's first octet. There is one chunk
// buffer per timeslot, handed to every subscriber of that timeslot (no copy
// per subscriber); it is valid only during the callback. Subscribing and
// unsubscribing are safe while frames flow; the frame path takes no lock and
// does not allocate.
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

type sub struct {
	fn   Func
	dead atomic.Bool
}

type snapshot struct {
	active []int            // timeslots with subscribers
	subs   [MaxWidth][]*sub // per timeslot
	epoch  [MaxWidth]uint64 // bumped when a timeslot becomes active
}

type slotState struct {
	buf   [ChunkFrames]byte
	fill  int
	first uint64
	epoch uint64
}

// Span demultiplexes one span. Frames must be called from one goroutine at a
// time (the span's source); Subscribe/cancel from any goroutine.
type Span struct {
	name  string
	mu    sync.Mutex
	gen   uint64
	snap  atomic.Pointer[snapshot]
	slots [MaxWidth]slotState
	next  uint64
	seen  bool
	// Gaps counts frame-number gaps (frames not delivered by the source).
	Gaps atomic.Uint64
}

func newSpan(name string) *Span {
	s := &Span{name: name}
	s.snap.Store(&snapshot{})
	return s
}

// Name returns the span name.
func (s *Span) Name() string { return s.name }

// Subscribe registers fn for timeslot ts; see Demux.Subscribe.
func (s *Span) Subscribe(ts int, fn Func) (cancel func()) {
	if ts < 0 || ts >= MaxWidth {
		return func() {}
	}
	sb := &sub{fn: fn}
	s.mu.Lock()
	old := s.snap.Load()
	nw := *old
	if len(old.subs[ts]) == 0 {
		s.gen++
		nw.epoch[ts] = s.gen
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
// frame number first. A gap in frame numbers up to MaxGapFill frames is
// filled with all ones so chunks stay on the TDM clock.
func (s *Span) Frames(first uint64, n int, slots []byte, width int) {
	snap := s.snap.Load()
	if s.seen && first != s.next {
		s.Gaps.Add(1)
		if first > s.next && first-s.next <= MaxGapFill {
			s.fillGap(snap, s.next, int(first-s.next))
		} else {
			for i := range s.slots {
				s.slots[i].fill = 0
			}
		}
	}
	s.seen = true
	s.next = first + uint64(n)
	for _, ts := range snap.active {
		idx, ok := tdm.SlotIndex(width, ts)
		if !ok {
			continue
		}
		st := &s.slots[ts]
		if st.epoch != snap.epoch[ts] {
			st.epoch = snap.epoch[ts]
			st.fill = 0
		}
		subs := snap.subs[ts]
		src := slots[idx:]
		for f := 0; f < n; {
			if st.fill == 0 {
				st.first = first + uint64(f)
			}
			k := min(n-f, ChunkFrames-st.fill)
			dst := st.buf[st.fill : st.fill+k]
			s := src[f*width : (f+k-1)*width+1]
			for i := range dst {
				dst[i] = s[i*width]
			}
			st.fill += k
			f += k
			if st.fill == ChunkFrames {
				st.fill = 0
				for _, sb := range subs {
					if !sb.dead.Load() {
						sb.fn(st.buf[:], st.first)
					}
				}
			}
		}
	}
}

func (s *Span) fillGap(snap *snapshot, from uint64, n int) {
	for _, ts := range snap.active {
		st := &s.slots[ts]
		if st.epoch != snap.epoch[ts] {
			continue
		}
		for f := range n {
			if st.fill == 0 {
				st.first = from + uint64(f)
			}
			st.buf[st.fill] = 0xFF
			st.fill++
			if st.fill == ChunkFrames {
				st.fill = 0
				for _, sb := range snap.subs[ts] {
					if !sb.dead.Load() {
						sb.fn(st.buf[:], st.first)
					}
				}
			}
		}
	}
}

var _ tdm.FrameSink = (*Demux)(nil)
