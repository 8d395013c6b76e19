// Package deliver hands PS-PDUs (TS 102 232-1) to a LEMF: one Session per
// LEMF destination and per handover interface (HI2 IRI, HI3 content).
//
// The mediation side connects to the LEMF over TCP, optionally TLS 1.3 with a
// client certificate and a pinned LEMF certificate; it reconnects with
// exponential backoff and jitter; it sends keep-alive PS-PDUs when the link is
// idle and reconnects a link whose keep-alives go unanswered.
//
// Send never blocks the caller: the PDU is copied into the session's spool
// and a session goroutine writes it.
//
//   - HI2 (IRI): the spool is durable (bbolt, fsync'd, group commit; see
//     spool.go). Records are replayed in order after a reconnect or a
//     restart. Send returns before the commit: a record is durable once the
//     group commit that carries it is done (Flush waits for that), so a
//     crash loses at most what was accepted since the last commit; nothing
//     is written to the LEMF before it is durable.
//   - HI3 (content): a byte-bounded in-memory ring (CCSpoolBytes). Content
//     that does not fit is dropped, counted (metrics, Stats) and reported to
//     the Auditor once per drop episode (start and end with counts).
//
// What "delivered" means. An IRI record leaves the durable spool only when
// (a) it was fully written to the socket and (b) the LEMF has afterwards
// answered a keep-alive sent on the same connection after that write (TCP
// is in order, so the LEMF has read everything written before the
// keep-alive). The session therefore also sends a keep-alive as an
// acknowledgement request when records are unconfirmed, not only when idle.
// Without keep-alives (Config.Keepalive nil), (a) alone counts. On every
// (re)connection the session replays every unconfirmed record, so the LEMF
// may see duplicates right after a resync (allowed by TS 102 232-1), never a
// gap. Sequence numbers are in the PDUs (assigned by the encoder); delivery
// never rewrites them. Content is best effort within its bound: PDUs written
// to a connection that then breaks may be lost; the LEMF sees the gap in the
// CC sequence numbers.
package deliver

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tdmtap/tdmtap/hi/psdu"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("deliver: session closed")

var errDone = errors.New("deliver: context done")

// Stats is a snapshot of one session's counters.
type Stats struct {
	Connected   bool
	Queued      int   // IRI: records in the spool (unconfirmed); CC: PDUs queued
	SpoolBytes  int64 // bytes in the spool / queue
	Sent        uint64
	SentBytes   uint64
	Replayed    uint64
	Dropped     uint64 // CC PDUs dropped (spool full)
	DropBytes   uint64
	Reconnects  uint64
	Keepalives  uint64
	KAResponses uint64
	Confirmed   uint64 // IRI: highest spool key confirmed delivered
}

// Session delivers one HI to one LEMF destination.
type Session struct {
	cfg Config
	log *slog.Logger
	m   *sessionMetrics

	spool *spool   // HI2
	cc    *ccQueue // HI3
	wake  chan struct{}
	stop  context.CancelFunc
	done  chan struct{}
	once  sync.Once
	start sync.Once

	closed atomic.Bool
	// counters (atomics; Stats reads them)
	connected                                          atomic.Bool
	sent, sentBytes, replayed, dropped, dropBytes      atomic.Uint64
	reconnects, keepalives, kaResponses, confirmedAtom atomic.Uint64

	dropMu      sync.Mutex
	dropEpisode struct {
		active     bool
		pdus, size uint64
		since      time.Time
	}

	// sender state (session goroutine only)
	confirmed uint64 // IRI: keys <= confirmed are delivered
	highSent  uint64 // IRI: highest key ever written (for the replayed counter)
}

