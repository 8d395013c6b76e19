package switchsim

import (
	"testing"
	"time"
)

func TestLagPercentile(t *testing.T) {
	var b bearer
	if got := b.lagPercentile(0.99); got != 0 {
		t.Fatalf("empty: %v, want 0", got)
	}
	b.lagHist[0] = 98           // sent within 1 ms of due
	b.lagHist[7] = 1            // 7..8 ms late
	b.lagHist[lagBuckets-1] = 1 // beyond the histogram
	if got := b.lagPercentile(0.5); got != time.Millisecond {
		t.Errorf("p50 %v, want 1ms", got)
	}
	if got := b.lagPercentile(0.99); got != 8*time.Millisecond {
		t.Errorf("p99 %v, want 8ms", got)
	}
	if got := b.lagPercentile(1); got != lagBuckets*time.Millisecond {
		t.Errorf("max %v, want %v", got, lagBuckets*time.Millisecond)
	}
}
