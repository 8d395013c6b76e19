package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config/yamlcheck"
)

func TestExample(t *testing.T) {
	c, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatalf("example does not load:\n%v", err)
	}
	n := c.Node
	if n.Name != "tdmtap-lab-1" || n.OperatorID != "OPLAB" || n.NetworkElementID != "TDMTAP01" ||
		n.AuthorizationCountry != "GB" || n.DeliveryCountry != "GB" || n.InterceptionPointID != "LAB1" {
		t.Errorf("node %+v", n)
	}
	wantPlan := warrant.NumberPlan{CountryCode: "44", InternationalPrefix: "00", NationalPrefix: "0", AreaCode: "20", NSNMin: 9, NSNMax: 10}
	if n.Numbering != wantPlan {
		t.Errorf("numbering %+v", n.Numbering)
	}
	if len(c.Links) != 2 {
		t.Fatalf("%d links", len(c.Links))
	}
	l := c.Links[0]
	if l.Name != "stp-a" || l.Role != ASP || l.Transport != TCP || len(l.Remote) != 1 || l.Remote[0] != "127.0.0.1:2905" ||
		!l.HasRoutingContext || l.RoutingContext != 100 || l.TrafficMode != Loadshare || l.NI != 2 || l.Variant != ITU ||
		l.OwnPC != 2<<11|200<<3|1 || l.AdjacentPC != 2<<11|200<<3|2 || l.LegacyM3UADraft || l.Linkset != "ls-stp" {
		t.Errorf("link 0 %+v", l)
	}
	if l := c.Links[1]; l.Role != SGP || l.Local[0] != "127.0.0.1:2906" || l.HasRoutingContext || l.TrafficMode != Override {
		t.Errorf("link 1 %+v", l)
	}
	if len(c.Spans) != 4 {
		t.Fatalf("%d spans", len(c.Spans))
	}
	if s := c.Spans[0]; s.Name != "tap-ab" || s.Source != SAToP || s.Listen != "127.0.0.1:5004" || s.Framing != E1CRC4 ||
		s.PayloadSize != 256 || s.RTPHeader || s.JitterBuffer != 8*time.Millisecond {
		t.Errorf("span 0 %+v", s)
	}
	if s := c.Spans[2]; s.Source != CESoPSN || len(s.Timeslots) != 31 || s.PayloadSize != 248 || s.JitterBuffer != DefaultJitterBuffer {
		t.Errorf("span 2 %+v", s)
	}
	if len(c.Destinations) != 1 {
		t.Fatalf("%d destinations", len(c.Destinations))
	}
	d := c.Destinations[0]
	if d.Name != "lemf-1" || d.HI2 != "127.0.0.1:7002" || d.HI3 != "127.0.0.1:7003" || d.CCFormat != IPMMCC || d.TLS != nil ||
		d.SpoolDir != filepath.Join("testdata", "spool", "lemf-1") || d.CCSpoolBytes != 64<<20 || d.Keepalive != 30*time.Second {
		t.Errorf("destination %+v", d)
	}
	if c.WarrantsFile != filepath.Join("testdata", "warrants.yaml") || len(c.Warrants) != 2 {
		t.Errorf("warrants file %q, %d warrants", c.WarrantsFile, len(c.Warrants))
	}
	if c.ContentStart != StartOnANM || c.SupervisionTimer != 4*time.Hour || c.Metrics.Listen != "127.0.0.1:9464" ||
		c.Log.Level != slog.LevelInfo || c.Log.Format != "text" {
		t.Errorf("misc: %v %v %+v %+v", c.ContentStart, c.SupervisionTimer, c.Metrics, c.Log)
	}

	// The warrants match under the node's number plan.
	set, err := c.WarrantSet()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	m := set.Match(at, []warrant.Party{{Role: warrant.RoleCalled, NAI: warrant.NAISubscriber, Digits: []byte("79460002")}}, nil)
	if len(m) != 1 || m[0].Warrant.LIID != "LIID-GB-0002" {
		t.Errorf("match %+v", m)
	}

	// The circuit map: CIC 16 is on timeslot 17; CIC 33 on the second E1.
	cm := c.CircuitMap()
	if cm.Len() != 30+31 {
		t.Errorf("circuit map has %d circuits", cm.Len())
	}
	a, b := uint32(2<<11|200<<3|3), uint32(2<<11|200<<3|4)
	for _, tc := range []struct {
		orig, other uint32
		cic         uint16
		from, to    Bearer
	}{
		{a, b, 1, Bearer{"tap-ab", 1}, Bearer{"tap-ba", 1}},
		{a, b, 16, Bearer{"tap-ab", 17}, Bearer{"tap-ba", 17}},
		{b, a, 30, Bearer{"tap-ba", 31}, Bearer{"tap-ab", 31}},
		{b, a, 33, Bearer{"tap2-ba", 1}, Bearer{"tap2-ab", 1}},
		{a, b, 63, Bearer{"tap2-ab", 31}, Bearer{"tap2-ba", 31}},
	} {
		tap, ok := cm.Lookup(2, tc.orig, tc.other, tc.cic)
		if !ok {
			t.Errorf("CIC %d not found", tc.cic)
			continue
		}
		from, to, ok := tap.From(tc.orig)
		if !ok || from != tc.from || to != tc.to {
			t.Errorf("CIC %d from %d: %v %v, want %v %v", tc.cic, tc.orig, from, to, tc.from, tc.to)
		}
	}
	for _, miss := range []struct {
		ni  uint8
		cic uint16
	}{{2, 0}, {2, 31}, {2, 64}, {0, 1}} {
		if _, ok := cm.Lookup(miss.ni, a, b, miss.cic); ok {
			t.Errorf("NI %d CIC %d found", miss.ni, miss.cic)
		}
	}
	if _, _, ok := (Tap{A: a, B: b}).From(99); ok {
		t.Error("From accepted a point code that is neither A nor B")
	}
}

