package hi2

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tdmtap/tdmtap/hi/internal/hextest"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

func decodeOne(t *testing.T, pdu []byte) (psdu.PDU, Record) {
	t.Helper()
	var p psdu.PDU
	if err := psdu.Parse(pdu, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != psdu.KindIRI {
		t.Fatalf("kind %v", p.Kind)
	}
	recs, err := DecodePayload(p.Payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	return p, recs[0]
}

func TestDecodeBegin(t *testing.T) {
	h := testHeader()
	iri := beginIRI()
	p, rec := decodeOne(t, Append(nil, &h, &iri))
	if p.Header.LIID != "LI1" || p.Header.CIN != 42 || p.Header.Seq != 3 {
		t.Fatalf("header %+v", p.Header)
	}
	pr := rec.Params
	if rec.Type != Begin || rec.Contents != "eTSI671IRI" || pr == nil || !rec.Time.Equal(tEvent.Truncate(1e6)) {
		t.Fatalf("record %+v", rec)
	}
	if pr.DomainID != "0.4.0.2.2.1.18" || pr.IRIVersion != 8 || pr.LIID != "LI1" || pr.CIN != "42" || pr.OperatorID != "OP" ||
		pr.NetworkElement == nil || pr.NetworkElement.Digits != "49" || pr.NetworkElement.NAI != 4 ||
		pr.Direction != "originating-Target" || pr.State != "setUpInProcess" || pr.Nature != "gSM-ISDN-PSTN-circuit-call" ||
		pr.CountryCode != "DE" || pr.TimeForm != "localTime" || pr.WinterSummer != "notProvided" || len(pr.Unknown) != 0 {
		t.Fatalf("params %+v", pr)
	}
	if len(pr.Parties) != 2 {
		t.Fatalf("parties %+v", pr.Parties)
	}
	a, b := pr.Parties[0], pr.Parties[1]
	if a.Role != "originating-Party" || a.Calling == nil || a.Calling.Digits != "2125551234" || a.Calling.NAI != 3 {
		t.Fatalf("party A %+v %+v", a, a.Calling)
	}
	if b.Role != "terminating-Party" || b.Called == nil || b.Called.Digits != "3105550" || len(b.ISUPParams) != 1 ||
		b.ISUPParams[0].Name != "originalCalledNumber" || b.ISUPParams[0].Number.Digits != "1234" {
		t.Fatalf("party B %+v", b)
	}
	// ParamsRaw is the iRI-Parameters element itself.
	if len(rec.ParamsRaw) != 131 || rec.ParamsRaw[0] != 0xA0 {
		t.Fatalf("ParamsRaw %x", rec.ParamsRaw)
	}
}

func TestDecodeEndAndMedia(t *testing.T) {
	h := testHeader()
	iri := IRI{Type: End, Time: tEvent, UTCTime: true, Direction: DirTerminatingTarget, State: StateIdle,
		Ringing: 5e9, HasRinging: true, Conversation: 3723e9, HasConversation: true, Cause: Q850(0, 2, 16), HasCause: true, CCLinkID: "1"}
	_, rec := decodeOne(t, Append(nil, &h, &iri))
	pr := rec.Params
	if rec.Type != End || pr.Ringing != "00:00:05" || pr.Conversation != "01:02:03" || pr.Cause == nil || pr.Cause.Value != 16 ||
		pr.Cause.Location != 2 || pr.TimeForm != "utcTime" || !pr.Time.Equal(tEvent.Truncate(1e9)) || pr.CCLinkID != "1" || pr.State != "idle" {
		t.Fatalf("%+v cause %+v", pr, pr.Cause)
	}
	m := MediaInfo{Time: tEvent, PayloadDirection: ToTarget, CCLinkID: 7, FirstPDUNumber: 99, MediaFormat: 0}
	_, rec = decodeOne(t, AppendMediaInfo(nil, &h, &m))
	if rec.Type != Report || rec.Contents != "pstnIsdnIRI" || rec.Media == nil || rec.Media.ObjID != "5.6.6.1" ||
		rec.Media.PayloadDirection != 1 || rec.Media.CCLinkID != 7 || rec.Media.FirstPDUNumber != 99 || rec.Media.MediaFormat != 0 {
		t.Fatalf("%+v %+v", rec, rec.Media)
	}
}

// TestDecodeUnknownKept: an unknown IRIContents alternative and an unknown
// IRI-Parameters field are reported as hex, never dropped.
func TestDecodeUnknownKept(t *testing.T) {
	payload := hextest.Decode(t, `
30 0E                     -- IRIPayload
  80 01 01                -- iRIType begin
  A2 09                   -- iRIContents
    AB 07 80 02 01 02 81 01 FF -- iPMMIRI [11]: not interpreted here
30 15                      -- IRIPayload, 21
  80 01 04
  A2 10 A5 0E A0 0C       -- iRIContents { eTSI671IRI { iRI-Parameters, 12
    81 01 58              -- LIID "X"
    88 03 01 02 03        -- locationOfTheTarget [8]: not interpreted
    9F 28 01 07           -- [40]: a newer field
`)
	recs, err := DecodePayload(payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Contents != "[11]" || len(recs[0].Unknown) != 1 || recs[0].Unknown[0].Hex != "ab07800201028101ff" {
		t.Fatalf("%+v", recs)
	}
	u := recs[1].Params.Unknown
	if len(u) != 2 || u[0].Tag != "[8]" || u[0].Hex != "8803010203" || u[1].Tag != "[40]" || u[1].Hex != "9f280107" {
		t.Fatalf("%+v", u)
	}
	js, _ := json.Marshal(recs)
	if !strings.Contains(string(js), `"type":"BEGIN"`) || !strings.Contains(string(js), "9f280107") {
		t.Fatalf("json %s", js)
	}
}

func TestDecodeIndefinite(t *testing.T) {
	// An IRI-End from another encoder with indefinite lengths throughout and
	// a segmented LIID.
	pdu := hextest.Decode(t, `
30 80
  A1 80
    80 07 04 00 02 02 05 01 11
    81 03 4C 49 31
    A3 80 A0 80 80 02 4F 50 00 00 81 01 2A 00 00
    84 01 09
  00 00
  A2 80 A0 80 30 80
    80 01 02
    A2 80 A5 80 A0 80
      A1 80 04 01 4C 04 02 49 31 00 00   -- LIID "LI1" in two segments
      A2 80 80 02 34 32 A1 80 80 02 4F 50 00 00 00 00
      8B 02 80 90
    00 00 00 00 00 00
  00 00 00 00 00 00
00 00`)
	p, rec := decodeOne(t, pdu)
	if p.Header.Seq != 9 || rec.Type != End || rec.Params.LIID != "LI1" || rec.Params.CIN != "42" || rec.Params.Cause.Value != 16 {
		t.Fatalf("%+v %+v", p.Header, rec.Params)
	}
}

func TestDecodeISUPNumber(t *testing.T) {
	for _, c := range []struct {
		in     []byte
		digits string
	}{
		{[]byte{0x83, 0x10, 0x13, 0x50, 0x55, 0x00}, "3105550"},
		{[]byte{0x03, 0x11, 0x12, 0x52, 0x55, 0x21, 0x43}, "2125551234"},
		{[]byte{0x83, 0x10, 0x21, 0x0F}, "12F"},
		{[]byte{0x03}, ""},
	} {
		if got := DecodeISUPNumber(c.in); got.Digits != c.digits {
			t.Errorf("%x: %q want %q", c.in, got.Digits, c.digits)
		}
	}
}

func TestValidateHeader(t *testing.T) {
	h := testHeader()
	if err := ValidateHeader(&h); err != nil {
		t.Fatal(err)
	}
	h.CIN = 100000000
	if ValidateHeader(&h) == nil {
		t.Fatal("9-digit CIN accepted")
	}
}

// TestDecodeIRIsContentAlternative: eTSI671IRI carrying a whole TS 101 671
// IRIsContent (as some mediation devices send) decodes the same way.
func TestDecodeIRIsContentAlternative(t *testing.T) {
	payload := hextest.Decode(t, `
30 13                     -- IRIPayload
  80 01 02                -- iRIType end
  A2 0E A5 0C             -- iRIContents { eTSI671IRI {
    A1 0A                 --   iRIsContent [1]
      A0 08               --     iRIContent [0]
        A2 06             --       iRI-End-record [2]
          81 01 58        --         LIID "X"
          8B 01 10        --         release-Reason (1 octet, kept as read)
`)
	recs, err := DecodePayload(payload, nil)
	if err != nil || len(recs) != 1 || recs[0].Params == nil || recs[0].Params.LIID != "X" || recs[0].Params.Cause.Value != 16 || recs[0].ParamsRaw[0] != 0xA2 {
		t.Fatalf("%v %+v", err, recs)
	}
}
