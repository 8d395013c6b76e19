package tdm

// Batcher collects frames delivered one at a time (e.g. by an e1/t1
// deframer's frame handler) into batches of up to N consecutive frames for
// a FrameSink, so the sink's per-call work is paid once per batch. A gap in
// frame numbers flushes the batch early. It does not allocate after New.
type Batcher struct {
	span  string
	width int
	n     int
	sink  FrameSink
	buf   []byte
	first uint64
	count int
}

// NewBatcher returns a batcher of n frames (0: 8) of width octets.
func NewBatcher(span string, width, n int, sink FrameSink) *Batcher {
	if n <= 0 {
		n = 8
	}
	return &Batcher{span: span, width: width, n: n, sink: sink, buf: make([]byte, n*width)}
}

// Frame adds one frame; it has the shape of an e1.FrameHandler.
func (b *Batcher) Frame(frame uint64, slots []byte) {
	if b.count > 0 && frame != b.first+uint64(b.count) {
		b.Flush()
	}
	if b.count == 0 {
		b.first = frame
	}
	copy(b.buf[b.count*b.width:(b.count+1)*b.width], slots)
	b.count++
	if b.count == b.n {
		b.Flush()
	}
}

// Flush hands the frames collected so far to the sink.
func (b *Batcher) Flush() {
	if b.count == 0 {
		return
	}
	b.sink.Frames(b.span, b.first, b.count, b.buf[:b.count*b.width], b.width)
	b.count = 0
}
