package bridge

import (
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tdmtap/tdmtap/hi/hi2"
)

// metrics are the bridge's collectors (labels never carry LIIDs or numbers)
// plus plain counters for Stats.
type metrics struct {
	active      prometheus.Gauge
	started     prometheus.Counter
	ended       prometheus.Counter
	iri         [5]prometheus.Counter // by hi2.IRIType (0 unused); media info counted as "media"
	media       prometheus.Counter
	cc          prometheus.Counter
	matchChecks prometheus.Counter
	noBearer    prometheus.Counter
	dropped     prometheus.Counter
	resumed     prometheus.Counter
	tails       prometheus.Counter

	nMatch, nStarted, nEnded, nIRI, nCC, nNoBearer, nDropped, nResumed atomic.Uint64
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tdmtap_bridge_intercepts_active", Help: "Intercept sessions in progress.",
		}),
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_intercepts_started_total", Help: "Intercept sessions started (one per call and warrant).",
		}),
		ended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_intercepts_ended_total", Help: "Intercept sessions ended (IRI-END sent).",
		}),
		cc: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_cc_pdus_total", Help: "HI3 content PDUs produced (each handed to every destination of the warrant).",
		}),
		matchChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_match_checks_total", Help: "Warrant match checks run on call events.",
		}),
		noBearer: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_content_no_bearer_total", Help: "IRI+CC intercepts whose circuit has no bearer on the tap (IRI only).",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_chunks_dropped_total", Help: "Content chunks dropped (frame numbers going back, or after the warrant ended).",
		}),
		tails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_content_tails_total", Help: "Intercepts whose content went on after IRI-END until the bearer passed the release (jitter buffer and chunking lag).",
		}),
		resumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tdmtap_bridge_intercepts_resumed_total", Help: "Intercepts of a previous run picked up again (or closed) on their circuit's next message.",
		}),
	}
	iri := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tdmtap_bridge_iri_pdus_total", Help: "HI2 IRI PDUs produced, by IRI type (media: pstnIsdnIRI supplementary information).",
	}, []string{"type"})
	for _, t := range []hi2.IRIType{hi2.Begin, hi2.Continue, hi2.End, hi2.Report} {
		m.iri[t] = iri.WithLabelValues(t.String())
	}
	m.media = iri.WithLabelValues("MEDIA")
	if reg != nil {
		for _, c := range []prometheus.Collector{m.active, m.started, m.ended, iri, m.cc, m.matchChecks, m.noBearer, m.dropped, m.resumed, m.tails} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("bridge: register metrics: %w", err)
			}
		}
	}
	return m, nil
}
