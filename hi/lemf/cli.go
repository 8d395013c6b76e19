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
	ExitMismatch = 1 // --expect: what arrived differs
	ExitUsage    = 2 // bad flags or setup failure
)

// Run is the lemf command: flags in args, stop when ctx ends (the command
// cancels it on SIGTERM/SIGINT) or after --duration. It returns the exit
// code.
//
//	lemf --listen ADDR --out DIR [--tls-cert F --tls-key F [--tls-client-ca F]]
//	     [--expect FILE] [--duration D] [--addr-file F] [--law alaw|ulaw] [--pcap-port N] [-v]
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
	if exp != nil {
		diffs := rcv.Check(exp)
		if len(diffs) > 0 {
			fmt.Fprintf(stdout, "EXPECTATION FAILED: %d differences\n", len(diffs))
			for _, d := range diffs {
				fmt.Fprintf(stdout, "  %s\n", d)
			}
			return ExitMismatch
		}
		fmt.Fprintln(stdout, "expectation met")
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
