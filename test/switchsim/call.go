package switchsim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
)

// Sides of a call.
const (
	sideOrig = "orig"
	sideTerm = "term"
)

// callRun executes one call.
type callRun struct {
	s   *Sim
	ctx context.Context
	p   *plan
	ct  *CallTruth
	m   isup.Message
	buf []byte
	// bearer started per direction
	on [2]bool
}

func (s *Sim) runCall(ctx context.Context, p *plan, ct *CallTruth) error {
	lk := s.locks[p.cic]
	lk.Lock()
	defer lk.Unlock()
	c := &callRun{s: s, ctx: ctx, p: p, ct: ct, buf: make([]byte, 0, 256)}
	err := c.run()
	c.bearerOff() // on error, or a window still open
	return err
}

func (c *callRun) gap() error  { return sleep(c.ctx, c.s.cfg.Gap) }
func (c *callRun) ring() error { return sleep(c.ctx, c.s.cfg.Ring) }

func (c *callRun) bearerOn(d Direction) {
	if !c.on[d] {
		c.on[d] = true
		c.s.bearer.start(&c.ct.Bearer[d])
	}
}

func (c *callRun) bearerOff() {
	for d := range c.on {
		if c.on[d] {
			c.on[d] = false
			c.s.bearer.stop(&c.ct.Bearer[d])
		}
	}
}

func num(n *isup.Number, code isup.ParamCode, t NumberTruth) error {
	*n = isup.Number{Present: true, Code: code, NAI: t.NAI, NPI: 1}
	if code == isup.PCallingPartyNumber {
		n.Screening = 3
	}
	return n.SetDigits(t.Digits)
}

func (c *callRun) run() error {
	p := c.p
	if err := c.iam(); err != nil {
		return err
	}
	for i, d := range p.sams {
		if err := c.gap(); err != nil {
			return err
		}
		c.m.Reset()
		c.m.Type = isup.SAM
		c.m.Subsequent = isup.Number{Present: true, Code: isup.PSubsequentNumber}
		digits := d
		if i == len(p.sams)-1 && c.s.cfg.Variant == isup.ITU {
			digits += "F" // end of pulsing
		}
		if err := c.m.Subsequent.SetDigits(digits); err != nil {
			return err
		}
		if err := c.send(sideOrig, MessageTruth{Digits: d}); err != nil {
			return err
		}
	}
	if err := c.gap(); err != nil {
		return err
	}
	if p.scenario == Busy {
		return c.release(sideTerm, isup.CauseUserBusy)
	}
	if err := c.acm(); err != nil {
		return err
	}
	if p.alerting {
		if err := c.gap(); err != nil {
			return err
		}
		c.m.Reset()
		c.m.Type = isup.CPG
		c.m.Event = isup.EventAlerting
		if err := c.send(sideTerm, MessageTruth{Event: isup.EventAlerting}); err != nil {
			return err
		}
	}
	if p.scenario == Unanswered {
		if err := sleep(c.ctx, 3*c.s.cfg.Ring); err != nil {
			return err
		}
		if p.termRel {
			return c.release(sideTerm, isup.CauseNoAnswer)
		}
		return c.release(sideOrig, isup.CauseNormalClearing)
	}
	if err := c.ring(); err != nil {
		return err
	}
	c.m.Reset()
	c.m.Type = isup.ANM
	if err := c.send(sideTerm, MessageTruth{}); err != nil {
		return err
	}
	c.ct.Answered = true
	c.bearerOn(Forward)
	c.bearerOn(Backward)
	switch p.scenario {
	case SuspendResume:
		if err := sleep(c.ctx, p.hold/2); err != nil {
			return err
		}
		for _, t := range []isup.MsgType{isup.SUS, isup.RES} {
			c.m.Reset()
			c.m.Type = t
			c.m.SuspendResume = 0 // subscriber initiated
			if err := c.send(sideTerm, MessageTruth{}); err != nil {
				return err
			}
			if err := sleep(c.ctx, 2*c.s.cfg.Gap); err != nil {
				return err
			}
		}
		c.ct.Suspended = true
		if err := sleep(c.ctx, p.hold/2); err != nil {
			return err
		}
	default:
		if err := sleep(c.ctx, p.hold); err != nil {
			return err
		}
	}
	if p.scenario == ResetMidCall {
		return c.reset()
	}
	if p.termRel {
		return c.release(sideTerm, isup.CauseNormalClearing)
	}
	return c.release(sideOrig, isup.CauseNormalClearing)
}

