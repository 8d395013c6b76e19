package lemf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Expectation is what a run must deliver (lemf --expect FILE). The file is
// JSON:
//
//	{
//	  "iri": [
//	    {"liid": "LI-1", "cin": 7,
//	     "types": ["BEGIN", "CONTINUE", "END"],
//	     "parties": [{"role": "originating-Party", "field": "calling", "number": "4930123456"},
//	                 {"role": "terminating-Party", "field": "called", "number": "4940987654"}],
//	     "cause": 16},
//	    {"liid": "LI-1", "ref": "call-2", "types": ["BEGIN", "CONTINUE", "CONTINUE", "END"],
//	     "parties": [{"role": "originating-Party", "number": "4930123456"}]}
//	  ],
//	  "cc": [
//	    {"liid": "LI-1", "cin": 7, "direction": "from-target", "octets": 16000,
//	     "sha256": "…64 hex digits…"},
//	    {"liid": "LI-1", "cin": 7, "direction": "to-target", "min_octets": 8000},
//	    {"liid": "LI-1", "ref": "call-2", "direction": "from-target",
//	     "window": {"start": "34212134b4a1a1b4", "octets": 8000}, "sha256": "…"}
//	  ],
//	  "allow_sequence_errors": false,
//	  "allow_unexpected": false
//	}
//
// Rules. An "iri" entry names its call by (liid, cin) — the call must have
// arrived — or, since CINs are the gateway's to choose at run time, by what
// can be written down beforehand: without "cin", the entry takes the first
// call (lowest CIN) of its LIID not taken by another entry whose record
// types, parties and cause all match it (preferring one whose content also
// matches the "cc" entries that refer to it). When "types" is given, the IRI
// types of the call's eTSI671IRI records (in sequence order, duplicates
// removed; pstnIsdnIRI media records excluded) must equal it; each party
// must appear in some record of the call (role and number must match;
// field — calling, called, or an ISUP parameter name such as
// originalCalledNumber — only when given); "cause", when given, must equal
// the Q.850 cause value of the call's last record that carried one. "ref"
// labels the entry for "cc" entries.
//
// A "cc" entry names its stream (direction: from-target or to-target) by
// liid and cin, or by "ref" (the call its "iri" entry took), or by neither:
// then any stream of the LIID and direction not taken by another entry
// that satisfies it. "octets" (exact) and "min_octets" count the whole
// stream. "sha256" is of the G.711 octets in sequence order (RTP payloads
// or pstnIsdnCC octets) — of the whole stream, or, with "window", of the
// window only: the "octets" octets starting at the first occurrence of the
// "start" octets (hex) in the stream, so that idle code and loss fill around
// a call's content, whose length depends on timing, are left out. A window
// is read back from cc.pcap (a Receiver with an output directory).
//
// Unless allow_unexpected, a call or content stream that arrived but is
// not taken by an entry is a difference. Unless allow_sequence_errors, any
// sequence gap, same-connection duplicate, decode or framing error is a
// difference (duplicates after a reconnect are always allowed).
type Expectation struct {
	IRI                 []ExpectIRI `json:"iri"`
	CC                  []ExpectCC  `json:"cc"`
	AllowSequenceErrors bool        `json:"allow_sequence_errors,omitempty"`
	AllowUnexpected     bool        `json:"allow_unexpected,omitempty"`
}

// ExpectIRI is one expected call's IRI.
type ExpectIRI struct {
	LIID    string        `json:"liid"`
	CIN     *uint32       `json:"cin,omitempty"` // nil: matched by LIID, types, parties, cause
	Ref     string        `json:"ref,omitempty"`
	Types   []string      `json:"types,omitempty"`
	Parties []ExpectParty `json:"parties,omitempty"`
	Cause   *int          `json:"cause,omitempty"`
}

// ExpectParty is one party number that must appear.
type ExpectParty struct {
	Role   string `json:"role"`
	Field  string `json:"field,omitempty"`
	Number string `json:"number"`
}

