package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config/yamlcheck"
)

type decoder struct {
	yamlcheck.Checker
	cfg *Config
}

var topKeys = []string{
	"node", "links", "spans", "circuits", "destinations", "warrants_file", "warrants",
	"content_start", "supervision_timer", "metrics", "log", "hi1",
}

func (d *decoder) decode(root *yaml.Node) {
	c := d.cfg
	f, ok := d.Mapping(root, "config", topKeys...)
	if !ok {
		return
	}
	d.Require(f, "config", "node", "links", "destinations")
	if v := f.Get("node"); v != nil {
		d.node(v)
	}
	for _, it := range d.Seq(f.Get("links"), "links") {
		d.link(it)
	}
	if v := f.Get("links"); v != nil && len(c.Links) == 0 && len(d.Seq(v, "links")) == 0 {
		d.Errorf(v, "links: at least one link is needed")
	}
	for _, it := range d.Seq(f.Get("spans"), "spans") {
		d.span(it)
	}
	for _, it := range d.Seq(f.Get("destinations"), "destinations") {
		d.destination(it)
	}
	if v := f.Get("destinations"); v != nil && len(d.Seq(v, "destinations")) == 0 {
		d.Errorf(v, "destinations: at least one LEMF destination is needed")
	}
	d.checkLinksets()
	for _, it := range d.Seq(f.Get("circuits"), "circuits") {
		d.circuit(it)
	}
	d.checkCircuitOverlaps()

	c.ContentStart = StartOnANM
	if v := f.Get("content_start"); v != nil {
		if s, ok := d.Enum(v, "content_start", string(StartOnANM), string(StartOnACMInband)); ok {
			c.ContentStart = ContentStart(s)
		}
	}
	c.SupervisionTimer = DefaultSupervisionTimer
	if v := f.Get("supervision_timer"); v != nil {
		c.SupervisionTimer, _ = d.Duration(v, "supervision_timer", time.Minute, 7*24*time.Hour)
	}
	if v := f.Get("metrics"); v != nil {
		mf, _ := d.Mapping(v, "metrics", "listen")
		if lv := mf.Get("listen"); lv != nil {
			c.Metrics.Listen, _ = d.addr(lv, "metrics listen", addrLocal)
		}
	}
	c.Log = Log{Level: slog.LevelInfo, Format: "text"}
	if v := f.Get("log"); v != nil {
		lf, _ := d.Mapping(v, "log", "level", "format")
		if lv := lf.Get("level"); lv != nil {
			switch s, _ := d.Enum(lv, "log level", "debug", "info", "warn", "error"); s {
			case "debug":
				c.Log.Level = slog.LevelDebug
			case "warn":
				c.Log.Level = slog.LevelWarn
			case "error":
				c.Log.Level = slog.LevelError
			}
		}
		if fv := lf.Get("format"); fv != nil {
			if s, ok := d.Enum(fv, "log format", "text", "json"); ok {
				c.Log.Format = s
			}
		}
	}

	if v := f.Get("hi1"); v != nil {
		d.hi1(v)
	}

	wf, wi := f.Get("warrants_file"), f.Get("warrants")
	switch {
	case wf != nil && wi != nil:
		d.Errorf(f.Key("warrants"), "give either warrants_file (line %d) or inline warrants, not both", f.Key("warrants_file").Line)
	case wf != nil:
		if p, ok := d.String(wf, "warrants_file"); ok {
			c.WarrantsFile = c.resolve(p)
			ws, err := warrant.LoadFile(c.WarrantsFile)
			var ps yamlcheck.Problems
			switch {
			case errors.As(err, &ps):
				d.Problems = append(d.Problems, ps...)
			case err != nil:
				d.Errorf(wf, "warrants_file: %v", err)
			}
			c.Warrants = ws
		}
	case wi != nil:
		c.Warrants = warrant.Decode(&d.Checker, wi)
	}
	d.checkWarrants()
}

// ---- node ----

