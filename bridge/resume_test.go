package bridge

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func withSessions(st *store.Store, every int) opt {
	return func(c *Config) { c.Sessions, c.CheckpointEvery = st, every }
}

// crash drops a bridge without Close (its recorded sessions are what a
// crash leaves once the writer has caught up) and closes the store.
func crash(t *testing.T, e *env, st *store.Store) {
	t.Helper()
	if err := e.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.b.rec.close() // stop the writer goroutine; the bridge itself is dropped
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestResumeAfterCrash: an intercept starts (IAM, ACM), the gateway
// crashes, a new bridge and tracker come up on the same store; the call's
// ANM and REL (orphans to the new tracker) give IRI-CONTINUE and IRI-END
// with the same LIID and CIN and sequence numbers continuing without a gap;
// content restarts on the ANM, and its sequence numbers continue from the
// recorded checkpoint.
func TestResumeAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	st := openStore(t, path)
	e := newEnv(t, withSessions(st, 4))
	e.send(0, pcA, iam(5, tgt2, other)) // target called; lemf2 takes pstnIsdnCC
	e.send(2*time.Second, pcB, msg(isup.ACM, 5))
	ps := e.decoded()
	e.wantTypes(ps, "LIID-TWO", "BEGIN CONTINUE")
	cin := checkHeaders(t, ps, "LIID-TWO")
	if err := e.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ss, err := st.Sessions(); err != nil || len(ss) != 1 || ss[0].LIID != "LIID-TWO" || ss[0].CIN != cin || ss[0].IRISeq != 2 ||
		ss[0].OrigPC != pcA || ss[0].CIC != 5 || len(ss[0].Parties) != 2 {
		t.Fatalf("recorded sessions %+v %v", ss, err)
	}
	crash(t, e, st)

	st2 := openStore(t, path)
	defer st2.Close()
	e2 := newEnv(t, withSessions(st2, 4))
	defer e2.b.Close()
	e2.at = e.at
	e2.send(3*time.Second, pcB, msg(isup.ANM, 5))
	e2.feed(160 * 10) // 10 chunks per direction
	e2.send(time.Minute, pcA, rel(5, 16))
	e2.send(time.Second, pcB, msg(isup.RLC, 5))
	e2.feed(160)

	ps2 := e2.decoded()
	e2.wantTypes(ps2, "LIID-TWO", "CONTINUE MEDIA MEDIA END")
	var nextIRI, nextCC uint32 = 2, 0
	for i, p := range ps2 {
		if p.p.Header.LIID != "LIID-TWO" || p.p.Header.CIN != cin {
			t.Fatalf("pdu %d: LIID %q CIN %d, want the recorded LIID-TWO / %d", i, p.p.Header.LIID, p.p.Header.CIN, cin)
		}
		want := &nextIRI
		if p.hi == 3 {
			want = &nextCC
		}
		if p.p.Header.Seq != *want {
			t.Errorf("pdu %d (HI%d): seq %d, want %d", i, p.hi, p.p.Header.Seq, *want)
		}
		*want = p.p.Header.Seq + 1
	}
	if n := len(only(ps2, "LIID-TWO", 3)); n != 20 {
		t.Errorf("%d CC PDUs after the resume, want 20", n)
	}
	iri := only(ps2, "LIID-TWO", 2)
	end := iri[len(iri)-1].iri.Params
	if end.Cause == nil || end.Cause.Value != 16 || end.Conversation != "00:01:00" || end.Ringing != "00:00:03" {
		t.Errorf("END after resume: cause %+v conversation %q ringing %q", end.Cause, end.Conversation, end.Ringing)
	}
	e2.wantParties(iri[0].iri, partyWant{role: "terminating-Party", called: tgt2})
	if err := e2.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ss, _ := st2.Sessions(); len(ss) != 0 {
		t.Errorf("records left after the call ended: %+v", ss)
	}
	if s := e2.b.Stats(); s.Resumed != 1 || s.Active != 0 || s.Ended != 1 {
		t.Errorf("stats %+v", s)
	}
	a := strings.Join(e2.audit.rec, "\n")
	if !strings.Contains(a, "intercept.resume liid=LIID-TWO") || !strings.Contains(a, "intercept.end liid=LIID-TWO") {
		t.Errorf("audit:\n%s", a)
	}

	// A third run: the call is gone, nothing is resumed.
	e2.b.Close()
	st2.Close()
	st3 := openStore(t, path)
	defer st3.Close()
	e3 := newEnv(t, withSessions(st3, 4))
	defer e3.b.Close()
	e3.send(time.Second, pcB, msg(isup.ANM, 5))
	if ps := e3.decoded(); len(ps) != 0 {
		t.Errorf("%d PDUs from a circuit with no recorded intercept", len(ps))
	}
}

