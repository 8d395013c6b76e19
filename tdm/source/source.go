// Package source builds a running span source from its configuration: a
// SAToP or CESoPSN pseudowire on a UDP port, a raw recording, or DAHDI
// channels; it deframes where needed (e1/t1) and delivers batched, aligned
// frames to a tdm.FrameSink (normally the demultiplexer), exports the span's
// test-set counters to Prometheus and logs alarm changes.
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/tdm"
	"github.com/tdmtap/tdmtap/tdm/dahdi"
	"github.com/tdmtap/tdmtap/tdm/pw"
)

// Kinds of source.
const (
	SAToP   = "satop"
	CESoPSN = "cesopsn"
	File    = "file"
	DAHDI   = "dahdi"
)

// Config describes one span source.
type Config struct {
	Name    string // span name (the demultiplexer's key)
	Kind    string // satop, cesopsn, file, dahdi
	Framing string // e1, e1-crc4, t1-sf, t1-esf
	CAS     bool   // E1 TS16 CAS (deframer) / CESoPSN with CAS

	Listen      string        // satop, cesopsn: UDP host:port
	PayloadSize int           // satop, cesopsn: octets per packet (0: 256 E1 / 192 T1 for SAToP; 8 frames for CESoPSN)
	Timeslots   []int         // cesopsn: timeslots carried, in order (nil: all bearer timeslots)
	RTP         bool          // an RTP header precedes the control word (false: detected)
	Jitter      time.Duration // jitter buffer depth (0: 4 packets)
	// ReadBuffer is the UDP receive buffer asked for (SO_RCVBUF), so that
	// bursts queue in the kernel instead of being dropped (and played out
	// as loss fill); 0: pw.DefaultReadBuffer (4 MiB); negative: the
	// system's default. A kernel cap below it (net.core.rmem_max) is
	// logged at warn.
	ReadBuffer int

	Path string // file: raw recording
	Pace bool   // file: replay at line rate instead of as fast as possible

	DAHDIDevice    string // dahdi: device (default /dev/dahdi/channel)
	DAHDIChannel   int    // dahdi: DAHDI channel number of the span's first bearer timeslot (TS1 / channel 1)
	DAHDIBlockSize int    // dahdi: frames per read (0: 160)
	Ioctl          dahdi.Ioctl
}

// deframerName is the e1.NewDeframer framing for cfg: E1 framings take the
// CAS option as a suffix.
func (c *Config) deframerName() string {
	if c.CAS && strings.HasPrefix(c.Framing, "e1") {
		return c.Framing + "-cas"
	}
	return c.Framing
}

// Snapshot is a copy of a source's counters.
type Snapshot struct {
	Span     string
	Deframer e1.Stats // zero for CESoPSN and DAHDI (no deframer)
	Frames   uint64   // frames delivered to the sink
}

// Source is a configured span source; Run it once.
type Source struct {
	cfg   Config
	log   *slog.Logger
	sink  tdm.FrameSink
	batch *tdm.Batcher
	d     e1.Deframer // nil for CESoPSN and DAHDI (no deframer)
	width int         // octets per frame
	fbits int         // bits per frame
	conn  *net.UDPConn
	pkt   pw.PacketHandler
	// PW holds the pseudowire counters (satop, cesopsn).
	PW *pw.Stats

	mu     sync.Mutex
	snap   Snapshot
	frames uint64
	alarms e1.Alarm
	rdef   bool
	bits   int // line bits since the last refresh
}

