package bridge

import (
	"log/slog"
	"sync"
	"time"

	"github.com/tdmtap/tdmtap/bridge/rtpout"
	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/tdm/demux"
)

// CC link identifiers and iPMMCC stream identifiers of the two directions:
// each direction of the circuit is its own CC link (pstnIsdnCC cCLinkID,
// supplementary information) and its own RTP stream.
const (
	LinkFromTarget = 1
	LinkToTarget   = 2
)

var streamIDs = [2]string{"1", "2"}

// Reasons an intercept ends (audit records).
const (
	ReasonRelease        = "release"
	ReasonCallEnded      = "call-ended" // RLC, reset, supervision timer, dual seizure, blocking
	ReasonWarrantExpired = "warrant-expired"
)

// session is one intercept: one call under one warrant.
type session struct {
	b      *Bridge
	w      *warrant.Warrant // snapshot taken at start; reloads do not change it
	cin    uint32
	dir    hi2.Direction
	dests  []string
	ccFmt  []config.CCFormat // per dest
	ipmm   bool              // some destination takes iPMMCC
	pstn   bool              // some destination takes pstnIsdnCC
	circ   call.CircuitKey
	origPC uint32
	// parties are the call's numbers that matched (copied; reconcile.go
	// matches them again when the warrant is modified).
	parties []warrant.Party

	mu        sync.Mutex
	started   time.Time // the call event that began the session
	iriSeq    uint32    // next HI2 sequence number
	ccSeq     uint32    // next HI3 sequence number
	ccSince   int       // CC PDUs since the last persisted checkpoint
	recorded  bool      // a session record exists in the SessionRecorder
	hdr       psdu.Header
	iri       hi2.IRI
	buf       []byte // IRI PDU
	nb        []byte // number scratch
	skip      bool   // the event that began the session is not also a CONTINUE
	ended     bool
	tried     bool // content start attempted
	contentOn bool
	alertedAt time.Time
	answerAt  time.Time
	dirs      [2]*ccDir
	cancels   [2]func()
	tailTimer *time.Timer // content tail after the end (tail.go)
}

// ccDir is one direction of content (index = payloadDirection).
type ccDir struct {
	s       *session
	pd      uint8
	bearer  config.Bearer
	pkt     *rtpout.Packetizer
	rtp     [rtpout.PacketLen]byte
	bufI    []byte // iPMMCC PDU
	bufP    []byte // pstnIsdnCC PDU
	cc      hi3.CC
	media   hi2.MediaInfo
	started bool // first chunk seen (media info sent, time anchored)
	anchorT time.Time
	anchorF uint64
	// anchored: the content started in the past (startContentAt); the
	// anchor is the content-start message's receive time at the start frame.
	anchored bool
	clk      *spanClock    // the bearer span's frame clock
	lat      time.Duration // the span's bearer latency
	next     uint64        // frame after the last chunk delivered
	// draining: the session ended; chunks starting before stopAt (the
	// release point on this span's frame clock) still go out.
	draining bool
	stopAt   uint64
}

func (b *Bridge) newSession(e *call.Event, mt *warrant.Match) *session {
	w := mt.Warrant
	s := &session{
		b:      b,
		w:      w,
		cin:    b.cin.Next(w.LIID),
		dests:  append([]string(nil), w.Destinations...),
		circ:   e.Circuit,
		origPC: e.OrigPC,
		buf:    make([]byte, 0, 1024),
		nb:     make([]byte, 0, 64),
	}
	// The intercepted call's direction: the target originates when it is
	// the calling party (or the charge number, or a generic number that
	// stands for the calling side); otherwise it is called, directly or
	// through forwarding.
	orig := warrant.RoleCalling | warrant.RoleCharge
	if callingGeneric(&e.Generic, b.cfg.ANSI != nil && b.cfg.ANSI(e.Circuit)) {
		orig |= warrant.RoleGeneric
	}
	if mt.Roles&orig != 0 {
		s.dir = hi2.DirOriginatingTarget
	} else {
		s.dir = hi2.DirTerminatingTarget
	}
	formats := *b.formats.Load()
	for _, d := range s.dests {
		f := formats[d]
		if f == "" {
			f = config.IPMMCC
		}
		s.ccFmt = append(s.ccFmt, f)
		if f == config.PstnIsdnCC {
			s.pstn = true
		} else {
			s.ipmm = true
		}
	}
	s.hdr = headerTemplate(&b.cfg.Node, w.LIID)
	s.hdr.CIN = s.cin
	if err := hi2.ValidateHeader(&s.hdr); err != nil {
		b.log.Error("intercept not started: bad PS-PDU header", "cin", s.cin, "err", err)
		return nil
	}
	return s
}