func checkProblems(t *testing.T, ps yamlcheck.Problems, want []string) {
	t.Helper()
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ps), len(want), ps.Error())
	}
	for i := 0; i < len(ps) && i < len(want); i++ {
		if !strings.HasPrefix(ps[i].String(), want[i]) {
			t.Errorf("problem %d:\n got  %s\n want %s...", i, ps[i], want[i])
		}
	}
}

func TestBad(t *testing.T) {
	_, ps := Check("testdata/bad.yaml")
	f := "testdata/bad.yaml:"
	checkProblems(t, ps, []string{
		f + `3: node operator_id: "OPERATOR-TOO-LONG" is longer than 5 characters`,
		f + `5: node authorization_country: "gb" is not an ISO 3166-1 alpha-2 code`,
		f + `8: numbering country_code: "044" must not start with 0`,
		f + `9: numbering nsn_length: range "10-9" runs backwards`,
		f + `10: node: unknown key "colour"`,
		f + `15: link l1: local: "::1:2906" is not host:port`,
		f + `16: link l1: remote: "stp.example.net:2905": SCTP addresses must be IP literals`,
		f + `18: link l1: own_pc: point code "8-0-0": ITU zone-area-point fields are 0..7, 0..255, 0..7`,
		f + `19: link l1: adjacent_pc: point code 20000 exceeds the itu maximum 16383`,
		f + `20: link l1: network_indicator: "domestic" is not one of`,
		f + `21: link l1: name already used at line 12`,
		f + `21: link l1: linkset l1 mixes variant/network indicator`,
		f + `24: link l1: local: TCP takes one address, not 2`,
		f + `27: link l1: adjacent_pc: point code "256-0-1": ANSI network-cluster-member fields are 0..255`,
		f + `28: link l1: traffic_mode: "broadcast" is not one of override, loadshare`,
		f + `29: link l1: routing_context: -1 out of range`,
		f + `31: span s1: source satop needs listen`,
		f + `34: span s1: path is not used with source satop`,
		f + `37: span s2: listen: "127.0.0.1:70000": port "70000" is not a number`,
		f + `39: span s2: timeslots: "20-25" is outside 1..24`,
		f + `40: span s2: payload_size 100 is not a whole number of frames of 12 timeslots`,
		f + `43: span s3: dahdi_channel: 0 out of range 1..4096`,
		f + `44: span s3: framing: "j1" is not one of e1, e1-crc4, t1-sf, t1-esf`,
		f + `50: circuit 2-200-3/2-200-4 cic 1-30: b_to_a: span "nosuch" is not defined`,
		f + `54: circuit 2-200-3/2-200-4 cic 20-21: a_to_b: 15 timeslots for 2 CICs`,
		f + `60: circuit 2-200-4/2-200-3 cic 40-41: b_to_a: span s2 (CESoPSN, line 35) does not carry timeslot(s) 13,14`,
		f + `61: circuit: missing required key "b_to_a"`,
		f + `61: circuit: between: expected two point codes [A, B], got 1`,
		f + `63: circuit: cic: "5000" is outside 0..4095`,
		f + `64: circuit: a_to_b: give exactly one of timeslots`,
		f + `67: destination lemf-1: hi2: "127.0.0.1:0": port 0 is not allowed here`,
		f + `68: destination lemf-1: hi3: "lemf:port": port "port" is not a number`,
		f + `69: destination lemf-1: cc_format: "rawCC" is not one of iPMMCC, pstnIsdnCC`,
		f + `71: destination lemf-1: tls cert: stat testdata/no-such.crt: no such file`,
		f + `72: destination lemf-1: tls key: stat testdata/no-such.key: no such file`,
		f + `73: destination lemf-1: tls pinned_sha256: expected 32 bytes in hex`,
		f + `75: destination lemf-1: cc_spool_bytes: 10000 bytes out of range`,
		f + `76: destination lemf-1: keepalive: "forever" is not a duration`,
		f + `80: destination lemf-2: spool_dir spool/x is already used by destination lemf-1 (line 66)`,
		f + `83: warrant: target: number has more than 15 digits`,
		f + `87: warrant: destination "lemf-9" is not defined in testdata/bad.yaml`,
		f + `88: content_start: "ringing" is not one of anm, acm-inband`,
		f + `89: supervision_timer: 10s out of range`,
		f + `91: metrics listen: ":99999": port "99999" is not a number`,
		f + `93: log level: "loud" is not one of debug, info, warn, error`,
		f + `94: log format: "xml" is not one of text, json`,
	})
	if _, err := Load("testdata/bad.yaml"); err == nil || len(yamlcheck.AsProblems(err)) != len(ps) {
		t.Errorf("Load error %v does not carry the %d problems", err, len(ps))
	}
}

