package m3ua

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

var isupIAM = []byte{0x34, 0x12, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x0a, 0x08, 0x83, 0x90, 0x21, 0x43, 0x65, 0x87, 0x09, 0x0f, 0x00}

func samplePD() ProtocolData {
	return ProtocolData{OPC: 1001, DPC: 2002, SI: 5, NI: 2, MP: 1, SLS: 9, Payload: isupIAM}
}

func TestAppendDataMatchesGoM3UA(t *testing.T) {
	pd := samplePD()
	for _, payload := range [][]byte{pd.Payload, pd.Payload[:1], pd.Payload[:2], pd.Payload[:3], nil} {
		pd.Payload = payload
		d := DataMsg{HasNA: true, NetworkAppearance: 7, HasRC: true, RoutingContext: 100, HasCorrID: true, CorrelationID: 55, PD: pd}
		ours, err := AppendData(nil, FormRFC, LabelITU, &d)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := messages.NewData(params.NewNetworkAppearance(7), params.NewRoutingContext(100),
			params.NewProtocolData(pd.OPC, pd.DPC, pd.SI, pd.NI, pd.MP, pd.SLS, payload), params.NewCorrelationID(55)).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, ref) {
			t.Fatalf("payload %d bytes:\nours % x\ngo-m3ua % x", len(payload), ours, ref)
		}
		var got DataMsg
		if err := DecodeData(ref, FormRFC, LabelITU, &got); err != nil {
			t.Fatal(err)
		}
		if !got.HasNA || got.NetworkAppearance != 7 || !got.HasRC || got.RoutingContext != 100 || !got.HasCorrID || got.CorrelationID != 55 {
			t.Fatalf("params %+v", got)
		}
		if got.PD.OPC != pd.OPC || got.PD.DPC != pd.DPC || got.PD.SI != pd.SI || got.PD.NI != pd.NI || got.PD.MP != pd.MP || got.PD.SLS != pd.SLS || !bytes.Equal(got.PD.Payload, payload) {
			t.Fatalf("pd %+v", got.PD)
		}
	}
}

func TestDraft6RoundTrip(t *testing.T) {
	cases := []struct {
		lf LabelFormat
		pd ProtocolData
	}{
		{LabelITU, ProtocolData{OPC: 0x3fff, DPC: 0x1234, SI: 5, NI: 2, MP: 0, SLS: 15, Payload: isupIAM}},
		{LabelITU, ProtocolData{OPC: 1, DPC: 2, SI: 3, NI: 0, MP: 3, SLS: 0, Payload: []byte{1}}},
		{LabelANSI5, ProtocolData{OPC: 0xfedcba, DPC: 0x010203, SI: 5, NI: 2, MP: 2, SLS: 31, Payload: isupIAM}},
		{LabelANSI8, ProtocolData{OPC: 0x123456, DPC: 0xabcdef, SI: 5, NI: 3, MP: 1, SLS: 200, Payload: isupIAM[:5]}},
	}
	for _, c := range cases {
		d := DataMsg{HasRC: true, RoutingContext: 3, PD: c.pd}
		b, err := AppendData(nil, FormDraft6, c.lf, &d)
		if err != nil {
			t.Fatal(err)
		}
		if len(b)%4 != 0 || int(binary.BigEndian.Uint32(b[4:])) != len(b) {
			t.Fatalf("bad length/padding % x", b)
		}
		// Parameter 0x0002 holds the MSU: SIO first.
		if tag := binary.BigEndian.Uint16(b[16:]); tag != TagDraftProtocolData1 {
			t.Fatalf("PD tag %#x", tag)
		}
		if b[20] != c.pd.NI<<6|c.pd.MP<<4|c.pd.SI {
			t.Fatalf("SIO %#x", b[20])
		}
		var got DataMsg
		if err := DecodeData(b, FormDraft6, c.lf, &got); err != nil {
			t.Fatal(err)
		}
		g := got.PD
		if g.OPC != c.pd.OPC || g.DPC != c.pd.DPC || g.SI != c.pd.SI || g.NI != c.pd.NI || g.MP != c.pd.MP || g.SLS != c.pd.SLS || !bytes.Equal(g.Payload, c.pd.Payload) || got.RoutingContext != 3 {
			t.Fatalf("label %d: got %+v want %+v", c.lf, g, c.pd)
		}
		// The RFC decoder does not take a draft message for DATA.
		if err := DecodeData(b, FormRFC, c.lf, &got); err == nil {
			t.Fatal("draft DATA decoded as RFC")
		}
	}
}