// ExpectCC is one expected content stream.
type ExpectCC struct {
	LIID      string        `json:"liid"`
	CIN       *uint32       `json:"cin,omitempty"`
	Ref       string        `json:"ref,omitempty"`
	Direction string        `json:"direction"`
	Octets    *int64        `json:"octets,omitempty"`
	MinOctets int64         `json:"min_octets,omitempty"`
	SHA256    string        `json:"sha256,omitempty"`
	Window    *ExpectWindow `json:"window,omitempty"`
}

// ExpectWindow names part of a content stream: Octets octets from the
// first occurrence of Start (hex).
type ExpectWindow struct {
	Start  string `json:"start"`
	Octets int64  `json:"octets"`
	start  []byte
}

// LoadExpectation reads an expectation file; unknown fields are errors.
func LoadExpectation(path string) (*Expectation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("expectation: %w", err)
	}
	return ParseExpectation(b)
}

// ParseExpectation decodes an expectation.
func ParseExpectation(b []byte) (*Expectation, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Expectation
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("expectation: %w", err)
	}
	refs := map[string]bool{}
	for i, x := range e.IRI {
		if x.Ref != "" {
			if refs[x.Ref] {
				return nil, fmt.Errorf("expectation: iri[%d]: ref %q used twice", i, x.Ref)
			}
			refs[x.Ref] = true
		}
	}
	for i := range e.CC {
		c := &e.CC[i]
		if normDir(c.Direction) == "" {
			return nil, fmt.Errorf("expectation: cc[%d]: direction %q: want from-target or to-target", i, c.Direction)
		}
		if c.Ref != "" && !refs[c.Ref] {
			return nil, fmt.Errorf("expectation: cc[%d]: ref %q names no iri entry", i, c.Ref)
		}
		if w := c.Window; w != nil {
			b, err := hex.DecodeString(w.Start)
			if err != nil || len(b) == 0 {
				return nil, fmt.Errorf("expectation: cc[%d]: window start %q: want hex octets", i, w.Start)
			}
			if w.Octets < int64(len(b)) {
				return nil, fmt.Errorf("expectation: cc[%d]: window of %d octets is shorter than its start", i, w.Octets)
			}
			w.start = b
		}
	}
	return &e, nil
}

func normDir(d string) string {
	switch strings.ToLower(strings.ReplaceAll(d, "-", "")) {
	case "fromtarget":
		return "fromTarget"
	case "totarget":
		return "toTarget"
	case "combined":
		return "combined"
	}
	return ""
}