func TestBadCircuitsAndWarrantsFile(t *testing.T) {
	_, ps := Check("testdata/bad-circuits.yaml")
	f, w := "testdata/bad-circuits.yaml:", "testdata/bad-warrants.yaml:"
	checkProblems(t, ps, []string{
		f + `11: link a: local: all addresses of a multi-homed SCTP endpoint share one port`,
		f + `20: link b: local 127.0.0.1:0: an SGP needs a fixed listening port`,
		f + `41: circuit: CIC 24-25 between 5-6-7 and 1-2-3 overlaps CIC 1-24 of the circuit at line 34`,
		f + `42: circuit: span t1a timeslot 1 is mapped twice: CIC 1 a_to_b (line 34) and CIC 24 a_to_b (line 39)`,
		f + `43: circuit: span t1b timeslot 24 is mapped twice: CIC 24 b_to_a (line 34) and CIC 24 b_to_a (line 39)`,
		f + `44: circuit: the links mix ISUP variants; say which this circuit uses`,
		f + `46: circuit cic 1-2: a_to_b: ts_offset 23 puts CIC 2 on timeslot 25, outside t1-esf's 1..24`,
		f + `47: circuit cic 1-2: b_to_a: timeslots: "0-1" is outside 1..24`,
		f + `52: circuit: span t1a timeslot 20 is mapped twice: CIC 20 a_to_b (line 34) and CIC 9 a_to_b (line 48)`,
		f + `53: circuit: span t1a timeslot 20 is mapped twice: CIC 20 a_to_b (line 34) and CIC 9 b_to_a (line 48)`,
		f + `59: destination: duplicate key "spool_dir" (first at line 58)`,
		f + `60: config: unknown key "unknown_section"`,
		w + `7: warrant: destination "lemf-x" is not defined in testdata/bad-circuits.yaml`,
		w + `9: warrant: target: number cannot be normalised with this number plan`,
	})
}

