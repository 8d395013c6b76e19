package bridge

import (
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
)

// TestRunWithLifecycle: the tick ends an intercept whose warrant expired, and
// stopping the application closes the bridge.
func TestRunWithLifecycle(t *testing.T) {
	e := newEnv(t)
	end := t0.Add(2 * time.Hour)
	e.at = end.Add(-time.Minute)
	e.send(0, pcA, iam(2, tgt3, other))
	e.clock = end.Add(time.Second) // Now is past the warrant's end
	app := fxtest.New(t, fx.Invoke(func(lc fx.Lifecycle) { RunWithLifecycle(lc, e.b, time.Millisecond) }))
	app.RequireStart()
	deadline := time.Now().Add(5 * time.Second)
	for e.b.Stats().Ended == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	app.RequireStop()
	if s := e.b.Stats(); s.Ended != 1 {
		t.Fatalf("stats %+v", s)
	}
	e.wantTypes(e.decoded(), "LIID-WIN", "BEGIN END")
	n := len(e.o.out)
	e.send(time.Second, pcA, iam(3, tgt1, other))
	if len(e.o.out) != n {
		t.Error("closed bridge still intercepts")
	}
}