// callingGeneric reports whether a generic number (ITU number qualifier,
// ANSI type of address) identifies the calling side rather than the called
// one: ITU additional called (1), additional connected (5) and the reserved
// original called / redirecting / redirection qualifiers (7-9) are called
// side; ANSI dialed (0), destination (1) and completion (4) numbers too.
func callingGeneric(n *isup.Number, ansi bool) bool {
	q := n.Qualifier
	if ansi {
		return q != 0 && q != 1 && q != 4
	}
	return q != 1 && q != 5 && (q < 7 || q > 9)
}

func (s *session) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// begin sends IRI-BEGIN for the event that matched and, when the call is
// already far enough, starts content.
func (s *session) begin(e *call.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.b
	b.m.started.Inc()
	b.m.nStarted.Add(1)
	b.m.active.Inc()
	b.log.Info("intercept started", "cin", s.cin, "cc", s.w.CC())
	if b.cfg.Auditor != nil {
		b.cfg.Auditor.Record("intercept.start", slog.String("liid", s.w.LIID), slog.Uint64("cin", uint64(s.cin)),
			slog.Time("time", e.Time))
	}
	s.skip = true
	s.note(e)
	iri := s.newIRI(hi2.Begin, e.Time)
	if !e.AnsweredAt.IsZero() {
		iri.State = hi2.StateConnected
	}
	s.addOriginating(e)
	s.addTerminating(e, false)
	s.addForwarded(e)
	s.sendIRI()
	s.started = e.Time
	s.persist(e)
	if !s.w.Active(e.Time) {
		return
	}
	if !e.AnsweredAt.IsZero() || (e.InBand && b.cfg.ContentStart == config.StartOnACMInband) {
		if e.Kind == call.Answer || e.Kind == call.AddressComplete || e.Kind == call.Progress {
			// The message that starts content began the session.
			s.startContentAt(e.Time)
		} else {
			s.startContent()
		}
	}
}

// note keeps the call's timestamps for durations.
func (s *session) note(e *call.Event) {
	if !e.AlertedAt.IsZero() {
		s.alertedAt = e.AlertedAt
	}
	if !e.AnsweredAt.IsZero() {
		s.answerAt = e.AnsweredAt
	}
}

// event handles one call event (the bridge lock is held).
func (s *session) event(e *call.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.skip {
		s.skip = false
		return
	}
	if s.ended {
		return
	}
	s.note(e)
	if !e.Time.Before(s.w.End) {
		s.end(s.w.End, nil, ReasonWarrantExpired)
		return
	}
	b := s.b
	switch e.Kind {
	case call.SubsequentAddress:
		s.newIRI(hi2.Continue, e.Time)
		s.addTerminating(e, false)
		s.sendIRI()
	case call.AddressComplete, call.Progress:
		s.newIRI(hi2.Continue, e.Time)
		s.addForwarded(e)
		s.sendIRI()
		s.persist(e)
		if e.InBand && b.cfg.ContentStart == config.StartOnACMInband {
			s.startContentAt(e.Time)
		}
	case call.Answer:
		s.newIRI(hi2.Continue, e.Time)
		s.addTerminating(e, true)
		s.sendIRI()
		s.persist(e)
		s.startContentAt(e.Time)
	case call.Suspend, call.Resume:
		s.newIRI(hi2.Continue, e.Time)
		s.sendIRI()
	case call.Release:
		s.end(e.Time, e, ReasonRelease)
	default:
		if e.Ends {
			s.end(e.Time, e, ReasonCallEnded)
		}
	}
}

// tick ends the session when its warrant's window has closed.
func (s *session) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended && !now.Before(s.w.End) {
		s.end(s.w.End, nil, ReasonWarrantExpired)
	}
}

