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

// compact drops the whole octets before pos.
func (b *bitbuf) compact() {
	k := b.pos >> 3
	if k == 0 {
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

// lineMonitor watches the raw line for LOS (a 512-bit period of all zeros;
// cleared by a period with at least losClearOnes ones: the input is the
// decoded bitstream, where a live span with idle all-zero channels still
// carries the ones of TS0 or the F bits) and AIS (≤ 2 zeros in each
// of two consecutive 512-bit periods, G.775; cleared by two periods with ≥ 3
// zeros), independent of framing.
type lineMonitor struct {
	nb      int // octets in the current period
	ones    int
	aisHit  int
	aisMiss int
}

// slipBack is how far before a frame that lost alignment the hunt resumes.
const slipBack = 8

const (
	monBlock     = 64 // octets per 512-bit period
	losClearOnes = 4
)

func (m *lineMonitor) scan(p []byte, st *Stats) {
	for len(p) > 0 {
		if m.nb == 0 && len(p) >= monBlock {
			ones := 0
			for i := 0; i < monBlock; i += 8 {
				ones += bits.OnesCount64(binary.LittleEndian.Uint64(p[i:]))
			}
			m.period(ones, st)
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
			m.period(m.ones, st)
			m.nb, m.ones = 0, 0
		}
	}
}

func (m *lineMonitor) period(ones int, st *Stats) {
	if monBlock*8-ones <= 2 {
		m.aisHit++
		m.aisMiss = 0
		if m.aisHit >= 2 {
			st.setAlarm(AlarmAIS, true)
		}
	} else {
		m.aisMiss++
		m.aisHit = 0
		if m.aisMiss >= 2 {
			st.setAlarm(AlarmAIS, false)
		}
	}
	switch {
	case ones == 0:
		st.setAlarm(AlarmLOS, true)
	case ones >= losClearOnes:
		st.setAlarm(AlarmLOS, false)
	}
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
