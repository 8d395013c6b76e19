package e1

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var e1Configs = []E1Config{{}, {CRC4: true}, {CAS: true}, {CRC4: true, CAS: true}}

func TestCRC4AgainstPolynomialDivision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 500 {
		msg := make([]byte, 1+r.IntN(300))
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		want := polyRemainder(unpack(msg), genCRC4)
		if got := crc4Update(0, msg); got != want {
			t.Fatalf("crc4 of %d octets: %x want %x", len(msg), got, want)
		}
	}
	// The whole-frame form used by the deframer, from any start register.
	for range 2000 {
		var f [E1Timeslots]byte
		for i := range f {
			f[i] = byte(r.Uint32())
		}
		c0 := uint8(r.IntN(16))
		ts0 := byte(r.Uint32())
		g := f
		g[0] = ts0
		if got, want := e1FrameCRC(c0, f[:], ts0), crc4Update(c0, g[:]); got != want {
			t.Fatalf("e1FrameCRC %x want %x", got, want)
		}
	}
}

// TestE1FramerOnTheWire checks the framer's TS0 bit by bit against G.704,
// and each sub-multiframe's C1..C4 against a bit-serial CRC-4 computed here
// from the polynomial over the 2048 bits with the C bits set to 0.
func TestE1FramerOnTheWire(t *testing.T) {
	_, stream, _ := e1Stream(t, E1Config{CRC4: true}, 160, 5)
	bs := unpack(stream)
	frameBits := func(n int) []uint8 { return bs[n*256 : (n+1)*256] }
	for n := range 160 {
		fb := frameBits(n)
		mfn := n % 16
		if mfn%2 == 0 {
			if got := fmt.Sprint(fb[1:8]); got != "[0 0 1 1 0 1 1]" {
				t.Fatalf("frame %d FAS bits 2-8 %s", n, got)
			}
		} else {
			if fb[1] != 1 {
				t.Fatalf("frame %d NFAS bit 2 = 0", n)
			}
			if mfn <= 11 && fb[0] != []uint8{0, 0, 1, 0, 1, 1}[mfn/2] {
				t.Fatalf("frame %d: MFAS bit wrong", n)
			}
			if mfn >= 13 && fb[0] != 1 {
				t.Fatalf("frame %d: E bit 0 without errors", n)
			}
		}
	}
	checked := 0
	for smf := 0; smf+1 < 20; smf++ {
		msg := append([]uint8(nil), bs[smf*2048:(smf+1)*2048]...)
		for k := 0; k < 8; k += 2 {
			msg[k*256] = 0
		}
		want := polyRemainder(msg, genCRC4)
		var got uint8
		for k := 0; k < 8; k += 2 {
			got = got<<1 | bs[(smf+1)*2048+k*256]
		}
		if got != want {
			t.Fatalf("SMF %d: C1..C4 %04b, polynomial gives %04b", smf, got, want)
		}
		checked++
	}
	if checked != 19 {
		t.Fatal("not all checked")
	}
}

func TestE1RoundTrip(t *testing.T) {
	for _, cfg := range e1Configs {
		t.Run(fmt.Sprintf("crc4=%v,cas=%v", cfg.CRC4, cfg.CAS), func(t *testing.T) {
			payload, stream, _ := e1Stream(t, cfg, 4000, 7)
			c := newCollector(t, E1Timeslots)
			d := NewE1Deframer(cfg, c.handle)
			writeChunks(d, stream, 1)
			st := d.Stats()
			if st.Frames != 4000 || len(c.order) != 4000 || st.AlignmentLosses != 0 || st.CRCErrors != 0 ||
				st.Slips != 0 || st.CRCResearches != 0 || st.FramingErrors != 0 || st.AlarmsSeen != 0 || st.EBitErrors != 0 {
				t.Fatalf("stats %+v", st)
			}
			if st.FrameAlignedAt != (Position{Valid: true, Bit: 0, Frame: 0}) || !st.InFrame {
				t.Fatalf("aligned at %+v", st.FrameAlignedAt)
			}
			if cfg.CRC4 {
				// First MFAS ends in frame 11, the second one in frame 27.
				if st.MultiframeAlignedAt != (Position{Valid: true, Bit: 27 * 256, Frame: 27}) || !st.InMultiframe {
					t.Fatalf("multiframe aligned at %+v", st.MultiframeAlignedAt)
				}
				if st.CRCBlocks < 490 {
					t.Fatalf("only %d CRC blocks checked", st.CRCBlocks)
				}
			} else if st.MultiframeAlignedAt.Valid || st.CRCBlocks != 0 {
				t.Fatalf("multiframe without CRC-4: %+v", st)
			}
			if cfg.CAS != st.InCASMultiframe {
				t.Fatalf("CAS multiframe %v", st.InCASMultiframe)
			}
			for i, fn := range c.order {
				if fn != uint64(i) {
					t.Fatalf("frame %d numbered %d", i, fn)
				}
				got := c.frames[fn]
				if !e1Equal(cfg, got, payload[fn]) {
					t.Fatalf("frame %d: %x want %x", fn, got, payload[fn])
				}
				if fn%2 == 0 && got[0]&0x7f != 0x1b {
					t.Fatalf("frame %d: TS0 %02x is not FAS", fn, got[0])
				}
			}
		})
	}
}

