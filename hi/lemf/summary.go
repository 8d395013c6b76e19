package lemf

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
)

// Summary is what a Receiver saw.
type Summary struct {
	Connections      uint64                  `json:"connections"`
	PDUs             map[string]uint64       `json:"pdus"` // IRI-BEGIN, IRI-END, CC, KEEPALIVE, ...
	LIIDs            map[string]*LIIDSummary `json:"liids"`
	Streams          []StreamInfo            `json:"streams"`
	ContentSeconds   map[string]float64      `json:"content_seconds"` // by stream name
	SeqErrors        []string                `json:"sequence_errors"`
	Duplicates       uint64                  `json:"duplicates"`        // on the same connection (errors)
	ResyncDuplicates uint64                  `json:"resync_duplicates"` // after a reconnect (allowed)
	DecodeErrors     uint64                  `json:"decode_errors"`
	FramingErrors    uint64                  `json:"framing_errors"`
}

// LIIDSummary counts the PDUs of one LIID (duplicates excluded).
type LIIDSummary struct {
	IRI uint64 `json:"iri"`
	CC  uint64 `json:"cc"`
}

func (s *Summary) init() {
	s.PDUs = map[string]uint64{}
	s.LIIDs = map[string]*LIIDSummary{}
}

func (s *Summary) clone() Summary {
	c := *s
	c.PDUs = maps.Clone(s.PDUs)
	c.LIIDs = map[string]*LIIDSummary{}
	for k, v := range s.LIIDs {
		vv := *v
		c.LIIDs[k] = &vv
	}
	c.SeqErrors = slices.Clone(s.SeqErrors)
	return c
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "connections: %d\n", s.Connections)
	fmt.Fprintln(w, "PDUs by type:")
	for _, k := range slices.Sorted(maps.Keys(s.PDUs)) {
		fmt.Fprintf(w, "  %-20s %d\n", k, s.PDUs[k])
	}
	fmt.Fprintln(w, "per LIID:")
	for _, k := range slices.Sorted(maps.Keys(s.LIIDs)) {
		fmt.Fprintf(w, "  %-20s IRI %d  CC %d\n", k, s.LIIDs[k].IRI, s.LIIDs[k].CC)
	}
	fmt.Fprintln(w, "content:")
	st := slices.Clone(s.Streams)
	sort.Slice(st, func(i, j int) bool { return st[i].Name < st[j].Name })
	for _, x := range st {
		fmt.Fprintf(w, "  %-32s %7.2f s  udp %d  %s\n", x.Name, float64(x.Octets)/8000, x.Port, x.WAV)
	}
	fmt.Fprintf(w, "sequence errors: %d (duplicates on one connection %d; resync duplicates %d, allowed)\n",
		len(s.SeqErrors), s.Duplicates, s.ResyncDuplicates)
	for _, e := range s.SeqErrors {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintf(w, "decode errors: %d, framing errors: %d\n", s.DecodeErrors, s.FramingErrors)
}
