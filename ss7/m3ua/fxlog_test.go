package m3ua

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RunWithLifecycle logs each SGP's bound address at start, and a linkset
// that fails while running when it fails (the daemon relies on both); the
// failure does not fail the stop.
func TestRunWithLifecycleLogs(t *testing.T) {
	var buf lockedBuf
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var ls *Linkset
	app := fxtest.New(t,
		fx.Provide(func() (*Linkset, error) {
			return NewLinkset("ls", []LinkConfig{{Name: "s", Role: RoleSGP, LocalAddrs: []string{"127.0.0.1:0"}}}, newCollector(), Options{})
		}),
		fx.Invoke(func(lc fx.Lifecycle, l *Linkset) { RunWithLifecycle(lc, l, log) }),
		fx.Populate(&ls),
	)
	app.RequireStart()
	sgp := ls.Links()[0].(*SGP)
	addr, err := sgp.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "link listening") || !strings.Contains(s, "addr="+addr.String()) {
		t.Fatalf("no listening line with %s: %q", addr, s)
	}
	// Break the SGP: its accept loop ends with an error.
	sgp.mu.Lock()
	sgp.lis.Close()
	sgp.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "linkset stopped") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the failed linkset: %q", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	app.RequireStop()
}
