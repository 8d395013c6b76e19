package bridge

import (
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/tdm/demux"
)

const ansiConfig = `node:
  name: n
  operator_id: OP
  network_element_id: NE
  authorization_country: US
  numbering: {country_code: "1", national_prefix: "1", international_prefix: "011", nsn_length: 10}
links:
  - {name: l, role: asp, transport: tcp, remote: ["10.0.0.2:2905"], variant: ansi, own_pc: 1-2-3, adjacent_pc: "66051",
     network_indicator: national}
spans:
  - {name: up, source: satop, listen: "0.0.0.0:5006", framing: t1-esf}
  - {name: down, source: satop, listen: "0.0.0.0:5004", framing: t1-sf}
circuits:
  - between: [10-20-30, 10-20-31]
    cic: 5001-5024
    a_to_b: {span: up, ts_offset: -5000}
    b_to_a: {span: down, timeslots: [1-12, 13-24]}
destinations:
  - {name: lemf, hi2: "lemf.example.net:7002", hi3: "lemf.example.net:7003", cc_format: pstnIsdnCC, spool_dir: /var/spool/tdmtap/lemf}
warrants:
  - liid: US-1
    targets: ["1 202 555 0100"]
    valid_from: 2026-01-01T00:00:00Z
    valid_until: 2027-01-01T00:00:00Z
    delivery: iri+cc
    destinations: lemf
`

// TestFromConfigANSIT1 builds the bridge from a config file: ANSI numbers
// (calling party NAI 7 = national) match, the T1 spans give µ-law (PT 0),
// the destination takes pstnIsdnCC.
func TestFromConfigANSIT1(t *testing.T) {
	c, ps := config.Parse("ansi.yaml", []byte(ansiConfig))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	set, err := c.WarrantSet()
	if err != nil {
		t.Fatal(err)
	}
	cfg := FromConfig(c)
	a, b := uint32(10<<16|20<<8|30), uint32(10<<16|20<<8|31)
	if !cfg.ANSI(call.MakeKey(2, b, a, 5010)) || cfg.SpanT1("nope") || !cfg.SpanT1("down") || cfg.Destinations["lemf"] != config.PstnIsdnCC {
		t.Fatalf("FromConfig: ANSI %v T1 %v formats %v", cfg.ANSI(call.MakeKey(2, a, b, 5010)), cfg.SpanT1("down"), cfg.Destinations)
	}
	out := &recorder{}
	cfg.Output = out
	cfg.Warrants = &warrant.Store{}
	cfg.Warrants.Swap(set)
	dm := demux.New()
	cfg.Demux = dm
	cfg.Now = func() time.Time { return t0 }
	br, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := call.NewTracker(call.Config{}, br)
	m := iam(5010, "2025550199", "2025550100")
	m.Calling.NAI = 7 // ANSI: national number
	m.Called.NAI = 7
	tr.Handle(t0, 2, a, b, m)
	tr.Handle(t0.Add(time.Second), 2, b, a, msg(isup.ANM, 5010))
	first := uint64(77)
	for _, span := range []string{"up", "down"} {
		slots := make([]byte, 320*24)
		for f := range 320 {
			for ts := 1; ts <= 24; ts++ {
				slots[f*24+ts-1] = pattern(span, ts, first+uint64(f))
			}
		}
		dm.Frames(span, first, 320, slots, 24)
	}
	tr.Handle(t0.Add(2*time.Second), 2, a, b, rel(5010, 16))
	for _, x := range out.out {
		if x.dest != "lemf" {
			t.Fatalf("PDU for destination %q", x.dest)
		}
	}
	e := &env{t: t, o: out}
	got := e.decoded()
	e.wantTypes(got, "US-1", "BEGIN CONTINUE MEDIA MEDIA END")
	checkContent(t, got, "US-1", "up", "down", [2]int{10, 10}, first, 2, 0)
	if h := got[0].p.Header; h.OperatorID != "OP" || h.NetworkElementID != "NE" || h.AuthCountry != "US" || h.DeliveryCountry != "US" {
		t.Errorf("header %+v", h)
	}
}

func TestSpanLatency(t *testing.T) {
	for _, c := range []struct {
		sp   config.Span
		want time.Duration
	}{
		{config.Span{Source: config.SAToP, PayloadSize: 256, JitterBuffer: 30 * time.Millisecond}, 32 * time.Millisecond},
		{config.Span{Source: config.SAToP}, 12 * time.Millisecond}, // default jitter 10 ms, 1 ms packets
		{config.Span{Source: config.CESoPSN, PayloadSize: 248, Timeslots: make([]int, 31), JitterBuffer: 30 * time.Millisecond}, 32 * time.Millisecond},
		{config.Span{Source: config.SAToP, PayloadSize: 1024, JitterBuffer: 5 * time.Millisecond}, 16 * time.Millisecond},
		{config.Span{Source: config.DAHDI}, 20 * time.Millisecond},
	} {
		if got := SpanLatency(&c.sp); got != c.want {
			t.Errorf("%+v: %v, want %v", c.sp, got, c.want)
		}
	}
}