// end sends IRI-END (cause and releasing side from e when given), stops
// content and records the end.
//
// Content ending with the call (not with the warrant's authority: expiry,
// deactivation, modification, removal) goes on until the
// bearer has passed the moment the end was processed (tail.go); the
// IRI-END is not delayed for it.
func (s *session) end(at time.Time, e *call.Event, reason string) {
	s.ended = true
	if stopsAtOnce(reason) {
		s.stopContentLocked()
	} else {
		s.drainContentLocked()
	}
	iri := s.newIRI(hi2.End, at)
	iri.State = hi2.StateIdle
	if !s.alertedAt.IsZero() {
		stop := at
		if !s.answerAt.IsZero() {
			stop = s.answerAt
		}
		if d := stop.Sub(s.alertedAt); d >= 0 {
			iri.Ringing, iri.HasRinging = d, true
		}
	}
	if !s.answerAt.IsZero() {
		if d := at.Sub(s.answerAt); d >= 0 {
			iri.Conversation, iri.HasConversation = d, true
		}
	}
	if e != nil && e.Cause.Present {
		iri.Cause = hi2.Q850(e.Cause.Coding, e.Cause.Location, e.Cause.Value)
		iri.HasCause = true
		// Which side released: that side's party carries the cause
		// indicators parameter in its services-information.
		var p *hi2.Party
		switch e.ReleasedBy {
		case call.SideOrig:
			p = iri.AddParty(hi2.Originating)
			s.setNumber(&p.Calling, &e.Calling)
		case call.SideTerm:
			p = iri.AddParty(hi2.Terminating)
			s.setNumber(&p.Called, &e.Called)
		}
		if p != nil {
			s.nb = e.Cause.AppendParam(s.nb[:0])
			p.AddParam(byte(isup.PCauseIndicators), s.nb)
		}
	}
	s.sendIRI()
	b := s.b
	if s.recorded {
		b.rec.end(s.w.LIID, s.cin)
		s.recorded = false
	}
	b.m.ended.Inc()
	b.m.nEnded.Add(1)
	b.m.active.Dec()
	b.log.Info("intercept ended", "cin", s.cin, "reason", reason)
	if b.cfg.Auditor != nil {
		b.cfg.Auditor.Record("intercept.end", slog.String("liid", s.w.LIID), slog.Uint64("cin", uint64(s.cin)),
			slog.Time("time", at), slog.String("reason", reason))
	}
}

func (s *session) newIRI(t hi2.IRIType, at time.Time) *hi2.IRI {
	iri := &s.iri
	iri.Reset()
	iri.Type = t
	iri.Time = at
	iri.UTCTime = !s.b.cfg.LocalTime
	iri.Direction = s.dir
	iri.State = hi2.StateSetUpInProcess
	if !s.answerAt.IsZero() {
		iri.State = hi2.StateConnected
	}
	return iri
}

func (s *session) setNumber(dst *hi2.Number, n *isup.Number) {
	if !n.Present {
		return
	}
	s.nb = n.AppendParam(s.nb[:0])
	dst.Set(s.nb)
}

func (s *session) addParam(p *hi2.Party, n *isup.Number, def isup.ParamCode) {
	if !n.Present {
		return
	}
	code := n.Code
	if code == 0 {
		code = def
	}
	s.nb = n.AppendParam(s.nb[:0])
	p.AddParam(byte(code), s.nb)
}

// addOriginating: the calling party, with the generic (additional calling)
// and charge numbers as ISUP parameters.
func (s *session) addOriginating(e *call.Event) {
	if !e.Calling.Present && !e.Generic.Present && !e.Charge.Present {
		return
	}
	p := s.iri.AddParty(hi2.Originating)
	if p == nil {
		return
	}
	s.setNumber(&p.Calling, &e.Calling)
	s.addParam(p, &e.Generic, isup.PGenericNumber)
	s.addParam(p, &e.Charge, isup.PChargeNumber)
}

// addTerminating: the called party (with SAM digits so far), with the
// original called and redirecting numbers as ISUP parameters (and the
// connected number on answer).
func (s *session) addTerminating(e *call.Event, connected bool) {
	if !e.Called.Present && !e.OriginalCalled.Present && !e.Redirecting.Present && !(connected && e.Connected.Present) {
		return
	}
	p := s.iri.AddParty(hi2.Terminating)
	if p == nil {
		return
	}
	s.setNumber(&p.Called, &e.Called)
	s.addParam(p, &e.OriginalCalled, isup.POriginalCalledNumber)
	s.addParam(p, &e.Redirecting, isup.PRedirectingNumber)
	if connected {
		s.addParam(p, &e.Connected, isup.PConnectedNumber)
	}
}

// addForwarded: the forwarded-to party when a redirection number is known.
func (s *session) addForwarded(e *call.Event) {
	if !e.RedirectionNumber.Present {
		return
	}
	if p := s.iri.AddParty(hi2.ForwardedTo); p != nil {
		s.setNumber(&p.Called, &e.RedirectionNumber)
	}
}

// sendIRI encodes s.iri with the next HI2 sequence number and hands it to
// every destination.
func (s *session) sendIRI() {
	b := s.b
	s.hdr.Seq = s.iriSeq
	s.iriSeq++
	s.hdr.Time = s.iri.Time
	s.buf = hi2.Append(s.buf[:0], &s.hdr, &s.iri)
	for _, d := range s.dests {
		b.cfg.Output.SendIRI(d, s.buf)
	}
	b.m.iri[s.iri.Type].Inc()
	b.m.nIRI.Add(1)
	s.checkpoint()
}

