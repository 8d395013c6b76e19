package expect

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// CheckOptions tune Check.
type CheckOptions struct {
	// HeadTolerance and TailTolerance are how many pattern frames of a
	// direction may be missing at its start and end: the gateway starts
	// content when it has processed ANM (the simulator starts the pattern
	// right after sending it, and the bearer lags the signalling) and
	// keeps it after REL (sent right after the pattern stopped) until the
	// bearer has passed the release, so nothing should be missing; the
	// release point is an estimate, hence a chunk's tolerance at the end in
	// the end-to-end tests. Defaults 0 and 480 (60 ms). Negative: no limit.
	HeadTolerance, TailTolerance int64
	// AllowCCLoss accepts gaps in CC sequence numbers and missing content
	// (a LEMF outage may lose content written to a dying connection); the
	// content received must still be bit-exact.
	AllowCCLoss bool
	// BearerEpoch is the wall-clock time of the simulator's frame 0
	// (GroundTruth.Started); when set, content latency is measured.
	BearerEpoch time.Time
	// Speed is the simulator's bearer clock speed (0: 1).
	Speed float64
	// NoCCSeq: the observations carry no real CC sequence numbers (see
	// FromLEMFDir): skip the CC sequence and media first-PDU checks.
	NoCCSeq bool
	// MaxLossFill is the share of a direction's pattern octets that may
	// arrive as all-ones loss fill (SAToP packets the gateway's jitter
	// buffer saw lost or too late, e.g. on an overloaded machine); 0: 0.2.
	// Negative: none allowed. Any other wrong octet is an error.
	MaxLossFill float64
}

// Report is the outcome of Check.
type Report struct {
	Errors     []string
	Calls      int // calls in the run
	Expected   int // intercepts expected
	Received   int // intercepts (LIID, CIN) received
	Matched    int
	IRIByType  map[string]int // eTSI671IRI records received (duplicates removed)
	Media      int            // pstnIsdnIRI media records
	Duplicates int            // IRI PDUs received more than once (spool replay)
	CCPDUs     int
	CCLost     int // CC PDUs missing (sequence gaps)
	// PatternOctets are the checked pattern octets per payload direction,
	// ContentOctets all content octets (including idle around the call).
	PatternOctets [2]uint64
	ContentOctets [2]uint64
	// LossFilled are pattern octets that arrived as all-ones loss fill.
	LossFilled  [2]uint64
	HeadMissing uint64 // largest number of pattern frames missing at a start
	TailMissing uint64 // ... at an end
	// Latencies: IRI PDU header time (the gateway's receipt of the ISUP
	// message) → received; simulator send → received; content: the
	// simulator's send time of a chunk's last octet → its CC PDU received.
	IRILatency, IRIEndToEnd, CCLatency []time.Duration
}

// OK reports whether the check passed.
func (r *Report) OK() bool { return len(r.Errors) == 0 }

func (r *Report) errorf(format string, args ...any) {
	if len(r.Errors) < 200 {
		r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
	} else if len(r.Errors) == 200 {
		r.Errors = append(r.Errors, "... more errors")
	}
}

type key struct {
	liid string
	cin  uint32
}

type obsIntercept struct {
	key
	iri   []IRIRecord // by seq, deduplicated
	cc    []CCRecord  // by seq, deduplicated
	begin *IRIRecord
	used  bool
}