func (d *decoder) node(n *yaml.Node) {
	c := d.cfg
	f, ok := d.Mapping(n, "node", "name", "operator_id", "network_element_id", "authorization_country",
		"delivery_country", "interception_point_id", "numbering")
	if !ok {
		return
	}
	d.Require(f, "node", "name", "operator_id", "network_element_id", "authorization_country", "numbering")
	if v := f.Get("name"); v != nil {
		c.Node.Name, _ = d.String(v, "node name")
	}
	if v := f.Get("operator_id"); v != nil {
		c.Node.OperatorID = d.printable(v, "node operator_id", 5, " (TS 101 671 operator-Identifier is 1..5 octets)")
	}
	if v := f.Get("network_element_id"); v != nil {
		c.Node.NetworkElementID = d.printable(v, "node network_element_id", 16, "")
	}
	if v := f.Get("authorization_country"); v != nil {
		c.Node.AuthorizationCountry = d.country(v, "node authorization_country")
	}
	c.Node.DeliveryCountry = c.Node.AuthorizationCountry
	if v := f.Get("delivery_country"); v != nil {
		c.Node.DeliveryCountry = d.country(v, "node delivery_country")
	}
	if v := f.Get("interception_point_id"); v != nil {
		c.Node.InterceptionPointID = d.printable(v, "node interception_point_id", 8, "")
	}
	if v := f.Get("numbering"); v != nil {
		d.numbering(v)
	}
}

func (d *decoder) printable(n *yaml.Node, what string, max int, note string) string {
	s, ok := d.String(n, what)
	if !ok {
		return ""
	}
	if len(s) > max {
		d.Errorf(n, "%s: %q is longer than %d characters%s", what, s, max, note)
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			d.Errorf(n, "%s: %q: only printable ASCII is allowed", what, s)
			return ""
		}
	}
	return s
}

func (d *decoder) country(n *yaml.Node, what string) string {
	s, ok := d.String(n, what)
	if !ok {
		return ""
	}
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		d.Errorf(n, "%s: %q is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. GB)", what, s)
		return ""
	}
	return s
}

func (d *decoder) numbering(n *yaml.Node) {
	p := &d.cfg.Node.Numbering
	f, ok := d.Mapping(n, "numbering", "country_code", "international_prefix", "national_prefix", "area_code", "nsn_length")
	if !ok {
		return
	}
	d.Require(f, "numbering", "country_code")
	digits := func(key string, min, max int) string {
		v := f.Get(key)
		if v == nil {
			return ""
		}
		s, ok := d.String(v, "numbering "+key)
		if !ok {
			return ""
		}
		if len(s) < min || len(s) > max || strings.Trim(s, "0123456789") != "" {
			d.Errorf(v, "numbering %s: %q must be %d to %d digits", key, s, min, max)
			return ""
		}
		return s
	}
	p.CountryCode = digits("country_code", 1, 3)
	if p.CountryCode != "" && p.CountryCode[0] == '0' {
		d.Errorf(f.Get("country_code"), "numbering country_code: %q must not start with 0", p.CountryCode)
	}
	p.InternationalPrefix = digits("international_prefix", 1, 4)
	p.NationalPrefix = digits("national_prefix", 1, 4)
	p.AreaCode = digits("area_code", 1, 8)
	if v := f.Get("nsn_length"); v != nil {
		lo, hi, ok := d.intRange(v, "numbering nsn_length", 1, 15)
		if ok {
			p.NSNMin, p.NSNMax = lo, hi
		}
	}
}

// intRange reads "N" or "N-M" (or an integer) within [min, max].
func (d *decoder) intRange(n *yaml.Node, what string, min, max int) (int, int, bool) {
	s, ok := d.String(n, what)
	if !ok {
		return 0, 0, false
	}
	lo, hi, err := parseRange(s, min, max)
	if err != nil {
		d.Errorf(n, "%s: %v", what, err)
		return 0, 0, false
	}
	return lo, hi, true
}

