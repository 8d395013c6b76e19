package m3ua

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the M3UA counters, shared by all links of a process. Create
// one per Registerer with NewMetrics.
type Metrics struct {
	messages *prometheus.CounterVec // link, dir, class, type
	errors   *prometheus.CounterVec // link, kind
	state    *prometheus.GaugeVec   // link, peer
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered, for tests and tools).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tdmtap_m3ua_messages_total",
			Help: "M3UA messages by link, direction (in/out), message class and type.",
		}, []string{"link", "dir", "class", "type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tdmtap_m3ua_errors_total",
			Help: "M3UA errors by link and kind (decode, err_sent, err_received, transport, wrong_ppid, heartbeat_lost, handler).",
		}, []string{"link", "kind"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tdmtap_m3ua_link_state",
			Help: "M3UA association state per link and peer: 0 down, 1 connecting, 2 ASP-INACTIVE, 3 ASP-ACTIVE.",
		}, []string{"link", "peer"}),
	}
	if reg != nil {
		reg.MustRegister(m.messages, m.errors, m.state)
	}
	return m
}

func className(c uint8) string {
	switch c {
	case ClassMGMT:
		return "MGMT"
	case ClassXFER:
		return "XFER"
	case ClassSSNM:
		return "SSNM"
	case ClassASPSM:
		return "ASPSM"
	case ClassASPTM:
		return "ASPTM"
	case ClassRKM:
		return "RKM"
	}
	return "UNKNOWN"
}

// linkMetrics caches the children used per message so the DATA path does
// not look labels up.
type linkMetrics struct {
	m               *Metrics
	link            string
	dataIn, dataOut prometheus.Counter
}

func (m *Metrics) forLink(link string) *linkMetrics {
	return &linkMetrics{
		m: m, link: link,
		dataIn:  m.messages.WithLabelValues(link, "in", "XFER", "DATA"),
		dataOut: m.messages.WithLabelValues(link, "out", "XFER", "DATA"),
	}
}

func (l *linkMetrics) msg(dir string, class, typ uint8) {
	if class == ClassXFER && typ == TypeDATA {
		if dir == "in" {
			l.dataIn.Inc()
		} else {
			l.dataOut.Inc()
		}
		return
	}
	l.m.messages.WithLabelValues(l.link, dir, className(class), MessageName(class, typ)).Inc()
}

func (l *linkMetrics) err(kind string) { l.m.errors.WithLabelValues(l.link, kind).Inc() }

func (l *linkMetrics) setState(peer string, s State) {
	l.m.state.WithLabelValues(l.link, peer).Set(float64(s))
}

func (l *linkMetrics) dropPeer(peer string) { l.m.state.DeleteLabelValues(l.link, peer) }
