package switchsim

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/tdm/pw"
)

// batchFrames is how many frames are generated at a time (1 ms).
const batchFrames = 8

// maxCatchUp is the most batches sent per 1 ms tick: after a stall the
// lag is made up at up to 16× the line rate (a 5 ms CESoPSN span then
// bursts at most 4 packets per tick, which the receiver's socket and
// jitter buffers take in their stride). At 4× a generator starved of CPU
// for more than 4 ms per tick never caught up, and its lag (seconds, on a
// loaded 2-core machine) was counted as the receiver's latency.
const maxCatchUp = 16

// lagBuckets is the lateness histogram's size: 1 ms buckets, the last
// one open-ended.
const lagBuckets = 2001

// Idle codes.
const (
	IdleALaw = 0xD5
	IdleULaw = 0xFF
)

// SlotIndex is the octet index of bearer timeslot ts in a span frame as the
// e1 deframers deliver it: E1 ts (TS0..TS31 = index 0..31), T1 channel
// ts 1..24 = index 0..23.
func SlotIndex(t1 bool, ts int) int {
	if t1 {
		return ts - 1
	}
	return ts
}

type spanGen struct {
	s      Span
	t1     bool
	width  int
	idle   byte
	e1f    *e1.E1Framer
	t1f    *e1.T1Framer
	satop  *pw.SAToPPacketizer
	ces    *pw.CESoPSNPacketizer
	conn   *net.UDPConn
	chans  [32]*chanState
	slots  []byte // batchFrames × width
	bits   []byte
	frames uint64
	pkts   uint64
	errs   uint64
	send   func([]byte) error
}

type chanState struct {
	seed uint64
	bt   *BearerTruth
}

type bearerCmd struct {
	at    uint64 // frame number due (from the wall clock when issued)
	span  int
	idx   int
	start bool
	seed  uint64
	bt    *BearerTruth
	done  chan struct{} // stop: closed once the frames before the stop are sent
}

// bearer generates all spans on one frame clock.
type bearer struct {
	spans   []*spanGen
	byName  map[string]int
	speed   float64
	mu      sync.Mutex
	pending []bearerCmd
	frame   uint64 // next frame (generator goroutine; read under mu)
	t0      time.Time
	started bool
	carried uint64
	stopped bool
	maxLag  uint64 // most frames the generator was behind the wall clock
	late    uint64 // ticks that found it more than a batch behind
	// lagHist counts batches by how late they were sent (wall clock at
	// sending less the due time of their last frame), in 1 ms buckets.
	lagHist [lagBuckets]uint64
}

