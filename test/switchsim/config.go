package switchsim

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// Scenario is a kind of call.
type Scenario string

// Scenarios.
const (
	Answered      Scenario = "answered"        // IAM, ACM, [CPG alerting], ANM, hold, REL (either side), RLC
	Unanswered    Scenario = "unanswered"      // IAM, ACM, REL cause 19 from the terminating side (or 16 from the caller giving up), RLC
	Busy          Scenario = "busy"            // IAM, REL cause 17, RLC
	TargetOrig    Scenario = "target-orig"     // answered; the calling party is a target
	TargetTerm    Scenario = "target-term"     // answered; the called party is a target
	ForwardedFrom Scenario = "fwd-from-target" // answered; forwarded by a target: original called and redirecting number = target
	ForwardedTo   Scenario = "fwd-to-target"   // answered; forwarded to a target: called = target, original called not
	ResetMidCall  Scenario = "reset"           // answered, then RSC (→ RLC) or GRS (→ GRA) during the conversation
	Overlap       Scenario = "overlap"         // IAM with part of the called number, SAM(s) with the rest, then as answered
	SuspendResume Scenario = "suspend"         // answered, SUS and RES from the terminating side during the conversation
)

// Scenarios lists every scenario.
var Scenarios = []Scenario{Answered, Unanswered, Busy, TargetOrig, TargetTerm, ForwardedFrom, ForwardedTo, ResetMidCall, Overlap, SuspendResume}

// ParseMix parses "answered=40,busy=10,..." (weights, usually percentages;
// "all" stands for every scenario, with equal weights).
func ParseMix(s string) (map[Scenario]float64, error) {
	m := map[Scenario]float64{}
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "all" {
		for _, sc := range Scenarios {
			m[sc] = 1
		}
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			val = "1"
		}
		sc := Scenario(strings.TrimSpace(name))
		if !known(sc) {
			return nil, fmt.Errorf("switchsim: mix: unknown scenario %q", sc)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || w < 0 {
			return nil, fmt.Errorf("switchsim: mix: bad weight %q for %s", val, sc)
		}
		m[sc] += w
	}
	return m, nil
}

func known(sc Scenario) bool {
	for _, s := range Scenarios {
		if s == sc {
			return true
		}
	}
	return false
}

// Leg is where one direction of a circuit range goes: a span and one
// timeslot per CIC of the range (E1 1..31, T1 1..24, as in the gateway
// config).
type Leg struct {
	Span      string
	Timeslots []int
}

// Circuit is a range of CICs between the two exchanges with their bearer.
// AtoB is what the exchange with point code Config.OPC sends.
type Circuit struct {
	CICFirst, CICLast uint16
	AtoB, BtoA        Leg
}

// SpanKind is how a span is sent.
type SpanKind string

// Span kinds.
const (
	SAToP   SpanKind = "satop"
	CESoPSN SpanKind = "cesopsn"
)

// Span is one generated E1/T1, sent over UDP.
type Span struct {
	Name      string
	Dest      string // UDP host:port
	Framing   config.Framing
	Kind      SpanKind
	Payload   int   // SAToP: octets per packet (0: 256 E1, 192 T1); CESoPSN: octets per packet (0: 8 frames)
	RTP       bool  // RTP header before the control word
	Timeslots []int // CESoPSN: timeslots carried (0: E1 1..31, T1 1..24)
}

// Config configures a simulator run.
type Config struct {
	// M3UA: Role m3ua.RoleASP dials each of Connect (one association per
	// entry, several addresses = SCTP multi-homing); m3ua.RoleSGP listens
	// on each of Listen. Several associations form one linkset (messages
	// spread by SLS).
	Role      m3ua.Role
	Transport sigtran.Transport
	Connect   [][]string
	Listen    [][]string
	RC        uint32 // routing context (0: none)
	// OPC is the simulator's own exchange (A), DPC the far end (B); it plays
	// both and sends with OPC/DPC swapped as the direction needs.
	OPC, DPC uint32
	NI       uint8
	Variant  isup.Variant
	Draft6   bool // legacy draft-6 DATA (raw MSU)

	// Calls to make (0: until Duration), started at Rate calls/s with at
	// most Concurrency at once.
	Calls       int
	Rate        float64
	Concurrency int
	Duration    time.Duration // stop starting calls after this (0: no limit)
	Hold        time.Duration // conversation time (0: 1 s), varied ±50 %
	Ring        time.Duration // ACM → ANM (0: 100 ms)
	Gap         time.Duration // between other messages of a call (0: 10 ms)
	Mix         map[Scenario]float64
	// RoundRobin gives call i the i-th scenario of positive weight in turn
	// (in the order of Scenarios) instead of drawing it from the mix.
	RoundRobin bool
	// Targets are warrant target numbers (digits, "+" for international
	// format); target scenarios use them, and other scenarios with
	// probability TargetShare.
	Targets     []string
	TargetShare float64
	// CountryCode: targets "+CC…" in this country are sent in national
	// format half of the time (exercising the gateway's normalisation).
	CountryCode string
	// InBand: ACM carries "in-band information available" and the backward
	// bearer starts at ACM.
	InBand bool
	// OrigSides: "a", "b" or "both" (default): which exchange originates.
	OrigSides string
	Seed      int64

	Circuits []Circuit
	Spans    []Span
	// Speed scales the bearer clock (1: 8000 frames/s; 2: twice as fast).
	Speed float64
	// Lead is bearer time before the first call (0: 200 ms: alignment);
	// Tail after the last (0: 200 ms: play-out).
	Lead, Tail time.Duration
	// LinkTimeout bounds waiting for the M3UA links to become active
	// (0: 30 s).
	LinkTimeout time.Duration
	Logger      *slog.Logger
}

