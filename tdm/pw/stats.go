package pw

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats counts what a pseudowire receiver saw. Fields are atomics so they
// can be read (and scraped) while the receiver runs.
type Stats struct {
	Packets      atomic.Uint64 // packets accepted into the jitter buffer
	Bytes        atomic.Uint64 // payload bytes accepted
	Played       atomic.Uint64 // packets played out (including fills)
	Lost         atomic.Uint64 // packets never received, filled with all ones
	Late         atomic.Uint64 // packets that arrived after their play-out time (dropped)
	Duplicates   atomic.Uint64 // second copies of a buffered packet (dropped)
	Reordered    atomic.Uint64 // packets that arrived out of order but in time
	Malformed    atomic.Uint64 // packets that failed to parse or had a wrong payload size
	LBit         atomic.Uint64 // packets with L set (TDM data invalid; played as all ones)
	RBit         atomic.Uint64 // packets with R set (remote packet loss)
	MRDI         atomic.Uint64 // CESoPSN packets with M = 10 (RDI on the attachment circuit)
	Resyncs      atomic.Uint64 // sequence jumps too large to fill; buffer restarted
	RemoteDefect atomic.Bool   // R bit of the last packet
	LocalDefect  atomic.Bool   // L bit of the last packet
}

type statsCollector struct {
	s     *Stats
	descs []*prometheus.Desc
}

var statNames = []struct{ name, help string }{
	{"pw_packets_total", "Pseudowire packets accepted."},
	{"pw_payload_bytes_total", "Pseudowire payload bytes accepted."},
	{"pw_played_packets_total", "Pseudowire packets played out, fills included."},
	{"pw_lost_packets_total", "Pseudowire packets lost and filled with all ones (AIS)."},
	{"pw_late_packets_total", "Pseudowire packets that arrived after their play-out time."},
	{"pw_duplicate_packets_total", "Duplicate pseudowire packets dropped."},
	{"pw_reordered_packets_total", "Pseudowire packets that arrived out of order in time to be played."},
	{"pw_malformed_packets_total", "Pseudowire packets that failed to parse."},
	{"pw_lbit_packets_total", "Pseudowire packets with the L bit (local TDM failure) set."},
	{"pw_rbit_packets_total", "Pseudowire packets with the R bit (remote packet loss) set."},
	{"pw_mrdi_packets_total", "CESoPSN packets signalling RDI (M=10)."},
	{"pw_resyncs_total", "Jitter buffer restarts after a large sequence jump."},
	{"pw_remote_defect", "1 while the peer reports packet loss (R bit)."},
	{"pw_local_defect", "1 while the peer reports its TDM input invalid (L bit)."},
}

// Collector returns a Prometheus collector exporting s with a constant
// label span=span and kind=kind ("satop" or "cesopsn").
func (s *Stats) Collector(span, kind string) prometheus.Collector {
	c := &statsCollector{s: s}
	labels := prometheus.Labels{"span": span, "kind": kind}
	for _, n := range statNames {
		c.descs = append(c.descs, prometheus.NewDesc("tdmtap_"+n.name, n.help, nil, labels))
	}
	return c
}

// Register registers s's collector on reg.
func (s *Stats) Register(reg prometheus.Registerer, span, kind string) error {
	if reg == nil {
		return nil
	}
	return reg.Register(s.Collector(span, kind))
}

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	vals := []uint64{s.Packets.Load(), s.Bytes.Load(), s.Played.Load(), s.Lost.Load(), s.Late.Load(),
		s.Duplicates.Load(), s.Reordered.Load(), s.Malformed.Load(), s.LBit.Load(), s.RBit.Load(),
		s.MRDI.Load(), s.Resyncs.Load()}
	for i, v := range vals {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.CounterValue, float64(v))
	}
	ch <- prometheus.MustNewConstMetric(c.descs[12], prometheus.GaugeValue, b2f(s.RemoteDefect.Load()))
	ch <- prometheus.MustNewConstMetric(c.descs[13], prometheus.GaugeValue, b2f(s.LocalDefect.Load()))
}
