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
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tdmtap/tdmtap/test/switchsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command: exit code 0 when every call completed and the truth
// file (if asked for) was written, 2 for a bad command line, 1 otherwise.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cli, err := switchsim.ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cli.LogLevel}))
	cli.Config.Logger = log
	gt, err := switchsim.Run(ctx, cli.Config)
	if gt != nil && cli.Truth != "" {
		if werr := gt.WriteFile(cli.Truth); werr != nil {
			fmt.Fprintln(stderr, werr)
			return 1
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	t := gt.Totals
	fmt.Fprintf(stdout, "switchsim: %d calls (%d answered, %d with a target), %d ISUP messages, %d bearer frames with a pattern\n",
		t.Calls, t.Answered, t.TargetCalls, t.Messages, t.BearerFrames)
	return 0
}
