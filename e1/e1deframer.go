package e1

import "math/bits"

// E1 alignment constants (G.706).
const (
	e1LOFBits       = 16 * E1FrameBits  // out of frame this long (2 ms) raises LOF
	e1MFSearch      = 64                // frames (8 ms) to find the CRC-4 multiframe
	e1MFFallback    = 3200              // aligned frames (400 ms) without CRC-4 multiframe: Annex B fallback
	e1CRCWindow     = 1000              // sub-multiframes per errored-block window (1 s)
	e1CRCResearch   = 915               // errored blocks in a window forcing a re-search
	e1RAIPersist    = 3                 // NFAS frames with A=1 (or 0) to raise (or clear) RAI
	e1HuntLookahead = 2*E1FrameBits + 8 // bits needed from a candidate: FAS, NFAS, FAS
)

// E1Deframer finds and keeps E1 frame alignment in a raw bitstream and
// delivers aligned frames. See the package documentation.
//
// Frame alignment (G.706 4.1): hunted at every bit position; found when a
// FAS (x0011011) in frame N, NFAS bit 2 = 1 in N+1 and a FAS in N+2 are seen,
// and frames are delivered from N on. Lost after 3 consecutive bad FAS words;
// the hunt restarts 8 bits before the frame that failed. A realignment at a different bit
// position than before counts as a slip.
//
// With CRC-4 (G.706 4.2): the multiframe is aligned on two 001011 signals a
// multiple of 2 ms apart within 8 ms of frame alignment, else frame alignment
// is re-searched from the next bit; after 400 ms of frame alignment spent
// without success the deframer keeps frame alignment, stops re-searching and
// sets Stats.CRC4Fallback (G.706 Annex B), while still watching for the
// multiframe (found again: CRC-4 checking resumes and the flag clears). Each sub-multiframe's CRC-4 is
// checked against the C bits of the next one; ≥ 915 errored of 1000 forces a
// re-search. E-bits = 0 in frames 13 and 15 count as far-end errors.
//
// With CAS: the TS16 multiframe aligns on 0000 in TS16 bits 1-4 preceded by a
// TS16 whose bits 1-4 are not 0000, and is lost after two bad alignment
// signals; abcd bits land in Stats.Signalling.
type E1Deframer struct {
	cfg E1Config
	h   FrameHandler
	st  Stats
	mon lineMonitor

	aligned   bool
	fas       bool // the frame at bb.pos is a FAS frame
	badFAS    int
	nextFrame uint64 // number of the frame at bb.pos
	lastFrame uint64
	lastStart uint64 // abs bit of the last delivered frame
	haveLast  bool
	oofStart  uint64
	raiOn     int
	raiOff    int

	// CRC-4 multiframe
	fidx      int // frames since frame alignment
	mfAligned bool
	mfn       int // multiframe frame number of the current frame
	siReg     uint8
	siCand    int
	mfSearch  int  // aligned frames spent seeking the multiframe
	fallback  bool // G.706 Annex B: the far end sends no CRC-4
	crc       uint8
	rxC       uint8
	prevCRC   uint8
	crcActive bool
	havePrev  bool
	winBlocks int
	winErrors int

	// CAS multiframe
	casAligned bool
	casMfn     int
	casPrevHi  uint8
	casBad     int

	scratch [E1Timeslots]byte
	bb      bitbuf
}

// NewE1Deframer returns a deframer calling h (which may be nil) for every
// aligned frame.
func NewE1Deframer(cfg E1Config, h FrameHandler) *E1Deframer {
	d := &E1Deframer{cfg: cfg, h: h}
	d.mon.blocks = 1
	return d
}

// Write consumes raw span bits, MSB of each octet first. It never fails
// and does not keep p. It implements io.Writer.
func (d *E1Deframer) Write(p []byte) (int, error) {
	feed(p, &d.st, &d.mon, &d.bb, d.process)
	return len(p), nil
}

// Stats returns a snapshot of the counters and state.
func (d *E1Deframer) Stats() Stats { return d.st }

func (d *E1Deframer) process() {
	for {
		if !d.aligned {
			if !d.hunt() {
				return
			}
			continue
		}
		if !d.frame() {
			return
		}
	}
}