// Check compares what a LEMF received with the expectation.
func Check(e *Expectation, o *Observed, opt CheckOptions) *Report {
	if opt.TailTolerance == 0 {
		opt.TailTolerance = 480
	}
	if opt.Speed <= 0 {
		opt.Speed = 1
	}
	if opt.MaxLossFill == 0 {
		opt.MaxLossFill = 0.2
	} else if opt.MaxLossFill < 0 {
		opt.MaxLossFill = 0
	}
	r := &Report{Calls: e.Calls, Expected: len(e.Intercepts), IRIByType: map[string]int{}}
	for _, s := range o.Errors {
		r.errorf("undecodable PDU: %s", s)
	}
	liids := map[string]bool{}
	for _, l := range e.LIIDs {
		liids[l] = true
	}
	groups := map[key]*obsIntercept{}
	get := func(k key) *obsIntercept {
		g := groups[k]
		if g == nil {
			g = &obsIntercept{key: k}
			groups[k] = g
		}
		return g
	}
	type iriKey struct {
		key
		seq  uint32
		kind string
		typ  hi2.IRIType
	}
	seenIRI := map[iriKey]bool{}
	for i := range o.IRI {
		x := &o.IRI[i]
		k := iriKey{key{x.LIID, x.CIN}, x.Seq, x.Rec.Contents, x.Rec.Type}
		if seenIRI[k] {
			r.Duplicates++
			continue
		}
		seenIRI[k] = true
		g := get(k.key)
		g.iri = append(g.iri, *x)
	}
	type ccKey struct {
		key
		seq uint32
	}
	seenCC := map[ccKey]bool{}
	for i := range o.CC {
		x := &o.CC[i]
		k := ccKey{key{x.LIID, x.CIN}, x.Seq}
		if seenCC[k] {
			continue
		}
		seenCC[k] = true
		g := get(k.key)
		g.cc = append(g.cc, *x)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].liid != keys[j].liid {
			return keys[i].liid < keys[j].liid
		}
		return keys[i].cin < keys[j].cin
	})
	r.Received = len(keys)
	for _, k := range keys {
		g := groups[k]
		if !liids[k.liid] {
			r.errorf("PDUs for unknown LIID %q (CIN %d)", k.liid, k.cin)
		}
		sort.SliceStable(g.iri, func(i, j int) bool { return g.iri[i].Seq < g.iri[j].Seq })
		sort.SliceStable(g.cc, func(i, j int) bool { return g.cc[i].Seq < g.cc[j].Seq })
		checkSeq(r, "IRI", k, iriSeqs(g.iri), false)
		if !opt.NoCCSeq {
			r.CCLost += checkSeq(r, "CC", k, ccSeqs(g.cc), opt.AllowCCLoss)
		}
		r.CCPDUs += len(g.cc)
		for i := range g.iri {
			rec := &g.iri[i].Rec
			switch rec.Contents {
			case "eTSI671IRI":
				r.IRIByType[rec.Type.String()]++
				if g.begin == nil && rec.Type == hi2.Begin {
					g.begin = &g.iri[i]
				}
			case "pstnIsdnIRI":
				r.Media++
			}
		}
	}
	// Match expected intercepts to received ones: same LIID and parties at
	// BEGIN, nearest in time.
	byParties := map[string][]*obsIntercept{}
	for _, k := range keys {
		g := groups[k]
		if g.begin == nil || g.begin.Rec.Params == nil {
			continue
		}
		calling, called := beginParties(g.begin.Rec.Params)
		pk := k.liid + "|" + calling + "|" + called
		byParties[pk] = append(byParties[pk], g)
	}
	for _, ic := range e.Intercepts {
		pk := ic.LIID + "|" + digits(ic.Calling) + "|" + digits(ic.Called)
		var best *obsIntercept
		var bestD time.Duration
		for _, g := range byParties[pk] {
			if g.used {
				continue
			}
			d := absDur(g.begin.Time.Sub(ic.Begin()))
			if best == nil || d < bestD {
				best, bestD = g, d
			}
		}
		if best == nil {
			r.errorf("call %d (%s, CIC %d) LIID %s: intercept missing (expected IRI %s)", ic.Call, ic.Scenario, ic.CIC, ic.LIID, strings.Join(ic.Types(), ","))
			continue
		}
		best.used = true
		r.Matched++
		checkIntercept(r, ic, best, e, &opt)
	}
	for _, k := range keys {
		g := groups[k]
		if !g.used {
			r.errorf("unexpected intercept LIID %s CIN %d: %d IRI, %d CC PDUs%s", k.liid, k.cin, len(g.iri), len(g.cc), describe(g))
		}
	}
	return r
}

