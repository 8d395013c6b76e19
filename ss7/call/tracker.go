package call

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

// Config sets the supervision limits and the table size.
type Config struct {
	// SetupTimeout ends a call that is not answered and has seen no message
	// for this long (default 5 minutes).
	SetupTimeout time.Duration
	// AnsweredTimeout ends an answered or suspended call that has seen no
	// message for this long (default 24 hours: conversations send nothing).
	AnsweredTimeout time.Duration
	// ReleaseTimeout ends a call whose REL was seen but whose RLC was not
	// (default 2 minutes).
	ReleaseTimeout time.Duration
	// Circuits preallocates state for this many circuits, so the first
	// message on each of them does not allocate either.
	Circuits int
}

func (c *Config) defaults() {
	if c.SetupTimeout <= 0 {
		c.SetupTimeout = 5 * time.Minute
	}
	if c.AnsweredTimeout <= 0 {
		c.AnsweredTimeout = 24 * time.Hour
	}
	if c.ReleaseTimeout <= 0 {
		c.ReleaseTimeout = 2 * time.Minute
	}
}

type state uint8

const (
	stIdle      state = iota
	stSetup           // IAM seen
	stAlerting        // ACM seen
	stAnswered        // ANM/CON seen
	stSuspended       // SUS seen
	stReleasing       // REL seen on a call
	stRelNoCall       // REL seen without a call: expecting RLC
	stResetting       // RSC seen: expecting RLC
)

func (s state) hasCall() bool { return s >= stSetup && s <= stReleasing }

type circuit struct {
	key       CircuitKey
	st        state
	blockedA  bool // blocked by PCA
	blockedB  bool // blocked by PCB
	relBy     Side
	activeIdx int32 // index in Tracker.active, -1 when not there
	callID    uint64
	origPC    uint32
	lastAt    time.Time
	seizedAt  time.Time
	alertedAt time.Time
	answerAt  time.Time
	relAt     time.Time
	cause     isup.Cause

	called, calling, ocn, redirecting    isup.Number
	redirection, connected, generic, chg isup.Number
}

// Stats are the tracker's counters.
type Stats struct {
	Messages       uint64 // messages handled
	Calls          uint64 // calls started (Attempt events)
	Ended          uint64 // calls ended (events with Ends)
	TimedOut       uint64 // calls ended by the supervision timer
	Superseded     uint64 // calls ended by a new IAM on their circuit
	DualSeizures   uint64
	RELWithoutCall uint64
	RLCWithoutREL  uint64 // RLC ended a call whose REL was not seen
	RLCWithoutCall uint64 // RLC with neither a call nor a REL/RSC before it
	Orphans        uint64 // call messages (ACM, ANM, SAM, ...) without a call
	Resets         uint64 // circuits reset (RSC, or covered by GRS)
	Circuits       uint64 // circuits in the table (circuits that had a call, are blocked or await an RLC)
	Active         uint64 // calls in progress
}

type counters struct {
	messages, calls, ended, timedOut, superseded, dual, relNoCall,
	rlcNoREL, rlcNoCall, orphans, resets, circuits, active atomic.Uint64
}

// rlcWaitSize bounds how many never-seen circuits a REL or RSC without a
// call is remembered for (expecting their RLC) outside the circuit table.
const rlcWaitSize = 256

// Tracker follows every circuit. Its methods are safe for concurrent use;
// the Sink is called with the lock held.
//
// The circuit table is bounded by the traffic that needs state: circuits
// that carried a call, that are blocked, or that await an RLC. REL, RSC, UBL
// and CGU on a circuit never seen do not create an entry (a flood of them
// on random CICs does not grow the table); the RLC that a REL/RSC without
// call expects is remembered in a small ring instead (the oldest forgotten
// first, its RLC then counted as without call). A circuit that becomes idle
// and unblocked outside a call (unblocked, or its awaited RLC seen) leaves
// the table.
type Tracker struct {
	mu       sync.Mutex
	cfg      Config
	sink     Sink
	circuits map[CircuitKey]*circuit
	slab     []circuit
	free     []*circuit // removed circuits, reused before the slab grows
	active   []*circuit
	rlcWait  [rlcWaitSize]rlcWaiter
	rlcNext  int
	ev       Event
	nextID   uint64
	c        counters
}