// hunt looks for FAS / NFAS bit 2 / FAS at every bit position from bb.pos.
func (d *E1Deframer) hunt() bool {
	b := &d.bb
	buf := b.buf[:]
	last := b.n*8 - e1HuntLookahead
	// 57 candidates at a time: bit j (from the MSB) of m is set when bits
	// 2-8 of the octet starting at base+j are the FAS 0011011.
	for base := b.pos; base <= last; base += 57 {
		w := load64(buf, base)
		m := ^(w << 1) & ^(w << 2) & (w << 3) & (w << 4) & ^(w << 5) & (w << 6) & (w << 7)
		m &= 0xffffffffffffff80 // candidates 0..56
		if n := last - base + 1; n < 57 {
			m &= ^(^uint64(0) >> n)
		}
		for m != 0 {
			j := bits.LeadingZeros64(m)
			m &^= 1 << (63 - j)
			p := base + j
			if bitAt(buf, p+E1FrameBits+1) == 1 && byteAt(buf, p+2*E1FrameBits)&0x7f == 0x1b {
				if b.abs(p)-d.oofStart >= e1LOFBits {
					d.st.setAlarm(AlarmLOF, true) // cleared at once by gain
				}
				b.pos = p
				d.gain()
				return true
			}
		}
	}
	if last+1 > b.pos {
		b.pos = last + 1
	}
	if b.abs(b.pos)-d.oofStart >= e1LOFBits {
		d.st.setAlarm(AlarmLOF, true)
	}
	return false
}

// gain enters frame alignment with a FAS frame at bb.pos.
func (d *E1Deframer) gain() {
	d.nextFrame = d.st.realign(d.haveLast, d.lastFrame, d.lastStart, d.bb.abs(d.bb.pos), E1FrameBits).Frame
	d.aligned = true
	d.fas = true
	d.badFAS = 0
	d.raiOn, d.raiOff = 0, 0
	d.fidx = 0
	d.mfAligned = false
	d.siReg = 0xff
	d.siCand = -1
	d.crcActive = false
	d.havePrev = false
	d.casAligned = false
	d.casPrevHi = 0
	d.casBad = 0
}

// drop leaves frame alignment; the hunt resumes at bb.pos.
func (d *E1Deframer) drop() {
	d.aligned = false
	d.mfAligned = false
	d.casAligned = false
	d.st.InFrame = false
	d.st.InMultiframe = false
	d.st.InCASMultiframe = false
	d.st.SignallingValid = false
	d.st.setAlarm(AlarmRAI, false)
	d.st.setAlarm(AlarmCASRAI, false)
	d.oofStart = d.bb.abs(d.bb.pos)
}

// frame checks and delivers the frame at bb.pos; false when more input is
// needed.
func (d *E1Deframer) frame() bool {
	b := &d.bb
	p := b.pos
	i, s := p>>3, uint(p&7)
	var slots []byte
	if s == 0 {
		if b.n-i < E1Timeslots {
			return false
		}
		slots = b.buf[i : i+E1Timeslots]
	} else {
		if b.n-i < E1Timeslots+1 {
			return false
		}
		shift32(&d.scratch, b.buf[i:i+E1Timeslots+1], s)
		slots = d.scratch[:]
	}
	start := b.abs(p)
	ts0 := slots[0]
	if d.fas {
		if ts0&0x7f != 0x1b {
			d.st.FramingErrors++
			d.badFAS++
			if d.badFAS >= 3 {
				d.st.AlignmentLosses++
				// Hunt from a little before this frame, so that a few
				// deleted bits are found again at once.
				b.pos = max(p-slipBack, 0)
				d.drop()
				return true
			}
		} else {
			d.badFAS = 0
		}
	} else {
		if ts0&0x40 == 0 {
			d.st.NFASErrors++
		}
		if ts0&0x20 != 0 {
			d.raiOff = 0
			if d.raiOn++; d.raiOn >= e1RAIPersist {
				d.st.setAlarm(AlarmRAI, true)
			}
		} else {
			d.raiOn = 0
			if d.raiOff++; d.raiOff >= e1RAIPersist {
				d.st.setAlarm(AlarmRAI, false)
			}
		}
	}
	if d.cfg.CRC4 && d.crcFrame(ts0, slots, start) {
		d.st.CRCResearches++
		b.pos = p + 1
		d.drop()
		return true
	}
	if d.cfg.CAS {
		d.casFrame(slots[16])
	}
	fn := d.nextFrame
	d.lastFrame, d.lastStart, d.haveLast = fn, start, true
	d.st.Frames++
	if d.h != nil {
		d.h(fn, slots)
	}
	d.nextFrame++
	d.fas = !d.fas
	b.pos = p + E1FrameBits
	return true
}

