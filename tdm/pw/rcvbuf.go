package pw

import (
	"fmt"
	"net"
)

// DefaultReadBuffer is the UDP receive buffer a span source asks for: 4 MiB
// holds about 1.5 s of an E1 SAToP pseudowire (1,000 packets/s of ~300
// bytes with the kernel's bookkeeping), so a burst after the sender or the
// gateway stalled is queued rather than lost and played out as loss fill.
const DefaultReadBuffer = 4 << 20

// SetReadBuffer sets conn's receive buffer (SO_RCVBUF) to want bytes and
// reads back what the kernel granted. Linux reports twice the value set
// (the other half is its bookkeeping) and caps the request at
// net.core.rmem_max; capped reports whether the buffer ended up smaller
// than asked for (raise net.core.rmem_max then). Call it before ServeUDP.
func SetReadBuffer(conn *net.UDPConn, want int) (got int, capped bool, err error) {
	if err := conn.SetReadBuffer(want); err != nil {
		return 0, false, fmt.Errorf("pseudowire receive buffer: %w", err)
	}
	got, err = ReadBuffer(conn)
	if err != nil {
		return 0, false, err
	}
	return got, got < want, nil
}

// ReadBuffer returns conn's receive buffer size as the kernel reports it.
func ReadBuffer(conn *net.UDPConn) (int, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("pseudowire receive buffer: %w", err)
	}
	var n int
	var gerr error
	if err := rc.Control(func(fd uintptr) { n, gerr = getRcvBuf(fd) }); err != nil {
		return 0, fmt.Errorf("pseudowire receive buffer: %w", err)
	}
	if gerr != nil {
		return 0, fmt.Errorf("pseudowire receive buffer: getsockopt: %w", gerr)
	}
	return n, nil
}
