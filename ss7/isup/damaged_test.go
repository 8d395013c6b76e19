package isup

import (
	"errors"
	"testing"
)

// A damaged optional part (a length or pointer past the end) does not lose
// the mandatory part or the optional parameters before the damage: the IAM of
// a target must still be tracked.
func TestDamagedOptionalPartKeepsWhatCameBefore(t *testing.T) {
	for _, v := range []Variant{ITU, ANSI} {
		good, err := sample(t, v, IAM, 77).Append(v, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ref Message
		if err := ref.Decode(v, good); err != nil || ref.Damaged != nil {
			t.Fatalf("%v: reference: %v %v", v, err, ref.Damaged)
		}
		// Replace the end-of-optional-parameters octet by a parameter whose
		// length runs past the end.
		bad := append(append([]byte(nil), good[:len(good)-1]...), 0xFE, 0x09, 0x01)
		var m Message
		if err := m.Decode(v, bad); err != nil {
			t.Fatalf("%v: damaged optional part is a hard error: %v", v, err)
		}
		var pe *ParamError
		if !errors.As(m.Damaged, &pe) || pe.Param != 0xFE || !errors.Is(m.Damaged, ErrTruncated) || !m.Partial() {
			t.Fatalf("%v: Damaged = %v", v, m.Damaged)
		}
		if m.Type != IAM || m.CIC != 77 || m.Called.String() != ref.Called.String() ||
			m.Calling.String() != ref.Calling.String() || m.OriginalCalled.String() != ref.OriginalCalled.String() {
			t.Fatalf("%v: kept %v/%q/%q", v, m.Type, m.Called.String(), m.Calling.String())
		}
		// A lone parameter code (no length octet) at the end.
		bad = append(append([]byte(nil), good[:len(good)-1]...), 0xFE)
		if err := m.Decode(v, bad); err != nil || !errors.Is(m.Damaged, ErrTruncated) || m.Calling.String() != ref.Calling.String() {
			t.Fatalf("%v: lone code: %v %v", v, err, m.Damaged)
		}
		// What was kept re-encodes to an undamaged message.
		out, err := m.Append(v, nil)
		if err != nil {
			t.Fatal(err)
		}
		var m2 Message
		if err := m2.Decode(v, out); err != nil || m2.Partial() || m2.Calling.String() != ref.Calling.String() {
			t.Fatalf("%v: re-decode: %v %v", v, err, m2.Damaged)
		}
	}
	// Optional pointer past the end: mandatory part kept.
	var m Message
	in := []byte{0x01, 0x00, byte(ANM), 0x09}
	if err := m.Decode(ITU, in); err != nil || !errors.Is(m.Damaged, ErrBadPointer) || m.Type != ANM || m.CIC != 1 {
		t.Fatalf("optional pointer beyond: %v %v", err, m.Damaged)
	}
	// ANM parameter beyond (was a hard error).
	in = []byte{0x01, 0x00, byte(ANM), 0x01, 0x0A, 0x09, 0x03}
	if err := m.Decode(ITU, in); err != nil || !errors.Is(m.Damaged, ErrTruncated) {
		t.Fatalf("ANM param beyond: %v %v", err, m.Damaged)
	}
	// A good message clears Damaged.
	if err := m.Decode(ITU, []byte{0x01, 0x00, byte(ANM), 0x00}); err != nil || m.Partial() {
		t.Fatalf("good after damaged: %v %v", err, m.Damaged)
	}
}

// Damage to the mandatory part stays a hard error.
func TestDamagedMandatoryPartIsAnError(t *testing.T) {
	good, err := sample(t, ITU, IAM, 5).Append(ITU, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	// The called party number's length (first octet it points at) beyond.
	ptr := 3 + 5 // CIC(2)+type(1)+fixed(5): the called pointer
	bad := append([]byte(nil), good...)
	bad[ptr+int(bad[ptr])] = 0xF0
	if err := m.Decode(ITU, bad); !errors.Is(err, ErrTruncated) {
		t.Fatalf("called length beyond: %v", err)
	}
	if err := m.Decode(ITU, good[:6]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("fixed part short: %v", err)
	}
}

// More unknown optional parameters than MaxRawParams are counted and
// skipped; the typed ones after them still decode.
func TestTooManyRawParamsSkipped(t *testing.T) {
	m0 := sample(t, ITU, IAM, 9)
	called := m0.Called.String()
	calling := m0.Calling.String()
	m0.Calling = Number{}
	good, err := m0.Append(ITU, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Insert MaxRawParams+4 unknown parameters, then the calling number,
	// before end of optional parameters.
	in := append([]byte(nil), good[:len(good)-1]...)
	for i := 0; i < MaxRawParams+4; i++ {
		in = append(in, 0xFE, 0x01, byte(i))
	}
	cm := Number{Present: true, NAI: NAINational, NPI: 1}
	mustDigits(t, &cm, calling)
	in = append(in, byte(PCallingPartyNumber), 0)
	lpos := len(in) - 1
	in = cm.appendAs(PCallingPartyNumber, in)
	in[lpos] = byte(len(in) - lpos - 1)
	in = append(in, 0)
	var m Message
	if err := m.Decode(ITU, in); err != nil {
		t.Fatalf("too many raw params is a hard error: %v", err)
	}
	if m.SkippedParams == 0 || !m.Partial() || m.Damaged != nil {
		t.Fatalf("skipped %d damaged %v", m.SkippedParams, m.Damaged)
	}
	if m.Called.String() != called || m.Calling.String() != calling {
		t.Fatalf("numbers %q %q", m.Called.String(), m.Calling.String())
	}
	if len(m.RawParams()) > MaxRawParams {
		t.Fatalf("%d raw params", len(m.RawParams()))
	}
}

// MalformedParams saturates: 300 malformed optional parameters must not wrap
// the count to a value that reads as a clean message.
func TestMalformedParamsSaturates(t *testing.T) {
	in := []byte{0x01, 0x00, byte(ANM), 0x01}
	for i := 0; i < 300; i++ {
		in = append(in, byte(POptionalBCI), 0x02, 0x01, 0x02) // length must be 1
	}
	in = append(in, 0)
	var m Message
	if err := m.Decode(ITU, in); err != nil {
		t.Fatal(err)
	}
	if m.MalformedParams != 255 || !m.Partial() {
		t.Fatalf("malformed %d skipped %d", m.MalformedParams, m.SkippedParams)
	}
}