func describe(g *obsIntercept) string {
	if g.begin == nil || g.begin.Rec.Params == nil {
		return " (no BEGIN)"
	}
	return fmt.Sprintf(" (BEGIN at %s, direction %s)", g.begin.Time.Format("15:04:05.000"), g.begin.Rec.Params.Direction)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func digits(n *Number) string {
	if n == nil {
		return ""
	}
	return n.Digits
}

// beginParties returns the calling and called digits of a BEGIN record
// (without an ST end-of-pulsing signal).
func beginParties(p *hi2.Params) (calling, called string) {
	for _, pi := range p.Parties {
		if pi.Role == "originating-Party" && pi.Calling != nil && calling == "" {
			calling = pi.Calling.Digits
		}
		if pi.Role == "terminating-Party" && pi.Called != nil && called == "" {
			called = pi.Called.Digits
		}
	}
	return strings.TrimRight(calling, "F"), strings.TrimRight(called, "F")
}

func iriSeqs(x []IRIRecord) []uint32 {
	out := make([]uint32, 0, len(x))
	for i := range x {
		if i > 0 && x[i].Seq == x[i-1].Seq {
			continue // several records in one PDU, or a replayed PDU
		}
		out = append(out, x[i].Seq)
	}
	return out
}

func ccSeqs(x []CCRecord) []uint32 {
	out := make([]uint32, 0, len(x))
	for i := range x {
		out = append(out, x[i].Seq)
	}
	return out
}

// checkSeq checks that sequence numbers run 0, 1, 2, ... without a gap and
// returns the number missing.
func checkSeq(r *Report, what string, k key, seqs []uint32, allowGaps bool) int {
	missing := 0
	next := uint32(0)
	for _, s := range seqs {
		if s > next {
			missing += int(s - next)
			if !allowGaps {
				r.errorf("LIID %s CIN %d: %s sequence gap: %d..%d missing", k.liid, k.cin, what, next, s-1)
			}
		}
		next = s + 1
	}
	return missing
}

func checkIntercept(r *Report, ic *Intercept, g *obsIntercept, e *Expectation, opt *CheckOptions) {
	where := fmt.Sprintf("call %d (%s, CIC %d) LIID %s CIN %d", ic.Call, ic.Scenario, ic.CIC, ic.LIID, g.cin)
	var recs []*IRIRecord
	var media []*IRIRecord
	for i := range g.iri {
		switch g.iri[i].Rec.Contents {
		case "eTSI671IRI":
			recs = append(recs, &g.iri[i])
		case "pstnIsdnIRI":
			media = append(media, &g.iri[i])
		default:
			r.errorf("%s: IRI record with contents %s", where, g.iri[i].Rec.Contents)
		}
	}
	got := make([]string, len(recs))
	for i, x := range recs {
		got[i] = x.Rec.Type.String()
	}
	if want := ic.Types(); strings.Join(got, ",") != strings.Join(want, ",") {
		r.errorf("%s: IRI types %s, want %s (messages %s)", where, strings.Join(got, ","), strings.Join(want, ","), msgs(ic))
	}
	cinDigits := strconv.FormatUint(uint64(g.cin), 10)
	for i, x := range recs {
		p := x.Rec.Params
		if p == nil {
			r.errorf("%s: record %d has no IRI-Parameters", where, i)
			continue
		}
		if p.LIID != ic.LIID {
			r.errorf("%s: record %d IRI-Parameters LIID %q", where, i, p.LIID)
		}
		if p.CIN != cinDigits {
			r.errorf("%s: record %d CIN %q in IRI-Parameters, %s in the PS-PDU header", where, i, p.CIN, cinDigits)
		}
		if p.Direction != ic.Direction {
			r.errorf("%s: record %d direction %s, want %s", where, i, p.Direction, ic.Direction)
		}
		if i < len(ic.IRI) {
			want := ic.IRI[i]
			r.IRILatency = append(r.IRILatency, x.Received.Sub(x.Time))
			r.IRIEndToEnd = append(r.IRIEndToEnd, x.Received.Sub(want.Time))
			if d := absDur(x.Time.Sub(want.Time)); d > 5*time.Second {
				r.errorf("%s: record %d (%s) stamped %s, message sent %s", where, i, want.Msg, x.Time.Format(time.RFC3339Nano), want.Time.Format(time.RFC3339Nano))
			}
		}
	}
	if len(recs) > 0 && recs[0].Rec.Params != nil {
		checkBegin(r, where, ic, recs[0].Rec.Params)
	}
	if n := len(recs); n > 0 && recs[n-1].Rec.Type == hi2.End && recs[n-1].Rec.Params != nil {
		checkEnd(r, where, ic, recs[n-1].Rec.Params)
	}
	// Content.
	if len(ic.Content) == 0 {
		if len(g.cc) > 0 || len(media) > 0 {
			r.errorf("%s: %d CC PDUs and %d media records, want none", where, len(g.cc), len(media))
		}
		return
	}
	for _, c := range ic.Content {
		var dir []CCRecord
		for _, x := range g.cc {
			if int(x.Direction) == c.PayloadDirection {
				dir = append(dir, x)
			}
		}
		if len(dir) == 0 {
			if !opt.AllowCCLoss {
				r.errorf("%s: no content %s (want %d pattern octets)", where, hi3.DirectionName(uint8(c.PayloadDirection)), c.Octets)
			}
			continue
		}
		nm := 0
		for _, m := range media {
			if m.Rec.Media != nil && m.Rec.Media.PayloadDirection == c.PayloadDirection {
				nm++
				if m.Rec.Media.FirstPDUNumber != uint64(dir[0].Seq) && !opt.AllowCCLoss && !opt.NoCCSeq {
					r.errorf("%s: media record of %s says first PDU %d, first CC PDU is %d", where, hi3.DirectionName(uint8(c.PayloadDirection)), m.Rec.Media.FirstPDUNumber, dir[0].Seq)
				}
			}
		}
		if nm != 1 {
			r.errorf("%s: %d media records for %s, want 1", where, nm, hi3.DirectionName(uint8(c.PayloadDirection)))
		}
		checkContent(r, where, &c, dir, e, opt, endRecv(recs), signallingLag(e, ic, recs, c.FirstFrame))
	}
	for _, x := range g.cc {
		if x.Direction > 1 {
			r.errorf("%s: CC PDU with payload direction %d", where, x.Direction)
			break
		}
	}
}

func msgs(ic *Intercept) string {
	s := make([]string, len(ic.IRI))
	for i, x := range ic.IRI {
		s[i] = x.Msg
	}
	return strings.Join(s, ",")
}

func checkBegin(r *Report, where string, ic *Intercept, p *hi2.Params) {
	calling, called := beginParties(p)
	if calling != digits(ic.Calling) || called != digits(ic.Called) {
		r.errorf("%s: BEGIN parties calling %q called %q, want %q %q", where, calling, called, digits(ic.Calling), digits(ic.Called))
	}
	for _, pi := range p.Parties {
		if pi.Role == "originating-Party" && pi.Calling != nil && ic.Calling != nil && pi.Calling.NAI != ic.Calling.NAI {
			r.errorf("%s: calling NAI %d, want %d", where, pi.Calling.NAI, ic.Calling.NAI)
		}
		if pi.Role != "terminating-Party" {
			continue
		}
		if pi.Called != nil && ic.Called != nil && pi.Called.NAI != ic.Called.NAI {
			r.errorf("%s: called NAI %d, want %d", where, pi.Called.NAI, ic.Called.NAI)
		}
		var ocn, rdn string
		for _, ip := range pi.ISUPParams {
			if ip.Number == nil {
				continue
			}
			switch ip.Code {
			case 0x28:
				ocn = ip.Number.Digits
			case 0x0B:
				rdn = ip.Number.Digits
			}
		}
		if ocn != digits(ic.OriginalCalled) || rdn != digits(ic.Redirecting) {
			r.errorf("%s: BEGIN original called %q redirecting %q, want %q %q", where, ocn, rdn, digits(ic.OriginalCalled), digits(ic.Redirecting))
		}
	}
}

func checkEnd(r *Report, where string, ic *Intercept, p *hi2.Params) {
	if p.State != "idle" {
		r.errorf("%s: END state %s, want idle", where, p.State)
	}
	if ic.Cause == 0 {
		if p.Cause != nil {
			r.errorf("%s: END cause %d, want none (reset)", where, p.Cause.Value)
		}
		return
	}
	if p.Cause == nil || p.Cause.Value != ic.Cause {
		got := -1
		if p.Cause != nil {
			got = int(p.Cause.Value)
		}
		r.errorf("%s: END cause %d, want %d", where, got, ic.Cause)
	}
	found := false
	for _, pi := range p.Parties {
		if pi.Role != ic.CauseParty {
			continue
		}
		for _, ip := range pi.ISUPParams {
			if ip.Code == 0x12 {
				found = true
			}
		}
	}
	if !found {
		r.errorf("%s: END has no cause indicators on the %s", where, ic.CauseParty)
	}
	if ic.Answered && p.Conversation == "" {
		r.errorf("%s: END of an answered call without conversation duration", where)
	}
}

// piece is one CC PDU's octets at a position of the direction's stream.
type piece struct {
	pos  int64 // frames from the stream's first octet
	data []byte
	rec  *CCRecord
}

// endRecv is when the END record arrived (zero if none).
func endRecv(recs []*IRIRecord) time.Time {
	if n := len(recs); n > 0 && recs[n-1].Rec.Type == hi2.End {
		return recs[n-1].Received
	}
	return time.Time{}
}

// signallingLag is how many frames after the first pattern frame (due
// right after the simulator sent the message that starts content) the
// gateway stamped the last message the simulator had sent by then: the
// pattern frames on the line before the gateway even had that message may
// have passed its demultiplexer before content started (a CPU-starved
// gateway reads its link late). 0 without the simulator's bearer clock.
func signallingLag(e *Expectation, ic *Intercept, recs []*IRIRecord, first uint64) uint64 {
	if e.BearerEpoch.IsZero() || e.FrameRate <= 0 {
		return 0
	}
	start := e.BearerEpoch.Add(time.Duration(float64(first) / e.FrameRate * float64(time.Second)))
	var lag time.Duration
	for i, x := range recs {
		if i >= len(ic.IRI) || ic.IRI[i].Time.After(start.Add(time.Millisecond)) {
			break
		}
		lag = max(lag, x.Time.Sub(start))
	}
	return uint64(lag.Seconds() * e.FrameRate)
}

// checkContent checks one direction's content against the pattern. lag
// (signallingLag) frames may be missing at the start beyond the head
// tolerance.
func checkContent(r *Report, where string, c *Content, dir []CCRecord, e *Expectation, opt *CheckOptions, endAt time.Time, lag uint64) {
	dname := hi3.DirectionName(uint8(c.PayloadDirection))
	where = where + " " + dname
	pieces := make([]piece, 0, len(dir))
	var ts0 uint32
	var prevSeq uint16
	var pos int64
	for i := range dir {
		x := &dir[i]
		switch x.Kind {
		case hi3.ContentsIPMMCC:
			if len(x.Data) < 12 || x.Data[0]>>6 != 2 {
				r.errorf("%s: CC PDU %d: not an RTP packet", where, x.Seq)
				return
			}
			marker := x.Data[1]&0x80 != 0
			pt := x.Data[1] & 0x7f
			seq := binary.BigEndian.Uint16(x.Data[2:])
			ts := binary.BigEndian.Uint32(x.Data[4:])
			wantPT := uint8(8)
			if e.Law == "ulaw" {
				wantPT = 0
			}
			if pt != wantPT {
				r.errorf("%s: RTP payload type %d, want %d", where, pt, wantPT)
			}
			if i == 0 {
				ts0 = ts
				if !marker {
					r.errorf("%s: first RTP packet without marker", where)
				}
			} else {
				if marker {
					r.errorf("%s: RTP marker on packet %d", where, i)
				}
				if seq != prevSeq+1 && !opt.AllowCCLoss {
					r.errorf("%s: RTP sequence %d after %d", where, seq, prevSeq)
				}
			}
			prevSeq = seq
			pieces = append(pieces, piece{pos: int64(ts - ts0), data: x.Data[12:], rec: x})
		default:
			pieces = append(pieces, piece{pos: pos, data: x.Data, rec: x})
			pos += int64(len(x.Data))
		}
	}
	// Locate the pattern: the first position whose octets continue the
	// pattern from FirstFrame, else (head lost) anywhere in the window.
	const probe = 24
	base, found := int64(0), false
	for _, p := range pieces {
		for i := 0; i+probe <= len(p.data) && !found; i++ {
			if switchsim.CheckPattern(p.data[i:i+probe], c.Seed, c.FirstFrame) < 0 {
				base, found = int64(c.FirstFrame)-(p.pos+int64(i)), true
			}
		}
		if found {
			break
		}
	}
	if !found {
	outer:
		for _, p := range pieces {
			for i := 0; i+probe <= len(p.data); i++ {
				if p.data[i] == e.IdleCode {
					continue
				}
				if f, ok := switchsim.FindPattern(p.data[i:i+probe], c.Seed, c.FirstFrame, c.LastFrame); ok {
					base, found = int64(f)-(p.pos+int64(i)), true
					break outer
				}
				break
			}
		}
	}
	if !found {
		// Only idle and loss fill: the bearer of this stretch was lost
		// before the gateway (counted against MaxLossFill).
		var fill, other int
		for _, p := range pieces {
			for _, b := range p.data {
				switch b {
				case 0xFF:
					fill++
				case e.IdleCode:
				default:
					other++
				}
			}
		}
		if other == 0 && fill > 0 {
			r.LossFilled[c.PayloadDirection] += uint64(fill)
			if float64(fill) > opt.MaxLossFill*float64(c.Octets) || float64(c.Octets) > float64(fill)*2 {
				r.errorf("%s: no pattern octet, %d octets of loss fill (want %d pattern octets)", where, fill, c.Octets)
			}
			return
		}
		r.errorf("%s: the pattern (seed %#x, frames %d..%d) is nowhere in %d CC PDUs", where, c.Seed, c.FirstFrame, c.LastFrame, len(pieces))
		return
	}
	var got uint64
	minF, maxF := int64(-1), int64(-1)
	mism := 0
	var filled uint64
	var firstFill int64
	epoch := opt.BearerEpoch
	for _, p := range pieces {
		for i, b := range p.data {
			f := base + p.pos + int64(i)
			want := e.IdleCode
			if f >= int64(c.FirstFrame) && f <= int64(c.LastFrame) {
				want = switchsim.PatternOctet(c.Seed, uint64(f))
				got++
				if minF < 0 || f < minF {
					minF = f
				}
				maxF = max(maxF, f)
			}
			if b != want && b == 0xFF {
				if filled == 0 {
					firstFill = f
				}
				filled++ // loss fill from the gateway's jitter buffer
				continue
			}
			if b != want {
				if mism < 3 {
					r.errorf("%s: octet at simulator frame %d is %#02x, want %#02x", where, f, b, want)
				}
				mism++
			}
		}
		r.ContentOctets[c.PayloadDirection] += uint64(len(p.data))
		if !epoch.IsZero() && len(p.data) > 0 {
			last := base + p.pos + int64(len(p.data)) // frame after the last octet
			sent := epoch.Add(time.Duration(float64(last) / 8000 / opt.Speed * float64(time.Second)))
			r.CCLatency = append(r.CCLatency, p.rec.Received.Sub(sent))
		}
	}
	if mism > 3 {
		r.errorf("%s: %d octets differ in all", where, mism)
	}
	r.PatternOctets[c.PayloadDirection] += got
	r.LossFilled[c.PayloadDirection] += filled
	if float64(filled) > opt.MaxLossFill*float64(c.Octets) {
		at := ""
		if !epoch.IsZero() {
			at = " ≈ " + epoch.Add(time.Duration(float64(firstFill)/8000/opt.Speed*float64(time.Second))).Format("15:04:05.000")
		}
		r.errorf("%s: %d of %d pattern octets arrived as loss fill (from simulator frame %d%s)", where, filled, got, firstFill, at)
	}
	if got == 0 {
		r.errorf("%s: no pattern octet received", where)
		return
	}
	head := uint64(minF) - c.FirstFrame
	tail := c.LastFrame - uint64(maxF)
	r.HeadMissing = max(r.HeadMissing, head)
	r.TailMissing = max(r.TailMissing, tail)
	inner := uint64(maxF-minF+1) - got
	if opt.HeadTolerance >= 0 && head > uint64(opt.HeadTolerance)+lag && !opt.AllowCCLoss {
		r.errorf("%s: first %d pattern frames missing (the gateway had the message that starts content %d frames after the first)", where, head, lag)
	}
	if opt.TailTolerance >= 0 && tail > uint64(opt.TailTolerance) && !opt.AllowCCLoss {
		last := &dir[len(dir)-1]
		r.errorf("%s: last %d pattern frames missing (%d CC PDUs, the last seq %d stamped %s received %s; END received %s)", where, tail,
			len(dir), last.Seq, last.Time.Format("15:04:05.000"), last.Received.Format("15:04:05.000"), endAt.Format("15:04:05.000"))
	}
	if inner > 0 && !opt.AllowCCLoss {
		r.errorf("%s: %d pattern frames missing inside the call", where, inner)
	}
}

// Percentile returns the p-quantile (0..1) of ds (sorted in place).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(p * float64(len(ds)-1))
	return ds[i]
}

