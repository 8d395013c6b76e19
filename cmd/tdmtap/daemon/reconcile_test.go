package daemon

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi1/x1"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

// endBound is how soon after an X1 command the IRI-END must be at the LEMF.
const endBound = 2 * time.Second

// x1Do sends one signed X1 request and fails on any error.
func (h *hi1Setup) x1Do(t *testing.T, d *Daemon, req *x1.Request) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	r, err := h.client(t, d).Do(ctx, req)
	if err != nil || r.Err() != nil {
		t.Fatalf("%s: %v %v", req.Type, err, r.Err())
	}
}

// x1Task is a task for target nsn under liid until end.
func (h *hi1Setup) x1Task(xid, liid, nsn, delivery string, end time.Time) *x1.TaskDetails {
	return &x1.TaskDetails{XID: xid, Targets: []x1.Target{{E164: "44" + nsn}}, DeliveryType: delivery, DIDs: []string{h.did},
		Mediation: []x1.Mediation{{LIID: liid, End: end.UTC().Format(time.RFC3339)}}}
}

// liveCall provisions x1LIID (IRI+CC) over X1, starts one long answered
// call to its target with bearer (switchsim, in the background) and waits
// for its IRI-BEGIN and some content at the LEMF. It returns the task's xId,
// the intercept's CIN and a channel closed when the call is over.
func liveCall(t *testing.T, ts *testSetup, h *hi1Setup, d *Daemon, hold time.Duration) (string, uint32, <-chan struct{}) {
	t.Helper()
	h.did = x1.NewUUID()
	h.x1Do(t, d, &x1.Request{Type: x1.CreateDestination, Destination: &x1.DestinationDetails{DID: h.did, FriendlyName: "lemf-1", DeliveryType: x1.X2andX3}})
	xid := x1.NewUUID()
	h.x1Do(t, d, &x1.Request{Type: x1.ActivateTask, Task: h.x1Task(xid, x1LIID, x1NSN, x1.X2andX3, time.Now().Add(time.Hour))})

	s := targetCallSim(t, ts, d, x1NSN, hold)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*testDeadline)
		defer cancel()
		if _, err := s.Run(ctx); err != nil {
			t.Errorf("switchsim: %v", err)
		}
	}()
	t.Cleanup(func() { <-done })
	begin := ts.lemf.next(t, "BEGIN")
	if begin.Type != hi2.Begin || begin.LIID != x1LIID {
		t.Fatalf("first IRI %+v", begin)
	}
	waitFor(t, "content at the LEMF", func() bool { return len(ts.lemf.cc) >= 10 })
	return xid, begin.CIN, done
}

// ccQuiet checks that content stopped at once when the X1 command returned
// (the store reconciles the bridge before answering): the bridge hands over
// no CC PDU during an observation window in which a running stream gives
// about 50. Then what was handed over before the stop drains to the LEMF
// (however slow delivery is on a loaded machine) and nothing follows it.
func ccQuiet(t *testing.T, d *Daemon, l *lemf, what string) {
	t.Helper()
	before := d.Bridge().Stats().CC
	time.Sleep(500 * time.Millisecond) // an observation window, not synchronisation
	if after := d.Bridge().Stats().CC; after != before {
		t.Fatalf("%s: the bridge handed over %d more CC PDUs", what, after-before)
	}
	deadline := time.After(testDeadline)
	for {
		select {
		case <-l.cc:
			continue
		case <-time.After(500 * time.Millisecond):
			return
		case <-deadline:
			t.Fatalf("%s: content still arriving at the LEMF", what)
		}
	}
}

// untilEnd reads IRI of cin until its IRI-END, within bound of since.
func untilEnd(t *testing.T, l *lemf, cin uint32, since time.Time, bound time.Duration) {
	t.Helper()
	for {
		r := l.next(t, "IRI-END")
		if r.LIID != x1LIID || r.CIN != cin {
			t.Fatalf("IRI %+v, want the live intercept's", r)
		}
		if r.Type == hi2.End {
			break
		}
	}
	if el := time.Since(since); el > bound {
		t.Errorf("IRI-END %v after the command, bound %v", el, bound)
	}
}

