package e1

import (
	"encoding/json"
	"strings"
)

// Frame geometry.
const (
	E1FrameBits  = 256 // bits per E1 frame
	E1Timeslots  = 32  // octets per E1 frame, TS0..TS31
	E1FrameRate  = 8000
	T1FrameBits  = 193 // F bit + 24 × 8
	T1Channels   = 24  // octets per T1 frame (F bit excluded)
	T1FrameRate  = 8000
	E1BitRate    = E1FrameBits * E1FrameRate // 2.048 Mbit/s
	T1BitRate    = T1FrameBits * T1FrameRate // 1.544 Mbit/s
	E1CASChannel = 30                        // CAS signalling channels 1..30
)

// E1Config selects the E1 framing options. The same value configures a
// framer and the deframer that reads its output.
type E1Config struct {
	// CRC4 enables the CRC-4 multiframe in TS0 (bit 1): the framer sends
	// the multiframe alignment signal 001011, the CRC-4 words and E-bits;
	// the deframer seeks CRC multiframe alignment (two valid alignment
	// signals within 8 ms, else re-search; after 400 ms without it, G.706
	// Annex B fallback: frame alignment kept, CRC-4 checking off and
	// Stats.CRC4Fallback set), checks the CRC-4 of every sub-multiframe and
	// counts far-end E-bits.
	CRC4 bool
	// CAS enables channel-associated signalling in TS16 (16-frame CAS
	// multiframe: 0000XYXX in frame 0, abcd of channels n and n+15 in
	// frame n). Without it TS16 is an ordinary timeslot.
	CAS bool
}

// T1Config selects the T1 framing options.
type T1Config struct {
	// ESF selects the 24-frame Extended Superframe (FPS 001011, CRC-6, data
	// link); otherwise the 12-frame Superframe (SF, D4) is used.
	ESF bool
	// RobbedBit makes the framer replace bit 8 of every channel octet with
	// signalling in frames 6 and 12 (SF: A, B) or 6, 12, 18, 24 (ESF: A, B,
	// C, D). The deframer always extracts robbed bits into
	// Stats.Signalling; whether they mean anything depends on the span.
	RobbedBit bool
	// ZCS makes the framer apply µ-law zero code suppression: channel
	// octets 0x00 are sent as 0x02. The deframer counts received 0x00
	// channel octets (Stats.ZeroOctets) either way.
	ZCS bool
}

// FrameHandler receives each aligned frame. frame is the frame number on the
// span's own clock: frame periods since the start of the input stream
// (E1: 256 bits, T1: 193 bits), counting frames that were not delivered
// (during loss of alignment) too, strictly increasing. slots holds the
// frame's timeslot octets (E1: 32 octets including TS0 and TS16; T1: 24
// channel octets, F bit excluded). slots is only valid during the call
// (it may alias the deframer's input buffer); the handler must not call the
// deframer's Write.
type FrameHandler func(frame uint64, slots []byte)

// Position tells where in the input stream something happened.
type Position struct {
	Valid bool   `json:"valid"`
	Bit   uint64 `json:"bit"`   // absolute bit offset of the frame's first bit in the input stream
	Frame uint64 `json:"frame"` // the frame number given to the FrameHandler
}

// Alarm is a set of span alarms.
type Alarm uint16

// Alarms.
const (
	AlarmLOS    Alarm = 1 << iota // loss of signal: all zeros
	AlarmLOF                      // loss of frame alignment lasting ≥ 2 ms
	AlarmAIS                      // alarm indication signal: unframed all ones (≤ 2 zeros in each of two periods of 512 bits, E1, or 2048 bits, T1)
	AlarmRAI                      // E1 remote alarm indication: A bit (NFAS bit 3) set
	AlarmYellow                   // T1 yellow (remote) alarm: SF bit 2 of every channel 0; ESF data link FF00
	AlarmCASRAI                   // E1 CAS multiframe remote alarm: Y bit of TS16 frame 0
)

