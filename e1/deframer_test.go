package e1

import "testing"

func TestNewDeframer(t *testing.T) {
	for _, name := range Framings {
		n := 0
		d, err := NewDeframer(name, func(uint64, []byte) { n++ })
		if err != nil {
			t.Fatal(err)
		}
		var stream []byte
		if d.FrameBits() == E1FrameBits {
			cfg := E1Config{CRC4: name == "e1-crc4" || name == "e1-crc4-cas", CAS: name == "e1-cas" || name == "e1-crc4-cas"}
			_, stream, _ = e1Stream(t, cfg, 200, 1)
			if d.Timeslots() != 32 {
				t.Fatal(name)
			}
		} else {
			_, stream, _ = t1Stream(t, T1Config{ESF: name == "t1-esf"}, 200, 1)
			if d.Timeslots() != 24 {
				t.Fatal(name)
			}
		}
		d.Write(stream)
		if st := d.Stats(); st.Frames != 200 || n != 200 || st.AlignmentLosses != 0 {
			t.Fatalf("%s: %d frames (%d)", name, st.Frames, n)
		}
	}
	if _, err := NewDeframer("j1", nil); err == nil {
		t.Fatal("j1 accepted")
	}
}
