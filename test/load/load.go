package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tdmtap/tdmtap/cmd/tdmtap/daemon"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/test/e2e"
	"github.com/tdmtap/tdmtap/test/expect"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// Options of a load run.
type Options struct {
	Calls, CICs, TargetEvery int
	Rate                     float64
	Concurrent               int
	Ramp, Hold               time.Duration
	FramesPerPacket          int
	Jitter                   time.Duration
	Log                      io.Writer
	// Binary, when set, is the tdmtap binary: the gateway runs as a child
	// process, and its own CPU is measured. Otherwise it runs in this
	// process and the CPU figure includes the load generator and the LEMF.
	Binary string
}

func (o *Options) say(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", a...)
	}
}

// cpu returns the process's user+sys CPU time.
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latencies collects durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) get() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.d...)
}

// SigResult is the signalling phase's outcome.
type SigResult struct {
	MSUs            int
	Elapsed         time.Duration
	MSUPerSec       float64
	IRIs            int
	IRIP50, IRIP99  time.Duration
	IRIMax          time.Duration
	CPU             float64 // cores busy (user+sys / wall)
	ExpectedIRI     int
	CallsIntercepts int
	Rate            float64 // calls/s asked (0: unpaced)
	GatewayCPU      float64 // cores, when the gateway is a child process (else 0)
}

func (r SigResult) String() string {
	mode := "as fast as possible"
	if r.Rate > 0 {
		mode = fmt.Sprintf("paced at %.0f MSU/s", 5*r.Rate)
	}
	return fmt.Sprintf("signalling (%s): %d MSUs in %v = %.0f MSU/s through M3UA→ISUP→call→bridge (goal ≥ 100000)\n"+
		"            IRI latency (gateway receipt of the ISUP message → PDU read by the LEMF) over %d IRI PDUs (%d expected): p50 %v p99 %v max %v (goal p99 < 5 ms)\n"+
		"            CPU %s",
		mode, r.MSUs, r.Elapsed.Round(time.Millisecond), r.MSUPerSec, r.IRIs, r.ExpectedIRI, r.IRIP50, r.IRIP99, r.IRIMax, cpuText(r.GatewayCPU, r.CPU, "load generator"))
}

const loadTarget = "+442079460000"

// frameDur is one TDM frame.
const frameDur = 125 * time.Microsecond

