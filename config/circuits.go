package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

var circuitKeys = []string{"between", "cic", "variant", "network_indicator", "a_to_b", "b_to_a"}

// linkDefaults returns the variant and network indicator shared by all
// links, if they agree.
func (d *decoder) linkDefaults() (Variant, uint8, bool, bool) {
	var v Variant
	var ni uint8
	vOK, niOK := len(d.cfg.Links) > 0, len(d.cfg.Links) > 0
	for i, l := range d.cfg.Links {
		if i == 0 {
			v, ni = l.Variant, l.NI
			continue
		}
		vOK = vOK && l.Variant == v
		niOK = niOK && l.NI == ni
	}
	return v, ni, vOK, niOK
}

func (d *decoder) circuit(n *yaml.Node) {
	c := d.cfg
	f, ok := d.Mapping(n, "circuit", circuitKeys...)
	if !ok {
		return
	}
	d.Require(f, "circuit", "between", "cic", "a_to_b", "b_to_a")
	cr := Circuit{Line: n.Line}
	v, ni, vOK, niOK := d.linkDefaults()
	cr.Variant, cr.NI = v, ni
	if vn := f.Get("variant"); vn != nil {
		cr.Variant = d.variant(vn, "circuit: variant")
	} else if !vOK && len(c.Links) > 0 {
		d.Errorf(n, "circuit: the links mix ISUP variants; say which this circuit uses (variant: itu|ansi)")
		cr.Variant = 0
	}
	if nn := f.Get("network_indicator"); nn != nil {
		cr.NI = d.ni(nn, "circuit: network_indicator")
	} else if !niOK && len(c.Links) > 0 {
		d.Errorf(n, "circuit: the links mix network indicators; say which this circuit uses (network_indicator)")
	}
	if cr.Variant == 0 && len(c.Links) == 0 {
		cr.Variant = ITU
	}
	what := "circuit"
	good := true
	if bn := f.Get("between"); bn != nil {
		items := d.Seq(bn, "circuit: between")
		if len(items) != 2 && (bn.Kind == yaml.SequenceNode) {
			d.Errorf(bn, "circuit: between: expected two point codes [A, B], got %d", len(items))
			good = false
		}
		if len(items) == 2 {
			a, okA := d.pointCode(items[0], "circuit: between", cr.Variant)
			b, okB := d.pointCode(items[1], "circuit: between", cr.Variant)
			good = good && okA && okB
			if okA && okB && a == b {
				d.Errorf(bn, "circuit: between: A and B are the same point code")
				good = false
			}
			cr.A, cr.B = a, b
			if okA && okB {
				what = fmt.Sprintf("circuit %s/%s", FormatPointCode(a, cr.Variant), FormatPointCode(b, cr.Variant))
			}
		} else {
			good = false
		}
	} else {
		good = false
	}
	count := 0
	if cn := f.Get("cic"); cn != nil {
		max := ITU.MaxCIC()
		if cr.Variant != 0 {
			max = cr.Variant.MaxCIC()
		}
		if lo, hi, ok := d.intRange(cn, what+": cic", 0, max); ok {
			cr.CICFirst, cr.CICLast, cr.cicLine = uint16(lo), uint16(hi), cn.Line
			count = hi - lo + 1
			what = fmt.Sprintf("%s cic %s", what, cicText(cr.CICFirst, cr.CICLast))
		} else {
			good = false
		}
	} else {
		good = false
	}
	if ln := f.Get("a_to_b"); ln != nil {
		cr.AtoB, ok = d.leg(ln, what+": a_to_b", cr.CICFirst, count)
		good = good && ok
	}
	if ln := f.Get("b_to_a"); ln != nil {
		cr.BtoA, ok = d.leg(ln, what+": b_to_a", cr.CICFirst, count)
		good = good && ok
	}
	if !good || !f.Has("a_to_b") || !f.Has("b_to_a") {
		return
	}
	c.Circuits = append(c.Circuits, cr)
}

