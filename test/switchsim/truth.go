package switchsim

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// TruthVersion is the version of the ground-truth format.
const TruthVersion = 1

// GroundTruth is everything a run sent: the file written with --truth. The
// end-to-end checker computes the expected IRI and content of the
// monitoring centre from it plus the warrants.
//
// Point codes are numbers (as in the MTP3 routing label). Times are the
// wall-clock instants the simulator handed each message to M3UA. Bearer
// windows are TDM frame numbers on the simulator's span clock: frame 0 is
// the first frame sent on every span (all spans share one clock); a
// receiver that started before the simulator's first packet sees the same
// numbers.
type GroundTruth struct {
	Version  int    `json:"version"`
	Seed     int64  `json:"seed"`
	Variant  string `json:"variant"`   // "itu" | "ansi"
	Form     string `json:"m3ua_form"` // "rfc4666" | "draft6"
	NI       uint8  `json:"ni"`
	PCA      uint32 `json:"pc_a"` // the simulator's own exchange (--opc)
	PCB      uint32 `json:"pc_b"` // the far-end exchange (--dpc)
	Law      string `json:"law"`  // "alaw" (E1) | "ulaw" (T1)
	IdleCode uint8  `json:"idle_code"`
	InBand   bool   `json:"inband_at_acm"` // backward bearer starts at ACM (in-band information)
	// Started is when the run (and the bearer) started. BearerEpoch is
	// the wall-clock time of frame 0 of every span: frame f is due at
	// BearerEpoch + f/FrameRate s (FrameRate = 8000 × Config.Speed); the
	// generator sends it then or, running late, shortly after.
	Started     time.Time   `json:"started"`
	BearerEpoch time.Time   `json:"bearer_epoch"`
	FrameRate   float64     `json:"frame_rate"`
	Finished    time.Time   `json:"finished"`
	Spans       []SpanTruth `json:"spans"`
	Calls       []CallTruth `json:"calls"`
	Totals      Totals      `json:"totals"`
}

// SpanTruth describes one span the simulator generated.
type SpanTruth struct {
	Name    string `json:"name"`
	Dest    string `json:"dest"`    // UDP destination
	Framing string `json:"framing"` // e1 | e1-crc4 | t1-sf | t1-esf
	Kind    string `json:"kind"`    // satop | cesopsn
	Frames  uint64 `json:"frames"`  // frames sent whole in packets (numbers 0 .. Frames-1)
	Packets uint64 `json:"packets"`
}

// NumberTruth is a number as dialled (as put in the ISUP parameter).
type NumberTruth struct {
	Digits string `json:"digits"` // address signals, without ST
	NAI    uint8  `json:"nai"`    // nature of address indicator
}

// RedirectionTruth is the redirection information sent with a forwarded
// call.
type RedirectionTruth struct {
	Indicator      uint8 `json:"indicator"`
	OriginalReason uint8 `json:"original_reason"`
	Counter        uint8 `json:"counter"`
	Reason         uint8 `json:"reason"`
}

// MessageTruth is one ISUP message sent.
type MessageTruth struct {
	Type   string    `json:"type"` // acronym, e.g. "IAM"
	From   string    `json:"from"` // "orig" | "term": which exchange of the call sent it
	OPC    uint32    `json:"opc"`
	DPC    uint32    `json:"dpc"`
	CIC    uint16    `json:"cic"`
	Time   time.Time `json:"time"`
	Cause  uint8     `json:"cause,omitempty"`  // REL
	Event  uint8     `json:"event,omitempty"`  // CPG event indicator
	InBand bool      `json:"inband,omitempty"` // ACM/CPG with in-band information
	Digits string    `json:"digits,omitempty"` // SAM: subsequent digits (without ST)
	Range  uint8     `json:"range,omitempty"`  // GRS/GRA range (covers CIC..CIC+range)
}

