package expect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// IRIRecord is one IRI PDU as received.
type IRIRecord struct {
	LIID     string
	CIN      uint32
	Seq      uint32
	Time     time.Time // PS-PDU header time
	Received time.Time
	Rec      hi2.Record
}

// CCRecord is one CC PDU as received.
type CCRecord struct {
	LIID      string
	CIN       uint32
	Seq       uint32
	Direction uint8
	Kind      uint32 // hi3.ContentsIPMMCC or hi3.ContentsPstnIsdnCC
	Data      []byte // RTP packet (iPMMCC) or octets (pstnIsdnCC), copied
	StreamID  string
	CCLinkID  uint64
	Time      time.Time // PS-PDU header time
	Received  time.Time
}

// Observed is everything a LEMF received.
type Observed struct {
	IRI []IRIRecord
	CC  []CCRecord
	// Keepalives answered; Other PDUs (neither IRI nor CC nor keepalive);
	// Errors: PDUs that did not decode.
	Keepalives int
	Other      int
	Errors     []string
}

// Collector is a minimal in-process LEMF: it accepts HI2 and HI3 TCP
// connections (plain TCP), answers keep-alives, decodes every PS-PDU and
// keeps it. It can be stopped and restarted on the same addresses to play
// a LEMF outage.
type Collector struct {
	mu    sync.Mutex
	obs   Observed
	addrs [2]string
	lns   []net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	// OnPDU, when set before Listen, is called for every IRI/CC PDU (in
	// the connection's goroutine).
	OnPDU func(kind psdu.Kind, pdu *psdu.PDU, received time.Time)
	// Keep, when set before Listen, selects the LIIDs whose PDUs are
	// decoded and kept; the others are only counted (load runs).
	Keep func(liid string) bool

	nIRI, nCC int // PDUs received, kept or not
}

// NewCollector returns a collector (not listening yet).
func NewCollector() *Collector { return &Collector{conns: map[net.Conn]struct{}{}} }

// Listen binds the HI2 and HI3 addresses ("127.0.0.1:0" picks free ports).
func (c *Collector) Listen(hi2Addr, hi3Addr string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, a := range []string{hi2Addr, hi3Addr} {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range c.lns {
				_ = l.Close()
			}
			c.lns = nil
			return fmt.Errorf("expect: collector listen: %w", err)
		}
		c.addrs[i] = ln.Addr().String()
		c.lns = append(c.lns, ln)
		c.wg.Add(1)
		go c.accept(ln)
	}
	return nil
}

// Addrs returns the bound HI2 and HI3 addresses.
func (c *Collector) Addrs() (hi2Addr, hi3Addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addrs[0], c.addrs[1]
}

// Stop closes the listeners and every connection (a LEMF outage); what was
// received is kept.
func (c *Collector) Stop() {
	c.mu.Lock()
	for _, l := range c.lns {
		_ = l.Close()
	}
	c.lns = nil
	for conn := range c.conns {
		_ = conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Restart listens again on the addresses bound first.
func (c *Collector) Restart() error {
	a, b := c.Addrs()
	return c.Listen(a, b)
}

// Close is Stop.
func (c *Collector) Close() { c.Stop() }

func (c *Collector) accept(ln net.Listener) {
	defer c.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		c.conns[conn] = struct{}{}
		c.mu.Unlock()
		c.wg.Add(1)
		go c.serve(conn)
	}
}

func (c *Collector) serve(conn net.Conn) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		delete(c.conns, conn)
		c.mu.Unlock()
		_ = conn.Close()
	}()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sc.Split(psdu.Split)
	var p psdu.PDU
	var resp []byte
	var recs []hi2.Record
	var ccs []hi3.Content
	for sc.Scan() {
		now := time.Now()
		b := sc.Bytes()
		if err := psdu.Parse(b, &p); err != nil {
			c.mu.Lock()
			c.obs.Errors = append(c.obs.Errors, err.Error())
			c.mu.Unlock()
			continue
		}
		switch p.Kind {
		case psdu.KindKeepalive:
			h := p.Header
			h.OmitCIN = !p.HasCIN
			resp = psdu.AppendKeepaliveResponse(resp[:0], &h)
			if _, err := conn.Write(resp); err != nil {
				return
			}
			c.mu.Lock()
			c.obs.Keepalives++
			c.mu.Unlock()
		case psdu.KindIRI, psdu.KindCC:
			if c.OnPDU != nil {
				c.OnPDU(p.Kind, &p, now)
			}
			if c.Keep == nil || c.Keep(p.Header.LIID) {
				c.keep(&p, now, &recs, &ccs)
				continue
			}
			c.mu.Lock()
			if p.Kind == psdu.KindIRI {
				c.nIRI++
			} else {
				c.nCC++
			}
			c.mu.Unlock()
		default:
			c.mu.Lock()
			c.obs.Other++
			c.mu.Unlock()
		}
	}
}

