package trace

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
)

// memPcap returns an Ethernet pcap holding frames.
func memPcap(t testing.TB, frames ...[]byte) []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// FuzzDecode feeds arbitrary capture files to Decode (all option sets): it
// must never panic, and every line it prints is counted in the summary
// (as a message or an error).
func FuzzDecode(f *testing.F) {
	msgs := callMessages(f, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	var frames [][]byte
	for i, m := range msgs {
		hdr := make([]byte, 12)
		hdr[0], hdr[1], hdr[2], hdr[3] = 0x0b, 0x59, 0x0b, 0x59
		sctp := append(hdr, sctpChunk(3, uint32(i), 0, 3, m)...)
		frames = append(frames, ethIPv4(132, sctp))
	}
	f.Add(memPcap(f, frames...), uint8(0))
	f.Add(memPcap(f, frames[0][:30], frames[5]), uint8(1))
	f.Fuzz(func(t *testing.T, capture []byte, flags uint8) {
		opt := Options{JSON: flags&1 != 0, Draft: flags&2 != 0}
		if flags&4 != 0 {
			opt.Variant = isup.ANSI
		}
		var out bytes.Buffer
		sum, err := Decode(bytes.NewReader(capture), &out, opt)
		if lines := bytes.Count(out.Bytes(), []byte{'\n'}); lines != sum.Messages+sum.Errors {
			t.Fatalf("%d output lines, summary %+v", lines, sum)
		}
		if err == nil && sum.Frames == 0 && sum.Messages+sum.Errors > 0 {
			t.Fatalf("lines without a frame: %+v", sum)
		}
	})
}

// ethIPv4 wraps an L4 payload of protocol proto in Ethernet and IPv4
// without gopacket's serializer (usable from fuzz setup).
func ethIPv4(proto uint8, l4 []byte) []byte {
	b := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	ip := make([]byte, 20)
	ip[0] = 0x45
	total := 20 + len(l4)
	ip[2], ip[3] = byte(total>>8), byte(total)
	ip[8], ip[9] = 64, proto
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	return append(append(b, ip...), l4...)
}
