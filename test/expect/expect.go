// Package expect computes what a monitoring centre must receive from a
// gateway run and checks what it did receive.
//
// Build takes the simulator's ground truth (test/switchsim: every ISUP
// message sent, every call's numbers and bearer windows) and the warrant set
// the gateway ran with, and derives, per (call, warrant) that matches, the
// intercept the LEMF must see: the exact sequence of TS 101 671 IRI record
// types (BEGIN, CONTINUE…, END) with the ISUP message behind each, the
// parties at BEGIN, the intercepted call's direction, the release cause and
// side, and for IRI+CC warrants the expected content of each payload
// direction (pattern seed and TDM frame window; its length and SHA-256).
// Calls that match no warrant produce nothing, and their numbers are listed
// so that a checker can prove none of them leaked.
//
// The warrant match itself uses bridge/warrant (the gateway's number
// normalisation); the simulator's own idea of which calls involve a target
// is compared with it and any disagreement is reported in Warnings.
//
// Check compares an Observed set of PDUs (as collected by Collector, an
// in-process LEMF, or converted from another receiver) with an Expectation
// and returns a Report.
package expect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// Version of the expectation format.
const Version = 1

// Number is a party number as sent (digits without ST, nature of address).
type Number struct {
	Digits string `json:"digits"`
	NAI    uint8  `json:"nai"`
}

// Payload directions (TS 102 232-1 PayloadDirection).
const (
	FromTarget = 0
	ToTarget   = 1
)

// Content is the expected content of one payload direction.
type Content struct {
	PayloadDirection int    `json:"payload_direction"` // 0 fromTarget, 1 toTarget
	Bearer           string `json:"bearer"`            // "fwd" (originating exchange) | "bwd"
	Span             string `json:"span"`
	Timeslot         int    `json:"timeslot"`
	Seed             uint64 `json:"seed"` // switchsim.PatternOctet seed
	// FirstFrame..LastFrame (inclusive, simulator frame clock) carried the
	// pattern; the timeslot carried the idle code before and after.
	FirstFrame uint64 `json:"first_frame"`
	LastFrame  uint64 `json:"last_frame"`
	Octets     uint64 `json:"octets"`
	SHA256     string `json:"sha256"` // of the pattern octets FirstFrame..LastFrame
}

// Record is one expected eTSI671IRI record.
type Record struct {
	Type string `json:"type"` // BEGIN | CONTINUE | END
	// Msg is the ISUP message that causes it ("IAM", "SAM", "ACM", "CPG",
	// "ANM", "SUS", "RES", "REL", "RSC", "GRS").
	Msg  string    `json:"msg"`
	Time time.Time `json:"time"` // when the simulator sent Msg
}

// Intercept is one expected intercept: one call under one warrant.
type Intercept struct {
	LIID     string `json:"liid"`
	Call     int    `json:"call"` // switchsim call id
	Scenario string `json:"scenario"`
	CIC      uint16 `json:"cic"`
	OPC      uint32 `json:"opc"` // originating exchange
	DPC      uint32 `json:"dpc"`
	// Direction is intercepted-Call-Direct as the decoder names it:
	// "originating-Target" or "terminating-Target".
	Direction string   `json:"direction"`
	Roles     []string `json:"roles"` // roles through which the warrant matched
	IRI       []Record `json:"iri"`
	// Parties at BEGIN: Called holds the digits known then (overlap
	// dialling: the IAM part plus SAMs so far).
	Calling        *Number `json:"calling,omitempty"`
	Called         *Number `json:"called,omitempty"`
	CalledFull     string  `json:"called_full"`
	OriginalCalled *Number `json:"original_called,omitempty"`
	Redirecting    *Number `json:"redirecting,omitempty"`
	// Cause of the REL (0: the call ended by a reset, no cause); CauseParty
	// is the party that released ("originating-Party" | "terminating-Party").
	Cause      uint8  `json:"cause,omitempty"`
	CauseParty string `json:"cause_party,omitempty"`
	Answered   bool   `json:"answered"`
	CC         bool   `json:"cc"` // the warrant is IRI+CC
	// Content per payload direction; empty when no content is due.
	Content []Content `json:"content,omitempty"`
}