// Signalling runs phase 1.
func Signalling(ctx context.Context, o Options) (*SigResult, error) {
	dir, err := os.MkdirTemp("", "tdmtap-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	col := expect.NewCollector()
	var lat latencies
	col.Keep = func(string) bool { return false }
	col.OnPDU = func(kind psdu.Kind, p *psdu.PDU, recv time.Time) {
		if kind == psdu.KindIRI {
			lat.add(recv.Sub(p.Header.Time))
		}
	}
	if err := col.Listen("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer col.Close()
	hi2, hi3 := col.Addrs()
	setup := e2e.Setup{Variant: isup.ITU, LogLevel: "warn", Metrics: o.Binary != "",
		Warrants: []e2e.Warrant{{LIID: "LOAD-IRI", Targets: []string{loadTarget}, IRIOnly: true}}}
	cfgPath, err := e2e.WriteConfig(dir, setup, hi2, hi3, "")
	if err != nil {
		return nil, err
	}
	var gw e2e.Gateway
	if o.Binary != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return nil, err
		}
		if gw, err = e2e.StartProcess(ctx, o.Binary, cfgPath, cfg, os.Stderr); err != nil {
			return nil, err
		}
	} else {
		d, err := daemon.New(daemon.Options{ConfigPath: cfgPath, LogOutput: os.Stderr})
		if err != nil {
			return nil, err
		}
		if err := d.Start(ctx); err != nil {
			return nil, err
		}
		gw = e2e.InProcess(d)
	}
	defer func() { _ = gw.Stop(context.Background()) }()
	addr := gw.LinkAddr("sw")
	if addr == "" {
		return nil, errors.New("no SGP link address")
	}
	bl, err := dialASP(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer bl.close()
	cics := min(o.CICs, 4000)
	wave, offs, targets, err := encodeWave(cics, o.TargetEvery)
	if err != nil {
		return nil, err
	}
	waves := max(1, o.Calls/cics)
	total := waves * len(offs)
	res := &SigResult{Rate: o.Rate, MSUs: total, ExpectedIRI: waves * targets * 4, CallsIntercepts: waves * targets}
	o.say("signalling: %d calls on %d CICs (%d MSUs), %d with a target", waves*cics, cics, total, waves*targets)
	isupTotal := func() float64 { return gw.Metric("tdmtap_call_adapter_isup_total") }
	base := isupTotal()
	c0, g0, t0 := cpu(), gw.CPU(), time.Now()
	var perMsg time.Duration
	if o.Rate > 0 {
		perMsg = time.Duration(float64(time.Second) / (o.Rate * 5))
	}
	sent := 0
	for w := 0; w < waves; w++ {
		if perMsg == 0 {
			if err := bl.write(wave); err != nil {
				return nil, err
			}
			sent += len(offs)
			continue
		}
		// Paced: slices of about a millisecond's worth of messages.
		step := max(1, int(time.Millisecond/perMsg))
		for i := 0; i < len(offs); i += step {
			j := min(len(offs), i+step)
			end := len(wave)
			if j < len(offs) {
				end = offs[j]
			}
			if err := bl.write(wave[offs[i]:end]); err != nil {
				return nil, err
			}
			sent += j - i
			if d := time.Until(t0.Add(time.Duration(sent) * perMsg)); d > 0 {
				time.Sleep(d)
			}
		}
	}
	// Wait until the tracker has seen every MSU.
	var tEnd time.Time
	for {
		if isupTotal()-base >= float64(total) {
			tEnd = time.Now()
			break
		}
		if time.Since(t0) > 5*time.Minute {
			return nil, fmt.Errorf("the gateway processed %.0f of %d MSUs in 5 minutes", isupTotal()-base, total)
		}
		time.Sleep(10 * time.Millisecond)
	}
	res.Elapsed = tEnd.Sub(t0)
	res.CPU = float64(cpu()-c0) / float64(res.Elapsed)
	if o.Binary != "" {
		res.GatewayCPU = float64(gw.CPU()-g0) / float64(res.Elapsed)
	}
	res.MSUPerSec = float64(total) / res.Elapsed.Seconds()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_ = col.WaitFor(wctx, func(iri, _ int) bool { return iri >= res.ExpectedIRI })
	cancel()
	ls := lat.get()
	res.IRIs = len(ls)
	res.IRIP50, res.IRIP99, res.IRIMax = expect.Percentile(ls, 0.5), expect.Percentile(ls, 0.99), expect.Percentile(ls, 1)
	return res, nil
}

// cpuText renders the CPU figures: the gateway's own (child process) when
// known, and this process's.
func cpuText(gateway, self float64, other string) string {
	if gateway > 0 {
		return fmt.Sprintf("gateway %.2f cores (tdmtap process, of 2); %s + LEMF %.2f cores", gateway, other, self)
	}
	return fmt.Sprintf("%.2f cores (gateway + %s + LEMF in one process, of 2)", self, other)
}

// encodeWave encodes one call on each of CICs 1..n as M3UA DATA messages
// back to back: all IAMs, then all ACMs, ANMs, RELs and RLCs. One call in
// every has the target as calling party. It returns the bytes, the offset
// of each message and the number of target calls.
func encodeWave(n, every int) ([]byte, []int, int, error) {
	const opc, dpc = 2<<11 | 200<<3 | 3, 2<<11 | 200<<3 | 4 // 2-200-3, 2-200-4
	var buf []byte
	var offs []int
	var m isup.Message
	var pl []byte
	targets := 0
	add := func(cic int, from, to uint32) error {
		var err error
		m.CIC = uint16(cic)
		pl, err = m.Append(isup.ITU, pl[:0])
		if err != nil {
			return err
		}
		dm := m3ua.DataMsg{PD: m3ua.ProtocolData{OPC: from, DPC: to, SI: 5, NI: 2, SLS: uint8(cic & 0x0f), Payload: pl}}
		offs = append(offs, len(buf))
		buf, err = m3ua.AppendData(buf, m3ua.FormRFC, m3ua.LabelITU, &dm)
		return err
	}
	num := func(nn *isup.Number, code isup.ParamCode, nai uint8, digits string) error {
		*nn = isup.Number{Present: true, Code: code, NAI: nai, NPI: 1}
		return nn.SetDigits(digits)
	}
	for step := 0; step < 5; step++ {
		for cic := 1; cic <= n; cic++ {
			m.Reset()
			from, to := uint32(opc), uint32(dpc)
			switch step {
			case 0:
				m.Type = isup.IAM
				m.FCI, m.CPC, m.TMR = 0x0120, isup.CPCOrdinary, isup.TMRSpeech
				if err := num(&m.Called, isup.PCalledPartyNumber, isup.NAINational, fmt.Sprintf("71%08d", cic)); err != nil {
					return nil, nil, 0, err
				}
				calling := fmt.Sprintf("72%08d", cic)
				nai := uint8(isup.NAINational)
				if every > 0 && cic%every == 0 {
					calling, nai = strings.TrimPrefix(loadTarget, "+"), isup.NAIInternational
					targets++
				}
				if err := num(&m.Calling, isup.PCallingPartyNumber, nai, calling); err != nil {
					return nil, nil, 0, err
				}
			case 1:
				m.Type, m.BCI = isup.ACM, 0x1416
				from, to = to, from
			case 2:
				m.Type = isup.ANM
				from, to = to, from
			case 3:
				m.Type = isup.REL
				m.Cause = isup.Cause{Present: true, Location: 2, Value: isup.CauseNormalClearing}
			case 4:
				m.Type = isup.RLC
				from, to = to, from
			}
			if err := add(cic, from, to); err != nil {
				return nil, nil, 0, err
			}
		}
	}
	return buf, offs, targets, nil
}

// blaster is a minimal M3UA ASP over TCP: it brings the association up and
// active, answers BEATs, and writes pre-encoded DATA in bulk.
type blaster struct {
	conn net.Conn
	wmu  sync.Mutex
	done chan struct{}
}

func dialASP(ctx context.Context, addr string) (*blaster, error) {
	var dl net.Dialer
	conn, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &blaster{conn: conn, done: make(chan struct{})}
	rd := bufio.NewReader(conn)
	expectMsg := func(class, typ uint8) error {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		defer conn.SetReadDeadline(time.Time{})
		for {
			h, _, err := readMsg(rd)
			if err != nil {
				return err
			}
			if h[2] == class && h[3] == typ {
				return nil
			}
		}
	}
	if _, err := conn.Write(m3ua.EncodeASPUP(0, false)); err != nil {
		conn.Close()
		return nil, err
	}
	if err := expectMsg(m3ua.ClassASPSM, 4); err != nil { // ASPUP-ACK
		conn.Close()
		return nil, fmt.Errorf("ASPUP: %w", err)
	}
	if _, err := conn.Write(m3ua.EncodeASPAC(0, nil)); err != nil {
		conn.Close()
		return nil, err
	}
	if err := expectMsg(m3ua.ClassASPTM, 3); err != nil { // ASPAC-ACK
		conn.Close()
		return nil, fmt.Errorf("ASPAC: %w", err)
	}
	go func() {
		defer close(b.done)
		for {
			h, body, err := readMsg(rd)
			if err != nil {
				return
			}
			if h[2] == m3ua.ClassASPSM && h[3] == 3 { // BEAT: echo its data
				var data []byte
				if len(body) >= 4 {
					l := int(binary.BigEndian.Uint16(body[2:4]))
					if l >= 4 && l <= len(body) {
						data = body[4:l]
					}
				}
				_ = b.write(m3ua.EncodeBEATACK(data, data != nil))
			}
		}
	}()
	return b, nil
}

func readMsg(rd *bufio.Reader) ([]byte, []byte, error) {
	h := make([]byte, 8)
	if _, err := io.ReadFull(rd, h); err != nil {
		return nil, nil, err
	}
	n := int(binary.BigEndian.Uint32(h[4:8]))
	if n < 8 || n > 1<<16 {
		return nil, nil, fmt.Errorf("m3ua length %d", n)
	}
	body := make([]byte, n-8)
	if _, err := io.ReadFull(rd, body); err != nil {
		return nil, nil, err
	}
	return h, body, nil
}

func (b *blaster) write(p []byte) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	_, err := b.conn.Write(p)
	return err
}