// TestHI1DeactivateEndsLiveIntercept: a signed X1 DeactivateTask during an
// answered, intercepted call ends the intercept at once: IRI-END at the
// LEMF within the bound, no content after it, the session record gone,
// nothing more at the call's release; the audit file has the intercept's
// end with reason warrant-deactivated and verifies.
func TestHI1DeactivateEndsLiveIntercept(t *testing.T) {
	ts := setup(t, func(ts *testSetup) { ts.sgpRole = true })
	h := withHI1(t, ts)
	d := start(t, ts)
	defer stop(t, d)
	xid, cin, done := liveCall(t, ts, h, d, 5*time.Second)

	t0 := time.Now()
	h.x1Do(t, d, &x1.Request{Type: x1.DeactivateTask, XID: xid})
	untilEnd(t, ts.lemf, cin, t0, endBound)
	if n := d.Bridge().Active(); n != 0 {
		t.Errorf("%d intercepts active after the deactivation", n)
	}
	ccQuiet(t, d, ts.lemf, "after the deactivation")
	waitFor(t, "session record removed", func() bool {
		ss, err := d.Plane().Store.Sessions()
		return err == nil && len(ss) == 0
	})
	<-done // the call is released: no more IRI for it
	ts.lemf.expectNone(t, 300*time.Millisecond, "after the release of a deactivated intercept")
	stop(t, d)

	text := h.verifyAudit(t)
	if !auditHas(text, `"kind":"intercept.end"`, `"reason":"warrant-deactivated"`, `"liid":"`+x1LIID+`"`) {
		t.Error("audit file lacks the intercept's end by deactivation")
	}
	if !strings.Contains(text, `"kind":"warrant.deactivated"`) {
		t.Error("audit file lacks warrant.deactivated")
	}
	if strings.Contains(text, x1NSN) {
		t.Error("audit file contains the target number")
	}
}

// TestHI1ModifyIRIOnlyStopsContent: a signed X1 ModifyTask switching the
// task to IRI only (X2Only) stops the live intercept's content at once;
// its IRI goes on and ends with IRI-END at the release.
func TestHI1ModifyIRIOnlyStopsContent(t *testing.T) {
	ts := setup(t, func(ts *testSetup) { ts.sgpRole = true })
	h := withHI1(t, ts)
	d := start(t, ts)
	defer stop(t, d)
	xid, cin, done := liveCall(t, ts, h, d, 5*time.Second)

	h.x1Do(t, d, &x1.Request{Type: x1.ModifyTask, Task: h.x1Task(xid, x1LIID, x1NSN, x1.X2Only, time.Now().Add(time.Hour))})
	if n := d.Bridge().Active(); n != 1 {
		t.Fatalf("%d intercepts active after the IRI-only modify, want 1", n)
	}
	ccQuiet(t, d, ts.lemf, "after the IRI-only modify")
	<-done
	untilEnd(t, ts.lemf, cin, time.Now(), testDeadline)
	stop(t, d)
	text := h.verifyAudit(t)
	if !auditHas(text, `"kind":"intercept.content_end"`, `"reason":"warrant-modified"`) {
		t.Error("audit file lacks the content end by modification")
	}
	if auditHas(text, `"kind":"intercept.end"`, `"reason":"warrant-modified"`) {
		t.Error("the IRI-only modify ended the intercept")
	}
}

// auditHas reports whether one audit line holds every part.
func auditHas(text string, parts ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestDaemonReloadRemovedWarrantEnds: a configuration-file warrant removed
// by a reload (SIGHUP) ends its live intercept at once (IRI-END before the
// call's release; reason warrant-removed); one left in the file would keep
// it (TestDaemonReloadRetiresDestination).
func TestDaemonReloadRemovedWarrantEnds(t *testing.T) {
	ts := setup(t)
	d := start(t, ts)
	defer stop(t, d)
	ts.sw.waitActive(t)
	ts.sw.iam(t, 7, targetNSN, callerNSN)
	ts.sw.msg(t, false, isup.ACM, 7)
	ts.sw.msg(t, false, isup.ANM, 7)
	begin := ts.lemf.next(t, "BEGIN")
	writeWarrants(t, ts.warrantsPath, "LIID-TEST-2", target2NSN)
	t0 := time.Now()
	if _, err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	for {
		r := ts.lemf.next(t, "END of the removed warrant's intercept")
		if r.LIID != "LIID-TEST-1" || r.CIN != begin.CIN {
			t.Fatalf("IRI %+v", r)
		}
		if r.Type == hi2.End {
			break
		}
	}
	if el := time.Since(t0); el > endBound {
		t.Errorf("IRI-END %v after the reload", el)
	}
	if d.Bridge().Active() != 0 {
		t.Error("intercept still active")
	}
	ts.sw.msg(t, true, isup.REL, 7)
	ts.sw.msg(t, false, isup.RLC, 7)
	ts.lemf.expectNone(t, 300*time.Millisecond, "after the release")
	if !strings.Contains(ts.log.String(), `"reason":"warrant-removed"`) {
		t.Error("the audit (log stand-in) lacks reason warrant-removed")
	}
}
