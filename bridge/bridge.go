// Package bridge joins the signaling path, the bearer path and the handover:
// call events from ss7/call are matched against the active warrants
// (bridge/warrant); every (call, warrant) match becomes an intercept session
// with its own communication identity number (CIN), which emits HI2 IRI
// (TS 101 671 IRI-Parameters in TS 102 232-1 PS-PDUs, via hi/hi2) for the
// call's events and, for IRI+CC warrants, HI3 content: both directions of the
// circuit's bearer (found through the circuit→tap map and subscribed at the
// tdm demultiplexer when the far end connects), each as its own RTP stream
// (bridge/rtpout) in iPMMCC, or as raw octets in pstnIsdnCC, per the LEMF
// destination's CC format (hi/hi3).
//
// Threads. CallEvent is called in the signaling goroutine (ss7/call's Sink,
// with the tracker's lock held): it never blocks on delivery (Output must not
// block) and does not allocate for calls that match no warrant. Content chunks
// arrive on the demultiplexer's goroutines; each session has a mutex that
// orders its IRI and CC and guards its state. A chunk becomes an RTP packet,
// a PS-PDU and an Output call without allocating (buffers are per direction).
//
// Privacy. Non-target calls produce nothing on any handover and nothing in
// the logs. Logs never carry numbers or LIIDs (only counts, CINs and circuit
// identities); the LIID goes to the Auditor only.
//
// A warrant swap (Store.Swap, Reload) alone does not touch live intercepts:
// a session keeps the *warrant.Warrant and the CC formats it started with.
// Reconcile (reconcile.go), called after every change of the set, brings
// them under the new authority: an intercept whose warrant was deactivated,
// removed, or modified so that it no longer covers the call ends at once
// (IRI-END, content stopped without a release tail); one whose warrant
// dropped CC loses its content and keeps its IRI. A session also ends when
// its warrant's validity window closes (seen by an event, by Tick, or by a
// content chunk timed after it); it then sends IRI-END and stops content.
//
// Wiring (the daemon):
//
//	cfg := bridge.FromConfig(c)           // node, circuits, span framings, CC formats, content start, ANSI circuits
//	cfg.Warrants = store                  // *warrant.Store holding c.WarrantSet()
//	cfg.Output = handover                 // any non-blocking Output (the daemon's routes to hi/deliver sessions)
//	cfg.Demux, cfg.Logger, cfg.Registerer, cfg.Auditor = dm, log, reg, audit
//	cfg.Sessions = hi1Store                // optional: intercepts survive restarts (see resume.go)
//	cfg.CIN, _ = bridge.NewLeasedCIN(nil, hi1Store, 1000, log) // optional: CINs never repeat across restarts
//	br, err := bridge.New(cfg)
//	tracker := call.NewTracker(callCfg, br) // br is the tracker's Sink
//	bridge.RunWithLifecycle(lc, br, time.Second)
//
// On SIGHUP: br.Reload(newSet), br.Reconcile(nil), br.SetDestinations(formats), out.Set(dests).
// On every X1 change of the provisioned set: br.Reconcile(why).
package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/tdm/demux"
)

// Output takes the PS-PDUs of the handover, per LEMF destination name and per
// HI. pdu is valid only during the call (copy it). The methods must not
// block: they are called in the signaling and demultiplexer goroutines (the
// daemon puts hi/deliver sessions behind it, by destination name).
type Output interface {
	SendIRI(dest string, pdu []byte)
	SendCC(dest string, pdu []byte)
}

// Subscriber gives 20 ms chunks of one timeslot of a span (*demux.Demux).
type Subscriber interface {
	Subscribe(span string, ts int, fn demux.Func) (cancel func())
}

// Circuits finds a circuit's bearer on the tap (*config.CircuitMap).
type Circuits interface {
	Lookup(ni uint8, pc1, pc2 uint32, cic uint16) (config.Tap, bool)
}

// Auditor receives intercept start and end records (for the HI1 audit
// chain): kind "intercept.start" / "intercept.end" with attributes liid,
// cin, time and (end) reason. It has the shape of hi/deliver's Auditor, so one
// implementation serves both. Record must not block for long.
type Auditor interface {
	Record(kind string, attrs ...slog.Attr)
}