// crcFrame runs the CRC-4 multiframe for one frame; true asks for a frame
// alignment re-search.
func (d *E1Deframer) crcFrame(ts0 uint8, slots []byte, start uint64) bool {
	d.fidx++
	if !d.mfAligned {
		if d.mfSearch++; !d.fallback && d.mfSearch >= e1MFFallback {
			d.fallback = true
			d.st.CRC4Fallback = true
		}
		if !d.fallback && d.fidx > e1MFSearch {
			return true
		}
		if !d.fas {
			d.siReg = d.siReg<<1 | ts0>>7
			if d.siReg&0x3f == 0x0b {
				if d.siCand >= 0 && (d.fidx-d.siCand)%16 == 0 && (d.fallback || d.fidx-d.siCand <= e1MFSearch) {
					d.mfAligned = true
					d.mfn = 11
					d.mfSearch = 0
					d.fallback = false
					d.st.CRC4Fallback = false
					d.winBlocks, d.winErrors = 0, 0
					d.st.InMultiframe = true
					if !d.st.MultiframeAlignedAt.Valid {
						d.st.MultiframeAlignedAt = Position{Valid: true, Bit: start, Frame: d.nextFrame}
					}
				} else {
					d.siCand = d.fidx
				}
			}
		}
		return false
	}
	d.mfn = (d.mfn + 1) & 15
	mfn := d.mfn
	if mfn&7 == 0 {
		d.crc, d.rxC = 0, 0
		d.crcActive = true
	}
	if mfn&1 == 0 {
		d.rxC = d.rxC<<1 | ts0>>7
		ts0 &= 0x7f // C bits count as 0
	} else if (mfn == 13 || mfn == 15) && ts0&0x80 == 0 {
		d.st.EBitErrors++
	}
	c := e1FrameCRC(d.crc, slots, ts0)
	d.crc = c
	if mfn&7 == 7 && d.crcActive {
		if d.havePrev {
			d.st.CRCBlocks++
			d.winBlocks++
			if d.prevCRC != d.rxC {
				d.st.CRCErrors++
				d.winErrors++
			}
			if d.winBlocks == e1CRCWindow {
				bad := d.winErrors >= e1CRCResearch
				d.winBlocks, d.winErrors = 0, 0
				if bad {
					return true
				}
			}
		}
		d.prevCRC = c
		d.havePrev = true
	}
	return false
}

func (d *E1Deframer) casFrame(ts16 uint8) {
	hi := ts16 >> 4
	if !d.casAligned {
		if hi == 0 && d.casPrevHi != 0 {
			d.casAligned = true
			d.casMfn = 0
			d.casBad = 0
			d.st.InCASMultiframe = true
			d.st.setAlarm(AlarmCASRAI, ts16&0x04 != 0)
		}
		d.casPrevHi = hi
		return
	}
	d.casMfn = (d.casMfn + 1) & 15
	if d.casMfn == 0 {
		if hi != 0 {
			if d.casBad++; d.casBad >= 2 {
				d.casAligned = false
				d.casPrevHi = hi
				d.st.InCASMultiframe = false
				d.st.SignallingValid = false
				d.st.setAlarm(AlarmCASRAI, false)
			}
			return
		}
		d.casBad = 0
		d.st.setAlarm(AlarmCASRAI, ts16&0x04 != 0)
		return
	}
	d.st.Signalling[d.casMfn] = hi
	d.st.Signalling[d.casMfn+15] = ts16 & 0xf
	if d.casMfn == 15 {
		d.st.SignallingValid = true
	}
}
