package e1

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestCRC6AgainstPolynomialDivision(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range 500 {
		msg := make([]byte, 1+r.IntN(600))
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		want := polyRemainder(unpack(msg), genCRC6)
		if got := crc6Update(0, msg); got != want {
			t.Fatalf("crc6 of %d octets: %x want %x", len(msg), got, want)
		}
		// bit-serial update agrees too
		var c uint8
		for _, b := range unpack(msg) {
			c = crc6Bit(c, b)
		}
		if c != want {
			t.Fatalf("crc6Bit: %x want %x", c, want)
		}
	}
	for range 2000 {
		var f [T1Channels]byte
		for i := range f {
			f[i] = byte(r.Uint32())
		}
		c0 := uint8(r.IntN(64))
		if got, want := t1FrameCRC(c0, f[:]), crc6Update(crc6Bit(c0, 1), f[:]); got != want {
			t.Fatalf("t1FrameCRC %x want %x", got, want)
		}
	}
}

// TestT1FramerOnTheWire checks the F bits of the framer's SF and ESF output
// and, for ESF, each superframe's CRC-6 bits against a bit-serial CRC-6
// computed here from the polynomial over the previous superframe's 4632 bits
// with the F bits set to 1.
func TestT1FramerOnTheWire(t *testing.T) {
	_, stream, _ := t1Stream(t, T1Config{}, 48, 1)
	bs := unpack(stream)
	for n := range 48 {
		if want := []uint8{1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0}[n%12]; bs[n*193] != want {
			t.Fatalf("SF frame %d: F bit %d", n+1, bs[n*193])
		}
	}
	_, stream, _ = t1Stream(t, T1Config{ESF: true}, 24*6, 2)
	bs = unpack(stream)
	for n := range 24 * 6 {
		if fn := n%24 + 1; fn%4 == 0 && bs[n*193] != []uint8{0, 0, 1, 0, 1, 1}[fn/4-1] {
			t.Fatalf("ESF frame %d: FPS bit wrong", fn)
		}
	}
	for sf := 0; sf+1 < 6; sf++ {
		msg := append([]uint8(nil), bs[sf*4632:(sf+1)*4632]...)
		for k := range 24 {
			msg[k*193] = 1
		}
		want := polyRemainder(msg, genCRC6)
		var got uint8
		for k := 1; k < 24; k += 4 { // frames 2, 6, ..., 22
			got = got<<1 | bs[(sf+1)*4632+k*193]
		}
		if got != want {
			t.Fatalf("ESF %d: CRC bits %06b, polynomial gives %06b", sf, got, want)
		}
	}
}

func t1Name(cfg T1Config) string { return fmt.Sprintf("esf=%v,rb=%v", cfg.ESF, cfg.RobbedBit) }

func TestT1RoundTripMidFrame(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, cfg := range []T1Config{{}, {ESF: true}} {
		t.Run(t1Name(cfg), func(t *testing.T) {
			payload, stream, _ := t1Stream(t, cfg, 3000, 9)
			for i := range 10 {
				k := 0
				if i > 0 {
					k = r.IntN(8000)
				}
				c := newCollector(t, T1Channels)
				d := NewT1Deframer(cfg, c.handle)
				writeChunks(d, shiftBits(stream, k), uint64(i))
				st := d.Stats()
				j := (k + 192) / 193 // first frame starting at or after bit k
				if st.FrameAlignedAt.Bit != uint64(j*193-k) || st.AlignmentLosses != 0 || st.Slips != 0 ||
					st.CRCErrors != 0 || st.FramingErrors != 0 || st.Alarms != 0 || !st.InFrame {
					t.Fatalf("k=%d: want alignment at bit %d: %+v", k, j*193-k, st)
				}
				if cfg.ESF && st.CRCBlocks < uint64(3000-j)/24-3 {
					t.Fatalf("only %d CRC-6 blocks", st.CRCBlocks)
				}
				for n, fn := range c.order {
					if fn != c.order[0]+uint64(n) {
						t.Fatalf("gap at %d", fn)
					}
					if got, want := c.frames[fn], payload[j+n]; string(got) != string(want) {
						t.Fatalf("k=%d frame %d: %x want %x", k, fn, got, want)
					}
				}
				if len(c.order) < 3000-j-1 {
					t.Fatalf("k=%d: %d frames", k, len(c.order))
				}
			}
		})
	}
}