// NewTracker returns a tracker delivering to sink.
func NewTracker(cfg Config, sink Sink) *Tracker {
	cfg.defaults()
	n := cfg.Circuits
	if n < 0 {
		n = 0
	}
	return &Tracker{
		cfg:      cfg,
		sink:     sink,
		circuits: make(map[CircuitKey]*circuit, n),
		slab:     make([]circuit, 0, n),
		active:   make([]*circuit, 0, n),
	}
}

// Stats returns a snapshot of the counters.
func (t *Tracker) Stats() Stats {
	c := &t.c
	return Stats{
		Messages: c.messages.Load(), Calls: c.calls.Load(), Ended: c.ended.Load(),
		TimedOut: c.timedOut.Load(), Superseded: c.superseded.Load(), DualSeizures: c.dual.Load(),
		RELWithoutCall: c.relNoCall.Load(), RLCWithoutREL: c.rlcNoREL.Load(),
		RLCWithoutCall: c.rlcNoCall.Load(), Orphans: c.orphans.Load(), Resets: c.resets.Load(),
		Circuits: c.circuits.Load(), Active: c.active.Load(),
	}
}

// Register exports the counters on reg (tdmtap_call_*), with constant labels.
func (t *Tracker) Register(reg prometheus.Registerer, labels prometheus.Labels) error {
	c := &t.c
	for _, m := range []struct {
		name, help string
		v          *atomic.Uint64
		gauge      bool
	}{
		{"messages_total", "ISUP messages given to the call tracker.", &c.messages, false},
		{"calls_total", "Calls started (IAM).", &c.calls, false},
		{"ended_total", "Calls ended.", &c.ended, false},
		{"timed_out_total", "Calls ended by the supervision timer.", &c.timedOut, false},
		{"superseded_total", "Calls ended by a new IAM on their circuit.", &c.superseded, false},
		{"dual_seizures_total", "Dual seizures.", &c.dual, false},
		{"rel_without_call_total", "REL on a circuit without a known call.", &c.relNoCall, false},
		{"rlc_without_rel_total", "RLC that ended a call whose REL was not seen.", &c.rlcNoREL, false},
		{"rlc_without_call_total", "RLC without a call or REL/RSC.", &c.rlcNoCall, false},
		{"orphans_total", "Call messages without a call.", &c.orphans, false},
		{"resets_total", "Circuits reset.", &c.resets, false},
		{"circuits", "Circuits in the table.", &c.circuits, true},
		{"active", "Calls in progress.", &c.active, true},
	} {
		v := m.v
		opts := prometheus.Opts{Namespace: "tdmtap", Subsystem: "call", Name: m.name, Help: m.help, ConstLabels: labels}
		var col prometheus.Collector
		if m.gauge {
			col = prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts), func() float64 { return float64(v.Load()) })
		} else {
			col = prometheus.NewCounterFunc(prometheus.CounterOpts(opts), func() float64 { return float64(v.Load()) })
		}
		if err := reg.Register(col); err != nil {
			return fmt.Errorf("call: register %s: %w", m.name, err)
		}
	}
	return nil
}

type rlcWaiter struct {
	k  CircuitKey
	ok bool
}

// expectRLC remembers that circuit k (not in the table) awaits an RLC.
func (t *Tracker) expectRLC(k CircuitKey) {
	for i := range t.rlcWait {
		if w := &t.rlcWait[i]; w.ok && w.k == k {
			return
		}
	}
	t.rlcWait[t.rlcNext] = rlcWaiter{k: k, ok: true}
	t.rlcNext = (t.rlcNext + 1) % rlcWaitSize
}

