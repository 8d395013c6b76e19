package spanreport

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/tdm/g711"
	"github.com/tdmtap/tdmtap/tdm/pw"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

// shift prepends k junk bits (k < 8) and junk bytes: the recording then
// starts in the middle of a frame at a bit offset.
func shift(b []byte, junkBytes, k int) []byte {
	out := make([]byte, 0, len(b)+junkBytes+1)
	for i := range junkBytes {
		out = append(out, byte(i*37+11))
	}
	var acc uint16 = 0x5A >> (8 - k) // k junk bits
	for _, c := range b {
		acc = acc<<8 | uint16(c)
		out = append(out, byte(acc>>k))
	}
	return append(out, byte(acc<<(8-k)))
}

// e1Slots returns frame slots with the A-law milliwatt in TS5 and a counter in TS1.
func e1Slots(f int) []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = 0xD5
	}
	s[1] = byte(f)
	s[5] = g711.ALawMilliwatt[f%8]
	return s
}

func run(t *testing.T, in []byte, o Options) *Report {
	t.Helper()
	rep, err := Run(context.Background(), bytes.NewReader(in), o)
	if err != nil {
		t.Fatal(err)
	}
	// The JSON has the figures the issue names.
	js, _ := json.Marshal(rep)
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"frames", "crc_errors", "ebit_errors", "alignment_losses", "alarms"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("JSON lacks %q: %s", k, js)
		}
	}
	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil || txt.Len() == 0 {
		t.Fatal("text report", err)
	}
	return rep
}

func TestE1CRC4RecordingMidFrame(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{CRC4: true})
	var b []byte
	for f := range 4000 {
		switch f {
		case 1000:
			fr.InjectCRCErrors(5)
		case 2000:
			fr.ReportFarEndErrors(3)
		case 3000:
			fr.RAI = true
		case 3200:
			fr.RAI = false
		}
		b = fr.AppendFrame(b, e1Slots(f))
	}
	rec := shift(b, 77, 3)
	var ts bytes.Buffer
	rep := run(t, rec, Options{Framing: FramingE1CRC4, Timeslot: 5, Out: &ts})
	if rep.CRCErrors != 5 || rep.EBitErrors != 3 || rep.AlignmentLosses != 0 || rep.FrameAlignedAt == nil || rep.MultiframeAlignedAt == nil {
		t.Fatalf("report %+v", rep)
	}
	if rep.Frames < 3990 || rep.Frames > 4000 || !contains(rep.Alarms, "RAI") || len(rep.AlarmsNow) != 0 {
		t.Fatalf("frames %d alarms %v now %v", rep.Frames, rep.Alarms, rep.AlarmsNow)
	}
	// Timeslot 5: the milliwatt, from the first aligned frame on.
	got := ts.Bytes()
	if uint64(len(got)) != rep.TimeslotOctets || len(got) < 3990 {
		t.Fatalf("timeslot octets %d", len(got))
	}
	if !periodic(got, g711.ALawMilliwatt) {
		t.Fatalf("timeslot 5 is not the milliwatt: % x", got[:16])
	}
}

func TestE1FASErrorsLoseAlignment(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{})
	var b []byte
	for f := range 2000 {
		if f == 800 {
			fr.InjectFASErrors(3) // three consecutive bad FAS: alignment lost
		}
		if f == 1500 {
			fr.InjectFASErrors(1) // one bad FAS: counted, alignment kept
		}
		b = fr.AppendFrame(b, e1Slots(f))
	}
	rep := run(t, shift(b, 5, 6), Options{Framing: FramingE1})
	if rep.AlignmentLosses != 1 || rep.FramingErrors < 4 || rep.CRCErrors != 0 {
		t.Fatalf("report %+v", rep)
	}
}

func TestE1AIS(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{})
	var b []byte
	for f := range 1000 {
		fr.AIS = f >= 500
		b = fr.AppendFrame(b, e1Slots(f))
	}
	rep := run(t, b, Options{Framing: FramingE1})
	if !contains(rep.Alarms, "AIS") || !contains(rep.AlarmsNow, "AIS") {
		t.Fatalf("alarms %v now %v", rep.Alarms, rep.AlarmsNow)
	}
}

func TestE1LOSAndLOF(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{})
	var b []byte
	for f := range 3000 {
		fr.LOS = f >= 1000 && f < 2000
		b = fr.AppendFrame(b, e1Slots(f))
	}
	rep := run(t, b, Options{Framing: FramingE1})
	if !contains(rep.Alarms, "LOS") || !contains(rep.Alarms, "LOF") || len(rep.AlarmsNow) != 0 || rep.AlignmentLosses != 1 || rep.AlarmEvents["LOS"] != 1 {
		t.Fatalf("report %+v", rep)
	}
}

