package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
)

// TestPublisherOnInstall: every installation (a deactivation through the
// store, a static reload) calls the hook after the new set is in place;
// provisioned warrants carry the ProvisionedFile prefix.
func TestPublisherOnInstall(t *testing.T) {
	dst := &warrant.Store{}
	p := &Publisher{Dst: dst}
	var seen []int
	p.SetOnInstall(func() { seen = append(seen, dst.Load().Len()) })
	s, err := Open(filepath.Join(t.TempDir(), "hi1.db"), Options{NoSync: true, Now: func() time.Time { return t0 }, OnChange: p.SetActive})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	task := Task{XID: "a1", LIID: "L1", Targets: []string{"+442079460001"}, Start: t0, End: t0.Add(time.Hour),
		Delivery: warrant.IRIAndCC, State: StateActive}
	if err := s.CreateTask(task); err != nil {
		t.Fatal(err)
	}
	if ws := dst.Load().Warrants(); len(ws) != 1 || !strings.HasPrefix(ws[0].File, ProvisionedFile) {
		t.Fatalf("published %+v", ws)
	}
	if _, err := s.UpdateTask("a1", func(t *Task) error { t.State = StateDeactivated; return nil }); err != nil {
		t.Fatal(err)
	}
	p.SetStatic(warrant.NumberPlan{CountryCode: "44"}, nil)
	// Open (empty), create (1), deactivate (0), static reload (0).
	if len(seen) != 4 || seen[1] != 1 || seen[2] != 0 || seen[3] != 0 {
		t.Errorf("hook saw set sizes %v", seen)
	}
}