// New opens a session (and its spool) but does not connect; call Start.
func New(cfg Config) (*Session, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Session{
		cfg:  cfg,
		log:  cfg.Logger.With("dest", cfg.Name, "hi", cfg.HI.String()),
		m:    cfg.Metrics.forSession(cfg.Name, cfg.HI),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	if cfg.HI == HI2 {
		sp, err := openSpool(cfg.SpoolPath)
		if err != nil {
			return nil, fmt.Errorf("deliver %s: %w", cfg.Name, err)
		}
		s.spool = sp
		count, bytes, _ := sp.stats()
		s.confirmed = sp.deleted
		s.highSent = sp.committed // what was spooled before a restart may have been sent already
		s.confirmedAtom.Store(s.confirmed)
		s.m.queued.Set(float64(count))
		s.m.spoolBytes.Set(float64(bytes))
		if count > 0 {
			s.log.Info("spool holds undelivered IRI from before", "records", count, "bytes", bytes)
		}
		sp.onCommit = func(uint64) { s.kick() }
		sp.onError = func(err error) {
			// IRI stays in memory and the commit is retried; the loss
			// risk (a crash now) is what the audit trail must show.
			s.log.Error("IRI spool commit failed; retrying", "err", err)
			if s.cfg.Auditor != nil {
				s.cfg.Auditor.Record("deliver.spool_error", slog.String("dest", s.cfg.Name), slog.String("err", err.Error()))
			}
		}
		sp.onMetrics = func(count int, bytes int64) {
			s.m.queued.Set(float64(count))
			s.m.spoolBytes.Set(float64(bytes))
		}
		go sp.run()
	} else {
		s.cc = newCCQueue(cfg.CCSpoolBytes)
	}
	return s, nil
}

// KeepaliveFor builds the keep-alive PDU for h and a recogniser of
// keep-alive responses, for Config.Keepalive and Config.IsKeepaliveResponse.
func KeepaliveFor(h *psdu.Header) ([]byte, func([]byte) bool) {
	hh := *h
	hh.OmitCIN = true
	return psdu.AppendKeepalive(nil, &hh), IsKeepaliveResponse
}

// IsKeepaliveResponse reports whether pdu is a keep-alive response PS-PDU.
func IsKeepaliveResponse(pdu []byte) bool {
	var p psdu.PDU
	return psdu.Parse(pdu, &p) == nil && p.Kind == psdu.KindKeepaliveResponse
}

// Start launches the session goroutine; it runs until ctx ends or Close.
func (s *Session) Start(ctx context.Context) {
	s.start.Do(func() {
		ctx, s.stop = context.WithCancel(ctx)
		go func() {
			defer close(s.done)
			s.run(ctx)
		}()
	})
}

func (s *Session) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Send queues one PS-PDU (copied; the caller may reuse pdu). It never blocks
// on the network or the disk. For HI3 a full spool drops the PDU (counted
// and audited) and Send returns nil: the drop is the session's to report.
func (s *Session) Send(pdu []byte) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.spool != nil {
		if _, err := s.spool.add(pdu); err != nil {
			return err
		}
		return nil
	}
	if s.cc.push(pdu, time.Now().UnixNano()) {
		s.endDropEpisode()
		s.kick()
		n, b := s.cc.stats()
		s.m.queued.Set(float64(n))
		s.m.spoolBytes.Set(float64(b))
		return nil
	}
	s.dropped.Add(1)
	s.dropBytes.Add(uint64(len(pdu)))
	s.m.dropped.Inc()
	s.m.dropBytes.Add(float64(len(pdu)))
	s.dropMu.Lock()
	start := !s.dropEpisode.active
	if start {
		s.dropEpisode.active = true
		s.dropEpisode.pdus, s.dropEpisode.size = 0, 0
		s.dropEpisode.since = time.Now()
	}
	s.dropEpisode.pdus++
	s.dropEpisode.size += uint64(len(pdu))
	s.dropMu.Unlock()
	if start {
		s.log.Warn("content spool full: dropping content", "limit_bytes", s.cfg.CCSpoolBytes)
		if s.cfg.Auditor != nil {
			s.cfg.Auditor.Record("deliver.cc_drop_start",
				slog.String("dest", s.cfg.Name), slog.Int("limit_bytes", s.cfg.CCSpoolBytes))
		}
	}
	return nil
}