// Config configures a Bridge.
type Config struct {
	// Node supplies the PS-PDU header fields: operator id, network element
	// id, authorization and delivery country codes, interception point id.
	Node config.Node
	// Warrants is the active warrant set (required). Swap it to reload.
	Warrants *warrant.Store
	// Output receives the PDUs (required).
	Output Output
	// Circuits and Demux locate and deliver the bearer; when either is nil
	// no content is intercepted (IRI still is).
	Circuits Circuits
	Demux    Subscriber
	// SpanT1 reports whether a span is T1 (µ-law, RTP PT 0); otherwise E1
	// (A-law, PT 8). Nil: every span is E1.
	SpanT1 func(span string) bool
	// Destinations is the CC format of each LEMF destination (missing:
	// iPMMCC). Replace it with SetDestinations.
	Destinations map[string]config.CCFormat
	// BearerLatency is how long a span's frames take from the line to the
	// demultiplexer beyond the 20 ms chunking (jitter buffer depth and a
	// packet, see FromConfig); nil: 0. It places content on the line's
	// clock: PDU timestamps, and the release point up to which content
	// goes on after IRI-END (see tail.go).
	BearerLatency func(span string) time.Duration
	// ReleaseGrace bounds that content tail (default DefaultReleaseGrace).
	ReleaseGrace time.Duration
	// ContentStart: StartOnANM (default) or StartOnACMInband.
	ContentStart config.ContentStart
	// ANSI reports whether a circuit speaks ANSI ISUP (its numbers' nature
	// of address codes are mapped with warrant.ANSINAI). Nil: ITU.
	ANSI func(k call.CircuitKey) bool
	// CIN allocates communication identity numbers; nil: NewClockCIN().
	CIN CINAllocator
	// Auditor, when set, receives intercept start/end records.
	Auditor Auditor
	// Sessions, when set, records intercepts in progress so that a
	// restarted gateway picks them up again (see SessionRecorder); New
	// loads the previous run's records from it.
	Sessions SessionRecorder
	// CheckpointEvery is the number of CC PDUs between recorded sequence
	// numbers (default DefaultCheckpointEvery); IRI is recorded each time.
	CheckpointEvery int
	// ResumeTimeout ends recorded intercepts whose circuit stays silent
	// this long (default DefaultResumeTimeout).
	ResumeTimeout time.Duration
	// Logger receives counts and CINs only (never numbers or LIIDs). Nil
	// discards.
	Logger *slog.Logger
	// Registerer, when set, gets the bridge's collectors (tdmtap_bridge_*).
	Registerer prometheus.Registerer
	// Now is the wall clock (anchors content PDU timestamps); nil: time.Now.
	Now func() time.Time
	// LocalTime sends the IRI-Parameters timeStamp as localTime (with the
	// event time's location); default utcTime.
	LocalTime bool
}

// Bridge turns call events and bearer chunks into intercepts. It implements
// call.Sink.
type Bridge struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	cin     CINAllocator
	m       *metrics
	rec     *sessionWriter // nil without Config.Sessions
	every   int            // CC PDUs between sequence checkpoints
	formats atomic.Pointer[map[string]config.CCFormat]

	active atomic.Int64 // calls with sessions in the table

	resumeTimeout time.Duration
	grace         time.Duration
	// afterFunc starts a content tail's grace timer (time.AfterFunc; tests
	// that drive the bearer by hand keep it from firing).
	afterFunc func(time.Duration, func()) *time.Timer

	clkMu  sync.Mutex
	clocks map[string]*spanClock // per span: wall time ↔ frame clock
	tailMu sync.Mutex
	tails  map[*session]struct{} // ended sessions whose content tail still runs

	// resumable counts circuits with recorded intercepts of a previous
	// run (pending) plus resumed calls: the gate for Orphan events.
	resumable atomic.Int64

	mu       sync.Mutex
	calls    map[callKey]*callState
	parties  [8]warrant.Party
	matches  []warrant.Match
	closed   bool
	pending  map[call.CircuitKey]*pendingCall
	nResumed int        // resumed calls in calls
	ev       call.Event // scratch for resumed calls' events
}

type callKey struct {
	c  call.CircuitKey
	id uint64
}

type callState struct {
	sessions []*session
	// base is set for a call resumed from a previous run's records (the
	// tracker knows nothing of it): the call as recorded; last is its
	// latest message.
	base *call.Event
	last time.Time
}