// checkpoint records the next sequence numbers (after every IRI and every
// CheckpointEvery CC PDUs). They are written after the PDUs went out, so
// a restart continues at or below the true next number: duplicates are
// possible, gaps are not.
func (s *session) checkpoint() {
	s.ccSince = 0
	if s.recorded {
		s.b.rec.seq(s.w.LIID, s.cin, s.iriSeq, s.ccSeq)
	}
}

// startContent subscribes both directions of the call's bearer (once, for
// IRI+CC warrants, when the circuit is on the tap) from the bearer's next
// chunk on.
func (s *session) startContent() { s.startContentAt(time.Time{}) }

// HistorySubscriber is a Subscriber that can start in the past
// (*demux.Demux): fn first gets the chunks from frame start on.
type HistorySubscriber interface {
	SubscribeFrom(span string, ts int, start uint64, fn demux.Func) (cancel func())
}

// maxClockAge is how long ago a span's clock may have last seen a chunk
// for a content start in the past: at 50 ppm a minute is 3 ms of drift.
const maxClockAge = time.Minute

// startFrame is the frame a direction's content starts at for a content
// start received at wall time at and processed at now: the first frame on
// the line at or after at on the span's clock (tail.go), so speech between
// the answer on the line and a late processing of its message is not
// lost. ok is false (start live, at the next frame to arrive) when that
// frame has not yet arrived (a message processed within the bearer
// latency; a live start then, as before, may take up to that latency
// before the receive time), without a fresh clock, or with a receive time
// after now.
func (d *ccDir) startFrame(at, now time.Time) (uint64, bool) {
	if at.IsZero() || at.After(now) {
		return 0, false
	}
	f, ok := d.clk.frameAt(at.UnixNano(), d.lat)
	if !ok {
		return 0, false
	}
	// live: the next frame to reach the demultiplexer, where a live
	// subscription starts.
	live, ok := d.clk.frameAt(now.UnixNano(), 0)
	if !ok || live > d.clk.last.Load()+uint64(maxClockAge/frameDur) || f >= live {
		return 0, false
	}
	return f, true
}

// startContentAt is startContent for the message that starts content,
// received at wall time at: with a demultiplexer keeping history, content
// begins at the frame that was on the line at that time (zero at: live).
func (s *session) startContentAt(at time.Time) {
	if s.tried || !s.w.CC() || s.ended {
		return
	}
	s.tried = true
	b := s.b
	if b.cfg.Circuits == nil || b.cfg.Demux == nil {
		b.m.noBearer.Inc()
		b.m.nNoBearer.Add(1)
		return
	}
	tap, ok := b.cfg.Circuits.Lookup(s.circ.NI, s.circ.PCA, s.circ.PCB, s.circ.CIC)
	var fromOrig, toOrig config.Bearer
	if ok {
		fromOrig, toOrig, ok = tap.From(s.origPC)
	}
	if !ok {
		b.m.noBearer.Inc()
		b.m.nNoBearer.Add(1)
		b.log.Warn("intercept without content: circuit not on the bearer tap", "cin", s.cin)
		return
	}
	// fromTarget is what the target's exchange sends.
	bearers := [2]config.Bearer{fromOrig, toOrig}
	if s.dir == hi2.DirTerminatingTarget {
		bearers[0], bearers[1] = toOrig, fromOrig
	}
	for i, br := range bearers {
		pt := rtpout.PTPCMA
		if b.cfg.SpanT1 != nil && b.cfg.SpanT1(br.Span) {
			pt = rtpout.PTPCMU
		}
		d := &ccDir{s: s, pd: uint8(i), bearer: br, clk: b.clock(br.Span)}
		if b.cfg.BearerLatency != nil {
			d.lat = b.cfg.BearerLatency(br.Span)
		}
		if s.ipmm {
			var err error
			if d.pkt, err = rtpout.New(pt); err != nil {
				b.log.Error("intercept without content", "cin", s.cin, "err", err)
				return
			}
		}
		if s.ipmm {
			d.bufI = make([]byte, 0, 512)
		}
		if s.pstn {
			d.bufP = make([]byte, 0, 512)
		}
		d.cc = hi3.CC{
			Direction:   d.pd,
			Qualifier:   psdu.QualifierTimeOfInterception,
			StreamID:    streamIDs[i],
			CCLinkID:    uint32(i + 1),
			HasCCLinkID: true,
		}
		d.media = hi2.MediaInfo{
			Type:             hi2.Continue,
			PayloadDirection: d.pd,
			CCLinkID:         uint32(i + 1),
			MediaFormat:      pt,
		}
		s.dirs[i] = d
	}
	s.contentOn = true
	hs, _ := b.cfg.Demux.(HistorySubscriber)
	now := b.now()
	for i, d := range s.dirs {
		if f, ok := d.startFrame(at, now); ok && hs != nil {
			// Stamped on the line's clock from the start frame on.
			d.anchorT, d.anchorF, d.anchored = at, f, true
			s.cancels[i] = hs.SubscribeFrom(d.bearer.Span, d.bearer.TS, f, d.chunk)
			continue
		}
		s.cancels[i] = b.cfg.Demux.Subscribe(d.bearer.Span, d.bearer.TS, d.chunk)
	}
	b.log.Debug("intercept content started", "cin", s.cin)
}