func (s *Session) endDropEpisode() {
	s.dropMu.Lock()
	if !s.dropEpisode.active {
		s.dropMu.Unlock()
		return
	}
	ep := s.dropEpisode
	s.dropEpisode.active = false
	s.dropMu.Unlock()
	s.log.Warn("content spool accepting again", "dropped_pdus", ep.pdus, "dropped_bytes", ep.size)
	if s.cfg.Auditor != nil {
		s.cfg.Auditor.Record("deliver.cc_drop_end",
			slog.String("dest", s.cfg.Name), slog.Uint64("dropped_pdus", ep.pdus),
			slog.Uint64("dropped_bytes", ep.size), slog.Time("since", ep.since))
	}
}

// Flush waits until every IRI accepted so far is durable in the spool
// (HI2), or until the content queue has been written to a socket (HI3).
func (s *Session) Flush(ctx context.Context) error {
	if s.spool != nil {
		if err := s.spool.waitDurable(ctx.Done()); err != nil {
			if errors.Is(err, errDone) {
				return ctx.Err()
			}
			return err
		}
		return nil
	}
	return s.pollUntil(ctx, func() bool { n, _ := s.cc.stats(); return n == 0 })
}

// WaitDelivered waits until everything accepted so far has been delivered
// (IRI: confirmed and removed from the spool; CC: written).
func (s *Session) WaitDelivered(ctx context.Context) error {
	if s.spool == nil {
		return s.Flush(ctx)
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	s.spool.mu.Lock()
	target := s.spool.nextKey - 1
	s.spool.mu.Unlock()
	return s.pollUntil(ctx, func() bool {
		s.spool.mu.Lock()
		defer s.spool.mu.Unlock()
		return s.spool.deleted >= target
	})
}

func (s *Session) pollUntil(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (s *Session) Stats() Stats {
	st := Stats{
		Connected: s.connected.Load(), Sent: s.sent.Load(), SentBytes: s.sentBytes.Load(),
		Replayed: s.replayed.Load(), Dropped: s.dropped.Load(), DropBytes: s.dropBytes.Load(),
		Reconnects: s.reconnects.Load(), Keepalives: s.keepalives.Load(), KAResponses: s.kaResponses.Load(),
		Confirmed: s.confirmedAtom.Load(),
	}
	if s.spool != nil {
		c, b, _ := s.spool.stats()
		st.Queued, st.SpoolBytes = c, b
	} else {
		c, b := s.cc.stats()
		st.Queued, st.SpoolBytes = c, int64(b)
	}
	return st
}

// Close stops the session, commits pending IRI to the spool and closes it.
// Content still queued is discarded (counted and audited).
func (s *Session) Close() error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		if s.stop != nil {
			s.stop()
			<-s.done
		}
		if s.spool != nil {
			err = s.spool.close()
			return
		}
		if n, b := s.cc.stats(); n > 0 {
			s.dropped.Add(uint64(n))
			s.dropBytes.Add(uint64(b))
			s.m.dropped.Add(float64(n))
			s.log.Warn("content discarded at close", "pdus", n)
			if s.cfg.Auditor != nil {
				s.cfg.Auditor.Record("deliver.cc_discard_at_close",
					slog.String("dest", s.cfg.Name), slog.Int("dropped_pdus", n))
			}
		}
		s.endDropEpisode()
	})
	return err
}

