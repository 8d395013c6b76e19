package main

import (
	"context"
	"testing"
	"time"
)

// BenchmarkEndToEndSignalling: ISUP calls blasted over M3UA/TCP into the
// in-process gateway (1 in 100 with a target, IRI only). Reports MSU/s and
// the IRI latency. Every iteration is a whole run of 20 000 calls.
func BenchmarkEndToEndSignalling(b *testing.B) {
	var last *SigResult
	for range b.N {
		r, err := Signalling(context.Background(), Options{Calls: 20_000, CICs: 4000, TargetEvery: 100})
		if err != nil {
			b.Fatal(err)
		}
		last = r
	}
	b.ReportMetric(last.MSUPerSec, "MSU/s")
	b.ReportMetric(float64(last.IRIP50.Microseconds())/1000, "iri-p50-ms")
	b.ReportMetric(float64(last.IRIP99.Microseconds())/1000, "iri-p99-ms")
	b.ReportMetric(last.CPU, "cores")
	b.Logf("\n%s", last)
}

// BenchmarkEndToEndContent: 300 concurrent intercepted calls with their
// bearer (CESoPSN) through the in-process gateway; `go run ./test/load`
// runs the 2,000-call version. Reports the content latency of the sample.
func BenchmarkEndToEndContent(b *testing.B) {
	var last *ContentResult
	for range b.N {
		r, err := Content(context.Background(), Options{Concurrent: 300, Ramp: 2 * time.Second, Hold: 4 * time.Second,
			FramesPerPacket: 40, Jitter: 10 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		last = r
	}
	b.ReportMetric(float64(last.CCP50.Microseconds())/1000, "cc-p50-ms")
	b.ReportMetric(float64(last.CCP99.Microseconds())/1000, "cc-p99-ms")
	b.ReportMetric(float64(last.PeakActive), "peak-intercepts")
	b.ReportMetric(last.CPU, "cores")
	b.Logf("\n%s", last)
}

// TestSignallingSmall keeps the load generator honest in make test: a
// small run must reach the gateway and produce the targets' IRI.
func TestSignallingSmall(t *testing.T) {
	r, err := Signalling(context.Background(), Options{Calls: 2000, CICs: 1000, TargetEvery: 100})
	if err != nil {
		t.Fatal(err)
	}
	if r.IRIs < r.ExpectedIRI {
		t.Errorf("%d IRI PDUs, want %d", r.IRIs, r.ExpectedIRI)
	}
	t.Log(r)
}