// lagPercentile returns the q-quantile (0..1) of the send lateness, as the
// upper edge of its 1 ms bucket (0 when nothing was sent).
func (b *bearer) lagPercentile(q float64) time.Duration {
	var total uint64
	for _, n := range b.lagHist {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var acc uint64
	for i, n := range b.lagHist {
		acc += n
		if acc >= rank {
			return time.Duration(i+1) * time.Millisecond
		}
	}
	return lagBuckets * time.Millisecond
}

func newBearer(spans []Span, speed float64, seed int64) (*bearer, error) {
	b := &bearer{byName: map[string]int{}, speed: speed}
	for i, s := range spans {
		g := &spanGen{s: s, t1: s.Framing.T1()}
		if g.t1 {
			g.width, g.idle = e1.T1Channels, IdleULaw
			g.t1f = e1.NewT1Framer(e1.T1Config{ESF: s.Framing == "t1-esf"})
		} else {
			g.width, g.idle = e1.E1Timeslots, IdleALaw
			g.e1f = e1.NewE1Framer(e1.E1Config{CRC4: s.Framing == "e1-crc4"})
		}
		g.slots = make([]byte, batchFrames*g.width)
		g.bits = make([]byte, 0, batchFrames*e1.E1Timeslots+8)
		h := pw.Header{RTP: s.RTP, PT: 96, SSRC: uint32(mix64(uint64(seed)+uint64(i)+1) >> 32)}
		switch s.Kind {
		case CESoPSN:
			ts := s.Timeslots
			if len(ts) == 0 {
				for t := 1; t <= s.Framing.MaxTimeslot(); t++ {
					ts = append(ts, t)
				}
			}
			fpp := batchFrames
			if s.Payload > 0 {
				fpp = s.Payload / len(ts)
			}
			p, err := pw.NewCESoPSNPacketizer(h, pw.CESoPSNConfig{Width: g.width, Slots: ts, FramesPerPacket: fpp})
			if err != nil {
				return nil, fmt.Errorf("switchsim: span %s: %w", s.Name, err)
			}
			g.ces = p
		default:
			pl := s.Payload
			if pl <= 0 {
				pl = pw.SAToPE1Payload
				if g.t1 {
					pl = pw.SAToPT1Payload
				}
			}
			g.satop = pw.NewSAToPPacketizer(h, pl)
			if g.t1 {
				g.satop.FrameBits = e1.T1FrameBits
			}
		}
		raddr, err := net.ResolveUDPAddr("udp", s.Dest)
		if err != nil {
			return nil, fmt.Errorf("switchsim: span %s: %w", s.Name, err)
		}
		conn, err := net.DialUDP("udp", nil, raddr)
		if err != nil {
			return nil, fmt.Errorf("switchsim: span %s: %w", s.Name, err)
		}
		_ = conn.SetWriteBuffer(1 << 20)
		g.conn = conn
		g.send = func(pkt []byte) error {
			g.pkts++
			if _, err := g.conn.Write(pkt); err != nil {
				g.errs++ // nobody listening yet, or a full buffer: the frame clock goes on
			}
			return nil
		}
		b.byName[s.Name] = i
		b.spans = append(b.spans, g)
	}
	return b, nil
}

// start begins the pattern of bt on its span and timeslot at the next batch.
func (b *bearer) start(bt *BearerTruth) {
	b.cmd(bt, true)
}

// stop ends it at the frame the wall clock says now, and returns once the
// generator has sent every frame before that one: the speech on the
// circuit precedes the release on the link, as on a real trunk (a
// generator running late holds the release back rather than letting it
// overtake the bearer).
func (b *bearer) stop(bt *BearerTruth) {
	b.cmd(bt, false)
}

func (b *bearer) cmd(bt *BearerTruth, start bool) {
	if bt.Span == "" {
		return
	}
	i, ok := b.byName[bt.Span]
	if !ok {
		return
	}
	c := bearerCmd{span: i, idx: SlotIndex(b.spans[i].t1, bt.Timeslot), start: start, seed: bt.Seed, bt: bt}
	if !start {
		c.done = make(chan struct{})
	}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	// The command takes effect at the frame the wall clock says now, so
	// a generator running late (a loaded machine) still puts the window
	// where the signalling put it on the frame clock.
	if b.started {
		c.at = uint64(time.Since(b.t0).Seconds() * 8000 * b.speed)
	}
	b.pending = append(b.pending, c)
	b.mu.Unlock()
	if c.done != nil {
		<-c.done
	}
}

// apply carries out the commands due before the end of the next batch
// (all of them when force).
func (b *bearer) apply(force bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.pending {
		if !force && c.at >= b.frame+batchFrames {
			break
		}
		n++
		g := b.spans[c.span]
		if c.idx < 0 || c.idx >= g.width {
			if c.done != nil {
				close(c.done)
			}
			continue
		}
		if c.start {
			g.chans[c.idx] = &chanState{seed: c.seed, bt: c.bt}
			c.bt.Carried, c.bt.FirstFrame = true, b.frame
			continue
		}
		if cs := g.chans[c.idx]; cs != nil && cs.bt == c.bt {
			g.chans[c.idx] = nil
			if b.frame == 0 || b.frame-1 < c.bt.FirstFrame {
				c.bt.Carried = false
			} else {
				c.bt.LastFrame = b.frame - 1
				b.carried += c.bt.LastFrame - c.bt.FirstFrame + 1
			}
		}
		if c.done != nil {
			close(c.done)
		}
	}
	k := copy(b.pending, b.pending[n:])
	b.pending = b.pending[:k]
}

// batch generates and sends frames b.frame .. b.frame+7 on every span.
func (b *bearer) batch() {
	b.apply(false)
	for _, g := range b.spans {
		for i := range g.slots {
			g.slots[i] = g.idle
		}
		for idx, cs := range g.chans {
			if cs == nil {
				continue
			}
			for f := 0; f < batchFrames; f++ {
				g.slots[f*g.width+idx] = PatternOctet(cs.seed, b.frame+uint64(f))
			}
		}
		if g.ces != nil {
			_ = g.ces.WriteFrames(batchFrames, g.slots, g.width, g.send)
		} else {
			g.bits = g.bits[:0]
			for f := 0; f < batchFrames; f++ {
				row := g.slots[f*g.width : (f+1)*g.width]
				if g.t1f != nil {
					g.bits = g.t1f.AppendFrame(g.bits, row)
				} else {
					g.bits = g.e1f.AppendFrame(g.bits, row)
				}
			}
			_ = g.satop.Write(g.bits, g.send)
		}
		g.frames += batchFrames
	}
	b.mu.Lock()
	b.frame += batchFrames
	b.mu.Unlock()
}

// begin fixes the wall-clock time of frame 0 (before run starts).
func (b *bearer) begin(t0 time.Time) {
	b.mu.Lock()
	b.t0, b.started = t0, true
	b.mu.Unlock()
}

// run paces the frames at 8000/s × speed until ctx ends; then it stops
// every channel still carrying a pattern and closes the sockets.
func (b *bearer) run(ctx context.Context) {
	b.mu.Lock()
	if !b.started {
		b.t0, b.started = time.Now(), true
	}
	t0 := b.t0
	b.mu.Unlock()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var sent uint64
	for {
		select {
		case <-ctx.Done():
			b.finish()
			return
		case <-tick.C:
		}
		due := uint64(time.Since(t0).Seconds() * 8000 * b.speed)
		due -= due % batchFrames
		if due > sent+batchFrames {
			b.late++
			b.maxLag = max(b.maxLag, due-sent)
		}
		// After a stall, catch up at most 4 packets per tick: the lag is
		// made up at 4× the line rate instead of in one burst that a
		// receiver's socket buffer or jitter buffer might not absorb.
		for n := 0; sent < due && n < maxCatchUp; n++ {
			b.batch()
			sent += batchFrames
			lag := time.Since(t0) - time.Duration(float64(sent)/(8000*b.speed)*float64(time.Second))
			b.lagHist[min(max(int(lag/time.Millisecond), 0), lagBuckets-1)]++
		}
	}
}

func (b *bearer) finish() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.apply(true)
	for _, g := range b.spans {
		for idx, cs := range g.chans {
			if cs != nil {
				if b.frame > cs.bt.FirstFrame {
					cs.bt.LastFrame = b.frame - 1
					b.carried += cs.bt.LastFrame - cs.bt.FirstFrame + 1
				} else {
					cs.bt.Carried = false
				}
				g.chans[idx] = nil
			}
		}
		_ = g.conn.Close()
	}
}

func (b *bearer) truth() []SpanTruth {
	out := make([]SpanTruth, 0, len(b.spans))
	for _, g := range b.spans {
		frames := g.frames
		if g.satop != nil {
			bits := uint64(e1.E1FrameBits)
			if g.t1 {
				bits = e1.T1FrameBits
			}
			frames = min(frames, g.pkts*uint64(g.satop.PayloadBytes)*8/bits)
		} else {
			fpp := uint64(g.ces.Config().FramesPerPacket)
			frames = min(frames, g.pkts*fpp)
		}
		out = append(out, SpanTruth{Name: g.s.Name, Dest: g.s.Dest, Framing: string(g.s.Framing), Kind: string(g.s.Kind), Frames: frames, Packets: g.pkts})
	}
	return out
}
