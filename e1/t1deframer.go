package e1

import (
	"encoding/binary"
	"math/bits"
)

// T1 alignment constants.
const (
	t1LOFBits      = 16 * T1FrameBits // out of frame this long (2 ms) raises LOF
	t1SFHuntFrames = 24               // F bits checked before SF alignment (2 superframes)
	t1ESFHuntFPS   = 24               // FPS bits checked before ESF alignment (4 superframes)
	t1YellowSF     = 255              // consecutive SF frames with bit 2 = 0 everywhere raising yellow
)

// The framing patterns twice over, so that a rotation is a subslice.
var (
	sfPattern2  = [24]uint8(append(sfPattern[:], sfPattern[:]...))
	fpsPattern2 = [12]uint8(append(fpsPattern[:], fpsPattern[:]...))
)

// T1Deframer finds and keeps T1 (SF or ESF) frame alignment in a raw
// bitstream and delivers aligned frames. See the package documentation.
//
// SF: aligned when 24 consecutive F bits (193 bits apart) follow the pattern
// 100011011100; ESF: when 24 consecutive FPS bits (772 bits apart) follow
// 001011. The superframe is aligned with the frame. Frames are delivered from
// the first checked one on. Alignment is lost when 2 of the last 4 framing
// bits (SF: every F bit; ESF: FPS bits) are wrong; the hunt restarts 8 bits
// before that frame. ESF checks the CRC-6 of every superframe against the CRC bits of
// the next one and watches the data link for the yellow alarm (FF00). Robbed
// bits (frames 6, 12 and for ESF 18, 24; bit 8 of each channel) are extracted
// into Stats.Signalling.
type T1Deframer struct {
	cfg T1Config
	h   FrameHandler
	st  Stats
	mon lineMonitor

	aligned   bool
	k         int   // index of the frame at bb.pos in its (super)frame
	fhist     uint8 // framing bit errors, newest in bit 0
	nextFrame uint64
	lastFrame uint64
	lastStart uint64
	haveLast  bool
	oofStart  uint64
	huntStart uint64 // abs bit where the current hunt began
	scan      uint64 // abs bit of the next hunt candidate

	crc       uint8
	rxC       uint8
	prevCRC   uint8
	crcActive bool
	havePrev  bool
	dlReg     uint16
	dlSince   int
	dlMatches int
	yellowSF  int
	sigAcc    [T1Channels]uint8
	sigCount  int

	scratch [T1Channels]byte
	bb      bitbuf
}

// NewT1Deframer returns a deframer calling h (which may be nil) for every
// aligned frame.
func NewT1Deframer(cfg T1Config, h FrameHandler) *T1Deframer {
	d := &T1Deframer{cfg: cfg, h: h}
	d.mon.blocks = 4
	return d
}

// Write consumes raw span bits, MSB of each octet first. It never fails
// and does not keep p. It implements io.Writer.
func (d *T1Deframer) Write(p []byte) (int, error) {
	feed(p, &d.st, &d.mon, &d.bb, d.process)
	return len(p), nil
}

// Stats returns a snapshot of the counters and state.
func (d *T1Deframer) Stats() Stats { return d.st }