// run is the session goroutine: connect, deliver, reconnect.
func (s *Session) run(ctx context.Context) {
	backoff := s.cfg.BackoffMin
	first := true
	for ctx.Err() == nil {
		if !first {
			s.reconnects.Add(1)
			s.m.reconn.Inc()
		}
		first = false
		conn, err := s.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("connect to LEMF failed", "err", err, "retry_in", backoff)
			if !sleepCtx(ctx, jitter(backoff)) {
				return
			}
			backoff = min(backoff*2, s.cfg.BackoffMax)
			continue
		}
		s.log.Info("connected to LEMF", "addr", conn.RemoteAddr().String())
		s.auditConn("lemf.connect", conn, nil)
		s.connected.Store(true)
		s.m.connected.Set(1)
		healthy, err := s.serve(ctx, conn)
		s.connected.Store(false)
		s.m.connected.Set(0)
		conn.Close()
		if ctx.Err() != nil {
			s.auditConn("lemf.disconnect", conn, errors.New("session stopped"))
			return
		}
		s.auditConn("lemf.disconnect", conn, err)
		s.log.Warn("LEMF connection lost", "err", err)
		if healthy {
			backoff = s.cfg.BackoffMin
		}
		if !sleepCtx(ctx, jitter(backoff)) {
			return
		}
		if !healthy {
			backoff = min(backoff*2, s.cfg.BackoffMax)
		}
	}
}

// jitter spreads d over [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Session) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	if s.cfg.TLS != nil {
		d := tls.Dialer{Config: s.cfg.TLS}
		c, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("tls dial %s: %w", s.cfg.Addr, err)
		}
		return c, nil
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.cfg.Addr, err)
	}
	return c, nil
}

// kaMark remembers what a keep-alive acknowledges.
type kaMark struct {
	key  uint64 // IRI records with key <= key were written before it
	sent time.Time
}