// New validates cfg and prepares the source; for pseudowires it binds the
// UDP socket now (see Addr). Metrics go to reg when it is not nil.
func New(cfg Config, sink tdm.FrameSink, reg prometheus.Registerer, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Framing == "" {
		cfg.Framing = "e1"
	}
	s := &Source{cfg: cfg, log: log.With("span", cfg.Name), sink: sink, snap: Snapshot{Span: cfg.Name}}
	// The batcher's frame handler is bound now, the batcher made once the
	// deframer has told the frame width.
	d, err := e1.NewDeframer(cfg.deframerName(), func(fn uint64, slots []byte) { s.batch.Frame(fn, slots) })
	if err != nil {
		return nil, fmt.Errorf("span %s: %w", cfg.Name, err)
	}
	s.d, s.width, s.fbits = d, d.Timeslots(), d.FrameBits()
	w := s.width
	s.batch = tdm.NewBatcher(cfg.Name, w, 8, tdm.FrameSinkFunc(s.frames8))
	rtp := pw.RTPAuto
	if cfg.RTP {
		rtp = pw.RTPPresent
	}
	switch cfg.Kind {
	case SAToP:
		size := cfg.PayloadSize
		if size <= 0 {
			size = pw.SAToPE1Payload
			if w == tdm.T1Width {
				size = pw.SAToPT1Payload
			}
		}
		pktDur := time.Duration(size*8) * time.Second / time.Duration(s.fbits*8000)
		rx := pw.NewSAToPReceiver(pw.SAToPConfig{PayloadBytes: size, RTP: rtp, Depth: depth(cfg.Jitter, pktDur)},
			func(p []byte) { _, _ = s.d.Write(p); s.tick(len(p) * 8) })
		s.pkt, s.PW = rx, &rx.Stats
	case CESoPSN:
		s.d = nil
		ccfg, err := cesopsnConfig(&cfg, w, rtp)
		if err != nil {
			return nil, fmt.Errorf("span %s: %w", cfg.Name, err)
		}
		rx, err := pw.NewCESoPSNReceiver(cfg.Name, ccfg, tdm.FrameSinkFunc(func(_ string, first uint64, n int, slots []byte, w int) {
			s.frames8("", first, n, slots, w)
			s.tick(n * s.fbits)
		}))
		if err != nil {
			return nil, fmt.Errorf("span %s: %w", cfg.Name, err)
		}
		s.pkt, s.PW = rx, &rx.Stats
	case File:
		if cfg.Path == "" {
			return nil, fmt.Errorf("span %s: file source without a path", cfg.Name)
		}
	case DAHDI:
		s.d = nil
		if cfg.DAHDIChannel <= 0 {
			return nil, fmt.Errorf("span %s: dahdi source needs the first channel number", cfg.Name)
		}
	default:
		return nil, fmt.Errorf("span %s: source %q: want satop, cesopsn, file or dahdi", cfg.Name, cfg.Kind)
	}
	if s.pkt != nil {
		addr, err := net.ResolveUDPAddr("udp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("span %s: listen %q: %w", cfg.Name, cfg.Listen, err)
		}
		if s.conn, err = net.ListenUDP("udp", addr); err != nil {
			return nil, fmt.Errorf("span %s: %w", cfg.Name, err)
		}
		s.setReadBuffer()
	}
	if reg != nil {
		if err := reg.Register(s.collector()); err != nil {
			s.Close()
			return nil, fmt.Errorf("span %s metrics: %w", cfg.Name, err)
		}
		if s.PW != nil {
			if err := s.PW.Register(reg, cfg.Name, cfg.Kind); err != nil {
				s.Close()
				return nil, fmt.Errorf("span %s metrics: %w", cfg.Name, err)
			}
		}
	}
	return s, nil
}

// setReadBuffer applies Config.ReadBuffer to the pseudowire socket; a
// failure or a kernel cap is logged, not fatal (the span still works, it
// only drops bursts sooner).
func (s *Source) setReadBuffer() {
	want := s.cfg.ReadBuffer
	if want < 0 {
		return
	}
	if want == 0 {
		want = pw.DefaultReadBuffer
	}
	_, capped, err := pw.SetReadBuffer(s.conn, want)
	switch {
	case err != nil:
		s.log.Warn("pseudowire receive buffer not set", "err", err)
	case capped:
		s.log.Warn("pseudowire receive buffer capped by the kernel: bursts may arrive as loss fill; raise net.core.rmem_max")
	}
}

// cesopsnConfig is the CESoPSN receiver configuration for cfg: frames per
// packet from the payload size and the carried timeslots, and the jitter
// buffer depth from the packet duration.
func cesopsnConfig(cfg *Config, width int, rtp pw.RTPMode) (pw.CESoPSNConfig, error) {
	ccfg, err := pw.CESoPSNConfig{Width: width, Slots: cfg.Timeslots, CAS: cfg.CAS, RTP: rtp}.Normalized()
	if err != nil {
		return ccfg, err
	}
	if cfg.PayloadSize > 0 {
		n := len(ccfg.Slots)
		if cfg.PayloadSize%n != 0 {
			return ccfg, fmt.Errorf("CESoPSN payload %d is not whole frames of %d timeslots", cfg.PayloadSize, n)
		}
		ccfg.FramesPerPacket = cfg.PayloadSize / n
	}
	ccfg.Depth = depth(cfg.Jitter, time.Duration(ccfg.FramesPerPacket)*125*time.Microsecond)
	return ccfg, nil
}

func depth(jitter, pkt time.Duration) int {
	if jitter <= 0 || pkt <= 0 {
		return 0
	}
	return max(1, int((jitter+pkt-1)/pkt))
}

// Addr is the bound UDP address of a pseudowire source (nil otherwise).
func (s *Source) Addr() net.Addr {
	if s.conn == nil {
		return nil
	}
	return s.conn.LocalAddr()
}

// Close releases the socket of a source that will not be Run.
func (s *Source) Close() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

func (s *Source) frames8(_ string, first uint64, n int, slots []byte, w int) {
	s.frames += uint64(n)
	s.sink.Frames(s.cfg.Name, first, n, slots, w)
}

// tick counts bits of span time (received, filled or out of frame alike)
// and refreshes the snapshot, logging alarm changes, about every 125 ms of
// it. Called on the source goroutine.
func (s *Source) tick(bits int) {
	s.bits += bits
	if s.bits < 1000*s.fbits {
		return
	}
	s.bits = 0
	s.refresh()
}