func TestDraft6ITULabelBits(t *testing.T) {
	// Q.704: DPC in the 14 low bits, then OPC, SLS in the top 4 bits,
	// least significant octet first.
	pd := ProtocolData{OPC: 0x0002, DPC: 0x0001, SI: 5, NI: 2, SLS: 0xa}
	msu, err := AppendMSU(nil, LabelITU, &pd)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x85, 0x01, 0x80, 0x00, 0xa0}
	if !bytes.Equal(msu, want) {
		t.Fatalf("MSU % x want % x", msu, want)
	}
}

func TestDraft6ProtocolData2(t *testing.T) {
	pd := samplePD()
	msu, _ := AppendMSU(nil, LabelITU, &pd)
	v := append([]byte{byte(len(msu))}, msu...) // LI octet first
	m := []byte{1, 0, 1, 1, 0, 0, 0, 0}
	m = appendParamHdr(m, TagDraftProtocolData2, len(v))
	m = append(m, v...)
	m = appendPad(m, len(v))
	binary.BigEndian.PutUint32(m[4:], uint32(len(m)))
	var d DataMsg
	if err := DecodeData(m, FormDraft6, LabelITU, &d); err != nil {
		t.Fatal(err)
	}
	if d.PD.OPC != pd.OPC || d.PD.SLS != pd.SLS || !bytes.Equal(d.PD.Payload, pd.Payload) {
		t.Fatalf("%+v", d.PD)
	}
}

func TestAppendMSURanges(t *testing.T) {
	for _, c := range []struct {
		lf LabelFormat
		pd ProtocolData
	}{
		{LabelITU, ProtocolData{OPC: 0x4000}},
		{LabelITU, ProtocolData{SLS: 16}},
		{LabelANSI5, ProtocolData{SLS: 32}},
		{LabelANSI8, ProtocolData{DPC: 0x1000000}},
		{LabelITU, ProtocolData{SI: 16}},
		{LabelITU, ProtocolData{NI: 4}},
	} {
		if _, err := AppendMSU(nil, c.lf, &c.pd); err == nil {
			t.Errorf("%d %+v accepted", c.lf, c.pd)
		}
		d := DataMsg{PD: c.pd}
		if b, err := AppendData(make([]byte, 3, 64), FormDraft6, c.lf, &d); err == nil || len(b) != 3 {
			t.Errorf("AppendData: err %v, len %d (dst must be restored)", err, len(b))
		}
	}
}

func TestDecodeDataErrors(t *testing.T) {
	good, _ := AppendData(nil, FormRFC, LabelITU, &DataMsg{PD: samplePD()})
	mut := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	cases := []struct {
		name string
		b    []byte
		code uint32
	}{
		{"short", good[:5], ErrCodeProtocolError},
		{"version", mut(func(b []byte) []byte { b[0] = 2; return b }), ErrCodeInvalidVersion},
		{"length", mut(func(b []byte) []byte { return b[:len(b)-4] }), ErrCodeProtocolError},
		{"param length", mut(func(b []byte) []byte { b[10], b[11] = 0xff, 0xff; return b }), ErrCodeParameterFieldError},
		{"param length 2", mut(func(b []byte) []byte { b[10], b[11] = 0, 2; return b }), ErrCodeParameterFieldError},
		{"short pd", mut(func(b []byte) []byte {
			b[10], b[11] = 0, 8
			b = b[:16]
			binary.BigEndian.PutUint32(b[4:], 16)
			return b
		}), ErrCodeParameterFieldError},
		{"no pd", mut(func(b []byte) []byte {
			b = b[:8]
			binary.BigEndian.PutUint32(b[4:], 8)
			return b
		}), ErrCodeMissingParameter},
	}
	for _, c := range cases {
		var d DataMsg
		err := DecodeData(c.b, FormRFC, LabelITU, &d)
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != c.code {
			t.Errorf("%s: err %v, want code %#x", c.name, err, c.code)
		}
	}
}

func TestDecodeDataSkipsUnknownParameters(t *testing.T) {
	m := unknownTagData(t)
	var d DataMsg
	if err := DecodeData(m, FormRFC, LabelITU, &d); err != nil {
		t.Fatal(err)
	}
	if d.PD.OPC != samplePD().OPC {
		t.Fatalf("%+v", d.PD)
	}
}

// unknownTagData is a DATA message with a vendor parameter 0x8001 before
// the Protocol Data.
func unknownTagData(t testing.TB) []byte {
	m := []byte{1, 0, 1, 1, 0, 0, 0, 0}
	m = appendParamHdr(m, 0x8001, 3)
	m = append(m, 1, 2, 3, 0)
	d := DataMsg{PD: samplePD()}
	body, err := AppendData(nil, FormRFC, LabelITU, &d)
	if err != nil {
		t.Fatal(err)
	}
	m = append(m, body[8:]...)
	binary.BigEndian.PutUint32(m[4:], uint32(len(m)))
	return m
}

