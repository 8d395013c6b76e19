package e1

// E1Deframer finds and keeps E1 frame alignment in a raw bitstream and
// delivers aligned frames. See the package documentation.
type E1Deframer struct {
	cfg E1Config
	h   FrameHandler
	st  Stats
}

// NewE1Deframer returns a deframer calling h (which may be nil) for every
// aligned frame.
func NewE1Deframer(cfg E1Config, h FrameHandler) *E1Deframer {
	return &E1Deframer{cfg: cfg, h: h}
}

// Write consumes raw span bits, MSB of each octet first. It never fails
// and does not keep p. It implements io.Writer.
func (d *E1Deframer) Write(p []byte) (int, error) {
	d.st.Bits += uint64(len(p)) * 8
	return len(p), nil
}

// Stats returns a snapshot of the counters and state.
func (d *E1Deframer) Stats() Stats { return d.st }