func (c *Config) defaults() error {
	if c.Role == "" {
		c.Role = m3ua.RoleASP
	}
	if c.Transport == "" {
		c.Transport = sigtran.TCP
	}
	if c.Rate <= 0 {
		c.Rate = 10
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 30
	}
	if c.Hold <= 0 {
		c.Hold = time.Second
	}
	if c.Ring <= 0 {
		c.Ring = 100 * time.Millisecond
	}
	if c.Gap <= 0 {
		c.Gap = 10 * time.Millisecond
	}
	if c.Speed <= 0 {
		c.Speed = 1
	}
	if c.Lead <= 0 {
		c.Lead = 200 * time.Millisecond
	}
	if c.Tail <= 0 {
		c.Tail = 200 * time.Millisecond
	}
	if c.LinkTimeout <= 0 {
		c.LinkTimeout = 30 * time.Second
	}
	if c.Mix == nil {
		c.Mix, _ = ParseMix("all")
	}
	if c.OrigSides == "" {
		c.OrigSides = "both"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch c.OrigSides {
	case "a", "b", "both":
	default:
		return fmt.Errorf("switchsim: originating side %q (want a, b or both)", c.OrigSides)
	}
	if c.Calls <= 0 && c.Duration <= 0 {
		return errors.New("switchsim: neither a number of calls nor a duration")
	}
	if c.OPC == c.DPC {
		return errors.New("switchsim: OPC and DPC are the same")
	}
	if c.Role == m3ua.RoleASP && len(c.Connect) == 0 {
		return errors.New("switchsim: ASP role needs an address to connect to")
	}
	if c.Role == m3ua.RoleSGP && len(c.Listen) == 0 {
		return errors.New("switchsim: SGP role needs an address to listen on")
	}
	if len(c.Circuits) == 0 {
		return errors.New("switchsim: no circuits")
	}
	total := 0.0
	for sc, w := range c.Mix {
		if !known(sc) {
			return fmt.Errorf("switchsim: unknown scenario %q", sc)
		}
		total += w
	}
	if total <= 0 {
		return errors.New("switchsim: empty scenario mix")
	}
	if len(c.Targets) == 0 {
		for sc, w := range c.Mix {
			if w > 0 && (sc == TargetOrig || sc == TargetTerm || sc == ForwardedFrom || sc == ForwardedTo) {
				return fmt.Errorf("switchsim: scenario %s needs target numbers", sc)
			}
		}
	}
	for _, t := range c.Targets {
		d := strings.TrimPrefix(t, "+")
		if d == "" || strings.Trim(d, "0123456789") != "" {
			return fmt.Errorf("switchsim: bad target number %q", t)
		}
	}
	spans := map[string]*Span{}
	for i := range c.Spans {
		s := &c.Spans[i]
		if _, err := net.ResolveUDPAddr("udp", s.Dest); err != nil {
			return fmt.Errorf("switchsim: span %s: destination: %w", s.Name, err)
		}
		if s.Kind == "" {
			s.Kind = SAToP
		}
		if s.Framing == "" {
			s.Framing = config.E1CRC4
		}
		spans[s.Name] = s
	}
	maxCIC := uint16(isup.ITU.CICMask())
	if c.Variant == isup.ANSI {
		maxCIC = isup.ANSI.CICMask()
	}
	for _, cr := range c.Circuits {
		if cr.CICLast < cr.CICFirst || cr.CICLast > maxCIC {
			return fmt.Errorf("switchsim: bad CIC range %d-%d", cr.CICFirst, cr.CICLast)
		}
		n := int(cr.CICLast-cr.CICFirst) + 1
		for _, leg := range []Leg{cr.AtoB, cr.BtoA} {
			if leg.Span == "" {
				continue // no bearer for this direction
			}
			s, ok := spans[leg.Span]
			if !ok {
				return fmt.Errorf("switchsim: circuit %d-%d: unknown span %q", cr.CICFirst, cr.CICLast, leg.Span)
			}
			if len(leg.Timeslots) != n {
				return fmt.Errorf("switchsim: circuit %d-%d: %d timeslots for %d CICs", cr.CICFirst, cr.CICLast, len(leg.Timeslots), n)
			}
			for _, ts := range leg.Timeslots {
				if ts < 1 || ts > s.Framing.MaxTimeslot() {
					return fmt.Errorf("switchsim: circuit %d-%d: timeslot %d outside %s", cr.CICFirst, cr.CICLast, ts, s.Framing)
				}
			}
		}
	}
	return nil
}

// ParseRange parses "N" or "N-M".
func ParseRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	lo, err = strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("switchsim: range %q: %w", s, err)
	}
	hi = lo
	if ok {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("switchsim: range %q: %w", s, err)
		}
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("switchsim: range %q: end before start", s)
	}
	return lo, hi, nil
}