// BearerTruth is one direction of a call's bearer.
type BearerTruth struct {
	Dir      string `json:"dir"`     // "fwd" (sent by the originating exchange) | "bwd"
	FromPC   uint32 `json:"from_pc"` // point code of the exchange sending this direction
	Span     string `json:"span"`
	Timeslot int    `json:"timeslot"` // E1 0..31, T1 1..24 (as in the gateway config)
	Seed     uint64 `json:"seed"`     // PatternSeed(CIC, dir)
	// Carried says the pattern was sent; FirstFrame..LastFrame (inclusive)
	// carried it, the idle code was sent in the timeslot otherwise.
	Carried    bool   `json:"carried"`
	FirstFrame uint64 `json:"first_frame"`
	LastFrame  uint64 `json:"last_frame"`
}

// CallTruth is one call.
type CallTruth struct {
	ID       int    `json:"id"` // 1..N in start order
	Scenario string `json:"scenario"`
	CIC      uint16 `json:"cic"`
	OPC      uint32 `json:"opc"` // originating exchange (sent the IAM)
	DPC      uint32 `json:"dpc"` // terminating exchange
	SLS      uint8  `json:"sls"`
	// Target says a target number takes part; TargetRoles which roles
	// carry one ("calling", "called", "original_called", "redirecting").
	Target      bool     `json:"target"`
	TargetRoles []string `json:"target_roles,omitempty"`
	// Numbers as dialled. Called is the complete number (IAM digits plus
	// SAM digits); CalledInIAM the part in the IAM when overlap dialling.
	Calling        *NumberTruth      `json:"calling,omitempty"`
	Called         *NumberTruth      `json:"called"`
	CalledInIAM    string            `json:"called_in_iam,omitempty"`
	OriginalCalled *NumberTruth      `json:"original_called,omitempty"`
	Redirecting    *NumberTruth      `json:"redirecting,omitempty"`
	Redirection    *RedirectionTruth `json:"redirection_info,omitempty"`
	Messages       []MessageTruth    `json:"messages"`
	Answered       bool              `json:"answered"`
	Suspended      bool              `json:"suspended,omitempty"`
	// Reset is "RSC" or "GRS" when the call was ended by a reset;
	// ResetBy the side that sent it.
	Reset   string `json:"reset,omitempty"`
	ResetBy string `json:"reset_by,omitempty"`
	// ReleasedBy is the side that sent REL ("orig" | "term"), Cause its
	// cause value.
	ReleasedBy string         `json:"released_by,omitempty"`
	Cause      uint8          `json:"cause,omitempty"`
	Bearer     [2]BearerTruth `json:"bearer"` // [0] fwd, [1] bwd
	// Completed says the call ended with RLC (or GRA) sent.
	Completed bool   `json:"completed"`
	Error     string `json:"error,omitempty"`
}

// Totals are the run's counters.
type Totals struct {
	Calls        int            `json:"calls"`
	Completed    int            `json:"completed"`
	Failed       int            `json:"failed"`
	Answered     int            `json:"answered"`
	TargetCalls  int            `json:"target_calls"`
	Messages     int            `json:"messages"`
	ByScenario   map[string]int `json:"by_scenario"`
	ByMessage    map[string]int `json:"by_message"`
	BearerFrames uint64         `json:"bearer_frames"` // frames carrying a pattern, both directions of every call
	// BearerMaxLag is the most frames the bearer generator fell behind
	// the wall clock (then sent in a burst); BearerLateTicks how often it
	// was more than one packet behind. Large values mean a starved CPU.
	BearerMaxLag    uint64 `json:"bearer_max_lag_frames"`
	BearerLateTicks uint64 `json:"bearer_late_ticks"`
	// BearerLagP50 and BearerLagP99: how late the generator sent its
	// frames (wall clock at sending less the frames' due time, rounded up
	// to the millisecond), median and 99th percentile over the run. A
	// receiver's latency measured from the due time includes this.
	BearerLagP50 time.Duration `json:"bearer_lag_p50_ns"`
	BearerLagP99 time.Duration `json:"bearer_lag_p99_ns"`
}

// WriteFile writes t as indented JSON to path (atomically: a temporary file
// renamed into place).
func (t *GroundTruth) WriteFile(path string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("switchsim: encode truth: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("switchsim: write truth: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("switchsim: write truth: %w", err)
	}
	return nil
}

// ReadTruth reads a ground-truth file.
func ReadTruth(path string) (*GroundTruth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("switchsim: read truth: %w", err)
	}
	var t GroundTruth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("switchsim: decode truth %s: %w", path, err)
	}
	return &t, nil
}
