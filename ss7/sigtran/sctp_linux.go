//go:build linux && !386

package sigtran

import (
	"context"
	"fmt"
	"net"
	"sync"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

// sctpConn is a kernel SCTP association (one-to-one socket).
//
// The library's reads are blocking recvmsg calls without deadlines, so
// context cancellation closes the association. Its SCTPRead does not check
// MSG_TRUNC/MSG_EOR: a read that fills the whole buffer is treated as
// truncation.
type sctpConn struct {
	c        *sctp.SCTPConn
	out      uint16
	wmu      sync.Mutex
	once     sync.Once
	closeErr error

	// Cancellation closes the association, but only for the context of a
	// read in progress (generation and reading checks).
	rmu     sync.Mutex
	rgen    uint64
	rctx    context.Context
	rstop   func() bool
	reading bool
}

func (s *sctpConn) armRead(ctx context.Context) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.reading = true
	if ctx == s.rctx {
		return
	}
	s.rgen++
	g := s.rgen
	if s.rstop != nil {
		s.rstop()
		s.rstop = nil
	}
	s.rctx = ctx
	if ctx.Done() != nil {
		s.rstop = context.AfterFunc(ctx, func() {
			s.rmu.Lock()
			kill := s.rgen == g && s.reading
			s.rmu.Unlock()
			if kill {
				s.Close()
			}
		})
	}
}

func (s *sctpConn) readDone() {
	s.rmu.Lock()
	s.reading = false
	s.rmu.Unlock()
}

func ignoreNotification([]byte) error { return nil }

func newSCTPConn(c *sctp.SCTPConn, out uint16) (*sctpConn, error) {
	if err := c.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO); err != nil {
		c.Close()
		return nil, fmt.Errorf("sigtran: sctp subscribe data io events: %w", err)
	}
	_ = c.SetReadBuffer(4 * MaxMessageSize)
	if n, err := negotiatedOutStreams(c); err == nil && n > 0 && n < out {
		out = n // the peer accepted fewer inbound streams than we asked for
	}
	return &sctpConn{c: c, out: out}, nil
}

// negotiatedOutStreams asks the kernel (SCTP_STATUS) how many outbound
// streams the association has.
func negotiatedOutStreams(c *sctp.SCTPConn) (uint16, error) {
	var st [64]uint32 // struct sctp_status is 176 bytes on Linux
	optlen := uint32(unsafe.Sizeof(st))
	if _, _, err := c.Getsockopt(sctp.SCTP_STATUS, uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&optlen))); err != nil {
		return 0, err
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), int(unsafe.Sizeof(st)))
	return statusOutStreams(b), nil
}

// DialSCTP connects to the multi-homed remote address list raddrs, bound to
// laddrs if given.
func DialSCTP(ctx context.Context, laddrs, raddrs []string, opts SCTPOptions) (Conn, error) {
	opts = opts.withDefaults()
	ra, err := ParseSCTPAddrs(raddrs)
	if err != nil {
		return nil, err
	}
	var la *sctp.SCTPAddr
	if len(laddrs) > 0 {
		if la, err = ParseSCTPAddrs(laddrs); err != nil {
			return nil, err
		}
	}
	cfg := sctp.SocketConfig{
		InitMsg:             sctp.InitMsg{NumOstreams: opts.OutStreams, MaxInstreams: opts.InStreams, MaxAttempts: opts.MaxAttempts, MaxInitTimeout: opts.MaxInitTimeout},
		NotificationHandler: ignoreNotification,
	}
	type result struct {
		c   *sctp.SCTPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := cfg.Dial("sctp", la, ra)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("sigtran: dial sctp %s: %w", ra, r.err)
		}
		return newSCTPConn(r.c, opts.OutStreams)
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.err == nil {
				r.c.Close()
			}
		}()
		return nil, fmt.Errorf("sigtran: dial sctp %s: %w", ra, ctx.Err())
	}
}

func (s *sctpConn) ReadMessage(ctx context.Context, buf []byte) (int, uint16, error) {
	if len(buf) < ReadBufferSize {
		return 0, 0, fmt.Errorf("sigtran: sctp read buffer %d bytes, need %d", len(buf), ReadBufferSize)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	s.armRead(ctx)
	if err := ctx.Err(); err != nil {
		s.readDone()
		return 0, 0, err
	}
	n, info, err := s.c.SCTPRead(buf)
	s.readDone()
	if err != nil {
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("sigtran: sctp read: %w", ctx.Err())
		}
		return 0, 0, fmt.Errorf("sigtran: sctp read: %w", err)
	}
	if n >= len(buf) {
		return 0, 0, fmt.Errorf("%w: sctp message filled the %d-byte buffer", ErrTruncated, len(buf))
	}
	var stream uint16
	if info != nil {
		stream = info.Stream
		if p := PPIDFromField(info.PPID); p != PPIDM3UA && p != 0 {
			return n, stream, fmt.Errorf("%w: sctp PPID %d, want %d", ErrFraming, p, PPIDM3UA)
		}
	}
	return n, stream, nil
}

func (s *sctpConn) WriteMessage(ctx context.Context, stream uint16, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if stream >= s.out {
		return fmt.Errorf("sigtran: sctp write on stream %d of %d", stream, s.out)
	}
	info := sctp.SndRcvInfo{Stream: stream, PPID: PPIDField(PPIDM3UA)}
	s.wmu.Lock()
	_, err := s.c.SCTPWrite(msg, &info)
	s.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("sigtran: sctp write: %w", err)
	}
	return nil
}

func (s *sctpConn) Close() error {
	s.once.Do(func() { s.closeErr = s.c.Close() })
	return s.closeErr
}

// OutStreams returns the number of outbound streams of the association.
func (s *sctpConn) OutStreams() uint16 { return s.out }

func (s *sctpConn) LocalAddr() net.Addr  { return s.c.LocalAddr() }
func (s *sctpConn) RemoteAddr() net.Addr { return s.c.RemoteAddr() }

type sctpListener struct {
	l    *sctp.SCTPListener
	out  uint16
	once sync.Once
}

// ListenSCTP listens on the multi-homed address list addrs.
func ListenSCTP(addrs []string, opts SCTPOptions) (Listener, error) {
	opts = opts.withDefaults()
	la, err := ParseSCTPAddrs(addrs)
	if err != nil {
		return nil, err
	}
	cfg := sctp.SocketConfig{
		InitMsg:             sctp.InitMsg{NumOstreams: opts.OutStreams, MaxInstreams: opts.InStreams},
		NotificationHandler: ignoreNotification,
	}
	l, err := cfg.Listen("sctp", la)
	if err != nil {
		return nil, fmt.Errorf("sigtran: listen sctp %s: %w", la, err)
	}
	return &sctpListener{l: l, out: opts.OutStreams}, nil
}

// Accept waits for an association. The library's accept has no deadline:
// cancelling ctx closes the listener.
func (l *sctpListener) Accept(ctx context.Context) (Conn, error) {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	c, err := l.l.AcceptSCTP()
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sigtran: sctp accept: %w", ctx.Err())
		}
		return nil, fmt.Errorf("sigtran: sctp accept: %w", err)
	}
	return newSCTPConn(c, l.out)
}

func (l *sctpListener) Close() error {
	var err error
	l.once.Do(func() { err = l.l.Close() })
	return err
}
func (l *sctpListener) Addr() net.Addr { return l.l.Addr() }
