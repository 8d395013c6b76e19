package switchsim

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
)

func TestPattern(t *testing.T) {
	seen := map[uint64]bool{}
	for cic := uint16(0); cic < 4096; cic++ {
		for _, d := range []Direction{Forward, Backward} {
			s := PatternSeed(cic, d)
			if seen[s] {
				t.Fatalf("seed of CIC %d %s repeats", cic, d)
			}
			seen[s] = true
		}
	}
	seed := PatternSeed(7, Backward)
	chunk := make([]byte, 160)
	FillPattern(chunk, seed, 12345)
	if i := CheckPattern(chunk, seed, 12345); i >= 0 {
		t.Fatalf("own chunk differs at %d", i)
	}
	if CheckPattern(chunk, seed, 12346) < 0 || CheckPattern(chunk, PatternSeed(7, Forward), 12345) < 0 {
		t.Fatal("chunk matches at the wrong frame or seed")
	}
	if f, ok := FindPattern(chunk[:16], seed, 12000, 13000); !ok || f != 12345 {
		t.Fatalf("FindPattern = %d, %v", f, ok)
	}
	if _, ok := FindPattern(chunk[:16], seed, 0, 12000); ok {
		t.Fatal("FindPattern found a match outside the range")
	}
	// The octets spread over all values (not stuck at the idle code).
	var hist [256]int
	for f := uint64(0); f < 256*64; f++ {
		hist[PatternOctet(seed, f)]++
	}
	for v, n := range hist {
		if n < 20 || n > 120 {
			t.Fatalf("octet %#02x appears %d times in 16384", v, n)
		}
	}
}

func planConfig(seed int64) Config {
	mix, _ := ParseMix("all")
	return Config{Role: m3ua.RoleASP, Connect: [][]string{{"127.0.0.1:1"}}, OPC: 1, DPC: 2, Calls: 50, Mix: mix,
		Targets: []string{"+442079460001", "2079460003"}, TargetShare: 0.3, CountryCode: "44", Seed: seed,
		Circuits: []Circuit{{CICFirst: 1, CICLast: 30}}}
}