func (s *Source) refresh() {
	var st e1.Stats
	if s.d != nil {
		st = s.d.Stats()
	}
	s.mu.Lock()
	s.snap.Deframer = st
	s.snap.Frames = s.frames
	s.mu.Unlock()
	if s.PW != nil {
		if r := s.PW.RemoteDefect.Load(); r != s.rdef {
			if r {
				s.log.Warn("pseudowire remote defect (R bit): the peer is losing our packets")
			} else {
				s.log.Info("pseudowire remote defect cleared")
			}
			s.rdef = r
		}
	}
	if st.Alarms != s.alarms {
		raised, cleared := st.Alarms&^s.alarms, s.alarms&^st.Alarms
		if raised != 0 {
			s.log.Warn("span alarm raised", "alarms", raised.String(), "now", st.Alarms.String())
		}
		if cleared != 0 {
			s.log.Info("span alarm cleared", "alarms", cleared.String(), "now", st.Alarms.String())
		}
		s.alarms = st.Alarms
	}
}

// Stats returns a recent copy of the counters (safe from any goroutine).
func (s *Source) Stats() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

// Run runs the source until ctx is done (nil) or it fails; a file source
// returns nil at the end of the recording.
func (s *Source) Run(ctx context.Context) error {
	defer s.refresh()
	defer s.batch.Flush()
	switch s.cfg.Kind {
	case SAToP, CESoPSN:
		defer s.conn.Close()
		s.log.Info("pseudowire listening", "kind", s.cfg.Kind, "addr", s.conn.LocalAddr().String())
		return pw.ServeUDP(ctx, s.conn, s.pkt)
	case File:
		return s.runFile(ctx)
	case DAHDI:
		return s.runDAHDI(ctx)
	}
	return errors.New("source: unknown kind")
}

func (s *Source) runFile(ctx context.Context) error {
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("span %s: %w", s.cfg.Name, err)
	}
	defer f.Close()
	block := s.fbits // 8 frames' worth of bytes: 1 ms
	var tick *time.Ticker
	if s.cfg.Pace {
		tick = time.NewTicker(time.Millisecond)
		defer tick.Stop()
	}
	rr := tdm.NewRawReader(f, func(p []byte) {
		_, _ = s.d.Write(p)
		s.tick(len(p) * 8)
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
	}, block)
	if err := rr.Run(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("span %s: %w", s.cfg.Name, err)
	}
	return nil
}

func (s *Source) runDAHDI(ctx context.Context) error {
	w := s.width
	first, last := 1, w-1
	if w == tdm.T1Width {
		last = w
	}
	sp := &dahdi.Span{Name: s.cfg.Name, Width: w, BlockSize: s.cfg.DAHDIBlockSize, Sink: tdm.FrameSinkFunc(func(_ string, f uint64, n int, slots []byte, w int) {
		s.frames8("", f, n, slots, w)
		s.tick(n * s.fbits)
	})}
	if sp.BlockSize <= 0 {
		sp.BlockSize = tdm.FramesPerChunk
	}
	for ts := first; ts <= last; ts++ {
		ch, err := dahdi.OpenChannel(s.cfg.DAHDIDevice, s.cfg.DAHDIChannel+ts-1, sp.BlockSize, s.cfg.Ioctl)
		if err != nil {
			for _, c := range sp.Channels {
				_ = c.Channel.Close()
			}
			return fmt.Errorf("span %s: %w", s.cfg.Name, err)
		}
		sp.Channels = append(sp.Channels, dahdi.SpanChannel{TS: ts, Channel: ch})
	}
	return sp.Run(ctx)
}

type collector struct {
	s                                                    *Source
	frames, crc, ebit, losses, slips, fe, inFrame, alarm *prometheus.Desc
}

func (s *Source) collector() prometheus.Collector {
	l := prometheus.Labels{"span": s.cfg.Name}
	d := func(name, help string, vars ...string) *prometheus.Desc {
		return prometheus.NewDesc("tdmtap_span_"+name, help, vars, l)
	}
	return &collector{s: s,
		frames:  d("frames_total", "Aligned frames delivered."),
		crc:     d("crc_errors_total", "CRC-4/CRC-6 errored blocks."),
		ebit:    d("ebit_errors_total", "Far-end block errors reported by E-bits."),
		losses:  d("alignment_losses_total", "Frame alignment losses."),
		slips:   d("slips_total", "Realignments at a different bit position."),
		fe:      d("framing_errors_total", "Bad FAS words / framing bits."),
		inFrame: d("in_frame", "1 while frame aligned."),
		alarm:   d("alarm", "1 while the alarm is raised.", "alarm"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.frames, c.crc, c.ebit, c.losses, c.slips, c.fe, c.inFrame, c.alarm} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s.Stats()
	st := s.Deframer
	cnt := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	cnt(c.frames, s.Frames)
	cnt(c.crc, st.CRCErrors)
	cnt(c.ebit, st.EBitErrors)
	cnt(c.losses, st.AlignmentLosses)
	cnt(c.slips, st.Slips)
	cnt(c.fe, st.FramingErrors)
	in := 0.0
	if st.InFrame {
		in = 1
	}
	ch <- prometheus.MustNewConstMetric(c.inFrame, prometheus.GaugeValue, in)
	for i := range 6 {
		a := e1.Alarm(1 << i)
		v := 0.0
		if st.Alarms&a != 0 {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.alarm, prometheus.GaugeValue, v, a.String())
	}
}