// takeRLC reports whether circuit k (not in the table) awaited an RLC and
// forgets it.
func (t *Tracker) takeRLC(k CircuitKey) bool {
	for i := range t.rlcWait {
		if w := &t.rlcWait[i]; w.ok && w.k == k {
			w.ok = false
			return true
		}
	}
	return false
}

// removeIfIdle takes c out of the table when it holds no state: no call,
// no RLC awaited, not blocked.
func (t *Tracker) removeIfIdle(c *circuit) {
	if c.st != stIdle || c.blockedA || c.blockedB || c.activeIdx >= 0 {
		return
	}
	delete(t.circuits, c.key)
	t.c.circuits.Add(^uint64(0))
	*c = circuit{activeIdx: -1}
	t.free = append(t.free, c)
}

func (t *Tracker) lookup(k CircuitKey, create bool) *circuit {
	if c := t.circuits[k]; c != nil || !create {
		return c
	}
	var c *circuit
	if n := len(t.free); n > 0 {
		c = t.free[n-1]
		t.free[n-1] = nil
		t.free = t.free[:n-1]
	} else if len(t.slab) < cap(t.slab) {
		t.slab = t.slab[:len(t.slab)+1]
		c = &t.slab[len(t.slab)-1]
	} else {
		c = new(circuit)
	}
	c.key = k
	c.activeIdx = -1
	t.circuits[k] = c
	t.c.circuits.Add(1)
	return c
}

func (t *Tracker) side(c *circuit, pc uint32) Side {
	if !c.st.hasCall() {
		return SideUnknown
	}
	if pc == c.origPC {
		return SideOrig
	}
	return SideTerm
}

// event prepares the reused event from the circuit's call.
func (t *Tracker) event(k EventKind, c *circuit, now time.Time, from uint32, mt isup.MsgType) *Event {
	e := &t.ev
	*e = Event{Kind: k, Time: now, Circuit: c.key, FromPC: from, Msg: mt}
	if c.st.hasCall() {
		e.CallID, e.OrigPC = c.callID, c.origPC
		if from != 0 {
			e.By = t.side(c, from)
		}
		e.Called, e.Calling, e.OriginalCalled, e.Redirecting = c.called, c.calling, c.ocn, c.redirecting
		e.RedirectionNumber, e.Connected, e.Generic, e.Charge = c.redirection, c.connected, c.generic, c.chg
		e.Cause, e.ReleasedBy = c.cause, c.relBy
		e.SeizedAt, e.AlertedAt, e.AnsweredAt, e.ReleasedAt = c.seizedAt, c.alertedAt, c.answerAt, c.relAt
	}
	return e
}

func (t *Tracker) emit(e *Event) {
	if e.Ends {
		t.c.ended.Add(1)
	}
	if t.sink != nil {
		t.sink.CallEvent(e)
	}
}

// endCall emits kind with Ends for the circuit's call and makes it idle.
func (t *Tracker) endCall(c *circuit, k EventKind, now time.Time, from uint32, mt isup.MsgType) *Event {
	e := t.event(k, c, now, from, mt)
	e.Ends = true
	t.emit(e)
	t.idle(c)
	return e
}

func (t *Tracker) idle(c *circuit) {
	if c.activeIdx >= 0 {
		i := int(c.activeIdx)
		last := len(t.active) - 1
		t.active[i] = t.active[last]
		t.active[i].activeIdx = int32(i)
		t.active[last] = nil
		t.active = t.active[:last]
		c.activeIdx = -1
		t.c.active.Add(^uint64(0))
	}
	c.st = stIdle
	c.callID = 0
}