// TestResumeCheckpointsCC: content sequence numbers are recorded every
// CheckpointEvery PDUs; an answered call resumes content at once on its
// next message, continuing from the recorded number (repeats allowed,
// never a gap).
func TestResumeCheckpointsCC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	st := openStore(t, path)
	e := newEnv(t, withSessions(st, 4))
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(2*time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160 * 5) // 10 CC PDUs
	ps := e.decoded()
	cc := only(ps, "LIID-ONE", 3)
	iri := only(ps, "LIID-ONE", 2)
	if len(cc) != 10 {
		t.Fatalf("%d CC PDUs", len(cc))
	}
	crash(t, e, st)
	st2 := openStore(t, path)
	defer st2.Close()
	ss, _ := st2.Sessions()
	if len(ss) != 1 || ss[0].CCSeq > 10 || ss[0].CCSeq < 10-4 || ss[0].IRISeq != uint32(len(iri)) {
		t.Fatalf("recorded %+v (CC sent 10, IRI sent %d)", ss, len(iri))
	}
	e2 := newEnv(t, withSessions(st2, 4))
	defer e2.b.Close()
	e2.at = e.at
	e2.send(time.Second, pcB, msg(isup.SUS, 5)) // the next message: content restarts at once
	e2.feed(160 * 2)
	ps2 := e2.decoded()
	e2.wantTypes(ps2, "LIID-ONE", "CONTINUE MEDIA MEDIA")
	cc2 := only(ps2, "LIID-ONE", 3)
	if len(cc2) != 4 || cc2[0].p.Header.Seq != ss[0].CCSeq {
		t.Errorf("resumed CC: %d PDUs, first seq %d, want from %d", len(cc2), cc2[0].p.Header.Seq, ss[0].CCSeq)
	}
	if s := only(ps2, "LIID-ONE", 2); s[0].p.Header.Seq != uint32(len(iri)) {
		t.Errorf("resumed IRI seq %d, want %d", s[0].p.Header.Seq, len(iri))
	}
}

// TestResumeWarrantGone: a recorded intercept whose warrant is no longer in
// force gets IRI-END on its circuit's next message and is dropped; one
// whose circuit sees a new IAM ends as ended-unseen before the new call is
// matched; one whose warrant ends while pending is closed by Tick.
func TestResumeWarrantGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	st := openStore(t, path)
	e := newEnv(t, withSessions(st, 4))
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(0, pcA, iam(6, other, tgt1))
	e.send(0, pcA, iam(7, other, tgt1))
	crash(t, e, st)

	st2 := openStore(t, path)
	defer st2.Close()
	e2 := newEnv(t, withSessions(st2, 4))
	defer e2.b.Close()
	// CIC 5: the warrant is withdrawn (reload without it).
	ws, _ := warrant.NewSet(plan, nil)
	e2.store.Swap(ws)
	e2.send(time.Second, pcB, msg(isup.ACM, 5))
	ps := e2.decoded()
	e2.wantTypes(ps, "LIID-ONE", "END")
	e2.store.Swap(warrants(t))
	// CIC 6: a new call on the circuit; the old intercept ends unseen, the
	// new one (target again) begins with a new CIN.
	e2.send(time.Second, pcA, iam(6, other, tgt1))
	ps = e2.decoded()
	e2.wantTypes(ps, "LIID-ONE", "END END BEGIN")
	if ps[1].p.Header.CIN == ps[2].p.Header.CIN {
		t.Errorf("new call got the old CIN %d", ps[1].p.Header.CIN)
	}
	// CIC 7: Tick after the warrant's end closes the pending record.
	e2.b.Tick(t0.Add(25 * time.Hour))
	ps = e2.decoded()
	e2.wantTypes(ps, "LIID-ONE", "END END BEGIN END END")
	if err := e2.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	ss, _ := st2.Sessions()
	if len(ss) != 0 {
		t.Errorf("records left: %d", len(ss))
	}
	a := strings.Join(e2.audit.rec, "\n")
	for _, w := range []string{"reason=warrant-expired", "reason=ended-unseen"} {
		if !strings.Contains(a, w) {
			t.Errorf("audit lacks %q:\n%s", w, a)
		}
	}
}

// TestLeasedCINSurvivesRestart: a restarted allocator (same store, same
// second) never repeats a CIN of the previous run.
func TestLeasedCINSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	now := func() time.Time { return t0 }
	seen := map[uint32]bool{}
	for run := 0; run < 3; run++ {
		st := openStore(t, path)
		c, err := NewLeasedCIN(now, st, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			v := c.Next("L")
			if seen[v] || v == 0 || v >= MaxCIN {
				t.Fatalf("run %d: CIN %d repeated or out of range", run, v)
			}
			seen[v] = true
		}
		st.Close()
	}
}

// nopRecorder is a SessionRecorder that keeps nothing.
type nopRecorder struct{}

func (nopRecorder) SessionStarted(store.Session) error { return nil }
func (nopRecorder) SessionUpdated(store.Session) error { return nil }
func (nopRecorder) SessionEnded(string, uint32) error  { return nil }
func (nopRecorder) Sessions() ([]store.Session, error) { return nil, nil }

// TestRecordedChunkNoAllocs: with session recording on, the content path
// (including its sequence checkpoints) still does not allocate.
func TestRecordedChunkNoAllocs(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Output, c.Sessions, c.CheckpointEvery, c.Logger = discard{}, nopRecorder{}, 4, nil
	})
	defer e.b.Close()
	e.send(0, pcA, iam(5, other, tgt1))
	e.send(time.Second, pcB, msg(isup.ANM, 5))
	e.feed(160)
	var d *ccDir
	for _, cs := range e.b.calls {
		d = cs.sessions[0].dirs[0]
	}
	chunk := make([]byte, 160)
	frame := e.frame
	allocs := testing.AllocsPerRun(400, func() {
		d.chunk(chunk, frame)
		frame += 160
	})
	if allocs != 0 {
		t.Errorf("recorded chunk: %.2f allocs", allocs)
	}
	if err := e.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := e.b.Stats(); s.RecordsDropped != 0 || s.RecordsFailed != 0 || s.CC < 400 {
		t.Errorf("stats %+v", s)
	}
}
