package lemf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
)

// Exit codes of Run.
const (
	ExitOK       = 0
	ExitMismatch = 1 // a check failed: own checks, --expect, --truth
	ExitUsage    = 2 // bad flags or setup failure
)

// TruthOptions say what to check a LEMF output directory against: a
// switch simulator's ground truth and the warrants the gateway ran with.
type TruthOptions struct {
	// Truth is the simulator's ground-truth file (test/switchsim JSON). In
	// a live run it is read when lemf stops (the simulator writes it at
	// the end of its run, after lemf started).
	Truth string
	// Warrants is a tdmtap config file (its warrants, number plan and
	// content start) or a bare warrants file (then Numbering is needed for
	// national or subscriber forms, and ContentStart applies).
	Warrants     string
	Numbering    string // e.g. "cc=44,intl=00,nat=0,area=20,nsn=9-10"
	ContentStart string // anm (default) | acm-inband
	// HeadTolerance and TailTolerance are the pattern frames (125 µs) a
	// content direction may miss at its start and end; MaxLossFill the
	// share of its pattern octets that may arrive as loss fill.
	HeadTolerance, TailTolerance int64
	MaxLossFill                  float64
}

// TruthChecker checks an output directory against the ground truth,
// writes its report to w (and its files into dir) and says whether the
// run passed. The checker lives with the simulator's ground truth
// (test/expect); cmd/lemf supplies it, so that this package, a part of the
// product's handover test kit, does not depend on test code.
type TruthChecker interface {
	CheckTruth(dir string, opt TruthOptions, w io.Writer) (passed bool, err error)
}

// Run is RunWith without a ground-truth checker (--truth is refused).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunWith(ctx, args, stdout, stderr, nil)
}

// RunWith is the lemf command: flags in args, stop when ctx ends (the
// command cancels it on SIGTERM/SIGINT) or after --duration. It returns the
// exit code: 0 only when every check asked for passed.
//
//	lemf --listen ADDR --out DIR [--tls-cert F --tls-key F [--tls-client-ca F]]
//	     [--expect FILE] [--truth FILE --warrants FILE [--numbering PLAN]]
//	     [--duration D] [--addr-file F] [--law alaw|ulaw] [--pcap-port N] [-v]
//	lemf check --out DIR --truth FILE --warrants FILE [--numbering PLAN]
//
// The first form receives and, when it stops, checks: its own sequence,
// decoding and framing checks always (exit 1 when they fail, also without
// --expect), the --expect file, and with --truth the whole run against the
// ground truth (tc). "lemf check" runs the ground-truth check on an output
// directory written earlier.
func RunWith(ctx context.Context, args []string, stdout, stderr io.Writer, tc TruthChecker) int {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], stdout, stderr, tc)
	}
	fs := flag.NewFlagSet("lemf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:50000", "TCP address to listen on (mediation connects here)")
	out := fs.String("out", "", "output directory (iri.jsonl, cc.pcap, WAV files, summary.json)")
	cert := fs.String("tls-cert", "", "TLS server certificate (PEM); enables TLS 1.3")
	key := fs.String("tls-key", "", "TLS server key (PEM)")
	clientCA := fs.String("tls-client-ca", "", "CA bundle (PEM) that must sign the mediation's client certificate (mutual TLS)")
	expect := fs.String("expect", "", "expectation file (JSON, see package hi/lemf): exit 1 when what arrived differs")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGTERM/SIGINT)")
	addrFile := fs.String("addr-file", "", "write the bound listen address to this file once listening")
	law := fs.String("law", "alaw", "G.711 law of pstnIsdnCC content when no media information says (alaw|ulaw)")
	port := fs.Int("pcap-port", 40000, "first synthetic UDP port in cc.pcap (stream i uses port+2i)")
	verbose := fs.Bool("v", false, "log every connection and problem to stderr")
	var topt TruthOptions
	truthFlags(fs, &topt)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	fail := func(f string, a ...any) int {
		fmt.Fprintf(stderr, "lemf: "+f+"\n", a...)
		return ExitUsage
	}
	if *out == "" {
		return fail("--out is required")
	}
	var lawPT uint8
	switch *law {
	case "alaw", "pcma", "a":
		lawPT = 8
	case "ulaw", "mulaw", "pcmu", "u":
		lawPT = 0
	default:
		return fail("--law %q: want alaw or ulaw", *law)
	}
	if err := topt.validate(tc); err != nil {
		return fail("%v", err)
	}
	var exp *Expectation
	if *expect != "" {
		var err error
		if exp, err = LoadExpectation(*expect); err != nil {
			return fail("%v", err)
		}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail("listen: %v", err)
	}
	if *cert != "" || *key != "" || *clientCA != "" {
		tc, err := ServerTLS(*cert, *key, *clientCA)
		if err != nil {
			ln.Close()
			return fail("%v", err)
		}
		ln = tls.NewListener(ln, tc)
	}
	rcv, err := New(Config{Out: *out, Logger: log, PcapBasePort: *port, DefaultLaw: &lawPT})
	if err != nil {
		ln.Close()
		return fail("%v", err)
	}
	fmt.Fprintf(stderr, "lemf: listening on %s, writing to %s\n", ln.Addr(), *out)
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			ln.Close()
			rcv.Close()
			return fail("addr-file: %v", err)
		}
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	serveErr := rcv.Serve(ctx, ln)
	sum, closeErr := rcv.Close()
	sum.WriteText(stdout)
	if b, err := json.MarshalIndent(sum, "", "  "); err == nil {
		os.WriteFile(filepath.Join(*out, "summary.json"), append(b, '\n'), 0o644)
	}
	if err := errors.Join(serveErr, closeErr); err != nil {
		fmt.Fprintf(stderr, "lemf: %v\n", err)
		return ExitUsage
	}
	code := ExitOK
	if exp != nil {
		diffs := rcv.Check(exp)
		if len(diffs) > 0 {
			fmt.Fprintf(stdout, "EXPECTATION FAILED: %d differences\n", len(diffs))
			for _, d := range diffs {
				fmt.Fprintf(stdout, "  %s\n", d)
			}
			code = ExitMismatch
		} else {
			fmt.Fprintln(stdout, "expectation met")
		}
	} else if n := len(sum.SeqErrors) + int(sum.DecodeErrors+sum.FramingErrors); n > 0 {
		fmt.Fprintf(stdout, "LEMF CHECKS FAILED: %d sequence, decoding or framing errors\n", n)
		code = ExitMismatch
	}
	if topt.Truth != "" {
		ok, err := tc.CheckTruth(*out, topt, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "lemf: ground truth check: %v\n", err)
			return ExitUsage
		}
		if !ok {
			code = ExitMismatch
		}
	}
	return code
}