var alarmNames = [...]string{"LOS", "LOF", "AIS", "RAI", "yellow", "CAS-RAI"}

// Names lists the alarms in the set, e.g. ["LOS", "AIS"]; never nil.
func (a Alarm) Names() []string {
	out := []string{}
	for i, n := range alarmNames {
		if a&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String joins the alarm names with commas, or "none".
func (a Alarm) String() string {
	if a == 0 {
		return "none"
	}
	return strings.Join(a.Names(), ",")
}

// MarshalJSON writes the set as a JSON array of names.
func (a Alarm) MarshalJSON() ([]byte, error) { return json.Marshal(a.Names()) }

// Stats is what a deframer has seen so far, as a test set would report it.
// Counters only grow.
type Stats struct {
	Bits   uint64 `json:"bits"`   // input bits written
	Frames uint64 `json:"frames"` // aligned frames delivered to the FrameHandler

	InFrame         bool `json:"in_frame"`          // frame aligned now
	InMultiframe    bool `json:"in_multiframe"`     // E1 CRC-4 multiframe aligned now (T1: = InFrame, the F pattern aligns the superframe)
	InCASMultiframe bool `json:"in_cas_multiframe"` // E1 TS16 CAS multiframe aligned now

	// FrameAlignedAt is the first frame delivered after frame alignment was
	// first reached; LastFrameAlignedAt the same for the latest alignment.
	FrameAlignedAt     Position `json:"frame_aligned_at"`
	LastFrameAlignedAt Position `json:"last_frame_aligned_at"`
	// MultiframeAlignedAt is the frame in which CRC-4 multiframe alignment
	// was first reached (E1 with CRC-4; for T1 the superframe is aligned
	// together with the frame).
	MultiframeAlignedAt Position `json:"multiframe_aligned_at"`

	AlignmentLosses uint64 `json:"alignment_losses"` // frame alignment lost (E1: 3 consecutive bad FAS; T1: 2 of 4 framing bits bad)
	CRCResearches   uint64 `json:"crc_researches"`   // E1: frame alignment re-searches forced by CRC-4 (no multiframe in 8 ms, ≥ 915 of 1000 blocks errored)
	CRC4Fallback    bool   `json:"crc4_fallback"`    // E1 now: no CRC-4 multiframe in 400 ms of frame alignment, running without CRC-4 (G.706 Annex B)
	FramingErrors   uint64 `json:"framing_errors"`   // E1: bad FAS words; T1: bad framing bits (SF: Ft/Fs, ESF: FPS) while aligned
	NFASErrors      uint64 `json:"nfas_errors"`      // E1: NFAS frames with bit 2 = 0 while aligned

	CRCBlocks  uint64 `json:"crc_blocks"`  // CRC-4 sub-multiframes / CRC-6 superframes checked
	CRCErrors  uint64 `json:"crc_errors"`  // of which errored
	EBitErrors uint64 `json:"ebit_errors"` // E1: far-end block errors reported by E-bits = 0

	Slips    uint64 `json:"slips"`     // realignments at a different bit position than the previous alignment
	SlipBits int64  `json:"slip_bits"` // sum of the signed shifts of those realignments, in bits

	Alarms      Alarm                   `json:"alarms"`       // alarms now
	AlarmsSeen  Alarm                   `json:"alarms_seen"`  // every alarm seen since the start
	AlarmEvents [len(alarmNames)]uint64 `json:"alarm_events"` // times each alarm was raised, indexed by bit number (LOS 0, LOF 1, ...)

	ZeroOctets uint64 `json:"zero_octets"` // T1: channel octets 0x00 received (zero code suppression would forbid them)

	// Signalling holds the latest abcd bits (low nibble) per channel:
	// E1 CAS channels 1..30, T1 channels 1..24 (SF: a b a b); index 0 is
	// unused. SignallingValid tells whether a full signalling multiframe
	// has been received since alignment.
	Signalling      [32]uint8 `json:"signalling"`
	SignallingValid bool      `json:"signalling_valid"`
}