// keep decodes and stores one IRI or CC PDU.
func (c *Collector) keep(p *psdu.PDU, now time.Time, recs *[]hi2.Record, ccs *[]hi3.Content) {
	switch p.Kind {
	case psdu.KindIRI:
		var err error
		*recs, err = hi2.DecodePayload(p.Payload, (*recs)[:0])
		c.mu.Lock()
		c.nIRI++
		if err != nil {
			c.obs.Errors = append(c.obs.Errors, err.Error())
		}
		for _, r := range *recs {
			r.ParamsRaw = nil
			c.obs.IRI = append(c.obs.IRI, IRIRecord{LIID: p.Header.LIID, CIN: p.Header.CIN, Seq: p.Header.Seq,
				Time: p.Header.Time, Received: now, Rec: r})
		}
		c.mu.Unlock()
	case psdu.KindCC:
		var err error
		*ccs, err = hi3.DecodePayload(p.Payload, (*ccs)[:0])
		c.mu.Lock()
		c.nCC++
		if err != nil {
			c.obs.Errors = append(c.obs.Errors, err.Error())
		}
		for _, x := range *ccs {
			c.obs.CC = append(c.obs.CC, CCRecord{LIID: p.Header.LIID, CIN: p.Header.CIN, Seq: p.Header.Seq,
				Direction: x.Direction, Kind: x.Kind, Data: append([]byte(nil), x.Data...), StreamID: string(x.StreamID),
				CCLinkID: x.CCLinkID, Time: p.Header.Time, Received: now})
		}
		c.mu.Unlock()
	}
}

// Observed returns a copy of what was received so far.
func (c *Collector) Observed() *Observed {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := &Observed{Keepalives: c.obs.Keepalives, Other: c.obs.Other}
	o.IRI = append(o.IRI, c.obs.IRI...)
	o.CC = append(o.CC, c.obs.CC...)
	o.Errors = append(o.Errors, c.obs.Errors...)
	return o
}

// Counts returns the number of IRI and CC PDUs received so far (kept or
// not).
func (c *Collector) Counts() (iri, cc int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nIRI, c.nCC
}

// WaitQuiet waits until nothing new arrived for quiet (or ctx ends, then
// its error is returned).
func (c *Collector) WaitQuiet(ctx context.Context, quiet time.Duration) error {
	li, lc := -1, -1
	last := time.Now()
	t := time.NewTicker(quiet / 10)
	defer t.Stop()
	for {
		i, cc := c.Counts()
		if i != li || cc != lc {
			li, lc, last = i, cc, time.Now()
		} else if time.Since(last) >= quiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("expect: collector still receiving: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// WaitFor polls cond (with the observations so far) until it holds or ctx
// ends.
func (c *Collector) WaitFor(ctx context.Context, cond func(iri, cc int) bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if cond(c.Counts()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(errors.New("expect: condition not reached"), ctx.Err())
		case <-t.C:
		}
	}
}
