package bridge

import (
	"sync"
	"time"
)

// MaxCIN bounds communication identity numbers: TS 101 671 carries the CIN
// as at most 8 ASCII digits, so IRI and CC correlate only below 10^8.
const MaxCIN = 100_000_000

// CINAllocator hands out communication identity numbers, unique per LIID,
// below MaxCIN. Next is called when an intercept starts (signaling
// goroutine, bridge lock held): it must be fast.
type CINAllocator interface {
	Next(liid string) uint32
}

// ClockCIN allocates CINs from one counter shared by all LIIDs (so a call
// matching two warrants gets two different numbers) that never falls behind
// the wall clock in seconds since CINEpoch: CIN = max(previous+1, seconds
// since the epoch) mod 10^8, skipping 0.
//
// Restart behaviour, without any persistence: a restarted gateway starts
// from the current second, which is above every CIN the previous run handed
// out as long as that run started intercepts at no more than one per second
// on average (the counter only runs ahead of the clock under bursts, and
// catches up afterwards). The numbers wrap after 10^8 s (about 3.2 years).
// A durable allocator (the HI1 store) can replace it through the
// CINAllocator interface.
type ClockCIN struct {
	mu   sync.Mutex
	now  func() time.Time
	last uint64
}

// CINEpoch is ClockCIN's zero: 2024-01-01T00:00:00Z.
var CINEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// NewClockCIN returns a clock-seeded allocator; now nil means time.Now.
func NewClockCIN(now func() time.Time) *ClockCIN {
	if now == nil {
		now = time.Now
	}
	return &ClockCIN{now: now}
}

// Next implements CINAllocator.
func (c *ClockCIN) Next(string) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.last + 1
	if s := c.now().Sub(CINEpoch); s > 0 {
		if sec := uint64(s / time.Second); sec > n {
			n = sec
		}
	}
	c.last = n
	v := uint32(n % MaxCIN)
	if v == 0 {
		c.last++
		v = 1
	}
	return v
}
