package switchsim

// Bearer test pattern.
//
// While a call's direction is connected, its timeslot carries a
// pseudo-random octet sequence that depends only on a 64-bit seed and the TDM
// frame number: the octet sent in frame f is the top byte of the f-th output
// of a SplitMix64 generator started at the seed. Any chunk of the bearer can
// therefore be checked on its own from its first frame number (the frame
// count of the span, 0 = the first frame the simulator sent on it).

// Direction of a call's bearer.
type Direction uint8

// Directions, named from the call: forward is what the originating exchange
// sends (the calling party's speech), backward what the terminating exchange
// sends (the called party's speech, ringback).
const (
	Forward  Direction = 0
	Backward Direction = 1
)

// String returns "fwd" or "bwd".
func (d Direction) String() string {
	if d == Backward {
		return "bwd"
	}
	return "fwd"
}

const golden = 0x9E3779B97F4A7C15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// PatternSeed is the seed of the pattern of circuit cic in direction d.
func PatternSeed(cic uint16, d Direction) uint64 {
	return mix64(uint64(cic)<<1 | uint64(d&1) + 0x5453_4D54_4150) // "TSMTAP"
}

// PatternOctet returns the octet of the pattern with seed in TDM frame
// frame.
func PatternOctet(seed, frame uint64) byte {
	return byte(mix64(seed+(frame+1)*golden) >> 56)
}

// FillPattern writes the pattern octets of frames first, first+1, ... into
// dst (one octet per frame, as one timeslot of a 64 kbit/s channel carries).
func FillPattern(dst []byte, seed, first uint64) {
	for i := range dst {
		dst[i] = PatternOctet(seed, first+uint64(i))
	}
}

// CheckPattern returns the index of the first octet of chunk (frames
// first, first+1, ...) that differs from the pattern, or -1 when all match.
func CheckPattern(chunk []byte, seed, first uint64) int {
	for i, b := range chunk {
		if b != PatternOctet(seed, first+uint64(i)) {
			return i
		}
	}
	return -1
}

// FindPattern looks for the frame number at which chunk matches the pattern
// with seed, trying first numbers from lo to hi inclusive; for a receiver
// whose frame count is offset from the simulator's (it started late). It
// needs a chunk of a few octets or more to be unambiguous.
func FindPattern(chunk []byte, seed, lo, hi uint64) (uint64, bool) {
	if len(chunk) == 0 {
		return 0, false
	}
	for f := lo; f <= hi; f++ {
		if CheckPattern(chunk, seed, f) < 0 {
			return f, true
		}
		if f == ^uint64(0) {
			break
		}
	}
	return 0, false
}