func (c *callRun) iam() error {
	p := c.p
	m := &c.m
	m.Reset()
	m.Type = isup.IAM
	m.NCI = 0
	m.FCI = 0x0120 // ISUP used all the way, originating access ISDN
	m.CPC = isup.CPCOrdinary
	m.TMR = isup.TMRSpeech
	called := p.called
	if p.scenario == Overlap {
		called.Digits = called.Digits[:p.iamPart]
	}
	if err := num(&m.Called, isup.PCalledPartyNumber, called); err != nil {
		return err
	}
	if err := num(&m.Calling, isup.PCallingPartyNumber, p.calling); err != nil {
		return err
	}
	if p.ocn != nil {
		if err := num(&m.OriginalCalled, isup.POriginalCalledNumber, *p.ocn); err != nil {
			return err
		}
		if err := num(&m.Redirecting, isup.PRedirectingNumber, *p.rdn); err != nil {
			return err
		}
		r := p.rinfo
		m.RedirectionInfo = isup.NewRedirectionInfo(r.Indicator, r.OriginalReason, r.Counter, r.Reason)
	}
	usi := []byte{0x80, 0x90, 0xA3} // speech, circuit mode 64 kbit/s, G.711 A-law
	if c.s.cfg.Variant == isup.ANSI {
		usi[2] = 0xA2 // µ-law
	}
	if err := m.USI.Set(usi); err != nil {
		return err
	}
	return c.send(sideOrig, MessageTruth{})
}

func (c *callRun) acm() error {
	c.m.Reset()
	c.m.Type = isup.ACM
	c.m.BCI = 0x1416 // charge, subscriber free, ordinary, ISUP all the way, ISDN access
	inband := c.s.cfg.InBand
	if inband {
		c.m.OBCI = isup.OptionalBackwardCallIndicators{Present: true, Value: 1}
	}
	if err := c.send(sideTerm, MessageTruth{InBand: inband}); err != nil {
		return err
	}
	if inband {
		c.bearerOn(Backward) // ringback from the terminating exchange
	}
	return nil
}

func (c *callRun) other(side string) string {
	if side == sideOrig {
		return sideTerm
	}
	return sideOrig
}

func (c *callRun) release(by string, cause uint8) error {
	c.bearerOff()
	c.m.Reset()
	c.m.Type = isup.REL
	c.m.Cause = isup.Cause{Present: true, Location: 2, Value: cause}
	if err := c.send(by, MessageTruth{Cause: cause}); err != nil {
		return err
	}
	c.ct.ReleasedBy, c.ct.Cause = by, cause
	if err := c.gap(); err != nil {
		return err
	}
	c.m.Reset()
	c.m.Type = isup.RLC
	if err := c.send(c.other(by), MessageTruth{}); err != nil {
		return err
	}
	c.ct.Completed = true
	return nil
}

func (c *callRun) reset() error {
	p := c.p
	by := sideOrig
	if p.resetByT {
		by = sideTerm
	}
	var rng uint8
	grs := false
	if p.grs {
		// GRS covers CIC..CIC+1: only when CIC+1 is ours and idle; its
		// call, if any, is let finish first (the conversation goes on
		// meanwhile), for at most 4 holds, else RSC. CIC+1 is held for
		// the reset so no call starts on it meanwhile. Waits only go
		// upwards in CIC order, so they cannot deadlock.
		if lk, ok := c.s.locks[p.cic+1]; ok {
			deadline := time.Now().Add(4 * c.s.cfg.Hold)
			for !grs && time.Now().Before(deadline) && c.ctx.Err() == nil {
				if lk.TryLock() {
					defer lk.Unlock()
					grs, rng = true, 1
					break
				}
				_ = sleep(c.ctx, 5*time.Millisecond)
			}
		}
	}
	c.bearerOff()
	c.m.Reset()
	ack := isup.RLC
	if grs {
		c.m.Type = isup.GRS
		c.m.RangeStatus.SetRange(rng, false)
		ack = isup.GRA
	} else {
		c.m.Type = isup.RSC
	}
	if err := c.send(by, MessageTruth{Range: rng}); err != nil {
		return err
	}
	c.ct.Reset, c.ct.ResetBy = c.m.Type.String(), by
	if err := c.gap(); err != nil {
		return err
	}
	c.m.Reset()
	c.m.Type = ack
	if grs {
		c.m.RangeStatus.SetRange(rng, true)
	}
	if err := c.send(c.other(by), MessageTruth{Range: rng}); err != nil {
		return err
	}
	c.ct.Completed = true
	return nil
}

// send encodes c.m for the call's CIC, sends it from side and records mt.
func (c *callRun) send(side string, mt MessageTruth) error {
	s := c.s
	c.m.CIC = c.p.cic
	var err error
	c.buf, err = c.m.Append(s.cfg.Variant, c.buf[:0])
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.m.Type, err)
	}
	opc, dpc := c.ct.OPC, c.ct.DPC
	if side == sideTerm {
		opc, dpc = dpc, opc
	}
	pd := m3ua.ProtocolData{OPC: opc, DPC: dpc, SI: 5, NI: s.cfg.NI, SLS: c.ct.SLS, Payload: c.buf}
	mt.Type, mt.From, mt.OPC, mt.DPC, mt.CIC = c.m.Type.String(), side, opc, dpc, c.p.cic
	deadline := time.Now().Add(s.cfg.LinkTimeout)
	for {
		mt.Time = time.Now().UTC()
		err = s.ls.SendData(c.ctx, s.cfg.RC, pd)
		if err == nil {
			break
		}
		if !errors.Is(err, m3ua.ErrNotActive) || time.Now().After(deadline) {
			return fmt.Errorf("send %s: %w", mt.Type, err)
		}
		if err := sleep(c.ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
	c.ct.Messages = append(c.ct.Messages, mt)
	return nil
}
