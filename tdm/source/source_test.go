package source

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/tdm"
	"github.com/tdmtap/tdmtap/tdm/demux"
	"github.com/tdmtap/tdmtap/tdm/g711"
	"github.com/tdmtap/tdmtap/tdm/pw"
)

func e1Stream(frames int) []byte {
	fr := e1.NewE1Framer(e1.E1Config{CRC4: true})
	var b []byte
	slots := make([]byte, 32)
	for f := range frames {
		slots[5] = g711.ALawMilliwatt[f%8]
		slots[9] = byte(f)
		b = fr.AppendFrame(b, slots)
	}
	return b
}

func milliwatt(c []byte) bool {
	for k := range 8 {
		ok := true
		for i, o := range c {
			if o != g711.ALawMilliwatt[(i+k)%8] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestSAToPSourceToDemux(t *testing.T) {
	dm := demux.New()
	got := make(chan uint64, 100)
	dm.Subscribe("span1", 5, func(c []byte, first uint64) {
		if !milliwatt(c) {
			t.Errorf("chunk at %d is not the milliwatt: % x", first, c[:8])
		}
		got <- first
	})
	reg := prometheus.NewRegistry()
	src, err := New(Config{Name: "span1", Kind: SAToP, Framing: "e1-crc4", Listen: "127.0.0.1:0", Jitter: 3 * time.Millisecond}, dm, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	conn, err := net.Dial("udp", src.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx := pw.NewSAToPSender(conn, pw.Header{RTP: true, PT: 96, SSRC: 1}, 0)
	stream := e1Stream(8 * 200)
	for i := 0; i < len(stream); i += 256 {
		if _, err := tx.Write(stream[i : i+256]); err != nil {
			t.Fatal(err)
		}
		if i%(256*20) == 0 {
			time.Sleep(time.Millisecond) // loopback UDP drops long bursts
		}
	}
	var firsts []uint64
	for len(firsts) < 8 {
		select {
		case f := <-got:
			firsts = append(firsts, f)
		case <-time.After(5 * time.Second):
			t.Fatalf("chunks %v, pw lost %d", firsts, src.PW.Lost.Load())
		}
	}
	for i := 1; i < len(firsts); i++ {
		if firsts[i] != firsts[i-1]+160 {
			t.Fatalf("chunk starts %v", firsts)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	st := src.Stats()
	if st.Frames < 8*160 || st.Deframer.CRCErrors != 0 || !st.Deframer.InMultiframe {
		t.Fatalf("stats %+v", st)
	}
	if n, err := testutil.GatherAndCount(reg, "tdmtap_span_frames_total", "tdmtap_pw_packets_total", "tdmtap_span_alarm"); err != nil || n != 8 {
		t.Fatalf("metrics %d %v", n, err)
	}
}

func TestCESoPSNSource(t *testing.T) {
	dm := demux.New()
	got := make(chan []byte, 10)
	dm.Subscribe("t1a", 24, func(c []byte, first uint64) { got <- bytes.Clone(c) })
	src, err := New(Config{Name: "t1a", Kind: CESoPSN, Framing: "t1-esf", Listen: "127.0.0.1:0", Timeslots: []int{1, 24}, PayloadSize: 16}, dm, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = src.Run(ctx) }()
	conn, _ := net.Dial("udp", src.Addr().String())
	defer conn.Close()
	tx, err := pw.NewCESoPSNSender(conn, pw.Header{}, pw.CESoPSNConfig{Width: tdm.T1Width, Slots: []int{1, 24}, FramesPerPacket: 8})
	if err != nil {
		t.Fatal(err)
	}
	frames := make([]byte, 24*8)
	for f := range 8 {
		frames[f*24+23] = g711.ULawMilliwatt[f]
	}
	for range 30 {
		tx.Frames("t1a", 0, 8, frames, 24)
	}
	select {
	case c := <-got:
		if !bytes.Equal(c[:8], g711.ULawMilliwatt[:]) {
			t.Fatalf("chunk % x", c[:8])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no chunk")
	}
}

func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "span.raw")
	if err := os.WriteFile(path, e1Stream(8000)[77:], 0o644); err != nil {
		t.Fatal(err)
	}
	dm := demux.New()
	var chunks int
	dm.Subscribe("f", 9, func(c []byte, first uint64) {
		chunks++
		for i := 1; i < len(c); i++ {
			if c[i] != c[i-1]+1 {
				t.Fatalf("chunk %d octet %d", chunks, i)
			}
		}
	})
	src, err := New(Config{Name: "f", Kind: File, Framing: "e1-crc4", Path: path}, dm, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if chunks < 49 || src.Stats().Frames < 7990 {
		t.Fatalf("chunks %d frames %d", chunks, src.Stats().Frames)
	}
}

type fakeIoctl struct{ block int }

func (f *fakeIoctl) SetInt(fd int, req uint, v int) error {
	if req == 0x4004DA01 {
		f.block = v
	}
	return nil
}
func (f *fakeIoctl) GetInt(fd int, req uint) (int, error) { return f.block, nil }

func TestDAHDISourceWithFakeDevice(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "channel")
	if err := os.WriteFile(dev, bytes.Repeat([]byte{0x2A}, 160*3), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := tdm.FrameSinkFunc(nil)
	var frames int
	rec = func(_ string, first uint64, n int, slots []byte, w int) {
		frames += n
		if w != 32 || slots[0] != 0xFF || slots[1] != 0x2A || slots[31] != 0x2A {
			t.Fatalf("frame % x", slots[:32])
		}
	}
	src, err := New(Config{Name: "d", Kind: DAHDI, DAHDIDevice: dev, DAHDIChannel: 1, Ioctl: &fakeIoctl{}}, rec, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if frames != 480 {
		t.Fatalf("frames %d", frames)
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Name: "x", Kind: "tcp"},
		{Name: "x", Kind: SAToP, Framing: "j1"},
		{Name: "x", Kind: File},
		{Name: "x", Kind: CESoPSN, Listen: "127.0.0.1:0", Timeslots: []int{1, 2, 3}, PayloadSize: 32},
		{Name: "x", Kind: SAToP, Listen: "not an address"},
	} {
		if s, err := New(c, tdm.FrameSinkFunc(func(string, uint64, int, []byte, int) {}), nil, nil); err == nil {
			s.Close()
			t.Errorf("%+v accepted", c)
		} else if !strings.Contains(err.Error(), "span x") {
			t.Errorf("error without the span name: %v", err)
		}
	}
}

// TestReadBuffer: a pseudowire source asks for a large UDP receive buffer
// (4 MiB by default) and warns, without failing, when the kernel caps it.
func TestReadBuffer(t *testing.T) {
	rmemMax := 0
	if b, err := os.ReadFile("/proc/sys/net/core/rmem_max"); err == nil {
		rmemMax, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	for _, c := range []struct {
		name       string
		ask        int
		wantCapped bool
	}{
		{"default", 0, rmemMax > 0 && rmemMax < pw.DefaultReadBuffer},
		{"small", 300 << 10, rmemMax > 0 && rmemMax < 300<<10},
		{"beyond rmem_max", 1 << 30, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			src, err := New(Config{Name: "s", Kind: SAToP, Listen: "127.0.0.1:0", ReadBuffer: c.ask}, demux.New(), nil, log)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := pw.ReadBuffer(src.conn)
			if err != nil {
				t.Fatal(err)
			}
			want := c.ask
			if want == 0 {
				want = pw.DefaultReadBuffer
			}
			warned := strings.Contains(logs.String(), "receive buffer capped")
			if warned != c.wantCapped {
				t.Errorf("asked %d, got %d: warned %v, want %v (rmem_max %d)", want, got, warned, c.wantCapped, rmemMax)
			}
			if !c.wantCapped && got < want {
				t.Errorf("asked %d, got %d", want, got)
			}
		})
	}
}

// TestCESoPSNJitterDepth: the jitter buffer holds the configured time
// whatever the packet size (4-frame packets are 0.5 ms: 2 ms is 4 packets).
func TestCESoPSNJitterDepth(t *testing.T) {
	for _, c := range []struct {
		slots   []int
		payload int
		width   int
		fpp     int
		depth   int
	}{
		{[]int{1, 2, 3}, 12, tdm.E1Width, 4, 4},  // 0.5 ms packets
		{[]int{1, 2, 3}, 48, tdm.E1Width, 16, 1}, // 2 ms packets
		{nil, 0, tdm.E1Width, 8, 2},              // default: 8 frames, 1 ms
		{nil, 24 * 2, tdm.T1Width, 2, 8},         // all 24 T1 channels, 0.25 ms
	} {
		cfg := Config{Name: "x", Timeslots: c.slots, PayloadSize: c.payload, Jitter: 2 * time.Millisecond}
		got, err := cesopsnConfig(&cfg, c.width, pw.RTPAuto)
		if err != nil {
			t.Fatal(err)
		}
		if got.FramesPerPacket != c.fpp || got.Depth != c.depth {
			t.Errorf("%+v: %d frames per packet, depth %d; want %d, %d", c, got.FramesPerPacket, got.Depth, c.fpp, c.depth)
		}
	}
}

// TestAlarmChangesLogged: alarms raised and cleared inside a recording are
// logged as the span time passes (every 125 ms of it), not only at the end.
func TestAlarmChangesLogged(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{})
	var b []byte
	slots := make([]byte, 32)
	for f := range 12000 { // 1.5 s: LOS from 0.5 s to 1 s
		fr.LOS = f >= 4000 && f < 8000
		b = fr.AppendFrame(b, slots)
	}
	path := filepath.Join(t.TempDir(), "los.raw")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	src, err := New(Config{Name: "f", Kind: File, Framing: "e1", Path: path}, demux.New(), nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	raised := strings.Index(out, `msg="span alarm raised" span=f alarms=LOS`)
	cleared := strings.Index(out, `msg="span alarm cleared" span=f alarms=LOS`)
	if raised < 0 || cleared < raised {
		t.Fatalf("alarm log:\n%s", out)
	}
	if st := src.Stats(); st.Deframer.Alarms != 0 || st.Deframer.AlarmsSeen&e1.AlarmLOS == 0 {
		t.Fatalf("stats %+v", st.Deframer)
	}
}

// TestSAToPSourceZeroAllocs: a SAToP packet through the source (jitter
// buffer, deframer, batcher, demultiplexer, snapshot refresh) allocates
// nothing.
func TestSAToPSourceZeroAllocs(t *testing.T) {
	dm := demux.New()
	chunks := 0
	for ts := 1; ts < 32; ts++ {
		dm.Subscribe("z", ts, func([]byte, uint64) { chunks++ })
	}
	src, err := New(Config{Name: "z", Kind: SAToP, Framing: "e1-crc4", Listen: "127.0.0.1:0", ReadBuffer: -1}, dm, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pk := pw.NewSAToPPacketizer(pw.Header{}, 0)
	var pkts [][]byte
	_ = pk.Write(e1Stream(8*500), func(b []byte) error { pkts = append(pkts, bytes.Clone(b)); return nil })
	seq, i := uint16(0), 0
	send := func() {
		b := pkts[i%len(pkts)]
		b[2], b[3] = byte(seq>>8), byte(seq)
		src.pkt.HandlePacket(b)
		seq++
		i++
	}
	for range 400 {
		send()
	}
	if a := testing.AllocsPerRun(1000, send); a != 0 {
		t.Fatalf("%v allocs per packet", a)
	}
	if st := src.d.Stats(); !st.InFrame || chunks == 0 {
		t.Fatalf("deframer %+v, %d chunks", st, chunks)
	}
}