// New returns a bridge. It does not start goroutines.
func New(cfg Config) (*Bridge, error) {
	if cfg.Warrants == nil {
		return nil, errors.New("bridge: Config.Warrants is required")
	}
	if cfg.Output == nil {
		return nil, errors.New("bridge: Config.Output is required")
	}
	switch cfg.ContentStart {
	case "":
		cfg.ContentStart = config.StartOnANM
	case config.StartOnANM, config.StartOnACMInband:
	default:
		return nil, fmt.Errorf("bridge: unknown content start %q", cfg.ContentStart)
	}
	if cfg.Node.OperatorID == "" {
		return nil, errors.New("bridge: node operator id is required (PS-PDU header)")
	}
	probe := headerTemplate(&cfg.Node, "x")
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("bridge: node identity: %w", err)
	}
	b := &Bridge{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Now,
		cin:     cfg.CIN,
		calls:   make(map[callKey]*callState),
		matches: make([]warrant.Match, 0, 16),
		tails:   map[*session]struct{}{},
		grace:   cfg.ReleaseGrace,

		afterFunc: time.AfterFunc,
	}
	if b.grace <= 0 {
		b.grace = DefaultReleaseGrace
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.cin == nil {
		b.cin = NewClockCIN(b.now)
	}
	b.SetDestinations(cfg.Destinations)
	var err error
	if b.m, err = newMetrics(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("bridge metrics: %w", err)
	}
	b.every = cfg.CheckpointEvery
	if b.every <= 0 {
		b.every = DefaultCheckpointEvery
	}
	b.resumeTimeout = cfg.ResumeTimeout
	if b.resumeTimeout <= 0 {
		b.resumeTimeout = DefaultResumeTimeout
	}
	b.pending = map[call.CircuitKey]*pendingCall{}
	if cfg.Sessions != nil {
		loaded, err := b.loadSessions()
		if err != nil {
			return nil, fmt.Errorf("bridge: loading recorded intercepts: %w", err)
		}
		b.rec = newSessionWriter(cfg.Sessions, b.log, loaded)
		if cfg.Registerer != nil {
			w := b.rec
			for _, c := range []prometheus.Collector{
				prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tdmtap_bridge_session_records_dropped_total",
					Help: "Intercept session record writes dropped (writer queue full)."}, func() float64 { return float64(w.dropped.Load()) }),
				prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tdmtap_bridge_session_records_failed_total",
					Help: "Intercept session record writes that failed."}, func() float64 { return float64(w.failed.Load()) }),
			} {
				if err := cfg.Registerer.Register(c); err != nil {
					w.close()
					return nil, fmt.Errorf("bridge: register metrics: %w", err)
				}
			}
		}
	}
	return b, nil
}

func headerTemplate(n *config.Node, liid string) psdu.Header {
	dc := n.DeliveryCountry
	if dc == "" {
		dc = n.AuthorizationCountry
	}
	return psdu.Header{
		LIID:                liid,
		AuthCountry:         n.AuthorizationCountry,
		OperatorID:          n.OperatorID,
		NetworkElementID:    n.NetworkElementID,
		DeliveryCountry:     dc,
		InterceptionPointID: n.InterceptionPointID,
		Qualifier:           psdu.QualifierTimeOfInterception,
	}
}

// SetDestinations replaces the CC format map (a reload). Sessions already
// running keep the formats they started with.
func (b *Bridge) SetDestinations(m map[string]config.CCFormat) {
	c := make(map[string]config.CCFormat, len(m))
	for k, v := range m {
		c[k] = v
	}
	b.formats.Store(&c)
}

// Reload installs a new warrant set (same as cfg.Warrants.Swap) and returns
// the previous one. Live intercepts are not touched until Reconcile.
func (b *Bridge) Reload(s *warrant.Set) *warrant.Set { return b.cfg.Warrants.Swap(s) }

// Active returns the number of live intercept sessions.
func (b *Bridge) Active() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, cs := range b.calls {
		for _, s := range cs.sessions {
			if !s.isEnded() {
				n++
			}
		}
	}
	return n
}

// Stats are the bridge's counters.
type Stats struct {
	Matches      uint64 // match checks run
	Started      uint64 // intercept sessions started
	Ended        uint64 // intercept sessions ended (IRI-END sent)
	Active       int    // sessions live now
	IRI          uint64 // IRI PDUs produced (per destination count once)
	CC           uint64 // CC PDUs produced
	NoBearer     uint64 // IRI+CC intercepts whose circuit is not on the tap
	ChunkDropped uint64 // chunks dropped (frame order, after warrant end)
	Resumed      uint64 // intercepts of a previous run picked up (or closed) again
	// RecordsDropped and RecordsFailed count session record operations
	// lost to a full writer queue or failed in the SessionRecorder.
	RecordsDropped, RecordsFailed uint64
}

// Stats returns a snapshot of the counters.
func (b *Bridge) Stats() Stats {
	st := Stats{
		Matches:      b.m.nMatch.Load(),
		Started:      b.m.nStarted.Load(),
		Ended:        b.m.nEnded.Load(),
		Active:       b.Active(),
		IRI:          b.m.nIRI.Load(),
		CC:           b.m.nCC.Load(),
		NoBearer:     b.m.nNoBearer.Load(),
		ChunkDropped: b.m.nDropped.Load(),
		Resumed:      b.m.nResumed.Load(),
	}
	if b.rec != nil {
		st.RecordsDropped, st.RecordsFailed = b.rec.dropped.Load(), b.rec.failed.Load()
	}
	return st
}