func TestSmallFiles(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "node:\n  name: x\n links: [\n", []string{`f.yaml:3: YAML syntax: `}},
		{"tab", "node:\n\tname: x\n", []string{`f.yaml:2: YAML syntax: found character that cannot start any token`}},
		{"empty", "", []string{
			`f.yaml:1: config: missing required key "node"`,
			`f.yaml:1: config: missing required key "links"`,
			`f.yaml:1: config: missing required key "destinations"`,
		}},
		{"not a mapping", "- a\n- b\n", []string{`f.yaml:1: config: expected a mapping, got a list`}},
		{"empty lists", "node: {}\nlinks: []\ndestinations: []\n", []string{
			`f.yaml:1: node: missing required key "name"`,
			`f.yaml:1: node: missing required key "operator_id"`,
			`f.yaml:1: node: missing required key "network_element_id"`,
			`f.yaml:1: node: missing required key "authorization_country"`,
			`f.yaml:1: node: missing required key "numbering"`,
			`f.yaml:2: links: at least one link is needed`,
			`f.yaml:3: destinations: at least one LEMF destination is needed`,
		}},
		{"both warrant sources", minimal + "warrants_file: w.yaml\nwarrants: []\n", []string{
			`f.yaml:17: give either warrants_file (line 16) or inline warrants, not both`,
		}},
		{"missing warrants file", minimal + "warrants_file: nosuch.yaml\n", []string{
			`f.yaml:16: warrants_file: warrants file: open nosuch.yaml: no such file`,
		}},
		{"inline warrant", minimal + "warrants:\n  - liid: X\n    targets: [\"+4411\"]\n    valid_from: 2026-01-01T00:00:00Z\n" +
			"    valid_until: 2026-01-02T00:00:00Z\n    delivery: iri\n    destinations: [nowhere]\n", []string{
			`f.yaml:22: warrant: destination "nowhere" is not defined in f.yaml`,
		}},
		{"alias", minimal + "metrics: &m\n  listen: 127.0.0.1:1\nlog: *m\n", []string{
			`f.yaml:17: log: unknown key "listen"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := Parse("f.yaml", []byte(tc.yaml))
			checkProblems(t, ps, tc.want)
		})
	}
}

const minimal = `node:
  name: n
  operator_id: OP
  network_element_id: NE
  authorization_country: GB
  numbering: {country_code: "44"}
links:
  - name: l
    role: asp
    transport: tcp
    remote: 127.0.0.1:2905
    own_pc: 1
    adjacent_pc: 2
destinations:
  - {name: lemf, hi2: "127.0.0.1:1", hi3: "127.0.0.1:2", spool_dir: /tmp/x}
`

func TestMinimalDefaults(t *testing.T) {
	c, ps := Parse("f.yaml", []byte(minimal))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if c.Links[0].Variant != ITU || c.Links[0].NI != 2 || c.Links[0].Linkset != "l" || c.Node.DeliveryCountry != "GB" ||
		c.ContentStart != StartOnANM || c.Metrics.Listen != "" || c.Destinations[0].CCFormat != IPMMCC || len(c.Warrants) != 0 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"c.crt", "c.key", "ca.crt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pin := strings.Repeat("ab:", 31) + "ab"
	cfg := strings.Replace(minimal, "spool_dir: /tmp/x}", "spool_dir: /tmp/x,\n     tls: {cert: c.crt, key: c.key, ca: ca.crt, pinned_sha256: \""+pin+"\", server_name: lemf.example}}", 1)
	path := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tl := c.Destinations[0].TLS
	if tl == nil || tl.Cert != filepath.Join(dir, "c.crt") || tl.CA != filepath.Join(dir, "ca.crt") || len(tl.PinnedSHA256) != 32 ||
		tl.PinnedSHA256[0] != 0xab || tl.ServerName != "lemf.example" {
		t.Errorf("tls %+v", tl)
	}
	noCA := strings.Replace(cfg, "ca: ca.crt, pinned_sha256: \""+pin+"\", ", "", 1)
	_, ps := Parse(path, []byte(noCA))
	checkProblems(t, ps, []string{path + `:16: destination lemf: tls: give ca or pinned_sha256`})
}

func TestPointCodes(t *testing.T) {
	for _, tc := range []struct {
		s    string
		v    Variant
		want uint32
		ok   bool
		back string
	}{
		{"2-200-3", ITU, 2<<11 | 200<<3 | 3, true, "2-200-3"},
		{"7-255-7", ITU, 16383, true, "7-255-7"},
		{"16383", ITU, 16383, true, "7-255-7"},
		{"0", ITU, 0, true, "0-0-0"},
		{"16384", ITU, 0, false, ""},
		{"8-0-0", ITU, 0, false, ""},
		{"0-256-0", ITU, 0, false, ""},
		{"0-0-8", ITU, 0, false, ""},
		{"1-2", ITU, 0, false, ""},
		{"1-2-3", ANSI, 1<<16 | 2<<8 | 3, true, "1-2-3"},
		{"255-255-255", ANSI, 1<<24 - 1, true, "255-255-255"},
		{"16777215", ANSI, 1<<24 - 1, true, "255-255-255"},
		{"16777216", ANSI, 0, false, ""},
		{"256-0-0", ANSI, 0, false, ""},
		{"a-b-c", ANSI, 0, false, ""},
		{"", ITU, 0, false, ""},
		{"-1", ITU, 0, false, ""},
	} {
		got, err := ParsePointCode(tc.s, tc.v)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePointCode(%q, %s) = %d, %v", tc.s, tc.v, got, err)
			continue
		}
		if tc.ok && FormatPointCode(got, tc.v) != tc.back {
			t.Errorf("FormatPointCode(%d, %s) = %s", got, tc.v, FormatPointCode(got, tc.v))
		}
	}
}

func BenchmarkCircuitLookup(b *testing.B) {
	c, err := Load("testdata/example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cm := c.CircuitMap()
	a, bb := uint32(2<<11|200<<3|3), uint32(2<<11|200<<3|4)
	b.ReportAllocs()
	b.ResetTimer() // not the config load
	for i := 0; i < b.N; i++ {
		if _, ok := cm.Lookup(2, bb, a, uint16(1+i%30)); !ok {
			b.Fatal("not found")
		}
	}
}

func TestANSICircuits(t *testing.T) {
	cfg := `node:
  name: n
  operator_id: OP
  network_element_id: NE
  authorization_country: US
  numbering: {country_code: "1", national_prefix: "1", international_prefix: "011", nsn_length: 10}
links:
  - {name: l, role: asp, transport: sctp, local: ["10.0.0.1:2905", "10.0.1.1:2905"],
     remote: ["10.0.0.2:2905", "10.0.1.2:2905"], variant: ansi, own_pc: 1-2-3, adjacent_pc: "66051",
     network_indicator: national, legacy_m3ua_draft: true}
spans:
  - {name: up, source: dahdi, dahdi_channel: 1, framing: t1-esf}
  - {name: down, source: satop, listen: "0.0.0.0:5004", framing: t1-sf, rtp_header: true}
circuits:
  - between: [10-20-30, 10-20-31]
    cic: 5001-5024
    a_to_b: {span: up, ts_offset: -5000}
    b_to_a: {span: down, timeslots: [1-12, 13-24]}
destinations:
  - {name: lemf, hi2: "lemf.example.net:7002", hi3: "lemf.example.net:7003", cc_format: pstnIsdnCC, spool_dir: /var/spool/tdmtap/lemf}
warrants:
  - liid: US-1
    targets: ["1 202 555 0100", "011 44 20 7946 0000"]
    valid_from: 2026-01-01T00:00:00Z
    valid_until: 2027-01-01T00:00:00Z
    delivery: iri+cc
    destinations: lemf
`
	c, ps := Parse("ansi.yaml", []byte(cfg))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	l := c.Links[0]
	if l.Variant != ANSI || l.Transport != SCTP || len(l.Local) != 2 || len(l.Remote) != 2 || l.OwnPC != 66051 || l.AdjacentPC != 66051 || !l.LegacyM3UADraft {
		t.Errorf("link %+v", l)
	}
	if s := c.Spans[1]; s.PayloadSize != 192 || !s.RTPHeader || !s.Framing.T1() || s.Framing.MaxTimeslot() != 24 {
		t.Errorf("span %+v", s)
	}
	a, b := uint32(10<<16|20<<8|30), uint32(10<<16|20<<8|31)
	tap, ok := c.CircuitMap().Lookup(2, b, a, 5024)
	if !ok {
		t.Fatal("CIC 5024 not found")
	}
	if from, to, _ := tap.From(b); from != (Bearer{"down", 24}) || to != (Bearer{"up", 24}) {
		t.Errorf("from B: %v %v", from, to)
	}
	set, err := c.WarrantSet()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []warrant.Party{
		{Role: warrant.RoleCalling, NAI: warrant.ANSINAI(7), Digits: []byte("2025550100")},
		{Role: warrant.RoleCalled, NAI: warrant.NAIInternational, Digits: []byte("442079460000")},
		{Role: warrant.RoleCharge, NAI: warrant.NAIUnknown, Digits: []byte("12025550100")},
	} {
		if m := set.Match(at, []warrant.Party{p}, nil); len(m) != 1 {
			t.Errorf("party %s %q: %d matches", p.Role, p.Digits, len(m))
		}
	}
}

func TestCircuitLookupDoesNotAllocate(t *testing.T) {
	c, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cm := c.CircuitMap()
	a, b := uint32(2<<11|200<<3|3), uint32(2<<11|200<<3|4)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := cm.Lookup(2, b, a, 17); !ok {
			t.Fatal("not found")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per lookup", allocs)
	}
}