// Summary renders the report for humans.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calls %d; intercepts expected %d, received %d, matched %d\n", r.Calls, r.Expected, r.Received, r.Matched)
	fmt.Fprintf(&b, "IRI records: BEGIN %d, CONTINUE %d, END %d, REPORT %d; media records %d; duplicates (replayed) %d\n",
		r.IRIByType["BEGIN"], r.IRIByType["CONTINUE"], r.IRIByType["END"], r.IRIByType["REPORT"], r.Media, r.Duplicates)
	fmt.Fprintf(&b, "content: %d CC PDUs (%d lost); fromTarget %.1f s (%.1f s pattern checked), toTarget %.1f s (%.1f s pattern checked); most missing at a start %d frames, at an end %d frames; loss-filled %d+%d octets\n",
		r.CCPDUs, r.CCLost, float64(r.ContentOctets[0])/8000, float64(r.PatternOctets[0])/8000,
		float64(r.ContentOctets[1])/8000, float64(r.PatternOctets[1])/8000, r.HeadMissing, r.TailMissing, r.LossFilled[0], r.LossFilled[1])
	if len(r.IRILatency) > 0 {
		fmt.Fprintf(&b, "IRI latency (gateway receipt → LEMF) p50 %v p99 %v; simulator send → LEMF p50 %v p99 %v\n",
			Percentile(r.IRILatency, 0.5), Percentile(r.IRILatency, 0.99), Percentile(r.IRIEndToEnd, 0.5), Percentile(r.IRIEndToEnd, 0.99))
	}
	if len(r.CCLatency) > 0 {
		fmt.Fprintf(&b, "content latency (last octet sent → CC PDU at LEMF) p50 %v p99 %v\n", Percentile(r.CCLatency, 0.5), Percentile(r.CCLatency, 0.99))
	}
	if r.OK() {
		b.WriteString("CHECK PASSED\n")
	} else {
		fmt.Fprintf(&b, "CHECK FAILED: %d problems\n", len(r.Errors))
		for i, s := range r.Errors {
			if i == 20 {
				fmt.Fprintf(&b, "  ...\n")
				break
			}
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	return b.String()
}
