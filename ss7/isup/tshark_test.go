package isup

import (
	"flag"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tdmtap/tdmtap/test/tsharktest"
	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

// m3uaData wraps an ISUP payload in an RFC 4666 M3UA DATA message.
func m3uaData(t testing.TB, opc, dpc uint32, ni, sls uint8, payload []byte) []byte {
	t.Helper()
	d := messages.NewData(nil, params.NewRoutingContext(1),
		params.NewProtocolData(opc, dpc, 5, ni, 0, sls, payload), nil)
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type tsharkCase struct {
	typ      MsgType
	opc, dpc uint32
	payload  []byte
}

// TestTsharkAllTypes encodes every message type of both variants, wraps
// each in M3UA DATA over SCTP in a pcap, and compares tshark's decode of
// point codes, CIC, message type, digits and cause with ours; tshark must
// report nothing malformed and no error-level expert info.
func TestTsharkAllTypes(t *testing.T) {
	tsharktest.Require(t)
	for _, v := range []Variant{ITU, ANSI} {
		t.Run(v.String(), func(t *testing.T) {
			var cases []tsharkCase
			var pkts []tsharktest.SCTPPacket
			opc, dpc := uint32(1234), uint32(5678)
			if v == ANSI {
				opc, dpc = 0x010203, 0x0A0B0C
			}
			for i, typ := range allTypes(v) {
				cic := uint16(100 + i)
				if v == ANSI {
					cic = 0x2000 + uint16(i) // needs the 14th bit
				}
				m := sample(t, v, typ, cic)
				b, err := m.Append(v, nil)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, tsharkCase{typ, opc, dpc, b})
				pkts = append(pkts, tsharktest.SCTPPacket{PPID: 3, Stream: 1, Data: m3uaData(t, opc, dpc, 2, uint8(i&15), b)})
			}
			file := filepath.Join(t.TempDir(), "isup-"+v.String()+".pcap")
			if err := tsharktest.WriteSCTPPcap(file, pkts); err != nil {
				t.Fatal(err)
			}
			var extra []string
			if v == ANSI {
				extra = []string{"-o", "mtp3.standard:ANSI"}
			}
			fields := []string{"mtp3.opc", "mtp3.dpc", "isup.cic", "isup.message_type",
				"e164.called_party_number.digits", "e164.calling_party_number.digits", "isup.cause_indicator",
				"isup.cause_location", "q931.cause_location", "isup.subsequent_number", "isup.original_called_number", "isup.redirecting",
				"isup.redirection_number", "isup.connected_number", "isup.location_number", "isup.generic_number",
				"isup.charge_number", "isup.jurisdiction", "isup.range_indicator",
				"_ws.malformed", "_ws.expert.severity", "_ws.expert.message"}
			rows := tsharktest.Fields(t, file, extra, fields...)
			if len(rows) != len(cases) {
				t.Fatalf("tshark printed %d rows for %d packets", len(rows), len(cases))
			}
			for i, c := range cases {
				r := rows[i]
				for len(r) < len(fields) {
					r = append(r, "")
				}
				var m Message
				if err := m.Decode(v, c.payload); err != nil {
					t.Fatalf("%v: %v", c.typ, err)
				}
				want := []string{
					strconv.Itoa(int(c.opc)), strconv.Itoa(int(c.dpc)), strconv.Itoa(int(m.CIC)),
					strconv.Itoa(int(m.Type)), tsharkDigits(&m.Called), tsharkDigits(&m.Calling), "", "", "",
					tsharkDigits(&m.Subsequent), tsharkDigits(&m.OriginalCalled), tsharkDigits(&m.Redirecting),
					tsharkDigits(&m.RedirectionNumber), tsharkDigits(&m.Connected), tsharkDigits(&m.Location),
					tsharkDigits(&m.Generic), tsharkDigits(&m.Charge), tsharkDigits(&m.JIP), "",
				}
				if m.Cause.Present {
					want[6] = strconv.Itoa(int(m.Cause.Value))
					// tshark 4.0 names the location field isup.* for ANSI, q931.* for ITU.
					want[7+int(1-v)] = strconv.Itoa(int(m.Cause.Location))
				}
				if m.RangeStatus.Present {
					// tshark shows the number of circuits (range + 1).
					want[18] = strconv.Itoa(m.RangeStatus.Circuits())
				}
				for k, w := range want {
					if r[k] != w {
						t.Errorf("%v %v %s: tshark %q, ours %q", v, c.typ, fields[k], r[k], w)
					}
				}
				if r[19] != "" {
					t.Errorf("%v %v: tshark says malformed: %q", v, c.typ, r)
				}
				if sevErr(r[20]) {
					t.Errorf("%v %v: tshark expert error: %q %q", v, c.typ, r[20], r[21])
				}
			}
		})
	}
}

// tsharkDigits renders digits as tshark's e164 fields do: the address
// including an ST as F.
func tsharkDigits(n *Number) string {
	if !n.Present {
		return ""
	}
	return string(n.Digits())
}

// sevErr reports whether a list of expert severities contains error level.
// tshark prints severities as numbers (error = 0x00800000) in -T fields.
func sevErr(s string) bool {
	for _, x := range strings.Split(s, ",") {
		if x == "" {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(x, "0x"), 0, 32)
		if err != nil {
			// Symbolic rendering.
			if strings.Contains(strings.ToLower(x), "error") {
				return true
			}
			continue
		}
		if n >= 0x00800000 {
			return true
		}
	}
	return false
}

// TestTsharkFlagsBroken is the control for TestTsharkAllTypes: a broken
// message (called party pointer beyond the end) must show up in the fields
// that test relies on, and our decoder must reject it too.
func TestTsharkFlagsBroken(t *testing.T) {
	tsharktest.Require(t)
	bad := []byte{0x01, 0x00, 0x01, 0x00, 0x60, 0x01, 0x0A, 0x00, 0x40, 0x00}
	var m Message
	if err := m.Decode(ITU, bad); err == nil {
		t.Fatal("our decoder accepted a bad pointer")
	}
	file := filepath.Join(t.TempDir(), "bad.pcap")
	if err := tsharktest.WriteSCTPPcap(file, []tsharktest.SCTPPacket{{PPID: 3, Data: m3uaData(t, 1, 2, 2, 0, bad)}}); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, file, nil, "isup.message_type", "_ws.malformed", "_ws.expert.severity")
	t.Logf("tshark row for the broken IAM: %q", rows)
	if len(rows) != 1 || len(rows[0]) < 3 || rows[0][0] != "1" || rows[0][1] == "" && !sevErr(rows[0][2]) {
		t.Fatalf("tshark did not flag the broken IAM: %q", rows)
	}
}

