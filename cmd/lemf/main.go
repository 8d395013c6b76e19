// Command lemf is a monitoring-centre receiver for TS 102 232 HI2/HI3: it
// decodes and checks what the gateway delivers and writes iri.jsonl,
// cc.pcap and WAV files. See package hi/lemf for the outputs and the
// --expect file format.
//
//	lemf --listen ADDR --out DIR [--tls-cert F --tls-key F --tls-client-ca F]
//	     [--expect FILE] [--duration D]
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
	code := lemf.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
