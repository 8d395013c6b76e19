package e1

import (
	"encoding/binary"
	"math/bits"
)

// bufSize is the deframers' input window: enough for the longest hunt
// lookahead (T1 ESF: 4 superframes, 2316 octets) plus room for new input.
const bufSize = 16384

// bitbuf holds input octets not yet consumed; positions are bit offsets
// from buf[0], base is the absolute stream bit offset of buf[0].
type bitbuf struct {
	n    int    // valid octets in buf
	pos  int    // next bit to consume
	base uint64 // absolute bit offset of buf[0]
	buf  [bufSize + 16]byte
}

func (b *bitbuf) abs(pos int) uint64 { return b.base + uint64(pos) }

// compact drops the whole octets before pos, keeping slipBack bits for a
// hunt that restarts just before a failed frame.
func (b *bitbuf) compact() {
	k := (b.pos - slipBack) >> 3
	if k <= 0 {
		return
	}
	copy(b.buf[:], b.buf[k:b.n])
	b.n -= k
	b.pos -= k * 8
	b.base += uint64(k) * 8
}

// fill appends as much of p as fits and returns how much it took.
func (b *bitbuf) fill(p []byte) int {
	k := copy(b.buf[b.n:bufSize], p)
	b.n += k
	return k
}

// lineMonitor watches the raw line, independent of framing, for LOS (a
// 512-bit period of all zeros; cleared by a 512-bit period with at least
// losClearOnes ones: the input is the decoded bitstream, where a live span
// with idle all-zero channels still carries the ones of TS0 or the F bits)
// and for the all-ones condition behind AIS: ≤ 2 zeros in each of two
// consecutive AIS periods (E1: 512 bits, G.775; T1: 2048 bits, since a
// framed T1 with all-ones channels has only about one zero in 512 bits),
// ended by two periods with ≥ 3 zeros. The deframers raise AIS while that
// condition holds and they are out of frame ("unframed all ones").
type lineMonitor struct {
	blocks  int // 512-bit blocks per AIS period (set by the deframer)
	nb      int // octets in the current block
	ones    int
	nblk    int // blocks in the current AIS period
	zeros   int // zeros in the current AIS period
	aisHit  int
	aisMiss int
	allOnes bool
}

const (
	monBlock     = 64 // octets per 512-bit block
	losClearOnes = 4
)

func (m *lineMonitor) scan(p []byte, st *Stats) {
	for len(p) > 0 {
		if m.nb == 0 && len(p) >= monBlock {
			// Only small counts matter: ones 0 or < losClearOnes, zeros
			// ≤ 2. The AND and OR of the words bound them cheaply.
			and, or := ^uint64(0), uint64(0)
			for i := 0; i < monBlock; i += 8 {
				w := binary.LittleEndian.Uint64(p[i:])
				and &= w
				or |= w
			}
			var ones int
			if bits.OnesCount64(^and) >= 3 && bits.OnesCount64(or) >= losClearOnes {
				ones = monBlock * 8 / 2 // any count with ≥ 3 zeros and ≥ losClearOnes ones
			} else {
				for i := 0; i < monBlock; i += 8 {
					ones += bits.OnesCount64(binary.LittleEndian.Uint64(p[i:]))
				}
			}
			m.block(ones, st)
			p = p[monBlock:]
			continue
		}
		take := min(monBlock-m.nb, len(p))
		for _, c := range p[:take] {
			m.ones += bits.OnesCount8(c)
		}
		m.nb += take
		p = p[take:]
		if m.nb == monBlock {
			m.block(m.ones, st)
			m.nb, m.ones = 0, 0
		}
	}
}

func (m *lineMonitor) block(ones int, st *Stats) {
	switch {
	case ones == 0:
		st.setAlarm(AlarmLOS, true)
	case ones >= losClearOnes:
		st.setAlarm(AlarmLOS, false)
	}
	m.zeros += monBlock*8 - ones
	if m.nblk++; m.nblk < max(m.blocks, 1) {
		return
	}
	if m.zeros <= 2 {
		m.aisMiss = 0
		if m.aisHit++; m.aisHit >= 2 {
			m.allOnes = true
		}
	} else {
		m.aisHit = 0
		if m.aisMiss++; m.aisMiss >= 2 {
			m.allOnes = false
		}
	}
	m.nblk, m.zeros = 0, 0
}

// updateAIS raises AIS while the line is all ones and the deframer is out
// of frame.
func (m *lineMonitor) updateAIS(st *Stats) {
	st.setAlarm(AlarmAIS, m.allOnes && !st.InFrame)
}

func (s *Stats) setAlarm(a Alarm, on bool) {
	if on {
		if s.Alarms&a == 0 {
			s.Alarms |= a
			s.AlarmsSeen |= a
			s.AlarmEvents[bits.TrailingZeros16(uint16(a))]++
		}
	} else {
		s.Alarms &^= a
	}
}

// realign records frame alignment gained at abs bit start, given the last
// delivered frame (if any): it numbers the frame (frameNumber), counts a slip
// when start is not a whole number of frames after the last frame's start,
// records the position as the latest (and, the first time, the first)
// alignment, and clears LOF. It returns that position.
func (s *Stats) realign(haveLast bool, lastFrame, lastStart, start, frameBits uint64) Position {
	pos := Position{Valid: true, Bit: start, Frame: frameNumber(haveLast, lastFrame, lastStart, start, frameBits)}
	if haveLast {
		if n := slipBits(lastStart, start, frameBits); n != 0 {
			s.Slips++
			s.SlipBits += n
		}
	}
	if !s.FrameAlignedAt.Valid {
		s.FrameAlignedAt = pos
	}
	s.LastFrameAlignedAt = pos
	s.InFrame = true
	s.setAlarm(AlarmLOF, false)
	return pos
}

// frameNumber gives the number of a frame found at abs bit start, given the
// last delivered frame (if any): elapsed frame periods rounded, at least one
// more than the last.
func frameNumber(haveLast bool, lastFrame, lastStart, start, frameBits uint64) uint64 {
	if !haveLast {
		return start / frameBits
	}
	k := (start - lastStart + frameBits/2) / frameBits
	return lastFrame + max(k, 1)
}

// slipBits is the signed bit shift of a new alignment at start against the
// previous one at lastStart, in (-frameBits/2, frameBits/2].
func slipBits(lastStart, start, frameBits uint64) int64 {
	d := int64((start - lastStart) % frameBits)
	if d > int64(frameBits/2) {
		d -= int64(frameBits)
	}
	return d
}

// slipBack is how far before a frame that lost alignment the hunt resumes.
const slipBack = 8

// feed is the Write loop both deframers share: line monitoring (LOS, AIS)
// over all of p, then p buffered in pieces, each consumed by process.
func feed(p []byte, st *Stats, mon *lineMonitor, bb *bitbuf, process func()) {
	st.Bits += uint64(len(p)) * 8
	mon.scan(p, st)
	for {
		bb.compact()
		k := bb.fill(p)
		p = p[k:]
		process()
		mon.updateAIS(st)
		if len(p) == 0 {
			return
		}
	}
}