// Check compares what arrived with e and returns the differences (none:
// the run passed).
func (r *Receiver) Check(e *Expectation) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.summaryLocked()
	var diffs []string
	add := func(f string, a ...any) { diffs = append(diffs, fmt.Sprintf(f, a...)) }

	if !e.AllowSequenceErrors {
		for _, se := range s.SeqErrors {
			add("sequence: %s", se)
		}
		if s.DecodeErrors > 0 {
			add("%d PS-PDUs or payloads could not be decoded", s.DecodeErrors)
		}
		if s.FramingErrors > 0 {
			add("%d connections ended with a framing error", s.FramingErrors)
		}
	}

	streams := map[streamKey]StreamInfo{}
	for _, st := range s.Streams {
		streams[streamKey{st.LIID, st.CIN, dirCode(st.Direction)}] = st
	}
	var content map[streamKey][]byte
	for _, x := range e.CC {
		if x.Window != nil && content == nil {
			var err error
			if content, err = r.contentLocked(); err != nil {
				add("cc: windows cannot be checked: %v", err)
				content = map[streamKey][]byte{}
			}
		}
	}
	// ccDiffs checks entry x against the stream of (liid, cin).
	ccDiffs := func(x *ExpectCC, cin uint32) []string {
		var d []string
		name := fmt.Sprintf("cc liid=%s cin=%d %s", x.LIID, cin, x.Direction)
		k := streamKey{x.LIID, cin, dirCode(normDir(x.Direction))}
		st, ok := streams[k]
		if !ok {
			return append(d, name+": no content arrived")
		}
		if x.Octets != nil && st.Octets != *x.Octets {
			d = append(d, fmt.Sprintf("%s: %d octets, want %d", name, st.Octets, *x.Octets))
		}
		if st.Octets < x.MinOctets {
			d = append(d, fmt.Sprintf("%s: %d octets, want at least %d", name, st.Octets, x.MinOctets))
		}
		sum := st.SHA256
		if w := x.Window; w != nil {
			b := content[k]
			i := bytes.Index(b, w.start)
			switch {
			case i < 0:
				return append(d, fmt.Sprintf("%s: window start %s not found in %d octets", name, w.Start, len(b)))
			case int64(len(b)-i) < w.Octets:
				return append(d, fmt.Sprintf("%s: window cut short: %d of %d octets", name, len(b)-i, w.Octets))
			}
			h := sha256.Sum256(b[i : int64(i)+w.Octets])
			sum = hex.EncodeToString(h[:])
		}
		if x.SHA256 != "" && !strings.EqualFold(x.SHA256, sum) {
			what := "sha256"
			if x.Window != nil {
				what = "window sha256"
			}
			d = append(d, fmt.Sprintf("%s: %s %s, want %s", name, what, sum, x.SHA256))
		}
		return d
	}
	iriDiffs := func(x *ExpectIRI, cin uint32, call *callInfo) []string {
		var d []string
		name := fmt.Sprintf("iri liid=%s cin=%d", x.LIID, cin)
		if x.Types != nil && !slices.Equal(x.Types, call.types) {
			d = append(d, fmt.Sprintf("%s: types %v, want %v", name, call.types, x.Types))
		}
		for _, p := range x.Parties {
			found := slices.ContainsFunc(call.parties, func(q PartyLine) bool {
				return q.Role == p.Role && q.Number == p.Number && (p.Field == "" || p.Field == q.Field)
			})
			if !found {
				d = append(d, fmt.Sprintf("%s: party %s %s %s missing (got %s)", name, p.Role, p.Field, p.Number, partiesString(call.parties)))
			}
		}
		if x.Cause != nil {
			switch {
			case call.cause == nil:
				d = append(d, fmt.Sprintf("%s: no cause, want %d", name, *x.Cause))
			case *call.cause != *x.Cause:
				d = append(d, fmt.Sprintf("%s: cause %d, want %d", name, *call.cause, *x.Cause))
			}
		}
		return d
	}

	// IRI: entries with a CIN first, then the others by matching.
	taken := map[callKey]bool{}
	refCIN := map[string]uint32{}
	for i := range e.IRI {
		x := &e.IRI[i]
		if x.CIN == nil {
			continue
		}
		k := callKey{x.LIID, *x.CIN}
		taken[k] = true
		if x.Ref != "" {
			refCIN[x.Ref] = *x.CIN
		}
		call := r.calls[k]
		if call == nil {
			add("iri liid=%s cin=%d: no IRI arrived", x.LIID, *x.CIN)
			continue
		}
		diffs = append(diffs, iriDiffs(x, *x.CIN, call)...)
	}
	byLIID := map[string][]uint32{}
	for k := range r.calls {
		byLIID[k.liid] = append(byLIID[k.liid], k.cin)
	}
	for _, cins := range byLIID {
		slices.Sort(cins)
	}
	for i := range e.IRI {
		x := &e.IRI[i]
		if x.CIN != nil {
			continue
		}
		chosen, best := uint32(0), -1 // best: CC differences of the chosen call
		for _, cin := range byLIID[x.LIID] {
			k := callKey{x.LIID, cin}
			if taken[k] || len(iriDiffs(x, cin, r.calls[k])) > 0 {
				continue
			}
			n := 0
			for j := range e.CC {
				if c := &e.CC[j]; x.Ref != "" && c.Ref == x.Ref {
					n += len(ccDiffs(c, cin))
				}
			}
			if best < 0 || n < best {
				chosen, best = cin, n
			}
			if n == 0 {
				break
			}
		}
		if best < 0 {
			add("iri liid=%s %s: no call of the LIID (of %d) has these types, parties and cause", x.LIID, describeIRI(x), len(byLIID[x.LIID]))
			continue
		}
		taken[callKey{x.LIID, chosen}] = true
		if x.Ref != "" {
			refCIN[x.Ref] = chosen
		}
	}
	if !e.AllowUnexpected {
		for k, c := range r.calls {
			if !taken[k] && len(c.types) > 0 {
				add("iri liid=%s cin=%d: unexpected call (%v)", k.liid, k.cin, c.types)
			}
		}
	}

	// CC: by CIN or ref, then the others by matching.
	seenStreams := map[streamKey]bool{}
	for i := range e.CC {
		x := &e.CC[i]
		var cin uint32
		switch {
		case x.CIN != nil:
			cin = *x.CIN
		case x.Ref != "":
			c, ok := refCIN[x.Ref]
			if !ok {
				add("cc liid=%s ref=%s %s: its call was not found", x.LIID, x.Ref, x.Direction)
				continue
			}
			cin = c
		default:
			continue
		}
		seenStreams[streamKey{x.LIID, cin, dirCode(normDir(x.Direction))}] = true
		diffs = append(diffs, ccDiffs(x, cin)...)
	}
	for i := range e.CC {
		x := &e.CC[i]
		if x.CIN != nil || x.Ref != "" {
			continue
		}
		found := false
		for _, st := range s.Streams {
			k := streamKey{st.LIID, st.CIN, dirCode(st.Direction)}
			if st.LIID != x.LIID || st.Direction != normDir(x.Direction) || seenStreams[k] || len(ccDiffs(x, st.CIN)) > 0 {
				continue
			}
			seenStreams[k], found = true, true
			break
		}
		if !found {
			add("cc liid=%s %s: no stream of the LIID matches (octets, window, sha256)", x.LIID, x.Direction)
		}
	}
	if !e.AllowUnexpected {
		for k, st := range streams {
			if !seenStreams[k] {
				add("cc %s: unexpected content stream (%d octets)", st.Name, st.Octets)
			}
		}
	}
	slices.Sort(diffs)
	return diffs
}

