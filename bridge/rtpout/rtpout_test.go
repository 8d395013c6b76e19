package rtpout

import (
	"bytes"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/tdmtap/tdmtap/test/tsharktest"
)

func chunk(fill byte) []byte { return bytes.Repeat([]byte{fill}, ChunkOctets) }

func TestPacketProgression(t *testing.T) {
	p := NewWith(PTPCMA, 0xdeadbeef, 65534, 0xfffffe00)
	frames := []uint64{1000, 1160, 1320, 1800 /* gap of 320 frames */, 1960}
	buf := make([]byte, PacketLen)
	wantTS := []uint32{0xfffffe00, 0xfffffe00 + 160, 0xfffffe00 + 320, 800 - 0x200, 960 - 0x200} // wraps
	wantSeq := []uint16{65534, 65535, 0, 1, 2}
	for i, f := range frames {
		n, err := p.MarshalTo(buf, chunk(byte(i)), f)
		if err != nil {
			t.Fatal(err)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			t.Fatalf("packet %d: pion Unmarshal: %v", i, err)
		}
		if pkt.Version != 2 || pkt.PayloadType != 8 || pkt.SSRC != 0xdeadbeef || pkt.Padding || pkt.Extension || len(pkt.CSRC) != 0 {
			t.Errorf("packet %d header %+v", i, pkt.Header)
		}
		if pkt.Marker != (i == 0) {
			t.Errorf("packet %d marker %v", i, pkt.Marker)
		}
		if pkt.SequenceNumber != wantSeq[i] || pkt.Timestamp != wantTS[i] {
			t.Errorf("packet %d seq %d ts %#x, want %d %#x", i, pkt.SequenceNumber, pkt.Timestamp, wantSeq[i], wantTS[i])
		}
		if !bytes.Equal(pkt.Payload, chunk(byte(i))) {
			t.Errorf("packet %d payload differs", i)
		}
	}
	if pk, gaps, gf := p.Stats(); pk != 5 || gaps != 1 || gf != 320 {
		t.Errorf("stats %d %d %d, want 5 1 320", pk, gaps, gf)
	}
	if _, err := p.MarshalTo(buf, chunk(0), 1960); !errors.Is(err, ErrFrameOrder) {
		t.Errorf("repeated frame: err %v, want ErrFrameOrder", err)
	}
	if _, err := p.MarshalTo(buf[:PacketLen-1], chunk(0), 2120); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestRandomInitialState(t *testing.T) {
	a, err := New(PTPCMU)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(PTPCMU)
	if a.SSRC() == b.SSRC() && a.InitialSequence() == b.InitialSequence() && a.InitialTimestamp() == b.InitialTimestamp() {
		t.Fatal("two packetizers drew identical random state")
	}
	out, err := a.Append(nil, chunk(0xff), 42)
	if err != nil {
		t.Fatal(err)
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(out); err != nil {
		t.Fatal(err)
	}
	if pkt.PayloadType != PTPCMU || pkt.SSRC != a.SSRC() || pkt.SequenceNumber != a.InitialSequence() ||
		pkt.Timestamp != a.InitialTimestamp() || !pkt.Marker {
		t.Errorf("first packet %+v", pkt.Header)
	}
	if ForT1(true) != PTPCMU || ForT1(false) != PTPCMA {
		t.Error("ForT1")
	}
}

func TestTshark(t *testing.T) {
	tsharktest.Require(t)
	const port = 40000
	p := NewWith(PTPCMA, 0x01020304, 100, 5000)
	var pkts []tsharktest.UDPPacket
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		frame := uint64(8000 + i*ChunkOctets)
		if i >= 3 {
			frame += ChunkOctets // one chunk lost before packet 3
		}
		pkt, err := p.Append(nil, chunk(0xd5), frame)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, tsharktest.UDPPacket{SrcPort: port, DstPort: port, Data: pkt,
			Time: base.Add(time.Duration(i) * 20 * time.Millisecond)})
	}
	path := filepath.Join(t.TempDir(), "rtp.pcap")
	if err := tsharktest.WriteUDPPcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, path, []string{"-d", "udp.port==" + strconv.Itoa(port) + ",rtp"},
		"rtp.version", "rtp.p_type", "rtp.marker", "rtp.seq", "rtp.timestamp", "rtp.ssrc", "_ws.malformed")
	if len(rows) != 5 {
		t.Fatalf("tshark decoded %d rows, want 5: %v", len(rows), rows)
	}
	wantTS := []int{5000, 5160, 5320, 5640, 5800}
	for i, r := range rows {
		marker := "False"
		if i == 0 {
			marker = "True"
		}
		want := []string{"2", "8", marker, strconv.Itoa(100 + i), strconv.Itoa(wantTS[i]), "0x01020304", ""}
		for j := range want {
			if j >= len(r) || !equalFold(r[j], want[j]) {
				t.Errorf("packet %d: tshark fields %v, want %v", i, r, want)
				break
			}
		}
	}
}

func equalFold(a, b string) bool {
	if a == b {
		return true
	}
	// tshark prints booleans as True/False or 1/0 depending on version.
	switch b {
	case "True":
		return a == "1" || a == "true"
	case "False":
		return a == "0" || a == "false"
	}
	return false
}

func BenchmarkMarshalTo(b *testing.B) {
	p := NewWith(PTPCMA, 1, 2, 3)
	buf := make([]byte, PacketLen)
	c := chunk(0xd5)
	b.ReportAllocs()
	b.SetBytes(PacketLen)
	frame := uint64(0)
	for i := 0; i < b.N; i++ {
		if _, err := p.MarshalTo(buf, c, frame); err != nil {
			b.Fatal(err)
		}
		frame += ChunkOctets
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/50, "streams-in-real-time")
}

func TestMarshalToDoesNotAllocate(t *testing.T) {
	p := NewWith(PTPCMU, 1, 2, 3)
	buf := make([]byte, PacketLen)
	c := chunk(0xff)
	frame := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := p.MarshalTo(buf, c, frame); err != nil {
			t.Fatal(err)
		}
		frame += ChunkOctets
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per packet", allocs)
	}
}