func cicText(a, b uint16) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d-%d", a, b)
}

// leg reads {span: NAME, timeslots: LIST} or {span: NAME, ts_offset: N}
// for count CICs starting at cic0.
func (d *decoder) leg(n *yaml.Node, what string, cic0 uint16, count int) (Leg, bool) {
	var lg Leg
	f, ok := d.Mapping(n, what, "span", "timeslots", "ts_offset")
	if !ok {
		return lg, false
	}
	d.Require(f, what, "span")
	if f.Has("timeslots") == f.Has("ts_offset") {
		d.Errorf(n, "%s: give exactly one of timeslots (a list such as 1-15,17-31, taken in CIC order) or ts_offset (timeslot = CIC + offset)", what)
		return lg, false
	}
	sn := f.Get("span")
	if sn == nil {
		return lg, false
	}
	name, ok := d.String(sn, what+": span")
	if !ok {
		return lg, false
	}
	lg.Span, lg.SpanLine = name, sn.Line
	sp, found := d.cfg.Span(name)
	if !found {
		d.Errorf(sn, "%s: span %q is not defined", what, name)
		return lg, false
	}
	if sp.Framing == "" || count == 0 {
		return lg, false
	}
	max := sp.Framing.MaxTimeslot()
	if tn := f.Get("timeslots"); tn != nil {
		ts, ok := d.timeslots(tn, what+": timeslots", sp.Framing)
		if !ok {
			return lg, false
		}
		if len(ts) != count {
			d.Errorf(tn, "%s: %d timeslots for %d CICs; the list maps onto the CIC range in order, one each", what, len(ts), count)
			return lg, false
		}
		lg.Timeslots = ts
	} else {
		on := f.Get("ts_offset")
		off, ok := d.Int(on, what+": ts_offset", -16384, 31)
		if !ok {
			return lg, false
		}
		for i := 0; i < count; i++ {
			ts := int(cic0) + i + int(off)
			if ts < 1 || ts > max {
				d.Errorf(on, "%s: ts_offset %d puts CIC %d on timeslot %d, outside %s's 1..%d", what, off, int(cic0)+i, ts, sp.Framing, max)
				return lg, false
			}
			lg.Timeslots = append(lg.Timeslots, ts)
		}
	}
	if sp.Source == CESoPSN && len(sp.Timeslots) > 0 {
		carried := map[int]bool{}
		for _, ts := range sp.Timeslots {
			carried[ts] = true
		}
		var missing []string
		for _, ts := range lg.Timeslots {
			if !carried[ts] {
				missing = append(missing, fmt.Sprint(ts))
			}
		}
		if len(missing) > 0 {
			d.Errorf(n, "%s: span %s (CESoPSN, line %d) does not carry timeslot(s) %s", what, name, sp.Line, strings.Join(missing, ","))
			return lg, false
		}
	}
	return lg, true
}

type pairKey struct {
	ni        uint8
	low, high uint32
}

type bearerKey struct {
	span string
	ts   int
}

