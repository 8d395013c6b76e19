package bridge

import (
	"fmt"
	"log/slog"
	"time"
)

// CINReserver keeps the CIN counter's reserved high-water mark durably
// (*store.Store of hi/hi1).
type CINReserver interface {
	CINReserved() (uint64, error)
	ReserveCIN(v uint64) error
}

// LeasedCIN is a ClockCIN whose counter survives restarts: it reserves
// blocks of Block counter values in a CINReserver (one durable write per
// block) and a new run starts above the last reservation, so a restart
// never hands out a CIN the previous run used — even within the same
// second, or after a burst that ran the counter ahead of the clock.
type LeasedCIN struct {
	ClockCIN
	st     CINReserver
	block  uint64
	leased uint64
	log    *slog.Logger
}

// NewLeasedCIN starts after the reservation found in st; block <= 0 means
// 1000; now nil means time.Now.
func NewLeasedCIN(now func() time.Time, st CINReserver, block int, log *slog.Logger) (*LeasedCIN, error) {
	if now == nil {
		now = time.Now
	}
	if block <= 0 {
		block = 1000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hw, err := st.CINReserved()
	if err != nil {
		return nil, fmt.Errorf("CIN reservation: %w", err)
	}
	c := &LeasedCIN{ClockCIN: ClockCIN{now: now, last: hw}, st: st, block: uint64(block), leased: hw, log: log}
	return c, nil
}

// Next implements CINAllocator. The reservation is written before a value
// past the previous one is handed out; a failed write is logged and the
// number is handed out anyway (interception goes on).
func (c *LeasedCIN) Next(liid string) uint32 {
	v := c.ClockCIN.Next(liid)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last >= c.leased {
		c.leased = c.last + c.block
		if err := c.st.ReserveCIN(c.leased); err != nil {
			c.log.Error("CIN reservation not written", "err", err)
		}
	}
	return v
}
