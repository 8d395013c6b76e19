package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

// Crash resume.
//
// With Config.Sessions set, every intercept is recorded while it runs
// (store.Session: LIID, CIN, circuit, originating point code, parties,
// next IRI and CC sequence numbers, and in Extra what the IRI needs again:
// direction, destinations and their CC formats, alerting and answer times,
// the call's numbers as ISUP parameters). The record is written when the
// intercept starts, rewritten on alerting and answer, its sequence numbers
// after every IRI and every CheckpointEvery CC PDUs, and it is removed when
// the intercept ends. Writes go through one ordered writer goroutine, so
// the signalling and content paths never wait for the disk.
//
// New loads the records left by the previous run (a crash, or a stop with
// calls still up), keyed by circuit. The tracker of the new run knows none
// of these calls, so their next message arrives as a call.Orphan event; the
// bridge then rebuilds each intercept with the same LIID and CIN and
// continues its sequence numbers from the recorded values (written after
// the PDUs they count went out: at worst some numbers repeat, which the
// handover allows after a reconnect, never a gap). The orphan message is
// handled like the live event (ACM/CPG, ANM/CON, SUS/RES: IRI-CONTINUE; REL,
// RLC: IRI-END); content restarts at once when the call had been answered,
// otherwise on ANM. If the warrant is no longer in force, IRI-END is sent
// and the intercept dropped. A new IAM, a reset or a hardware block on the
// circuit ends a pending or resumed intercept (its call ended unseen);
// Tick ends pending records whose warrant has ended and resumed or pending
// intercepts idle for longer than ResumeTimeout.

// SessionRecorder persists intercepts in progress (*store.Store).
type SessionRecorder interface {
	SessionStarted(s store.Session) error
	SessionUpdated(s store.Session) error
	SessionEnded(liid string, cin uint32) error
	Sessions() ([]store.Session, error)
}

// DefaultCheckpointEvery is the default number of CC PDUs between
// sequence-number checkpoints of a recorded intercept.
const DefaultCheckpointEvery = 64

// DefaultResumeTimeout bounds how long a recorded intercept waits for its
// circuit's next message, and how long a resumed one may stay silent.
const DefaultResumeTimeout = 24 * time.Hour

// ReasonEndedUnseen: a resumed or pending intercept whose call ended while
// the gateway could not see it.
const ReasonEndedUnseen = "ended-unseen"

// resumeExtra is the bridge's part of a session record (store.Session.Extra).
type resumeExtra struct {
	Dir      uint8             `json:"dir"`
	Delivery uint8             `json:"delivery"`
	Dests    []string          `json:"dests"`
	Formats  []config.CCFormat `json:"formats"`
	Alerted  time.Time         `json:"alerted,omitzero"`
	Answered time.Time         `json:"answered,omitzero"`
	Numbers  []resumeNumber    `json:"numbers,omitempty"`
}

// resumeNumber is one of the call's numbers: which field, its ISUP
// parameter code and value.
type resumeNumber struct {
	Field uint8  `json:"f"`
	Code  uint8  `json:"c"`
	Param []byte `json:"p"`
}

// numberFields are the call's numbers in a fixed order (resumeNumber.Field)
// with their warrant role.
func numberFields(e *call.Event) [8]*isup.Number {
	return [8]*isup.Number{&e.Calling, &e.Called, &e.OriginalCalled, &e.Redirecting,
		&e.RedirectionNumber, &e.Connected, &e.Generic, &e.Charge}
}

var numberRoles = [8]warrant.Role{warrant.RoleCalling, warrant.RoleCalled, warrant.RoleOriginalCalled,
	warrant.RoleRedirecting, warrant.RoleRedirection, warrant.RoleConnected, warrant.RoleGeneric, warrant.RoleCharge}

