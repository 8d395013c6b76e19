package main

import (
	"fmt"
	"time"

	"github.com/tdmtap/tdmtap/test/e2e"
)

// waitBuckets are the upper bounds of tdmtap_deliver_cc_queue_wait_seconds
// as the text exposition prints them.
var waitBuckets = []string{"0.0001", "0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.5", "1", "5", "+Inf"}

var waitBounds = []time.Duration{100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond,
	5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	500 * time.Millisecond, time.Second, 5 * time.Second, -1}

// ccWaitBuckets reads the gateway's cumulative HI3 queue-wait buckets for
// the load runs' LEMF destination.
func ccWaitBuckets(gw e2e.Gateway) []float64 {
	out := make([]float64, len(waitBuckets))
	for i, le := range waitBuckets {
		out[i] = gw.Metric(fmt.Sprintf(`tdmtap_deliver_cc_queue_wait_seconds_bucket{dest="lemf",hi="hi3",le="%s"}`, le))
	}
	return out
}

// bucketQuantile returns the upper bound of the bucket holding the
// q-quantile of the observations between two cumulative readings
// (-1: beyond the last finite bound; 0: no observations).
func bucketQuantile(before, after []float64, q float64) time.Duration {
	if len(before) != len(after) || len(after) == 0 {
		return 0
	}
	total := after[len(after)-1] - before[len(before)-1]
	if total <= 0 {
		return 0
	}
	for i := range after {
		if after[i]-before[i] >= q*total {
			return waitBounds[i]
		}
	}
	return -1
}

func boundText(d time.Duration) string {
	switch {
	case d < 0:
		return "> 5s"
	case d == 0:
		return "n/a"
	}
	return "≤ " + d.String()
}
