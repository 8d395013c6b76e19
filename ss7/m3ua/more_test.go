package m3ua

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
)

func TestDeactivateActivate(t *testing.T) {
	sgp, addr := newSGP(t, LinkConfig{RoutingContexts: []uint32{3}}, newCollector(), Options{})
	// Ack supervision must not tear down a deliberately inactive
	// association. 1 s, not less: a bring-up on a loaded 2-core machine
	// must not trip it (the test then waits past it).
	const ackTimeout = time.Second
	asp := newASP(t, LinkConfig{RoutingContexts: []uint32{3}, AckTimeout: ackTimeout}, addr, newCollector(), Options{})
	run(t, sgp)
	run(t, asp)
	ctx := waitCtx(t)
	if err := asp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	if err := asp.Deactivate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := asp.WaitState(ctx, StateInactive); err != nil {
		t.Fatal(err)
	}
	if err := sgp.WaitState(ctx, StateInactive); err != nil {
		t.Fatal(err)
	}
	if sgp.ASState(3) != ASInactive {
		t.Fatalf("AS state %d", sgp.ASState(3))
	}
	if err := sgp.SendData(ctx, 3, samplePD()); err == nil {
		t.Fatal("SGP sent DATA to an inactive AS")
	}
	time.Sleep(ackTimeout + ackTimeout/5) // past AckTimeout: the association must survive
	if asp.State() != StateInactive {
		t.Fatalf("state %s after ack supervision time", asp.State())
	}
	if err := asp.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := asp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	if err := sgp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
}

// An SGP that never acknowledges ASPUP: the ASP gives up after AckTimeout
// and dials again.
func TestASPUPAckTimeoutRedials(t *testing.T) {
	l, accept := fakeListener(t)
	opt := Options{Metrics: NewMetrics(nil)}
	asp := newASP(t, LinkConfig{AckTimeout: 50 * time.Millisecond}, l.Addr().String(), newCollector(), opt)
	run(t, asp)
	f := accept()
	f.expect(ClassASPSM, TypeASPUP)
	f2 := accept()
	f2.expect(ClassASPSM, TypeASPUP)
	if v := testutil.ToFloat64(opt.Metrics.errors.WithLabelValues("asp", "ack_timeout")); v < 1 {
		t.Fatalf("ack_timeout counter %v", v)
	}
}

func TestBackoffGrows(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	d := time.Duration(0)
	var seq []time.Duration
	for i := 0; i < 8; i++ {
		d = backoff(d, lo, hi)
		seq = append(seq, d)
		if d < lo*3/4 || d > hi {
			t.Fatalf("delay %v outside [%v, %v]", d, lo*3/4, hi)
		}
	}
	if seq[3] <= seq[0] || seq[7] < hi*3/4 {
		t.Fatalf("delays do not grow to the cap: %v", seq)
	}
}

func TestLinkConfigValidation(t *testing.T) {
	for _, c := range []LinkConfig{
		{},
		{Name: "x", Transport: "udp", RemoteAddrs: []string{"a:1"}},
		{Name: "x", TrafficMode: TrafficBroadcast, RemoteAddrs: []string{"a:1"}},
		{Name: "x", Form: 9, RemoteAddrs: []string{"a:1"}},
		{Name: "x"}, // ASP without remote address
	} {
		if _, err := NewASP(c, nil, Options{}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := NewSGP(LinkConfig{Name: "x"}, nil, Options{}); err == nil {
		t.Error("SGP without listen address accepted")
	}
	if _, err := NewLinkset("ls", []LinkConfig{{Name: "a", RemoteAddrs: []string{"a:1"}}, {Name: "a", RemoteAddrs: []string{"a:1"}}}, nil, Options{}); err == nil {
		t.Error("duplicate link names accepted")
	}
}

func TestFxModule(t *testing.T) {
	sgp, addr := newSGP(t, LinkConfig{}, newCollector(), Options{})
	run(t, sgp)
	var ls *Linkset
	app := fxtest.New(t,
		fx.Supply(fx.Annotate(prometheus.NewRegistry(), fx.As(new(prometheus.Registerer)))),
		Module,
		fx.Provide(func(m *Metrics) (*Linkset, error) {
			return NewLinkset("ls", []LinkConfig{{Name: "a", RemoteAddrs: []string{addr}, BackoffMin: 10 * time.Millisecond}}, newCollector(), Options{Metrics: m})
		}),
		fx.Invoke(func(lc fx.Lifecycle, ls *Linkset) { RunWithLifecycle(lc, ls, nil) }),
		fx.Populate(&ls),
	)
	app.RequireStart()
	if err := ls.Links()[0].WaitState(waitCtx(t), StateActive); err != nil {
		t.Fatal(err)
	}
	app.RequireStop()
	if ls.Links()[0].State() != StateDown {
		t.Fatal("link still up after stop")
	}
}

// An SGP whose listening address is taken fails the application start
// (instead of a start that succeeds and a link that never comes up).
func TestFxStartFailsOnAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	app := fx.New(
		fx.NopLogger,
		fx.Provide(func() (*Linkset, error) {
			return NewLinkset("ls", []LinkConfig{{Name: "s", Role: RoleSGP, LocalAddrs: []string{taken.Addr().String()}}}, newCollector(), Options{})
		}),
		fx.Invoke(func(lc fx.Lifecycle, ls *Linkset) { RunWithLifecycle(lc, ls, nil) }),
	)
	ctx := waitCtx(t)
	err = app.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), "link s: listen") {
		t.Fatalf("start with the SGP address taken: %v", err)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
}