func parseRange(s string, min, max int) (int, int, error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a number or a range N-M", s)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("%q is not a number or a range N-M", s)
		}
	}
	if lo < min || hi > max {
		return 0, 0, fmt.Errorf("%q is outside %d..%d", s, min, max)
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range %q runs backwards", s)
	}
	return lo, hi, nil
}

// ---- addresses ----

type addrKind int

const (
	addrLocal  addrKind = iota // port may be 0, host may be empty (all addresses)
	addrRemote                 // port 1..65535, host required
	addrListen                 // port 1..65535, host may be empty
)

// addr checks host:port. Hosts are IP literals or DNS names; ipOnly (SCTP)
// demands IP literals.
func (d *decoder) addr(n *yaml.Node, what string, kind addrKind) (string, bool) {
	return d.addrIP(n, what, kind, false)
}

func (d *decoder) addrIP(n *yaml.Node, what string, kind addrKind, ipOnly bool) (string, bool) {
	s, ok := d.String(n, what)
	if !ok {
		return "", false
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		d.Errorf(n, "%s: %q is not host:port (%v)", what, s, stripAddrErr(err))
		return "", false
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		d.Errorf(n, "%s: %q: port %q is not a number 0..65535", what, s, port)
		return "", false
	}
	if p == 0 && kind != addrLocal {
		d.Errorf(n, "%s: %q: port 0 is not allowed here", what, s)
		return "", false
	}
	switch {
	case host == "":
		if kind == addrRemote {
			d.Errorf(n, "%s: %q: a host is needed", what, s)
			return "", false
		}
	case net.ParseIP(host) != nil:
	case ipOnly:
		d.Errorf(n, "%s: %q: SCTP addresses must be IP literals", what, s)
		return "", false
	case !validHostname(host):
		d.Errorf(n, "%s: %q: %q is neither an IP address nor a host name", what, s, host)
		return "", false
	}
	return s, true
}

func stripAddrErr(err error) string {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	return err.Error()
}

func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return false
			}
		}
	}
	return true
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// ---- links ----

var linkKeys = []string{
	"name", "role", "transport", "local", "remote", "routing_context", "traffic_mode",
	"network_indicator", "own_pc", "adjacent_pc", "variant", "legacy_m3ua_draft", "linkset",
}