func (t *Tracker) startCall(c *circuit, now time.Time, opc uint32, m *isup.Message) {
	t.nextID++
	c.callID = t.nextID
	c.st = stSetup
	c.origPC = opc
	c.relBy = SideUnknown
	c.seizedAt, c.lastAt = now, now
	c.alertedAt, c.answerAt, c.relAt = time.Time{}, time.Time{}, time.Time{}
	c.cause = isup.Cause{}
	c.called, c.calling, c.ocn, c.redirecting = m.Called, m.Calling, m.OriginalCalled, m.Redirecting
	c.redirection, c.connected, c.generic, c.chg = m.RedirectionNumber, isup.Number{}, m.Generic, m.Charge
	if c.activeIdx < 0 {
		c.activeIdx = int32(len(t.active))
		t.active = append(t.active, c)
		t.c.active.Add(1)
	}
	t.c.calls.Add(1)
	t.emit(t.event(Attempt, c, now, opc, isup.IAM))
}

// Handle feeds one decoded ISUP message received at recv with its routing
// label (network indicator, OPC, DPC). m is not retained.
func (t *Tracker) Handle(recv time.Time, ni uint8, opc, dpc uint32, m *isup.Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.c.messages.Add(1)
	k := MakeKey(ni, opc, dpc, m.CIC)
	switch m.Type {
	case isup.IAM:
		t.iam(recv, k, opc, dpc, m)
	case isup.RSC:
		c := t.lookup(k, false)
		if c == nil {
			t.c.resets.Add(1)
			t.expectRLC(k)
			t.emit(t.bareEvent(Reset, k, recv, opc, isup.RSC))
			return
		}
		t.reset(c, recv, opc, isup.RSC)
		c.st = stResetting
	case isup.GRS:
		n := int(m.RangeStatus.Range) + 1
		for i := 0; i < n; i++ {
			kk := k
			kk.CIC = m.CIC + uint16(i)
			if c := t.lookup(kk, false); c != nil {
				t.reset(c, recv, opc, isup.GRS)
			}
		}
	case isup.BLO, isup.UBL:
		t.block(k, recv, opc, m.Type, m.Type == isup.BLO, false)
	case isup.CGB, isup.CGU:
		n := int(m.RangeStatus.Range) + 1
		hw := m.CGSMT.Kind() == 1
		for i := 0; i < n; i++ {
			if m.RangeStatus.HasStatus() && !m.RangeStatus.Status(i) {
				continue
			}
			kk := k
			kk.CIC = m.CIC + uint16(i)
			t.block(kk, recv, opc, m.Type, m.Type == isup.CGB, hw)
		}
	default:
		t.callMsg(k, recv, opc, m)
	}
}

func (t *Tracker) iam(now time.Time, k CircuitKey, opc, dpc uint32, m *isup.Message) {
	c := t.lookup(k, true)
	if c.st.hasCall() {
		if c.st == stSetup && opc != c.origPC {
			t.dualSeizure(c, now, opc, dpc, m)
			return
		}
		t.c.superseded.Add(1)
		t.endCall(c, EndedUnseen, now, opc, isup.IAM)
	}
	t.startCall(c, now, opc, m)
}

// dualSeizure resolves two IAMs crossing on one circuit (Q.764 §2.10.1.4):
// the exchange with the higher point code controls even CICs, the lower
// one odd CICs; the controlling exchange's call is completed.
func (t *Tracker) dualSeizure(c *circuit, now time.Time, opc, dpc uint32, m *isup.Message) {
	t.c.dual.Add(1)
	higherControls := c.key.CIC%2 == 0
	newWins := (opc > dpc) == higherControls
	if newWins {
		t.endCall(c, DualSeizure, now, opc, isup.IAM)
		t.startCall(c, now, opc, m)
		return
	}
	// The new IAM loses: report it as its own short call, leave the
	// circuit's call alone.
	t.nextID++
	e := &t.ev
	*e = Event{Kind: Attempt, Time: now, Circuit: c.key, CallID: t.nextID, OrigPC: opc, FromPC: opc,
		Msg: isup.IAM, By: SideOrig, Called: m.Called, Calling: m.Calling, OriginalCalled: m.OriginalCalled,
		Redirecting: m.Redirecting, RedirectionNumber: m.RedirectionNumber, Generic: m.Generic, Charge: m.Charge,
		SeizedAt: now}
	t.c.calls.Add(1)
	t.emit(e)
	e.Kind, e.Ends = DualSeizure, true
	t.emit(e)
}

