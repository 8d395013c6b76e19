//go:build linux && !386

package sigtran

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/ishidawataru/sctp"
	"golang.org/x/sys/unix"
)

// sctpConn is a kernel SCTP association (one-to-one socket).
//
// Reads are blocking recvmsg calls without deadlines, so the cancellation
// of a read's context closes the association; writes poll (WriteMessage).
type sctpConn struct {
	c        *sctp.SCTPConn
	out      uint16
	wmu      sync.Mutex
	wcmsg    [8]uint64 // the send control message, under wmu (64 bytes ≥ CmsgSpace(sndRcvInfoLen))
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
	// Signalling must not wait for the peer's delayed SACK (Nagle): without
	// this a message sent while an earlier one is unacknowledged waits up
	// to 200 ms (measured under a real kernel, test/sctp).
	one := int32(1)
	if _, _, err := c.Setsockopt(sctp.SCTP_NODELAY, uintptr(unsafe.Pointer(&one)), unsafe.Sizeof(one)); err != nil {
		c.Close()
		return nil, fmt.Errorf("sigtran: sctp nodelay: %w", err)
	}
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
	n, stream, ppid, err := s.recvMessage(buf)
	s.readDone()
	if err != nil {
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("sigtran: sctp read: %w", ctx.Err())
		}
		return 0, 0, fmt.Errorf("sigtran: sctp read: %w", err)
	}
	if err := CheckPPID(PPIDFromField(ppid)); err != nil {
		return 0, stream, fmt.Errorf("sigtran: sctp read on stream %d: %w", stream, err)
	}
	return n, stream, nil
}

// connFD is the socket of c. The pinned library keeps it unexported as the
// first field of SCTPConn (_fd int32).
func connFD(c *sctp.SCTPConn) int { return int(atomic.LoadInt32((*int32)(unsafe.Pointer(c)))) }

// recvMessage reads one whole SCTP user message: the kernel may hand a
// large message over in several pieces (partial delivery under receive
// buffer pressure), and only the last carries MSG_EOR; the library's
// SCTPRead ignores that flag. Notifications are skipped. A message larger
// than buf is read to its end and reported as ErrTruncated.
func (s *sctpConn) recvMessage(buf []byte) (n int, stream uint16, ppid uint32, err error) {
	fd := connFD(s.c)
	var oob [64]byte
	first, truncated := true, false
	var scratch [2048]byte
	for {
		dst := buf[n:]
		if truncated {
			dst = scratch[:]
		}
		m, oobn, flags, _, err := syscall.Recvmsg(fd, dst, oob[:], 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, 0, 0, err
		}
		if m == 0 && oobn == 0 && flags&syscall.MSG_EOR == 0 {
			return 0, 0, 0, io.EOF
		}
		if flags&sctp.MSG_NOTIFICATION != 0 {
			if first {
				continue
			}
			return 0, 0, 0, fmt.Errorf("%w: notification inside a message", ErrFraming)
		}
		if first && oobn > 0 {
			if msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn]); perr == nil {
				for _, cm := range msgs {
					if cm.Header.Level == syscall.IPPROTO_SCTP && cm.Header.Type == sctp.SCTP_CMSG_SNDRCV && len(cm.Data) >= 12 {
						stream = binary.NativeEndian.Uint16(cm.Data[0:2])
						ppid = binary.NativeEndian.Uint32(cm.Data[8:12])
					}
				}
			}
		}
		first = false
		if !truncated {
			n += m
		}
		if flags&syscall.MSG_EOR != 0 {
			if truncated || n >= len(buf) {
				return 0, stream, ppid, fmt.Errorf("%w: sctp message larger than the %d-byte buffer", ErrTruncated, len(buf))
			}
			return n, stream, ppid, nil
		}
		if n >= len(buf) {
			truncated = true
		}
	}
}

// sndRcvInfoLen is the size of Linux's struct sctp_sndrcvinfo: stream u16,
// ssn u16, flags u16, 2 bytes of padding, ppid u32 (at offset 8), context,
// timetolive, tsn, cumtsn u32, assoc_id s32.
const sndRcvInfoLen = 32

// WriteMessage sends msg on stream with PPID 3. The send does not block in
// the kernel (MSG_DONTWAIT): while the send buffer is full it polls for
// room and gives up when ctx ends, so a peer that stops reading cannot hold
// the writer forever. It does not allocate (the library's SCTPWrite builds
// its control message with encoding/binary on every call).
func (s *sctpConn) WriteMessage(ctx context.Context, stream uint16, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if stream >= s.out {
		return fmt.Errorf("sigtran: sctp write on stream %d of %d", stream, s.out)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// The control message: one cmsghdr with struct sctp_sndrcvinfo, in
	// 8-byte aligned storage owned by the connection (under wmu).
	cb := unsafe.Slice((*byte)(unsafe.Pointer(&s.wcmsg[0])), syscall.CmsgSpace(sndRcvInfoLen))
	clear(cb)
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&s.wcmsg[0]))
	h.Level, h.Type = syscall.IPPROTO_SCTP, sctp.SCTP_CMSG_SNDRCV
	h.SetLen(syscall.CmsgLen(sndRcvInfoLen))
	info := cb[syscall.CmsgLen(0):]
	binary.NativeEndian.PutUint16(info[0:2], stream)
	binary.NativeEndian.PutUint32(info[8:12], PPIDField(PPIDM3UA))
	for {
		fd := connFD(s.c)
		if fd < 0 {
			return fmt.Errorf("sigtran: sctp write: %w", ErrClosed)
		}
		_, err := syscall.SendmsgN(fd, msg, cb, nil, syscall.MSG_DONTWAIT)
		switch err {
		case nil:
			return nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
		default:
			return fmt.Errorf("sigtran: sctp write: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sigtran: sctp write: %w", err)
		}
		pfd := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if _, err := unix.Poll(pfd[:], 100); err != nil && err != unix.EINTR {
			return fmt.Errorf("sigtran: sctp write: poll: %w", err)
		}
	}
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
	// Closing (shutdown + close) a listening SCTP socket does not wake a
	// blocked accept on Linux (6.1 measured, test/sctp): wait for a
	// pending association with poll and a short timeout instead, so
	// cancellation is seen; accept only when one is queued.
	fd := int32(*(*int)(unsafe.Pointer(l.l))) // SCTPListener's first field: fd int
	for {
		if err := ctx.Err(); err != nil {
			l.Close()
			return nil, fmt.Errorf("sigtran: sctp accept: %w", err)
		}
		pfd := []unix.PollFd{{Fd: fd, Events: unix.POLLIN}}
		k, err := unix.Poll(pfd, 100)
		if err == unix.EINTR || (err == nil && k == 0) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sigtran: sctp accept: %w", err)
		}
		break
	}
	c, err := l.l.AcceptSCTP()
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
