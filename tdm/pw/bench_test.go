package pw

import (
	"encoding/binary"
	"testing"

	"github.com/tdmtap/tdmtap/tdm"
)

// BenchmarkSAToPPacketize: one 256-octet SAToP packet built from a bitstream (sender side).
func BenchmarkSAToPPacketize(b *testing.B) {
	p := NewSAToPPacketizer(Header{RTP: true, PT: 96}, 256)
	stream := make([]byte, 256)
	n := 0
	b.ReportAllocs()
	b.SetBytes(256)
	for b.Loop() {
		_ = p.Write(stream, func(pkt []byte) error { n += len(pkt); return nil })
	}
}

// BenchmarkCESoPSNReceive: one CESoPSN packet (30 timeslots × 8 frames) into E1 frames.
func BenchmarkCESoPSNReceive(b *testing.B) {
	cfg := CESoPSNConfig{FramesPerPacket: 8}
	tx, _ := NewCESoPSNPacketizer(Header{}, cfg)
	var pkt []byte
	_ = tx.WriteFrames(8, make([]byte, 8*32), 32, func(p []byte) error { pkt = append([]byte(nil), p...); return nil })
	rx, _ := NewCESoPSNReceiver("s", cfg, tdm.FrameSinkFunc(func(string, uint64, int, []byte, int) {}))
	var seq uint16
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		binary.BigEndian.PutUint16(pkt[2:], seq)
		seq++
		rx.HandlePacket(pkt)
	}
	if rx.Stats.Lost.Load() != 0 || rx.Stats.Malformed.Load() != 0 {
		b.Fatalf("lost %d malformed %d", rx.Stats.Lost.Load(), rx.Stats.Malformed.Load())
	}
}