func (d *T1Deframer) process() {
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

// hunt scans candidate frame starts from the scan cursor. bb.pos is held up
// to 3 frames behind the cursor (and not before the hunt's start) so that
// an ESF found at an FPS frame can be delivered from its earlier frames.
func (d *T1Deframer) hunt() bool {
	b := &d.bb
	buf := b.buf[:]
	var last int
	if d.cfg.ESF {
		last = b.n*8 - ((t1ESFHuntFPS-1)*4*T1FrameBits + 1)
	} else {
		last = b.n*8 - ((t1SFHuntFrames-1)*T1FrameBits + 1)
	}
	floor := int(d.huntStart - b.base)
	step, nbits, pat, pat2 := T1FrameBits, t1SFHuntFrames, sfPattern[:], sfPattern2[:]
	if d.cfg.ESF {
		step, nbits, pat, pat2 = 4*T1FrameBits, t1ESFHuntFPS, fpsPattern[:], fpsPattern2[:]
	}
	// 64 candidates at a time: m[ph] bit j (from the MSB) stays set while
	// the framing bits of candidate base+j follow the pattern at phase ph.
	var m [12]uint64
	for base := max(int(d.scan-b.base), b.pos); base <= last; base += 64 {
		valid := ^uint64(0)
		if n := last - base + 1; n < 64 {
			valid = ^(^uint64(0) >> n)
		}
		// Every 4 consecutive framing bits of both patterns hold a 0 and
		// a 1: skip blocks (such as AIS or LOS) where none do.
		w0, w1, w2, w3 := load64(buf, base), load64(buf, base+step), load64(buf, base+2*step), load64(buf, base+3*step)
		if (w0|w1|w2|w3)&^(w0&w1&w2&w3)&valid == 0 {
			continue
		}
		for ph := range pat {
			m[ph] = valid
		}
		alive := valid
		for k, r := 0, 0; k < nbits && alive != 0; k++ {
			w := load64(buf, base+k*step)
			alive = 0
			rot := pat2[r : r+len(pat)]
			if r++; r == len(pat) {
				r = 0
			}
			for ph, x := range m[:len(pat)] {
				if x == 0 {
					continue
				}
				if rot[ph] == 0 {
					x &^= w
				} else {
					x &= w
				}
				m[ph] = x
				alive |= x
			}
		}
		if alive == 0 {
			continue
		}
		j := bits.LeadingZeros64(alive)
		ph := 0
		for i, x := range m[:len(pat)] {
			if x>>(63-j)&1 != 0 {
				ph = i
				break
			}
		}
		p, k := base+j, ph
		d.lofCheck(b.abs(p))
		if d.cfg.ESF {
			k = 4*ph + 3
			// Deliver from the superframe's earlier frames too (their F
			// bits are CRC and data link bits).
			for range 3 {
				if p-T1FrameBits < max(floor, 0) {
					break
				}
				p -= T1FrameBits
				k--
			}
		}
		b.pos = p
		d.gain(k)
		return true
	}
	if last+1 > int(d.scan-b.base) {
		d.scan = b.abs(last + 1)
	}
	if keep := int(d.scan-b.base) - 3*T1FrameBits; keep > b.pos {
		b.pos = keep
	}
	d.lofCheck(d.scan)
	return false
}

// lofCheck raises LOF when the hunt has reached abs bit at without
// alignment for 2 ms.
func (d *T1Deframer) lofCheck(at uint64) {
	if at-d.oofStart >= t1LOFBits {
		d.st.setAlarm(AlarmLOF, true)
	}
}

func (d *T1Deframer) gain(k int) {
	pos := d.st.realign(d.haveLast, d.lastFrame, d.lastStart, d.bb.abs(d.bb.pos), T1FrameBits)
	d.nextFrame = pos.Frame
	// The superframe aligns with the frame.
	if !d.st.MultiframeAlignedAt.Valid {
		d.st.MultiframeAlignedAt = pos
	}
	d.st.InMultiframe = true
	d.aligned = true
	d.k = k
	d.fhist = 0
	d.crcActive = false
	d.havePrev = false
	d.dlSince = 1 << 20
	d.dlMatches = 0
	d.yellowSF = 0
	d.sigCount = 0
}

func (d *T1Deframer) drop() {
	d.aligned = false
	d.st.InFrame = false
	d.st.InMultiframe = false
	d.st.SignallingValid = false
	d.st.setAlarm(AlarmYellow, false)
	d.oofStart = d.bb.abs(d.bb.pos)
	d.huntStart, d.scan = d.oofStart, d.oofStart
}

// framingBit records one framing bit check; true when alignment is lost.
func (d *T1Deframer) framingBit(bad bool) bool {
	d.fhist <<= 1
	if bad {
		d.fhist |= 1
		d.st.FramingErrors++
		if bits.OnesCount8(d.fhist&0xf) >= 2 {
			d.st.AlignmentLosses++
			d.bb.pos = max(d.bb.pos-slipBack, 0)
			d.drop()
			return true
		}
	}
	return false
}

func (d *T1Deframer) frame() bool {
	b := &d.bb
	p := b.pos
	q := p + 1
	i, s := q>>3, uint(q&7)
	need := T1Channels
	if s != 0 {
		need++
	}
	if b.n-i < need {
		return false
	}
	shift24(&d.scratch, b.buf[i:i+need], s)
	slots := d.scratch[:]
	fb := bitAt(b.buf[:], p)
	start := b.abs(p)
	k := d.k

	if d.cfg.ESF {
		fnum := k + 1
		if k == 0 {
			d.crc, d.rxC = 0, 0
			d.crcActive = true
		}
		switch fnum % 4 {
		case 0:
			if d.framingBit(fb != fpsPattern[fnum/4-1]) {
				return true
			}
		case 2:
			d.rxC = d.rxC<<1 | fb
		default:
			d.dataLink(fb)
		}
		c := t1FrameCRC(d.crc, slots)
		d.crc = c
		if k == 23 && d.crcActive {
			if d.havePrev {
				d.st.CRCBlocks++
				if d.prevCRC != d.rxC {
					d.st.CRCErrors++
				}
			}
			d.prevCRC = c
			d.havePrev = true
		}
		if fnum%6 == 0 {
			d.robbed(slots, fnum == 24, false)
		}
	} else {
		if d.framingBit(fb != sfPattern[k]) {
			return true
		}
		if k == 5 || k == 11 {
			d.robbed(slots, k == 11, true)
		}
		w := binary.LittleEndian.Uint64(slots[0:]) | binary.LittleEndian.Uint64(slots[8:]) | binary.LittleEndian.Uint64(slots[16:])
		if w&0x4040404040404040 == 0 {
			if d.yellowSF++; d.yellowSF >= t1YellowSF {
				d.st.setAlarm(AlarmYellow, true)
			}
		} else {
			d.yellowSF = 0
			d.st.setAlarm(AlarmYellow, false)
		}
	}
	d.st.ZeroOctets += uint64(zeroOctets(slots))

	fn := d.nextFrame
	d.lastFrame, d.lastStart, d.haveLast = fn, start, true
	d.st.Frames++
	if d.h != nil {
		d.h(fn, slots)
	}
	d.nextFrame++
	d.k++
	if d.cfg.ESF {
		if d.k == 24 {
			d.k = 0
		}
	} else if d.k == 12 {
		d.k = 0
	}
	b.pos = p + T1FrameBits
	return true
}

// robbed shifts one robbed bit per channel in; at the end of the
// signalling superframe the bits become Stats.Signalling.
func (d *T1Deframer) robbed(slots []byte, end, sf bool) {
	for i, x := range slots {
		d.sigAcc[i] = d.sigAcc[i]<<1 | x&1
	}
	d.sigCount++
	if !end {
		return
	}
	need := 4
	if sf {
		need = 2
	}
	if d.sigCount >= need {
		for i, a := range d.sigAcc {
			if sf {
				a = (a&3)<<2 | a&3
			}
			d.st.Signalling[i+1] = a & 0xf
		}
		d.st.SignallingValid = true
	}
	d.sigCount = 0
}

// dataLink watches ESF data link bits for the yellow alarm pattern
// 1111111100000000: raised when seen twice in a row, cleared when absent
// for 32 data link bits.
func (d *T1Deframer) dataLink(bit uint8) {
	d.dlReg = d.dlReg<<1 | uint16(bit)
	d.dlSince++
	if d.dlReg == 0xff00 {
		if d.dlSince == 16 {
			d.dlMatches++
		} else {
			d.dlMatches = 1
		}
		d.dlSince = 0
		if d.dlMatches >= 2 {
			d.st.setAlarm(AlarmYellow, true)
		}
	} else if d.dlSince > 32 {
		d.dlMatches = 0
		d.st.setAlarm(AlarmYellow, false)
	}
}

// zeroOctets counts 0x00 octets in p (len a multiple of 8).
func zeroOctets(p []byte) int {
	n := 0
	for i := 0; i+8 <= len(p); i += 8 {
		w := binary.LittleEndian.Uint64(p[i:])
		if (w-0x0101010101010101)&^w&0x8080808080808080 != 0 {
			for _, x := range p[i : i+8] {
				if x == 0 {
					n++
				}
			}
		}
	}
	return n
}
