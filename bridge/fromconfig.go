package bridge

import (
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
)

// FromConfig fills the parts of a Config that come from the config file:
// node identity, circuit map, span framings (T1 → µ-law), destinations' CC
// formats, content start, and the ISUP variant of each circuit (from the
// circuits, else from the links when they all agree). The caller adds
// Warrants, Output, Demux and the optional hooks.
func FromConfig(c *config.Config) Config {
	t1 := map[string]bool{}
	for _, sp := range c.Spans {
		t1[sp.Name] = sp.Framing.T1()
	}
	formats := map[string]config.CCFormat{}
	for _, d := range c.Destinations {
		formats[d.Name] = d.CCFormat
	}
	type pair struct {
		ni        uint8
		low, high uint32
	}
	type cicRange struct {
		first, last uint16
		ansi        bool
	}
	byPair := map[pair][]cicRange{}
	for _, cr := range c.Circuits {
		lo, hi := cr.A, cr.B
		if lo > hi {
			lo, hi = hi, lo
		}
		k := pair{cr.NI, lo, hi}
		byPair[k] = append(byPair[k], cicRange{cr.CICFirst, cr.CICLast, cr.Variant == config.ANSI})
	}
	allANSI := len(c.Links) > 0
	for _, l := range c.Links {
		allANSI = allANSI && l.Variant == config.ANSI
	}
	ansi := func(k call.CircuitKey) bool {
		for _, r := range byPair[pair{k.NI, k.PCA, k.PCB}] {
			if k.CIC >= r.first && k.CIC <= r.last {
				return r.ansi
			}
		}
		return allANSI
	}
	return Config{
		Node:         c.Node,
		Circuits:     c.CircuitMap(),
		SpanT1:       func(span string) bool { return t1[span] },
		Destinations: formats,
		ContentStart: c.ContentStart,
		ANSI:         ansi,
	}
}
