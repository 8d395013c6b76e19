package switchsim

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// CLI is the command line of cmd/switchsim: the Config plus where to
// write the truth.
type CLI struct {
	Config   Config
	Truth    string // ground-truth JSON path ("" = none)
	LogLevel slog.Level
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// ParseArgs parses switchsim's command line (without the program name).
// Usage and errors go to out.
func ParseArgs(args []string, out io.Writer) (*CLI, error) {
	fs := flag.NewFlagSet("switchsim", flag.ContinueOnError)
	fs.SetOutput(out)
	var (
		connect, listen                  multi
		role, transport, opc, dpc, niS   string
		variant, mix, targets, spanDest  string
		framing, cicRange, cfgFile, orig string
		logLevel                         string
	)
	cli := &CLI{}
	c := &cli.Config
	fs.StringVar(&role, "m3ua-role", "asp", "M3UA role: asp (connect to the gateway acting as SGP) or sgp (the gateway connects)")
	fs.StringVar(&transport, "transport", "tcp", "tcp or sctp")
	fs.Var(&connect, "connect", "ASP: address to connect to (repeat for several associations; comma-separated = SCTP multi-homing)")
	fs.Var(&listen, "listen", "SGP: address to listen on (repeat for several associations)")
	rc := fs.Uint("rc", 0, "M3UA routing context (0: none)")
	fs.StringVar(&opc, "opc", "2-200-3", "own exchange point code (A), decimal or structured")
	fs.StringVar(&dpc, "dpc", "2-200-4", "far-end exchange point code (B)")
	fs.StringVar(&niS, "ni", "national", "network indicator: international|international_spare|national|national_spare|0..3")
	fs.StringVar(&variant, "variant", "itu", "ISUP variant: itu or ansi")
	fs.BoolVar(&c.Draft6, "draft", false, "legacy M3UA draft-6 DATA (raw MSU)")
	fs.IntVar(&c.Calls, "calls", 100, "number of calls (0: until --duration)")
	fs.Float64Var(&c.Rate, "rate", 10, "calls started per second")
	fs.IntVar(&c.Concurrency, "concurrency", 30, "most calls at once")
	fs.DurationVar(&c.Hold, "hold", time.Second, "conversation time (varied ±50 %)")
	fs.DurationVar(&c.Ring, "ring", 100*time.Millisecond, "time from ACM to ANM")
	fs.DurationVar(&c.Gap, "gap", 10*time.Millisecond, "time between the other messages of a call")
	fs.DurationVar(&c.Duration, "duration", 0, "stop starting calls after this (0: no limit)")
	fs.StringVar(&mix, "mix", "all", "scenario weights, e.g. answered=40,busy=10,target-orig=20 (scenarios: "+scenarioNames()+")")
	fs.BoolVar(&c.RoundRobin, "round-robin", false, "scenarios of the mix in turn rather than drawn")
	fs.StringVar(&targets, "targets", "", "comma-separated target numbers (+CC... international, else national)")
	fs.Float64Var(&c.TargetShare, "target-share", 0.2, "share of non-target scenarios' calls that involve a target anyway")
	fs.StringVar(&c.CountryCode, "country-code", "", "targets +CC... are sent in national form half of the time")
	fs.BoolVar(&c.InBand, "inband", false, "ACM with in-band information; backward bearer from ACM")
	fs.StringVar(&orig, "orig", "both", "which exchange originates calls: a, b or both")
	fs.StringVar(&spanDest, "span-dest", "", "UDP destination of span ab (what A sends) and, after a comma, of span ba")
	fs.StringVar(&framing, "framing", "e1-crc4", "span framing without --config: e1|e1-crc4|t1-sf|t1-esf")
	fs.StringVar(&cicRange, "cic-range", "1-30", "CIC range without --config")
	fs.StringVar(&cfgFile, "config", "", "the gateway's YAML config: circuits and spans between --opc and --dpc")
	fs.StringVar(&cli.Truth, "truth", "", "write the ground truth JSON here")
	fs.Int64Var(&c.Seed, "seed", 1, "seed of everything drawn")
	fs.Float64Var(&c.Speed, "speed", 1, "bearer clock speed (1 = 8000 frames/s)")
	fs.DurationVar(&c.Lead, "lead", 200*time.Millisecond, "bearer before the first call")
	fs.DurationVar(&c.Tail, "tail", 200*time.Millisecond, "bearer after the last call")
	fs.DurationVar(&c.LinkTimeout, "link-timeout", 30*time.Second, "wait this long for the M3UA links")
	fs.StringVar(&logLevel, "log-level", "info", "debug|info|warn|error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("switchsim: unexpected arguments %q", fs.Args())
	}
	if err := cli.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, fmt.Errorf("switchsim: --log-level: %w", err)
	}
	switch role {
	case "asp":
		c.Role = m3ua.RoleASP
	case "sgp":
		c.Role = m3ua.RoleSGP
	default:
		return nil, fmt.Errorf("switchsim: --m3ua-role %q (asp or sgp)", role)
	}
	switch transport {
	case "tcp":
		c.Transport = sigtran.TCP
	case "sctp":
		c.Transport = sigtran.SCTP
	default:
		return nil, fmt.Errorf("switchsim: --transport %q (tcp or sctp)", transport)
	}
	for _, a := range connect {
		c.Connect = append(c.Connect, strings.Split(a, ","))
	}
	for _, a := range listen {
		c.Listen = append(c.Listen, strings.Split(a, ","))
	}
	c.RC = uint32(*rc)
	v, err := isup.ParseVariant(variant)
	if err != nil {
		return nil, fmt.Errorf("switchsim: --variant: %w", err)
	}
	c.Variant = v
	cv := config.ITU
	if v == isup.ANSI {
		cv = config.ANSI
	}
	if c.OPC, err = config.ParsePointCode(opc, cv); err != nil {
		return nil, fmt.Errorf("switchsim: --opc: %w", err)
	}
	if c.DPC, err = config.ParsePointCode(dpc, cv); err != nil {
		return nil, fmt.Errorf("switchsim: --dpc: %w", err)
	}
	switch strings.ToLower(niS) {
	case "international":
		c.NI = 0
	case "international_spare":
		c.NI = 1
	case "national":
		c.NI = 2
	case "national_spare":
		c.NI = 3
	default:
		n, err := strconv.ParseUint(niS, 10, 8)
		if err != nil || n > 3 {
			return nil, fmt.Errorf("switchsim: --ni %q", niS)
		}
		c.NI = uint8(n)
	}
	if c.Mix, err = ParseMix(mix); err != nil {
		return nil, err
	}
	for _, t := range strings.Split(targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.Targets = append(c.Targets, t)
		}
	}
	c.OrigSides = orig
	if cfgFile != "" {
		gc, err := config.Load(cfgFile)
		if err != nil {
			return nil, fmt.Errorf("switchsim: --config: %w", err)
		}
		if c.Circuits, c.Spans, err = FromGatewayConfig(gc, c.OPC, c.DPC); err != nil {
			return nil, err
		}
		return cli, nil
	}
	lo, hi, err := ParseRange(cicRange)
	if err != nil {
		return nil, fmt.Errorf("switchsim: --cic-range: %w", err)
	}
	fr := config.Framing(framing)
	switch fr {
	case config.E1, config.E1CRC4, config.T1SF, config.T1ESF:
	default:
		return nil, fmt.Errorf("switchsim: --framing %q", framing)
	}
	ab, ba, _ := strings.Cut(spanDest, ",")
	if c.Circuits, c.Spans, err = DefaultBearer(uint16(lo), uint16(hi), fr, ab, ba); err != nil {
		return nil, err
	}
	if spanDest == "" {
		// no bearer: circuits without spans
		c.Circuits = []Circuit{{CICFirst: uint16(lo), CICLast: uint16(hi)}}
	}
	return cli, nil
}

func scenarioNames() string {
	s := make([]string, len(Scenarios))
	for i, sc := range Scenarios {
		s[i] = string(sc)
	}
	return strings.Join(s, ", ")
}
