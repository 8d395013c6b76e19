package m3ua

// One test per known fault of go-m3ua v0.1.10 that this package works
// around. Each asserts the fault is still there: when an upgrade fixes
// one, its test fails and the workaround here can be reconsidered.

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

// Fault: Data.UnmarshalBinary rejects any parameter tag it does not know,
// so one vendor parameter makes the whole DATA undecodable. Workaround:
// our DATA decoder skips unknown parameters.
func TestGoM3UAFaultDataRejectsUnknownTag(t *testing.T) {
	m := unknownTagData(t)
	if _, err := messages.ParseData(m); err == nil {
		t.Fatal("go-m3ua now accepts unknown parameter tags in DATA: fault fixed upstream")
	}
	var d DataMsg
	if err := DecodeData(m, FormRFC, LabelITU, &d); err != nil {
		t.Fatalf("our decoder: %v", err)
	}
}

// Fault: parsed payloads alias the input buffer; reusing the buffer
// changes a message already parsed. (Ours alias too, by design, and say
// so: Indication is valid only during HandleData.)
func TestGoM3UAFaultPayloadAliasesInput(t *testing.T) {
	pd := samplePD()
	b, _ := messages.NewData(nil, nil, params.NewProtocolData(pd.OPC, pd.DPC, pd.SI, pd.NI, pd.MP, pd.SLS, pd.Payload), nil).MarshalBinary()
	d, err := messages.ParseData(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.ProtocolData.ProtocolData()
	if err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), p.Data...)
	for i := range b {
		b[i] = 0xee
	}
	if bytes.Equal(p.Data, before) {
		t.Fatal("go-m3ua payload no longer aliases the input: fault fixed upstream")
	}
}

// Fault: Param.MarshalTo does not check the buffer length and panics on a
// short buffer. Workaround: we only call MarshalBinary (self-sized) and
// encode DATA ourselves.
func TestGoM3UAFaultParamMarshalToNoLengthCheck(t *testing.T) {
	p := params.NewHeartbeatData([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	panicked := func() (r bool) {
		defer func() { r = recover() != nil }()
		_ = p.MarshalTo(make([]byte, 4))
		return false
	}()
	if !panicked {
		t.Fatal("go-m3ua Param.MarshalTo no longer panics on a short buffer: fault fixed upstream")
	}
}

// Fault: Param.RoutingContext() indexes the decoded list without a length
// check and panics on an empty or odd-sized Routing Context. Workaround:
// we walk parameters ourselves (parseCtrl) and answer ERR.
func TestGoM3UAFaultRoutingContextPanics(t *testing.T) {
	p := &params.Param{Tag: params.RoutingContext, Length: 6, Data: []byte{0, 1}}
	panicked := func() (r bool) {
		defer func() { r = recover() != nil }()
		_ = p.RoutingContext()
		return false
	}()
	if !panicked {
		t.Fatal("go-m3ua RoutingContext() no longer panics on a 2-byte value: fault fixed upstream")
	}
	m := []byte{1, 0, ClassASPTM, TypeASPAC, 0, 0, 0, 16, 0, 6, 0, 6, 0, 1, 0, 0}
	h, err := ParseHeader(m)
	if err != nil {
		t.Fatal(err)
	}
	var c ctrlMsg
	if err := parseCtrl(m, h, &c); err == nil {
		t.Fatal("parseCtrl accepted a 2-byte routing context")
	}
}

// Fault: messages.Parse combines class and type as uint8(class<<4|type),
// so class 17 type 1 (no such class) is taken for DATA. Workaround: we
// dispatch on class and type separately.
func TestGoM3UAFaultClassTypeAliasing(t *testing.T) {
	pd := samplePD()
	b, _ := messages.NewData(nil, nil, params.NewProtocolData(pd.OPC, pd.DPC, pd.SI, pd.NI, pd.MP, pd.SLS, pd.Payload), nil).MarshalBinary()
	b[2] = 17
	m, err := messages.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*messages.Data); !ok {
		t.Fatalf("go-m3ua now parses class 17 as %T: fault fixed upstream", m)
	}
	if MessageName(17, 1) != "UNKNOWN" {
		t.Fatal("our name table aliases class 17")
	}
}

// Fault: Header.UnmarshalBinary ignores the Length field and takes the
// whole buffer as payload. Workaround: ParseHeader checks the length.
func TestGoM3UAFaultHeaderIgnoresLength(t *testing.T) {
	b := EncodeBEAT([]byte{1, 2, 3, 4})
	binary.BigEndian.PutUint32(b[4:], 8) // claims no payload
	h, err := messages.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Payload) != len(b)-8 {
		t.Fatal("go-m3ua header now honours the length field: fault fixed upstream")
	}
	if _, err := ParseHeader(b); err == nil {
		t.Fatal("our ParseHeader accepted a wrong length")
	}
}

// Not a bug but the reason for our DATA fast path: go-m3ua allocates per
// decoded and per encoded DATA message.
func TestGoM3UADataAllocates(t *testing.T) {
	pd := samplePD()
	ref := messages.NewData(nil, params.NewRoutingContext(1), params.NewProtocolData(pd.OPC, pd.DPC, pd.SI, pd.NI, pd.MP, pd.SLS, pd.Payload), nil)
	b, _ := ref.MarshalBinary()
	dec := testing.AllocsPerRun(100, func() {
		d, err := messages.ParseData(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ProtocolData.ProtocolData(); err != nil {
			t.Fatal(err)
		}
	})
	out := make([]byte, len(b))
	enc := testing.AllocsPerRun(100, func() { _ = ref.MarshalTo(out) })
	if dec == 0 || enc == 0 {
		t.Fatalf("go-m3ua DATA now allocation-free (decode %v, encode %v): the fast path may be dropped", dec, enc)
	}
	t.Logf("go-m3ua DATA: decode %v allocs, encode %v allocs per message", dec, enc)
}