func (t *Tracker) reset(c *circuit, now time.Time, opc uint32, mt isup.MsgType) {
	t.c.resets.Add(1)
	c.blockedA, c.blockedB = false, false
	if c.st.hasCall() {
		t.endCall(c, Reset, now, opc, mt)
		return
	}
	c.st = stIdle
	t.emit(t.event(Reset, c, now, opc, mt))
}

// bareEvent prepares the reused event for circuit k without a call.
func (t *Tracker) bareEvent(kind EventKind, k CircuitKey, now time.Time, from uint32, mt isup.MsgType) *Event {
	e := &t.ev
	*e = Event{Kind: kind, Time: now, Circuit: k, FromPC: from, Msg: mt}
	return e
}

func (t *Tracker) block(k CircuitKey, now time.Time, opc uint32, mt isup.MsgType, on, hw bool) {
	c := t.lookup(k, on)
	if c == nil {
		// Unblocking a circuit never seen: nothing to keep.
		e := t.bareEvent(Unblocked, k, now, opc, mt)
		e.Hardware = hw
		t.emit(e)
		return
	}
	defer t.removeIfIdle(c)
	if opc == c.key.PCA {
		c.blockedA = on
	} else {
		c.blockedB = on
	}
	kind := Unblocked
	if on {
		kind = Blocked
	}
	if c.st.hasCall() {
		c.lastAt = now
	}
	e := t.event(kind, c, now, opc, mt)
	e.Hardware = hw
	if on && hw && c.st.hasCall() {
		e.Ends = true
		t.emit(e)
		t.idle(c)
		return
	}
	t.emit(e)
}

// callMsg handles the messages that belong to a call.
func (t *Tracker) callMsg(k CircuitKey, now time.Time, opc uint32, m *isup.Message) {
	c := t.lookup(k, false)
	if c == nil || !c.st.hasCall() {
		switch m.Type {
		case isup.REL:
			t.c.relNoCall.Add(1)
			// Remember it so the RLC that follows is expected.
			if c != nil {
				c.st = stRelNoCall
			} else {
				t.expectRLC(k)
			}
			t.orphan(k, now, opc, m)
		case isup.RLC:
			if c != nil && (c.st == stRelNoCall || c.st == stResetting) {
				c.st = stIdle
				t.removeIfIdle(c)
			} else if c == nil && t.takeRLC(k) {
				// expected: the REL or RSC of a never-seen circuit
			} else {
				t.c.rlcNoCall.Add(1)
				t.orphan(k, now, opc, m)
			}
		case isup.SAM, isup.ACM, isup.CPG, isup.ANM, isup.CON, isup.SUS, isup.RES:
			t.c.orphans.Add(1)
			t.orphan(k, now, opc, m)
		}
		return
	}
	c.lastAt = now
	switch m.Type {
	case isup.SAM:
		if opc != c.origPC || c.st > stAlerting {
			t.c.orphans.Add(1)
			return
		}
		appendDigits(&c.called, m.Subsequent.Digits())
		e := t.event(SubsequentAddress, c, now, opc, m.Type)
		e.Subsequent = m.Subsequent
		t.emit(e)
	case isup.ACM:
		if c.st == stSetup {
			c.st = stAlerting
		}
		if c.alertedAt.IsZero() {
			c.alertedAt = now
		}
		t.backwardNumbers(c, m)
		e := t.event(AddressComplete, c, now, opc, m.Type)
		e.InBand = m.OBCI.InBandInfo()
		t.emit(e)
	case isup.CPG:
		ev := m.Event.Event()
		if c.st == stSetup {
			c.st = stAlerting
		}
		if ev == isup.EventAlerting && c.alertedAt.IsZero() {
			c.alertedAt = now
		}
		t.backwardNumbers(c, m)
		e := t.event(Progress, c, now, opc, m.Type)
		e.ProgressEvent = ev
		e.InBand = ev == isup.EventInBandInfo || m.OBCI.InBandInfo()
		t.emit(e)
	case isup.ANM, isup.CON:
		if c.st < stAnswered {
			c.st = stAnswered
			c.answerAt = now
		}
		t.backwardNumbers(c, m)
		e := t.event(Answer, c, now, opc, m.Type)
		e.InBand = m.OBCI.InBandInfo()
		t.emit(e)
	case isup.SUS:
		if c.st == stAnswered {
			c.st = stSuspended
		}
		t.emit(t.event(Suspend, c, now, opc, m.Type))
	case isup.RES:
		if c.st == stSuspended {
			c.st = stAnswered
		}
		t.emit(t.event(Resume, c, now, opc, m.Type))
	case isup.REL:
		if c.st == stReleasing {
			return // REL collision: both ends released; the first one counts
		}
		c.st = stReleasing
		c.relAt = now
		c.relBy = t.side(c, opc)
		c.cause = m.Cause
		t.emit(t.event(Release, c, now, opc, m.Type))
	case isup.RLC:
		if c.st != stReleasing {
			t.c.rlcNoREL.Add(1)
			if m.Cause.Present {
				c.cause = m.Cause
			}
		}
		t.endCall(c, ReleaseComplete, now, opc, m.Type)
	}
}

