package sigtran

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// tcpConn frames M3UA messages on a TCP stream by the common header's
// length field.
type tcpConn struct {
	c   *net.TCPConn
	r   *bufio.Reader
	wmu sync.Mutex
	hdr [HeaderLen]byte

	// The read side registers its cancellation once per context, not once
	// per message (context.AfterFunc allocates).
	rctx  context.Context
	rstop func() bool
}

// NewTCPConn wraps an established TCP connection.
func NewTCPConn(c *net.TCPConn) Conn {
	_ = c.SetNoDelay(true)
	return &tcpConn{c: c, r: bufio.NewReaderSize(c, MaxMessageSize)}
}

// DialTCP connects to raddr (host:port), from laddr if not empty.
func DialTCP(ctx context.Context, laddr, raddr string) (Conn, error) {
	d := net.Dialer{}
	if laddr != "" {
		la, err := net.ResolveTCPAddr("tcp", laddr)
		if err != nil {
			return nil, fmt.Errorf("sigtran: dial tcp local %q: %w", laddr, err)
		}
		d.LocalAddr = la
	}
	c, err := d.DialContext(ctx, "tcp", raddr)
	if err != nil {
		return nil, fmt.Errorf("sigtran: dial tcp %s: %w", raddr, err)
	}
	return NewTCPConn(c.(*net.TCPConn)), nil
}

// watchCtx arranges deadline-based cancellation of blocking calls: the
// deadline of ctx is applied, and when ctx is done the deadline is moved to
// the past. The returned function unregisters the watch.
func watchCtx(ctx context.Context, set func(time.Time) error) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		_ = set(dl)
	} else {
		_ = set(time.Time{})
	}
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	return context.AfterFunc(ctx, func() { _ = set(time.Unix(1, 0)) })
}

// ctxCause returns the context's error if ctx ended a call that failed with
// err: cancelled, or its deadline (applied to the socket) has passed.
func ctxCause(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if e := ctx.Err(); e != nil {
		return e
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return nil
}

func (t *tcpConn) ReadMessage(ctx context.Context, buf []byte) (int, uint16, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if ctx != t.rctx {
		if t.rstop != nil {
			t.rstop()
		}
		t.rctx = ctx
		t.rstop = watchCtx(ctx, t.c.SetReadDeadline)
	}
	n, err := t.read(buf)
	if e := ctxCause(ctx, err); e != nil {
		return 0, 0, fmt.Errorf("sigtran: read: %w", e)
	}
	return n, 0, err
}

func (t *tcpConn) read(buf []byte) (int, error) {
	if _, err := io.ReadFull(t.r, t.hdr[:]); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, fmt.Errorf("sigtran: read: %w", ErrClosed)
		}
		return 0, fmt.Errorf("sigtran: read header: %w", err)
	}
	l := binary.BigEndian.Uint32(t.hdr[4:8])
	if l < HeaderLen || l > MaxMessageSize {
		return 0, fmt.Errorf("%w: M3UA length %d (header % x) outside %d..%d", ErrFraming, l, t.hdr[:], HeaderLen, MaxMessageSize)
	}
	if int(l) > len(buf) {
		// Skip the message body to stay in step, then report.
		if _, err := io.CopyN(io.Discard, t.r, int64(l-HeaderLen)); err != nil {
			return 0, fmt.Errorf("sigtran: read body: %w", err)
		}
		return 0, fmt.Errorf("%w: %d-byte message, %d-byte buffer", ErrTruncated, l, len(buf))
	}
	copy(buf, t.hdr[:])
	if _, err := io.ReadFull(t.r, buf[HeaderLen:l]); err != nil {
		return 0, fmt.Errorf("sigtran: read body: %w", err)
	}
	return int(l), nil
}

func (t *tcpConn) WriteMessage(ctx context.Context, _ uint16, msg []byte) error {
	if len(msg) < HeaderLen || binary.BigEndian.Uint32(msg[4:8]) != uint32(len(msg)) {
		return fmt.Errorf("%w: write of %d bytes whose header does not give that length", ErrFraming, len(msg))
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := watchCtx(ctx, t.c.SetWriteDeadline)
	_, err := t.c.Write(msg)
	stop()
	if e := ctxCause(ctx, err); e != nil {
		return fmt.Errorf("sigtran: write: %w", e)
	}
	if err != nil {
		return fmt.Errorf("sigtran: write: %w", err)
	}
	return nil
}

func (t *tcpConn) Close() error {
	err := t.c.Close()
	if err != nil && errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
func (t *tcpConn) LocalAddr() net.Addr  { return t.c.LocalAddr() }
func (t *tcpConn) RemoteAddr() net.Addr { return t.c.RemoteAddr() }

type tcpListener struct{ l *net.TCPListener }

// ListenTCP listens on addr (host:port; port 0 picks one).
func ListenTCP(addr string) (Listener, error) {
	la, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sigtran: listen tcp %q: %w", addr, err)
	}
	l, err := net.ListenTCP("tcp", la)
	if err != nil {
		return nil, fmt.Errorf("sigtran: listen tcp %q: %w", addr, err)
	}
	return &tcpListener{l: l}, nil
}

func (l *tcpListener) Accept(ctx context.Context) (Conn, error) {
	stop := watchCtx(ctx, l.l.SetDeadline)
	c, err := l.l.AcceptTCP()
	stop()
	if e := ctxCause(ctx, err); e != nil {
		return nil, fmt.Errorf("sigtran: accept: %w", e)
	}
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return nil, fmt.Errorf("sigtran: accept: %w", ErrClosed)
		}
		return nil, fmt.Errorf("sigtran: accept: %w", err)
	}
	return NewTCPConn(c), nil
}

func (l *tcpListener) Close() error   { return l.l.Close() }
func (l *tcpListener) Addr() net.Addr { return l.l.Addr() }