// persist writes the session's full record (start, alerting, answer).
// s.mu is held.
func (s *session) persist(e *call.Event) {
	b := s.b
	if b.rec == nil || s.ended {
		return
	}
	x := resumeExtra{Dir: uint8(s.dir), Delivery: uint8(s.w.Delivery), Dests: s.dests, Formats: s.ccFmt,
		Alerted: s.alertedAt, Answered: s.answerAt}
	rec := &store.Session{LIID: s.w.LIID, CIN: s.cin, NI: s.circ.NI, PCA: s.circ.PCA, PCB: s.circ.PCB, CIC: s.circ.CIC,
		CallID: e.CallID, OrigPC: s.origPC, Started: s.started, IRISeq: s.iriSeq, CCSeq: s.ccSeq}
	for i, n := range numberFields(e) {
		if !n.Present {
			continue
		}
		x.Numbers = append(x.Numbers, resumeNumber{Field: uint8(i), Code: uint8(n.Code), Param: n.AppendParam(nil)})
		rec.Parties = append(rec.Parties, store.Party{Role: numberRoles[i], NAI: n.NAI, Digits: string(n.Digits())})
	}
	var err error
	if rec.Extra, err = json.Marshal(&x); err != nil {
		return
	}
	b.rec.start(rec)
	s.recorded = true
	s.ccSince = 0
}

// ---- the ordered writer ----

const (
	opStart = iota + 1
	opSeq
	opEnd
	opFlush
)

type recOp struct {
	kind    uint8
	liid    string
	cin     uint32
	iri, cc uint32
	sess    *store.Session
	done    chan struct{}
}

type sessKey struct {
	liid string
	cin  uint32
}

// sessionWriter applies record operations in order on its own goroutine.
// Enqueueing never blocks; when the queue is full the operation is dropped
// and counted (a lost sequence update only means more duplicates after a
// restart).
type sessionWriter struct {
	r       SessionRecorder
	log     *slog.Logger
	ch      chan recOp
	done    chan struct{}
	m       map[sessKey]*store.Session
	mu      sync.RWMutex // guards closed against enqueues
	closed  bool
	dropped atomic.Uint64
	failed  atomic.Uint64
}

func newSessionWriter(r SessionRecorder, log *slog.Logger, loaded []store.Session) *sessionWriter {
	w := &sessionWriter{r: r, log: log, ch: make(chan recOp, 8192), done: make(chan struct{}), m: map[sessKey]*store.Session{}}
	for i := range loaded {
		s := loaded[i]
		w.m[sessKey{s.LIID, s.CIN}] = &s
	}
	go w.run()
	return w
}

func (w *sessionWriter) put(op recOp) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return
	}
	select {
	case w.ch <- op:
	default:
		w.dropped.Add(1)
	}
}

func (w *sessionWriter) start(s *store.Session) { w.put(recOp{kind: opStart, sess: s}) }
func (w *sessionWriter) seq(liid string, cin, iri, cc uint32) {
	w.put(recOp{kind: opSeq, liid: liid, cin: cin, iri: iri, cc: cc})
}
func (w *sessionWriter) end(liid string, cin uint32) { w.put(recOp{kind: opEnd, liid: liid, cin: cin}) }

// flush waits until every operation enqueued before it is written.
func (w *sessionWriter) flush(ctx context.Context) error {
	done := make(chan struct{})
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return nil
	}
	select {
	case w.ch <- recOp{kind: opFlush, done: done}:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close writes what is queued and stops the writer.
func (w *sessionWriter) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return
	}
	w.closed = true
	close(w.ch)
	w.mu.Unlock()
	<-w.done
}

func (w *sessionWriter) run() {
	defer close(w.done)
	for op := range w.ch {
		var err error
		switch op.kind {
		case opStart:
			k := sessKey{op.sess.LIID, op.sess.CIN}
			w.m[k] = op.sess
			err = w.r.SessionStarted(*op.sess)
		case opSeq:
			s := w.m[sessKey{op.liid, op.cin}]
			if s == nil {
				continue
			}
			s.IRISeq, s.CCSeq = op.iri, op.cc
			err = w.r.SessionUpdated(*s)
		case opEnd:
			delete(w.m, sessKey{op.liid, op.cin})
			err = w.r.SessionEnded(op.liid, op.cin)
		case opFlush:
			close(op.done)
		}
		if err != nil {
			w.failed.Add(1)
			w.log.Error("intercept session record not written", "err", err)
		}
	}
}

