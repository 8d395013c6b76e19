package psdu

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
	"github.com/tdmtap/tdmtap/hi/internal/hextest"
)

// TestHeader is the header used by the golden vectors in this package
// (hi2/hi3 build their own).
func testHeader() Header {
	return Header{
		LIID: "LIID1", AuthCountry: "DE", OperatorID: "OPER", NetworkElementID: "NE1",
		CIN: 1000, DeliveryCountry: "DE", Seq: 7,
		Time:                time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC),
		InterceptionPointID: "TAP1", Qualifier: QualifierTimeOfInterception,
	}
}

// Hand-built from TS 102 232-1 LI-PS-PDU (IMPLICIT TAGS).
const goldenHeader = `
A1 59                          -- pSHeader [1] PSHeader, 89 octets
  80 07 04 00 02 02 05 01 28   -- li-psDomainId [0] OID 0.4.0.2.2.5.1.40
  81 05 4C 49 49 44 31         -- lawfulInterceptionIdentifier [1] "LIID1"
  82 02 44 45                  -- authorizationCountryCode [2] "DE"
  A3 15                        -- communicationIdentifier [3]
    A0 0B                      --   networkIdentifier [0]
      80 04 4F 50 45 52        --     operatorIdentifier [0] "OPER"
      81 03 4E 45 31           --     networkElementIdentifier [1] "NE1"
    81 02 03 E8                --   communicationIdentityNumber [1] 1000
    82 02 44 45                --   deliveryCountryCode [2] "DE"
  84 01 07                     -- sequenceNumber [4] 7
  85 13 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36 5A
                               -- timeStamp [5] GeneralizedTime "20261126010203.456Z"
  86 04 54 41 50 31            -- interceptionPointID [6] "TAP1"
  A7 0B                        -- microSecondTimeStamp [7]
    80 04 6B 07 85 0B          --   seconds [0] 1795654923
    81 03 06 F8 55             --   microSeconds [1] 456789
  88 01 01                     -- timeStampQualifier [8] timeOfInterception(1)
`