// CallEvent implements call.Sink.
func (b *Bridge) CallEvent(e *call.Event) {
	switch e.Kind {
	case call.Attempt, call.SubsequentAddress:
	case call.AddressComplete, call.Progress:
		if !e.RedirectionNumber.Present && b.active.Load() == 0 {
			return
		}
	case call.Answer:
		if !e.Connected.Present && b.active.Load() == 0 {
			return
		}
	case call.Orphan:
		if b.resumable.Load() == 0 {
			return
		}
	default:
		if (b.active.Load() == 0 || e.CallID == 0) && b.resumable.Load() == 0 {
			return
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if b.resumable.Load() > 0 {
		if e.Kind == call.Orphan {
			b.orphan(e)
			return
		}
		b.supersede(e)
	}
	if e.CallID == 0 {
		return
	}
	k := callKey{e.Circuit, e.CallID}
	cs := b.calls[k]
	switch e.Kind {
	case call.Attempt, call.SubsequentAddress:
		cs = b.match(e, k, cs, warrant.RoleAll)
	case call.AddressComplete, call.Progress:
		if e.RedirectionNumber.Present {
			cs = b.match(e, k, cs, warrant.RoleRedirection)
		}
	case call.Answer:
		if e.Connected.Present {
			cs = b.match(e, k, cs, warrant.RoleConnected)
		}
	}
	if cs == nil {
		return
	}
	for _, s := range cs.sessions {
		s.event(e)
	}
	if e.Ends {
		delete(b.calls, k)
		b.active.Store(int64(len(b.calls)))
	}
}

// match runs the warrant match for the event's parties in roles and starts a
// session per newly matched warrant. It returns the call's state (nil if
// the call has no sessions).
func (b *Bridge) match(e *call.Event, k callKey, cs *callState, roles warrant.Role) *callState {
	ansi := b.cfg.ANSI != nil && b.cfg.ANSI(e.Circuit)
	ps := b.parties[:0]
	add := func(r warrant.Role, n *isup.Number) {
		if r&roles == 0 || !n.Present {
			return
		}
		nai := n.NAI
		if ansi {
			nai = warrant.ANSINAI(nai)
		}
		ps = append(ps, warrant.Party{Role: r, NAI: nai, Digits: n.Digits()})
	}
	add(warrant.RoleCalling, &e.Calling)
	add(warrant.RoleCalled, &e.Called)
	add(warrant.RoleOriginalCalled, &e.OriginalCalled)
	add(warrant.RoleRedirecting, &e.Redirecting)
	add(warrant.RoleRedirection, &e.RedirectionNumber)
	add(warrant.RoleGeneric, &e.Generic)
	add(warrant.RoleCharge, &e.Charge)
	add(warrant.RoleConnected, &e.Connected)
	if len(ps) == 0 {
		return cs
	}
	b.m.matchChecks.Inc()
	b.m.nMatch.Add(1)
	b.matches = b.cfg.Warrants.Match(e.Time, ps, b.matches[:0])
	for i := range b.matches {
		mt := &b.matches[i]
		if cs != nil && cs.has(mt.Warrant) {
			continue
		}
		s := b.newSession(e, mt)
		if s == nil {
			continue
		}
		s.parties = keepParties(ps)
		if cs == nil {
			cs = &callState{}
			b.calls[k] = cs
			b.active.Store(int64(len(b.calls)))
		}
		cs.sessions = append(cs.sessions, s)
		s.begin(e)
	}
	clear(b.matches)
	return cs
}

func (cs *callState) has(w *warrant.Warrant) bool {
	for _, s := range cs.sessions {
		if s.w == w || s.w.LIID == w.LIID {
			return true
		}
	}
	return false
}

// Tick ends sessions whose warrant's validity window closed before now
// (IRI-END, content stopped). Call it periodically (e.g. every second, next
// to the tracker's Tick).
func (b *Bridge) Tick(now time.Time) {
	if b.active.Load() == 0 && b.resumable.Load() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if b.resumable.Load() > 0 {
		b.tickResume(now)
	}
	for _, cs := range b.calls {
		for _, s := range cs.sessions {
			s.tick(now)
		}
	}
}

// Close stops all content subscriptions (content tails after a release
// too) and makes the bridge ignore further events. It sends no IRI-END: a shutdown is not the end of a call, so open
// intercepts stay open at the LEMF (their IRI-END comes from the next run
// when it resumes them, see Config.Sessions).
//
// Intercepts still open keep their session records (Config.Sessions): the
// next run resumes them. Close writes the queued records before it returns.
func (b *Bridge) Close() {
	b.mu.Lock()
	b.closed = true
	for _, cs := range b.calls {
		for _, s := range cs.sessions {
			s.stopContent()
		}
	}
	b.mu.Unlock()
	b.tailMu.Lock()
	tails := make([]*session, 0, len(b.tails))
	for s := range b.tails {
		tails = append(tails, s)
	}
	b.tailMu.Unlock()
	for _, s := range tails {
		s.stopContent()
	}
	if b.rec != nil {
		b.rec.close()
	}
}