func (b *blaster) close() {
	_ = b.write(m3ua.EncodeASPDN())
	_ = b.conn.Close()
	<-b.done
}

// ContentResult is the content phase's outcome.
type ContentResult struct {
	Calls, PeakActive  int
	CCPDUs, IRIPDUs    int
	Elapsed            time.Duration
	SampleIntercepts   int
	CCP50, CCP99       time.Duration
	IRIP50, IRIP99     time.Duration
	CPU                float64
	CheckErrors        []string
	LossFilled         [2]uint64
	Pattern            [2]uint64
	Spans, Jitter, FPP int
	// Delivery counters of the gateway's HI sessions.
	Reconnects, Dropped, KeepalivesSent, KAResponses float64
	JitterLost                                       float64
	GatewayCPU                                       float64
	// The simulator's lateness in sending frames (included in the content
	// latency, which is measured from the frames' due time).
	SimLagP50, SimLagP99 time.Duration
	SimMaxLagFrames      uint64
	// The gateway's garbage collections during the phase (child process
	// only): cycles and stop-the-world pause total.
	GCCycles, GCPause float64
	// The gateway's HI3 queue wait (Send → end of the socket write),
	// bucket bounds of its p50 and p99 (child process only).
	HI3WaitP50, HI3WaitP99 time.Duration
}