func truthFlags(fs *flag.FlagSet, o *TruthOptions) {
	fs.StringVar(&o.Truth, "truth", "", "switchsim ground truth (JSON) to check the run against (read when lemf stops)")
	fs.StringVar(&o.Warrants, "warrants", "", "with --truth: the gateway's config file or its warrants file")
	fs.StringVar(&o.Numbering, "numbering", "", "with a bare warrants file: number plan, e.g. cc=44,intl=00,nat=0,area=20,nsn=9-10")
	fs.StringVar(&o.ContentStart, "content-start", "", "with a bare warrants file: when content starts, anm (default) or acm-inband")
	fs.Int64Var(&o.HeadTolerance, "head-tolerance", 0, "pattern frames (125 µs) a content direction may miss at its start (-1: any number)")
	fs.Int64Var(&o.TailTolerance, "tail-tolerance", 160, "pattern frames a content direction may miss at its end (-1: any number)")
	fs.Float64Var(&o.MaxLossFill, "max-loss-fill", 0, "share of a direction's pattern octets that may arrive as loss fill (SAToP packets lost before the gateway)")
}

func (o *TruthOptions) validate(tc TruthChecker) error {
	if o.Truth == "" {
		if o.Warrants != "" {
			return errors.New("--warrants needs --truth")
		}
		return nil
	}
	if tc == nil {
		return errors.New("--truth: this build has no ground-truth checker (use cmd/lemf)")
	}
	if o.Warrants == "" {
		return errors.New("--truth needs --warrants (the gateway's config or warrants file)")
	}
	return nil
}

// runCheck is "lemf check": the ground-truth check of an output directory.
func runCheck(args []string, stdout, stderr io.Writer, tc TruthChecker) int {
	fs := flag.NewFlagSet("lemf check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the output directory lemf wrote")
	var topt TruthOptions
	truthFlags(fs, &topt)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *out == "" || topt.Truth == "" {
		fmt.Fprintln(stderr, "lemf check: --out and --truth are required")
		return ExitUsage
	}
	if err := topt.validate(tc); err != nil {
		fmt.Fprintf(stderr, "lemf check: %v\n", err)
		return ExitUsage
	}
	ok, err := tc.CheckTruth(*out, topt, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "lemf check: %v\n", err)
		return ExitUsage
	}
	if !ok {
		return ExitMismatch
	}
	return ExitOK
}

// ServerTLS builds the LEMF's TLS 1.3 configuration; with clientCA, the
// mediation must present a certificate signed by it.
func ServerTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: --tls-cert and --tls-key are both required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: client CA %s: no certificates", clientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