// Begin returns the time of the BEGIN record's message.
func (ic *Intercept) Begin() time.Time {
	if len(ic.IRI) == 0 {
		return time.Time{}
	}
	return ic.IRI[0].Time
}

// Types returns the IRI record types in order.
func (ic *Intercept) Types() []string {
	out := make([]string, len(ic.IRI))
	for i, r := range ic.IRI {
		out[i] = r.Type
	}
	return out
}

// Expectation is what the LEMF must receive from a run.
type Expectation struct {
	Version     int          `json:"version"`
	Variant     string       `json:"variant"`
	Law         string       `json:"law"`
	IdleCode    uint8        `json:"idle_code"`
	Calls       int          `json:"calls"`
	TargetCalls int          `json:"target_calls"` // calls with at least one intercept
	Intercepts  []*Intercept `json:"intercepts"`
	// LIIDs of every warrant; PDUs with another LIID are unexpected.
	LIIDs []string `json:"liids"`
	// TargetNumbers and OtherNumbers are every digit string the run sent
	// in a party number, split by whether the call it appeared in was
	// intercepted: logs must carry none of them.
	TargetNumbers []string `json:"target_numbers"`
	OtherNumbers  []string `json:"other_numbers"`
	// Warnings: the simulator and the warrant set disagree about a call.
	Warnings []string `json:"warnings,omitempty"`
	// BearerEpoch and FrameRate are the simulator's bearer clock (frame f
	// was due at BearerEpoch + f/FrameRate s; see switchsim.GroundTruth).
	BearerEpoch time.Time `json:"bearer_epoch,omitzero"`
	FrameRate   float64   `json:"frame_rate,omitempty"`
}

// Options tune Build.
type Options struct {
	// ContentOnACMInband starts content at an ACM with in-band information
	// (the gateway's content_start: acm-inband) as well as at ANM.
	ContentOnACMInband bool
}

// partyState is a call's numbers as the gateway knows them so far.
type partyState struct {
	calling, called, ocn, rdn *Number
}

func num(n *switchsim.NumberTruth) *Number {
	if n == nil {
		return nil
	}
	return &Number{Digits: n.Digits, NAI: n.NAI}
}

// session is the expectation under construction for one warrant.
type session struct {
	ic       *Intercept
	w        *warrant.Warrant
	ended    bool
	answered bool
	content  bool // content started
}

// Build computes the expectation of a run from its ground truth and the
// warrant set the gateway used.
func Build(gt *switchsim.GroundTruth, set *warrant.Set, opt Options) (*Expectation, error) {
	if gt.Version != switchsim.TruthVersion {
		return nil, fmt.Errorf("expect: ground truth version %d, want %d", gt.Version, switchsim.TruthVersion)
	}
	ansi := gt.Variant == "ansi"
	e := &Expectation{Version: Version, Variant: gt.Variant, Law: gt.Law, IdleCode: gt.IdleCode, Calls: len(gt.Calls),
		BearerEpoch: gt.BearerEpoch, FrameRate: gt.FrameRate}
	for _, w := range set.Warrants() {
		e.LIIDs = append(e.LIIDs, w.LIID)
	}
	targets, others := map[string]bool{}, map[string]bool{}
	for ci := range gt.Calls {
		c := &gt.Calls[ci]
		ics := buildCall(c, set, ansi, opt)
		if len(ics) > 0 {
			e.TargetCalls++
		}
		e.Intercepts = append(e.Intercepts, ics...)
		if (len(ics) > 0) != c.Target {
			e.Warnings = append(e.Warnings, fmt.Sprintf("call %d (%s): simulator target=%v, warrants matched %d", c.ID, c.Scenario, c.Target, len(ics)))
		}
		dst := others
		if len(ics) > 0 {
			dst = targets
		}
		for _, n := range []*switchsim.NumberTruth{c.Calling, c.Called, c.OriginalCalled, c.Redirecting} {
			if n != nil && n.Digits != "" {
				dst[n.Digits] = true
			}
		}
	}
	for d := range targets {
		e.TargetNumbers = append(e.TargetNumbers, d)
		delete(others, d)
	}
	for d := range others {
		e.OtherNumbers = append(e.OtherNumbers, d)
	}
	sort.Strings(e.TargetNumbers)
	sort.Strings(e.OtherNumbers)
	return e, nil
}

