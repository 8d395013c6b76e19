package e1_test

import (
	"fmt"

	"github.com/tdmtap/tdmtap/e1"
)

// A span recorded from the middle of a frame: the deframer finds the frame
// and CRC-4 multiframe alignment and hands over every aligned frame.
func ExampleNewE1Deframer() {
	cfg := e1.E1Config{CRC4: true}
	f := e1.NewE1Framer(cfg)
	slots := make([]byte, e1.E1Timeslots)
	var stream []byte
	for n := range 800 {
		slots[1] = byte(n) // timeslot 1 counts frames
		stream = f.AppendFrame(stream, slots)
	}
	stream = stream[100:] // start mid-frame

	var ts1 []byte
	d := e1.NewE1Deframer(cfg, func(frame uint64, slots []byte) {
		ts1 = append(ts1, slots[1])
	})
	d.Write(stream)
	st := d.Stats()
	fmt.Println("frames:", st.Frames, "first TS1 octet:", ts1[0])
	fmt.Println("frame alignment at bit", st.FrameAlignedAt.Bit, "CRC-4 multiframe at frame", st.MultiframeAlignedAt.Frame)
	fmt.Println("CRC errors:", st.CRCErrors, "alarms seen:", st.AlarmsSeen)
	// Output:
	// frames: 796 first TS1 octet: 4
	// frame alignment at bit 224 CRC-4 multiframe at frame 39
	// CRC errors: 0 alarms seen: none
}