func TestE1StartMidFrame(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	spurious := 0
	defer func() {
		t.Logf("%d spurious alignments in 48 runs", spurious)
		if spurious > 3 {
			t.Errorf("%d spurious alignments in 48 runs", spurious)
		}
	}()
	for i, cfg := range e1Configs {
		payload, stream, _ := e1Stream(t, cfg, 1200, 8+uint64(i))
		for range 12 {
			k := r.IntN(4096) // bits dropped: any byte and bit offset
			c := newCollector(t, E1Timeslots)
			d := NewE1Deframer(cfg, c.handle)
			writeChunks(d, shiftBits(stream, k), uint64(k))
			st := d.Stats()
			// The first FAS frame starting at or after bit k.
			j := (k + 255) / 256
			if j%2 == 1 {
				j++
			}
			if st.AlignmentLosses+st.CRCResearches > 0 {
				// The random payload imitated FAS/NFAS/FAS before the
				// real one (G.706 accepts ~2^-15 per position); the
				// false alignment must have been dropped for the real one.
				spurious++
				t.Logf("spurious: k=%d first at %d (true %d) mod512=%d losses %d researches %d", k, st.FrameAlignedAt.Bit, j*256-k, (int(st.FrameAlignedAt.Bit)+k)%512, st.AlignmentLosses, st.CRCResearches)
				if st.AlignmentLosses+st.CRCResearches > 2 || st.FrameAlignedAt.Bit%256 == uint64(j*256-k)%256 {
					t.Fatalf("%+v k=%d: stats %+v", cfg, k, st)
				}
				for j*256-k < int(st.LastFrameAlignedAt.Bit) {
					j += 2
				}
				for len(c.order) > 0 && c.order[0] < st.LastFrameAlignedAt.Frame {
					c.order = c.order[1:]
				}
			}
			if st.LastFrameAlignedAt.Bit != uint64(j*256-k) {
				t.Fatalf("%+v k=%d: want alignment at bit %d, stats %+v", cfg, k, j*256-k, st)
			}
			if cfg.CRC4 && !st.InMultiframe {
				t.Fatalf("%+v k=%d: no CRC-4 multiframe", cfg, k)
			}
			if st.CRCErrors != 0 {
				t.Fatalf("%+v k=%d: %d CRC errors", cfg, k, st.CRCErrors)
			}
			first := c.order[0]
			for i, fn := range c.order {
				if fn != first+uint64(i) {
					t.Fatalf("gap in frame numbers at %d", fn)
				}
				if !e1Equal(cfg, c.frames[fn], payload[j+i]) {
					t.Fatalf("%+v k=%d: frame %d content differs from sent frame %d", cfg, k, fn, j+i)
				}
			}
			if want := len(payload) - j - 1; len(c.order) < want-4 {
				t.Fatalf("k=%d: %d frames, want ≥ %d", k, len(c.order), want)
			}
		}
	}
}

// editBit inserts (ins) or deletes one bit at bit position at.
func editBit(p []byte, at int, ins bool) []byte {
	bs := unpack(p)
	if ins {
		bs = append(bs[:at], append([]uint8{1}, bs[at:]...)...)
	} else {
		bs = append(bs[:at], bs[at+1:]...)
	}
	return pack(bs[:len(bs)/8*8])
}