// FlushSessions waits until every session record operation so far is
// written (a no-op without Config.Sessions).
func (b *Bridge) FlushSessions(ctx context.Context) error {
	if b.rec == nil {
		return nil
	}
	return b.rec.flush(ctx)
}

// ---- loading and resuming ----

// pendingCall is a circuit whose intercepts were recorded by a previous run.
type pendingCall struct {
	recs []store.Session
}

// loadSessions reads the previous run's records, keyed by circuit.
func (b *Bridge) loadSessions() ([]store.Session, error) {
	ss, err := b.cfg.Sessions.Sessions()
	if err != nil {
		return nil, fmt.Errorf("bridge: the previous run's intercepts: %w", err)
	}
	for _, s := range ss {
		k := call.CircuitKey{NI: s.NI, CIC: s.CIC, PCA: s.PCA, PCB: s.PCB}
		p := b.pending[k]
		if p == nil {
			p = &pendingCall{}
			b.pending[k] = p
		}
		p.recs = append(p.recs, s)
	}
	b.resumable.Store(int64(len(b.pending)))
	if len(ss) > 0 {
		b.log.Info("intercepts in progress at the last stop; resuming on their circuits' next message",
			"intercepts", len(ss), "circuits", len(b.pending))
	}
	return ss, nil
}

func (b *Bridge) findWarrant(liid string) *warrant.Warrant {
	set := b.cfg.Warrants.Load()
	if set == nil {
		return nil
	}
	for _, w := range set.Warrants() {
		if w.LIID == liid {
			return w
		}
	}
	return nil
}

// restore rebuilds a session from its record; w nil or not in force at at
// gives a session that can only end (its warrant is a stub).
func (b *Bridge) restore(rec *store.Session, x *resumeExtra, w *warrant.Warrant) *session {
	if w == nil {
		w = &warrant.Warrant{LIID: rec.LIID, Destinations: x.Dests, Delivery: warrant.Delivery(x.Delivery)}
	}
	s := &session{
		b:         b,
		w:         w,
		cin:       rec.CIN,
		dir:       hi2.Direction(x.Dir),
		dests:     x.Dests,
		ccFmt:     x.Formats,
		circ:      call.CircuitKey{NI: rec.NI, CIC: rec.CIC, PCA: rec.PCA, PCB: rec.PCB},
		origPC:    rec.OrigPC,
		buf:       make([]byte, 0, 1024),
		nb:        make([]byte, 0, 64),
		started:   rec.Started,
		iriSeq:    rec.IRISeq,
		ccSeq:     rec.CCSeq,
		alertedAt: x.Alerted,
		answerAt:  x.Answered,
		recorded:  true,
	}
	for len(s.ccFmt) < len(s.dests) {
		s.ccFmt = append(s.ccFmt, config.IPMMCC)
	}
	for _, f := range s.ccFmt {
		if f == config.PstnIsdnCC {
			s.pstn = true
		} else {
			s.ipmm = true
		}
	}
	s.hdr = headerTemplate(&b.cfg.Node, rec.LIID)
	s.hdr.CIN = s.cin
	return s
}

func decodeExtra(rec *store.Session) (*resumeExtra, error) {
	var x resumeExtra
	if err := json.Unmarshal(rec.Extra, &x); err != nil {
		return nil, fmt.Errorf("intercept record: %w", err)
	}
	return &x, nil
}

// baseEvent is the call as the record knows it: circuit, direction,
// numbers, timestamps.
func baseEvent(rec *store.Session, x *resumeExtra) *call.Event {
	e := &call.Event{Circuit: call.CircuitKey{NI: rec.NI, CIC: rec.CIC, PCA: rec.PCA, PCB: rec.PCB},
		OrigPC: rec.OrigPC, SeizedAt: rec.Started, AlertedAt: x.Alerted, AnsweredAt: x.Answered}
	fs := numberFields(e)
	for _, n := range x.Numbers {
		if int(n.Field) >= len(fs) {
			continue
		}
		if isup.DecodeNumber(isup.ParamCode(n.Code), n.Param, fs[n.Field]) == nil {
			fs[n.Field].Present = true
			fs[n.Field].Code = isup.ParamCode(n.Code)
		}
	}
	return e
}