// orphan reports a call-control message on circuit k, which has no call.
func (t *Tracker) orphan(k CircuitKey, now time.Time, opc uint32, m *isup.Message) {
	if t.sink == nil {
		return
	}
	e := &t.ev
	*e = Event{Kind: Orphan, Time: now, Circuit: k, FromPC: opc, Msg: m.Type}
	e.Cause = m.Cause
	e.Connected, e.RedirectionNumber = m.Connected, m.RedirectionNumber
	switch m.Type {
	case isup.CPG:
		e.ProgressEvent = m.Event.Event()
		e.InBand = e.ProgressEvent == isup.EventInBandInfo || m.OBCI.InBandInfo()
	case isup.ACM, isup.ANM, isup.CON:
		e.InBand = m.OBCI.InBandInfo()
	}
	t.sink.CallEvent(e)
}

// backwardNumbers keeps numbers that backward messages may carry.
func (t *Tracker) backwardNumbers(c *circuit, m *isup.Message) {
	if m.RedirectionNumber.Present {
		c.redirection = m.RedirectionNumber
	}
	if m.Connected.Present {
		c.connected = m.Connected
	}
	if m.Generic.Present && !c.generic.Present {
		c.generic = m.Generic
	}
}

// appendDigits appends SAM digits to the called number, keeping at most
// isup.MaxDigits (the rest is dropped). It does not allocate.
func appendDigits(n *isup.Number, more []byte) {
	if room := isup.MaxDigits - len(n.Digits()); len(more) > room {
		more = more[:room]
	}
	if err := n.AppendDigits(more); err == nil {
		n.Present = true
	}
}

// Tick runs the supervision timer at now: calls idle beyond the configured
// limits end with EndedUnseen. Call it periodically (e.g. every second).
func (t *Tracker) Tick(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.active) - 1; i >= 0; i-- {
		if i >= len(t.active) {
			continue
		}
		c := t.active[i]
		limit := t.cfg.SetupTimeout
		switch c.st {
		case stAnswered, stSuspended:
			limit = t.cfg.AnsweredTimeout
		case stReleasing:
			limit = t.cfg.ReleaseTimeout
		}
		if now.Sub(c.lastAt) >= limit {
			t.c.timedOut.Add(1)
			t.endCall(c, EndedUnseen, now, 0, 0)
		}
	}
}

// Blocked reports whether the circuit is blocked by either end.
func (t *Tracker) Blocked(k CircuitKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.circuits[k]
	return c != nil && (c.blockedA || c.blockedB)
}

// ActiveCalls returns the number of calls in progress.
func (t *Tracker) ActiveCalls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}
