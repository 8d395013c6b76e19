package call

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sccp"
)

// Service indicators handled by the Adapter.
const (
	SISCCP = 3
	SIISUP = 5
)

// AdapterConfig configures an Adapter.
type AdapterConfig struct {
	// Variant is the ISUP variant of links not named in Variants.
	Variant isup.Variant
	// Variants sets the ISUP variant per link name (m3ua.Indication.Link).
	Variants map[string]isup.Variant
	// Logger receives one line per bad message (rate-limited to one a
	// second); it never contains numbers. Nil discards.
	Logger *slog.Logger
	// SCCP, when set, is called with every decoded SCCP message (valid
	// during the call only).
	SCCP func(ind *m3ua.Indication, m *sccp.Message)
}

// AdapterStats are the adapter's counters.
type AdapterStats struct {
	ISUP           uint64 // ISUP messages decoded and tracked
	ISUPBad        uint64 // ISUP messages that failed to decode (dropped, counted, logged)
	ISUPMalformed  uint64 // ISUP messages tracked although some optional parameter was malformed
	ISUPPartial    uint64 // ISUP messages tracked although partially decoded (damaged optional part or parameters skipped; counted, logged)
	SCCP           uint64 // SCCP messages decoded
	SCCPBad        uint64 // SCCP messages that failed to decode
	OtherSI        uint64 // messages of other service indicators (ignored)
	LogsSuppressed uint64 // bad-message log lines suppressed by the rate limit
}

// Adapter takes M3UA DATA indications (it is an m3ua.Handler), decodes ISUP
// (SI=5) with the link's variant into a reused isup.Message and feeds the
// Tracker; SCCP (SI=3) goes to the sccp decoder. A message that fails to
// decode is counted and logged (without numbers) and changes no state. A
// message whose mandatory part decoded but whose optional part is damaged
// (isup.Message.Partial) is counted, logged and still tracked: what decoded
// (the numbers of an IAM) is not lost.
type Adapter struct {
	t       *Tracker
	cfg     AdapterConfig
	log     *slog.Logger
	mu      sync.Mutex
	msg     isup.Message
	sm      sccp.Message
	itu     sccp.Decoder
	ansi    sccp.Decoder
	lastLog time.Time

	isupOK, isupBad, isupMal, isupPartial, sccpOK, sccpBad, other, suppressed atomic.Uint64
}

var _ m3ua.Handler = (*Adapter)(nil)

// NewAdapter returns an adapter feeding t.
func NewAdapter(t *Tracker, cfg AdapterConfig) *Adapter {
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{t: t, cfg: cfg, log: l}
	a.ansi.ANSI = true
	return a
}

// Variant returns the ISUP variant used for link.
func (a *Adapter) Variant(link string) isup.Variant {
	if v, ok := a.cfg.Variants[link]; ok {
		return v
	}
	return a.cfg.Variant
}

// HandleData implements m3ua.Handler.
func (a *Adapter) HandleData(_ context.Context, ind *m3ua.Indication) {
	pd := &ind.PD
	switch pd.SI {
	case SIISUP:
		a.mu.Lock()
		defer a.mu.Unlock()
		v := a.Variant(ind.Link)
		if err := a.msg.Decode(v, pd.Payload); err != nil {
			a.isupBad.Add(1)
			a.logBad(ind, "ISUP", err)
			return
		}
		if a.msg.MalformedParams > 0 {
			a.isupMal.Add(1)
		}
		if a.msg.Partial() {
			a.isupPartial.Add(1)
			a.logPartial(ind, &a.msg)
		}
		a.isupOK.Add(1)
		recv := ind.Received
		if recv.IsZero() {
			recv = time.Now()
		}
		a.t.Handle(recv, pd.NI, pd.OPC, pd.DPC, &a.msg)
	case SISCCP:
		a.mu.Lock()
		defer a.mu.Unlock()
		d := &a.itu
		if a.Variant(ind.Link) == isup.ANSI {
			d = &a.ansi
		}
		if err := d.Decode(pd.Payload, &a.sm); err != nil {
			a.sccpBad.Add(1)
			a.logBad(ind, "SCCP", err)
			return
		}
		a.sccpOK.Add(1)
		if a.cfg.SCCP != nil {
			a.cfg.SCCP(ind, &a.sm)
		}
	default:
		a.other.Add(1)
	}
}

