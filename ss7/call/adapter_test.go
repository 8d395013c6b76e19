package call

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sccp"
)

func encode(t testing.TB, v isup.Variant, m *isup.Message) []byte {
	t.Helper()
	if m.Type == isup.IAM && v == isup.ANSI && !m.USI.Present {
		if err := m.USI.Set([]byte{0x80, 0x90, 0xa2}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := m.Append(v, nil)
	if err != nil {
		t.Fatalf("encode %s: %v", m.Type, err)
	}
	return b
}

func ind(link string, si uint8, opc, dpc uint32, payload []byte, at time.Time) *m3ua.Indication {
	return &m3ua.Indication{Link: link, Received: at, PD: m3ua.ProtocolData{OPC: opc, DPC: dpc, SI: si, NI: 2, SLS: 3, Payload: payload}}
}

func TestAdapterVariantsBadISUPAndSCCP(t *testing.T) {
	r := &rec{}
	tr := NewTracker(Config{}, r)
	var logBuf bytes.Buffer
	var sccpSeen []string
	a := NewAdapter(tr, AdapterConfig{
		Variant:  isup.ITU,
		Variants: map[string]isup.Variant{"us": isup.ANSI},
		Logger:   slog.New(slog.NewTextHandler(&logBuf, nil)),
		SCCP: func(_ *m3ua.Indication, m *sccp.Message) {
			sccpSeen = append(sccpSeen, m.Type.String()+" "+string(m.Called.Digits()))
		},
	})
	ctx := context.Background()
	at := t0
	feed := func(link string, si uint8, opc, dpc uint32, b []byte) {
		at = at.Add(time.Second)
		a.HandleData(ctx, ind(link, si, opc, dpc, b, at))
	}
	// ITU call on CIC 300; ANSI call on CIC 5000 (needs 14 bits).
	feed("eu", SIISUP, pcA, pcB, encode(t, isup.ITU, iam(300, "0301234567", "0409876543")))
	feed("us", SIISUP, pcA, pcB, encode(t, isup.ANSI, iam(5000, "2125551234", "")))
	// a corrupt IAM (truncated) on the ITU call's circuit: dropped, counted
	bad := encode(t, isup.ITU, iam(300, "0301234567", "0409876543"))
	feed("eu", SIISUP, pcA, pcB, bad[:6])
	feed("eu", SIISUP, pcB, pcA, encode(t, isup.ITU, msg(isup.ANM, 300)))
	feed("eu", SIISUP, pcB, pcA, encode(t, isup.ITU, rel(300, 16)))
	feed("eu", SIISUP, pcA, pcB, encode(t, isup.ITU, msg(isup.RLC, 300)))
	feed("us", SIISUP, pcB, pcA, encode(t, isup.ANSI, msg(isup.ACM, 5000)))
	// SCCP UDT with a global title, and an SI the adapter ignores
	cd := &sccp.Address{GTI: 4, NP: 1, NAI: 4, HasSSN: true, SSN: 6}
	cd.SetDigits("4912345678")
	feed("eu", SISCCP, pcA, pcB, sccp.AppendUDT(nil, 0, false, cd, cd, []byte{1}, false))
	feed("eu", SISCCP, pcA, pcB, []byte{0x09, 0x00})
	feed("eu", 1, pcA, pcB, []byte{1, 2, 3})

	want := "attempt#1 attempt#2 answer#1 release#1 release-complete!#1 address-complete#2"
	if got := r.kinds(); got != want {
		t.Errorf("events\n got  %s\n want %s", got, want)
	}
	if r.ev[1].Circuit.CIC != 5000 || r.ev[1].Called.String() != "2125551234" || r.ev[5].Circuit.CIC != 5000 {
		t.Errorf("ANSI call: cic %d called %s", r.ev[1].Circuit.CIC, r.ev[1].Called.String())
	}
	if r.ev[0].Called.String() != "0301234567" || !r.ev[2].Time.Equal(t0.Add(4*time.Second)) {
		t.Errorf("ITU call: called %s answer at %v", r.ev[0].Called.String(), r.ev[2].Time)
	}
	s := a.Stats()
	if s.ISUP != 6 || s.ISUPBad != 1 || s.SCCP != 1 || s.SCCPBad != 1 || s.OtherSI != 1 {
		t.Errorf("stats %+v", s)
	}
	if len(sccpSeen) != 1 || sccpSeen[0] != "UDT 4912345678" {
		t.Errorf("sccp %v", sccpSeen)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "undecodable message dropped") || !strings.Contains(logs, "proto=ISUP") {
		t.Errorf("no log line for the bad ISUP message: %q", logs)
	}
	for _, d := range []string{"0301234567", "0409876543", "4912345678"} {
		if strings.Contains(logs, d) {
			t.Errorf("log contains number %s: %q", d, logs)
		}
	}
	// the SCCP failure came within the same second: suppressed
	if s.LogsSuppressed != 1 {
		t.Errorf("suppressed %d, want 1", s.LogsSuppressed)
	}

	reg := prometheus.NewPedanticRegistry()
	if err := a.Register(reg, prometheus.Labels{"linkset": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Register(reg, prometheus.Labels{"linkset": "x"}); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "tdmtap_call_adapter_isup_bad_total", "tdmtap_sccp_failed_total", "tdmtap_call_active"); err != nil || n != 4 {
		t.Errorf("gathered %d series: %v", n, err)
	}
	if c := tr.Stats().Calls; c != 2 {
		t.Errorf("calls %d", c)
	}
}

func TestAdapterNoAllocs(t *testing.T) {
	tr := NewTracker(Config{Circuits: 16}, SinkFunc(func(*Event) {}))
	a := NewAdapter(tr, AdapterConfig{Variant: isup.ITU})
	var inds []*m3ua.Indication
	for _, s := range callMessages(9) {
		inds = append(inds, ind("l", SIISUP, s.opc, s.dpc, encode(t, isup.ITU, s.m), t0))
	}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		for _, in := range inds {
			a.HandleData(ctx, in)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocs per call cycle, want 0", allocs)
	}
}

// BenchmarkAdapter measures the whole per-message path: ISUP decode into the
// reused message, then tracking.
func BenchmarkAdapter(b *testing.B) {
	const circuits = 1024
	tr := NewTracker(Config{Circuits: circuits}, SinkFunc(func(*Event) {}))
	a := NewAdapter(tr, AdapterConfig{Variant: isup.ITU})
	var inds []*m3ua.Indication
	for c := 0; c < circuits; c++ {
		for _, s := range callMessages(uint16(c)) {
			inds = append(inds, ind("l", SIISUP, s.opc, s.dpc, encode(b, isup.ITU, s.m), t0))
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.HandleData(ctx, inds[i%len(inds)])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// Two associations feeding one adapter concurrently (a linkset without
// serialisation): every call is tracked and ended.
func TestAdapterConcurrentLinks(t *testing.T) {
	tr := NewTracker(Config{}, SinkFunc(func(*Event) {}))
	a := NewAdapter(tr, AdapterConfig{Variant: isup.ITU})
	ctx := context.Background()
	done := make(chan struct{})
	for g := 0; g < 2; g++ {
		var inds []*m3ua.Indication
		for c := 0; c < 100; c++ {
			for _, s := range callMessages(uint16(g*100 + c)) {
				inds = append(inds, ind("l"+string(rune('a'+g)), SIISUP, s.opc, s.dpc, encode(t, isup.ITU, s.m), t0))
			}
		}
		go func() {
			defer func() { done <- struct{}{} }()
			for _, in := range inds {
				a.HandleData(ctx, in)
			}
		}()
	}
	<-done
	<-done
	if s := tr.Stats(); s.Calls != 200 || s.Ended != 200 || s.Active != 0 || a.Stats().ISUP != 1200 {
		t.Errorf("tracker %+v adapter %+v", s, a.Stats())
	}
}

// An IAM whose optional part is damaged after the numbers (a parameter length
// past the end) is still tracked with its numbers, counted and logged without
// them; so is one with more unknown parameters than the decoder keeps.
func TestAdapterTracksPartialIAM(t *testing.T) {
	r := &rec{}
	tr := NewTracker(Config{}, r)
	var logBuf bytes.Buffer
	a := NewAdapter(tr, AdapterConfig{Variant: isup.ITU, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	ctx := context.Background()
	good := encode(t, isup.ITU, iam(300, "0301234567", "0409876543"))
	// replace end-of-optional-parameters with a parameter running past the end
	bad := append(append([]byte(nil), good[:len(good)-1]...), 0xFE, 0x20, 0x01)
	a.HandleData(ctx, ind("eu", SIISUP, pcA, pcB, bad, t0))
	many := append([]byte(nil), good[:len(good)-1]...)
	many[0], many[1] = 0x2d, 0x01 // CIC 301
	for i := 0; i < isup.MaxRawParams+3; i++ {
		many = append(many, 0xFE, 0x01, byte(i))
	}
	many = append(many, 0)
	a.HandleData(ctx, ind("eu", SIISUP, pcA, pcB, many, t0.Add(time.Second)))
	if got := r.kinds(); got != "attempt#1 attempt#2" {
		t.Fatalf("events %s", got)
	}
	if r.ev[0].Circuit.CIC != 300 || r.ev[0].Called.String() != "0301234567" || r.ev[0].Calling.String() != "0409876543" {
		t.Errorf("partial IAM tracked as cic %d called %q calling %q", r.ev[0].Circuit.CIC, r.ev[0].Called.String(), r.ev[0].Calling.String())
	}
	if r.ev[1].Circuit.CIC != 301 || r.ev[1].Called.String() != "0301234567" {
		t.Errorf("IAM with many params tracked as cic %d called %q", r.ev[1].Circuit.CIC, r.ev[1].Called.String())
	}
	if s := a.Stats(); s.ISUP != 2 || s.ISUPPartial != 2 || s.ISUPBad != 0 {
		t.Errorf("stats %+v", s)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "partially decoded") || !strings.Contains(logs, "damage=") {
		t.Errorf("no log line for the partial IAM: %q", logs)
	}
	for _, d := range []string{"0301234567", "0409876543"} {
		if strings.Contains(logs, d) {
			t.Errorf("log contains number %s: %q", d, logs)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	if err := a.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "tdmtap_call_adapter_isup_partial_total"); err != nil || n != 1 {
		t.Errorf("gathered %d: %v", n, err)
	}
}