func TestT1ESFCRC6AndT1SFYellow(t *testing.T) {
	fr := e1.NewT1Framer(e1.T1Config{ESF: true})
	var b []byte
	slots := make([]byte, 24)
	for f := range 3000 {
		if f == 1000 {
			fr.InjectCRCErrors(4)
		}
		slots[23] = g711.ULawMilliwatt[f%8]
		b = fr.AppendFrame(b, slots)
	}
	b = fr.Flush(b)
	var ch24 bytes.Buffer
	rep := run(t, shift(b, 13, 5), Options{Framing: FramingT1ESF, Timeslot: 24, Out: &ch24})
	if rep.CRCErrors != 4 || rep.AlignmentLosses != 0 || rep.Frames < 2900 {
		t.Fatalf("ESF report %+v", rep)
	}
	got := ch24.Bytes()
	if !periodic(got, g711.ULawMilliwatt) {
		t.Fatalf("channel 24 is not the milliwatt: % x", got[:16])
	}
	sf := e1.NewT1Framer(e1.T1Config{})
	b = b[:0]
	for f := range 3000 {
		sf.Yellow = f > 1000
		b = sf.AppendFrame(b, slots)
	}
	rep = run(t, b, Options{Framing: FramingT1SF})
	if !contains(rep.Alarms, "yellow") {
		t.Fatalf("SF alarms %v", rep.Alarms)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestSAToPPcapLostPacket(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{CRC4: true})
	var stream []byte
	for f := range 8 * 400 {
		stream = fr.AppendFrame(stream, e1Slots(f))
	}
	p := pw.NewSAToPPacketizer(pw.Header{}, 0)
	var pkts []tsharktest.UDPPacket
	i := 0
	_ = p.Write(stream, func(b []byte) error {
		i++
		if i == 200 { // lose one packet
			return nil
		}
		pkts = append(pkts, tsharktest.UDPPacket{DstPort: 41000, Data: bytes.Clone(b)})
		return nil
	})
	pkts[50], pkts[51] = pkts[51], pkts[50] // reordered: the jitter buffer copes
	pkts = append([]tsharktest.UDPPacket{{DstPort: 53, Data: []byte("not a pseudowire")}}, pkts...)
	file := filepath.Join(t.TempDir(), "satop.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, in, Options{Framing: FramingE1CRC4, Port: 41000})
	if rep.Input != "pcap" || rep.LostPackets != 1 || rep.Reordered != 1 || rep.Packets != 399 || rep.UDPPort != 41000 || rep.PayloadBytes != 256 {
		t.Fatalf("report %+v", rep)
	}
	// 1 ms of all ones replaces four FAS words: alignment is lost once.
	if rep.AlignmentLosses != 1 || rep.Frames < 3150 {
		t.Fatalf("alignment losses %d frames %d", rep.AlignmentLosses, rep.Frames)
	}
	// Without --port the first flow that parses is taken (port 53's text does not).
	rep2 := run(t, in, Options{Framing: FramingE1CRC4})
	if rep2.UDPPort != 41000 || rep2.Frames != rep.Frames {
		t.Fatalf("auto port %d frames %d", rep2.UDPPort, rep2.Frames)
	}
}

func TestCESoPSNPcap(t *testing.T) {
	cfg := pw.CESoPSNConfig{Slots: []int{1, 5, 9}, FramesPerPacket: 8}
	p, err := pw.NewCESoPSNPacketizer(pw.Header{RTP: true, PT: 96}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pkts []tsharktest.UDPPacket
	frames := make([]byte, 0, 32*800)
	for f := range 800 {
		frames = append(frames, e1Slots(f)...)
	}
	n := 0
	_ = p.WriteFrames(800, frames, 32, func(b []byte) error {
		n++
		if n != 30 {
			pkts = append(pkts, tsharktest.UDPPacket{SrcPort: 9999, DstPort: 42000, Data: bytes.Clone(b)})
		}
		return nil
	})
	file := filepath.Join(t.TempDir(), "ces.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	in, _ := os.ReadFile(file)
	var ts bytes.Buffer
	rep := run(t, in, Options{Framing: FramingE1, PW: "cesopsn", Slots: []int{1, 5, 9}, RTP: pw.RTPAuto, Timeslot: 5, Out: &ts})
	if rep.Frames != 800 || rep.LostPackets != 1 || rep.Packets != 99 || ts.Len() != 800 {
		t.Fatalf("report %+v, %d octets", rep, ts.Len())
	}
	got := ts.Bytes()
	for f := range 800 {
		want := g711.ALawMilliwatt[f%8]
		if f/8 == 29 {
			want = 0xFF
		}
		if got[f] != want {
			t.Fatalf("frame %d: %#x want %#x", f, got[f], want)
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := Run(context.Background(), bytes.NewReader(nil), Options{Framing: "j1"}); err == nil {
		t.Fatal("unknown framing accepted")
	}
	if _, err := Run(context.Background(), bytes.NewReader(nil), Options{Framing: FramingT1SF, Timeslot: 0, Out: &bytes.Buffer{}}); err == nil {
		t.Fatal("channel 0 on T1 accepted")
	}
}

// periodic reports whether b is the 8-octet pattern p repeated, at some phase.
func periodic(b []byte, p [8]byte) bool {
	for k := range 8 {
		ok := len(b) > 0
		for i, c := range b {
			if c != p[(k+i)%8] {
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

// The same SAToP capture as pcapng (as dumpcap writes) reads the same.
func TestSAToPPcapng(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{})
	var stream []byte
	for f := range 8 * 100 {
		stream = fr.AppendFrame(stream, e1Slots(f))
	}
	var pkts []tsharktest.UDPPacket
	p := pw.NewSAToPPacketizer(pw.Header{RTP: true, PT: 96}, 0)
	_ = p.Write(stream, func(b []byte) error {
		pkts = append(pkts, tsharktest.UDPPacket{DstPort: 40000, Data: bytes.Clone(b)})
		return nil
	})
	file := filepath.Join(t.TempDir(), "satop.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	pcap, _ := os.ReadFile(file)
	r, err := pcapgo.NewReader(bytes.NewReader(pcap))
	if err != nil {
		t.Fatal(err)
	}
	var ng bytes.Buffer
	w, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rep := run(t, ng.Bytes(), Options{Framing: FramingE1, RTP: pw.RTPAuto})
	if rep.Input != "pcapng" || rep.Packets != 100 || rep.LostPackets != 0 || rep.AlignmentLosses != 0 || rep.Frames < 790 {
		t.Fatalf("report %+v", rep)
	}
}

// TestT1SAToPPcap: a T1 ESF span in 192-octet SAToP packets (not a whole
// number of 193-bit frames) reads back bit-exactly: the milliwatt in
// channel 24, no CRC-6 errors, no alignment lost.
func TestT1SAToPPcap(t *testing.T) {
	fr := e1.NewT1Framer(e1.T1Config{ESF: true})
	var stream []byte
	slots := make([]byte, 24)
	for f := range 8 * 300 {
		slots[23] = g711.ULawMilliwatt[f%8]
		stream = fr.AppendFrame(stream, slots)
	}
	p := pw.NewSAToPPacketizer(pw.Header{}, pw.SAToPT1Payload)
	p.FrameBits = e1.T1FrameBits
	var pkts []tsharktest.UDPPacket
	_ = p.Write(stream, func(b []byte) error {
		pkts = append(pkts, tsharktest.UDPPacket{DstPort: 43000, Data: bytes.Clone(b)})
		return nil
	})
	file := filepath.Join(t.TempDir(), "t1.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ch24 bytes.Buffer
	rep := run(t, in, Options{Framing: FramingT1ESF, Timeslot: 24, Out: &ch24})
	if rep.PayloadBytes != 192 || rep.Packets != uint64(len(pkts)) || rep.LostPackets != 0 || rep.CRCErrors != 0 ||
		rep.AlignmentLosses != 0 || rep.CRCBlocks < 80 || rep.Frames < 8*300-200 {
		t.Fatalf("report %+v", rep)
	}
	if !periodic(ch24.Bytes(), g711.ULawMilliwatt) || uint64(ch24.Len()) != rep.Frames {
		t.Fatalf("channel 24: %d octets for %d frames: % x", ch24.Len(), rep.Frames, ch24.Bytes()[:16])
	}
}

// TestCESoPSNWithCASPcap: CESoPSN with CAS (the signalling substructure
// after the frames of the packet that ends a multiframe) reads with --cas,
// the frames per packet learnt from a first packet that carries it.
func TestCESoPSNWithCASPcap(t *testing.T) {
	cfg := pw.CESoPSNConfig{Slots: []int{1, 5, 9}, FramesPerPacket: 16, CAS: true}
	p, err := pw.NewCESoPSNPacketizer(pw.Header{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	frames := make([]byte, 0, 32*800)
	for f := range 800 {
		frames = append(frames, e1Slots(f)...)
	}
	var pkts []tsharktest.UDPPacket
	_ = p.WriteFrames(800, frames, 32, func(b []byte) error {
		pkts = append(pkts, tsharktest.UDPPacket{DstPort: 42001, Data: bytes.Clone(b)})
		return nil
	})
	file := filepath.Join(t.TempDir(), "ces-cas.pcap")
	if err := tsharktest.WriteUDPPcap(file, pkts); err != nil {
		t.Fatal(err)
	}
	in, _ := os.ReadFile(file)
	var ts bytes.Buffer
	rep := run(t, in, Options{Framing: FramingE1, PW: "cesopsn", CAS: true, Slots: []int{1, 5, 9}, Timeslot: 5, Out: &ts})
	if rep.Frames != 800 || rep.Malformed != 0 || rep.LostPackets != 0 || rep.Packets != 50 || !periodic(ts.Bytes(), g711.ALawMilliwatt) {
		t.Fatalf("report %+v, %d octets", rep, ts.Len())
	}
	// Without --cas the frames per packet cannot be learnt from such a packet.
	if _, err := Run(context.Background(), bytes.NewReader(in), Options{Framing: FramingE1, PW: "cesopsn", Slots: []int{1, 5, 9}}); err == nil {
		t.Fatal("CAS packets read without --cas")
	}
}
