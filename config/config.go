// Package config reads and validates tdmtap's one YAML configuration file.
//
// The file is decoded through the yaml.v3 node API so that every problem —
// syntax, unknown keys, bad values, broken cross-references (spans named by
// circuits, destinations named by warrants, timeslots within the span's
// framing, overlapping CIC ranges, point codes valid for the variant,
// addresses that do not parse) — is reported with its line, all at once, as
// `FILE:LINE: message`. Check returns the problems; Load returns the Config
// or the problems as a yamlcheck.Problems error.
//
// Relative paths in the file (warrants file, TLS files, spool directories,
// span files) are relative to the directory of the config file; Load
// resolves them.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config/yamlcheck"
)

// Config is a validated configuration.
type Config struct {
	File string // path of the config file as given
	Dir  string // its directory; relative paths were resolved against it

	Node         Node
	Links        []Link
	Spans        []Span
	Circuits     []Circuit
	Destinations []Destination

	// WarrantsFile is the resolved path of the warrants file, or "" when
	// warrants are inline. Warrants holds them either way.
	WarrantsFile string
	Warrants     []warrant.Warrant

	ContentStart     ContentStart
	SupervisionTimer time.Duration // ends calls whose release was never seen
	Metrics          Metrics
	Log              Log
	// HI1 is the intercept plane (hi1 section); nil: static warrants only.
	HI1 *HI1
}

// Node is the gateway's identity as written into the handover.
type Node struct {
	Name                 string
	OperatorID           string // 1..5 characters (TS 101 671 operator-Identifier; also PS-PDU)
	NetworkElementID     string // 1..16 characters
	AuthorizationCountry string // ISO 3166-1 alpha-2, e.g. "GB"
	DeliveryCountry      string // defaults to AuthorizationCountry
	InterceptionPointID  string // optional, 1..8 printable characters
	Numbering            warrant.NumberPlan
}

// Role of a link's M3UA endpoint.
type Role string

// Link roles.
const (
	ASP Role = "asp" // tdmtap connects, as an Application Server Process
	SGP Role = "sgp" // tdmtap listens, as a Signalling Gateway Process
)

// Transport of a link.
type Transport string

// Transports.
const (
	SCTP Transport = "sctp"
	TCP  Transport = "tcp"
)

// TrafficMode is the M3UA traffic mode.
type TrafficMode string

// Traffic modes.
const (
	Override  TrafficMode = "override"
	Loadshare TrafficMode = "loadshare"
)

// Link is one M3UA association.
type Link struct {
	Name              string
	Line              int
	Role              Role
	Transport         Transport
	Local             []string // host:port; several for SCTP multi-homing (same port)
	Remote            []string
	RoutingContext    uint32
	HasRoutingContext bool
	TrafficMode       TrafficMode
	NI                uint8 // network indicator 0..3
	OwnPC, AdjacentPC uint32
	Variant           Variant
	LegacyM3UADraft   bool   // draft-6 DATA form (raw MSU payload)
	Linkset           string // defaults to Name
}

// Framing of a span.
type Framing string

// Framings.
const (
	E1     Framing = "e1"
	E1CRC4 Framing = "e1-crc4"
	T1SF   Framing = "t1-sf"
	T1ESF  Framing = "t1-esf"
)

// T1 reports whether the framing is T1 (µ-law, 24 timeslots).
func (f Framing) T1() bool { return f == T1SF || f == T1ESF }

// MaxTimeslot is the highest bearer timeslot: 31 on E1, 24 on T1.
func (f Framing) MaxTimeslot() int {
	if f.T1() {
		return 24
	}
	return 31
}

// SpanSource says where a span's bitstream comes from.
type SpanSource string

// Span sources.
const (
	SAToP   SpanSource = "satop"
	CESoPSN SpanSource = "cesopsn"
	File    SpanSource = "file"
	DAHDI   SpanSource = "dahdi"
)

// Span is one tapped E1/T1 (one direction of a trunk, typically).
type Span struct {
	Name         string
	Line         int
	Source       SpanSource
	Listen       string // satop, cesopsn: UDP host:port
	Path         string // file: resolved path
	DAHDIChannel int    // dahdi
	Framing      Framing
	Timeslots    []int // cesopsn: the timeslots carried, in order
	PayloadSize  int   // octets per packet (satop, cesopsn)
	RTPHeader    bool  // an RTP header precedes the control word
	JitterBuffer time.Duration
}

