package warrant

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config/yamlcheck"
)

var ukPlan = NumberPlan{
	CountryCode:         "44",
	InternationalPrefix: "00",
	NationalPrefix:      "0",
	AreaCode:            "20",
	NSNMin:              9,
	NSNMax:              10,
}

func TestCanonical(t *testing.T) {
	cases := []struct {
		name   string
		nai    uint8
		digits string
		want   string
	}{
		{"international", NAIInternational, "442079460000", "442079460000"},
		{"international with ST", NAIInternational, "442079460000F", "442079460000"},
		{"international foreign", NAIInternational, "33142685300", "33142685300"},
		{"national significant", NAINational, "2079460000", "442079460000"},
		{"national with trunk prefix", NAINational, "02079460000", "442079460000"},
		{"national 9-digit NSN", NAINational, "169460000", "44169460000"},
		{"subscriber", NAISubscriber, "79460000", "442079460000"},
		{"unknown dialled international prefix", NAIUnknown, "00442079460000", "442079460000"},
		{"unknown dialled national", NAIUnknown, "02079460000", "442079460000"},
		{"unknown CC+NSN", NAIUnknown, "442079460000", "442079460000"},
		{"unknown NSN", NAIUnknown, "2079460000", "442079460000"},
		{"unknown subscriber", NAIUnknown, "79460000", "442079460000"},
		{"ANSI non-unique national via ANSINAI", ANSINAI(7), "2079460000", "442079460000"},
		{"empty", NAIInternational, "", ""},
		{"only ST", NAIInternational, "#", ""},
	}
	for _, c := range cases {
		var buf [MaxDigits]byte
		n := ukPlan.Canonical(&buf, c.nai, []byte(c.digits))
		if got := string(buf[:n]); got != c.want {
			t.Errorf("%s: Canonical(%d, %q) = %q, want %q", c.name, c.nai, c.digits, got, c.want)
		}
	}
	noArea := ukPlan
	noArea.AreaCode = ""
	var buf [MaxDigits]byte
	if n := noArea.Canonical(&buf, NAISubscriber, []byte("79460000")); n != 0 {
		t.Errorf("subscriber without area code normalised to %q", buf[:n])
	}
}