func (s *session) stopContent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopContentLocked()
}

func (s *session) stopContentLocked() {
	s.contentOn = false
	for i, c := range s.cancels {
		if c != nil {
			c()
			s.cancels[i] = nil
		}
	}
	if s.tailTimer != nil {
		s.tailTimer.Stop()
		s.tailTimer = nil
		b := s.b
		b.tailMu.Lock()
		delete(b.tails, s)
		b.tailMu.Unlock()
	}
}

// frameDur is one TDM frame: 125 µs.
const frameDur = 125 * time.Microsecond

// chunkFrames is the frames of one chunk.
const chunkFrames = 160

// chunk takes 20 ms of one direction (demultiplexer goroutine): RTP packet
// (iPMMCC destinations) or raw octets (pstnIsdnCC), one CC PDU per
// destination, the first one preceded by the CC link's supplementary media
// information on HI2. The PDU timestamp is when the direction's first chunk
// was on the line (its arrival less the chunk's 20 ms and the span's bearer
// latency) advanced by the TDM frame count; the RTP timestamp is the frame
// count alone. After the session ended, chunks go on up to the release
// point (tail.go). It does not allocate.
func (d *ccDir) chunk(chunk []byte, first uint64) {
	s := d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.contentOn {
		return
	}
	b := s.b
	if d.draining && first >= d.stopAt {
		// Wholly after the release: the tail is complete.
		s.cancelDirLocked(int(d.pd))
		return
	}
	now := b.now()
	d.clk.observe(now.UnixNano(), first+chunkFrames)
	d.next = first + chunkFrames
	if !d.started && !d.anchored {
		d.anchorT, d.anchorF = now.Add(-chunkDur-d.lat), first
	}
	if d.draining && d.next >= d.stopAt {
		defer s.cancelDirLocked(int(d.pd))
	}
	t := d.anchorT.Add(time.Duration(int64(first-d.anchorF)) * frameDur)
	if !t.Before(s.w.End) {
		b.m.dropped.Inc()
		b.m.nDropped.Add(1)
		return
	}
	var pkt []byte
	if s.ipmm {
		n, err := d.pkt.MarshalTo(d.rtp[:], chunk, first)
		if err != nil {
			b.m.dropped.Inc()
			b.m.nDropped.Add(1)
			return
		}
		pkt = d.rtp[:n]
	}
	seq := s.ccSeq
	s.ccSeq++
	media := !d.started
	if !d.started {
		d.started = true
		d.media.Time = t
		d.media.FirstPDUNumber = seq
		s.hdr.Seq = s.iriSeq
		s.iriSeq++
		s.hdr.Time = t
		s.buf = hi2.AppendMediaInfo(s.buf[:0], &s.hdr, &d.media)
		for _, dest := range s.dests {
			b.cfg.Output.SendIRI(dest, s.buf)
		}
		b.m.media.Inc()
		b.m.nIRI.Add(1)
		if s.pstn {
			d.cc.Supplementary = &d.media
		}
	}
	s.hdr.Seq = seq
	s.hdr.Time = t
	d.cc.Time = t
	if s.ipmm {
		d.bufI = hi3.AppendIPMMCC(d.bufI[:0], &s.hdr, &d.cc, pkt)
	}
	if s.pstn {
		d.bufP = hi3.AppendPstnIsdnCC(d.bufP[:0], &s.hdr, &d.cc, chunk)
		d.cc.Supplementary = nil
	}
	for i, dest := range s.dests {
		if s.ccFmt[i] == config.PstnIsdnCC {
			b.cfg.Output.SendCC(dest, d.bufP)
		} else {
			b.cfg.Output.SendCC(dest, d.bufI)
		}
	}
	b.m.cc.Inc()
	b.m.nCC.Add(1)
	if s.ccSince++; s.ccSince >= b.every || media {
		s.checkpoint()
	}
}