// Leg is where one direction of a circuit range is found on the tap.
type Leg struct {
	Span      string
	SpanLine  int
	Timeslots []int // one per CIC of the range, in CIC order
}

// Circuit maps a range of CICs between two point codes to the bearer tap.
// Direction "A to B" is the speech sent by the switch with point code A.
type Circuit struct {
	Line              int
	Variant           Variant
	NI                uint8
	A, B              uint32
	CICFirst, CICLast uint16
	AtoB, BtoA        Leg

	cicLine int
}

// CCFormat is how call content is handed over.
type CCFormat string

// CC formats.
const (
	IPMMCC     CCFormat = "iPMMCC"     // RTP in TS 102 232-5 iPMMCC
	PstnIsdnCC CCFormat = "pstnIsdnCC" // raw octets in TS 102 232-6 pstnIsdnCC
)

// TLS is the client side of a mutually authenticated TLS session to a LEMF.
type TLS struct {
	Cert, Key    string // resolved paths
	CA           string // resolved path; may be empty when PinnedSHA256 is set
	PinnedSHA256 []byte // SHA-256 of the LEMF certificate (DER), 32 bytes, or nil
	ServerName   string
}

// Destination is one LEMF (monitoring centre).
type Destination struct {
	Name         string
	Line         int
	HI2, HI3     string // host:port
	CCFormat     CCFormat
	TLS          *TLS // nil: plain TCP (labs only)
	SpoolDir     string
	CCSpoolBytes int64
	Keepalive    time.Duration
}

// ContentStart says when call content starts.
type ContentStart string

// Content start triggers.
const (
	StartOnANM       ContentStart = "anm"        // answer (ANM/CON)
	StartOnACMInband ContentStart = "acm-inband" // ACM/CPG with in-band information, else answer
)

// Metrics is the Prometheus endpoint.
type Metrics struct {
	Listen string // host:port; "" = off
}

// Log is the logging setup.
type Log struct {
	Level  slog.Level
	Format string // "text" or "json"
}

// Defaults for optional settings.
const (
	DefaultSupervisionTimer = 4 * time.Hour
	DefaultCCSpoolBytes     = 64 << 20
	DefaultKeepalive        = 30 * time.Second
	DefaultJitterBuffer     = 10 * time.Millisecond
)

// Load reads, decodes and validates the config file at path (and the
// warrants file it names). On any problem it returns a yamlcheck.Problems
// error listing all of them.
func Load(path string) (*Config, error) {
	c, ps := Check(path)
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// Check reads and validates the config file at path, returning every
// problem found (sorted by file and line) and the config as far as it could
// be decoded.
func Check(path string) (*Config, yamlcheck.Problems) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, yamlcheck.Problems{{File: path, Msg: fmt.Sprintf("cannot read config: %v", err)}}
	}
	return Parse(path, data)
}

// Parse is Check on data already read; path names the file in messages and
// anchors relative paths.
func Parse(path string, data []byte) (*Config, yamlcheck.Problems) {
	d := &decoder{
		Checker: yamlcheck.Checker{File: path},
		cfg:     &Config{File: path, Dir: filepath.Dir(path)},
	}
	root := d.Parse(data)
	if root != nil {
		d.decode(root)
	}
	ps := d.Problems
	ps.Sort()
	return d.cfg, ps
}

// WarrantSet builds the matcher's warrant set from the config's warrants
// under the node's number plan.
func (c *Config) WarrantSet() (*warrant.Set, error) {
	s, errs := warrant.NewSet(c.Node.Numbering, c.Warrants)
	if len(errs) > 0 {
		return s, fmt.Errorf("warrants: %w", errs[0])
	}
	return s, nil
}

// Destination returns the destination named name.
func (c *Config) Destination(name string) (*Destination, bool) {
	for i := range c.Destinations {
		if c.Destinations[i].Name == name {
			return &c.Destinations[i], true
		}
	}
	return nil, false
}

// Span returns the span named name.
func (c *Config) Span(name string) (*Span, bool) {
	for i := range c.Spans {
		if c.Spans[i].Name == name {
			return &c.Spans[i], true
		}
	}
	return nil, false
}

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}