func describeIRI(x *ExpectIRI) string {
	var b strings.Builder
	if x.Ref != "" {
		fmt.Fprintf(&b, "ref=%s ", x.Ref)
	}
	fmt.Fprintf(&b, "types %v parties %s", x.Types, partiesString(partyLines(x.Parties)))
	return b.String()
}

func partyLines(ps []ExpectParty) []PartyLine {
	out := make([]PartyLine, len(ps))
	for i, p := range ps {
		out[i] = PartyLine{Role: p.Role, Field: p.Field, Number: p.Number}
	}
	return out
}

// dirCode maps a StreamInfo direction name to its payload direction.
func dirCode(name string) uint8 {
	switch name {
	case "fromTarget":
		return 0
	case "toTarget":
		return 1
	case "combined":
		return 3
	}
	return 255
}

// contentLocked reads every stream's octets back from cc.pcap (in arrival
// order, as the SHA-256 of StreamInfo).
func (r *Receiver) contentLocked() (map[streamKey][]byte, error) {
	if r.cfg.Out == "" {
		return nil, fmt.Errorf("no output directory")
	}
	if !r.closed {
		if err := r.cc.flush(); err != nil {
			return nil, err
		}
	}
	out := map[streamKey][]byte{}
	err := ReadCC(filepath.Join(r.cfg.Out, "cc.pcap"), r.cc.streamInfo(), func(st *StreamInfo, _ time.Time, rtp []byte) error {
		if p, _, ok := rtpPayload(rtp); ok {
			k := streamKey{st.LIID, st.CIN, dirCode(st.Direction)}
			out[k] = append(out[k], p...)
		}
		return nil
	})
	return out, err
}

func partiesString(ps []PartyLine) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s %s", p.Role, p.Field, p.Number)
	}
	return "[" + b.String() + "]"
}
