package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tdmtap/tdmtap/cmd/tdmtap/daemon"
	"github.com/tdmtap/tdmtap/config"
)

// Gateway is the gateway of a run: in this process (a daemon.Daemon) or a
// `tdmtap run` child process.
type Gateway interface {
	// SpanAddr and LinkAddr are the bound span (UDP) and SGP link
	// addresses ("" when unknown).
	SpanAddr(name string) string
	LinkAddr(name string) string
	// Metric sums a metric's samples (counters and gauges); -1 on error.
	Metric(name string) float64
	// CPU is the gateway's user+sys CPU time so far (0 when it cannot be
	// told apart from this process's).
	CPU() time.Duration
	// Stop drains and stops the gateway.
	Stop(ctx context.Context) error
}

// inProcess is a daemon in this process.
type inProcess struct{ d *daemon.Daemon }

// InProcess is the Gateway of a daemon running in this process.
func InProcess(d *daemon.Daemon) Gateway { return inProcess{d} }

func (g inProcess) SpanAddr(name string) string {
	if a := g.d.SpanAddr(name); a != nil {
		return a.String()
	}
	return ""
}

func (g inProcess) LinkAddr(name string) string {
	if a := g.d.LinkAddr(name); a != nil {
		return a.String()
	}
	return ""
}

func (g inProcess) Metric(name string) float64 {
	mfs, err := g.d.Registry().Gather()
	if err != nil {
		return -1
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

func (g inProcess) CPU() time.Duration             { return 0 }
func (g inProcess) Stop(ctx context.Context) error { return g.d.Stop(ctx) }

// process is `tdmtap run -c CONFIG` as a child process; its metrics come
// from its metrics endpoint (the config must set one).
type process struct {
	cmd     *exec.Cmd
	cfg     *config.Config
	metrics string
	done    chan error
}

// StartProcess starts bin (the tdmtap binary) on cfgPath with its log to
// log, and waits until its /healthz answers. cfg is cfgPath loaded.
func StartProcess(ctx context.Context, bin, cfgPath string, cfg *config.Config, log io.Writer) (Gateway, error) {
	return startProcess(ctx, bin, cfgPath, cfg, log)
}

func startProcess(ctx context.Context, bin, cfgPath string, cfg *config.Config, log io.Writer) (*process, error) {
	if cfg.Metrics.Listen == "" {
		return nil, errors.New("e2e: a gateway process needs a metrics endpoint")
	}
	cmd := exec.Command(bin, "run", "-c", cfgPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("e2e: tdmtap: %w", err)
	}
	p := &process{cmd: cmd, cfg: cfg, metrics: cfg.Metrics.Listen, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	err := poll(ctx, 20*time.Second, func() bool {
		select {
		case err := <-p.done:
			p.done <- err
			return true
		default:
		}
		resp, err := http.Get("http://" + p.metrics + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	select {
	case werr := <-p.done:
		return nil, fmt.Errorf("e2e: tdmtap exited at start: %v", werr)
	default:
	}
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("e2e: tdmtap did not become ready: %w", err)
	}
	return p, nil
}

func (p *process) SpanAddr(name string) string {
	if s, ok := p.cfg.Span(name); ok {
		return s.Listen
	}
	return ""
}

func (p *process) LinkAddr(name string) string {
	for _, l := range p.cfg.Links {
		if l.Name == name && len(l.Local) > 0 {
			return l.Local[0]
		}
	}
	return ""
}

func (p *process) Metric(name string) float64 {
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != ' ' && line[len(name)] != '{') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// CPU reads utime+stime of the child from /proc.
func (p *process) CPU() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ
	return time.Duration(ut+st) * time.Second / hz
}

func (p *process) Stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		return ctx.Err()
	case <-time.After(40 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("e2e: tdmtap did not stop within 40 s of SIGTERM")
	}
}
