package pw

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tdmtap/tdmtap/test/tsharktest"
)

// The packets we emit decode in tshark's pwsatopcw / pwcesopsn dissectors
// with the same sequence numbers and flags, without malformed fields.
// (tshark decodes them only without an RTP header.)
func TestTsharkSAToP(t *testing.T) {
	tsharktest.Require(t)
	p := NewSAToPPacketizer(Header{}, 256)
	p.Seq = 65530 // wrap inside the capture
	var pkts []tsharktest.UDPPacket
	type want struct {
		seq  uint16
		l, r bool
		size int
	}
	var wants []want
	data := bytes.Repeat([]byte{0xD5}, 256)
	for i := range 12 {
		p.L = i == 4 || i == 5
		p.OmitOnL = i == 5
		p.R = i >= 8
		seq := p.Seq
		b := p.AppendPacket(nil, data)
		size := 256
		if i == 5 {
			size = 0
		}
		wants = append(wants, want{seq, p.L, p.R, size})
		pkts = append(pkts, tsharktest.UDPPacket{DstPort: 50000, Data: b})
	}
	file := filepath.Join(t.TempDir(), "satop.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, file, []string{"-d", "udp.port==50000,pwsatopcw"},
		"pwsatop.cw.seqno", "pwsatop.cw.lbit", "pwsatop.cw.rbit", "pwsatop.cw.length", "pwsatop.payload.len", "_ws.malformed", "_ws.expert.message")
	if len(rows) != len(wants) {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		w := wants[i]
		exp := []string{strconv.Itoa(int(w.seq)), b01(w.l), b01(w.r)}
		if r[0] != exp[0] || r[1] != exp[1] || r[2] != exp[2] {
			t.Errorf("packet %d: tshark seq/L/R %q, want %q", i, r[:3], exp)
		}
		wantLen := "0"
		if w.size == 0 {
			wantLen = "4"
		}
		if r[3] != wantLen {
			t.Errorf("packet %d: LEN %q want %s", i, r[3], wantLen)
		}
		if w.size > 0 && r[4] != strconv.Itoa(w.size) {
			t.Errorf("packet %d: payload len %q", i, r[4])
		}
		if len(r) > 5 && r[5] != "" {
			t.Errorf("packet %d: malformed: %q", i, r)
		}
		if len(r) > 6 && r[6] != "" && w.size != 0 {
			t.Errorf("packet %d: expert info %q", i, r[6])
		}
	}
}

func TestTsharkCESoPSN(t *testing.T) {
	tsharktest.Require(t)
	cfg := CESoPSNConfig{Slots: []int{1, 2, 3, 4}, FramesPerPacket: 8}
	p, err := NewCESoPSNPacketizer(Header{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		seq  uint16
		lm   uint8
		r    bool
		size int
	}
	var wants []want
	var pkts []tsharktest.UDPPacket
	fr := make([]byte, 8*32)
	for i := range 10 {
		p.L = i == 3
		p.OmitOnL = i == 3
		p.R = i == 6 || i == 7
		p.M = 0
		if i == 8 {
			p.M = MRDI
		}
		lm := p.M
		if p.L {
			lm |= 8
		}
		size := 32
		if p.L {
			size = 0
		}
		wants = append(wants, want{p.Seq, lm, p.R, size})
		if err := p.WriteFrames(8, fr, 32, func(b []byte) error {
			pkts = append(pkts, tsharktest.UDPPacket{DstPort: 50002, Data: bytes.Clone(b)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "cesopsn.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, file, []string{"-d", "udp.port==50002,pwcesopsn"},
		"pwcesopsn.cw.seqno", "pwcesopsn.cw.lm", "pwcesopsn.cw.rbit", "pwcesopsn.cw.frag", "pwcesopsn.payload.len", "_ws.malformed", "_ws.expert.message")
	if len(rows) != len(wants) {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		w := wants[i]
		exp := []string{strconv.Itoa(int(w.seq)), fmt.Sprintf("0x%02x", w.lm), b01(w.r), "0"}
		for k := range exp {
			if r[k] != exp[k] {
				t.Errorf("packet %d: tshark %q, want %q", i, r[:4], exp)
				break
			}
		}
		if w.size > 0 && r[4] != strconv.Itoa(w.size) {
			t.Errorf("packet %d: payload len %q", i, r[4])
		}
		if len(r) > 5 && r[5] != "" {
			t.Errorf("packet %d: malformed: %q", i, r)
		}
		if len(r) > 6 && r[6] != "" && w.size != 0 {
			t.Errorf("packet %d: expert info %q", i, r[6])
		}
	}
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