func (d *decoder) link(n *yaml.Node) {
	c := d.cfg
	l := Link{Line: n.Line, TrafficMode: Override, NI: 2, Variant: ITU}
	f, ok := d.Mapping(n, "link", linkKeys...)
	if !ok {
		return
	}
	d.Require(f, "link", "name", "role", "transport", "own_pc", "adjacent_pc")
	what := "link"
	if v := f.Get("name"); v != nil {
		l.Name, what = uniqueName(d, v, "link", c.Links, func(o Link) (string, int) { return o.Name, o.Line })
	}
	if v := f.Get("role"); v != nil {
		s, _ := d.Enum(v, what+": role", string(ASP), string(SGP))
		l.Role = Role(s)
	}
	if v := f.Get("transport"); v != nil {
		s, _ := d.Enum(v, what+": transport", string(SCTP), string(TCP))
		l.Transport = Transport(s)
	}
	if v := f.Get("variant"); v != nil {
		l.Variant = d.variant(v, what+": variant")
	}
	addrs := func(key string, kind addrKind) []string {
		v := f.Get(key)
		if v == nil {
			return nil
		}
		var out []string
		var first string
		for _, it := range d.ScalarOrSeq(v, what+": "+key) {
			a, ok := d.addrIP(it, what+": "+key, kind, l.Transport == SCTP)
			if !ok {
				continue
			}
			if first == "" {
				first = a
			} else if l.Transport == SCTP && portOf(a) != portOf(first) {
				d.Errorf(it, "%s: %s: all addresses of a multi-homed SCTP endpoint share one port (%s has %s, %s has %s)",
					what, key, first, portOf(first), a, portOf(a))
			}
			out = append(out, a)
		}
		if l.Transport == TCP && len(out) > 1 {
			d.Errorf(v, "%s: %s: TCP takes one address, not %d (multi-homing is SCTP only)", what, key, len(out))
		}
		return out
	}
	l.Local = addrs("local", addrLocal)
	remoteKind := addrRemote
	l.Remote = addrs("remote", remoteKind)
	switch l.Role {
	case ASP:
		if !f.Has("remote") {
			d.Errorf(n, "%s: an ASP connects out: remote address(es) needed", what)
		}
	case SGP:
		if !f.Has("local") {
			d.Errorf(n, "%s: an SGP listens: local address(es) needed", what)
		} else {
			for i, a := range l.Local {
				if portOf(a) == "0" {
					d.Errorf(f.Get("local"), "%s: local %s: an SGP needs a fixed listening port", what, l.Local[i])
				}
			}
		}
	}
	if v := f.Get("routing_context"); v != nil {
		if rc, ok := d.Int(v, what+": routing_context", 0, 1<<32-1); ok {
			l.RoutingContext, l.HasRoutingContext = uint32(rc), true
		}
	}
	if v := f.Get("traffic_mode"); v != nil {
		s, _ := d.Enum(v, what+": traffic_mode", string(Override), string(Loadshare))
		l.TrafficMode = TrafficMode(s)
	}
	if v := f.Get("network_indicator"); v != nil {
		l.NI = d.ni(v, what+": network_indicator")
	}
	if v := f.Get("own_pc"); v != nil {
		l.OwnPC, _ = d.pointCode(v, what+": own_pc", l.Variant)
	}
	if v := f.Get("adjacent_pc"); v != nil {
		l.AdjacentPC, _ = d.pointCode(v, what+": adjacent_pc", l.Variant)
	}
	if v := f.Get("legacy_m3ua_draft"); v != nil {
		l.LegacyM3UADraft, _ = d.Bool(v, what+": legacy_m3ua_draft")
	}
	l.Linkset = l.Name
	if v := f.Get("linkset"); v != nil {
		if s, ok := d.name(v, what+": linkset"); ok {
			l.Linkset = s
		}
	}
	c.Links = append(c.Links, l)
}

func (d *decoder) checkLinksets() {
	first := map[string]*Link{}
	for i := range d.cfg.Links {
		l := &d.cfg.Links[i]
		if l.Linkset == "" {
			continue
		}
		o := first[l.Linkset]
		if o == nil {
			first[l.Linkset] = l
			continue
		}
		if o.Variant != l.Variant || o.NI != l.NI {
			d.Errorf(&yaml.Node{Line: l.Line}, "link %s: linkset %s mixes variant/network indicator (%s/NI %d here, %s/NI %d on link %s at line %d)",
				l.Name, l.Linkset, l.Variant, l.NI, o.Variant, o.NI, o.Name, o.Line)
		}
	}
}

// uniqueName reads the name of a list entry of the given kind ("link",
// "span", ...) and reports it if an earlier entry (nameLine gives each one's
// name and line) already uses it. It returns the name ("" when bad) and the
// entry's label for later messages: "kind name", or kind alone.
func uniqueName[T any](d *decoder, n *yaml.Node, kind string, earlier []T, nameLine func(T) (string, int)) (name, what string) {
	name, ok := d.name(n, kind+" name")
	if !ok {
		return "", kind
	}
	what = kind + " " + name
	for _, o := range earlier {
		if on, line := nameLine(o); on == name {
			d.Errorf(n, "%s: name already used at line %d", what, line)
		}
	}
	return name, what
}

func (d *decoder) name(n *yaml.Node, what string) (string, bool) {
	s, ok := d.String(n, what)
	if !ok {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			d.Errorf(n, "%s: %q: names use letters, digits, '-', '_' and '.'", what, s)
			return "", false
		}
	}
	if len(s) > 64 {
		d.Errorf(n, "%s: %q is longer than 64 characters", what, s)
		return "", false
	}
	return s, true
}