// endRecord sends IRI-END for a recorded intercept that cannot continue
// and removes its record.
func (b *Bridge) endRecord(rec *store.Session, at time.Time, reason string) {
	x, err := decodeExtra(rec)
	if err != nil {
		b.log.Error("intercept record unreadable; dropped", "cin", rec.CIN, "err", err)
		b.rec.end(rec.LIID, rec.CIN)
		return
	}
	s := b.restore(rec, x, nil)
	b.m.active.Inc()
	s.mu.Lock()
	s.end(at, nil, reason)
	s.mu.Unlock()
}

// orphan handles a message on a circuit the tracker has no call for: it
// continues a resumed intercept, or rebuilds one from the previous run's
// records. b.mu is held.
func (b *Bridge) orphan(e *call.Event) {
	k := callKey{e.Circuit, 0}
	cs := b.calls[k]
	if cs == nil {
		p := b.pending[e.Circuit]
		if p == nil {
			return
		}
		delete(b.pending, e.Circuit)
		if e.Msg == isup.SAM {
			// Digits of an overlap-dialled call the record cannot place;
			// wait for the backward messages.
			b.pending[e.Circuit] = p
			return
		}
		cs = b.rebuild(p, e)
		if cs == nil {
			b.resumable.Store(int64(len(b.pending) + b.nResumed))
			return
		}
		b.calls[k] = cs
		b.nResumed++
		b.active.Store(int64(len(b.calls)))
		b.resumable.Store(int64(len(b.pending) + b.nResumed))
	}
	cs.last = e.Time
	ev := &b.ev
	*ev = *cs.base
	ev.Time, ev.Msg, ev.FromPC, ev.InBand, ev.ProgressEvent = e.Time, e.Msg, e.FromPC, e.InBand, e.ProgressEvent
	if ev.FromPC == ev.OrigPC {
		ev.By = call.SideOrig
	} else {
		ev.By = call.SideTerm
	}
	switch e.Msg {
	case isup.ACM, isup.CPG:
		ev.Kind = call.AddressComplete
		if e.Msg == isup.CPG {
			ev.Kind = call.Progress
		}
		if e.RedirectionNumber.Present {
			cs.base.RedirectionNumber, ev.RedirectionNumber = e.RedirectionNumber, e.RedirectionNumber
		}
		if cs.base.AlertedAt.IsZero() && (e.Msg == isup.ACM || e.ProgressEvent == isup.EventAlerting) {
			cs.base.AlertedAt, ev.AlertedAt = e.Time, e.Time
		}
	case isup.ANM, isup.CON:
		ev.Kind = call.Answer
		if e.Connected.Present {
			cs.base.Connected, ev.Connected = e.Connected, e.Connected
		}
		if cs.base.AnsweredAt.IsZero() {
			cs.base.AnsweredAt, ev.AnsweredAt = e.Time, e.Time
		}
	case isup.SUS:
		ev.Kind = call.Suspend
	case isup.RES:
		ev.Kind = call.Resume
	case isup.REL:
		ev.Kind = call.Release
		ev.Cause, ev.ReleasedBy, ev.ReleasedAt = e.Cause, ev.By, e.Time
	case isup.RLC:
		ev.Kind, ev.Ends = call.ReleaseComplete, true
		ev.Cause = e.Cause
	default:
		return
	}
	for _, s := range cs.sessions {
		s.event(ev)
	}
	if ev.Kind == call.Release || ev.Kind == call.ReleaseComplete {
		// The tracker does not report the RLC that follows a REL it had no
		// call for: the release ends the resumed intercept.
		b.dropResumed(k)
	}
}

func (b *Bridge) dropResumed(k callKey) {
	delete(b.calls, k)
	b.nResumed--
	b.active.Store(int64(len(b.calls)))
	b.resumable.Store(int64(len(b.pending) + b.nResumed))
}

