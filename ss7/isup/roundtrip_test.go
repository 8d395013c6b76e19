package isup

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTripAllTypes(t *testing.T) {
	for _, v := range []Variant{ITU, ANSI} {
		types := allTypes(v)
		if v == ITU && len(types) != 33 || v == ANSI && len(types) != 38 {
			t.Fatalf("%v: %d types supported", v, len(types))
		}
		for _, typ := range types {
			cic := uint16(0x0ABC)
			if v == ANSI {
				cic = 0x2ABC
			}
			m := sample(t, v, typ, cic)
			b, err := m.Append(v, nil)
			if err != nil {
				t.Fatalf("%v %v append: %v", v, typ, err)
			}
			var d Message
			if err := d.Decode(v, b); err != nil {
				t.Fatalf("%v %v decode % x: %v", v, typ, b, err)
			}
			if !d.Known() || d.Type != typ || d.CIC != cic {
				t.Fatalf("%v %v: decoded type %v cic %d known %v", v, typ, d.Type, d.CIC, d.Known())
			}
			b2, err := d.Append(v, nil)
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("%v %v: re-encode\n% x\n% x (%v)", v, typ, b, b2, err)
			}
			checkSame(t, v, typ, m, &d)
		}
	}
}

func checkSame(t *testing.T, v Variant, typ MsgType, a, b *Message) {
	t.Helper()
	nums := []struct {
		name string
		x, y *Number
	}{
		{"called", &a.Called, &b.Called}, {"calling", &a.Calling, &b.Calling},
		{"ocn", &a.OriginalCalled, &b.OriginalCalled}, {"redirecting", &a.Redirecting, &b.Redirecting},
		{"redirection", &a.RedirectionNumber, &b.RedirectionNumber}, {"connected", &a.Connected, &b.Connected},
		{"location", &a.Location, &b.Location}, {"generic", &a.Generic, &b.Generic},
		{"charge", &a.Charge, &b.Charge}, {"jip", &a.JIP, &b.JIP}, {"subsequent", &a.Subsequent, &b.Subsequent},
	}
	for _, n := range nums {
		if n.x.Present != n.y.Present || n.x.String() != n.y.String() || n.x.NAI != n.y.NAI ||
			n.x.NPI != n.y.NPI || n.x.Odd != n.y.Odd || n.x.Presentation != n.y.Presentation ||
			n.x.Screening != n.y.Screening || n.x.INN != n.y.INN || n.x.Qualifier != n.y.Qualifier {
			t.Errorf("%v %v %s: %+v != %+v", v, typ, n.name, n.x, n.y)
		}
	}
	if a.Cause.Present != b.Cause.Present || a.Cause.Value != b.Cause.Value || a.Cause.Location != b.Cause.Location ||
		!bytes.Equal(a.Cause.Diagnostics(), b.Cause.Diagnostics()) {
		t.Errorf("%v %v cause %+v != %+v", v, typ, a.Cause, b.Cause)
	}
	if a.RangeStatus.Present != b.RangeStatus.Present || a.RangeStatus.Range != b.RangeStatus.Range ||
		!bytes.Equal(a.RangeStatus.StatusBytes(), b.RangeStatus.StatusBytes()) {
		t.Errorf("%v %v range %+v != %+v", v, typ, a.RangeStatus, b.RangeStatus)
	}
	if a.NCI != b.NCI && (typ == IAM || typ == CRM) || a.FCI != b.FCI && typ == IAM || a.CPC != b.CPC && typ == IAM ||
		a.BCI != b.BCI && (typ == ACM || typ == CON) || a.Event != b.Event || a.CGSMT != b.CGSMT ||
		a.SuspendResume != b.SuspendResume || a.CVRIndicators != b.CVRIndicators || a.CircuitGroupChar != b.CircuitGroupChar {
		t.Errorf("%v %v fixed params differ", v, typ)
	}
	if a.OBCI != b.OBCI || a.RedirectionInfo != b.RedirectionInfo || !bytes.Equal(a.USI.Bytes(), b.USI.Bytes()) ||
		!bytes.Equal(a.GenericDigits.Digits(), b.GenericDigits.Digits()) || !bytes.Equal(a.AccessTransport, b.AccessTransport) ||
		!bytes.Equal(a.UserToUser, b.UserToUser) || !bytes.Equal(a.CircuitState, b.CircuitState) {
		t.Errorf("%v %v optional params differ", v, typ)
	}
}

func TestUnknownKeptRaw(t *testing.T) {
	// Unknown message type 0x99 in ITU: body kept.
	in := []byte{0x01, 0x00, 0x99, 0xDE, 0xAD}
	var m Message
	if err := m.Decode(ITU, in); err != nil {
		t.Fatal(err)
	}
	if m.Known() || !bytes.Equal(m.Body, []byte{0xDE, 0xAD}) || m.Type.String() != "0x99" {
		t.Fatalf("unknown message: %+v", m)
	}
	out, _ := m.Append(ITU, nil)
	if !bytes.Equal(in, out) {
		t.Fatalf("% x != % x", out, in)
	}
	// ANSI-only types are unknown in ITU.
	if Supported(ITU, CRM) || !Supported(ANSI, CRM) {
		t.Fatal("CRM support")
	}
	// ANM with an unknown parameter 0xFE, a second calling party number and
	// a known one: order and bytes kept.
	in = []byte{0x05, 0x00, 0x09, 0x01,
		0xFE, 0x02, 0xAA, 0xBB,
		0x0A, 0x03, 0x03, 0x13, 0x21,
		0x0A, 0x02, 0x03, 0x13,
		0x00}
	if err := m.Decode(ITU, in); err != nil {
		t.Fatal(err)
	}
	raw := m.RawParams()
	if len(raw) != 2 || raw[0].Code != 0xFE || !bytes.Equal(raw[0].Value, []byte{0xAA, 0xBB}) || raw[1].Code != PCallingPartyNumber {
		t.Fatalf("raw params %+v", raw)
	}
	if !m.Calling.Present || m.Calling.String() != "12" || m.Calling.Odd {
		t.Fatalf("calling %+v", m.Calling)
	}
	out, _ = m.Append(ITU, nil)
	if !bytes.Equal(in, out) {
		t.Fatalf("\n% x !=\n% x", out, in)
	}
}