func TestE1BitSlip(t *testing.T) {
	for _, cfg := range []E1Config{{}, {CRC4: true, CAS: true}} {
		for _, ins := range []bool{true, false} {
			payload, stream, _ := e1Stream(t, cfg, 2000, 21)
			at := 1000*256 + 77
			stream = editBit(stream, at, ins)
			c := newCollector(t, E1Timeslots)
			d := NewE1Deframer(cfg, c.handle)
			writeChunks(d, stream, 2)
			st := d.Stats()
			want := int64(1)
			if !ins {
				want = -1
			}
			if st.AlignmentLosses != 1 || st.Slips != 1 || st.SlipBits != want || !st.InFrame {
				t.Fatalf("%+v ins=%v: %+v", cfg, ins, st)
			}
			if st.LastFrameAlignedAt.Frame != 1006 {
				t.Fatalf("realigned at %+v", st.LastFrameAlignedAt)
			}
			if cfg.CRC4 && (!st.InMultiframe || st.CRCErrors > 2) {
				t.Fatalf("after slip: %+v", st)
			}
			bad := 0
			for _, fn := range c.order {
				if !e1Equal(cfg, c.frames[fn], payload[fn]) {
					bad++
					if fn < 1000 || fn >= st.LastFrameAlignedAt.Frame {
						t.Fatalf("frame %d wrong", fn)
					}
				}
			}
			if bad > 6 || len(c.order) < 1990 {
				t.Fatalf("%d bad frames, %d delivered", bad, len(c.order))
			}
		}
	}
}

func TestE1FASErrors(t *testing.T) {
	cfg := E1Config{CRC4: true}
	r := rand.New(rand.NewPCG(4, 4))
	f := NewE1Framer(cfg)
	var stream []byte
	slots := make([]byte, 32)
	frames := func(n int) {
		for range n {
			for i := range slots {
				slots[i] = byte(r.Uint32())
			}
			stream = f.AppendFrame(stream, slots)
		}
	}
	d := NewE1Deframer(cfg, nil)
	step := func(n int) Stats {
		stream = stream[:0]
		frames(n)
		d.Write(stream)
		return d.Stats()
	}
	step(200)
	f.InjectFASErrors(1)
	st := step(100)
	if st.FramingErrors != 1 || st.AlignmentLosses != 0 || !st.InFrame {
		t.Fatalf("1 bad FAS: %+v", st)
	}
	f.InjectFASErrors(2)
	st = step(100)
	if st.FramingErrors != 3 || st.AlignmentLosses != 0 {
		t.Fatalf("2 bad FAS: %+v", st)
	}
	f.InjectFASErrors(2)
	step(5) // a good FAS in between resets the count
	f.InjectFASErrors(2)
	st = step(100)
	if st.FramingErrors != 7 || st.AlignmentLosses != 0 {
		t.Fatalf("2+2 bad FAS: %+v", st)
	}
	f.InjectFASErrors(3)
	st = step(200)
	if st.FramingErrors != 10 || st.AlignmentLosses != 1 || !st.InFrame || !st.InMultiframe || st.Slips != 0 {
		t.Fatalf("3 bad FAS: %+v", st)
	}
	if st.Frames < 200+300+3-1+200-8 || st.CRCErrors > 4 {
		t.Fatalf("frames %d after recovery (crc errors %d)", st.Frames, st.CRCErrors)
	}
}

