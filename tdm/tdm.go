// Package tdm is where spans come from: the span-source face shared by
// SAToP/CESoPSN pseudowires (tdm/pw), DAHDI devices (tdm/dahdi) and raw
// recordings (this package), and the frame sink that the channel
// demultiplexer (tdm/demux) implements.
//
// Time on the bearer path is the TDM frame count: frame n of a span is
// 125 µs after frame n-1, whatever the wall clock or the network did.
package tdm

import "context"

// Span widths in octets per frame.
const (
	E1Width = 32 // TS0..TS31
	T1Width = 24 // channels 1..24 (the F bit is not an octet)
)

// FramesPerChunk is the demultiplexer's chunk size: 20 ms of one timeslot.
const FramesPerChunk = 160

// FrameSink receives aligned frames of one span: n frames of width octets
// each, back to back in slots (len(slots) >= n*width), the first of them
// having TDM frame number first. slots is valid only during the call.
type FrameSink interface {
	Frames(span string, first uint64, n int, slots []byte, width int)
}

// FrameSinkFunc adapts a function to FrameSink.
type FrameSinkFunc func(span string, first uint64, n int, slots []byte, width int)

// Frames calls f.
func (f FrameSinkFunc) Frames(span string, first uint64, n int, slots []byte, width int) {
	f(span, first, n, slots, width)
}

// BitSink receives an unaligned serial bitstream (MSB first), e.g. an e1/t1
// deframer. p is valid only during the call.
type BitSink func(p []byte)

// Source is a running span source. Run blocks until ctx is done or the
// source fails or ends (a file source returns nil at end of file).
type Source interface {
	Run(ctx context.Context) error
}

// Timeslot numbers are the ones people use on the line: E1 TS0..TS31 (the
// octet index in the frame), T1 channels 1..24 (octet index + 1). Every
// timeslot argument in the tdm packages follows this convention.

// SlotIndex returns the octet index of timeslot number ts in a frame of
// width octets, and whether it exists.
func SlotIndex(width, ts int) (int, bool) {
	idx := ts
	if width == T1Width {
		idx = ts - 1
	}
	return idx, idx >= 0 && idx < width
}

// SlotNumber is the inverse of SlotIndex.
func SlotNumber(width, idx int) int {
	if width == T1Width {
		return idx + 1
	}
	return idx
}