// logBad logs one line per second at most. Decode errors name message and
// parameter codes only, never digits.
func (a *Adapter) logBad(ind *m3ua.Indication, proto string, err error) {
	now := time.Now()
	if now.Sub(a.lastLog) < time.Second {
		a.suppressed.Add(1)
		return
	}
	a.lastLog = now
	a.log.Warn("undecodable message dropped", "proto", proto, "link", ind.Link,
		"opc", ind.PD.OPC, "dpc", ind.PD.DPC, "sls", ind.PD.SLS, "len", len(ind.PD.Payload),
		"suppressed_before", a.suppressed.Load(), "err", err)
}

// logPartial logs a partially decoded ISUP message that is still tracked,
// under the same rate limit as logBad; message and parameter codes only.
func (a *Adapter) logPartial(ind *m3ua.Indication, m *isup.Message) {
	now := time.Now()
	if now.Sub(a.lastLog) < time.Second {
		a.suppressed.Add(1)
		return
	}
	a.lastLog = now
	var reason any
	if m.Damaged != nil {
		reason = m.Damaged
	}
	a.log.Warn("ISUP message partially decoded, tracked", "link", ind.Link,
		"opc", ind.PD.OPC, "dpc", ind.PD.DPC, "sls", ind.PD.SLS, "len", len(ind.PD.Payload),
		"msg", m.Type.String(), "cic", m.CIC, "skipped_params", m.SkippedParams,
		"suppressed_before", a.suppressed.Load(), "damage", reason)
}

// Stats returns a snapshot of the counters.
func (a *Adapter) Stats() AdapterStats {
	return AdapterStats{
		ISUP: a.isupOK.Load(), ISUPBad: a.isupBad.Load(), ISUPMalformed: a.isupMal.Load(),
		ISUPPartial: a.isupPartial.Load(),
		SCCP:        a.sccpOK.Load(), SCCPBad: a.sccpBad.Load(), OtherSI: a.other.Load(),
		LogsSuppressed: a.suppressed.Load(),
	}
}

// SCCPStats returns the SCCP decoders' counters (ITU, ANSI).
func (a *Adapter) SCCPStats() (itu, ansi sccp.Stats) { return a.itu.Stats(), a.ansi.Stats() }

// Register exports the adapter counters (tdmtap_call_adapter_*) and the
// SCCP decoders' counters on reg.
func (a *Adapter) Register(reg prometheus.Registerer, labels prometheus.Labels) error {
	for _, m := range []struct {
		name, help string
		v          *atomic.Uint64
	}{
		{"isup_total", "ISUP messages decoded and tracked.", &a.isupOK},
		{"isup_bad_total", "ISUP messages that failed to decode.", &a.isupBad},
		{"isup_malformed_params_total", "ISUP messages with a malformed optional parameter.", &a.isupMal},
		{"isup_partial_total", "ISUP messages tracked although partially decoded (damaged optional part or parameters skipped).", &a.isupPartial},
		{"sccp_total", "SCCP messages decoded.", &a.sccpOK},
		{"sccp_bad_total", "SCCP messages that failed to decode.", &a.sccpBad},
		{"other_si_total", "Messages of other service indicators.", &a.other},
	} {
		v := m.v
		if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "tdmtap", Subsystem: "call_adapter", Name: m.name, Help: m.help, ConstLabels: labels,
		}, func() float64 { return float64(v.Load()) })); err != nil {
			return fmt.Errorf("call adapter: register %s: %w", m.name, err)
		}
	}
	with := func(variant string) prometheus.Labels {
		l := prometheus.Labels{"variant": variant}
		for k, v := range labels {
			l[k] = v
		}
		return l
	}
	if err := a.itu.Register(reg, with("itu")); err != nil {
		return err
	}
	return a.ansi.Register(reg, with("ansi"))
}
