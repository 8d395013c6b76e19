package mtp3

import (
	"bytes"
	"testing"
)

func TestLabelITU(t *testing.T) {
	// DPC 1 (0x0001), OPC 2, SLS 5: x = 1 | 2<<14 | 5<<28 = 0x50008001.
	l := Label{DPC: 1, OPC: 2, SLS: 5}
	b := l.Append(ITU, nil)
	if want := []byte{0x01, 0x80, 0x00, 0x50}; !bytes.Equal(b, want) {
		t.Fatalf("ITU label % x, want % x", b, want)
	}
	got, err := DecodeLabel(ITU, b)
	if err != nil || got != l {
		t.Fatalf("decode %+v %v", got, err)
	}
}

func TestLabelANSI(t *testing.T) {
	l := Label{DPC: 0x010203, OPC: 0x040506, SLS: 0x1F}
	b := l.Append(ANSI, nil)
	if want := []byte{3, 2, 1, 6, 5, 4, 0x1F}; !bytes.Equal(b, want) {
		t.Fatalf("ANSI label % x, want % x", b, want)
	}
	got, err := DecodeLabel(ANSI, b)
	if err != nil || got != l {
		t.Fatalf("decode %+v %v", got, err)
	}
	if _, err := DecodeLabel(ANSI, b[:6]); err != ErrTruncated {
		t.Fatalf("short label: %v", err)
	}
}

func TestMSU(t *testing.T) {
	sio := MakeSIO(SIISUP, 2, 1)
	if sio != 0x95 || sio.SI() != 5 || sio.NI() != 2 || sio.Priority() != 1 {
		t.Fatalf("sio %#x", sio)
	}
	b := AppendMSU(ITU, nil, sio, Label{DPC: 100, OPC: 200, SLS: 3}, []byte{9, 9})
	s, l, p, err := DecodeMSU(ITU, b)
	if err != nil || s != sio || l.DPC != 100 || l.OPC != 200 || l.SLS != 3 || !bytes.Equal(p, []byte{9, 9}) {
		t.Fatalf("msu %v %+v % x %v", s, l, p, err)
	}
	if FormatPC(ITU, 0x3FFF) != "7-255-7" || FormatPC(ANSI, 0x010203) != "1-2-3" {
		t.Fatal("FormatPC")
	}
}