func TestCanonicalTarget(t *testing.T) {
	for in, want := range map[string]string{
		"+44 20 7946 0000":  "442079460000",
		"+442079460000":     "442079460000",
		"00442079460000":    "442079460000",
		"020 7946 0000":     "442079460000",
		"2079460000":        "442079460000",
		"7946 0000":         "442079460000",
		"+1 (202) 555-0100": "12025550100",
	} {
		got, err := ukPlan.CanonicalTarget(in)
		if err != nil || got != want {
			t.Errorf("CanonicalTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "+", "44a1", "1+2", "+4420794600001234567"} {
		if got, err := ukPlan.CanonicalTarget(bad); err == nil {
			t.Errorf("CanonicalTarget(%q) = %q, want error", bad, got)
		}
	}
}

var (
	t0   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	now  = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	wAll = Warrant{LIID: "LI-A", Targets: []Target{{Number: "+442079460000"}}, Roles: RoleAll,
		Start: t0, End: t1, Delivery: IRIAndCC, Destinations: []string{"lemf-1"}}
)

func parties(ps ...any) []Party {
	var out []Party
	for i := 0; i+2 < len(ps); i += 3 {
		out = append(out, Party{Role: ps[i].(Role), NAI: ps[i+1].(uint8), Digits: []byte(ps[i+2].(string))})
	}
	return out
}

func TestMatchRolesAndForms(t *testing.T) {
	onlyCalled := wAll
	onlyCalled.LIID, onlyCalled.Roles = "LI-CALLED", RoleCalled
	onlyCalled.Targets = []Target{{Number: "02079460001"}}
	s, errs := NewSet(ukPlan, []Warrant{wAll, onlyCalled})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cases := []struct {
		name  string
		ps    []Party
		liids []string
		roles []Role
	}{
		{"calling national form", parties(RoleCalling, NAINational, "2079460000", RoleCalled, NAINational, "1614960000"),
			[]string{"LI-A"}, []Role{RoleCalling}},
		{"called subscriber form", parties(RoleCalling, NAINational, "1614960000", RoleCalled, NAISubscriber, "79460000"),
			[]string{"LI-A"}, []Role{RoleCalled}},
		{"forwarded via original called", parties(RoleCalling, NAIInternational, "33142685300",
			RoleCalled, NAINational, "1614960000", RoleOriginalCalled, NAIInternational, "442079460000"),
			[]string{"LI-A"}, []Role{RoleOriginalCalled}},
		{"forwarded to target via redirection number", parties(RoleRedirection, NAINational, "02079460000"),
			[]string{"LI-A"}, []Role{RoleRedirection}},
		{"both parties target of one warrant: one match, both roles",
			parties(RoleCalling, NAINational, "2079460000", RoleCalled, NAIInternational, "442079460000"),
			[]string{"LI-A"}, []Role{RoleCalling | RoleCalled}},
		{"role not counted", parties(RoleCalling, NAINational, "2079460001"), nil, nil},
		{"role counted", parties(RoleCalled, NAINational, "2079460001"), []string{"LI-CALLED"}, []Role{RoleCalled}},
		{"non-target", parties(RoleCalling, NAINational, "2079460002", RoleCalled, NAINational, "2079460003"), nil, nil},
		{"no parties", nil, nil, nil},
	}
	for _, c := range cases {
		got := s.Match(now, c.ps, nil)
		if len(got) != len(c.liids) {
			t.Errorf("%s: %d matches, want %d", c.name, len(got), len(c.liids))
			continue
		}
		for i := range got {
			if got[i].Warrant.LIID != c.liids[i] || got[i].Roles != c.roles[i] {
				t.Errorf("%s: match %d = %s/%s, want %s/%s", c.name, i, got[i].Warrant.LIID, got[i].Roles, c.liids[i], c.roles[i])
			}
		}
	}
}

func TestMatchTwoWarrants(t *testing.T) {
	w2 := wAll
	w2.LIID = "LI-B"
	w2.Targets = []Target{{Number: "02079460000"}} // same number, written nationally
	w2.Destinations = []string{"lemf-2"}
	w3 := wAll
	w3.LIID = "LI-C"
	w3.Targets = []Target{{Number: "+33142685300"}}
	s, errs := NewSet(ukPlan, []Warrant{wAll, w2, w3})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := s.Match(now, parties(RoleCalling, NAINational, "2079460000", RoleCalled, NAIInternational, "33142685300"), nil)
	var liids []string
	for _, m := range got {
		liids = append(liids, m.Warrant.LIID)
	}
	if strings.Join(liids, ",") != "LI-A,LI-B,LI-C" {
		t.Fatalf("matched %v, want LI-A, LI-B, LI-C", liids)
	}
}

func TestValidityWindow(t *testing.T) {
	s, _ := NewSet(ukPlan, []Warrant{wAll})
	p := parties(RoleCalling, NAIInternational, "442079460000")
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{t0.Add(-time.Nanosecond), 0},
		{t0, 1},
		{t1.Add(-time.Nanosecond), 1},
		{t1, 0},
	} {
		if got := len(s.Match(c.at, p, nil)); got != c.want {
			t.Errorf("at %s: %d matches, want %d", c.at, got, c.want)
		}
	}
}

func TestNewSetReportsBadTargets(t *testing.T) {
	noArea := ukPlan
	noArea.AreaCode = ""
	noArea.NSNMin, noArea.NSNMax = 0, 0
	w := wAll
	w.Targets = []Target{{Number: "+4420794600001234", Line: 7}, {Number: "+442079460000"}}
	s, errs := NewSet(noArea, []Warrant{w})
	if len(errs) != 1 {
		t.Fatalf("errors %v, want 1", errs)
	}
	if te, ok := errs[0].(*TargetError); !ok || te.Target.Line != 7 {
		t.Fatalf("error %#v, want TargetError at line 7", errs[0])
	}
	if !s.IsTarget(now, RoleCalled, NAIInternational, []byte("442079460000")) {
		t.Fatal("good target of the same warrant not indexed")
	}
}

func TestStoreSwap(t *testing.T) {
	var st Store
	p := parties(RoleCalling, NAIInternational, "442079460000")
	if got := st.Match(now, p, nil); len(got) != 0 {
		t.Fatalf("empty store matched %d", len(got))
	}
	s1, _ := NewSet(ukPlan, []Warrant{wAll})
	st.Swap(s1)
	held := st.Match(now, p, nil)
	if len(held) != 1 {
		t.Fatal("no match after swap")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 1000; i++ {
			st.Match(now, p, nil)
		}
	}()
	s2, _ := NewSet(ukPlan, nil)
	if old := st.Swap(s2); old != s1 {
		t.Fatal("Swap did not return the previous set")
	}
	wg.Wait()
	if got := st.Match(now, p, nil); len(got) != 0 {
		t.Fatal("match after warrants removed")
	}
	if held[0].Warrant.LIID != "LI-A" {
		t.Fatal("warrant held by a live intercept changed")
	}
}

const goodYAML = `warrants:
  - liid: LI-0001
    targets: ["+442079460000", "020 7946 0001"]
    roles: [calling, called, original_called]
    valid_from: 2026-01-01T00:00:00Z
    valid_until: 2027-01-01T00:00:00Z
    delivery: iri+cc
    destinations: [lemf-1, lemf-2]
  - liid: LI-0002
    targets: "79460002"
    valid_from: 2026-01-01T00:00:00Z
    valid_until: 2027-01-01T00:00:00Z
    delivery: iri
    destinations: lemf-1
`

func TestParse(t *testing.T) {
	ws, err := Parse("w.yaml", []byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("%d warrants", len(ws))
	}
	a, b := ws[0], ws[1]
	if a.LIID != "LI-0001" || len(a.Targets) != 2 || a.Targets[1].Line != 3 || a.Roles != RoleCalling|RoleCalled|RoleOriginalCalled ||
		a.Delivery != IRIAndCC || strings.Join(a.Destinations, ",") != "lemf-1,lemf-2" || a.Line != 2 || !a.Start.Equal(t0) || !a.End.Equal(t1) {
		t.Errorf("warrant 1 = %+v", a)
	}
	if b.Roles != RoleAll || b.Delivery != IRIOnly || b.Targets[0].Number != "79460002" || b.DestinationLines[0] != 14 {
		t.Errorf("warrant 2 = %+v", b)
	}
	s, errs := NewSet(ukPlan, ws)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !s.IsTarget(now, RoleCalled, NAINational, []byte("2079460001")) || !s.IsTarget(now, RoleCharge, NAISubscriber, []byte("79460002")) {
		t.Error("parsed warrants do not match their targets")
	}
}

const badYAML = `warrants:
  - liid: LI-0001
    targets: ["+44207946000x"]
    roles: [calling, caller]
    valid_from: 2026-01-01T00:00:00Z
    valid_until: 2025-01-01T00:00:00Z
    delivery: everything
    destinations: [lemf-1, lemf-1]
    colour: blue
  - liid: LI-0001
    targets: []
    valid_from: yesterday
    valid_until: 2027-01-01T00:00:00Z
    delivery: iri
    destinations: lemf-1
  - liid: "this LIID is far too long to be valid"
    delivery: iri
`

func TestParseProblems(t *testing.T) {
	_, err := Parse("w.yaml", []byte(badYAML))
	ps := yamlcheck.AsProblems(err)
	want := []string{
		`w.yaml:3: warrant: target: number: unexpected 'x'`,
		`w.yaml:4: warrant: unknown role "caller"`,
		`w.yaml:6: warrant: valid_until 2025-01-01T00:00:00Z is not after valid_from`,
		`w.yaml:7: warrant: delivery: "everything" is not one of iri, iri+cc`,
		`w.yaml:8: warrant: destination "lemf-1" listed twice`,
		`w.yaml:9: warrant: unknown key "colour"`,
		`w.yaml:10: warrant: duplicate LIID (first at line 2)`,
		`w.yaml:11: warrant: targets: at least one target number is needed`,
		`w.yaml:12: warrant: valid_from: "yesterday" is not an RFC 3339 time`,
		`w.yaml:16: warrant: missing required key "targets"`,
		`w.yaml:16: warrant: missing required key "valid_from"`,
		`w.yaml:16: warrant: missing required key "valid_until"`,
		`w.yaml:16: warrant: missing required key "destinations"`,
		`w.yaml:16: warrant liid: longer than 25 characters`,
	}
	checkProblems(t, ps, want)
	// Problems reach the daemon's log (a rejected reload): they name
	// file and line, never an LIID or a target number.
	for _, secret := range []string{"LI-0001", "207946000", "far too long"} {
		if strings.Contains(ps.Error(), secret) {
			t.Errorf("problems carry %q:\n%s", secret, ps.Error())
		}
	}
}

func checkProblems(t *testing.T, ps yamlcheck.Problems, want []string) {
	t.Helper()
	ps.Sort()
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ps), len(want), ps.Error())
	}
	for i := 0; i < len(ps) && i < len(want); i++ {
		if !strings.HasPrefix(ps[i].String(), want[i]) {
			t.Errorf("problem %d:\n got  %s\n want %s...", i, ps[i], want[i])
		}
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse("w.yaml", []byte("warrants:\n  - liid: a\n   bad: [\n"))
	ps := yamlcheck.AsProblems(err)
	if len(ps) != 1 || ps[0].Line == 0 || !strings.Contains(ps[0].Msg, "YAML syntax") {
		t.Fatalf("problems %v", ps)
	}
}

