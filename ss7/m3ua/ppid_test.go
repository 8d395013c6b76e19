package m3ua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// scriptConn returns its reads in order, then io.EOF.
type scriptConn struct {
	discardConn
	reads []func(buf []byte) (int, uint16, error)
}

func (s *scriptConn) ReadMessage(ctx context.Context, buf []byte) (int, uint16, error) {
	if len(s.reads) == 0 {
		return 0, 0, io.EOF
	}
	r := s.reads[0]
	s.reads = s.reads[1:]
	return r(buf)
}

// A message the transport dropped for a wrong SCTP PPID is counted and
// logged; the association keeps reading (it used to end with ErrFraming).
func TestWrongPPIDKeepsAssociation(t *testing.T) {
	data, err := AppendData(nil, FormRFC, LabelITU, &DataMsg{HasRC: true, RoutingContext: 1,
		PD: ProtocolData{OPC: 100, DPC: 200, SI: 5, NI: 2, SLS: 3, Payload: isupIAM}})
	if err != nil {
		t.Fatal(err)
	}
	wrong := func([]byte) (int, uint16, error) {
		return 0, 4, fmt.Errorf("sigtran: sctp read on stream 4: %w", sigtran.CheckPPID(46))
	}
	good := func(buf []byte) (int, uint16, error) { return copy(buf, data), 4, nil }
	c := &scriptConn{reads: []func([]byte) (int, uint16, error){wrong, good, wrong, wrong, good}}
	var logBuf bytes.Buffer
	cfg := &LinkConfig{Name: "l", Form: FormRFC, Label: LabelITU, RoutingContexts: []uint32{1}}
	met := NewMetrics(nil)
	a := newAssoc(c, cfg, met.forLink("l"), slog.New(slog.NewTextHandler(&logBuf, nil)))
	var got int
	h := HandlerFunc(func(_ context.Context, ind *Indication) {
		if ind.PD.OPC == 100 && ind.Stream == 4 {
			got++
		}
	})
	err = a.readLoop(context.Background(), h, func() bool { return true },
		func(context.Context, *assoc, *ctrlMsg, []byte) error { return errors.New("unexpected control message") })
	if !errors.Is(err, io.EOF) {
		t.Fatalf("read loop ended with %v, want io.EOF after the script", err)
	}
	if got != 2 {
		t.Errorf("%d DATA delivered, want 2 (the ones around the dropped messages)", got)
	}
	if v := testutil.ToFloat64(met.errors.WithLabelValues("l", "wrong_ppid")); v != 3 {
		t.Errorf("wrong_ppid errors %v, want 3", v)
	}
	if v := testutil.ToFloat64(met.errors.WithLabelValues("l", "transport")); v != 1 {
		t.Errorf("transport errors %v, want 1 (the final EOF only)", v)
	}
	if n := strings.Count(logBuf.String(), "wrong SCTP PPID"); n != 2 {
		t.Errorf("%d log lines for 3 drops, want 2 (1st and 2nd): %q", n, logBuf.String())
	}
}
