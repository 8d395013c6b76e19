package psdu_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// FuzzPSPDU runs the receiver's whole decode path (framing, PS-PDU parse,
// IRI/CC payload decode, JSON rendering) on arbitrary input.
func FuzzPSPDU(f *testing.F) {
	tm := time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)
	h := psdu.Header{LIID: "LI1", AuthCountry: "DE", OperatorID: "OP", NetworkElementID: "NE", CIN: 42, Seq: 3, Time: tm, InterceptionPointID: "X", Qualifier: 1}
	f.Add(psdu.AppendKeepalive(nil, &h))
	f.Add(psdu.AppendKeepaliveResponse(nil, &h))
	iri := hi2.IRI{Type: hi2.Begin, Time: tm, Direction: 1, State: 2, HasCause: true, Cause: hi2.Q850(0, 2, 16), CountryCode: "DE"}
	p := iri.AddParty(hi2.Originating)
	p.Calling.Set([]byte{0x03, 0x11, 0x12, 0x52})
	p.AddParam(hi2.ParamOriginalCalledNum, []byte{0x03, 0x10, 0x21})
	f.Add(hi2.Append(nil, &h, &iri))
	f.Add(hi2.AppendMediaInfo(nil, &h, &hi2.MediaInfo{Time: tm, MediaFormat: 8}))
	f.Add(hi3.AppendIPMMCC(nil, &h, &hi3.CC{Time: tm, StreamID: "0"}, []byte{0x80, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xd5}))
	f.Add(hi3.AppendPstnIsdnCC(nil, &h, &hi3.CC{Time: tm, HasCCLinkID: true, Supplementary: &hi2.MediaInfo{MediaFormat: 8}}, []byte{0xd5, 0xd5}))
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			n, err := psdu.Next(b)
			if err != nil || n == 0 {
				return
			}
			if n > len(b) {
				t.Fatalf("Next %d > %d", n, len(b))
			}
			var p psdu.PDU
			if err := psdu.Parse(b[:n], &p); err == nil {
				switch p.Kind {
				case psdu.KindIRI:
					recs, _ := hi2.DecodePayload(p.Payload, nil)
					if _, err := json.Marshal(recs); err != nil {
						t.Fatal(err)
					}
				case psdu.KindCC:
					_, _ = hi3.DecodePayload(p.Payload, nil)
				}
			}
			b = b[n:]
		}
	})
}
