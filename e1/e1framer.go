package e1

// E1Framer builds an E1 bitstream (G.704) from timeslot octets: TS0 with
// FAS/NFAS, the CRC-4 multiframe when configured, TS16 CAS when configured.
// Exported fields are error injection and alarm hooks for the simulator and
// tests; they apply to the frames appended after they are set.
type E1Framer struct {
	cfg E1Config

	// RAI sets the A bit (remote alarm indication) in NFAS frames.
	RAI bool
	// CASRAI sets the Y bit (CAS multiframe remote alarm) in TS16 of CAS
	// multiframe frame 0.
	CASRAI bool
	// AIS replaces every frame with unframed all ones.
	AIS bool
	// LOS replaces every frame with all zeros.
	LOS bool
	// Sa holds the spare bits Sa4..Sa8 of NFAS frames (low 5 bits); default 0x1F.
	Sa uint8

	frame    uint64 // frames appended so far
	crc      uint8  // CRC-4 of the sub-multiframe being sent
	prevCRC  uint8  // CRC-4 of the previous sub-multiframe, sent as C1..C4
	badFAS   int    // pending FAS words to corrupt
	badCRC   int    // pending CRC-4 words to corrupt
	badEBits int    // pending far-end errors to report as E = 0
	corrupt  bool   // the current C word is being corrupted
	cas      [E1CASChannel + 1]uint8
}

// NewE1Framer returns a framer starting at frame 0 of both multiframes.
// CAS channels start at abcd = 1101 (idle; 0000 is not allowed in channels
// because it would imitate the CAS multiframe alignment signal).
func NewE1Framer(cfg E1Config) *E1Framer {
	f := &E1Framer{cfg: cfg, Sa: 0x1f}
	for i := range f.cas {
		f.cas[i] = 0xd
	}
	return f
}

// Frame returns the number of frames appended so far (the next frame's
// number; frame n is multiframe frame n mod 16).
func (f *E1Framer) Frame() uint64 { return f.frame }

// SetCAS sets the abcd bits (low nibble) sent for CAS channel ch (1..30).
func (f *E1Framer) SetCAS(ch int, abcd uint8) {
	if ch >= 1 && ch <= E1CASChannel {
		f.cas[ch] = abcd & 0xf
	}
}

// InjectFASErrors corrupts the FAS word of the next n FAS frames.
func (f *E1Framer) InjectFASErrors(n int) { f.badFAS += n }

// InjectCRCErrors corrupts the next n CRC-4 words sent (each makes the far
// end count one errored sub-multiframe).
func (f *E1Framer) InjectCRCErrors(n int) { f.badCRC += n }

// ReportFarEndErrors queues n errored sub-multiframes to report to the far
// end: each sets one of the following E-bits to 0 (CRC-4 mode only). A
// receiver loops its own CRC-4 error count back through this.
func (f *E1Framer) ReportFarEndErrors(n int) { f.badEBits += n }

// mfasBits are the Si bits of NFAS frames 1,3,5,7,9,11 (index = frame/2).
var mfasBits = [6]uint8{0, 0, 1, 0, 1, 1}

// AppendFrame appends one 256-bit frame built from slots (32 octets
// TS0..TS31; TS0, and TS16 with CAS, are generated and their values in slots
// ignored; missing octets are sent as 0xFF) and returns the extended slice.
func (f *E1Framer) AppendFrame(dst, slots []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, E1Timeslots)...)
	out := dst[n:]
	c := copy(out, slots)
	for i := c; i < E1Timeslots; i++ {
		out[i] = 0xff
	}
	mfn := int(f.frame & 15)
	if mfn == 0 || mfn == 8 {
		f.corrupt = false
		if f.badCRC > 0 {
			f.badCRC--
			f.corrupt = true
		}
	}
	var ts0 uint8
	if mfn&1 == 0 { // FAS frame
		ts0 = 0x1b
		if f.badFAS > 0 {
			f.badFAS--
			ts0 ^= 0x1b // x0000000: FAS bits 4, 5, 7 and 8 wrong
		}
		ts0 |= 0x80 // Si / C bit
		if f.cfg.CRC4 {
			k := uint(mfn&7) / 2 // C1..C4
			cw := f.prevCRC
			if f.corrupt {
				cw ^= 0x8 // flip C1
			}
			ts0 = ts0&0x7f | (cw>>(3-k)&1)<<7
		}
	} else { // NFAS frame
		ts0 = 0x40 | f.Sa&0x1f | 0x80
		if f.RAI {
			ts0 |= 0x20
		}
		if f.cfg.CRC4 {
			switch {
			case mfn <= 11:
				ts0 = ts0&0x7f | mfasBits[mfn/2]<<7
			default: // 13, 15: E-bits
				if f.badEBits > 0 {
					f.badEBits--
					ts0 &= 0x7f
				}
			}
		}
	}
	out[0] = ts0
	if f.cfg.CAS {
		if mfn == 0 {
			ts16 := uint8(0x0b)
			if f.CASRAI {
				ts16 |= 0x04
			}
			out[16] = ts16
		} else {
			out[16] = f.cas[mfn]<<4 | f.cas[mfn+15]
		}
	}
	if f.cfg.CRC4 {
		c0 := ts0
		if mfn&1 == 0 {
			c0 &= 0x7f // C bits count as 0
		}
		f.crc = e1FrameCRC(f.crc, out, c0)
		if mfn&7 == 7 {
			f.prevCRC = f.crc
			f.crc = 0
		}
	}
	f.frame++
	switch {
	case f.AIS:
		for i := range out {
			out[i] = 0xff
		}
	case f.LOS:
		clear(out)
	}
	return dst
}
