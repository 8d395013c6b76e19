package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

var stopProfiles = func() {}

// profile starts a CPU profile and/or an execution trace of this process;
// the returned function (also stopProfiles, as os.Exit skips defers) ends them.
func profile(cpuFile, traceFile string) (func(), error) {
	var stops []func()
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); _ = f.Close() })
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		if err := trace.Start(f); err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		stops = append(stops, func() { trace.Stop(); _ = f.Close() })
	}
	done := false
	stop := func() {
		if done {
			return
		}
		done = true
		for _, s := range stops {
			s()
		}
	}
	stopProfiles = stop
	return stop, nil
}
