package deliver

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the delivery collectors, shared by every session of a
// process and labelled by destination name and HI (never by LIID or
// number). Create one per Registerer with NewMetrics.
type Metrics struct {
	Connected   *prometheus.GaugeVec
	Queued      *prometheus.GaugeVec
	SpoolBytes  *prometheus.GaugeVec
	Replayed    *prometheus.CounterVec
	Dropped     *prometheus.CounterVec
	DropBytes   *prometheus.CounterVec
	SentPDUs    *prometheus.CounterVec
	SentBytes   *prometheus.CounterVec
	Reconnects  *prometheus.CounterVec
	Keepalives  *prometheus.CounterVec
	KAResponses *prometheus.CounterVec
	// CCWait is how long content PDUs waited in a session's queue, from
	// Send to the end of the socket write that carried them (HI3).
	CCWait *prometheus.HistogramVec
}

// NewMetrics creates and registers the delivery collectors on reg (which
// may be nil: collectors are then created but not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	l := []string{"dest", "hi"}
	g := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tdmtap", Subsystem: "deliver", Name: name, Help: help}, l)
	}
	c := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tdmtap", Subsystem: "deliver", Name: name, Help: help}, l)
	}
	m := &Metrics{
		Connected:   g("connected", "1 while the session has a connection to the LEMF"),
		Queued:      g("queued_pdus", "PDUs accepted but not yet confirmed delivered (IRI) or written (CC)"),
		SpoolBytes:  g("spooled_bytes", "bytes held in the spool (durable IRI spool or CC queue)"),
		Replayed:    c("replayed_pdus_total", "PDUs sent again after a reconnect or restart"),
		Dropped:     c("dropped_pdus_total", "content PDUs dropped because the CC spool was full"),
		DropBytes:   c("dropped_bytes_total", "bytes of content dropped because the CC spool was full"),
		SentPDUs:    c("sent_pdus_total", "PDUs written to the LEMF socket (keepalives excluded)"),
		SentBytes:   c("sent_bytes_total", "bytes written to the LEMF socket (keepalives excluded)"),
		Reconnects:  c("reconnects_total", "connection attempts after the first"),
		Keepalives:  c("keepalives_total", "keep-alive PDUs sent"),
		KAResponses: c("keepalive_responses_total", "keep-alive responses received"),
		CCWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "tdmtap", Subsystem: "deliver", Name: "cc_queue_wait_seconds",
			Help:    "time content PDUs waited from Send to the end of the socket write that carried them",
			Buckets: []float64{.0001, .0005, .001, .002, .005, .01, .02, .05, .1, .5, 1, 5}}, l),
	}
	if reg != nil {
		for _, col := range []prometheus.Collector{m.Connected, m.Queued, m.SpoolBytes, m.Replayed, m.Dropped, m.DropBytes,
			m.SentPDUs, m.SentBytes, m.Reconnects, m.Keepalives, m.KAResponses, m.CCWait} {
			reg.MustRegister(col)
		}
	}
	return m
}

// sessionMetrics are one session's curried collectors.
type sessionMetrics struct {
	connected, queued, spoolBytes                             prometheus.Gauge
	replayed, dropped, dropBytes, sentPDUs, sentBytes, reconn prometheus.Counter
	keepalives, kaResponses                                   prometheus.Counter
	ccWait                                                    prometheus.Observer
}

func (m *Metrics) forSession(dest string, hi HI) *sessionMetrics {
	if m == nil {
		m = NewMetrics(nil)
	}
	l := prometheus.Labels{"dest": dest, "hi": hi.String()}
	return &sessionMetrics{
		connected: m.Connected.With(l), queued: m.Queued.With(l), spoolBytes: m.SpoolBytes.With(l),
		replayed: m.Replayed.With(l), dropped: m.Dropped.With(l), dropBytes: m.DropBytes.With(l),
		sentPDUs: m.SentPDUs.With(l), sentBytes: m.SentBytes.With(l), reconn: m.Reconnects.With(l),
		keepalives: m.Keepalives.With(l), kaResponses: m.KAResponses.With(l),
		ccWait: m.CCWait.With(l),
	}
}
