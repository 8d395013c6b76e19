package expect

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/lemf"
)

// FromLEMFDir reads what cmd/lemf wrote into dir (iri.jsonl, summary.json,
// cc.pcap) as Observed, so a run with the real monitoring centre can be
// checked against the ground truth.
//
// The LEMF's files drop duplicates and carry no CC sequence numbers (the
// LEMF checks those itself and reports gaps in summary.json): CC records
// are numbered here in arrival order per (LIID, CIN), so check them with
// CheckOptions.NoCCSeq. CC records' Received is the PDU's timestamp (the
// pcap time), not the arrival time.
func FromLEMFDir(dir string) (*Observed, *lemf.Summary, error) {
	o := &Observed{}
	f, err := os.Open(filepath.Join(dir, "iri.jsonl"))
	if err != nil {
		return nil, nil, fmt.Errorf("expect: lemf output: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l lemf.IRILine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, nil, fmt.Errorf("expect: iri.jsonl: %w", err)
		}
		rec := hi2.Record{Time: l.Time, Contents: l.Contents, Params: l.IRI, Media: l.Media}
		switch l.Type {
		case "BEGIN":
			rec.Type = hi2.Begin
		case "CONTINUE":
			rec.Type = hi2.Continue
		case "END":
			rec.Type = hi2.End
		case "REPORT":
			rec.Type = hi2.Report
		}
		o.IRI = append(o.IRI, IRIRecord{LIID: l.LIID, CIN: l.CIN, Seq: l.Seq, Time: l.Time, Received: l.Received, Rec: rec})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("expect: iri.jsonl: %w", err)
	}
	var sum lemf.Summary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("expect: lemf output: %w", err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, nil, fmt.Errorf("expect: summary.json: %w", err)
	}
	seq := map[key]uint32{}
	err = lemf.ReadCC(filepath.Join(dir, "cc.pcap"), sum.Streams, func(st *lemf.StreamInfo, ts time.Time, rtp []byte) error {
		d := uint8(hi3.FromTarget)
		if st.Direction == "toTarget" {
			d = hi3.ToTarget
		}
		k := key{st.LIID, st.CIN}
		n := seq[k]
		seq[k] = n + 1
		o.CC = append(o.CC, CCRecord{LIID: st.LIID, CIN: st.CIN, Seq: n, Direction: d, Kind: hi3.ContentsIPMMCC,
			Data: append([]byte(nil), rtp...), Time: ts, Received: ts})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("expect: %w", err)
	}
	return o, &sum, nil
}
