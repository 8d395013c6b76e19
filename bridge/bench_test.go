package bridge

import (
	"sync"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
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
