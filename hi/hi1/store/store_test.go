package store

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tdmtap/tdmtap/bridge/warrant"
)

type recAudit struct {
	mu    sync.Mutex
	kinds []string
	attrs [][]slog.Attr
}

func (a *recAudit) Record(kind string, attrs ...slog.Attr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.kinds = append(a.kinds, kind)
	a.attrs = append(a.attrs, attrs)
}

func (a *recAudit) count(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, k := range a.kinds {
		if k == kind {
			n++
		}
	}
	return n
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func task(xid, liid string, end time.Time) Task {
	return Task{XID: xid, LIID: liid, Targets: []string{"+442079460001"}, Roles: warrant.RoleCalling | warrant.RoleCalled,
		Start: t0.Add(-time.Hour), End: end, Delivery: warrant.IRIAndCC, DIDs: []string{"d1"}, State: StateActive}
}

func open(t *testing.T, path string, c *clock, a Auditor, got *[]warrant.Warrant) *Store {
	t.Helper()
	s, err := Open(path, Options{Now: c.Now, Auditor: a, NoSync: true, OnChange: func(ws []warrant.Warrant) { *got = ws }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRestartKeepsWarrantsNoncesSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	c := &clock{t: t0}
	var active []warrant.Warrant
	s := open(t, path, c, nil, &active)
	if err := s.CreateDestination(Destination{DID: "d1", FriendlyName: "lemf1", DeliveryType: "X2andX3"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTask(task("x1", "LIID-A", t0.Add(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTask(task("x1", "LIID-A", t0.Add(24*time.Hour))); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate xId: %v", err)
	}
	if err := s.CreateTask(Task{XID: "x2", DIDs: []string{"nope"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown dId: %v", err)
	}
	if len(active) != 1 || active[0].LIID != "LIID-A" || active[0].Destinations[0] != "lemf1" {
		t.Fatalf("active after create: %+v", active)
	}
	if fresh, _ := s.UseNonce("alice", "n1", t0); !fresh {
		t.Fatal("first nonce not fresh")
	}
	se := Session{LIID: "LIID-A", CIN: 7, NI: 2, PCA: 1, PCB: 2, CIC: 3, Parties: []Party{{Role: warrant.RoleCalling, NAI: 4, Digits: "442079460001"}}, IRISeq: 5}
	if err := s.SessionStarted(se); err != nil {
		t.Fatal(err)
	}
	if err := s.SessionStarted(Session{LIID: "LIID-A", CIN: 8}); err != nil {
		t.Fatal(err)
	}
	if err := s.SessionEnded("LIID-A", 8); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDestination("d1"); !errors.Is(err, ErrInUse) {
		t.Fatalf("remove in-use destination: %v", err)
	}
	s.Close()

	active = nil
	s = open(t, path, c, nil, &active)
	defer s.Close()
	if len(active) != 1 || active[0].LIID != "LIID-A" || len(active[0].Targets) != 1 || active[0].Delivery != warrant.IRIAndCC {
		t.Fatalf("restart lost the warrant: %+v", active)
	}
	set, errs := warrant.NewSet(warrant.NumberPlan{CountryCode: "44", NationalPrefix: "0", InternationalPrefix: "00"}, active)
	if len(errs) != 0 || !set.IsTarget(t0, warrant.RoleCalling, 4, []byte("442079460001")) {
		t.Fatalf("reloaded warrant does not match its target: %v", errs)
	}
	if fresh, _ := s.UseNonce("alice", "n1", t0); fresh {
		t.Fatal("nonce forgotten across restart: replay window reopened")
	}
	ss, err := s.Sessions()
	if err != nil || len(ss) != 1 || ss[0].CIN != 7 || ss[0].IRISeq != 5 || ss[0].Parties[0].Digits != "442079460001" {
		t.Fatalf("sessions after restart: %+v %v", ss, err)
	}
}

func TestExpiryStopsAndAudits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	c := &clock{t: t0}
	aud := &recAudit{}
	var active []warrant.Warrant
	s := open(t, path, c, aud, &active)
	s.CreateDestination(Destination{DID: "d1", FriendlyName: "lemf1"})
	s.CreateTask(task("x1", "LIID-A", t0.Add(time.Minute)))
	s.CreateTask(task("x2", "LIID-B", t0.Add(time.Hour)))
	if len(active) != 2 {
		t.Fatalf("active %d", len(active))
	}
	c.Set(t0.Add(59 * time.Second))
	s.Tick(c.Now())
	if len(active) != 2 || aud.count("warrant.expired") != 0 {
		t.Fatal("expired early")
	}
	c.Set(t0.Add(time.Minute))
	if err := s.Tick(c.Now()); err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].LIID != "LIID-B" {
		t.Fatalf("expired warrant still active: %+v", active)
	}
	if aud.count("warrant.expired") != 1 {
		t.Fatalf("expiry not audited: %v", aud.kinds)
	}
	tk, _, _ := s.Task("x1")
	if tk.State != StateExpired {
		t.Fatalf("state %s", tk.State)
	}
	s.Tick(c.Now())
	if aud.count("warrant.expired") != 1 {
		t.Fatal("expiry audited twice")
	}
	// Expiry while down: found on open.
	s.Close()
	c.Set(t0.Add(2 * time.Hour))
	s = open(t, path, c, aud, &active)
	defer s.Close()
	if len(active) != 0 || aud.count("warrant.expired") != 2 {
		t.Fatalf("expiry during downtime: active %d, audits %d", len(active), aud.count("warrant.expired"))
	}
}

func TestNoncePrunedAfterTTL(t *testing.T) {
	c := &clock{t: t0}
	var active []warrant.Warrant
	s := open(t, filepath.Join(t.TempDir(), "db"), c, nil, &active)
	defer s.Close()
	s.UseNonce("k", "n", t0)
	s.Tick(t0.Add(10 * time.Minute))
	if fresh, _ := s.UseNonce("k", "n", t0); fresh {
		t.Fatal("nonce pruned inside its TTL")
	}
	s.Tick(t0.Add(16 * time.Minute))
	if fresh, _ := s.UseNonce("k", "n", t0); !fresh {
		t.Fatal("nonce not pruned after its TTL")
	}
}

func TestPublisherUnion(t *testing.T) {
	dst := &warrant.Store{}
	p := &Publisher{Dst: dst}
	plan := warrant.NumberPlan{CountryCode: "44", NationalPrefix: "0"}
	static := []warrant.Warrant{{LIID: "CFG", Targets: []warrant.Target{{Number: "+442079460009"}}, Start: t0, End: t0.Add(time.Hour), Delivery: warrant.IRIOnly}}
	p.SetStatic(plan, static)
	p.SetActive([]warrant.Warrant{{LIID: "X1", Targets: []warrant.Target{{Number: "+442079460001"}}, Start: t0, End: t0.Add(time.Hour), Delivery: warrant.IRIOnly}})
	if dst.Load().Len() != 2 {
		t.Fatalf("union has %d warrants", dst.Load().Len())
	}
	p.SetStatic(plan, nil) // config reload without static warrants keeps the provisioned one
	if s := dst.Load(); s.Len() != 1 || s.Warrants()[0].LIID != "X1" {
		t.Fatalf("reload clobbered provisioned warrants: %d", s.Len())
	}
}

func TestApprovePendingNeedsAnotherSigner(t *testing.T) {
	c := &clock{t: t0}
	var got []warrant.Warrant
	s := open(t, filepath.Join(t.TempDir(), "hi1.db"), c, nil, &got)
	defer s.Close()
	if err := s.CreateDestination(Destination{DID: "d1", FriendlyName: "lemf1", DeliveryType: "X2andX3"}); err != nil {
		t.Fatal(err)
	}
	tk := task("x1", "L1", t0.Add(time.Hour))
	tk.SignedBy = []string{"alice"} // as the X1 server stores the first signature
	p := Pending{XID: "x1", Op: OpActivate, Hash: "h1", Task: tk, SignedBy: "alice", Time: t0}
	if err := s.PutPending(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApprovePending("x1", "h1", "alice", t0); !errors.Is(err, ErrSameSigner) {
		t.Fatalf("first signer approved their own command: %v", err)
	}
	if _, err := s.ApprovePending("x1", "h2", "bob", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("approval of other details: %v", err)
	}
	nt, err := s.ApprovePending("x1", "h1", "bob", t0)
	if err != nil || len(nt.SignedBy) != 2 || nt.SignedBy[0] != "alice" || nt.SignedBy[1] != "bob" || len(got) != 1 {
		t.Fatalf("approval by a second key: %+v %v (active %d)", nt, err, len(got))
	}
}

// TestCorruptSessionErrorWithoutLIID: a session record that does not decode
// is reported without its key's LIID (the error reaches ordinary logs).
func TestCorruptSessionErrorWithoutLIID(t *testing.T) {
	c := &clock{t: t0}
	var got []warrant.Warrant
	s := open(t, filepath.Join(t.TempDir(), "hi1.db"), c, nil, &got)
	defer s.Close()
	if err := s.SessionStarted(Session{LIID: "LIID-SECRET-1", CIN: 42}); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).Put(sessionKey("LIID-SECRET-1", 42), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sessions()
	if err == nil || strings.Contains(err.Error(), "LIID-SECRET-1") || !strings.Contains(err.Error(), "cin 42") {
		t.Fatalf("corrupt session record: %v", err)
	}
}
