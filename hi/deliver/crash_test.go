package deliver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestSpoolSurvivesProcessDeath runs a child process that spools IRI,
// waits for Flush (durable) and exits without closing anything, as a
// killed gateway would; the parent reopens the spool and delivers it all.
func TestSpoolSurvivesProcessDeath(t *testing.T) {
	if path := os.Getenv("DELIVER_CRASH_CHILD"); path != "" {
		s, err := New(Config{Name: "lemf1", HI: HI2, Addr: "127.0.0.1:1", SpoolPath: path, BackoffMin: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			s.Send(testPDU(uint32(i), 120))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		os.Exit(0) // no Close: the process dies with the database open
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSpoolSurvivesProcessDeath$")
	cmd.Env = append(os.Environ(), "DELIVER_CRASH_CHILD="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	lemf := startLEMF(t, "", nil)
	s := newSession(t, Config{Addr: lemf.addr, SpoolPath: path})
	if st := s.Stats(); st.Queued != 300 {
		t.Fatalf("spool after the crash holds %d, want 300", st.Queued)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := lemf.snapshot()
	checkNoGaps(t, g, 300)
}
