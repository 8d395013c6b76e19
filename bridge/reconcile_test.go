package bridge

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

// provSet is LIID-ONE (target tgt1, IRI+CC) as the warrant store publishes
// it (File "x1:..."), changed by mod; mod returning false leaves it out.
func provSet(t *testing.T, mod func(w *warrant.Warrant) bool) *warrant.Set {
	t.Helper()
	w := warrant.Warrant{LIID: "LIID-ONE", Targets: []warrant.Target{{Number: "+44" + tgt1}}, Roles: warrant.RoleAll,
		Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour), Delivery: warrant.IRIAndCC, Destinations: []string{"lemf1"},
		File: "x1:7f2c"}
	var ws []warrant.Warrant
	if mod == nil || mod(&w) {
		ws = append(ws, w)
	}
	s, errs := warrant.NewSet(plan, ws)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return s
}

// answered sets up a provisioned intercept of an answered call on CIC 5
// with content flowing (the bearer 30 ms late, so a release has a tail).
func answered(t *testing.T) *env {
	e := latencyEnv(t, 0)
	e.store.Swap(provSet(t, nil))
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.clock = e.clock.Add(30 * time.Millisecond)
	e.feed(160 * 5)
	if e.dm.Span(spanAtB).Subscribers(5) != 1 || e.b.Active() != 1 {
		t.Fatal("intercept not running")
	}
	return e
}

func (e *env) subscribed() bool {
	return e.dm.Span(spanAtB).Subscribers(5) != 0 || e.dm.Span(spanBtA).Subscribers(21) != 0
}