// TestE1CRCErrorsAndEBits: CRC errors injected on the A→B direction are
// counted by B's deframer; B's framer reports them back as E-bits on B→A,
// where A's deframer counts them.
func TestE1CRCErrorsAndEBits(t *testing.T) {
	cfg := E1Config{CRC4: true}
	fAB, fBA := NewE1Framer(cfg), NewE1Framer(cfg)
	dB, dA := NewE1Deframer(cfg, nil), NewE1Deframer(cfg, nil)
	slots := make([]byte, 32)
	var ab, ba []byte
	var looped uint64
	run := func(mf int) {
		for range mf {
			ab, ba = ab[:0], ba[:0]
			for range 16 {
				ab = fAB.AppendFrame(ab, slots)
				ba = fBA.AppendFrame(ba, slots)
			}
			dB.Write(ab)
			dA.Write(ba)
			if n := dB.Stats().CRCErrors; n > looped {
				fBA.ReportFarEndErrors(int(n - looped))
				looped = n
			}
		}
	}
	run(20)
	if dB.Stats().CRCErrors != 0 || !dB.Stats().InMultiframe || !dA.Stats().InMultiframe {
		t.Fatalf("setup: %+v", dB.Stats())
	}
	fAB.InjectCRCErrors(7)
	run(20)
	if sb, sa := dB.Stats(), dA.Stats(); sb.CRCErrors != 7 || sa.EBitErrors != 7 || sa.CRCErrors != 0 || sb.EBitErrors != 0 {
		t.Fatalf("B saw %d CRC errors (%d E), A %d E-bits (%d CRC)", sb.CRCErrors, sb.EBitErrors, sa.EBitErrors, sa.CRCErrors)
	}
	if sb := dB.Stats(); sb.AlignmentLosses != 0 || sb.CRCResearches != 0 {
		t.Fatalf("B lost alignment: %+v", sb)
	}
}

func TestE1CRCErrorsForceResearch(t *testing.T) {
	cfg := E1Config{CRC4: true}
	f := NewE1Framer(cfg)
	d := NewE1Deframer(cfg, nil)
	var buf []byte
	slots := make([]byte, 32)
	for range 64 {
		buf = f.AppendFrame(buf, slots)
	}
	d.Write(buf)
	f.InjectCRCErrors(1 << 30)
	for range 40 { // 40 × 200 frames = 1 s
		buf = buf[:0]
		for range 200 {
			buf = f.AppendFrame(buf, slots)
		}
		d.Write(buf)
	}
	st := d.Stats()
	if st.CRCResearches < 1 || st.CRCErrors < 915 {
		t.Fatalf("%+v", st)
	}
}

func TestE1CRC4FallbackWithoutMultiframe(t *testing.T) {
	// A far end without CRC-4: the deframer re-searches every 8 ms, and after
	// 400 ms keeps frame alignment without CRC-4 (G.706 Annex B).
	_, stream, _ := e1Stream(t, E1Config{}, 4800, 12)
	var frames []uint64
	d := NewE1Deframer(E1Config{CRC4: true}, func(fn uint64, _ []byte) { frames = append(frames, fn) })
	d.Write(stream)
	st := d.Stats()
	if !st.CRC4Fallback || st.CRCResearches < 40 || st.InMultiframe || !st.InFrame || st.CRCBlocks != 0 {
		t.Fatalf("%+v", st)
	}
	// After the fallback (400 ms = 3200 frames) every frame is delivered.
	for i := len(frames) - 1500; i < len(frames); i++ {
		if frames[i] != frames[i-1]+1 {
			t.Fatalf("gap after fallback at frame %d", frames[i])
		}
	}
}

// TestE1CRC4FallbackEnds: after the Annex B fallback, a far end that starts
// sending CRC-4 is found again: checking resumes and the flag clears, without
// losing frame alignment. Bit 2 of NFAS frames = 0 counts as an NFAS error.
func TestE1CRC4FallbackEnds(t *testing.T) {
	_, plain, _ := e1Stream(t, E1Config{}, 4800, 17) // even: the CRC-4 part starts on a FAS frame
	_, crc4, _ := e1Stream(t, E1Config{CRC4: true}, 1600, 18)
	d := NewE1Deframer(E1Config{CRC4: true}, nil)
	d.Write(plain)
	if st := d.Stats(); !st.CRC4Fallback || st.InMultiframe {
		t.Fatalf("no fallback: %+v", st)
	}
	losses := d.Stats().AlignmentLosses
	crc4[3*32] &^= 0x40 // frame 3 (NFAS): bit 2 = 0
	d.Write(crc4)
	st := d.Stats()
	if st.CRC4Fallback || !st.InMultiframe || !st.InFrame || st.AlignmentLosses != losses {
		t.Fatalf("after CRC-4 resumed: %+v", st)
	}
	if st.CRCBlocks < 150 || st.CRCErrors != 0 || st.NFASErrors != 1 {
		t.Fatalf("CRC blocks %d errors %d, NFAS errors %d", st.CRCBlocks, st.CRCErrors, st.NFASErrors)
	}
}

