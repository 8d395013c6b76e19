package deliver

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestCCQueueWaitObserved: every content PDU written is observed once in
// the queue-wait histogram, with a wait no longer than the test took.
func TestCCQueueWaitObserved(t *testing.T) {
	lemf := startLEMF(t, "", nil)
	reg := prometheus.NewRegistry()
	s := newSession(t, Config{Addr: lemf.addr, HI: HI3, CCSpoolBytes: 1 << 20, Metrics: NewMetrics(reg)})
	start := time.Now()
	const n = 50
	for i := range n {
		if err := s.Send(testPDU(uint32(i), 200)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start).Seconds()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tdmtap_deliver_cc_queue_wait_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != n {
			t.Fatalf("%d waits observed, want %d", h.GetSampleCount(), n)
		}
		if sum := h.GetSampleSum(); sum < 0 || sum > n*took {
			t.Fatalf("wait sum %v s, want within 0..%v", sum, n*took)
		}
		return
	}
	t.Fatal("no tdmtap_deliver_cc_queue_wait_seconds")
}
