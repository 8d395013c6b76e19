package bridge

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
)

type discard struct{}

func (discard) SendIRI(string, []byte) {}
func (discard) SendCC(string, []byte)  {}

// nonTargetEvents is a whole non-target call as the tracker reports it.
func nonTargetEvents() []call.Event {
	base := call.Event{Time: t0, Circuit: call.MakeKey(2, pcA, pcB, 7), CallID: 99, OrigPC: pcA,
		Called: num(isup.PCalledPartyNumber, other), Calling: num(isup.PCallingPartyNumber, other2),
		OriginalCalled: num(isup.POriginalCalledNumber, "2079461111"), Generic: num(isup.PGenericNumber, "2079462222")}
	var evs []call.Event
	for _, k := range []call.EventKind{call.Attempt, call.AddressComplete, call.Answer, call.Release, call.ReleaseComplete} {
		e := base
		e.Kind = k
		e.Ends = k == call.ReleaseComplete
		if k == call.Release {
			e.Cause = isup.Cause{Present: true, Location: 2, Value: 16}
		}
		evs = append(evs, e)
	}
	return evs
}

// liveIntercept starts one answered intercept (so the bridge's table is not
// empty and non-target events take the full path) and returns the env.
func liveIntercept(tb testing.TB, out Output, format config.CCFormat) *env {
	e := newEnv(tb, func(c *Config) {
		c.Output = out
		c.Destinations = map[string]config.CCFormat{"lemf1": format}
		c.Logger = nil
	})
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	return e
}

func TestNonTargetEventNoAllocs(t *testing.T) {
	e := liveIntercept(t, discard{}, config.IPMMCC)
	evs := nonTargetEvents()
	allocs := testing.AllocsPerRun(200, func() {
		for i := range evs {
			e.b.CallEvent(&evs[i])
		}
	})
	if allocs != 0 {
		t.Errorf("non-target call: %.1f allocs", allocs)
	}
	if e.b.Stats().Started != 1 {
		t.Errorf("started %d", e.b.Stats().Started)
	}
}

func TestChunkNoAllocs(t *testing.T) {
	for _, f := range []config.CCFormat{config.IPMMCC, config.PstnIsdnCC} {
		e := liveIntercept(t, discard{}, f)
		e.feed(160)
		slots := make([]byte, 160*width)
		allocs := testing.AllocsPerRun(200, func() {
			e.dm.Frames(spanAtB, e.frame, 160, slots, width)
			e.frame += 160
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocs per chunk", f, allocs)
		}
		if e.b.Stats().CC < 200 {
			t.Errorf("%s: %d CC PDUs", f, e.b.Stats().CC)
		}
	}
}

// TestConcurrentEventsAndChunks runs content on a demultiplexer goroutine
// while the signaling goroutine starts and ends intercepts (run with -race).
func TestConcurrentEventsAndChunks(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Output = discard{}; c.Logger = nil })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		slots := make([]byte, 80*width)
		frame := uint64(0)
		for {
			select {
			case <-stop:
				return
			default:
			}
			e.dm.Frames(spanAtB, frame, 80, slots, width)
			e.dm.Frames(spanBtA, frame, 80, slots, width)
			frame += 80
		}
	}()
	for i := range 200 {
		cic := uint16(1 + i%15)
		e.send(time.Second, pcA, iam(cic, other, tgt1))
		e.send(time.Second, pcB, msg(isup.ANM, cic))
		e.b.Tick(e.at)
		e.send(time.Second, pcA, rel(cic, 16))
		e.send(time.Second, pcB, msg(isup.RLC, cic))
	}
	close(stop)
	wg.Wait()
	if s := e.b.Stats(); s.Started != 200 || s.Ended != 200 || s.Active != 0 {
		t.Errorf("stats %+v", s)
	}
}

func BenchmarkNonTargetCall(b *testing.B) {
	e := liveIntercept(b, discard{}, config.IPMMCC)
	evs := nonTargetEvents()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range evs {
			e.b.CallEvent(&evs[i])
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

func benchChunk(b *testing.B, f config.CCFormat) {
	e := liveIntercept(b, discard{}, f)
	e.feed(160)
	var d *ccDir
	for _, cs := range e.b.calls {
		d = cs.sessions[0].dirs[0]
	}
	chunk := make([]byte, 160)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	frame := e.frame
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d.chunk(chunk, frame)
		frame += 160
	}
	// One direction produces a chunk every 20 ms: how many directions one
	// core keeps up with.
	b.ReportMetric(float64(20*time.Millisecond)/(float64(b.Elapsed())/float64(b.N)), "directions/core")
}

func BenchmarkChunkIPMMCC(b *testing.B)     { benchChunk(b, config.IPMMCC) }
func BenchmarkChunkPstnIsdnCC(b *testing.B) { benchChunk(b, config.PstnIsdnCC) }

// signalingPath builds the M3UA indications of n non-target calls (IAM,
// ACM, ANM, REL, RLC on n circuits) for the adapter → tracker → bridge path.
func signalingPath(tb testing.TB, n int) []*m3ua.Indication {
	var inds []*m3ua.Indication
	add := func(from, to uint32, m *isup.Message) {
		b, err := m.Append(isup.ITU, nil)
		if err != nil {
			tb.Fatal(err)
		}
		inds = append(inds, &m3ua.Indication{Link: "l", Received: t0,
			PD: m3ua.ProtocolData{OPC: from, DPC: to, SI: call.SIISUP, NI: 2, SLS: 1, Payload: b}})
	}
	for c := range n {
		cic := uint16(100 + c)
		m := iam(cic, other, other2)
		m.OriginalCalled = num(isup.POriginalCalledNumber, "2079461111")
		add(pcA, pcB, m)
		add(pcB, pcA, msg(isup.ACM, cic))
		add(pcB, pcA, msg(isup.ANM, cic))
		add(pcA, pcB, rel(cic, 16))
		add(pcB, pcA, msg(isup.RLC, cic))
	}
	return inds
}

func TestSignalingPathNoAllocs(t *testing.T) {
	e := liveIntercept(t, discard{}, config.IPMMCC)
	a := call.NewAdapter(e.tr, call.AdapterConfig{Variant: isup.ITU})
	inds := signalingPath(t, 4)
	ctx := context.Background()
	for _, in := range inds { // first use of each circuit may allocate its state
		a.HandleData(ctx, in)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, in := range inds {
			a.HandleData(ctx, in)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocs per %d non-target messages", allocs, len(inds))
	}
	if s := e.b.Stats(); s.Started != 1 || s.Matches < 400 {
		t.Errorf("stats %+v", s)
	}
}

// BenchmarkSignalingPath: ISUP decode, call tracking and the bridge's
// non-target path together, per message, with one intercept live.
func BenchmarkSignalingPath(b *testing.B) {
	e := liveIntercept(b, discard{}, config.IPMMCC)
	a := call.NewAdapter(e.tr, call.AdapterConfig{Variant: isup.ITU})
	inds := signalingPath(b, 1024)
	ctx := context.Background()
	for _, in := range inds {
		a.HandleData(ctx, in)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		a.HandleData(ctx, inds[i])
		if i++; i == len(inds) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