func TestTsharkDump(t *testing.T) {
	if testing.Short() || !*dumpFlag {
		t.Skip("dump only with -dump")
	}
	for _, v := range []Variant{ITU, ANSI} {
		var pkts []tsharktest.SCTPPacket
		for i, typ := range allTypes(v) {
			m := sample(t, v, typ, uint16(i+1))
			b, _ := m.Append(v, nil)
			pkts = append(pkts, tsharktest.SCTPPacket{PPID: 3, Data: m3uaData(t, 1, 2, 2, 0, b)})
		}
		file := "/tmp/h2-" + v.String() + ".pcap"
		if err := tsharktest.WriteSCTPPcap(file, pkts); err != nil {
			t.Fatal(err)
		}
	}
}

var dumpFlag = flag.Bool("dump", false, "write /tmp/h2-*.pcap")

// TestTsharkCauseForms checks two cause encodings not produced by the
// samples: ANSI coding standard with diagnostics, and ITU with a
// recommendation octet (1a). (tshark 4.0 does not know octet 1a in ANSI
// causes; we read it per Q.850 in both variants.)
func TestTsharkCauseForms(t *testing.T) {
	tsharktest.Require(t)
	for _, c := range []struct {
		v  Variant
		in []byte
	}{
		{ANSI, []byte{0x01, 0x20, 0x0C, 0x02, 0x00, 0x03, 0xC3, 0x90, 0x07}},
		{ITU, []byte{0x01, 0x00, 0x0C, 0x02, 0x00, 0x04, 0x04, 0x80, 0x95, 0x81}},
	} {
		var m Message
		if err := m.Decode(c.v, c.in); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "cause.pcap")
		if *dumpFlag {
			file = "/tmp/h2-cause-" + c.v.String() + ".pcap"
		}
		if err := tsharktest.WriteSCTPPcap(file, []tsharktest.SCTPPacket{{PPID: 3, Data: m3uaData(t, 1, 2, 2, 0, c.in)}}); err != nil {
			t.Fatal(err)
		}
		var extra []string
		if c.v == ANSI {
			extra = []string{"-o", "mtp3.standard:ANSI"}
		}
		rows := tsharktest.Fields(t, file, extra, "isup.cic", "isup.cause_indicator", "ansi_isup.cause_indicator", "_ws.malformed")
		if len(rows) != 1 || len(rows[0]) < 3 {
			t.Fatalf("rows %q", rows)
		}
		r := rows[0]
		got := r[1]
		if got == "" {
			got = r[2]
		}
		if r[0] != strconv.Itoa(int(m.CIC)) || got != strconv.Itoa(int(m.Cause.Value)) || len(r) > 3 && r[3] != "" {
			t.Errorf("%v: tshark %q, ours cic %d cause %d", c.v, r, m.CIC, m.Cause.Value)
		}
	}
}
