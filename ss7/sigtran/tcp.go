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

	rw, ww ctxWatch
}

// NewTCPConn wraps an established TCP connection.
func NewTCPConn(c *net.TCPConn) Conn {
	_ = c.SetNoDelay(true)
	t := &tcpConn{c: c, r: bufio.NewReaderSize(c, MaxMessageSize)}
	t.rw.set, t.ww.set = c.SetReadDeadline, c.SetWriteDeadline
	return t
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

// ctxWatch applies a context to a socket's deadline: the context's
// deadline is set, and when the context is done the deadline moves to the
// past so a blocked call returns. The registration is kept while the same
// context is used again (context.AfterFunc allocates), and a stale
// callback of an earlier context never touches the deadline (generation
// check), so cancelling a finished call's context is harmless.
type ctxWatch struct {
	set func(time.Time) error

	mu   sync.Mutex
	gen  uint64
	ctx  context.Context
	stop func() bool
}

func (w *ctxWatch) arm(ctx context.Context) {
	if ctx == w.ctx {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	g := w.gen
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
	w.ctx = ctx
	if dl, ok := ctx.Deadline(); ok {
		_ = w.set(dl)
	} else {
		_ = w.set(time.Time{})
	}
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, func() {
			w.mu.Lock()
			if w.gen == g {
				_ = w.set(time.Unix(1, 0))
			}
			w.mu.Unlock()
		})
	}
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
	t.rw.arm(ctx)
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
	t.ww.arm(ctx)
	_, err := t.c.Write(msg)
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

type tcpListener struct {
	l   *net.TCPListener
	amu sync.Mutex
	w   ctxWatch
}

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
	tl := &tcpListener{l: l}
	tl.w.set = l.SetDeadline
	return tl, nil
}

func (l *tcpListener) Accept(ctx context.Context) (Conn, error) {
	l.amu.Lock()
	defer l.amu.Unlock()
	l.w.arm(ctx)
	c, err := l.l.AcceptTCP()
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
