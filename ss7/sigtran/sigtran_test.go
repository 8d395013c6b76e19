package sigtran

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func msg(class, typ uint8, body []byte) []byte {
	b := make([]byte, 8+len(body))
	b[0], b[2], b[3] = 1, class, typ
	binary.BigEndian.PutUint32(b[4:], uint32(len(b)))
	copy(b[8:], body)
	return b
}

func tcpPair(t *testing.T) (client, server Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch := make(chan Conn, 1)
	go func() {
		c, err := l.Accept(ctx)
		if err != nil {
			t.Error(err)
		}
		ch <- c
	}()
	client, err = DialTCP(ctx, "", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestTCPFramingBackToBack(t *testing.T) {
	c, s := tcpPair(t)
	ctx := context.Background()
	m1 := msg(3, 3, []byte{0, 9, 0, 8, 1, 2, 3, 4})
	m2 := msg(3, 1, nil)
	// Both messages in one TCP write: the reader must split them.
	raw := c.(*tcpConn).c
	if _, err := raw.Write(append(append([]byte{}, m1...), m2...)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, ReadBufferSize)
	for _, want := range [][]byte{m1, m2} {
		n, stream, err := s.ReadMessage(ctx, buf)
		if err != nil {
			t.Fatal(err)
		}
		if stream != 0 || string(buf[:n]) != string(want) {
			t.Fatalf("got % x stream %d, want % x", buf[:n], stream, want)
		}
	}
	// WriteMessage path.
	if err := c.WriteMessage(ctx, 5, m1); err != nil {
		t.Fatal(err)
	}
	n, _, err := s.ReadMessage(ctx, buf)
	if err != nil || string(buf[:n]) != string(m1) {
		t.Fatalf("got % x %v", buf[:n], err)
	}
}

func TestTCPRejectsAbsurdLength(t *testing.T) {
	for _, l := range []uint32{0, 7, MaxMessageSize + 1, 0xffffffff} {
		c, s := tcpPair(t)
		h := []byte{1, 0, 3, 3, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(h[4:], l)
		if _, err := c.(*tcpConn).c.Write(h); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.ReadMessage(context.Background(), make([]byte, ReadBufferSize))
		if !errors.Is(err, ErrFraming) {
			t.Errorf("length %d: err %v, want ErrFraming", l, err)
		}
	}
}

func TestTCPWriteRejectsBadHeader(t *testing.T) {
	c, _ := tcpPair(t)
	m := msg(3, 3, nil)
	m = append(m, 0) // header says 8, slice is 9
	if err := c.WriteMessage(context.Background(), 0, m); !errors.Is(err, ErrFraming) {
		t.Fatalf("err %v, want ErrFraming", err)
	}
}

func TestTCPTruncationKeepsStep(t *testing.T) {
	c, s := tcpPair(t)
	ctx := context.Background()
	big := msg(1, 1, make([]byte, 100))
	small := msg(3, 3, nil)
	if err := c.WriteMessage(ctx, 0, big); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(ctx, 0, small); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, _, err := s.ReadMessage(ctx, buf); !errors.Is(err, ErrTruncated) {
		t.Fatalf("err %v, want ErrTruncated", err)
	}
	n, _, err := s.ReadMessage(ctx, buf)
	if err != nil || string(buf[:n]) != string(small) {
		t.Fatalf("after truncation got % x %v", buf[:n], err)
	}
}

func TestTCPReadCancel(t *testing.T) {
	_, s := tcpPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := s.ReadMessage(ctx, make([]byte, ReadBufferSize))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read not cancelled")
	}
	// A deadline ends a read too.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, _, err := s.ReadMessage(ctx2, make([]byte, ReadBufferSize))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
}

func TestTCPAcceptCancel(t *testing.T) {
	l, err := ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.Accept(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

// The pinned ishidawataru/sctp passes sinfo_ppid to the kernel unconverted
// and the kernel puts its memory bytes on the wire. Writing PPID 3 as the
// plain number would send 0x03000000 on a little-endian host (the fault
// DESIGN.md records); PPIDField must give the bytes 00 00 00 03 in memory.
func TestPPIDByteOrderFault(t *testing.T) {
	var mem [4]byte
	binary.NativeEndian.PutUint32(mem[:], PPIDField(PPIDM3UA))
	if mem != [4]byte{0, 0, 0, 3} {
		t.Fatalf("sinfo_ppid memory bytes % x, want 00 00 00 03", mem)
	}
	binary.NativeEndian.PutUint32(mem[:], PPIDM3UA)
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 { // little-endian host
		if mem == [4]byte{0, 0, 0, 3} {
			t.Fatal("naive PPID write would already be right: is the host big-endian?")
		}
		if PPIDField(3) != 0x03000000 {
			t.Fatalf("PPIDField(3) = %#x, want 0x03000000 on little-endian", PPIDField(3))
		}
	}
	for _, p := range []uint32{0, 3, 46, 0xdeadbeef} {
		if PPIDFromField(PPIDField(p)) != p {
			t.Errorf("round trip %#x", p)
		}
	}
}

func TestStreamForSLS(t *testing.T) {
	if StreamForSLS(7, 1) != 0 || StreamForSLS(7, 0) != 0 {
		t.Error("single stream must be 0")
	}
	seen := map[uint16]bool{}
	for sls := 0; sls < 16; sls++ {
		s := StreamForSLS(uint8(sls), 16)
		if s == 0 || s >= 16 {
			t.Fatalf("sls %d -> stream %d", sls, s)
		}
		if StreamForSLS(uint8(sls), 16) != s {
			t.Fatal("not stable")
		}
		seen[s] = true
	}
	if len(seen) != 15 {
		t.Errorf("16 SLS over 15 data streams used %d streams", len(seen))
	}
}

func TestParseSCTPAddrs(t *testing.T) {
	a, err := ParseSCTPAddrs([]string{"10.0.0.1:2905", "[fd00::2]:2905"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Port != 2905 || len(a.IPAddrs) != 2 || !a.IPAddrs[1].IP.Equal(net.ParseIP("fd00::2")) {
		t.Fatalf("%+v", a)
	}
	a, err = ParseSCTPAddrs([]string{"10.0.0.1", "10.0.1.1:3000"})
	if err != nil || a.Port != 3000 || len(a.IPAddrs) != 2 {
		t.Fatalf("%+v %v", a, err)
	}
	a, err = ParseSCTPAddrs([]string{":0"})
	if err != nil || a.Port != 0 || len(a.IPAddrs) != 0 {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range [][]string{nil, {"10.0.0.1"}, {"10.0.0.1:1", "10.0.0.2:2"}, {"host.example:2905"}, {"10.0.0.1:99999"}} {
		if _, err := ParseSCTPAddrs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSCTPWithoutKernel(t *testing.T) {
	// This machine has no kernel SCTP: listening must fail with an error,
	// not hang or panic. (Where SCTP exists this checks nothing more.)
	l, err := ListenSCTP([]string{"127.0.0.1:0"}, SCTPOptions{})
	if err == nil {
		l.Close()
		t.Skip("kernel SCTP present; covered by the kernel tests (make test-sctp)")
	}
	if !strings.HasPrefix(err.Error(), "sigtran: ") {
		t.Fatalf("error without context: %v", err)
	}
}

func TestStatusOutStreams(t *testing.T) {
	b := make([]byte, 176)
	binary.NativeEndian.PutUint16(b[16:], 10) // instrms
	binary.NativeEndian.PutUint16(b[18:], 7)  // outstrms
	if n := statusOutStreams(b); n != 7 {
		t.Fatalf("outstrms %d", n)
	}
	if statusOutStreams(b[:10]) != 0 {
		t.Fatal("short status")
	}
}

// A wrong PPID drops one message (ErrWrongPPID), it is not a framing error
// that would end the association. The kernel path (ReadMessage returning it
// and the association staying usable) is covered by make test-sctp
// (TestKernelSCTPPPIDOnWire).
func TestCheckPPID(t *testing.T) {
	for _, p := range []uint32{PPIDM3UA, 0} {
		if err := CheckPPID(p); err != nil {
			t.Errorf("PPID %d: %v", p, err)
		}
	}
	for _, p := range []uint32{1, 46, 0x03000000, 0xffffffff} {
		err := CheckPPID(p)
		if !errors.Is(err, ErrWrongPPID) || errors.Is(err, ErrFraming) {
			t.Errorf("PPID %#x: %v, want ErrWrongPPID and not ErrFraming", p, err)
		}
	}
}