func TestE1AIS(t *testing.T) {
	cfg := E1Config{CRC4: true}
	_, stream, f := e1Stream(t, cfg, 400, 13)
	d := NewE1Deframer(cfg, nil)
	d.Write(stream)
	f.AIS = true
	stream = stream[:0]
	slots := make([]byte, 32)
	for range 100 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	st := d.Stats()
	if st.Alarms&AlarmAIS == 0 || st.Alarms&AlarmLOF == 0 || st.InFrame || st.AlignmentLosses != 1 || st.Alarms&AlarmLOS != 0 {
		t.Fatalf("during AIS: %v %+v", st.Alarms, st)
	}
	f.AIS = false
	stream = stream[:0]
	for range 200 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	st = d.Stats()
	if st.Alarms != 0 || !st.InFrame || st.AlarmsSeen != AlarmAIS|AlarmLOF || st.AlarmEvents[2] != 1 {
		t.Fatalf("after AIS: %v seen %v %+v", st.Alarms, st.AlarmsSeen, st)
	}
}

func TestE1LOS(t *testing.T) {
	cfg := E1Config{}
	_, stream, f := e1Stream(t, cfg, 100, 14)
	d := NewE1Deframer(cfg, nil)
	d.Write(stream)
	f.LOS = true
	stream = stream[:0]
	slots := make([]byte, 32)
	for range 50 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	st := d.Stats()
	if st.Alarms&(AlarmLOS|AlarmLOF) != AlarmLOS|AlarmLOF || st.Alarms&AlarmAIS != 0 || st.InFrame {
		t.Fatalf("during LOS: %v", st.Alarms)
	}
	f.LOS = false
	stream = stream[:0]
	for range 50 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	if st = d.Stats(); st.Alarms != 0 || !st.InFrame || st.AlarmEvents[0] != 1 {
		t.Fatalf("after LOS: %v %+v", st.Alarms, st)
	}
	if got := st.AlarmsSeen.String(); got != "LOS,LOF" {
		t.Fatalf("seen %q", got)
	}
}

func TestE1RAI(t *testing.T) {
	cfg := E1Config{CRC4: true}
	_, stream, f := e1Stream(t, cfg, 100, 15)
	d := NewE1Deframer(cfg, nil)
	d.Write(stream)
	slots := make([]byte, 32)
	f.RAI = true
	stream = stream[:0]
	for range 16 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	if st := d.Stats(); st.Alarms != AlarmRAI || st.AlignmentLosses != 0 {
		t.Fatalf("RAI: %v", st.Alarms)
	}
	f.RAI = false
	stream = stream[:0]
	for range 16 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	if st := d.Stats(); st.Alarms != 0 || st.AlarmsSeen != AlarmRAI || st.AlarmEvents[3] != 1 {
		t.Fatalf("after RAI: %v", st.Alarms)
	}
}

func TestE1CAS(t *testing.T) {
	cfg := E1Config{CRC4: true, CAS: true}
	r := rand.New(rand.NewPCG(16, 16))
	payload, _, _ := e1Stream(t, cfg, 64, 16)
	f := NewE1Framer(cfg)
	var want [32]uint8
	for ch := 1; ch <= 30; ch++ {
		want[ch] = uint8(1 + r.IntN(15)) // 0000 is not allowed
		f.SetCAS(ch, want[ch])
	}
	var stream []byte
	// Start the stream in the middle of a CAS multiframe.
	for i := range 64 {
		stream = f.AppendFrame(stream, payload[i])
	}
	stream = stream[7*32:]
	d := NewE1Deframer(cfg, nil)
	d.Write(stream)
	st := d.Stats()
	if !st.InCASMultiframe || !st.SignallingValid || st.Signalling != want || st.Alarms != 0 {
		t.Fatalf("signalling %v want %v (%+v)", st.Signalling, want, st)
	}
	f.SetCAS(5, 0x3)
	f.CASRAI = true
	stream = stream[:0]
	for i := range 32 {
		stream = f.AppendFrame(stream, payload[i])
	}
	d.Write(stream)
	want[5] = 3
	if st = d.Stats(); st.Signalling != want || st.Alarms != AlarmCASRAI {
		t.Fatalf("signalling %v want %v, alarms %v", st.Signalling, want, st.Alarms)
	}
}

