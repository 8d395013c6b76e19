package isup

import (
	"bytes"
	"testing"
)

// Hand-written vectors, assembled octet by octet from Q.763 / T1.113
// formats (not produced by the encoder). Each must decode to the stated
// values and re-encode byte for byte.

func decodeExact(t *testing.T, v Variant, in []byte) *Message {
	t.Helper()
	m := new(Message)
	if err := m.Decode(v, in); err != nil {
		t.Fatalf("decode % x: %v", in, err)
	}
	out, err := m.Append(v, nil)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("re-encode:\n got % x\nwant % x (%v)", out, in, err)
	}
	return m
}

func TestVectorIAMITU(t *testing.T) {
	in := []byte{
		0x01, 0x00, // CIC 1
		0x01,       // IAM
		0x00,       // NCI
		0x60, 0x01, // FCI: F (ISUP all the way), HG=01; I (ISDN access)
		0x0A,                                           // CPC ordinary
		0x00,                                           // TMR speech
		0x02,                                           // pointer to CdPN
		0x09,                                           // pointer to optional part
		0x07, 0x04, 0x10, 0x94, 0x03, 0x21, 0x43, 0x65, // CdPN: even, international, ISDN plan, 4930123456
		0x0A, 0x07, 0x03, 0x13, 0x94, 0x03, 0x99, 0x89, 0x88, // CgPN: national, E.164, allowed, network provided
		0x00,
	}
	m := decodeExact(t, ITU, in)
	if m.Type != IAM || m.CIC != 1 || m.NCI != 0 || m.CPC != CPCOrdinary || m.TMR != TMRSpeech {
		t.Fatalf("header %+v", m)
	}
	if !m.FCI.ISUPAllTheWay() || m.FCI.ISUPPreference() != 1 || !m.FCI.ISDNAccess() || m.FCI.International() {
		t.Fatalf("FCI %#x", m.FCI)
	}
	c := &m.Called
	if c.String() != "4930123456" || c.NAI != NAIInternational || c.NPI != 1 || c.Odd || c.INN != 0 {
		t.Fatalf("called %+v", c)
	}
	g := &m.Calling
	if g.String() != "4930999888" || g.NAI != NAINational || g.NPI != 1 || g.Presentation != 0 || g.Screening != 3 {
		t.Fatalf("calling %+v", g)
	}
	if got := c.AppendParam(nil); !bytes.Equal(got, in[11:18]) {
		t.Fatalf("CdPN ISUP format % x", got)
	}
}

func TestVectorIAMANSI(t *testing.T) {
	in := []byte{
		0x01, 0x30, // CIC 0x3001 (14 bits)
		0x01,       // IAM
		0x00,       // NCI
		0x60, 0x01, // FCI
		0x0A,             // CPC
		0x03, 0x06, 0x0D, // pointers: USI, CdPN, optional part
		0x03, 0x80, 0x90, 0xA2, // USI: speech, circuit 64k, G.711 µ-law
		0x07, 0x03, 0x10, 0x12, 0x52, 0x55, 0x21, 0x43, // CdPN 2125551234
		0xEB, 0x07, 0x03, 0x10, 0x09, 0x58, 0x55, 0x01, 0x10, // charge number 9085551001
		0xC4, 0x03, 0x09, 0x58, 0x55, // JIP 908555
		0x00,
	}
	m := decodeExact(t, ANSI, in)
	if m.CIC != 0x3001 || m.Type != IAM || m.Called.String() != "2125551234" || m.Charge.String() != "9085551001" ||
		m.JIP.String() != "908555" || m.USI.Layer1Protocol() != 2 || m.USI.TransferRate() != 16 {
		t.Fatalf("ANSI IAM %+v", m)
	}
	// The same octets as ITU: CIC is 12 bits, the rest mis-parses or differs.
	var x Message
	if err := x.Decode(ITU, in); err == nil && x.CIC != 1 {
		t.Fatalf("ITU CIC %d", x.CIC)
	}
}

func TestVectorACMANMITU(t *testing.T) {
	m := decodeExact(t, ITU, []byte{0x05, 0x00, 0x06, 0x16, 0x14, 0x01, 0x29, 0x01, 0x01, 0x00})
	if m.Type != ACM || m.CIC != 5 || m.BCI.Charge() != 2 || m.BCI.CalledStatus() != 1 || m.BCI.CalledCategory() != 1 ||
		!m.BCI.ISUPAllTheWay() || !m.BCI.ISDNAccess() || !m.OBCI.InBandInfo() {
		t.Fatalf("ACM %+v", m)
	}
	m = decodeExact(t, ITU, []byte{0x05, 0x00, 0x09, 0x00})
	if m.Type != ANM || m.CIC != 5 || m.OBCI.Present || m.Connected.Present {
		t.Fatalf("ANM %+v", m)
	}
}