// checkCircuitOverlaps reports CIC ranges of the same point-code pair that
// overlap, and timeslots used by two circuits (or both directions).
func (d *decoder) checkCircuitOverlaps() {
	cs := d.cfg.Circuits
	byPair := map[pairKey][]int{}
	bearers := map[bearerKey]string{}
	for i := range cs {
		cr := &cs[i]
		k := pairOf(cr.NI, cr.A, cr.B)
		for _, j := range byPair[k] {
			o := &cs[j]
			if cr.CICFirst <= o.CICLast && o.CICFirst <= cr.CICLast {
				d.Errorf(&yaml.Node{Line: cr.cicLine}, "circuit: CIC %s between %s and %s overlaps CIC %s of the circuit at line %d",
					cicText(cr.CICFirst, cr.CICLast), FormatPointCode(cr.A, cr.Variant), FormatPointCode(cr.B, cr.Variant),
					cicText(o.CICFirst, o.CICLast), o.Line)
			}
		}
		byPair[k] = append(byPair[k], i)
		for _, leg := range []struct {
			name string
			l    *Leg
		}{{"a_to_b", &cr.AtoB}, {"b_to_a", &cr.BtoA}} {
			for n, ts := range leg.l.Timeslots {
				bk := bearerKey{leg.l.Span, ts}
				here := fmt.Sprintf("CIC %d %s (line %d)", int(cr.CICFirst)+n, leg.name, cr.Line)
				if prev, dup := bearers[bk]; dup {
					d.Errorf(&yaml.Node{Line: leg.l.SpanLine}, "circuit: span %s timeslot %d is mapped twice: %s and %s",
						leg.l.Span, ts, prev, here)
					break
				}
				bearers[bk] = here
			}
		}
	}
}

func pairOf(ni uint8, a, b uint32) pairKey {
	if a > b {
		a, b = b, a
	}
	return pairKey{ni: ni, low: a, high: b}
}

// Bearer is one direction of one circuit on the tap.
type Bearer struct {
	Span string
	TS   int
}

// Tap is where a circuit's two directions are found. AtoB carries what the
// switch with point code A sends.
type Tap struct {
	A, B       uint32
	AtoB, BtoA Bearer
}

// From returns the bearer of the direction sent by point code orig (the
// originating switch) and of the other direction; ok is false when orig is
// neither A nor B.
func (t Tap) From(orig uint32) (fromOrig, toOrig Bearer, ok bool) {
	switch orig {
	case t.A:
		return t.AtoB, t.BtoA, true
	case t.B:
		return t.BtoA, t.AtoB, true
	}
	return Bearer{}, Bearer{}, false
}

// CircuitKey identifies a circuit as ss7/call does: network indicator, the
// unordered point-code pair and the CIC.
type CircuitKey struct {
	NI        uint8
	Low, High uint32
	CIC       uint16
}

// CircuitMap looks circuits up on the tap. It is immutable once built and
// safe for concurrent use; Lookup does not allocate.
type CircuitMap struct {
	m map[CircuitKey]Tap
}

// NewCircuitMap expands the CIC ranges of cs.
func NewCircuitMap(cs []Circuit) *CircuitMap {
	m := &CircuitMap{m: map[CircuitKey]Tap{}}
	for _, cr := range cs {
		p := pairOf(cr.NI, cr.A, cr.B)
		for i := 0; i <= int(cr.CICLast)-int(cr.CICFirst); i++ {
			if i >= len(cr.AtoB.Timeslots) || i >= len(cr.BtoA.Timeslots) {
				break
			}
			m.m[CircuitKey{NI: cr.NI, Low: p.low, High: p.high, CIC: cr.CICFirst + uint16(i)}] = Tap{
				A: cr.A, B: cr.B,
				AtoB: Bearer{Span: cr.AtoB.Span, TS: cr.AtoB.Timeslots[i]},
				BtoA: Bearer{Span: cr.BtoA.Span, TS: cr.BtoA.Timeslots[i]},
			}
		}
	}
	return m
}

// CircuitMap builds the lookup table of the config's circuits.
func (c *Config) CircuitMap() *CircuitMap { return NewCircuitMap(c.Circuits) }

// Lookup finds the tap of circuit cic between point codes pc1 and pc2 (in
// either order) under network indicator ni.
func (m *CircuitMap) Lookup(ni uint8, pc1, pc2 uint32, cic uint16) (Tap, bool) {
	p := pairOf(ni, pc1, pc2)
	t, ok := m.m[CircuitKey{NI: ni, Low: p.low, High: p.high, CIC: cic}]
	return t, ok
}

// Len is the number of circuits mapped.
func (m *CircuitMap) Len() int { return len(m.m) }