func TestAlarmNames(t *testing.T) {
	a := AlarmLOS | AlarmYellow
	if a.String() != "LOS,yellow" || Alarm(0).String() != "none" {
		t.Fatal(a.String())
	}
	b, err := a.MarshalJSON()
	if err != nil || string(b) != `["LOS","yellow"]` {
		t.Fatal(string(b), err)
	}
	if b, _ := Alarm(0).MarshalJSON(); string(b) != "[]" {
		t.Fatal(string(b))
	}
}

// TestLostPacketsFilledWithOnes: a pseudowire source fills lost packets with
// all ones; the deframer loses alignment, finds it again at the same
// position, and the frame numbers keep counting the span's frames.
func TestLostPacketsFilledWithOnes(t *testing.T) {
	t.Run("e1", func(t *testing.T) {
		cfg := E1Config{CRC4: true, CAS: true}
		payload, stream, _ := e1Stream(t, cfg, 2000, 40)
		for i := 1000 * 32; i < 1016*32; i++ { // two 256-octet SAToP packets
			stream[i] = 0xff
		}
		c := newCollector(t, E1Timeslots)
		d := NewE1Deframer(cfg, c.handle)
		chunked(d, stream, 1)
		st := d.Stats()
		if st.AlignmentLosses != 1 || st.Slips != 0 || !st.InFrame || !st.InMultiframe || st.LastFrameAlignedAt.Frame != 1016 {
			t.Fatalf("%+v", st)
		}
		for _, fn := range c.order {
			if (fn < 1000 || fn >= 1016) && !e1Equal(cfg, c.frames[fn], payload[fn]) {
				t.Fatalf("frame %d differs", fn)
			}
		}
		if len(c.order) < 2000-16-2 {
			t.Fatalf("%d frames", len(c.order))
		}
	})
	t.Run("t1-esf", func(t *testing.T) {
		cfg := T1Config{ESF: true}
		payload, stream, _ := t1Stream(t, cfg, 2400, 41)
		for i := 193 * 100; i < 193*104; i++ { // four 193-octet packets (8 frames each): 8 FPS bits
			stream[i] = 0xff
		}
		c := newCollector(t, T1Channels)
		d := NewT1Deframer(cfg, c.handle)
		chunked(d, stream, 2)
		st := d.Stats()
		if st.AlignmentLosses != 1 || st.Slips != 0 || !st.InFrame {
			t.Fatalf("%+v", st)
		}
		for _, fn := range c.order {
			if (fn < 800 || fn >= 832) && string(c.frames[fn]) != string(payload[fn]) {
				t.Fatalf("frame %d differs", fn)
			}
		}
		if st.LastFrameAlignedAt.Frame < 832 || st.LastFrameAlignedAt.Frame > 832+24 {
			t.Fatalf("realigned late: %+v", st.LastFrameAlignedAt)
		}
	})
}

func TestE1CASMultiframeLoss(t *testing.T) {
	cfg := E1Config{CAS: true}
	_, stream, _ := e1Stream(t, cfg, 160, 42)
	d := NewE1Deframer(cfg, nil)
	d.Write(stream[:64*32])
	if st := d.Stats(); !st.InCASMultiframe || !st.SignallingValid {
		t.Fatalf("no CAS multiframe: %+v", st)
	}
	// One bad CAS multiframe alignment signal is tolerated, two in a row are not.
	stream[64*32+16] = 0xff
	d.Write(stream[64*32 : 96*32])
	if st := d.Stats(); !st.InCASMultiframe {
		t.Fatal("lost after one bad signal")
	}
	stream[112*32+16] = 0xff
	stream[128*32+16] = 0xff
	d.Write(stream[96*32 : 129*32])
	if st := d.Stats(); st.InCASMultiframe || st.SignallingValid || !st.InFrame {
		t.Fatalf("kept after two bad signals: %+v", st)
	}
	d.Write(stream[129*32:])
	if st := d.Stats(); !st.InCASMultiframe {
		t.Fatalf("not realigned: %+v", st)
	}
}