func BenchmarkMatch(b *testing.B) {
	var ws []Warrant
	for i := 0; i < 1000; i++ {
		w := wAll
		w.LIID = "LI-" + string(rune('A'+i%26))
		w.Targets = []Target{{Number: "+4420794" + pad5(i)}}
		ws = append(ws, w)
	}
	s, errs := NewSet(ukPlan, ws)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	hit := parties(RoleCalling, NAINational, "1614960000", RoleCalled, NAINational, "02079400500",
		RoleOriginalCalled, NAIInternational, "442079460000F")
	miss := parties(RoleCalling, NAINational, "1614960000", RoleCalled, NAISubscriber, "99999999")
	out := make([]Match, 0, 8)
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			out = s.Match(now, hit, out[:0])
		}
		if len(out) != 1 {
			b.Fatalf("%d matches", len(out))
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			out = s.Match(now, miss, out[:0])
		}
		if len(out) != 0 {
			b.Fatalf("%d matches", len(out))
		}
	})
}

func pad5(i int) string {
	s := "00000" + itoa(i)
	return s[len(s)-5:]
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestMatchDoesNotAllocate(t *testing.T) {
	s, _ := NewSet(ukPlan, []Warrant{wAll})
	digits := []byte("2079460000")
	ps := parties(RoleCalling, NAINational, "2079460000", RoleCalled, NAISubscriber, "79460001")
	out := make([]Match, 0, 4)
	var st Store
	st.Swap(s)
	allocs := testing.AllocsPerRun(1000, func() {
		out = st.Match(now, ps, out[:0])
		if !s.IsTarget(now, RoleCalling, NAINational, digits) {
			t.Fatal("no match")
		}
	})
	if allocs != 0 || len(out) != 1 {
		t.Fatalf("%v allocs per match, %d matches", allocs, len(out))
	}
}
