// Command lemf is a monitoring-centre receiver for TS 102 232 HI2/HI3: it
// decodes and checks what the gateway delivers and writes iri.jsonl,
// cc.pcap and WAV files. See package hi/lemf for the outputs and the
// --expect file format.
//
//	lemf --listen ADDR --out DIR [--tls-cert F --tls-key F --tls-client-ca F]
//	     [--expect FILE] [--truth truth.json --warrants FILE] [--duration D]
//	lemf check --out DIR --truth truth.json --warrants FILE
//
// With --truth, lemf checks the run against switchsim's ground truth when
// it stops (and "lemf check" does so on an output directory afterwards):
// the warrants (a tdmtap config file, or a warrants file with --numbering)
// say which calls must be intercepted; every intercept's IRI records and
// its content, bit-exact, are compared with what the simulator sent, and
// nothing may arrive for other calls. The report is printed and written to
// DIR/check.json (the expectation to DIR/expected.json); the exit code is 0
// only when every check passed. The check is test/expect's (the ground
// truth is the simulator's, test/switchsim): this command, a test tool,
// joins it to hi/lemf, which does not depend on test code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tdmtap/tdmtap/hi/lemf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := lemf.RunWith(ctx, os.Args[1:], os.Stdout, os.Stderr, truthChecker{})
	stop()
	os.Exit(code)
}