func (d *decoder) variant(n *yaml.Node, what string) Variant {
	switch s, _ := d.Enum(n, what, "itu", "ansi"); s {
	case "itu":
		return ITU
	case "ansi":
		return ANSI
	}
	return 0
}

var niNames = []string{"international", "international_spare", "national", "national_spare"}

func (d *decoder) ni(n *yaml.Node, what string) uint8 {
	s, ok := d.String(n, what)
	if !ok {
		return 2
	}
	for i, name := range niNames {
		if strings.EqualFold(s, name) || s == strconv.Itoa(i) {
			return uint8(i)
		}
	}
	d.Errorf(n, "%s: %q is not one of %s or 0..3", what, s, strings.Join(niNames, ", "))
	return 2
}

func (d *decoder) pointCode(n *yaml.Node, what string, v Variant) (uint32, bool) {
	s, ok := d.String(n, what)
	if !ok {
		return 0, false
	}
	if v == 0 {
		return 0, false // variant already reported
	}
	pc, err := ParsePointCode(s, v)
	if err != nil {
		d.Errorf(n, "%s: %v", what, err)
		return 0, false
	}
	return pc, true
}

// ---- spans ----

var spanKeys = []string{
	"name", "source", "listen", "path", "dahdi_channel", "framing", "timeslots",
	"payload_size", "rtp_header", "jitter_buffer",
}

func (d *decoder) span(n *yaml.Node) {
	c := d.cfg
	s := Span{Line: n.Line, JitterBuffer: DefaultJitterBuffer}
	f, ok := d.Mapping(n, "span", spanKeys...)
	if !ok {
		return
	}
	d.Require(f, "span", "name", "source", "framing")
	what := "span"
	if v := f.Get("name"); v != nil {
		s.Name, what = uniqueName(d, v, "span", c.Spans, func(o Span) (string, int) { return o.Name, o.Line })
	}
	if v := f.Get("framing"); v != nil {
		fr, _ := d.Enum(v, what+": framing", string(E1), string(E1CRC4), string(T1SF), string(T1ESF))
		s.Framing = Framing(fr)
	}
	if v := f.Get("source"); v != nil {
		src, _ := d.Enum(v, what+": source", string(SAToP), string(CESoPSN), string(File), string(DAHDI))
		s.Source = SpanSource(src)
	}
	needs := map[SpanSource]string{SAToP: "listen", CESoPSN: "listen", File: "path", DAHDI: "dahdi_channel"}
	for _, key := range []string{"listen", "path", "dahdi_channel", "timeslots", "payload_size", "rtp_header"} {
		v := f.Get(key)
		if s.Source == "" {
			break
		}
		used := needs[s.Source] == key ||
			(key == "timeslots" && s.Source == CESoPSN) ||
			((key == "payload_size" || key == "rtp_header") && (s.Source == SAToP || s.Source == CESoPSN))
		if v != nil && !used {
			d.Errorf(f.Key(key), "%s: %s is not used with source %s", what, key, s.Source)
		}
		if v == nil && (needs[s.Source] == key || (key == "timeslots" && s.Source == CESoPSN)) {
			d.Errorf(n, "%s: source %s needs %s", what, s.Source, key)
		}
	}
	if v := f.Get("listen"); v != nil {
		s.Listen, _ = d.addr(v, what+": listen", addrListen)
	}
	if v := f.Get("path"); v != nil {
		if p, ok := d.String(v, what+": path"); ok {
			s.Path = c.resolve(p)
			if _, err := os.Stat(s.Path); err != nil && s.Source == File {
				d.Errorf(v, "%s: path: %v", what, err)
			}
		}
	}
	if v := f.Get("dahdi_channel"); v != nil {
		ch, _ := d.Int(v, what+": dahdi_channel", 1, 4096)
		s.DAHDIChannel = int(ch)
	}
	if v := f.Get("timeslots"); v != nil && s.Framing != "" {
		s.Timeslots, _ = d.timeslots(v, what+": timeslots", s.Framing)
		seen := map[int]bool{}
		for _, ts := range s.Timeslots {
			if seen[ts] {
				d.Errorf(v, "%s: timeslots: %d listed twice", what, ts)
			}
			seen[ts] = true
		}
	}
	switch {
	case s.Source == SAToP && s.Framing.T1():
		s.PayloadSize = 192
	case s.Source == SAToP:
		s.PayloadSize = 256
	case s.Source == CESoPSN:
		s.PayloadSize = 8 * len(s.Timeslots)
	}
	if v := f.Get("payload_size"); v != nil {
		if ps, ok := d.Int(v, what+": payload_size", 1, 1472); ok {
			s.PayloadSize = int(ps)
			if s.Source == CESoPSN && len(s.Timeslots) > 0 && int(ps)%len(s.Timeslots) != 0 {
				d.Errorf(v, "%s: payload_size %d is not a whole number of frames of %d timeslots", what, ps, len(s.Timeslots))
			}
		}
	}
	if v := f.Get("rtp_header"); v != nil {
		s.RTPHeader, _ = d.Bool(v, what+": rtp_header")
	}
	if v := f.Get("jitter_buffer"); v != nil {
		s.JitterBuffer, _ = d.Duration(v, what+": jitter_buffer", time.Millisecond, time.Second)
	}
	c.Spans = append(c.Spans, s)
}