func TestPlanDeterministic(t *testing.T) {
	a, err := New(planConfig(42))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(planConfig(42))
	c, _ := New(planConfig(43))
	same, diff := 0, 0
	scen := map[Scenario]int{}
	for i := range 50 {
		pa, pb, pc := a.plan(i), b.plan(i), c.plan(i)
		if !reflect.DeepEqual(pa, pb) {
			t.Fatalf("call %d: plans differ with the same seed:\n%+v\n%+v", i, pa, pb)
		}
		if reflect.DeepEqual(pa, pc) {
			same++
		} else {
			diff++
		}
		scen[pa.scenario]++
		if pa.cic != uint16(1+i%30) {
			t.Errorf("call %d on CIC %d", i, pa.cic)
		}
		ct := a.newCall(pa)
		if ct.Target != (len(pa.roles) > 0) {
			t.Errorf("call %d: target flag", i)
		}
		for _, n := range []*NumberTruth{ct.Calling, ct.Called} {
			isT := a.isTarget(*n)
			role := "calling"
			if n == ct.Called {
				role = "called"
			}
			hasRole := false
			for _, r := range pa.roles {
				hasRole = hasRole || r == role
			}
			if isT != hasRole {
				t.Errorf("call %d (%s): %s %s target %v, roles %v", i, pa.scenario, role, n.Digits, isT, pa.roles)
			}
		}
	}
	if diff == 0 {
		t.Error("another seed gave the same plans")
	}
	if len(scen) < 8 {
		t.Errorf("50 calls drew only %d scenarios: %v", len(scen), scen)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"no calls":     func(c *Config) { c.Calls = 0 },
		"same pc":      func(c *Config) { c.DPC = c.OPC },
		"no connect":   func(c *Config) { c.Connect = nil },
		"no targets":   func(c *Config) { c.Targets = nil },
		"bad target":   func(c *Config) { c.Targets = []string{"+44x"} },
		"no circuits":  func(c *Config) { c.Circuits = nil },
		"bad range":    func(c *Config) { c.Circuits = []Circuit{{CICFirst: 5, CICLast: 4}} },
		"cic too big":  func(c *Config) { c.Circuits = []Circuit{{CICFirst: 1, CICLast: 5000}} },
		"unknown span": func(c *Config) { c.Circuits[0].AtoB = Leg{Span: "x", Timeslots: make([]int, 30)} },
		"timeslot count": func(c *Config) {
			c.Spans = []Span{{Name: "x", Dest: "127.0.0.1:9"}}
			c.Circuits[0].AtoB = Leg{Span: "x", Timeslots: []int{1}}
		},
		"empty mix":     func(c *Config) { c.Mix = map[Scenario]float64{Busy: 0} },
		"bad orig":      func(c *Config) { c.OrigSides = "c" },
		"duplicate CIC": func(c *Config) { c.Circuits = append(c.Circuits, Circuit{CICFirst: 3, CICLast: 3}) },
		"timeslot outside": func(c *Config) {
			c.Spans = []Span{{Name: "x", Dest: "127.0.0.1:9", Framing: config.T1ESF}}
			c.Circuits[0].AtoB = Leg{Span: "x", Timeslots: make([]int, 30)}
		},
	} {
		cfg := planConfig(1)
		mod(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(planConfig(1)); err != nil {
		t.Fatal(err)
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("answered=40, busy=10,reset")
	if err != nil || m[Answered] != 40 || m[Busy] != 10 || m[ResetMidCall] != 1 || len(m) != 3 {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"nosuch=1", "busy=-1", "busy=x"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if m, _ := ParseMix("all"); len(m) != len(Scenarios) {
		t.Errorf("all: %v", m)
	}
}

func TestParseArgs(t *testing.T) {
	cli, err := ParseArgs([]string{"--m3ua-role", "sgp", "--listen", "127.0.0.1:2905", "--listen", "127.0.0.1:2906",
		"--variant", "ansi", "--opc", "1-2-3", "--dpc", "1-2-4", "--ni", "3", "--draft", "--rc", "9",
		"--calls", "7", "--rate", "2.5", "--hold", "3s", "--mix", "busy=1,target-term=2", "--targets", "+12125550100, 2125550101",
		"--span-dest", "127.0.0.1:5004,127.0.0.1:5006", "--framing", "t1-esf", "--cic-range", "10-33", "--truth", "x.json", "--seed", "99"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := cli.Config
	if c.Role != m3ua.RoleSGP || len(c.Listen) != 2 || c.Variant != isup.ANSI || c.OPC != 0x010203 || c.DPC != 0x010204 ||
		c.NI != 3 || !c.Draft6 || c.RC != 9 || c.Calls != 7 || c.Rate != 2.5 || c.Hold != 3*time.Second ||
		c.Mix[TargetTerm] != 2 || len(c.Targets) != 2 || c.Targets[1] != "2125550101" || cli.Truth != "x.json" || c.Seed != 99 {
		t.Fatalf("%+v", c)
	}
	if len(c.Spans) != 2 || c.Spans[1].Dest != "127.0.0.1:5006" || c.Spans[0].Framing != config.T1ESF ||
		c.Circuits[0].CICFirst != 10 || c.Circuits[0].CICLast != 33 || c.Circuits[0].BtoA.Timeslots[23] != 24 {
		t.Fatalf("bearer %+v %+v", c.Spans, c.Circuits)
	}
	if _, err := New(c); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"--m3ua-role", "x"}, {"--transport", "udp"}, {"--variant", "japan"}, {"--opc", "99999"},
		{"--ni", "7"}, {"--mix", "x"}, {"--framing", "j1"}, {"--cic-range", "5-1"}, {"--cic-range", "1-40", "--span-dest", "127.0.0.1:1"}, {"extra"}} {
		if _, err := ParseArgs(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var out bytes.Buffer
	if _, err := ParseArgs([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "--span-dest") && !strings.Contains(out.String(), "-span-dest") {
		t.Errorf("help: %v %q", err, out.String())
	}
}

func TestFromGatewayConfig(t *testing.T) {
	path := filepath.Join("..", "..", "config", "testdata", "example.yaml")
	cli, err := ParseArgs([]string{"--config", path, "--opc", "2-200-4", "--dpc", "2-200-3", "--connect", "127.0.0.1:2905", "--targets", "+442079460001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := cli.Config
	gc, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// OPC is B of the config's circuits: the legs swap.
	if len(c.Circuits) != 2 || c.Circuits[0].AtoB.Span != "tap-ba" || c.Circuits[0].BtoA.Span != "tap-ab" ||
		c.Circuits[1].CICFirst != 33 || c.Circuits[1].AtoB.Timeslots[0] != 1 {
		t.Fatalf("circuits %+v", c.Circuits)
	}
	if len(c.Spans) != 4 {
		t.Fatalf("spans %+v", c.Spans)
	}
	for _, s := range c.Spans {
		gs, _ := gc.Span(s.Name)
		if s.Dest != gs.Listen || string(s.Kind) != string(gs.Source) || s.Framing != gs.Framing {
			t.Errorf("span %+v from %+v", s, gs)
		}
	}
	if _, err := New(c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := FromGatewayConfig(gc, 1, 2); err == nil {
		t.Error("no circuits between 1 and 2 accepted")
	}
}

func TestTruthFile(t *testing.T) {
	gt := &GroundTruth{Version: TruthVersion, Seed: 5, Calls: []CallTruth{{ID: 1, Scenario: "busy", CIC: 3,
		Called: &NumberTruth{Digits: "123", NAI: 3}, Messages: []MessageTruth{{Type: "IAM", From: "orig", Time: time.Unix(1, 0).UTC()}}}},
		Totals: Totals{Calls: 1, ByScenario: map[string]int{"busy": 1}}}
	path := filepath.Join(t.TempDir(), "truth.json")
	if err := gt.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gt, back) {
		t.Fatalf("round trip:\n%+v\n%+v", gt, back)
	}
}
