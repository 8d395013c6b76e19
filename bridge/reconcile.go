package bridge

import (
	"log/slog"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/ss7/call"
)

// Reconciling live intercepts with a changed warrant set.
//
// A session keeps the warrant it started with, but interception must not
// outlast its authority. After the warrant set changes (an X1 DeactivateTask
// or ModifyTask, a configuration reload), Reconcile checks every live
// intercept against the new set, by LIID:
//
//   - the LIID is gone from the set: the intercept ends at once (IRI-END,
//     state idle; content stops with no release tail; the bearer is
//     unsubscribed; the session record is removed), reason
//     "warrant-deactivated" for a provisioned warrant (or what Reconcile's
//     why function says: "warrant-modified" for a modify that ended the
//     validity, "warrant-expired"), "warrant-removed" for a warrant taken
//     out of the configuration file;
//   - a provisioned warrant is still there but no longer covers the call
//     (its window does not include now, or none of the call's matched
//     numbers is a target in a counted role any more): ended, reason
//     "warrant-modified";
//   - a provisioned warrant went from IRI+CC to IRI only: content stops at
//     once (audited "intercept.content_end"), IRI goes on until the call ends;
//   - otherwise the intercept runs on under the new validity window (an
//     extension lets it run longer; a shortened end in the future ends it
//     then); its LEMF destinations and CC formats stay those it started
//     with: added destinations and an IRI-only → IRI+CC change apply to new
//     intercepts only.
//
// A configuration file warrant that is still in the file keeps the
// snapshot it started with (reload semantics: only removal ends it).
// Content tails of calls already released are cut when their warrant is
// gone or lost CC. Intercepts recorded by a previous run and not yet picked
// up again are closed when their LIID is gone or no longer in force.
// Every end is audited "intercept.end" with the reason.

// Reasons an intercept ends because its authority changed (audit records).
const (
	ReasonWarrantDeactivated = "warrant-deactivated"
	ReasonWarrantModified    = "warrant-modified"
	ReasonWarrantRemoved     = "warrant-removed"
)

// stopsAtOnce reports whether an end for reason stops content with no
// release tail: the authority ended, not the call.
func stopsAtOnce(reason string) bool {
	switch reason {
	case ReasonWarrantExpired, ReasonWarrantDeactivated, ReasonWarrantModified, ReasonWarrantRemoved:
		return true
	}
	return false
}

// provisioned reports whether w came from the warrant store (X1).
func provisioned(w *warrant.Warrant) bool { return strings.HasPrefix(w.File, store.ProvisionedFile) }

// keepParties copies the matched parties (their digits alias decoder
// buffers). Runs once per intercept start.
func keepParties(ps []warrant.Party) []warrant.Party {
	out := make([]warrant.Party, len(ps))
	for i, p := range ps {
		out[i] = warrant.Party{Role: p.Role, NAI: p.NAI, Digits: append([]byte(nil), p.Digits...)}
	}
	return out
}

// ReconcileResult counts what Reconcile did.
type ReconcileResult struct {
	Ended     int // live intercepts ended (IRI-END sent)
	CCStopped int // live intercepts whose content stopped, IRI going on
	Tails     int // content tails of released calls cut short
	Records   int // recorded intercepts of a previous run closed
}

// Reconcile applies the current warrant set (Config.Warrants) to the live
// intercepts; see above. why, when not nil, names the reason a provisioned
// LIID left the set (ReasonWarrantDeactivated, ReasonWarrantModified,
// ReasonWarrantExpired, ReasonWarrantRemoved; "" for the default,
// deactivated). Call it after every change of the set; it is cheap when
// nothing is live. Safe for concurrent use with the event and content paths.
func (b *Bridge) Reconcile(why func(liid string) string) ReconcileResult {
	var r ReconcileResult
	set := b.cfg.Warrants.Load()
	now := b.now()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return r
	}
	for _, cs := range b.calls {
		for _, s := range cs.sessions {
			s.mu.Lock()
			if !s.ended {
				b.reconcileSession(s, cs, set, now, why, &r)
			}
			s.mu.Unlock()
		}
	}
	for ck, p := range b.pending {
		keep := p.recs[:0]
		for i := range p.recs {
			rec := &p.recs[i]
			if reason, at, end := b.judgeRecord(rec, set, now, why); end {
				b.endRecord(rec, at, reason)
				r.Records++
				continue
			}
			keep = append(keep, *rec)
		}
		if len(keep) == 0 {
			delete(b.pending, ck)
		} else {
			p.recs = keep
		}
	}
	b.resumable.Store(int64(len(b.pending) + b.nResumed))
	b.mu.Unlock()

	b.tailMu.Lock()
	tails := make([]*session, 0, len(b.tails))
	for s := range b.tails {
		tails = append(tails, s)
	}
	b.tailMu.Unlock()
	for _, s := range tails {
		s.mu.Lock()
		if s.contentOn {
			nw := lookupLIID(set, s.w.LIID)
			if nw == nil || (provisioned(s.w) && (!nw.CC() || !nw.Active(now) ||
				(len(s.parties) > 0 && !covers(set, nw, s.parties, now)))) {
				s.stopContentLocked()
				r.Tails++
			}
		}
		s.mu.Unlock()
	}
	if r != (ReconcileResult{}) {
		b.log.Info("live intercepts reconciled with the changed warrant set",
			"ended", r.Ended, "content_stopped", r.CCStopped, "tails_cut", r.Tails, "records_closed", r.Records)
	}
	return r
}