func (e *env) audited(prefix string) bool {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	for _, r := range e.audit.rec {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

// TestDeactivateEndsLiveIntercept: the warrant leaves the set during an
// answered call: IRI-END (state idle) at once, content stops at once (no
// release tail), no PDU afterwards, even at the call's release.
func TestDeactivateEndsLiveIntercept(t *testing.T) {
	e := answered(t)
	e.store.Swap(provSet(t, func(*warrant.Warrant) bool { return false }))
	r := e.b.Reconcile(nil)
	if r.Ended != 1 || r.CCStopped != 0 {
		t.Errorf("reconcile %+v", r)
	}
	if e.subscribed() {
		t.Error("bearer still subscribed after deactivation")
	}
	ps := e.decoded()
	n := len(ps)
	last := ps[n-1]
	if last.hi != 2 || last.iri.Type.String() != "END" || last.iri.Params == nil || last.iri.Params.State != "idle" {
		t.Fatalf("last PDU after deactivation: HI%d %v", last.hi, last.iri.Type)
	}
	if e.b.Active() != 0 {
		t.Errorf("%d active", e.b.Active())
	}
	e.feed(160 * 4)
	e.send(time.Second, pcA, rel(5, 16))
	e.feed(160 * 4)
	e.send(time.Second, pcB, msg(isup.RLC, 5))
	if got := len(e.decoded()); got != n {
		t.Errorf("%d PDUs after the IRI-END of a deactivated warrant", got-n)
	}
	e.wantTypes(e.decoded(), "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA END")
	cin := checkHeaders(t, ps, "LIID-ONE")
	if !e.audited("intercept.end liid=LIID-ONE cin=" + strconv.FormatUint(uint64(cin), 10) + " reason=warrant-deactivated") {
		t.Errorf("no intercept.end audit record: %q", e.audit.rec)
	}
}

// TestDeactivateCutsReleaseTail: a released call's content tail (bearer
// still behind the release) stops at once when the warrant goes.
func TestDeactivateCutsReleaseTail(t *testing.T) {
	e := answered(t)
	e.send(time.Minute, pcA, rel(5, 16))
	if !e.subscribed() {
		t.Fatal("no release tail to cut")
	}
	n := len(e.decoded())
	e.store.Swap(provSet(t, func(*warrant.Warrant) bool { return false }))
	if r := e.b.Reconcile(nil); r.Tails != 1 {
		t.Errorf("reconcile %+v", r)
	}
	if e.subscribed() {
		t.Error("tail still subscribed")
	}
	e.feed(160 * 4)
	if got := len(e.decoded()); got != n {
		t.Errorf("%d CC PDUs after the deactivation", got-n)
	}
}

// TestModifyIRIOnlyStopsContent: IRI+CC → IRI only: content stops at once,
// IRI goes on to the END at release.
func TestModifyIRIOnlyStopsContent(t *testing.T) {
	e := answered(t)
	e.store.Swap(provSet(t, func(w *warrant.Warrant) bool { w.Delivery = warrant.IRIOnly; return true }))
	if r := e.b.Reconcile(nil); r.CCStopped != 1 || r.Ended != 0 {
		t.Errorf("reconcile %+v", r)
	}
	if e.subscribed() {
		t.Error("bearer still subscribed after IRI-only modify")
	}
	n := len(only(e.decoded(), "LIID-ONE", 3))
	e.feed(160 * 4)
	e.send(time.Second, pcA, msg(isup.SUS, 5))
	e.feed(160 * 4)
	e.send(time.Second, pcA, rel(5, 16))
	ps := e.decoded()
	if got := len(only(ps, "LIID-ONE", 3)); got != n {
		t.Errorf("%d CC PDUs after the IRI-only modify", got-n)
	}
	e.wantTypes(ps, "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA CONTINUE END")
	checkHeaders(t, ps, "LIID-ONE")
	if !e.audited("intercept.content_end liid=LIID-ONE") || e.audited("intercept.end liid=LIID-ONE cin=1 reason=warrant") {
		t.Errorf("audit %q", e.audit.rec)
	}
	if !e.audited("intercept.end liid=LIID-ONE") {
		t.Error("no intercept.end at release")
	}
}

// TestModifyEndsOrKeeps: a modify that removes the matched target, or
// moves the end into the past, ends the intercept ("warrant-modified");
// one that extends the end or adds a target keeps it, under the new end.
func TestModifyEndsOrKeeps(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(w *warrant.Warrant) bool
		why  func(string) string
		end  bool
	}{
		{"target removed", func(w *warrant.Warrant) bool { w.Targets = []warrant.Target{{Number: "+44" + tgt2}}; return true }, nil, true},
		{"role dropped", func(w *warrant.Warrant) bool { w.Roles = warrant.RoleCalled | warrant.RoleConnected; return true }, nil, true},
		{"start moved later", func(w *warrant.Warrant) bool { w.Start = t0.Add(time.Hour); return true }, nil, true},
		{"end in the past", func(*warrant.Warrant) bool { return false }, func(string) string { return ReasonWarrantModified }, true},
		{"extended, target added", func(w *warrant.Warrant) bool {
			w.End = t0.Add(48 * time.Hour)
			w.Targets = append(w.Targets, warrant.Target{Number: "+44" + tgt2})
			w.Destinations = append(w.Destinations, "lemf2")
			return true
		}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := answered(t)
			e.store.Swap(provSet(t, tc.mod))
			r := e.b.Reconcile(tc.why)
			if tc.end != (r.Ended == 1) || e.subscribed() != !tc.end {
				t.Fatalf("reconcile %+v, subscribed %v", r, e.subscribed())
			}
			if tc.end {
				if !e.audited("intercept.end liid=LIID-ONE cin=") || !strings.HasSuffix(e.audit.rec[len(e.audit.rec)-1], "reason=warrant-modified") {
					t.Errorf("audit %q", e.audit.rec)
				}
				return
			}
			// Past the old end: still running under the extended window;
			// new destinations do not apply to it.
			e.b.Tick(t0.Add(30 * time.Hour))
			if e.b.Active() != 1 {
				t.Error("extended intercept ended at the old end time")
			}
			e.b.Tick(t0.Add(49 * time.Hour))
			if e.b.Active() != 0 {
				t.Error("intercept outlived the new end time")
			}
			for _, p := range e.decoded() {
				if p.dest != "lemf1" {
					t.Fatalf("live intercept delivered to a destination added by modify: %s", p.dest)
				}
			}
		})
	}
}

