// Command switchsim is a class 5 switch simulator: it plays both exchanges
// of a trunk towards the gateway over M3UA (ISUP calls of several
// scenarios) and sends the calls' bearer on E1/T1 spans over SAToP, then
// writes what it sent as a ground-truth JSON file. See package
// github.com/tdmtap/tdmtap/test/switchsim.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tdmtap/tdmtap/test/switchsim"
)

func main() {
	os.Exit(run())
}

func run() int {
	cli, err := switchsim.ParseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cli.LogLevel}))
	cli.Config.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	gt, err := switchsim.Run(ctx, cli.Config)
	if gt != nil && cli.Truth != "" {
		if werr := gt.WriteFile(cli.Truth); werr != nil {
			fmt.Fprintln(os.Stderr, werr)
			return 1
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	t := gt.Totals
	fmt.Printf("switchsim: %d calls (%d answered, %d with a target), %d ISUP messages, %d bearer frames with a pattern\n",
		t.Calls, t.Answered, t.TargetCalls, t.Messages, t.BearerFrames)
	return 0
}