// DefaultBearer builds the bearer of CICs first..last without a gateway
// config: two spans, "ab" (what exchange A = OPC sends) to destAB and "ba"
// to destBA, CIC first+i on the (i+1)-th bearer timeslot (E1: 1..15,
// 17..31; T1: 1..24), wrapping onto further span pairs "ab2"/"ba2"... is
// not done: the range must fit one span.
func DefaultBearer(first, last uint16, framing config.Framing, destAB, destBA string) ([]Circuit, []Span, error) {
	var slots []int
	for ts := 1; ts <= framing.MaxTimeslot(); ts++ {
		if !framing.T1() && ts == 16 {
			continue
		}
		slots = append(slots, ts)
	}
	n := int(last-first) + 1
	if n > len(slots) {
		return nil, nil, fmt.Errorf("switchsim: %d CICs do not fit one %s span (%d timeslots)", n, framing, len(slots))
	}
	cr := Circuit{CICFirst: first, CICLast: last}
	var spans []Span
	if destAB != "" {
		cr.AtoB = Leg{Span: "ab", Timeslots: slots[:n]}
		spans = append(spans, Span{Name: "ab", Dest: destAB, Framing: framing, Kind: SAToP})
	}
	if destBA != "" {
		cr.BtoA = Leg{Span: "ba", Timeslots: slots[:n]}
		spans = append(spans, Span{Name: "ba", Dest: destBA, Framing: framing, Kind: SAToP})
	}
	return []Circuit{cr}, spans, nil
}

// FromGatewayConfig takes the circuits between opc and dpc and the spans
// they use from the gateway's configuration, so one file drives both. The
// spans' listen addresses become the UDP destinations (a file or DAHDI span
// is skipped: that direction carries no bearer).
func FromGatewayConfig(gc *config.Config, opc, dpc uint32) ([]Circuit, []Span, error) {
	var out []Circuit
	used := map[string]bool{}
	for _, c := range gc.Circuits {
		var cr Circuit
		switch {
		case c.A == opc && c.B == dpc:
			cr = Circuit{CICFirst: c.CICFirst, CICLast: c.CICLast, AtoB: Leg{Span: c.AtoB.Span, Timeslots: c.AtoB.Timeslots}, BtoA: Leg{Span: c.BtoA.Span, Timeslots: c.BtoA.Timeslots}}
		case c.A == dpc && c.B == opc:
			cr = Circuit{CICFirst: c.CICFirst, CICLast: c.CICLast, AtoB: Leg{Span: c.BtoA.Span, Timeslots: c.BtoA.Timeslots}, BtoA: Leg{Span: c.AtoB.Span, Timeslots: c.AtoB.Timeslots}}
		default:
			continue
		}
		out = append(out, cr)
		used[cr.AtoB.Span], used[cr.BtoA.Span] = true, true
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("switchsim: the config maps no circuits between point codes %d and %d", opc, dpc)
	}
	var spans []Span
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	ok := map[string]bool{}
	for _, n := range names {
		s, found := gc.Span(n)
		if !found {
			continue
		}
		sp := Span{Name: s.Name, Dest: s.Listen, Framing: s.Framing, Payload: s.PayloadSize, RTP: s.RTPHeader, Timeslots: s.Timeslots}
		switch s.Source {
		case config.SAToP:
			sp.Kind = SAToP
		case config.CESoPSN:
			sp.Kind = CESoPSN
		default:
			continue
		}
		spans = append(spans, sp)
		ok[n] = true
	}
	for i := range out {
		if !ok[out[i].AtoB.Span] {
			out[i].AtoB = Leg{}
		}
		if !ok[out[i].BtoA.Span] {
			out[i].BtoA = Leg{}
		}
	}
	return out, spans, nil
}
