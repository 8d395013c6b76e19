package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tdmtap/tdmtap/hi/deliver"
)

// Status is the daemon's state for operators (GET /status on the metrics
// address; `tdmtap status`). It carries names and counts only: no numbers,
// no LIIDs.
type Status struct {
	Node         string              `json:"node"`
	Started      time.Time           `json:"started"`
	Warrants     int                 `json:"warrants"`
	Links        []LinkStatus        `json:"links"`
	Calls        CallStatus          `json:"calls"`
	Intercepts   InterceptStatus     `json:"intercepts"`
	Spans        []SpanStatus        `json:"spans"`
	Destinations []DestinationStatus `json:"destinations"`
}

// LinkStatus is one M3UA link.
type LinkStatus struct {
	Name    string `json:"name"`
	Linkset string `json:"linkset"`
	Role    string `json:"role"`
	State   string `json:"state"`
}

// CallStatus counts calls.
type CallStatus struct {
	Active   int    `json:"active"`
	Total    uint64 `json:"total"`
	Messages uint64 `json:"isup_messages"`
}

// InterceptStatus counts intercept sessions.
type InterceptStatus struct {
	Active  int    `json:"active"`
	Started uint64 `json:"started"`
	Ended   uint64 `json:"ended"`
	IRI     uint64 `json:"iri_pdus"`
	CC      uint64 `json:"cc_pdus"`
}

// SpanStatus is one tapped span.
type SpanStatus struct {
	Name        string `json:"name"`
	InFrame     bool   `json:"in_frame"`
	Alarms      string `json:"alarms"`
	Frames      uint64 `json:"frames"`
	LostPackets uint64 `json:"lost_packets"`
}

// DestinationStatus is one HI session of one LEMF destination.
type DestinationStatus struct {
	Name       string `json:"name"`
	HI         string `json:"hi"`
	Connected  bool   `json:"connected"`
	Queued     int    `json:"queued"`
	SpoolBytes int64  `json:"spool_bytes"`
	Dropped    uint64 `json:"dropped"`
	Sent       uint64 `json:"sent"`
	Retired    bool   `json:"retired,omitempty"` // removed by a reload, open until live intercepts end
}

// Status returns a snapshot of the daemon's state.
func (d *Daemon) Status() Status {
	cfg := d.config()
	st := Status{Node: cfg.Node.Name, Started: d.started, Warrants: d.store.Load().Len()}
	for _, ls := range d.sig.Linksets {
		for _, l := range ls.Links() {
			st.Links = append(st.Links, LinkStatus{Name: l.Name(), Linkset: ls.Name(), Role: string(l.Role()), State: l.State().String()})
		}
	}
	ts := d.sig.Tracker.Stats()
	st.Calls = CallStatus{Active: int(ts.Active), Total: ts.Calls, Messages: ts.Messages}
	bs := d.bridge.Stats()
	st.Intercepts = InterceptStatus{Active: bs.Active, Started: bs.Started, Ended: bs.Ended, IRI: bs.IRI, CC: bs.CC}
	for _, sp := range cfg.Spans {
		src := d.bearer.Sources[sp.Name]
		if src == nil {
			continue
		}
		snap := src.Stats()
		ss := SpanStatus{Name: sp.Name, InFrame: snap.Deframer.InFrame, Alarms: snap.Deframer.Alarms.String(), Frames: snap.Frames}
		if src.PW != nil {
			ss.LostPackets = src.PW.Lost.Load()
		}
		st.Spans = append(st.Spans, ss)
	}
	for name, s := range d.ho.stats() {
		for i, hi := range []deliver.HI{deliver.HI2, deliver.HI3} {
			if i == 1 && !s.hasHI3 {
				continue
			}
			x := s.st[i]
			st.Destinations = append(st.Destinations, DestinationStatus{Name: name, HI: hi.String(), Connected: x.Connected,
				Queued: x.Queued, SpoolBytes: x.SpoolBytes, Dropped: x.Dropped, Sent: x.Sent, Retired: s.retired})
		}
	}
	sort.Slice(st.Destinations, func(i, j int) bool {
		a, b := st.Destinations[i], st.Destinations[j]
		return a.Name < b.Name || a.Name == b.Name && a.HI < b.HI
	})
	return st
}

func (d *Daemon) serveStatus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(d.Status())
}

// FetchStatus asks the daemon whose metrics endpoint is at addr
// (host:port) for its status.
func FetchStatus(ctx context.Context, addr string) (*Status, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("status: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return &st, nil
}

// WriteText prints st for a terminal.
func (st *Status) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "node %s, up %s, %d warrants\n", st.Node, time.Since(st.Started).Round(time.Second), st.Warrants)
	fmt.Fprintf(tw, "calls: %d active, %d total, %d ISUP messages\n", st.Calls.Active, st.Calls.Total, st.Calls.Messages)
	fmt.Fprintf(tw, "intercepts: %d active, %d started, %d ended (%d IRI, %d CC PDUs)\n\n",
		st.Intercepts.Active, st.Intercepts.Started, st.Intercepts.Ended, st.Intercepts.IRI, st.Intercepts.CC)
	fmt.Fprintln(tw, "LINK\tLINKSET\tROLE\tSTATE")
	for _, l := range st.Links {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, l.Linkset, l.Role, l.State)
	}
	fmt.Fprintln(tw, "\nSPAN\tIN FRAME\tALARMS\tFRAMES\tLOST PACKETS")
	for _, s := range st.Spans {
		fmt.Fprintf(tw, "%s\t%v\t%s\t%d\t%d\n", s.Name, s.InFrame, s.Alarms, s.Frames, s.LostPackets)
	}
	fmt.Fprintln(tw, "\nDESTINATION\tHI\tCONNECTED\tQUEUED\tSPOOL BYTES\tSENT\tDROPPED")
	for _, d := range st.Destinations {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\t%d\t%d\n", d.Name, d.HI, d.Connected, d.Queued, d.SpoolBytes, d.Sent, d.Dropped)
	}
	return tw.Flush()
}
