package sccp

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	gosccp "github.com/wmnsk/go-sccp"
)

func gtAddr(pc uint32, ssn uint8, digits string) *Address {
	a := &Address{HasPC: pc != 0, PC: pc, HasSSN: ssn != 0, SSN: ssn, GTI: 4, TT: 0, NP: 1, NAI: 4}
	a.SetDigits(digits)
	return a
}

func TestUDTWithGTThroughLibrary(t *testing.T) {
	cd := gtAddr(0, 6, "4912345678")     // HLR, route on GT
	cg := gtAddr(0x1234, 8, "491700000") // MSC, odd digits
	cg.RouteOnSSN = true
	b := AppendUDT(nil, 0, true, cd, cg, []byte{0xde, 0xad}, false)

	var d Decoder
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.By != "go-sccp" {
		t.Errorf("decoded by %q, want go-sccp", m.By)
	}
	checkUDT(t, &m)
	// Our own parser agrees field by field.
	var o Message
	if err := Parse(b, false, &o); err != nil {
		t.Fatal(err)
	}
	o.By = m.By
	if o.String() != m.String() || string(o.Called.Digits()) != string(m.Called.Digits()) {
		t.Errorf("parsers disagree:\n lib %s\n own %s", m.String(), o.String())
	}
	if s := d.Stats(); s.Decoded != 1 || s.ByLibrary != 1 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func checkUDT(t *testing.T, m *Message) {
	t.Helper()
	if m.Type != UDT || !m.HasClass || m.Class != 0 || !m.ReturnOnError {
		t.Errorf("type/class: %s class=%d roe=%v", m.Type, m.Class, m.ReturnOnError)
	}
	if a := m.Called; !a.Present || a.HasPC || !a.HasSSN || a.SSN != 6 || a.GTI != 4 || a.TT != 0 || a.NP != 1 || a.NAI != 4 || a.ES != 2 || string(a.Digits()) != "4912345678" || a.RouteOnSSN {
		t.Errorf("called %+v %q", a, a.Digits())
	}
	if a := m.Calling; !a.HasPC || a.PC != 0x1234 || a.SSN != 8 || a.ES != 1 || string(a.Digits()) != "491700000" || !a.RouteOnSSN {
		t.Errorf("calling %+v %q", a, a.Digits())
	}
	if string(m.Data) != "\xde\xad" {
		t.Errorf("data % x", m.Data)
	}
}

// Upstream fault 1: go-sccp reads the signalling point code of a party
// address big-endian. When this test fails, go-sccp fixed it: drop the
// correction in convAddr (detectPCSwap keeps us right meanwhile).
func TestUpstreamFaultPointCodeByteOrder(t *testing.T) {
	cd := &Address{HasPC: true, PC: 0x0102, HasSSN: true, SSN: 6, RouteOnSSN: true}
	b := AppendUDT(nil, 0, false, cd, cd, []byte{1}, false)
	u, err := gosccp.ParseUDT(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.CalledPartyAddress.SignalingPointCode; got != 0x0201 {
		t.Errorf("go-sccp now reads PC %#04x (fault fixed upstream?); want the known-wrong 0x0201", got)
	}
	if !libPCSwapped {
		t.Error("detectPCSwap did not detect the swap")
	}
	var d Decoder
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.By != "go-sccp" || m.Called.PC != 0x0102 || m.Calling.PC != 0x0102 {
		t.Errorf("corrected PC: by %s called %#x calling %#x, want 0x102", m.By, m.Called.PC, m.Calling.PC)
	}
}

// Upstream fault 2: an address holding only a point code fails with
// unexpected EOF in go-sccp; our parser decodes it.
func TestUpstreamFaultPointCodeOnlyAddress(t *testing.T) {
	pcOnly := &Address{HasPC: true, PC: 2001, RouteOnSSN: true}
	cg := &Address{HasPC: true, PC: 2002, HasSSN: true, SSN: 3, RouteOnSSN: true}
	b := AppendUDT(nil, 1, false, pcOnly, cg, []byte{9, 9}, false)
	if _, err := gosccp.ParseMessage(b); err == nil {
		t.Error("go-sccp now decodes a point-code-only address (fault fixed upstream?)")
	}
	var d Decoder
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.By != "tdmtap" || !m.Called.HasPC || m.Called.PC != 2001 || m.Called.HasSSN || m.Calling.PC != 2002 || m.Calling.SSN != 3 || m.Class != 1 {
		t.Errorf("fallback decode: %s", m.String())
	}
	if s := d.Stats(); s.Fallback != 1 || s.LibraryError != 1 || s.Decoded != 1 {
		t.Errorf("stats %+v", s)
	}
}

// crafted XUDT: an optional Data parameter makes go-sccp's optional-part
// walk run past the end of the slice.
func craftedXUDT() []byte {
	cd := gtAddr(0, 6, "4912345678")
	cg := gtAddr(0, 8, "4917")
	return AppendXUDT(nil, 0, 15, cd, cg, []byte{1, 2, 3}, []byte{0x0f, 0x02, 0xaa, 0xbb, 0x00}, false)
}

// Upstream fault 3: go-sccp's ParseMessage panics on a crafted XUDT.
func TestUpstreamFaultXUDTPanic(t *testing.T) {
	b := craftedXUDT()
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		_, _ = gosccp.ParseMessage(b)
		return false
	}()
	if !panicked {
		t.Error("go-sccp no longer panics on the crafted XUDT (fault fixed upstream?)")
	}
	var d Decoder
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != XUDT || m.HopCounter != 15 || string(m.Called.Digits()) != "4912345678" || m.By != "tdmtap" {
		t.Errorf("fallback: %s", m.String())
	}
	// The guard keeps optional parts go-sccp cannot walk away from it.
	if s := d.Stats(); s.ByLibrary != 0 || s.Fallback != 1 {
		t.Errorf("stats %+v", s)
	}
	// The recover still catches it when called directly.
	var lm Message
	if err := libDecode(b, &lm); !errors.Is(err, ErrLibraryPanic) {
		t.Errorf("libDecode on crafted XUDT: %v, want ErrLibraryPanic", err)
	}
}

func TestXUDTSegmentationThroughLibrary(t *testing.T) {
	cd := gtAddr(0, 6, "12345")
	cg := gtAddr(0, 7, "6789")
	opt := []byte{0x10, 0x04, 0x81, 0x11, 0x22, 0x33, 0x12, 0x01, 0x05, 0x00}
	b := AppendXUDT(nil, 1, 10, cd, cg, []byte("hello"), opt, false)
	var d Decoder
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	var o Message
	if err := Parse(b, false, &o); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*Message{&m, &o} {
		if !x.HasSegmentation || !x.FirstSegment || x.RemainingSegments != 1 || x.SegmentationRef != 0x332211 || !x.HasImportance || x.Importance != 5 || string(x.Data) != "hello" || string(x.Called.Digits()) != "12345" {
			t.Errorf("%s: seg=%v first=%v rem=%d ref=%#x imp=%d data=%q", x.By, x.HasSegmentation, x.FirstSegment, x.RemainingSegments, x.SegmentationRef, x.Importance, x.Data)
		}
	}
}

func TestOtherTypesOwnParser(t *testing.T) {
	var d Decoder
	var m Message
	cd := gtAddr(0, 6, "123")
	cdv := AppendAddress(nil, cd, false)
	// CR: SLR, class 2, ptr CdPA, ptr opt (none)
	cr := append([]byte{byte(CR), 0x01, 0x02, 0x03, 0x02, 0x02, 0x00}, cdv...)
	if err := d.Decode(cr, &m); err != nil || m.Type != CR || m.SLR != 0x030201 || m.Class != 2 || string(m.Called.Digits()) != "123" {
		t.Errorf("CR: %v %s", err, m.String())
	}
	// RLSD: DLR, SLR, cause 3, ptr opt 0
	rlsd := []byte{byte(RLSD), 1, 0, 0, 2, 0, 0, 3, 0}
	if err := d.Decode(rlsd, &m); err != nil || m.DLR != 1 || m.SLR != 2 || !m.HasCause || m.Cause != 3 {
		t.Errorf("RLSD: %v %s", err, m.String())
	}
	// DT1: DLR, seg, ptr data
	dt1 := []byte{byte(DT1), 5, 0, 0, 0, 1, 2, 0xaa, 0xbb}
	if err := d.Decode(dt1, &m); err != nil || string(m.Data) != "\xaa\xbb" {
		t.Errorf("DT1: %v %s", err, m.String())
	}
	// UDTS: return cause 1, then like UDT
	udt := AppendUDT(nil, 0, false, cd, cd, []byte{7}, false)
	udts := append([]byte{}, udt...)
	udts[0], udts[1] = byte(UDTS), 1
	if err := d.Decode(udts, &m); err != nil || m.Type != UDTS || m.Cause != 1 || string(m.Data) != "\x07" {
		t.Errorf("UDTS: %v %s", err, m.String())
	}
	// LUDT: class, hop, 4 two-octet pointers, CdPA, CgPA, long data (2-octet length)
	ludt := []byte{byte(LUDT), 0, 9, 8, 0, 0, 0, 0, 0, 0, 0}
	ptr := func(at int) { p := len(ludt) - at; ludt[at], ludt[at+1] = byte(p), byte(p>>8) }
	ptr(3)
	ludt = append(ludt, cdv...)
	ptr(5)
	ludt = append(ludt, cdv...)
	ptr(7)
	ludt = append(ludt, 3, 0, 'a', 'b', 'c')
	if err := d.Decode(ludt, &m); err != nil || m.Type != LUDT || m.HopCounter != 9 || string(m.Data) != "abc" || string(m.Calling.Digits()) != "123" {
		t.Errorf("LUDT: %v %s", err, m.String())
	}
	// none of these is UDT/XUDT: all decoded by our own parser
	if s := d.Stats(); s.Decoded != 5 || s.Fallback != 5 || s.ByLibrary != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestANSIAddress(t *testing.T) {
	cd := &Address{HasSSN: true, SSN: 254, HasPC: true, PC: 0x010203, GTI: 2, TT: 9, RouteOnSSN: false}
	cd.SetDigits("2125551234")
	cg := &Address{HasSSN: true, SSN: 11, GTI: 1, TT: 0, NP: 1}
	cg.SetDigits("212")
	b := AppendUDT(nil, 0, false, cd, cg, []byte{1}, true)
	// wire form: SSN before a 3-octet PC, indicator bit 2 = PC
	if b[6] != 0x8b || b[7] != 254 || b[8] != 3 || b[9] != 2 || b[10] != 1 {
		t.Errorf("ANSI address wire form % x", b[5:12])
	}
	d := Decoder{ANSI: true}
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.By != "tdmtap" || m.Called.PC != 0x010203 || m.Called.SSN != 254 || m.Called.TT != 9 || string(m.Called.Digits()) != "2125551234" {
		t.Errorf("called %s", m.Called.String())
	}
	if m.Calling.HasPC || m.Calling.SSN != 11 || m.Calling.NP != 1 || m.Calling.ES != 1 || string(m.Calling.Digits()) != "212" {
		t.Errorf("calling %s", m.Calling.String())
	}
}

func TestMalformedCounted(t *testing.T) {
	good := AppendUDT(nil, 0, false, gtAddr(0, 6, "1234"), gtAddr(0, 7, "5678"), []byte{1, 2, 3}, false)
	var d Decoder
	var m Message
	fails := 0
	for n := 0; n < len(good); n++ {
		if err := d.Decode(good[:n], &m); err == nil {
			t.Errorf("truncated to %d decoded: %s", n, m.String())
		} else {
			fails++
		}
	}
	bad := append([]byte{}, good...)
	bad[2] = 200 // pointer out of range
	if err := d.Decode(bad, &m); !errors.Is(err, ErrPointer) {
		t.Errorf("bad pointer: %v", err)
	}
	fails++
	if err := d.Decode([]byte{0x42, 1, 2}, &m); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: %v", err)
	}
	fails++
	if s := d.Stats(); s.Failed != uint64(fails) || s.Decoded != 0 {
		t.Errorf("stats %+v, want %d failed", s, fails)
	}
}

func TestRegisterCounters(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	var d Decoder
	if err := d.Register(reg, prometheus.Labels{"link": "a"}); err != nil {
		t.Fatal(err)
	}
	var m Message
	_ = d.Decode([]byte{0x09}, &m)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tdmtap_sccp_failed_total SCCP messages that could not be decoded.
# TYPE tdmtap_sccp_failed_total counter
tdmtap_sccp_failed_total{link="a"} 1
`), "tdmtap_sccp_failed_total"); err != nil {
		t.Error(err)
	}
}

func TestMsgTypeString(t *testing.T) {
	if UDT.String() != "UDT" || XUDTS.String() != "XUDTS" || MsgType(0x99).String() != "SCCP(0x99)" {
		t.Error(UDT.String(), XUDTS.String(), MsgType(0x99).String())
	}
}

// go-sccp v0.0.5 loops forever on an XUDT whose optional part ends in a
// short Credit parameter (its reader returns 0 octets consumed and no
// error). A recover cannot stop that, so the guard must keep it away; if
// this test hangs, the guard is broken.
func TestXUDTShortCreditNotHandedToLibrary(t *testing.T) {
	b := AppendXUDT(nil, 0, 3, gtAddr(0, 6, "1"), gtAddr(0, 7, "2"), []byte{1}, []byte{0x09, 0x00}, false)
	if libSafe(b) {
		t.Fatal("guard would hand a short Credit parameter to go-sccp")
	}
	var d Decoder
	var m Message
	if err := d.Decode(b, &m); err != nil || m.By != "tdmtap" || m.Type != XUDT {
		t.Errorf("%v %s by %s", err, m.String(), m.By)
	}
}

// In an ANSI network an address with the national indicator clear is coded
// to the international (ITU) standard.
func TestANSIDecoderInternationalAddress(t *testing.T) {
	itu := gtAddr(0x1234, 8, "4917")
	b := AppendUDT(nil, 0, false, itu, itu, []byte{1}, false)
	d := Decoder{ANSI: true}
	var m Message
	if err := d.Decode(b, &m); err != nil {
		t.Fatal(err)
	}
	if a := m.Called; a.National || a.PC != 0x1234 || a.SSN != 8 || a.GTI != 4 || string(a.Digits()) != "4917" {
		t.Errorf("international address in ANSI mode: %s", a.String())
	}
}
