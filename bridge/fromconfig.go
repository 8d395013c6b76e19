package bridge

import (
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
)

// FromConfig fills the parts of a Config that come from the config file:
// node identity, circuit map, span framings (T1 → µ-law), destinations' CC
// formats, content start, each span's bearer latency (SpanLatency), and the ISUP variant of each circuit (from the
// circuits, else from the links when they all agree). The caller adds
// Warrants, Output, Demux and the optional hooks.
func FromConfig(c *config.Config) Config {
	t1 := map[string]bool{}
	lat := map[string]time.Duration{}
	for i := range c.Spans {
		sp := &c.Spans[i]
		t1[sp.Name] = sp.Framing.T1()
		lat[sp.Name] = SpanLatency(sp)
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
		Node:          c.Node,
		Circuits:      c.CircuitMap(),
		SpanT1:        func(span string) bool { return t1[span] },
		BearerLatency: func(span string) time.Duration { return lat[span] },
		Destinations:  formats,
		ContentStart:  c.ContentStart,
		ANSI:          ansi,
	}
}

// SpanLatency estimates how long a span's frames take from the line to the
// demultiplexer: for pseudowires the jitter buffer (its depth rounded up to
// whole packets, as tdm/source does; config.DefaultJitterBuffer when unset)
// plus two packets (the one being filled and a margin); a paced recording
// one millisecond; DAHDI one read block (20 ms). Overestimating it costs a
// few milliseconds of idle after a call's content, underestimating it
// loses as much of the call's last content.
func SpanLatency(sp *config.Span) time.Duration {
	frames := 8 // frames per packet / block
	switch sp.Source {
	case config.SAToP:
		if sp.PayloadSize > 0 {
			bits := 256
			if sp.Framing.T1() {
				bits = 193
			}
			frames = max(1, sp.PayloadSize*8/bits)
		}
	case config.CESoPSN:
		if n := len(sp.Timeslots); sp.PayloadSize > 0 && n > 0 {
			frames = max(1, sp.PayloadSize/n)
		}
	case config.File:
		return time.Millisecond
	case config.DAHDI:
		return 20 * time.Millisecond
	}
	pkt := time.Duration(frames) * frameDur
	j := sp.JitterBuffer
	if j <= 0 {
		j = config.DefaultJitterBuffer
	}
	n := (j + pkt - 1) / pkt
	return (n + 2) * pkt
}
