package pw

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tdmtap/tdmtap/tdm"
)

func TestCWRoundTrip(t *testing.T) {
	for _, c := range []CW{{}, {L: true}, {R: true, Seq: 0xFFFF}, {M: 2, FRG: 3, Len: 63, Seq: 1234}, {L: true, R: true, M: 3, FRG: 1, Len: 5, Seq: 7}} {
		var b [4]byte
		c.Put(b[:])
		got, err := ParseCW(b[:])
		if err != nil || got != c {
			t.Fatalf("%+v -> % x -> %+v %v", c, b, got, err)
		}
	}
	// Known encoding: L, R, M=10, FRG=01, LEN=0x21, SEQ=0xBEEF.
	var b [4]byte
	CW{L: true, R: true, M: 2, FRG: 1, Len: 0x21, Seq: 0xBEEF}.Put(b[:])
	if want := []byte{0x0E, 0x61, 0xBE, 0xEF}; !bytes.Equal(b[:], want) {
		t.Fatalf("CW bytes % x, want % x", b, want)
	}
	if _, err := ParseCW([]byte{0x10, 0, 0, 0}); err != ErrNotCW {
		t.Fatalf("first nibble not checked: %v", err)
	}
}

func TestParseRTPAndLen(t *testing.T) {
	payload := bytes.Repeat([]byte{0xAB}, 256)
	h := Header{RTP: true, PT: 96, SSRC: 0x11223344}
	pk := h.appendPacket(nil, CW{R: true, Seq: 42}, 8, payload)
	var p Packet
	for _, mode := range []RTPMode{RTPPresent, RTPAuto} {
		if err := Parse(pk, mode, &p); err != nil {
			t.Fatal(err)
		}
		if !p.HasRTP || p.PT != 96 || p.SSRC != 0x11223344 || p.RTPSeq != 42 || p.RTPTimestamp != 8 || !p.CW.R || p.CW.Seq != 42 || p.CW.Len != 0 || !bytes.Equal(p.Payload, payload) {
			t.Fatalf("mode %d: %+v", mode, p)
		}
	}
	if err := Parse(pk, RTPNone, &p); err != ErrNotCW {
		t.Fatalf("RTP packet parsed as CW-first: %v", err)
	}
	// Short packet: LEN set, Ethernet padding trimmed.
	short := (&Header{}).appendPacket(nil, CW{Seq: 1}, 0, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	if short[1]&0x3F != 12 {
		t.Fatalf("LEN = %d, want 12", short[1]&0x3F)
	}
	padded := append(short, make([]byte, 30)...)
	if err := Parse(padded, RTPAuto, &p); err != nil || len(p.Payload) != 8 || p.HasRTP {
		t.Fatalf("padded short packet: %v %d", err, len(p.Payload))
	}
	if err := Parse(short[:10], RTPNone, &p); err != ErrLen {
		t.Fatalf("LEN beyond packet: %v", err)
	}
	// RTP with CSRC and extension.
	ext := []byte{0x91, 96, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 0, 0, 0, 5, 0xEE}
	if err := Parse(ext, RTPPresent, &p); err != nil || p.CW.Seq != 5 || len(p.Payload) != 1 || p.Payload[0] != 0xEE {
		t.Fatalf("rtp csrc/ext: %v %+v", err, p)
	}
	if err := Parse(ext[:20], RTPPresent, &p); err == nil {
		t.Fatal("truncated extension accepted")
	}
	// RTP padding: 3 octets, the last one counting them.
	padded = append((&Header{RTP: true, PT: 96}).appendPacket(nil, CW{Seq: 6}, 0, payload), 0, 0, 3)
	padded[0] |= 0x20
	if err := Parse(padded, RTPAuto, &p); err != nil || !bytes.Equal(p.Payload, payload) {
		t.Fatalf("RTP padding: %v, %d octets", err, len(p.Payload))
	}
	padded[len(padded)-1] = 0
	if err := Parse(padded, RTPAuto, &p); err != ErrRTP {
		t.Fatalf("zero padding count: %v", err)
	}
	padded[len(padded)-1] = 255
	if err := Parse(padded[:RTPLen+CWLen+2], RTPAuto, &p); err != ErrRTP {
		t.Fatalf("padding beyond the payload: %v", err)
	}
}

type played struct {
	seq  uint64
	lost bool
	data byte
}

func TestJitterReorderLossDupLate(t *testing.T) {
	var st Stats
	var out []played
	j := NewJitter(JitterConfig{Depth: 3, MaxSize: 4}, &st, func(seq uint64, cw CW, p []byte, lost bool) {
		out = append(out, played{seq, lost, p[0]})
	})
	push := func(seq uint16) { j.Push(CW{Seq: seq}, []byte{byte(seq), 0, 0, 0}) }
	// 65534, 65535 (wrap), 1, 0 (reordered), 0 again (dup), 2 missing, 3..6.
	for _, s := range []uint16{65534, 65535, 1, 0, 0, 3, 4, 5, 6} {
		push(s)
	}
	push(65533) // late: before the first played
	j.Flush()
	want := []uint16{65534, 65535, 0, 1, 2, 3, 4, 5, 6}
	if len(out) != len(want) {
		t.Fatalf("played %d: %+v", len(out), out)
	}
	for i, w := range want {
		if uint16(out[i].seq) != w {
			t.Fatalf("play %d: seq %d want %d", i, uint16(out[i].seq), w)
		}
		if lost := w == 2; out[i].lost != lost || (!lost && out[i].data != byte(w)) || (lost && out[i].data != 0xFF) {
			t.Fatalf("play %d: %+v", i, out[i])
		}
	}
	if st.Lost.Load() != 1 || st.Duplicates.Load() != 1 || st.Reordered.Load() != 1 || st.Late.Load() != 1 || st.Packets.Load() != 8 {
		t.Fatalf("stats lost=%d dup=%d reord=%d late=%d pk=%d", st.Lost.Load(), st.Duplicates.Load(), st.Reordered.Load(), st.Late.Load(), st.Packets.Load())
	}
}

func TestJitterGapAndResync(t *testing.T) {
	var st Stats
	n, lost := 0, 0
	j := NewJitter(JitterConfig{Depth: 2, MaxSize: 1, MaxFill: 50}, &st, func(_ uint64, _ CW, _ []byte, l bool) {
		n++
		if l {
			lost++
		}
	})
	j.Push(CW{Seq: 10}, []byte{1})
	j.Push(CW{Seq: 40}, []byte{1}) // gap of 29: filled
	if lost != 28 {                // 11..38; 39 is still within the depth
		t.Fatalf("filled %d, want 28", lost)
	}
	j.Push(CW{Seq: 10000}, []byte{1}) // jump > MaxFill: restart
	if st.Resyncs.Load() != 1 {
		t.Fatalf("resyncs %d", st.Resyncs.Load())
	}
	j.Push(CW{Seq: 10001}, []byte{1})
	j.Push(CW{Seq: 10002}, []byte{1})
	j.Flush()
	if st.Lost.Load() != 29 || n != 29+5 {
		t.Fatalf("lost %d played %d", st.Lost.Load(), n)
	}
	j.Push(CW{Seq: 5000}, []byte{1}) // sender restarted further back: restart too
	j.Push(CW{Seq: 5001}, []byte{1})
	j.Push(CW{Seq: 5002}, []byte{1})
	if st.Resyncs.Load() != 2 || n != 34+1 || st.Late.Load() != 0 {
		t.Fatalf("backward restart: resyncs %d played %d late %d", st.Resyncs.Load(), n, st.Late.Load())
	}
}

// Random arrival orders within the jitter window: every sequence number is
// played exactly once, in order, and nothing is lost.
func TestJitterRandomWithinWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		var st Stats
		var got []uint16
		j := NewJitter(JitterConfig{Depth: 8, MaxSize: 2}, &st, func(seq uint64, cw CW, p []byte, lost bool) {
			if lost {
				t.Fatalf("trial %d: lost %d", trial, uint16(seq))
			}
			got = append(got, uint16(p[0])<<8|uint16(p[1]))
		})
		start := uint16(rng.Uint32())
		seqs := make([]uint16, 500)
		for i := range seqs {
			seqs[i] = start + uint16(i)
		}
		// each packet delayed by up to 4 positions (< depth): all in time
		keys := make([]float64, len(seqs))
		for i := range keys {
			keys[i] = float64(i) + 4*rng.Float64()
		}
		sort.Sort(byKey{keys, seqs})
		for _, s := range seqs {
			j.Push(CW{Seq: s}, []byte{byte(s >> 8), byte(s)})
		}
		j.Flush()
		// play starts at the first arrival; earlier sequence numbers are late
		first := got[0]
		for i, s := range got {
			if s != first+uint16(i) {
				t.Fatalf("trial %d: position %d seq %d", trial, i, s)
			}
		}
		if len(got) < 490 || st.Late.Load() != uint64(first-start) || len(got)+int(first-start) != 500 {
			t.Fatalf("trial %d: played %d late %d", trial, len(got), st.Late.Load())
		}
	}
}