func TestDecodeErrors(t *testing.T) {
	var m Message
	cases := []struct {
		in  []byte
		err error
	}{
		{[]byte{0x01}, ErrTruncated},
		{[]byte{0x01, 0x00, 0x01, 0x00}, ErrTruncated},                   // IAM fixed part short
		{[]byte{0x01, 0x00, 0x0C, 0x00, 0x00}, ErrBadPointer},            // REL pointer 0
		{[]byte{0x01, 0x00, 0x0C, 0x09, 0x00}, ErrBadPointer},            // REL pointer beyond
		{[]byte{0x01, 0x00, 0x0C, 0x02, 0x00, 0x05, 0x80}, ErrTruncated}, // REL cause length beyond
		{[]byte{0x01, 0x00, 0x0C, 0x02, 0x00, 0x01, 0x80}, ErrTruncated}, // cause 1 octet
		{[]byte{0x01, 0x00, 0x17, 0x01, 0x22, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33}, ErrTooLong},
	}
	for i, c := range cases {
		err := m.Decode(ITU, c.in)
		if !errors.Is(err, c.err) {
			t.Errorf("case %d: %v, want %v", i, err, c.err)
		}
	}
	if err := m.Decode(Variant(7), []byte{1, 2, 3}); !errors.Is(err, ErrUnknownVariant) {
		t.Errorf("variant: %v", err)
	}
}

func TestMissingMandatoryOnEncode(t *testing.T) {
	m := Message{Type: REL}
	if _, err := m.Append(ITU, nil); !errors.Is(err, ErrMissingParam) {
		t.Fatalf("REL without cause: %v", err)
	}
}

func TestParseVariantAndNames(t *testing.T) {
	if v, err := ParseVariant("ansi"); err != nil || v != ANSI {
		t.Fatal(v, err)
	}
	if _, err := ParseVariant("japan"); !errors.Is(err, ErrUnknownVariant) {
		t.Fatal(err)
	}
	if IAM.String() != "IAM" || CGBA.String() != "CGBA" || EXM.String() != "EXM" {
		t.Fatal("acronyms")
	}
	if PGenericNumber.Name(ANSI) != "generic address" || PGenericNumber.Name(ITU) != "generic number" || ParamCode(0xFE).Name(ITU) != "parameter 0xfe" {
		t.Fatal("param names")
	}
}

func TestSecondGenericNumber(t *testing.T) {
	m := sample(t, ITU, IAM, 1)
	var g2 Number
	g2.Qualifier = 0x0A
	g2.NAI = NAINational
	mustDigits(t, &g2, "3044")
	if err := m.AddRaw(PGenericNumber, g2.appendAs(PGenericNumber, nil)); err != nil {
		t.Fatal(err)
	}
	b, err := m.Append(ITU, nil)
	if err != nil {
		t.Fatal(err)
	}
	var d Message
	if err := d.Decode(ITU, b); err != nil {
		t.Fatal(err)
	}
	if d.Generic.String() != "30333" {
		t.Fatalf("first generic %q", d.Generic.String())
	}
	found := false
	for _, r := range d.RawParams() {
		if r.Code == PGenericNumber {
			var n Number
			if err := DecodeNumber(r.Code, r.Value, &n); err != nil || n.String() != "3044" || n.Qualifier != 0x0A {
				t.Fatalf("second generic %+v %v", n, err)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("second generic number not kept")
	}
}

func TestANSICodesRawInITU(t *testing.T) {
	// ANM carrying a charge number (0xEB) and JIP (0xC4): typed in ANSI, raw in ITU.
	in := []byte{0x01, 0x00, 0x09, 0x01, 0xEB, 0x03, 0x03, 0x10, 0x21, 0xC4, 0x03, 0x09, 0x58, 0x55, 0x00}
	m := decodeExact(t, ANSI, in)
	if m.Charge.String() != "12" || m.JIP.String() != "908555" || len(m.RawParams()) != 0 {
		t.Fatalf("ANSI: %+v", m)
	}
	m = decodeExact(t, ITU, in)
	if m.Charge.Present || m.JIP.Present || len(m.RawParams()) != 2 {
		t.Fatalf("ITU: %+v", m.RawParams())
	}
	// A typed ANSI-only field set on an ITU message is not encoded.
	m = &Message{Type: ANM}
	m.Charge.Present = true
	b, err := m.Append(ITU, nil)
	if err != nil || len(b) != 4 || b[3] != 0 {
		t.Fatalf("ITU ANM with charge: % x %v", b, err)
	}
}

func TestMalformedOptionalKeptRaw(t *testing.T) {
	// ACM with an OBCI of length 2 (must be 1): kept raw, counted.
	in := []byte{0x01, 0x00, 0x06, 0x16, 0x14, 0x01, 0x29, 0x02, 0x01, 0x02, 0x00}
	m := decodeExact(t, ITU, in)
	if m.OBCI.Present || m.MalformedParams != 1 || len(m.RawParams()) != 1 {
		t.Fatalf("%+v", m)
	}
}
