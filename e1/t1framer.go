package e1

import "encoding/binary"

// T1Framer builds a T1 bitstream (SF/D4 or ESF) from channel octets. Frames
// are 193 bits, so the output is not byte aligned per frame: the framer keeps
// the bits that do not fill an octet and emits them with the next frame
// (every 8 frames end on an octet boundary). Exported fields are error
// injection and alarm hooks; they apply to the frames appended after they
// are set.
type T1Framer struct {
	cfg T1Config

	// Yellow sends the yellow (remote) alarm: SF: bit 2 of every channel
	// octet 0; ESF: the data link carries 1111111100000000 repeated.
	Yellow bool
	// AIS replaces every frame with unframed all ones.
	AIS bool
	// LOS replaces every frame with all zeros.
	LOS bool

	frame   uint64
	acc     uint64 // pending output bits, right-aligned
	nacc    uint   // number of pending bits (< 8 between calls)
	crc     uint8  // CRC-6 of the ESF being sent
	prevCRC uint8  // CRC-6 of the previous ESF, sent in this one
	badF    int    // pending framing bits to corrupt
	badCRC  int    // pending CRC-6 words to corrupt
	corrupt bool
	dlPhase uint // data link bit counter
	sig     [T1Channels + 1]uint8
}

// NewT1Framer returns a framer starting at frame 1 of the (super)frame.
func NewT1Framer(cfg T1Config) *T1Framer { return &T1Framer{cfg: cfg} }

// Frame returns the number of frames appended so far.
func (f *T1Framer) Frame() uint64 { return f.frame }

// SetSignalling sets the robbed-bit signalling of channel ch (1..24): abcd
// in the low nibble (SF sends only a and b). Used when RobbedBit is set.
func (f *T1Framer) SetSignalling(ch int, abcd uint8) {
	if ch >= 1 && ch <= T1Channels {
		f.sig[ch] = abcd & 0xf
	}
}

// InjectFramingErrors inverts the next n framing bits (SF: every F bit;
// ESF: FPS bits).
func (f *T1Framer) InjectFramingErrors(n int) { f.badF += n }

// InjectCRCErrors corrupts the next n CRC-6 words (ESF).
func (f *T1Framer) InjectCRCErrors(n int) { f.badCRC += n }

// PendingBits returns how many bits are held back because they do not fill
// an octet yet (0 after every 8th frame).
func (f *T1Framer) PendingBits() int { return int(f.nacc) }

// Flush appends the held-back bits, padded with ones to an octet.
func (f *T1Framer) Flush(dst []byte) []byte {
	if f.nacc > 0 {
		pad := 8 - f.nacc
		dst = append(dst, uint8(f.acc<<pad|(1<<pad-1)))
		f.acc, f.nacc = 0, 0
	}
	return dst
}

// sfPattern is the SF F-bit sequence of frames 1..12.
var sfPattern = [12]uint8{1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0}

// fpsPattern is the ESF FPS of frames 4, 8, ..., 24.
var fpsPattern = [6]uint8{0, 0, 1, 0, 1, 1}

// AppendFrame appends one 193-bit frame (F bit and slots, 24 channel octets;
// missing octets are sent as 0xFF) and returns the extended slice.
func (f *T1Framer) AppendFrame(dst, slots []byte) []byte {
	var ch [T1Channels]byte
	c := copy(ch[:], slots)
	for i := c; i < T1Channels; i++ {
		ch[i] = 0xff
	}
	if f.cfg.ZCS {
		for i, b := range ch {
			if b == 0 {
				ch[i] = 0x02
			}
		}
	}
	var fbit uint8
	if f.cfg.ESF {
		k := int(f.frame % 24) // 0-based: frame k+1
		if k == 0 {
			f.corrupt = false
			if f.badCRC > 0 {
				f.badCRC--
				f.corrupt = true
			}
		}
		switch (k + 1) % 4 {
		case 0:
			fbit = fpsPattern[(k+1)/4-1]
			if f.badF > 0 {
				f.badF--
				fbit ^= 1
			}
		case 2:
			cw := f.prevCRC
			if f.corrupt {
				cw ^= 0x20
			}
			fbit = cw >> (5 - uint(k/4)) & 1
		default: // data link, odd frames
			if f.Yellow {
				fbit = uint8(^f.dlPhase >> 3 & 1) // 8 ones, 8 zeros
			} else {
				fbit = uint8(0x7e >> (7 - f.dlPhase&7) & 1) // HDLC flags
			}
			f.dlPhase = (f.dlPhase + 1) & 15
		}
		if f.cfg.RobbedBit && (k+1)%6 == 0 {
			sh := 3 - uint((k+1)/6-1) // a, b, c, d
			for i := range ch {
				ch[i] = ch[i]&^1 | f.sig[i+1]>>sh&1
			}
		}
	} else {
		k := int(f.frame % 12)
		fbit = sfPattern[k]
		if f.badF > 0 {
			f.badF--
			fbit ^= 1
		}
		if f.cfg.RobbedBit && (k == 5 || k == 11) {
			sh := uint(3)
			if k == 11 {
				sh = 2
			}
			for i := range ch {
				ch[i] = ch[i]&^1 | f.sig[i+1]>>sh&1
			}
		}
		if f.Yellow {
			for i := range ch {
				ch[i] &^= 0x40
			}
		}
	}
	if f.cfg.ESF {
		f.crc = t1FrameCRC(f.crc, ch[:])
		if f.frame%24 == 23 {
			f.prevCRC = f.crc
			f.crc = 0
		}
	}
	f.frame++
	switch {
	case f.AIS:
		fbit = 1
		for i := range ch {
			ch[i] = 0xff
		}
	case f.LOS:
		fbit = 0
		clear(ch[:])
	}
	// F bit
	f.acc = f.acc<<1 | uint64(fbit)
	f.nacc++
	if f.nacc == 8 {
		dst = append(dst, uint8(f.acc))
		f.acc, f.nacc = 0, 0
	}
	if s := f.nacc; s != 0 {
		// Shift the octets right by the s pending bits.
		w0 := binary.BigEndian.Uint64(ch[0:])
		w1 := binary.BigEndian.Uint64(ch[8:])
		w2 := binary.BigEndian.Uint64(ch[16:])
		dst = binary.BigEndian.AppendUint64(dst, f.acc<<(64-s)|w0>>s)
		dst = binary.BigEndian.AppendUint64(dst, w0<<(64-s)|w1>>s)
		dst = binary.BigEndian.AppendUint64(dst, w1<<(64-s)|w2>>s)
		f.acc = w2 & (1<<s - 1)
		return dst
	}
	return append(dst, ch[:]...)
}