func (r ContentResult) String() string {
	s := fmt.Sprintf("content:    %d intercepted calls, peak %d intercepts active at once, %d spans (CESoPSN, %d frames/packet, jitter buffer %d ms)\n"+
		"            %d CC PDUs and %d IRI PDUs in %v (%.0f CC PDU/s)\n"+
		"            content latency (simulator sends a chunk's last octet → CC PDU read by the LEMF), %d sampled intercepts: p50 %v p99 %v (goal p99 < 40 ms added)\n"+
		"            of which the simulator's own lateness (frames sent after they were due; it shares the CPU): p50 ≤ %v p99 ≤ %v max %v\n"+
		"            IRI latency p50 %v p99 %v\n"+
		"            sample checked bit-exact: %.1f s + %.1f s of pattern, loss-filled %d + %d octets, %d problems\n"+
		"            gateway HI3 queue wait (Send → socket write done): p50 %s p99 %s; gateway GC: %.0f cycles, %.1f ms stop-the-world in all\n"+
		"            CPU %s; delivery reconnects %.0f, CC dropped %.0f, keepalives %.0f/%.0f answered; bearer packets lost %.0f",
		r.Calls, r.PeakActive, r.Spans, r.FPP, r.Jitter, r.CCPDUs, r.IRIPDUs, r.Elapsed.Round(time.Millisecond),
		float64(r.CCPDUs)/r.Elapsed.Seconds(), r.SampleIntercepts, r.CCP50, r.CCP99,
		r.SimLagP50, r.SimLagP99, time.Duration(r.SimMaxLagFrames)*frameDur, r.IRIP50, r.IRIP99,
		float64(r.Pattern[0])/8000, float64(r.Pattern[1])/8000, r.LossFilled[0], r.LossFilled[1], len(r.CheckErrors),
		boundText(r.HI3WaitP50), boundText(r.HI3WaitP99), r.GCCycles, r.GCPause*1000, cpuText(r.GatewayCPU, r.CPU, "simulator"),
		r.Reconnects, r.Dropped, r.KeepalivesSent, r.KAResponses, r.JitterLost)
	for i, e := range r.CheckErrors {
		if i == 5 {
			s += "\n            ..."
			break
		}
		s += "\n            - " + e
	}
	return s
}

