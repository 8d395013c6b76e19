package hi3

import (
	"bytes"
	"testing"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/internal/hextest"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

func decodeCC(t *testing.T, b []byte) (psdu.PDU, Content) {
	t.Helper()
	var p psdu.PDU
	if err := psdu.Parse(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != psdu.KindCC {
		t.Fatalf("kind %v", p.Kind)
	}
	cs, err := DecodePayload(p.Payload, nil)
	if err != nil || len(cs) != 1 {
		t.Fatalf("%v %d", err, len(cs))
	}
	return p, cs[0]
}

func TestDecodeIPMMCC(t *testing.T) {
	h := testHeader()
	cc := CC{Direction: ToTarget, Time: tEvent, Qualifier: psdu.QualifierTimeOfInterception, StreamID: "1"}
	_, c := decodeCC(t, AppendIPMMCC(nil, &h, &cc, rtpPacket))
	if c.Kind != ContentsIPMMCC || c.ObjID != "5.5.6.2" || !bytes.Equal(c.Data, rtpPacket) || c.Direction != ToTarget ||
		string(c.StreamID) != "1" || c.FrameType != FrameRTP || !c.HasProtocol || c.Protocol != ProtoRTP ||
		!c.Time.Equal(tEvent.Truncate(1000)) || c.Qualifier != 1 || len(c.Unknown) != 0 {
		t.Fatalf("%+v", c)
	}
}

func TestDecodePstnIsdnCC(t *testing.T) {
	h := testHeader()
	oct := bytes.Repeat([]byte{0xD5}, 160)
	cc := CC{Direction: FromTarget, Time: tEvent, HasCCLinkID: true, CCLinkID: 3,
		Supplementary: &hi2.MediaInfo{PayloadDirection: FromTarget, CCLinkID: 3, FirstPDUNumber: 5, MediaFormat: 8}}
	_, c := decodeCC(t, AppendPstnIsdnCC(nil, &h, &cc, oct))
	if c.Kind != ContentsPstnIsdnCC || c.ObjID != "5.6.6.2" || !bytes.Equal(c.Data, oct) || c.CCLinkID != 3 || c.Media == nil ||
		c.Media.FirstPDUNumber != 5 || c.Media.MediaFormat != 8 {
		t.Fatalf("%+v", c)
	}
}

func TestDecodeUnknownCCKept(t *testing.T) {
	payload := hextest.Decode(t, `30 0A 80 01 00 A2 05 AD 03 80 01 01 -- cCContents [13] (not interpreted)`)
	cs, err := DecodePayload(payload, nil)
	if err != nil || len(cs) != 1 || len(cs[0].Unknown) != 1 || cs[0].Unknown[0].Hex != "ad03800101" || cs[0].Kind&(1<<31) == 0 {
		t.Fatalf("%v %+v", err, cs)
	}
}
