// Package sigtran carries M3UA messages over an association: kernel SCTP
// (production, PPID 3, one stream per SLS class) or TCP (labs and tests; RFC
// 4666 §1.3.1: messages back to back, delimited by the length field of the
// M3UA common header). One ReadMessage returns one whole M3UA message.
package sigtran

import (
	"context"
	"errors"
	"net"
)

// PPIDM3UA is the SCTP payload protocol identifier of M3UA (RFC 4666).
const PPIDM3UA = 3

// MaxMessageSize bounds one M3UA message. M3UA lengths are 32-bit, but no
// legitimate message comes near this; a larger length means the peer is not
// speaking M3UA or the stream is out of step.
const MaxMessageSize = 65536

// ReadBufferSize is the buffer size callers should give ReadMessage.
const ReadBufferSize = MaxMessageSize

// HeaderLen is the length of the M3UA common header.
const HeaderLen = 8

// Errors returned by Conn implementations (wrapped with context).
var (
	// ErrFraming: the byte stream does not hold M3UA messages (bad length).
	// The association cannot be resynchronised and should be closed.
	ErrFraming = errors.New("sigtran: bad M3UA framing")
	// ErrTruncated: the message did not fit into the read buffer.
	ErrTruncated = errors.New("sigtran: message truncated")
	// ErrClosed: the association is closed.
	ErrClosed = errors.New("sigtran: association closed")
	// ErrWrongPPID: an SCTP message carried a payload protocol identifier
	// other than M3UA's (RFC 4666: 3) and was dropped. The association is
	// intact; count it, log it and keep reading.
	ErrWrongPPID = errors.New("sigtran: message with a non-M3UA SCTP PPID dropped")
)

// Conn is one association carrying M3UA messages with their stream number.
// ReadMessage must be called from one goroutine at a time; WriteMessage is
// safe for concurrent use. Both honour ctx (cancellation ends the blocked
// call; for TCP through deadlines; for SCTP a read by closing the
// association, a write by polling for send-buffer room).
type Conn interface {
	// ReadMessage reads one whole M3UA message into buf and returns its
	// length and the SCTP stream it came on (0 on TCP).
	ReadMessage(ctx context.Context, buf []byte) (n int, stream uint16, err error)
	// WriteMessage sends one whole M3UA message on stream (ignored on TCP).
	WriteMessage(ctx context.Context, stream uint16, msg []byte) error
	Close() error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// StreamCounter is implemented by associations with several outbound
// streams (kernel SCTP: the negotiated count). Streams are 0..OutStreams-1.
type StreamCounter interface {
	OutStreams() uint16
}

// Listener accepts associations.
type Listener interface {
	Accept(ctx context.Context) (Conn, error)
	Close() error
	Addr() net.Addr
}

// Transport names a kind of association.
type Transport string

// Transports.
const (
	TCP  Transport = "tcp"
	SCTP Transport = "sctp"
)

// Dial opens an association of the given transport. laddrs may be empty;
// for TCP only raddrs[0] (and laddrs[0] if given) is used.
func Dial(ctx context.Context, t Transport, laddrs, raddrs []string, opts SCTPOptions) (Conn, error) {
	switch t {
	case TCP, "":
		if len(raddrs) == 0 {
			return nil, errors.New("sigtran: dial tcp: no remote address")
		}
		return DialTCP(ctx, first(laddrs), raddrs[0])
	case SCTP:
		return DialSCTP(ctx, laddrs, raddrs, opts)
	}
	return nil, errors.New("sigtran: unknown transport " + string(t))
}

// Listen opens a listener of the given transport on addrs.
func Listen(t Transport, addrs []string, opts SCTPOptions) (Listener, error) {
	switch t {
	case TCP, "":
		if len(addrs) == 0 {
			return nil, errors.New("sigtran: listen tcp: no address")
		}
		return ListenTCP(addrs[0])
	case SCTP:
		return ListenSCTP(addrs, opts)
	}
	return nil, errors.New("sigtran: unknown transport " + string(t))
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
