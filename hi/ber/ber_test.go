package ber

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseForms(t *testing.T) {
	cases := []struct {
		in          string
		class       Class
		cons        bool
		tag         uint32
		value       string
		rawLen      int
		indefinite  bool
		wantErr     error
		description string
	}{
		{"0403616263", ClassUniversal, false, 4, "616263", 5, false, nil, "short form"},
		{"048103616263", ClassUniversal, false, 4, "616263", 6, false, nil, "non-minimal long form"},
		{"04840000000161", ClassUniversal, false, 4, "61", 7, false, nil, "4-octet length"},
		{"9f817f0100", ClassContext, false, 255, "00", 5, false, nil, "high tag number 255"},
		{"bf8d0003800100", ClassContext, true, 1664, "800100", 7, false, nil, "high tag, constructed"},
		{"30800401610000", ClassUniversal, true, 16, "040161", 7, true, nil, "indefinite"},
		{"3080a0808001000000" + "0000", ClassUniversal, true, 16, "a08080010000" + "00", 11, true, nil, "nested indefinite"},
		{"0480", 0, false, 0, "", 0, false, ErrSyntax, "primitive indefinite"},
		{"0403616", 0, false, 0, "", 0, false, nil, "odd hex (skip)"},
		{"040361", 0, false, 0, "", 0, false, ErrShort, "short contents"},
		{"3080040161", 0, false, 0, "", 0, false, ErrShort, "missing EOC"},
		{"04ff", 0, false, 0, "", 0, false, ErrSyntax, "reserved length"},
		{"0485ff00000000", 0, false, 0, "", 0, false, ErrSyntax, "length too big"},
		{"1f", 0, false, 0, "", 0, false, ErrShort, "truncated tag"},
		{"1f8080808001", 0, false, 0, "", 0, false, ErrSyntax, "tag too long"},
	}
	for _, c := range cases {
		if len(c.in)%2 != 0 {
			continue
		}
		tlv, rest, err := Parse(h(c.in))
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("%s: err %v want %v", c.description, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.description, err)
			continue
		}
		if tlv.Class != c.class || tlv.Constructed != c.cons || tlv.Tag != c.tag || hex.EncodeToString(tlv.Value) != c.value || len(tlv.Raw) != c.rawLen || tlv.Indefinite != c.indefinite || len(rest) != 0 {
			t.Errorf("%s: got %+v rest %x", c.description, tlv, rest)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	var b []byte
	for range MaxDepth + 5 {
		b = append(b, 0x30, 0x80)
	}
	for range MaxDepth + 5 {
		b = append(b, 0, 0)
	}
	if _, _, err := Parse(b); !errors.Is(err, ErrDepth) {
		t.Fatalf("err %v", err)
	}
}

func TestValues(t *testing.T) {
	if v, err := Uint(h("00ffffffff")); err != nil || v != 1<<32-1 {
		t.Fatal(v, err)
	}
	if _, err := Uint(h("80")); err == nil {
		t.Fatal("negative accepted as Uint")
	}
	if v, err := Int(h("ff7f")); err != nil || v != -129 {
		t.Fatal(v, err)
	}
	if s, err := AppendOID(nil, h("04000202050128")); err != nil || string(s) != "0.4.0.2.2.5.1.40" {
		t.Fatal(string(s), err)
	}
	if s, err := AppendOID(nil, h("2a864886f70d")); err != nil || string(s) != "1.2.840.113549" {
		t.Fatal(string(s), err)
	}
	if s, err := AppendRelativeOID(nil, h("05060601")); err != nil || string(s) != "5.6.6.1" {
		t.Fatal(string(s), err)
	}
	tests := map[string]time.Time{
		"20261126010203.456Z":    time.Date(2026, 11, 26, 1, 2, 3, 456e6, time.UTC),
		"20261126010203Z":        time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC),
		"20261126010203":         time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC),
		"20261126030203.5+0200":  time.Date(2026, 11, 26, 1, 2, 3, 5e8, time.UTC),
		"202611260102Z":          time.Date(2026, 11, 26, 1, 2, 0, 0, time.UTC),
		"20261126010203,123456Z": time.Date(2026, 11, 26, 1, 2, 3, 123456000, time.UTC),
	}
	for in, want := range tests {
		got, err := GeneralizedTime([]byte(in))
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "2026", "20261326010203Z", "20261126010203Q", "20261126010203."} {
		if _, err := GeneralizedTime([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// constructed OCTET STRING, indefinite, two segments "abc" "d"
	tlv, _, err := Parse(h("248004036162630401640000"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := AppendOctets(nil, &tlv)
	if err != nil || string(o) != "abcd" {
		t.Fatal(string(o), err)
	}
}

func TestEncoder(t *testing.T) {
	var e Encoder
	buf := make([]byte, 0, 1024)
	e.Reset(buf)
	e.Open(ClassUniversal, 16)
	e.Uint(0, 0)
	e.Uint(1, 127)
	e.Uint(2, 128)
	e.Uint(3, 1<<32-1)
	e.Open(ClassContext, 255)
	e.Octets(1, []byte("DE"))
	e.Close()
	e.Null(3)
	e.Close()
	want := h("301b" + // 27 octets
		"800100" + "81017f" + "82020080" + "830500ffffffff" + "bf817f04" + "81024445" + "8300")
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("\n got %x\nwant %x", e.Bytes(), want)
	}
	// Long form lengths: 200 and 70000 octets of contents, nested.
	for _, n := range []int{127, 128, 200, 255, 256, 70000} {
		e.Reset(buf[:0])
		e.Open(ClassUniversal, 16)
		e.Open(ClassContext, 1)
		e.Octets(2, make([]byte, n))
		e.Close()
		e.Close()
		top, rest, err := Parse(e.Bytes())
		if err != nil || len(rest) != 0 {
			t.Fatalf("n=%d: %v", n, err)
		}
		r := top.Children()
		var a, b TLV
		if !r.Next(&a) || !a.IsContext(1) {
			t.Fatalf("n=%d: outer", n)
		}
		r2 := a.Children()
		if !r2.Next(&b) || !b.IsContext(2) || len(b.Value) != n {
			t.Fatalf("n=%d: inner %v", n, b)
		}
		// minimal lengths
		if n >= 128 && e.Bytes()[1]&0x80 == 0 {
			t.Fatalf("n=%d: short form used", n)
		}
	}
	if got := AppendGeneralizedTime(nil, time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), true); string(got) != "20260102030405.006Z" {
		t.Fatal(string(got))
	}
	cet := time.Date(2026, 11, 26, 2, 3, 4, 987654321, time.FixedZone("CET", 3600))
	if got := AppendGeneralizedTime([]byte("x"), cet, false); string(got) != "x20261126010304Z" {
		t.Fatal(string(got))
	}
	if got := AppendLocalGeneralizedTime(nil, cet); string(got) != "20261126020304.987" {
		t.Fatal(string(got))
	}
}

func BenchmarkEncoderNested(b *testing.B) {
	var e Encoder
	buf := make([]byte, 0, 512)
	payload := make([]byte, 172)
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(buf[:0])
		e.Open(ClassUniversal, 16)
		e.OpenCtx(1)
		e.Uint(0, 12345)
		e.Close()
		e.OpenCtx(2)
		e.OpenCtx(1)
		e.OpenCtx(12)
		e.Octets(1, payload)
		e.Close()
		e.Close()
		e.Close()
		e.Close()
		buf = e.Bytes()
	}
}

// BenchmarkCryptobyteNested encodes the same structure with cryptobyte's
// fixed Builder over a reused buffer, to show why the hot path does not use
// it: it allocates per nested element.
func BenchmarkCryptobyteNested(b *testing.B) {
	buf := make([]byte, 0, 512)
	payload := make([]byte, 172)
	b.ReportAllocs()
	for b.Loop() {
		bld := cryptobyte.NewFixedBuilder(buf[:0])
		bld.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1Int64WithTag(12345, cbasn1.Tag(0).ContextSpecific())
			})
			b.AddASN1(cbasn1.Tag(2).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(12).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
						b.AddASN1OctetString(payload)
					})
				})
			})
		})
		out, err := bld.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}