func udpPair(t *testing.T) (*net.UDPConn, net.Conn) {
	t.Helper()
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.Dial("udp", rx.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close(); tx.Close() })
	return rx, tx
}

func TestSAToPOverUDP(t *testing.T) {
	rx, tx := udpPair(t)
	var got bytes.Buffer
	done := make(chan struct{})
	const total = 256 * 20
	r := NewSAToPReceiver(SAToPConfig{RTP: RTPAuto, Depth: 2}, func(p []byte) {
		got.Write(p)
		if got.Len() == total-2*256 {
			close(done)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- ServeUDP(ctx, rx, r) }()
	s := NewSAToPSender(tx, Header{RTP: true, PT: 96, SSRC: 7}, 0)
	src := make([]byte, total)
	for i := range src {
		src[i] = byte(i * 13)
	}
	for i := 0; i < total; i += 100 {
		if _, err := s.Write(src[i:min(i+100, total)]); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 0 {
			time.Sleep(time.Millisecond) // pace a little: loopback UDP drops bursts
		}
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("received %d bytes, lost %d", got.Len(), r.Stats.Lost.Load())
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), src[:got.Len()]) {
		t.Fatal("bitstream differs")
	}
}

func TestSAToPLBitRBitAndMetrics(t *testing.T) {
	var got []byte
	r := NewSAToPReceiver(SAToPConfig{PayloadBytes: 32, Depth: 1}, func(p []byte) { got = append(got, p...) })
	p := NewSAToPPacketizer(Header{}, 32)
	data := bytes.Repeat([]byte{0x55}, 32)
	var pkt []byte
	pkt = p.AppendPacket(pkt[:0], data)
	r.HandlePacket(pkt)
	p.L, p.OmitOnL = true, true
	pkt = p.AppendPacket(pkt[:0], data) // L set, payload omitted
	if len(pkt) != 4 {
		t.Fatalf("L packet len %d", len(pkt))
	}
	r.HandlePacket(pkt)
	p.L, p.R = false, true
	p.Seq++ // lose one
	pkt = p.AppendPacket(pkt[:0], data)
	r.HandlePacket(pkt)
	r.HandlePacket([]byte{0xF0, 0, 0})                  // malformed
	r.HandlePacket(p.AppendPacket(nil, data[:16])[:20]) // wrong size
	r.Flush()
	want := append(append(bytes.Repeat([]byte{0x55}, 32), bytes.Repeat([]byte{0xFF}, 64)...), bytes.Repeat([]byte{0x55}, 32)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("bitstream\n% x\nwant\n% x", got, want)
	}
	st := &r.Stats
	if st.LBit.Load() != 1 || st.RBit.Load() != 1 || st.Lost.Load() != 1 || !st.RemoteDefect.Load() || st.Malformed.Load() != 2 {
		t.Fatalf("L=%d R=%d lost=%d rdef=%v malformed=%d", st.LBit.Load(), st.RBit.Load(), st.Lost.Load(), st.RemoteDefect.Load(), st.Malformed.Load())
	}
	reg := prometheus.NewRegistry()
	if err := st.Register(reg, "span1", "satop"); err != nil {
		t.Fatal(err)
	}
	exp := `# HELP tdmtap_pw_lost_packets_total Pseudowire packets lost and filled with all ones (AIS).
# TYPE tdmtap_pw_lost_packets_total counter
tdmtap_pw_lost_packets_total{kind="satop",span="span1"} 1
# HELP tdmtap_pw_remote_defect 1 while the peer reports packet loss (R bit).
# TYPE tdmtap_pw_remote_defect gauge
tdmtap_pw_remote_defect{kind="satop",span="span1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "tdmtap_pw_lost_packets_total", "tdmtap_pw_remote_defect"); err != nil {
		t.Fatal(err)
	}
}

type frameRec struct {
	first []uint64
	data  []byte
	width int
}

func (f *frameRec) Frames(_ string, first uint64, n int, slots []byte, width int) {
	f.first = append(f.first, first)
	f.data = append(f.data, slots[:n*width]...)
	f.width = width
}

func e1Frames(n int, seed byte) []byte {
	b := make([]byte, n*32)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

func TestCESoPSNBasicRoundTrip(t *testing.T) {
	cfg := CESoPSNConfig{Slots: []int{1, 2, 5, 17}, FramesPerPacket: 4}
	tx, err := NewCESoPSNPacketizer(Header{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &frameRec{}
	rx, err := NewCESoPSNReceiver("s", cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	frames := e1Frames(40, 3)
	var pkts [][]byte
	if err := tx.WriteFrames(40, frames, 32, func(p []byte) error { pkts = append(pkts, bytes.Clone(p)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 10 || len(pkts[0]) != 4+16 || pkts[0][1]&0x3F != 20 {
		t.Fatalf("%d packets, first % x", len(pkts), pkts[0])
	}
	pkts[3], pkts[4] = pkts[4], pkts[3]  // reorder
	pkts = append(pkts[:6], pkts[7:]...) // lose packet 6
	for _, p := range pkts {
		rx.HandlePacket(p)
	}
	rx.Flush()
	if len(rec.data) != 40*32 || rec.first[9] != 36 {
		t.Fatalf("got %d octets, firsts %v", len(rec.data), rec.first)
	}
	for f := range 40 {
		for ts := range 32 {
			got := rec.data[f*32+ts]
			want := byte(0xFF)
			if (ts == 1 || ts == 2 || ts == 5 || ts == 17) && f/4 != 6 {
				want = frames[f*32+ts]
			}
			if got != want {
				t.Fatalf("frame %d ts %d: %#x want %#x", f, ts, got, want)
			}
		}
	}
	if rx.Stats.Lost.Load() != 1 || rx.Stats.Reordered.Load() != 1 {
		t.Fatalf("lost %d reordered %d", rx.Stats.Lost.Load(), rx.Stats.Reordered.Load())
	}
}

func TestCESoPSNCASFragments(t *testing.T) {
	cfg := CESoPSNConfig{Slots: []int{1, 2, 3}, FramesPerPacket: 8, CAS: true}
	tx, err := NewCESoPSNPacketizer(Header{RTP: true, PT: 97}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetCAS(0, 0xA)
	tx.SetCAS(1, 0x5)
	tx.SetCAS(2, 0xC)
	tx.M = MRDI
	rec := &frameRec{}
	cfg.RTP = RTPPresent
	rx, _ := NewCESoPSNReceiver("s", cfg, rec)
	var casSeen []byte
	rx.OnCAS = func(frame uint64, abcd []byte) {
		if frame != 15 {
			t.Errorf("CAS at frame %d", frame)
		}
		casSeen = append(casSeen, abcd...)
	}
	frames := e1Frames(16, 9)
	var frg []uint8
	err = tx.WriteFrames(16, frames, 32, func(p []byte) error {
		cw, _ := ParseCW(p[RTPLen:])
		frg = append(frg, cw.FRG)
		rx.HandlePacket(p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rx.Flush()
	if len(frg) != 2 || frg[0] != FragFirst || frg[1] != FragLast {
		t.Fatalf("FRG %v", frg)
	}
	if !bytes.Equal(casSeen, []byte{0xA, 0x5, 0xC}) {
		t.Fatalf("CAS %x", casSeen)
	}
	if rx.Stats.MRDI.Load() != 2 || len(rec.data) != 16*32 || rec.data[32+2] != frames[32+2] {
		t.Fatalf("MRDI %d, %d octets", rx.Stats.MRDI.Load(), len(rec.data))
	}
	if _, err := NewCESoPSNPacketizer(Header{}, CESoPSNConfig{FramesPerPacket: 5, CAS: true}); err == nil {
		t.Fatal("5 frames per packet accepted with a 16-frame multiframe")
	}
}

func TestCESoPSNOverUDPIsFrameSink(t *testing.T) {
	rx, txc := udpPair(t)
	cfg := CESoPSNConfig{Width: tdm.T1Width, FramesPerPacket: 8}
	got := make(chan uint64, 100)
	r, _ := NewCESoPSNReceiver("t1", cfg, tdm.FrameSinkFunc(func(_ string, first uint64, n int, slots []byte, w int) {
		if w != 24 || n != 8 || slots[5] != 5 {
			t.Errorf("w=%d n=%d slot5=%d", w, n, slots[5])
		}
		got <- first
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ServeUDP(ctx, rx, r) }()
	s, err := NewCESoPSNSender(txc, Header{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sink tdm.FrameSink = s
	fr := make([]byte, 24*8)
	for i := range fr {
		fr[i] = byte(i % 24)
	}
	for range 10 {
		sink.Frames("t1", 0, 8, fr, 24)
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	for want := uint64(0); want < 6*8; want += 8 { // depth 4: 6 of 10 play
		select {
		case f := <-got:
			if f != want {
				t.Fatalf("first %d want %d", f, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("timeout")
		}
	}
}

type byKey struct {
	k []float64
	s []uint16
}

func (b byKey) Len() int           { return len(b.k) }
func (b byKey) Less(i, j int) bool { return b.k[i] < b.k[j] }
func (b byKey) Swap(i, j int) {
	b.k[i], b.k[j] = b.k[j], b.k[i]
	b.s[i], b.s[j] = b.s[j], b.s[i]
}

func TestCESoPSNT1SlotNumbers(t *testing.T) {
	if _, err := NewCESoPSNPacketizer(Header{}, CESoPSNConfig{Width: tdm.T1Width, Slots: []int{0}}); err == nil {
		t.Fatal("T1 channel 0 accepted")
	}
	cfg := CESoPSNConfig{Width: tdm.T1Width, Slots: []int{24}, FramesPerPacket: 1}
	tx, _ := NewCESoPSNPacketizer(Header{}, cfg)
	row := make([]byte, 24)
	row[23] = 0x77
	var pkt []byte
	_ = tx.WriteFrames(1, row, 24, func(b []byte) error { pkt = bytes.Clone(b); return nil })
	if len(pkt) != 5 || pkt[4] != 0x77 {
		t.Fatalf("packet % x", pkt)
	}
}

// TestSAToPRTPTimestampFollowsFrames: the RTP timestamp (8 kHz) of packet n
// is the number of whole frames sent before it, also for T1, where a
// 192-octet packet is not a whole number of 193-bit frames.
func TestSAToPRTPTimestampFollowsFrames(t *testing.T) {
	for _, c := range []struct {
		payload, frameBits int
	}{{256, 256}, {192, 193}, {1024, 193}} {
		p := NewSAToPPacketizer(Header{RTP: true, PT: 96}, c.payload)
		p.FrameBits = c.frameBits
		p.TS = 1000
		payload := make([]byte, c.payload)
		var pk Packet
		for n := range 2000 {
			b := p.AppendPacket(nil, payload)
			if err := Parse(b, RTPPresent, &pk); err != nil {
				t.Fatal(err)
			}
			want := uint32(1000 + n*c.payload*8/c.frameBits)
			if pk.RTPTimestamp != want {
				t.Fatalf("payload %d, %d-bit frames: packet %d timestamp %d, want %d", c.payload, c.frameBits, n, pk.RTPTimestamp, want)
			}
		}
	}
}