func TestDataCodecZeroAlloc(t *testing.T) {
	d := DataMsg{HasRC: true, RoutingContext: 1, PD: samplePD()}
	buf := make([]byte, 0, 256)
	for _, f := range []Form{FormRFC, FormDraft6} {
		msg, _ := AppendData(nil, f, LabelANSI8, &d)
		var out DataMsg
		if n := testing.AllocsPerRun(200, func() {
			if err := DecodeData(msg, f, LabelANSI8, &out); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("form %d decode: %v allocs", f, n)
		}
		if n := testing.AllocsPerRun(200, func() {
			if _, err := AppendData(buf[:0], f, LabelANSI8, &d); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("form %d encode: %v allocs", f, n)
		}
	}
}

func TestControlEncodersParse(t *testing.T) {
	type chk func(c *ctrlMsg) bool
	cases := []struct {
		b          []byte
		class, typ uint8
		ok         chk
	}{
		{EncodeASPUP(77, true), ClassASPSM, TypeASPUP, func(c *ctrlMsg) bool { return c.hasASPID && c.aspID == 77 }},
		{EncodeASPUPACK(), ClassASPSM, TypeASPUPACK, nil},
		{EncodeASPDN(), ClassASPSM, TypeASPDN, nil},
		{EncodeASPDNACK(), ClassASPSM, TypeASPDNACK, nil},
		{EncodeBEAT([]byte{1, 2, 3}), ClassASPSM, TypeBEAT, func(c *ctrlMsg) bool { return bytes.Equal(c.hbData, []byte{1, 2, 3}) }},
		{EncodeBEATACK([]byte{1, 2, 3}, true), ClassASPSM, TypeBEATACK, func(c *ctrlMsg) bool { return bytes.Equal(c.hbData, []byte{1, 2, 3}) }},
		{EncodeASPAC(TrafficLoadshare, []uint32{5, 6}), ClassASPTM, TypeASPAC, func(c *ctrlMsg) bool {
			return c.hasTMT && c.tmt == 2 && c.nrc == 2 && c.rcs[1] == 6
		}},
		{EncodeASPACACK(0, nil), ClassASPTM, TypeASPACACK, func(c *ctrlMsg) bool { return !c.hasTMT && !c.hasRC }},
		{EncodeASPIA([]uint32{5}), ClassASPTM, TypeASPIA, func(c *ctrlMsg) bool { return c.nrc == 1 }},
		{EncodeASPIAACK(nil), ClassASPTM, TypeASPIAACK, nil},
		{EncodeNTFY(StatusASStateChange, ASInactive, []uint32{9}), ClassMGMT, TypeNTFY, func(c *ctrlMsg) bool {
			return c.hasStatus && c.statusType == 1 && c.statusInfo == 2 && c.rcs[0] == 9
		}},
		{EncodeERR(ErrCodeUnexpectedMessage, nil, []byte{1, 2}), ClassMGMT, TypeERR, func(c *ctrlMsg) bool {
			return c.hasErrCode && c.errCode == 6 && bytes.Equal(c.diag, []byte{1, 2})
		}},
		{EncodeDAVA(nil, []uint32{1001, 1002}), ClassSSNM, TypeDAVA, func(c *ctrlMsg) bool { return c.napc == 2 && c.apcs[1] == 1002 }},
		{EncodeDUNA(nil, []uint32{3}), ClassSSNM, TypeDUNA, func(c *ctrlMsg) bool { return c.napc == 1 }},
		{EncodeDAUD(nil, []uint32{3}), ClassSSNM, TypeDAUD, func(c *ctrlMsg) bool { return c.napc == 1 && c.apcs[0] == 3 }},
	}
	for _, c := range cases {
		h, err := ParseHeader(c.b)
		if err != nil {
			t.Fatal(err)
		}
		if h.Class != c.class || h.Type != c.typ {
			t.Errorf("%s: class/type %d/%d", MessageName(c.class, c.typ), h.Class, h.Type)
		}
		var m ctrlMsg
		if err := parseCtrl(c.b, h, &m); err != nil {
			t.Errorf("%s: %v", MessageName(c.class, c.typ), err)
			continue
		}
		if c.ok != nil && !c.ok(&m) {
			t.Errorf("%s: parsed %+v", MessageName(c.class, c.typ), m)
		}
	}
}
