package main

import (
	"testing"
	"time"
)

func TestBucketQuantile(t *testing.T) {
	before := make([]float64, len(waitBounds))
	after := make([]float64, len(waitBounds))
	if got := bucketQuantile(before, after, 0.5); got != 0 {
		t.Fatalf("no observations: %v", got)
	}
	// 100 observations: 90 ≤ 1 ms, 9 ≤ 5 ms, 1 beyond 5 s.
	for i, b := range waitBounds {
		switch {
		case b < 0:
			after[i] = 100
		case b >= 5*time.Millisecond:
			after[i] = 99
		case b >= time.Millisecond:
			after[i] = 90
		}
	}
	if got := bucketQuantile(before, after, 0.5); got != time.Millisecond {
		t.Errorf("p50 %v, want 1ms", got)
	}
	if got := bucketQuantile(before, after, 0.99); got != 5*time.Millisecond {
		t.Errorf("p99 %v, want 5ms", got)
	}
	if got := bucketQuantile(before, after, 1); got != -1 {
		t.Errorf("max %v, want -1 (beyond 5 s)", got)
	}
	if boundText(-1) != "> 5s" || boundText(0) != "n/a" || boundText(time.Millisecond) != "≤ 1ms" {
		t.Error("boundText")
	}
}