// timeslots reads a timeslot list: "1-15,17-31", a YAML list of numbers and
// ranges, or one number; each within 1..MaxTimeslot of the framing.
func (d *decoder) timeslots(n *yaml.Node, what string, fr Framing) ([]int, bool) {
	var out []int
	ok := true
	for _, it := range d.ScalarOrSeq(n, what) {
		for _, part := range strings.Split(it.Value, ",") {
			lo, hi, err := parseRange(part, 1, fr.MaxTimeslot())
			if err != nil {
				d.Errorf(it, "%s: %v (%s timeslots are 1..%d)", what, err, fr, fr.MaxTimeslot())
				ok = false
				continue
			}
			for ts := lo; ts <= hi; ts++ {
				out = append(out, ts)
			}
		}
	}
	return out, ok
}

// ---- destinations ----

var destKeys = []string{"name", "hi2", "hi3", "cc_format", "tls", "spool_dir", "cc_spool_bytes", "keepalive"}

func (d *decoder) destination(n *yaml.Node) {
	c := d.cfg
	dst := Destination{Line: n.Line, CCFormat: IPMMCC, CCSpoolBytes: DefaultCCSpoolBytes, Keepalive: DefaultKeepalive}
	f, ok := d.Mapping(n, "destination", destKeys...)
	if !ok {
		return
	}
	d.Require(f, "destination", "name", "hi2", "hi3", "spool_dir")
	what := "destination"
	if v := f.Get("name"); v != nil {
		dst.Name, what = uniqueName(d, v, "destination", c.Destinations, func(o Destination) (string, int) { return o.Name, o.Line })
	}
	if v := f.Get("hi2"); v != nil {
		dst.HI2, _ = d.addr(v, what+": hi2", addrRemote)
	}
	if v := f.Get("hi3"); v != nil {
		dst.HI3, _ = d.addr(v, what+": hi3", addrRemote)
	}
	if v := f.Get("cc_format"); v != nil {
		s, _ := d.Enum(v, what+": cc_format", string(IPMMCC), string(PstnIsdnCC))
		dst.CCFormat = CCFormat(s)
	}
	if v := f.Get("tls"); v != nil {
		dst.TLS = d.tls(v, what)
	}
	if v := f.Get("spool_dir"); v != nil {
		if p, ok := d.String(v, what+": spool_dir"); ok {
			dst.SpoolDir = c.resolve(p)
			if fi, err := os.Stat(dst.SpoolDir); err == nil && !fi.IsDir() {
				d.Errorf(v, "%s: spool_dir %s exists and is not a directory", what, p)
			}
			for _, o := range c.Destinations {
				if o.SpoolDir == dst.SpoolDir {
					d.Errorf(v, "%s: spool_dir %s is already used by destination %s (line %d)", what, p, o.Name, o.Line)
				}
			}
		}
	}
	if v := f.Get("cc_spool_bytes"); v != nil {
		dst.CCSpoolBytes, _ = d.Size(v, what+": cc_spool_bytes", 1<<20, 1<<40)
	}
	if v := f.Get("keepalive"); v != nil {
		dst.Keepalive, _ = d.Duration(v, what+": keepalive", time.Second, 10*time.Minute)
	}
	c.Destinations = append(c.Destinations, dst)
}