// lookupLIID returns the set's warrant with that LIID (nil if none).
func lookupLIID(set *warrant.Set, liid string) *warrant.Warrant {
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

// covers reports whether w, in set, still matches one of the parties at now.
func covers(set *warrant.Set, w *warrant.Warrant, parties []warrant.Party, now time.Time) bool {
	var buf [8]warrant.Match
	for _, m := range set.Match(now, parties, buf[:0]) {
		if m.Warrant == w {
			return true
		}
	}
	return false
}

// goneReason is the reason for an intercept whose LIID left the set.
func goneReason(ow *warrant.Warrant, now time.Time, why func(string) string) (string, time.Time) {
	if !now.Before(ow.End) {
		return ReasonWarrantExpired, ow.End
	}
	if !provisioned(ow) {
		return ReasonWarrantRemoved, now
	}
	reason := ReasonWarrantDeactivated
	if why != nil {
		if r := why(ow.LIID); r != "" {
			reason = r
		}
	}
	return reason, now
}

// reconcileSession applies set to one live session (b.mu and s.mu held).
func (b *Bridge) reconcileSession(s *session, cs *callState, set *warrant.Set, now time.Time, why func(string) string, r *ReconcileResult) {
	ow := s.w
	nw := lookupLIID(set, ow.LIID)
	if nw == nil {
		reason, at := goneReason(ow, now, why)
		s.end(at, nil, reason)
		r.Ended++
		return
	}
	if !provisioned(ow) {
		return // configuration file warrant still in the file: reload semantics
	}
	parties := s.parties
	if parties == nil && cs.base != nil {
		parties = b.baseParties(cs.base)
		s.parties = parties
	}
	if !nw.Active(now) || (len(parties) > 0 && !covers(set, nw, parties, now)) {
		s.end(now, nil, ReasonWarrantModified)
		r.Ended++
		return
	}
	w := *nw
	if !ow.CC() {
		w.Delivery = ow.Delivery // IRI-only → IRI+CC applies to new intercepts
	}
	if ow.CC() && !w.CC() {
		if s.contentOn || s.tried {
			r.CCStopped++
			if b.cfg.Auditor != nil {
				b.cfg.Auditor.Record("intercept.content_end", slog.String("liid", ow.LIID), slog.Uint64("cin", uint64(s.cin)),
					slog.Time("time", now), slog.String("reason", ReasonWarrantModified))
			}
			b.log.Info("intercept content stopped; IRI goes on", "cin", s.cin, "reason", ReasonWarrantModified)
		}
		s.stopContentLocked()
	}
	s.w = &w
}

// baseParties are a resumed call's numbers as warrant parties.
func (b *Bridge) baseParties(e *call.Event) []warrant.Party {
	ansi := b.cfg.ANSI != nil && b.cfg.ANSI(e.Circuit)
	var ps []warrant.Party
	for i, n := range numberFields(e) {
		if !n.Present {
			continue
		}
		nai := n.NAI
		if ansi {
			nai = warrant.ANSINAI(nai)
		}
		ps = append(ps, warrant.Party{Role: numberRoles[i], NAI: nai, Digits: append([]byte(nil), n.Digits()...)})
	}
	return ps
}

// judgeRecord decides about an intercept recorded by a previous run.
func (b *Bridge) judgeRecord(rec *store.Session, set *warrant.Set, now time.Time, why func(string) string) (string, time.Time, bool) {
	nw := lookupLIID(set, rec.LIID)
	if nw == nil {
		reason := ReasonWarrantDeactivated
		if why != nil {
			if r := why(rec.LIID); r != "" {
				reason = r
			}
		}
		return reason, now, true
	}
	if !provisioned(nw) {
		return "", now, false
	}
	if !nw.Active(now) {
		return ReasonWarrantModified, now, true
	}
	ansi := b.cfg.ANSI != nil && b.cfg.ANSI(call.CircuitKey{NI: rec.NI, CIC: rec.CIC, PCA: rec.PCA, PCB: rec.PCB})
	ps := make([]warrant.Party, 0, len(rec.Parties))
	for _, p := range rec.Parties {
		nai := p.NAI
		if ansi {
			nai = warrant.ANSINAI(nai)
		}
		ps = append(ps, warrant.Party{Role: p.Role, NAI: nai, Digits: []byte(p.Digits)})
	}
	if len(ps) > 0 && !covers(set, nw, ps, now) {
		return ReasonWarrantModified, now, true
	}
	return "", now, false
}