// Content runs phase 2.
func Content(ctx context.Context, o Options) (*ContentResult, error) {
	dir, err := os.MkdirTemp("", "tdmtap-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	const sampleLIID, bulkLIID = "LOAD-SAMPLE", "LOAD-BULK"
	sampleT, bulkT := "+442079460001", "+442079460002"
	k := o.Concurrent
	pairs := (k + 30) / 31
	fpp := max(o.FramesPerPacket, 8)
	res := &ContentResult{Calls: k, Spans: 2 * pairs, FPP: fpp, Jitter: int(o.Jitter / time.Millisecond)}
	var iriLat latencies
	targets := []string{sampleT}
	for i := 0; i < 19; i++ {
		targets = append(targets, bulkT) // 1 call in 20 is in the sample
	}
	mix, _ := switchsim.ParseMix("target-orig=1")
	r := e2e.Run{
		Binary: o.Binary,
		Setup: e2e.Setup{Variant: isup.ITU, CESoPSN: true, FramesPerPacket: fpp, SpanPairs: pairs, Jitter: o.Jitter, LogLevel: "warn", Metrics: o.Binary != "",
			Warrants: []e2e.Warrant{{LIID: sampleLIID, Targets: []string{sampleT}}, {LIID: bulkLIID, Targets: []string{bulkT}}}},
		Sim: switchsim.Config{Calls: k, Rate: float64(k) / o.Ramp.Seconds(), Concurrency: k + 10, Hold: o.Hold,
			Ring: 100 * time.Millisecond, Gap: 10 * time.Millisecond, Mix: mix, Targets: targets, Seed: 11,
			LinkTimeout: time.Minute},
		Quiet: 2 * time.Second,
		Keep:  func(liid string) bool { return liid == sampleLIID },
		OnPDU: func(kind psdu.Kind, p *psdu.PDU, recv time.Time) {
			if kind == psdu.KindIRI {
				iriLat.add(recv.Sub(p.Header.Time))
			}
		},
	}
	var c0, g0, c1, g1 time.Duration
	var gc0, gcp0 float64
	var wait0 []float64
	var t0, t1 time.Time
	stop := make(chan struct{})
	var peakMu sync.Mutex
	var wg sync.WaitGroup
	r.BeforeStop = func(h *e2e.Harness) {
		c1, g1, t1 = cpu(), h.Gateway.CPU(), time.Now()
		res.GCCycles = h.Gateway.Metric("go_gc_duration_seconds_count") - gc0
		res.GCPause = h.Gateway.Metric("go_gc_duration_seconds_sum") - gcp0
		wait1 := ccWaitBuckets(h.Gateway)
		res.HI3WaitP50, res.HI3WaitP99 = bucketQuantile(wait0, wait1, 0.5), bucketQuantile(wait0, wait1, 0.99)
		res.Reconnects = h.Gateway.Metric("tdmtap_deliver_reconnects_total")
		res.Dropped = h.Gateway.Metric("tdmtap_deliver_dropped_pdus_total")
		res.KeepalivesSent = h.Gateway.Metric("tdmtap_deliver_keepalives_total")
		res.KAResponses = h.Gateway.Metric("tdmtap_deliver_keepalive_responses_total")
		res.JitterLost = h.Gateway.Metric("tdmtap_pw_lost_packets_total")
	}
	r.Started = func(h *e2e.Harness) {
		c0, g0, t0 = cpu(), h.Gateway.CPU(), time.Now()
		gc0, gcp0 = h.Gateway.Metric("go_gc_duration_seconds_count"), h.Gateway.Metric("go_gc_duration_seconds_sum")
		wait0 = ccWaitBuckets(h.Gateway)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					a := int(h.Gateway.Metric("tdmtap_bridge_intercepts_active"))
					peakMu.Lock()
					res.PeakActive = max(res.PeakActive, a)
					peakMu.Unlock()
				}
			}
		}()
	}
	o.say("content: %d intercepted calls over %v, hold %v, %d CESoPSN spans", k, o.Ramp, o.Hold, 2*pairs)
	h, err := e2e.Execute(ctx, dir, r, os.Stderr)
	close(stop)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	res.Elapsed = t1.Sub(t0)
	res.CPU = float64(c1-c0) / float64(res.Elapsed)
	if o.Binary != "" {
		res.GatewayCPU = float64(g1-g0) / float64(res.Elapsed)
	}
	if h.SimErr != nil {
		res.CheckErrors = append(res.CheckErrors, "simulator: "+h.SimErr.Error())
	}
	res.IRIPDUs, res.CCPDUs = h.Collector.Counts()
	res.SimLagP50, res.SimLagP99, res.SimMaxLagFrames = h.Truth.Totals.BearerLagP50, h.Truth.Totals.BearerLagP99, h.Truth.Totals.BearerMaxLag
	// Check the sample: the expectation restricted to its LIID.
	e := *h.Expect
	e.Intercepts = nil
	for _, ic := range h.Expect.Intercepts {
		if ic.LIID == sampleLIID {
			e.Intercepts = append(e.Intercepts, ic)
		}
	}
	res.SampleIntercepts = len(e.Intercepts)
	rep := expect.Check(&e, h.Collector.Observed(), expect.CheckOptions{BearerEpoch: h.Truth.Started, TailTolerance: 160})
	res.CheckErrors = append(res.CheckErrors, rep.Errors...)
	res.CCP50, res.CCP99 = expect.Percentile(rep.CCLatency, 0.5), expect.Percentile(rep.CCLatency, 0.99)
	il := iriLat.get()
	res.IRIP50, res.IRIP99 = expect.Percentile(il, 0.5), expect.Percentile(il, 0.99)
	res.LossFilled, res.Pattern = rep.LossFilled, rep.PatternOctets
	return res, nil
}