func TestGoldenKeepalive(t *testing.T) {
	h := testHeader()
	want := hextest.Decode(t, `30 61 -- PS-PDU SEQUENCE, 97 octets`+goldenHeader+`
A2 04            -- payload [2] Payload (CHOICE, explicit)
  A2 02          --   tRIPayload [2] TRIPayload (CHOICE, explicit)
    83 00        --     keep-alive [3] NULL
`)
	got := AppendKeepalive(nil, &h)
	if !bytes.Equal(got, want) {
		t.Fatalf("keepalive\n got %x\nwant %x", got, want)
	}
	wantResp := append([]byte(nil), want...)
	wantResp[len(wantResp)-2] = 0x84 // keep-aliveResponse [4] NULL
	got = AppendKeepaliveResponse(got[:0], &h)
	if !bytes.Equal(got, wantResp) {
		t.Fatalf("keepalive response\n got %x\nwant %x", got, wantResp)
	}

	var p PDU
	if err := Parse(got, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindKeepaliveResponse || p.TRITag != 4 {
		t.Fatalf("kind %v tri %d", p.Kind, p.TRITag)
	}
	h.DomainOID = "0.4.0.2.2.5.1.40"
	h.Time = h.Time.Truncate(time.Microsecond)
	if p.Header != h {
		t.Fatalf("header round trip\n got %+v\nwant %+v", p.Header, h)
	}
	if !p.HasTime || !p.HasMicroTime || !p.HasCIN || !p.HasQualifier {
		t.Fatalf("presence flags %+v", p)
	}
}

func TestMinimalHeaderAndOmitCIN(t *testing.T) {
	h := Header{LIID: "X", OperatorID: "O", OmitCIN: true, Seq: 0}
	want := hextest.Decode(t, `
30 21                          -- PS-PDU, 33 octets
  A1 19                        -- pSHeader, 25 octets
    80 07 04 00 02 02 05 01 28 -- li-psDomainId
    81 01 58                   -- LIID "X"
    A3 05 A0 03 80 01 4F       -- communicationIdentifier { networkIdentifier { operatorIdentifier "O" } }
    84 01 00                   -- sequenceNumber 0
    88 01 00                   -- timeStampQualifier unknown(0)
  A2 04 A2 02 83 00            -- payload tRIPayload keep-alive
`)
	got := AppendKeepalive(nil, &h)
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
}

func TestParseIndefiniteFromOtherEncoder(t *testing.T) {
	// The same keep-alive as another encoder might send it: indefinite
	// lengths on the PS-PDU, payload and tRIPayload, and a segmented
	// (constructed) LIID.
	b := hextest.Decode(t, `
30 80
  A1 80
    80 07 04 00 02 02 05 01 11   -- li-psDomainId version 17 (OpenLI)
    A1 80 04 02 4C 49 04 01 44 00 00  -- LIID "LID" in two segments
    A3 09 A0 03 80 01 4F 81 02 01 00  -- operator "O", CIN 256
    84 05 00 FF FF FF FF          -- sequenceNumber 2^32-1 with a leading zero
  00 00
  A2 80 A2 80 83 00 00 00 00 00
00 00`)
	n, err := Next(b)
	if err != nil || n != len(b) {
		t.Fatalf("Next = %d, %v; want %d", n, err, len(b))
	}
	for i := range len(b) - 1 {
		if n, err := Next(b[:i]); n != 0 || err != nil {
			t.Fatalf("Next(prefix %d) = %d, %v", i, n, err)
		}
	}
	var p PDU
	if err := Parse(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindKeepalive || p.Header.LIID != "LID" || p.Header.CIN != 256 || p.Header.Seq != 1<<32-1 || p.Header.DomainOID != "0.4.0.2.2.5.1.17" {
		t.Fatalf("%+v", p)
	}
}

func TestSplitStream(t *testing.T) {
	h := testHeader()
	var stream []byte
	for i := range 5 {
		h.Seq = uint32(i)
		stream = AppendKeepalive(stream, &h)
	}
	sc := bufio.NewScanner(iotestReader(stream))
	sc.Split(Split)
	var seqs []uint32
	for sc.Scan() {
		var p PDU
		if err := Parse(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, p.Header.Seq)
	}
	if sc.Err() != nil || len(seqs) != 5 || seqs[4] != 4 {
		t.Fatalf("seqs %v err %v", seqs, sc.Err())
	}
	// Truncated stream at EOF is an error, not a silent drop.
	sc = bufio.NewScanner(bytes.NewReader(stream[:len(stream)-3]))
	sc.Split(Split)
	n := 0
	for sc.Scan() {
		n++
	}
	if n != 4 || sc.Err() == nil {
		t.Fatalf("truncated: %d PDUs, err %v", n, sc.Err())
	}
	if _, err := Next([]byte{0x04, 0x00}); err == nil {
		t.Fatal("non-SEQUENCE accepted")
	}
	if _, err := Next([]byte{0x30, 0x84, 0x7f, 0, 0, 0}); err != ErrTooLarge {
		t.Fatalf("huge length: %v", err)
	}
}

// iotestReader yields the stream one byte at a time.
type oneByte struct{ b []byte }

func (r *oneByte) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errEOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func iotestReader(b []byte) *oneByte { return &oneByte{b} }

func TestParseErrors(t *testing.T) {
	h := testHeader()
	good := AppendKeepalive(nil, &h)
	var p PDU
	for i := range len(good) {
		if err := Parse(good[:i], &p); err == nil {
			t.Fatalf("prefix %d parsed", i)
		}
	}
	if err := Parse(append(good, 0), &p); err == nil {
		t.Fatal("trailing byte accepted")
	}
	_ = ber.ErrShort
}

func BenchmarkKeepalive(b *testing.B) {
	h := testHeader()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendKeepalive(buf[:0], &h)
	}
}

func TestValidate(t *testing.T) {
	h := testHeader()
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func(*Header){
		func(h *Header) { h.LIID = "" },
		func(h *Header) { h.LIID = strings.Repeat("x", 26) },
		func(h *Header) { h.OperatorID = "" },
		func(h *Header) { h.AuthCountry = "DEU" },
		func(h *Header) { h.DeliveryCountry = "D_" },
		func(h *Header) { h.InterceptionPointID = "123456789" },
		func(h *Header) { h.NetworkElementID = strings.Repeat("n", 17) },
	} {
		hh := testHeader()
		mut(&hh)
		if hh.Validate() == nil {
			t.Errorf("accepted %+v", hh)
		}
	}
}