func TestT1BitSlip(t *testing.T) {
	for _, cfg := range []T1Config{{}, {ESF: true}} {
		for _, ins := range []bool{true, false} {
			payload, stream, _ := t1Stream(t, cfg, 3000, 10)
			at := 1000*193 + 50
			stream = editBit(stream, at, ins)
			c := newCollector(t, T1Channels)
			d := NewT1Deframer(cfg, c.handle)
			writeChunks(d, stream, 3)
			st := d.Stats()
			want := int64(1)
			if !ins {
				want = -1
			}
			if st.AlignmentLosses != 1 || st.Slips != 1 || st.SlipBits != want || !st.InFrame {
				t.Fatalf("%s ins=%v: %+v", t1Name(cfg), ins, st)
			}
			bad := 0
			for _, fn := range c.order {
				if string(c.frames[fn]) != string(payload[fn]) {
					bad++
					if fn < 1000 || fn >= st.LastFrameAlignedAt.Frame {
						t.Fatalf("%s ins=%v: frame %d wrong (realigned at %+v)", t1Name(cfg), ins, fn, st.LastFrameAlignedAt)
					}
				}
			}
			t.Logf("%s ins=%v: realigned at frame %d, %d frames garbled, %d delivered", t1Name(cfg), ins, st.LastFrameAlignedAt.Frame, bad, len(c.order))
			if bad > 20 || len(c.order) < 2970 {
				t.Fatalf("%d bad frames, %d delivered", bad, len(c.order))
			}
		}
	}
}

func TestT1FramingErrors(t *testing.T) {
	for _, esf := range []bool{false, true} {
		cfg := T1Config{ESF: esf}
		_, stream, f := t1Stream(t, cfg, 480, 11)
		d := NewT1Deframer(cfg, nil)
		d.Write(stream)
		slots := make([]byte, 24)
		step := func(n int) Stats {
			stream = stream[:0]
			for range n {
				stream = f.AppendFrame(stream, slots)
			}
			d.Write(stream)
			return d.Stats()
		}
		f.InjectFramingErrors(1)
		st := step(96)
		if st.FramingErrors != 1 || st.AlignmentLosses != 0 {
			t.Fatalf("esf=%v 1 error: %+v", esf, st)
		}
		f.InjectFramingErrors(1)
		step(24)
		f.InjectFramingErrors(1)
		st = step(96) // errors 6 framing bits apart: kept
		if st.FramingErrors != 3 || st.AlignmentLosses != 0 {
			t.Fatalf("esf=%v spread errors: %+v", esf, st)
		}
		f.InjectFramingErrors(2)
		st = step(480)
		if st.AlignmentLosses != 1 || !st.InFrame || st.Slips != 0 {
			t.Fatalf("esf=%v 2 errors in a row: %+v", esf, st)
		}
	}
}

func TestT1CRC6Errors(t *testing.T) {
	cfg := T1Config{ESF: true}
	_, stream, f := t1Stream(t, cfg, 240, 12)
	d := NewT1Deframer(cfg, nil)
	d.Write(stream)
	f.InjectCRCErrors(5)
	stream = stream[:0]
	slots := make([]byte, 24)
	for range 240 {
		stream = f.AppendFrame(stream, slots)
	}
	d.Write(stream)
	if st := d.Stats(); st.CRCErrors != 5 || st.AlignmentLosses != 0 || st.CRCBlocks < 15 {
		t.Fatalf("%+v", st)
	}
}

func TestT1RobbedBits(t *testing.T) {
	for _, esf := range []bool{false, true} {
		cfg := T1Config{ESF: esf, RobbedBit: true}
		r := rand.New(rand.NewPCG(13, 13))
		f := NewT1Framer(cfg)
		var want [32]uint8
		for ch := 1; ch <= 24; ch++ {
			abcd := uint8(r.IntN(16))
			f.SetSignalling(ch, abcd)
			want[ch] = abcd
			if !esf {
				want[ch] = abcd&0xc | abcd>>2 // a b a b
			}
		}
		var stream []byte
		var payload [][]byte
		for range 480 {
			s := make([]byte, 24)
			for i := range s {
				s[i] = byte(r.Uint32())
			}
			payload = append(payload, s)
			stream = f.AppendFrame(stream, s)
		}
		c := newCollector(t, T1Channels)
		d := NewT1Deframer(cfg, c.handle)
		d.Write(stream)
		st := d.Stats()
		if !st.SignallingValid || st.Signalling != want {
			t.Fatalf("esf=%v: signalling %v want %v", esf, st.Signalling, want)
		}
		period := 12
		if esf {
			period = 24
		}
		for fn, got := range c.frames {
			robbed := (fn%uint64(period)+1)%6 == 0
			for ch := range 24 {
				g, w := got[ch], payload[fn][ch]
				if robbed {
					g, w = g&^1, w&^1
				}
				if g != w {
					t.Fatalf("esf=%v frame %d ch %d: %02x want %02x", esf, fn, ch+1, got[ch], payload[fn][ch])
				}
			}
		}
	}
}

