package lemf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
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
//	     "cause": 16}
//	  ],
//	  "cc": [
//	    {"liid": "LI-1", "cin": 7, "direction": "from-target", "octets": 16000,
//	     "sha256": "…64 hex digits…"},
//	    {"liid": "LI-1", "cin": 7, "direction": "to-target", "min_octets": 8000}
//	  ],
//	  "allow_sequence_errors": false,
//	  "allow_unexpected": false
//	}
//
// Rules. For each "iri" entry the call (liid, cin) must have arrived; when
// "types" is given, the IRI types of its eTSI671IRI records (in sequence
// order, duplicates removed; pstnIsdnIRI media records excluded) must equal
// it; each party must appear in some record of the call (role and number
// must match; field — calling, called, or an ISUP parameter name such as
// originalCalledNumber — only when given); "cause", when given, must equal
// the Q.850 cause value of the call's last record that carried one. For
// each "cc" entry the stream (liid, cin, direction: from-target or
// to-target) must exist; "octets" (exact), "min_octets" and "sha256" (of
// the G.711 octets in sequence order: RTP payloads or pstnIsdnCC octets)
// are checked when given. Unless allow_unexpected, a call or content stream
// that arrived but is not listed is a difference. Unless
// allow_sequence_errors, any sequence gap, same-connection duplicate,
// decode or framing error is a difference (duplicates after a reconnect are
// always allowed).
type Expectation struct {
	IRI                 []ExpectIRI `json:"iri"`
	CC                  []ExpectCC  `json:"cc"`
	AllowSequenceErrors bool        `json:"allow_sequence_errors,omitempty"`
	AllowUnexpected     bool        `json:"allow_unexpected,omitempty"`
}

// ExpectIRI is one expected call's IRI.
type ExpectIRI struct {
	LIID    string        `json:"liid"`
	CIN     uint32        `json:"cin"`
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
	LIID      string `json:"liid"`
	CIN       uint32 `json:"cin"`
	Direction string `json:"direction"`
	Octets    *int64 `json:"octets,omitempty"`
	MinOctets int64  `json:"min_octets,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
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
	for i, c := range e.CC {
		if normDir(c.Direction) == "" {
			return nil, fmt.Errorf("expectation: cc[%d]: direction %q: want from-target or to-target", i, c.Direction)
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

	seenCalls := map[callKey]bool{}
	for _, x := range e.IRI {
		k := callKey{x.LIID, x.CIN}
		seenCalls[k] = true
		call := r.calls[k]
		if call == nil {
			add("iri liid=%s cin=%d: no IRI arrived", x.LIID, x.CIN)
			continue
		}
		if x.Types != nil && !slices.Equal(x.Types, call.types) {
			add("iri liid=%s cin=%d: types %v, want %v", x.LIID, x.CIN, call.types, x.Types)
		}
		for _, p := range x.Parties {
			found := slices.ContainsFunc(call.parties, func(q PartyLine) bool {
				return q.Role == p.Role && q.Number == p.Number && (p.Field == "" || p.Field == q.Field)
			})
			if !found {
				add("iri liid=%s cin=%d: party %s %s %s missing (got %s)", x.LIID, x.CIN, p.Role, p.Field, p.Number, partiesString(call.parties))
			}
		}
		if x.Cause != nil {
			switch {
			case call.cause == nil:
				add("iri liid=%s cin=%d: no cause, want %d", x.LIID, x.CIN, *x.Cause)
			case *call.cause != *x.Cause:
				add("iri liid=%s cin=%d: cause %d, want %d", x.LIID, x.CIN, *call.cause, *x.Cause)
			}
		}
	}
	if !e.AllowUnexpected {
		for k, c := range r.calls {
			if !seenCalls[k] && len(c.types) > 0 {
				add("iri liid=%s cin=%d: unexpected call (%v)", k.liid, k.cin, c.types)
			}
		}
	}

	streams := map[string]StreamInfo{}
	for _, st := range s.Streams {
		streams[fmt.Sprintf("%s\x00%d\x00%s", st.LIID, st.CIN, st.Direction)] = st
	}
	seenStreams := map[string]bool{}
	for _, x := range e.CC {
		key := fmt.Sprintf("%s\x00%d\x00%s", x.LIID, x.CIN, normDir(x.Direction))
		seenStreams[key] = true
		st, ok := streams[key]
		if !ok {
			add("cc liid=%s cin=%d %s: no content arrived", x.LIID, x.CIN, x.Direction)
			continue
		}
		if x.Octets != nil && st.Octets != *x.Octets {
			add("cc liid=%s cin=%d %s: %d octets, want %d", x.LIID, x.CIN, x.Direction, st.Octets, *x.Octets)
		}
		if st.Octets < x.MinOctets {
			add("cc liid=%s cin=%d %s: %d octets, want at least %d", x.LIID, x.CIN, x.Direction, st.Octets, x.MinOctets)
		}
		if x.SHA256 != "" && !strings.EqualFold(x.SHA256, st.SHA256) {
			add("cc liid=%s cin=%d %s: sha256 %s, want %s", x.LIID, x.CIN, x.Direction, st.SHA256, x.SHA256)
		}
	}
	if !e.AllowUnexpected {
		for key, st := range streams {
			if !seenStreams[key] {
				add("cc %s: unexpected content stream (%d octets)", st.Name, st.Octets)
			}
		}
	}
	slices.Sort(diffs)
	return diffs
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