func (d *decoder) tls(n *yaml.Node, what string) *TLS {
	c := d.cfg
	t := &TLS{}
	f, ok := d.Mapping(n, what+": tls", "cert", "key", "ca", "pinned_sha256", "server_name")
	if !ok {
		return nil
	}
	d.Require(f, what+": tls", "cert", "key")
	if !f.Has("ca") && !f.Has("pinned_sha256") {
		d.Errorf(n, "%s: tls: give ca or pinned_sha256 (or both) to authenticate the LEMF", what)
	}
	file := func(key string) string {
		v := f.Get(key)
		if v == nil {
			return ""
		}
		p, ok := d.String(v, what+": tls "+key)
		if !ok {
			return ""
		}
		p = c.resolve(p)
		if fi, err := os.Stat(p); err != nil {
			d.Errorf(v, "%s: tls %s: %v", what, key, err)
		} else if fi.IsDir() {
			d.Errorf(v, "%s: tls %s: %s is a directory", what, key, p)
		}
		return p
	}
	t.Cert, t.Key, t.CA = file("cert"), file("key"), file("ca")
	if v := f.Get("pinned_sha256"); v != nil {
		if s, ok := d.String(v, what+": tls pinned_sha256"); ok {
			h, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
			if err != nil || len(h) != 32 {
				d.Errorf(v, "%s: tls pinned_sha256: expected 32 bytes in hex (64 digits, colons allowed)", what)
			} else {
				t.PinnedSHA256 = h
			}
		}
	}
	if v := f.Get("server_name"); v != nil {
		if s, ok := d.String(v, what+": tls server_name"); ok {
			if !validHostname(s) && net.ParseIP(s) == nil {
				d.Errorf(v, "%s: tls server_name %q is not a host name", what, s)
			}
			t.ServerName = s
		}
	}
	return t
}

// ---- warrants ----

func (d *decoder) checkWarrants() {
	c := d.cfg
	for i := range c.Warrants {
		w := &c.Warrants[i]
		for j, name := range w.Destinations {
			if _, ok := c.Destination(name); !ok {
				d.Problems = append(d.Problems, yamlcheck.Problem{File: w.File, Line: w.DestinationLines[j],
					Msg: fmt.Sprintf("%s: destination %q is not defined in %s", warrantName(w), name, c.File)})
			}
		}
	}
	if c.Node.Numbering.CountryCode == "" {
		return // already reported; targets cannot be normalised
	}
	_, errs := warrant.NewSet(c.Node.Numbering, c.Warrants)
	for _, err := range errs {
		var te *warrant.TargetError
		if errors.As(err, &te) {
			d.Problems = append(d.Problems, yamlcheck.Problem{File: te.Warrant.File, Line: te.Target.Line,
				Msg: fmt.Sprintf("%s: target: %v", warrantName(te.Warrant), te.Err)})
		}
	}
}

// warrantName names a warrant in a problem: the file and line say which;
// problems never carry an LIID or a target number (they reach logs).
func warrantName(*warrant.Warrant) string { return "warrant" }