func TestT1Yellow(t *testing.T) {
	for _, esf := range []bool{false, true} {
		cfg := T1Config{ESF: esf}
		_, stream, f := t1Stream(t, cfg, 240, 14)
		d := NewT1Deframer(cfg, nil)
		d.Write(stream)
		slots := make([]byte, 24)
		for i := range slots {
			slots[i] = 0xff
		}
		step := func(n int) Stats {
			stream = stream[:0]
			for range n {
				stream = f.AppendFrame(stream, slots)
			}
			d.Write(stream)
			return d.Stats()
		}
		if st := step(480); st.Alarms != 0 {
			t.Fatalf("esf=%v: alarms %v before yellow", esf, st.Alarms)
		}
		f.Yellow = true
		if st := step(480); st.Alarms != AlarmYellow || st.AlignmentLosses != 0 {
			t.Fatalf("esf=%v: alarms %v during yellow", esf, st.Alarms)
		}
		f.Yellow = false
		if st := step(480); st.Alarms != 0 || st.AlarmsSeen != AlarmYellow || st.AlarmEvents[4] != 1 {
			t.Fatalf("esf=%v: alarms %v after yellow", esf, st.Alarms)
		}
	}
}

func TestT1ZeroCodeSuppression(t *testing.T) {
	for _, zcs := range []bool{false, true} {
		cfg := T1Config{ESF: true, ZCS: zcs}
		f := NewT1Framer(cfg)
		slots := make([]byte, 24)
		for i := range slots {
			slots[i] = byte(i % 3) // 8 zero octets per frame
		}
		var stream []byte
		for range 240 {
			stream = f.AppendFrame(stream, slots)
		}
		c := newCollector(t, T1Channels)
		d := NewT1Deframer(cfg, c.handle)
		d.Write(stream)
		st := d.Stats()
		if zcs {
			if st.ZeroOctets != 0 || c.frames[c.order[0]][0] != 0x02 {
				t.Fatalf("ZCS: %d zero octets", st.ZeroOctets)
			}
		} else if st.ZeroOctets != 8*st.Frames || st.Frames == 0 {
			t.Fatalf("%d zero octets in %d frames", st.ZeroOctets, st.Frames)
		}
	}
}

func TestT1AISAndLOS(t *testing.T) {
	for _, esf := range []bool{false, true} {
		cfg := T1Config{ESF: esf}
		_, stream, f := t1Stream(t, cfg, 480, 15)
		d := NewT1Deframer(cfg, nil)
		d.Write(stream)
		slots := make([]byte, 24)
		for i := range slots {
			slots[i] = 0xff // µ-law idle: the line is nearly all ones, but framed
		}
		step := func(n int) Stats {
			stream = stream[:0]
			for range n {
				stream = f.AppendFrame(stream, slots)
			}
			d.Write(stream)
			return d.Stats()
		}
		if st := step(480); st.Alarms != 0 || !st.InFrame {
			t.Fatalf("esf=%v idle: %v", esf, st.Alarms)
		}
		f.AIS = true
		if st := step(200); st.Alarms != AlarmAIS|AlarmLOF || st.InFrame {
			t.Fatalf("esf=%v AIS: %v", esf, st.Alarms)
		}
		f.AIS, f.LOS = false, true
		if st := step(200); st.Alarms != AlarmLOS|AlarmLOF {
			t.Fatalf("esf=%v LOS: %v", esf, st.Alarms)
		}
		f.LOS = false
		if st := step(480); st.Alarms != 0 || !st.InFrame || st.AlarmsSeen != AlarmAIS|AlarmLOF|AlarmLOS || st.AlignmentLosses != 1 {
			t.Fatalf("esf=%v after: %v %+v", esf, st.Alarms, st)
		}
	}
}