func buildCall(c *switchsim.CallTruth, set *warrant.Set, ansi bool, opt Options) []*Intercept {
	var ps partyState
	var sessions []*session
	var calledDigits string
	var matches []warrant.Match
	for mi := range c.Messages {
		m := &c.Messages[mi]
		rec := func(s *session, typ string) {
			s.ic.IRI = append(s.ic.IRI, Record{Type: typ, Msg: m.Type, Time: m.Time})
		}
		matchNow := false
		switch m.Type {
		case "IAM":
			ps.calling = num(c.Calling)
			called := num(c.Called)
			if called != nil && c.CalledInIAM != "" {
				called.Digits = c.CalledInIAM
			}
			ps.called = called
			if called != nil {
				calledDigits = called.Digits
			}
			ps.ocn, ps.rdn = num(c.OriginalCalled), num(c.Redirecting)
			matchNow = true
		case "SAM":
			calledDigits += m.Digits
			if ps.called != nil {
				n := *ps.called
				n.Digits = calledDigits
				ps.called = &n
			}
			matchNow = true
		}
		var fresh []*session
		if matchNow {
			matches = set.Match(m.Time, parties(&ps, ansi), matches[:0])
			for _, mt := range matches {
				if hasLIID(sessions, mt.Warrant.LIID) {
					continue
				}
				s := &session{w: mt.Warrant, ic: newIntercept(c, mt, &ps)}
				rec(s, "BEGIN")
				sessions = append(sessions, s)
				fresh = append(fresh, s)
			}
		}
		for _, s := range sessions {
			if s.ended || contains(fresh, s) {
				continue
			}
			if !s.w.Active(m.Time) {
				// The warrant expired during the call: the gateway ends
				// the intercept (END at the warrant's end).
				s.ic.IRI = append(s.ic.IRI, Record{Type: "END", Msg: "warrant-end", Time: s.w.End})
				s.ended = true
				continue
			}
			switch m.Type {
			case "SAM", "ACM", "CPG", "SUS", "RES":
				rec(s, "CONTINUE")
				if m.Type == "ACM" && m.InBand && opt.ContentOnACMInband {
					s.content = true
				}
			case "ANM":
				rec(s, "CONTINUE")
				s.answered, s.content = true, true
			case "REL":
				rec(s, "END")
				s.ended = true
				s.ic.Cause = m.Cause
				if m.From == "orig" {
					s.ic.CauseParty = "originating-Party"
				} else {
					s.ic.CauseParty = "terminating-Party"
				}
			case "RSC", "GRS":
				rec(s, "END")
				s.ended = true
			}
		}
	}
	out := make([]*Intercept, 0, len(sessions))
	for _, s := range sessions {
		s.ic.Answered = s.answered
		if s.ic.CC && s.content {
			s.ic.Content = contents(c, s.ic.Direction)
		}
		out = append(out, s.ic)
	}
	return out
}

func contains(ss []*session, s *session) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func hasLIID(ss []*session, liid string) bool {
	for _, s := range ss {
		if s.w.LIID == liid {
			return true
		}
	}
	return false
}

func parties(ps *partyState, ansi bool) []warrant.Party {
	var out []warrant.Party
	add := func(r warrant.Role, n *Number) {
		if n == nil || n.Digits == "" {
			return
		}
		nai := n.NAI
		if ansi {
			nai = warrant.ANSINAI(nai)
		}
		out = append(out, warrant.Party{Role: r, NAI: nai, Digits: []byte(n.Digits)})
	}
	add(warrant.RoleCalling, ps.calling)
	add(warrant.RoleCalled, ps.called)
	add(warrant.RoleOriginalCalled, ps.ocn)
	add(warrant.RoleRedirecting, ps.rdn)
	return out
}