func TestVectorREL(t *testing.T) {
	// ITU: cause 21 call rejected, location public local, one diagnostic octet.
	m := decodeExact(t, ITU, []byte{0x07, 0x00, 0x0C, 0x02, 0x00, 0x03, 0x82, 0x95, 0x81})
	c := &m.Cause
	if m.Type != REL || !c.Present || c.Value != CauseCallRejected || c.Location != 2 || c.Coding != 0 ||
		c.HasRecommendation || !bytes.Equal(c.Diagnostics(), []byte{0x81}) {
		t.Fatalf("REL cause %+v", c)
	}
	// ANSI: coding national (2), location transit (3), octet 1a present.
	m = decodeExact(t, ANSI, []byte{0x01, 0x20, 0x0C, 0x02, 0x00, 0x03, 0x43, 0x80, 0x90})
	c = &m.Cause
	if m.CIC != 0x2001 || c.Coding != 2 || c.Location != 3 || !c.HasRecommendation || c.Recommendation != 0 ||
		c.Value != CauseNormalClearing || len(c.Diagnostics()) != 0 {
		t.Fatalf("ANSI REL cause %+v", c)
	}
}

func TestVectorGRSCGB(t *testing.T) {
	m := decodeExact(t, ITU, []byte{0x01, 0x00, 0x17, 0x01, 0x01, 0x1F})
	if m.Type != GRS || m.RangeStatus.Circuits() != 32 || m.RangeStatus.HasStatus() {
		t.Fatalf("GRS %+v", m.RangeStatus)
	}
	m = decodeExact(t, ITU, []byte{0x01, 0x00, 0x18, 0x00, 0x01, 0x02, 0x07, 0x55})
	if m.Type != CGB || m.CGSMT.Kind() != 0 || m.RangeStatus.Circuits() != 8 {
		t.Fatalf("CGB %+v", m)
	}
	for i := 0; i < 8; i++ {
		if m.RangeStatus.Status(i) != (i%2 == 0) {
			t.Fatalf("CGB status bit %d", i)
		}
	}
}

func TestCICWidth(t *testing.T) {
	in := []byte{0x34, 0x12, 0x13} // BLO
	var m Message
	if err := m.Decode(ITU, in); err != nil || m.CIC != 564 {
		t.Fatalf("ITU CIC %d %v", m.CIC, err)
	}
	out, _ := m.Append(ITU, nil)
	if !bytes.Equal(out, in) {
		t.Fatalf("ITU spare CIC bits lost: % x", out)
	}
	if err := m.Decode(ANSI, in); err != nil || m.CIC != 4660 {
		t.Fatalf("ANSI CIC %d %v", m.CIC, err)
	}
}

func TestDigitsOnTheWire(t *testing.T) {
	// Odd number of digits with a non-zero filler and an ST: kept exactly.
	in := []byte{0x01, 0x00, 0x02, 0x02, 0x00, 0x03, 0x80, 0x21, 0x9F} // SAM "12F" with filler 9
	m := decodeExact(t, ITU, in)
	if m.Subsequent.String() != "12F" || !m.Subsequent.Odd || m.Subsequent.Filler != 9 || string(m.Subsequent.Address()) != "12" {
		t.Fatalf("SAM %+v", m.Subsequent)
	}
}

func TestNumberDigitsAPI(t *testing.T) {
	var n Number
	if err := n.SetDigitsBytes([]byte("030")); err != nil || !n.Odd || n.String() != "030" {
		t.Fatalf("%+v %v", n, err)
	}
	if err := n.AppendDigits([]byte("12f")); err != nil || n.Odd || n.String() != "03012F" {
		t.Fatalf("%+v %v", n, err)
	}
	if err := n.AppendDigits([]byte("1x")); err != ErrBadDigit || n.String() != "03012F" {
		t.Fatalf("bad digit: %v %q", err, n.String())
	}
	if err := n.AppendDigits(make([]byte, MaxDigits)); err != ErrTooLong {
		t.Fatalf("too long: %v", err)
	}
	more := []byte("45")
	if a := testing.AllocsPerRun(100, func() { n.n = 2; _ = n.AppendDigits(more) }); a != 0 {
		t.Fatalf("AppendDigits allocates %v", a)
	}
	n.Code = PCalledPartyNumber
	n.NAI, n.NPI = NAINational, 1
	if got := n.AppendParam(nil); !bytes.Equal(got, []byte{0x03, 0x10, 0x30, 0x54}) {
		t.Fatalf("AppendParam % x", got)
	}
}