// serve delivers on one connection until it fails or ctx ends. healthy
// reports that the connection worked (a keep-alive response arrived; or,
// without keep-alives, data was written), so the backoff can start over.
func (s *Session) serve(ctx context.Context, conn net.Conn) (healthy bool, err error) {
	// A write blocked on a stalled LEMF must not delay Close.
	stopClose := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClose()
	kaResp := make(chan struct{}, 64)
	readErr := make(chan error, 1)
	go s.readLoop(conn, kaResp, readErr)

	interval := s.cfg.KeepaliveInterval
	kaOn := s.cfg.Keepalive != nil
	tick := time.NewTicker(max(interval/4, time.Millisecond))
	defer tick.Stop()
	var marks []kaMark
	lastWrite := time.Now()
	lastKA := time.Time{}
	sentKey := s.confirmed // replay everything unconfirmed
	var buf []byte
	var wbuf []byte
	var times []int64

	write := func(p []byte) error {
		if err := conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout)); err != nil {
			return err
		}
		_, err := conn.Write(p)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		lastWrite = time.Now()
		return nil
	}
	sendKA := func(now time.Time) error {
		if err := write(s.cfg.Keepalive); err != nil {
			return err
		}
		s.keepalives.Add(1)
		s.m.keepalives.Inc()
		marks = append(marks, kaMark{key: sentKey, sent: now})
		lastKA = now
		return nil
	}
	onResp := func() {
		s.kaResponses.Add(1)
		s.m.kaResponses.Inc()
		healthy = true
		if len(marks) == 0 {
			return
		}
		m := marks[0]
		marks = append(marks[:0], marks[1:]...)
		if s.spool != nil && m.key > s.confirmed {
			s.confirmed = m.key
			s.confirmedAtom.Store(m.key)
			s.spool.confirm(m.key)
		}
	}
	onTick := func(now time.Time) error {
		if !kaOn {
			return nil
		}
		if len(marks) > 0 && now.Sub(marks[0].sent) >= time.Duration(s.cfg.KeepaliveMisses)*interval {
			return fmt.Errorf("no keep-alive response for %v", now.Sub(marks[0].sent).Round(time.Millisecond))
		}
		idle := now.Sub(lastWrite) >= interval
		unconfirmed := s.spool != nil && sentKey > s.confirmed && (len(marks) == 0 || marks[len(marks)-1].key < sentKey)
		if (idle && now.Sub(lastKA) >= interval) || (unconfirmed && now.Sub(lastKA) >= interval/4) {
			return sendKA(now)
		}
		return nil
	}

	for {
		// Non-blocking housekeeping between writes.
		select {
		case <-ctx.Done():
			return healthy, ctx.Err()
		case err := <-readErr:
			return healthy, err
		case <-kaResp:
			onResp()
			continue
		case now := <-tick.C:
			if err := onTick(now); err != nil {
				return healthy, err
			}
			continue
		default:
		}

		// Gather a batch.
		if s.spool != nil {
			buf = buf[:0]
			var n int
			buf, n, err = s.spool.read(buf, sentKey, s.cfg.BatchBytes)
			if err != nil {
				return healthy, err
			}
			if n > 0 {
				wbuf = wbuf[:0]
				var last uint64
				var replayed uint64
				for p := buf; len(p) >= 12; {
					key := binary.BigEndian.Uint64(p[:8])
					l := int(binary.BigEndian.Uint32(p[8:12]))
					wbuf = append(wbuf, p[12:12+l]...)
					if key <= s.highSent {
						replayed++
					}
					last = key
					p = p[12+l:]
				}
				if err := write(wbuf); err != nil {
					return healthy, err
				}
				healthy = healthy || !kaOn
				sentKey = last
				if last > s.highSent {
					s.highSent = last
				}
				s.sent.Add(uint64(n))
				s.sentBytes.Add(uint64(len(wbuf)))
				s.m.sentPDUs.Add(float64(n))
				s.m.sentBytes.Add(float64(len(wbuf)))
				if replayed > 0 {
					s.replayed.Add(replayed)
					s.m.replayed.Add(float64(replayed))
				}
				if !kaOn {
					s.confirmed = sentKey
					s.confirmedAtom.Store(sentKey)
					s.spool.confirm(sentKey)
				}
				continue
			}
		} else {
			var recs, foot int
			wbuf, times, recs, foot = s.cc.peek(wbuf[:0], s.cfg.BatchBytes, times[:0])
			if recs > 0 {
				if err := write(wbuf); err != nil {
					return healthy, err
				}
				now := lastWrite.UnixNano()
				for _, t := range times {
					s.m.ccWait.Observe(float64(now-t) / 1e9)
				}
				healthy = healthy || !kaOn
				s.cc.pop(recs, foot)
				s.sent.Add(uint64(recs))
				s.sentBytes.Add(uint64(len(wbuf)))
				s.m.sentPDUs.Add(float64(recs))
				s.m.sentBytes.Add(float64(len(wbuf)))
				n, b := s.cc.stats()
				s.m.queued.Set(float64(n))
				s.m.spoolBytes.Set(float64(b))
				continue
			}
		}

		// Nothing to send: wait.
		select {
		case <-ctx.Done():
			return healthy, ctx.Err()
		case err := <-readErr:
			return healthy, err
		case <-kaResp:
			onResp()
		case now := <-tick.C:
			if err := onTick(now); err != nil {
				return healthy, err
			}
		case <-s.wake:
		}
	}
}

// readLoop reads what the LEMF sends (keep-alive responses; anything else
// is ignored) until the connection fails.
func (s *Session) readLoop(conn net.Conn, kaResp chan<- struct{}, errc chan<- error) {
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 4096), psdu.MaxPDU)
	sc.Split(psdu.Split)
	isResp := s.cfg.IsKeepaliveResponse
	for sc.Scan() {
		if isResp != nil && isResp(sc.Bytes()) {
			select {
			case kaResp <- struct{}{}:
			default:
			}
		}
	}
	err := sc.Err()
	if err == nil {
		err = errors.New("LEMF closed the connection")
	}
	errc <- fmt.Errorf("read: %w", err)
}

// auditConn records a LEMF connect or disconnect (destination, HI, address;
// the reason for a disconnect).
func (s *Session) auditConn(kind string, conn net.Conn, reason error) {
	if s.cfg.Auditor == nil {
		return
	}
	attrs := []slog.Attr{slog.String("dest", s.cfg.Name), slog.String("hi", s.cfg.HI.String()),
		slog.String("addr", conn.RemoteAddr().String())}
	if reason != nil {
		attrs = append(attrs, slog.String("reason", reason.Error()))
	}
	s.cfg.Auditor.Record(kind, attrs...)
}