func newIntercept(c *switchsim.CallTruth, mt warrant.Match, ps *partyState) *Intercept {
	ic := &Intercept{
		LIID: mt.Warrant.LIID, Call: c.ID, Scenario: c.Scenario, CIC: c.CIC, OPC: c.OPC, DPC: c.DPC,
		Direction: "terminating-Target", CC: mt.Warrant.CC(),
		Calling: ps.calling, Called: ps.called, OriginalCalled: ps.ocn, Redirecting: ps.rdn,
	}
	if c.Called != nil {
		ic.CalledFull = c.Called.Digits
	}
	if mt.Roles&(warrant.RoleCalling|warrant.RoleGeneric|warrant.RoleCharge) != 0 {
		ic.Direction = "originating-Target"
	}
	for _, r := range []warrant.Role{warrant.RoleCalling, warrant.RoleCalled, warrant.RoleOriginalCalled, warrant.RoleRedirecting} {
		if mt.Roles&r != 0 {
			ic.Roles = append(ic.Roles, r.String())
		}
	}
	return ic
}

// contents maps the call's bearer directions onto payload directions:
// fromTarget is what the target's exchange sends (forward when the target
// originates, backward otherwise).
func contents(c *switchsim.CallTruth, direction string) []Content {
	from, to := 0, 1 // indexes into c.Bearer: 0 fwd, 1 bwd
	if direction != "originating-Target" {
		from, to = 1, 0
	}
	var out []Content
	for pd, bi := range []int{from, to} {
		b := &c.Bearer[bi]
		if b.Span == "" || !b.Carried {
			continue
		}
		out = append(out, Content{
			PayloadDirection: pd, Bearer: b.Dir, Span: b.Span, Timeslot: b.Timeslot, Seed: b.Seed,
			FirstFrame: b.FirstFrame, LastFrame: b.LastFrame, Octets: b.LastFrame - b.FirstFrame + 1,
			SHA256: PatternSHA256(b.Seed, b.FirstFrame, b.LastFrame),
		})
	}
	return out
}

// PatternSHA256 is the SHA-256 (hex) of the pattern octets of frames
// first..last inclusive.
func PatternSHA256(seed, first, last uint64) string {
	h := sha256.New()
	buf := make([]byte, 4096)
	for f := first; f <= last; {
		n := min(uint64(len(buf)), last-f+1)
		switchsim.FillPattern(buf[:n], seed, f)
		h.Write(buf[:n])
		f += n
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FromFiles builds the expectation from a ground-truth file and the
// gateway's config file (its warrants and number plan; content start).
func FromFiles(truthPath, configPath string) (*Expectation, error) {
	gt, err := switchsim.ReadTruth(truthPath)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, fmt.Errorf("expect: %w", err)
	}
	set, err := cfg.WarrantSet()
	if err != nil {
		return nil, fmt.Errorf("expect: %w", err)
	}
	return Build(gt, set, Options{ContentOnACMInband: cfg.ContentStart == config.StartOnACMInband})
}

// WriteFile writes e as indented JSON.
func (e *Expectation) WriteFile(path string) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("expect: encode: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("expect: %w", err)
	}
	return nil
}

// ReadFile reads an expectation written by WriteFile.
func ReadFile(path string) (*Expectation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("expect: %w", err)
	}
	var e Expectation
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("expect: decode %s: %w", path, err)
	}
	return &e, nil
}

// Summary is a one-paragraph human description of the expectation.
func (e *Expectation) Summary() string {
	var b strings.Builder
	types := map[string]int{}
	var cc [2]uint64
	for _, ic := range e.Intercepts {
		for _, r := range ic.IRI {
			types[r.Type]++
		}
		for _, c := range ic.Content {
			cc[c.PayloadDirection] += c.Octets
		}
	}
	fmt.Fprintf(&b, "%d calls, %d intercepted (%d intercepts); IRI BEGIN %d, CONTINUE %d, END %d; content %.1f s fromTarget, %.1f s toTarget",
		e.Calls, e.TargetCalls, len(e.Intercepts), types["BEGIN"], types["CONTINUE"], types["END"], float64(cc[0])/8000, float64(cc[1])/8000)
	return b.String()
}
