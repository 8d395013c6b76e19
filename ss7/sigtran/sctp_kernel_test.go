//go:build linux && !386

package sigtran

// Kernel SCTP tests. They need a kernel with SCTP loaded and the loopback
// addresses 127.0.0.1-4 (all on lo as 127/8), so they run only when
// TDMTAP_SCTP_KERNEL=1: `make test-sctp` compiles this package's test
// binary and runs it inside user-mode Linux (test/sctp/). The PPID check
// also needs dumpcap and tshark in the guest.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

func kernelOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("TDMTAP_SCTP_KERNEL") != "1" {
		t.Skip("kernel SCTP test: runs inside user-mode Linux via `make test-sctp` (TDMTAP_SCTP_KERNEL=1)")
	}
}

// kpair opens a multi-homed association: server on 127.0.0.1+127.0.0.2,
// client bound to 127.0.0.3+127.0.0.4.
func kpair(t *testing.T, srvOpts, cliOpts SCTPOptions) (cli, srv Conn) {
	t.Helper()
	l, err := ListenSCTP([]string{"127.0.0.1", "127.0.0.2:0"}, srvOpts)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	port := l.Addr().(*sctp.SCTPAddr).Port
	if port == 0 {
		t.Fatalf("listener port 0: %v", l.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type res struct {
		c   Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept(ctx)
		ch <- res{c, err}
	}()
	cli, err = DialSCTP(ctx, []string{"127.0.0.3", "127.0.0.4:0"},
		[]string{"127.0.0.1", fmt.Sprintf("127.0.0.2:%d", port)}, cliOpts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	r := <-ch
	if r.err != nil {
		t.Fatalf("accept: %v", r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return cli, r.c
}

func addrIPs(a net.Addr) []string {
	sa, ok := a.(*sctp.SCTPAddr)
	if !ok || sa == nil {
		return nil
	}
	var out []string
	for _, ip := range sa.IPAddrs {
		out = append(out, ip.IP.String())
	}
	slices.Sort(out)
	return out
}

func TestKernelSCTPMultiHomed(t *testing.T) {
	kernelOnly(t)
	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	want := map[string][]string{
		"client local":  {"127.0.0.3", "127.0.0.4"},
		"client remote": {"127.0.0.1", "127.0.0.2"},
		"server local":  {"127.0.0.1", "127.0.0.2"},
		"server remote": {"127.0.0.3", "127.0.0.4"},
	}
	got := map[string][]string{
		"client local":  addrIPs(cli.LocalAddr()),
		"client remote": addrIPs(cli.RemoteAddr()),
		"server local":  addrIPs(srv.LocalAddr()),
		"server remote": addrIPs(srv.RemoteAddr()),
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s addresses %v, want %v", k, got[k], w)
		}
	}
	t.Logf("client %v -> %v", cli.LocalAddr(), cli.RemoteAddr())
}

// exchange sends msgs (stream i%16) one way and checks each arrives whole,
// in order per stream, on its stream.
func exchange(t *testing.T, from, to Conn, msgs [][]byte, streams uint16) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		for i, m := range msgs {
			if err := from.WriteMessage(ctx, uint16(i)%streams, m); err != nil {
				errc <- fmt.Errorf("write %d: %w", i, err)
				return
			}
		}
		errc <- nil
	}()
	// Per stream order is guaranteed; across streams it is not.
	next := make(map[uint16][]int)
	for i := range msgs {
		s := uint16(i) % streams
		next[s] = append(next[s], i)
	}
	buf := make([]byte, ReadBufferSize)
	for range msgs {
		n, s, err := to.ReadMessage(ctx, buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		q := next[s]
		if len(q) == 0 {
			t.Fatalf("message of %d bytes on stream %d: none expected there", n, s)
		}
		i := q[0]
		next[s] = q[1:]
		if !bytes.Equal(buf[:n], msgs[i]) {
			t.Fatalf("message %d (stream %d): got %d bytes, want %d (boundary or content wrong)", i, s, n, len(msgs[i]))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestKernelSCTPStreamsAndBoundaries(t *testing.T) {
	kernelOnly(t)
	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	if sc, ok := cli.(StreamCounter); !ok || sc.OutStreams() != 16 {
		t.Fatalf("client out streams: %v", cli)
	}
	var msgs [][]byte
	sizes := []int{0, 1, 7, 64, 272, 1400, 1500, 4000, 9000, 60000, MaxMessageSize - 1 - HeaderLen}
	for i := 0; i < 64; i++ {
		body := bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])
		m := msg(1, 1, body)
		m[1] = byte(i)
		msgs = append(msgs, m)
	}
	exchange(t, cli, srv, msgs, 16)
	exchange(t, srv, cli, msgs, 16)
}

// A burst of large messages queued before the reader runs: the receive
// buffer fills, which is where SCTP partial delivery could split a message
// into several reads (ReadMessage does not check MSG_EOR).
func TestKernelSCTPLargeBurst(t *testing.T) {
	kernelOnly(t)
	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	var msgs [][]byte
	for i := 0; i < 48; i++ {
		m := msg(1, 1, bytes.Repeat([]byte{byte(i), byte(i >> 8), 0x5a}, 20000))
		msgs = append(msgs, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		for i, m := range msgs {
			if err := cli.WriteMessage(ctx, 3, m); err != nil {
				werr = fmt.Errorf("write %d: %w", i, err)
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // let the receive window fill (not synchronisation: the test passes either way when correct)
	buf := make([]byte, ReadBufferSize)
	for i := range msgs {
		n, s, err := srv.ReadMessage(ctx, buf)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if s != 3 || !bytes.Equal(buf[:n], msgs[i]) {
			t.Fatalf("message %d: stream %d, %d bytes, want stream 3, %d bytes", i, s, n, len(msgs[i]))
		}
	}
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
}

func TestKernelSCTPOversizeIsTruncation(t *testing.T) {
	kernelOnly(t)
	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cli.WriteMessage(ctx, 1, make([]byte, MaxMessageSize+1000)); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, ReadBufferSize)
	_, _, err := srv.ReadMessage(ctx, buf)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("oversize message: err %v, want ErrTruncated", err)
	}
}

func TestKernelSCTPNegotiatedStreams(t *testing.T) {
	kernelOnly(t)
	cli, srv := kpair(t, SCTPOptions{InStreams: 4, OutStreams: 6}, SCTPOptions{OutStreams: 16, InStreams: 16})
	if n := cli.(StreamCounter).OutStreams(); n != 4 {
		t.Errorf("client out streams %d, want 4 (server accepts 4 in)", n)
	}
	if n := srv.(StreamCounter).OutStreams(); n != 6 {
		t.Errorf("server out streams %d, want 6", n)
	}
	ctx := context.Background()
	if err := cli.WriteMessage(ctx, 4, msg(1, 1, nil)); err == nil {
		t.Error("write on stream 4 of 4 succeeded")
	}
	exchange(t, cli, srv, [][]byte{msg(1, 1, []byte("a")), msg(1, 1, []byte("b")), msg(1, 1, []byte("c")), msg(1, 1, []byte("d"))}, 4)
}

func TestKernelSCTPPeerCloseAndCancel(t *testing.T) {
	kernelOnly(t)
	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	buf := make([]byte, ReadBufferSize)
	// Cancelling a blocked read returns promptly.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := cli.ReadMessage(ctx, buf)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled read: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled read did not return")
	}
	// The client association is closed by the cancel; the server sees it end.
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	if _, _, err := srv.ReadMessage(rctx, make([]byte, ReadBufferSize)); err == nil || rctx.Err() != nil {
		t.Errorf("server read after peer close: %v (ctx %v)", err, rctx.Err())
	}
}

// Writing does not allocate; a write blocked on a peer that does not read
// (its receive window and our send buffer full) returns when its context's
// deadline passes.
func TestKernelSCTPWriteCancel(t *testing.T) {
	kernelOnly(t)
	cli, _ := kpair(t, SCTPOptions{}, SCTPOptions{})
	small := msg(1, 1, []byte("x"))
	if n := testing.AllocsPerRun(20, func() {
		if err := cli.WriteMessage(context.Background(), 2, small); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per write", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m := msg(1, 1, make([]byte, 60000))
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 100000; i++ {
			if err := cli.WriteMessage(ctx, 1, m); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("write to a peer that does not read: %v, want the deadline", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("blocked write did not return after its context's deadline")
	}
}

func TestKernelSCTPDialRefused(t *testing.T) {
	kernelOnly(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := DialSCTP(ctx, nil, []string{"127.0.0.1:2"}, SCTPOptions{MaxAttempts: 2, MaxInitTimeout: 500})
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	t.Logf("dial refused after %v: %v", time.Since(start), err)
}

func TestKernelSCTPAcceptCancel(t *testing.T) {
	kernelOnly(t)
	l, err := ListenSCTP([]string{"127.0.0.1:0"}, SCTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept(ctx)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled accept: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled accept did not return")
	}
}

// TestKernelSCTPPPIDOnWire captures the association on lo with dumpcap and
// checks with tshark that every DATA chunk carries PPID 3 and the streams
// written. It also shows the fault of the pinned library: writing PPID 3
// unconverted puts 0x03000000 on the wire, which ReadMessage rejects.
func TestKernelSCTPPPIDOnWire(t *testing.T) {
	kernelOnly(t)
	tsharktest.Require(t)
	dumpcap, err := exec.LookPath("dumpcap")
	if err != nil {
		t.Skip("SKIP: dumpcap not installed — PPID on-the-wire check NOT RUN")
	}
	pcap := filepath.Join(t.TempDir(), "sctp.pcapng")
	dc := exec.Command(dumpcap, "-q", "-i", "lo", "-f", "sctp", "-w", pcap)
	var capErr bytes.Buffer
	dc.Stderr = &capErr
	if err := dc.Start(); err != nil {
		t.Fatalf("dumpcap: %v", err)
	}
	// dumpcap creates the file once capturing.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, err := os.Stat(pcap); err == nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			dc.Process.Kill()
			t.Fatalf("dumpcap did not start: %s", capErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// dumpcap writes the file header before its capture is live; give it
	// a moment (the traffic below takes only milliseconds).
	time.Sleep(1500 * time.Millisecond)

	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	var msgs [][]byte
	for i := 0; i < 15; i++ {
		msgs = append(msgs, msg(1, 1, []byte(fmt.Sprintf("stream-%02d", i))))
	}
	exchange(t, cli, srv, msgs, 15) // streams 0..14
	exchange(t, srv, cli, msgs[:5], 5)

	// Naive write: PPID 3 handed to the library as the plain number.
	raw := cli.(*sctpConn).c
	if _, err := raw.SCTPWrite(msg(1, 1, []byte("naive")), &sctp.SndRcvInfo{Stream: 15, PPID: 3}); err != nil {
		t.Fatalf("naive write: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, s, err := srv.ReadMessage(ctx, make([]byte, ReadBufferSize))
	if !errors.Is(err, ErrWrongPPID) || errors.Is(err, ErrFraming) || s != 15 {
		t.Errorf("naive PPID 3 write: stream %d err %v, want ErrWrongPPID (0x03000000 on the wire)", s, err)
	}
	// The message was dropped, the association stays usable.
	exchange(t, cli, srv, msgs[:2], 2)
	time.Sleep(200 * time.Millisecond) // let the last SACKs pass the capture
	dc.Process.Signal(syscall.SIGINT)
	if err := dc.Wait(); err != nil {
		t.Logf("dumpcap: %v %s", err, capErr.String())
	}

	rows := tsharktest.Fields(t, pcap, []string{"-Y", "sctp.data_payload_proto_id"}, "sctp.data_payload_proto_id", "sctp.data_sid", "sctp.srcport")
	streams := map[string]int{}
	var naive int
	for _, r := range rows {
		if len(r) < 2 {
			continue
		}
		ppids, sids := strings.Split(r[0], ","), strings.Split(r[1], ",")
		for i, p := range ppids {
			sid := "?"
			if i < len(sids) {
				if v, err := strconv.ParseUint(sids[i], 0, 16); err == nil {
					sid = strconv.FormatUint(v, 10)
				}
			}
			if sid == "15" && p == "50331648" {
				naive++
				continue
			}
			if p != "3" {
				t.Errorf("DATA chunk with PPID %s on stream %s, want 3", p, sid)
			}
			streams[sid]++
		}
	}
	for i := 0; i < 15; i++ {
		if streams[fmt.Sprint(i)] == 0 {
			t.Errorf("no DATA chunk on stream %d in the capture (%v)", i, streams)
		}
	}
	if naive != 1 {
		t.Errorf("naive write: %d chunks with PPID 0x03000000 on the wire, want 1", naive)
	}
	t.Logf("tshark: %d DATA packets, per stream %v, naive-PPID chunks %d", len(rows), streams, naive)
}

// sendGap writes two small messages 20 ms apart on a fresh association and
// returns how far apart they arrive. With Nagle's algorithm on (no
// SCTP_NODELAY), the second waits for the SACK of the first, which a peer
// that sends nothing delays by up to 200 ms.
func sendGap(t *testing.T, nodelay bool) time.Duration {
	t.Helper()
	cli, srv := kpair(t, SCTPOptions{}, SCTPOptions{})
	if nodelay {
		one := int32(1)
		raw := cli.(*sctpConn).c
		if _, _, err := raw.Setsockopt(sctp.SCTP_NODELAY, uintptr(unsafe.Pointer(&one)), 4); err != nil {
			t.Fatalf("SCTP_NODELAY: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	buf := make([]byte, ReadBufferSize)
	var worst time.Duration
	for i := 0; i < 3; i++ {
		if err := cli.WriteMessage(ctx, 1, msg(1, 1, []byte("first"))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.ReadMessage(ctx, buf); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		time.Sleep(20 * time.Millisecond)
		if err := cli.WriteMessage(ctx, 1, msg(1, 1, []byte("second"))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.ReadMessage(ctx, buf); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(t1))
		time.Sleep(300 * time.Millisecond) // let the SACKs settle between rounds
	}
	return worst
}

// TestKernelSCTPNoNagle: M3UA messages must leave at once (signalling
// latency, and the gateway timestamps what it receives). The associations
// sigtran opens must therefore have SCTP_NODELAY set.
func TestKernelSCTPNoNagle(t *testing.T) {
	kernelOnly(t)
	withND := sendGap(t, true)
	asIs := sendGap(t, false)
	t.Logf("second message after 20 ms: arrives %v after the first as sigtran opens associations, %v with SCTP_NODELAY set", asIs.Round(time.Millisecond), withND.Round(time.Millisecond))
	if asIs > 120*time.Millisecond {
		t.Errorf("a small message waited %v for the peer's SACK (Nagle): set SCTP_NODELAY on sigtran's associations", asIs.Round(time.Millisecond))
	}
}
