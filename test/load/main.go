// Command load is the end-to-end load run of `make bench`: the whole
// gateway (cmd/tdmtap/daemon, in this process) under two loads, with the
// LEMF (test/expect.Collector) in this process too.
//
//  1. Signalling: an M3UA ASP over TCP blasts ISUP calls (IAM, ACM, ANM,
//     REL, RLC over thousands of CICs; 1 call in --target-every has a
//     target, IRI only) at --rate calls/s (0: as fast as TCP takes them).
//     Printed: MSU/s through M3UA → ISUP → call tracker → bridge, IRI
//     latency (the gateway's receipt of the ISUP message, which is the
//     PS-PDU timestamp → the PDU read by the LEMF, p50/p99) and CPU.
//  2. Content: switchsim (in this process) sets up --concurrent intercepted
//     calls with their bearer on CESoPSN spans; a sample warrant's calls are
//     checked bit-exact and timed: content latency is the simulator's send
//     time of a chunk's last octet → its CC PDU read by the LEMF.
//
// CPU is getrusage(RUSAGE_SELF) user+sys over wall time for the phase: it
// includes the load generator and the LEMF, which share the 2 cores with
// the gateway. The figures are printed whatever they are; nothing is
// asserted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tdmtap/tdmtap/test/e2e"
)

func main() {
	var o Options
	flag.IntVar(&o.Calls, "calls", 200_000, "signalling phase: calls (5 MSUs each); 0 skips the phase")
	flag.IntVar(&o.CICs, "cics", 4000, "signalling phase: CICs in use at once")
	flag.Float64Var(&o.Rate, "rate", 0, "signalling phase: calls/s (0: as fast as possible)")
	paced := flag.Float64("paced-rate", 20_000, "then a paced signalling run at this many calls/s (5 MSUs each) for --paced-for, for the IRI latency at a steady load (0: skip)")
	pacedFor := flag.Duration("paced-for", 5*time.Second, "length of the paced run")
	flag.IntVar(&o.TargetEvery, "target-every", 100, "signalling phase: one call in N has a target (IRI only)")
	flag.IntVar(&o.Concurrent, "concurrent", 2000, "content phase: concurrent intercepted calls (0 skips the phase)")
	flag.DurationVar(&o.Ramp, "ramp", 10*time.Second, "content phase: time to set the calls up")
	flag.DurationVar(&o.Hold, "hold", 20*time.Second, "content phase: hold time (varied ±50 %)")
	flag.IntVar(&o.FramesPerPacket, "frames-per-packet", 40, "content phase: CESoPSN frames per packet")
	flag.DurationVar(&o.Jitter, "jitter", 10*time.Millisecond, "content phase: the gateway's jitter buffer")
	inProc := flag.Bool("in-process", false, "run the gateway in this process (default: build tdmtap and run it as a child process, so its own CPU is measured)")
	cpuProf := flag.String("cpuprofile", "", "write a CPU profile of this process (load generator, simulator, LEMF; and the gateway with --in-process) to FILE")
	traceOut := flag.String("trace", "", "write a Go execution trace of this process to FILE (large: use with a short run)")
	flag.Parse()
	stop, err := profile(*cpuProf, *traceOut)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	defer stop()
	o.Log = os.Stdout
	ctx := context.Background()
	if !*inProc {
		dir, err := os.MkdirTemp("", "tdmtap-load-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		if err := e2e.BuildBinaries(ctx, dir); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		o.Binary = filepath.Join(dir, "tdmtap")
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		// Other work on the machine shows in every figure below.
		fmt.Printf("load average at start: %s", b)
	}
	code := 0
	if o.Calls > 0 {
		r, err := Signalling(ctx, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: signalling:", err)
			code = 1
		} else {
			fmt.Println(r)
		}
	}
	if *paced > 0 {
		p := o
		p.Rate = *paced
		p.Calls = int(*paced * pacedFor.Seconds())
		r, err := Signalling(ctx, p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: paced signalling:", err)
			code = 1
		} else {
			fmt.Println(r)
		}
	}
	if o.Concurrent > 0 {
		r, err := Content(ctx, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: content:", err)
			code = 1
		} else {
			fmt.Println(r)
		}
	}
	if o.Binary != "" {
		_ = os.RemoveAll(filepath.Dir(o.Binary))
	}
	stopProfiles()
	os.Exit(code)
}
