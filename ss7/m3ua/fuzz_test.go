package m3ua

import (
	"bytes"
	"context"
	"testing"
)

func fuzzSeeds() [][]byte {
	pd := samplePD()
	rfc, _ := AppendData(nil, FormRFC, LabelITU, &DataMsg{HasNA: true, NetworkAppearance: 1, HasRC: true, RoutingContext: 7, HasCorrID: true, CorrelationID: 3, PD: pd})
	d6, _ := AppendData(nil, FormDraft6, LabelITU, &DataMsg{HasRC: true, RoutingContext: 7, PD: pd})
	d6a, _ := AppendData(nil, FormDraft6, LabelANSI8, &DataMsg{PD: pd})
	return [][]byte{
		rfc, d6, d6a,
		EncodeASPUP(1, true), EncodeASPUPACK(), EncodeASPAC(TrafficLoadshare, []uint32{7, 8}),
		EncodeASPIA([]uint32{7}), EncodeASPDN(), EncodeBEAT([]byte{1, 2, 3}),
		EncodeNTFY(StatusASStateChange, ASActive, []uint32{7}), EncodeERR(ErrCodeProtocolError, nil, rfc),
		EncodeDAUD(nil, []uint32{1001}),
		{1, 0, 1, 1, 0, 0, 0, 8},
		{1, 0, 1, 1, 0, 0, 0, 12, 2, 16, 0, 3},
	}
}

func FuzzM3UAParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	// The SGP procedures run on every input too, through an association
	// whose writes are discarded (ERR answers, acks, NTFYs).
	sgp, err := NewSGP(LinkConfig{Name: "fuzz", LocalAddrs: []string{"127.0.0.1:0"}, RoutingContexts: []uint32{7, 8}, PointCodes: []uint32{1001}}, HandlerFunc(func(context.Context, *Indication) {}), Options{})
	if err != nil {
		f.Fatal(err)
	}
	as := newAssoc(&discardConn{}, &sgp.cfg, sgp.lm, sgp.opt.Logger)
	sgp.peers[as] = &sgpPeer{up: true, active: map[uint32]bool{7: true}}
	rx := &rxState{}
	ok := func() bool { return true }

	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseHeader(b); err == nil {
			var c ctrlMsg
			_ = parseCtrl(b, h, &c)
		}
		for _, form := range []Form{FormRFC, FormDraft6} {
			for _, lf := range []LabelFormat{LabelITU, LabelANSI5, LabelANSI8} {
				var d DataMsg
				if DecodeData(b, form, lf, &d) != nil {
					continue
				}
				// What decodes re-encodes, and decodes the same again.
				enc, err := AppendData(nil, form, lf, &d)
				if err != nil {
					t.Fatalf("form %d label %d: re-encode of %+v: %v", form, lf, d, err)
				}
				var d2 DataMsg
				if err := DecodeData(enc, form, lf, &d2); err != nil {
					t.Fatalf("re-decode: %v", err)
				}
				p, q := d.PD, d2.PD
				if p.OPC != q.OPC || p.DPC != q.DPC || p.SI != q.SI || p.NI != q.NI || p.MP != q.MP || p.SLS != q.SLS || !bytes.Equal(p.Payload, q.Payload) || d.RoutingContext != d2.RoutingContext {
					t.Fatalf("round trip changed %+v to %+v", d, d2)
				}
			}
		}
		_ = as.handleMsg(context.Background(), sgp.h, ok, sgp.onCtrl, b, 0, rx)
		sgp.mu.Lock()
		if sgp.peers[as] == nil {
			sgp.peers[as] = &sgpPeer{active: map[uint32]bool{}}
		}
		sgp.mu.Unlock()
	})
}