// TestConfigWarrantRemoved: a configuration-file warrant (no "x1:" File)
// that is modified stays untouched (reload semantics); one removed from
// the file ends its live intercepts ("warrant-removed").
func TestConfigWarrantRemoved(t *testing.T) {
	e := latencyEnv(t, 0)
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160 * 3)
	ws := []warrant.Warrant{{LIID: "LIID-ONE", Targets: []warrant.Target{{Number: "+44" + tgt2}}, Roles: warrant.RoleAll,
		Start: t0.Add(-time.Hour), End: t0.Add(time.Hour), Delivery: warrant.IRIOnly, Destinations: []string{"lemf2"}}}
	changed, _ := warrant.NewSet(plan, ws)
	e.b.Reload(changed)
	if r := e.b.Reconcile(nil); r != (ReconcileResult{}) || !e.subscribed() {
		t.Errorf("a config warrant still in the file was reconciled: %+v", r)
	}
	empty, _ := warrant.NewSet(plan, nil)
	e.b.Reload(empty)
	if r := e.b.Reconcile(func(string) string { t.Error("why asked for a config warrant"); return "" }); r.Ended != 1 || e.subscribed() {
		t.Errorf("reconcile %+v", r)
	}
	e.wantTypes(e.decoded(), "LIID-ONE", "BEGIN CONTINUE MEDIA MEDIA END")
	if !strings.HasSuffix(e.audit.rec[len(e.audit.rec)-1], "reason=warrant-removed") {
		t.Errorf("audit %q", e.audit.rec)
	}
}

// TestReconcileResumedAndPending: after a crash, a resumed intercept (its
// call's numbers known only from the record) and one still pending (its
// circuit silent since the restart) are both ended when a modify removes
// the target they matched; their records are removed.
func TestReconcileResumedAndPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	st := openStore(t, path)
	e := newEnv(t, withSessions(st, 4))
	e.store.Swap(provSet(t, nil))
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.send(0, pcA, iam(6, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ACM, 6))
	e.wantTypes(e.decoded(), "LIID-ONE", "BEGIN CONTINUE BEGIN CONTINUE")
	crash(t, e, st)

	st2 := openStore(t, path)
	defer st2.Close()
	e2 := newEnv(t, withSessions(st2, 4))
	defer e2.b.Close()
	e2.store.Swap(provSet(t, nil))
	e2.at = e.at
	e2.send(time.Second, pcA, msg(isup.SUS, 5)) // CIC 5 resumes; CIC 6 stays pending
	// An unrelated modify (later end) keeps both.
	e2.store.Swap(provSet(t, func(w *warrant.Warrant) bool { w.End = t0.Add(48 * time.Hour); return true }))
	if r := e2.b.Reconcile(nil); r != (ReconcileResult{}) {
		t.Errorf("reconcile after an extension %+v", r)
	}
	e2.store.Swap(provSet(t, func(w *warrant.Warrant) bool { w.Targets = []warrant.Target{{Number: "+44" + tgt2}}; return true }))
	if r := e2.b.Reconcile(nil); r.Ended != 1 || r.Records != 1 {
		t.Errorf("reconcile %+v", r)
	}
	e2.wantTypes(e2.decoded(), "LIID-ONE", "CONTINUE END END")
	if err := e2.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ss, err := st2.Sessions(); err != nil || len(ss) != 0 {
		t.Errorf("records left: %d %v", len(ss), err)
	}
	n := 0
	for _, r := range e2.audit.rec {
		if strings.HasPrefix(r, "intercept.end liid=LIID-ONE") && strings.HasSuffix(r, "reason=warrant-modified") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("audit %q", e2.audit.rec)
	}
}

// TestModifyShortensEnd: X1 refuses an end time in the past, so a modify
// that shortens the validity sets a near end: the live intercept runs on
// and ends at the new end time by itself, content stopping at once.
func TestModifyShortensEnd(t *testing.T) {
	e := answered(t)
	newEnd := e.at.Add(time.Minute)
	e.store.Swap(provSet(t, func(w *warrant.Warrant) bool { w.End = newEnd; return true }))
	if r := e.b.Reconcile(nil); r != (ReconcileResult{}) || e.b.Active() != 1 {
		t.Fatalf("reconcile %+v", r)
	}
	e.b.Tick(newEnd.Add(time.Second))
	if e.b.Active() != 0 || e.subscribed() {
		t.Fatal("intercept outlived the shortened end")
	}
	if !strings.HasSuffix(e.audit.rec[len(e.audit.rec)-1], "reason=warrant-expired") {
		t.Errorf("audit %q", e.audit.rec)
	}
}