// rebuild turns a circuit's records into live sessions (nil when none can
// continue).
func (b *Bridge) rebuild(p *pendingCall, e *call.Event) *callState {
	var cs *callState
	for i := range p.recs {
		rec := &p.recs[i]
		x, err := decodeExtra(rec)
		if err != nil {
			b.log.Error("intercept record unreadable; dropped", "cin", rec.CIN, "err", err)
			b.rec.end(rec.LIID, rec.CIN)
			continue
		}
		w := b.findWarrant(rec.LIID)
		if w != nil && !w.Active(e.Time) {
			w = nil
		}
		s := b.restore(rec, x, w)
		b.m.active.Inc()
		b.m.resumed.Inc()
		b.m.nResumed.Add(1)
		if w == nil {
			// The warrant is no longer in force: close the intercept.
			s.mu.Lock()
			s.end(e.Time, nil, ReasonWarrantExpired)
			s.mu.Unlock()
			continue
		}
		b.log.Info("intercept resumed", "cin", s.cin)
		if b.cfg.Auditor != nil {
			b.cfg.Auditor.Record("intercept.resume", slog.String("liid", rec.LIID), slog.Uint64("cin", uint64(rec.CIN)),
				slog.Time("time", e.Time))
		}
		if cs == nil {
			cs = &callState{base: baseEvent(rec, x), last: e.Time}
		}
		cs.sessions = append(cs.sessions, s)
		if !x.Answered.IsZero() && e.Msg != isup.REL && e.Msg != isup.RLC {
			s.mu.Lock()
			s.startContent()
			s.mu.Unlock()
		}
	}
	return cs
}

// supersede ends the pending or resumed intercepts of e's circuit when e
// shows their call is over (a new IAM, a reset, a hardware block). b.mu is
// held.
func (b *Bridge) supersede(e *call.Event) {
	switch {
	case e.Kind == call.Attempt, e.Kind == call.Reset, e.Kind == call.Blocked && e.Hardware:
	default:
		return
	}
	if p := b.pending[e.Circuit]; p != nil {
		delete(b.pending, e.Circuit)
		for i := range p.recs {
			b.endRecord(&p.recs[i], e.Time, ReasonEndedUnseen)
		}
	}
	k := callKey{e.Circuit, 0}
	if cs := b.calls[k]; cs != nil && cs.base != nil {
		for _, s := range cs.sessions {
			s.mu.Lock()
			if !s.ended {
				s.end(e.Time, nil, ReasonEndedUnseen)
			}
			s.mu.Unlock()
		}
		b.dropResumed(k)
	}
	b.resumable.Store(int64(len(b.pending) + b.nResumed))
}

// tickResume ends pending records whose warrant has ended (or is gone), and
// pending or resumed intercepts idle beyond ResumeTimeout. b.mu is held.
func (b *Bridge) tickResume(now time.Time) {
	for ck, p := range b.pending {
		keep := p.recs[:0]
		for i := range p.recs {
			rec := &p.recs[i]
			w := b.findWarrant(rec.LIID)
			switch {
			case w == nil || !now.Before(w.End):
				at := now
				if w != nil {
					at = w.End
				}
				b.endRecord(rec, at, ReasonWarrantExpired)
			case now.Sub(rec.Started) >= b.resumeTimeout:
				b.endRecord(rec, now, ReasonEndedUnseen)
			default:
				keep = append(keep, *rec)
			}
		}
		if len(keep) == 0 {
			delete(b.pending, ck)
		} else {
			p.recs = keep
		}
	}
	for k, cs := range b.calls {
		if cs.base == nil || now.Sub(cs.last) < b.resumeTimeout {
			continue
		}
		for _, s := range cs.sessions {
			s.mu.Lock()
			if !s.ended {
				s.end(now, nil, ReasonEndedUnseen)
			}
			s.mu.Unlock()
		}
		b.dropResumed(k)
	}
	b.resumable.Store(int64(len(b.pending) + b.nResumed))
}
