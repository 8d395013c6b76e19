package m3ua

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tdmtap/tdmtap/test/tsharktest"
)

func writePcap(t *testing.T, name string, msgs [][]byte) string {
	t.Helper()
	var pkts []tsharktest.SCTPPacket
	for i, m := range msgs {
		pkts = append(pkts, tsharktest.SCTPPacket{Stream: uint16(i % 3), PPID: 3, Data: m})
	}
	path := filepath.Join(t.TempDir(), name)
	if err := tsharktest.WriteSCTPPcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTsharkRFCMessages(t *testing.T) {
	tsharktest.Require(t)
	pd := samplePD()
	data, err := AppendData(nil, FormRFC, LabelITU, &DataMsg{HasRC: true, RoutingContext: 100, PD: pd})
	if err != nil {
		t.Fatal(err)
	}
	msgs := [][]byte{
		data,
		EncodeASPUP(1, true),
		EncodeASPUPACK(),
		EncodeASPAC(TrafficOverride, []uint32{100}),
		EncodeASPACACK(TrafficOverride, []uint32{100}),
		EncodeBEAT([]byte{0, 0, 0, 0, 0, 0, 0, 1}),
		EncodeBEATACK([]byte{0, 0, 0, 0, 0, 0, 0, 1}, true),
		EncodeERR(ErrCodeUnsupportedClass, nil, data[:12]),
		EncodeNTFY(StatusASStateChange, ASInactive, []uint32{100}),
		EncodeDAVA(nil, []uint32{1001}),
		EncodeASPIA(nil),
		EncodeASPDN(),
	}
	path := writePcap(t, "rfc.pcap", msgs)
	rows := tsharktest.Fields(t, path, nil,
		"m3ua.message_class", "m3ua.message_type", "m3ua.protocol_data_opc", "m3ua.protocol_data_dpc",
		"m3ua.protocol_data_si", "m3ua.protocol_data_ni", "m3ua.protocol_data_mp", "m3ua.protocol_data_sls",
		"m3ua.routing_context", "m3ua.error_code", "m3ua.status_type", "m3ua.status_info", "m3ua.heartbeat_data",
		"m3ua.traffic_mode_type", "_ws.malformed", "_ws.expert")
	if len(rows) != len(msgs) {
		t.Fatalf("%d rows for %d messages", len(rows), len(msgs))
	}
	for i, r := range rows {
		if r[0] != itoa(msgs[i][2]) || r[1] != itoa(msgs[i][3]) {
			t.Errorf("packet %d: class/type %s/%s, want %d/%d", i, r[0], r[1], msgs[i][2], msgs[i][3])
		}
		if r[14] != "" || r[15] != "" {
			t.Errorf("packet %d: tshark reports malformed/expert: %q %q", i, r[14], r[15])
		}
	}
	want := []string{"1001", "2002", "5", "2", "1", "9", "100"}
	if got := rows[0][2:9]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("DATA protocol data fields %q, want %q", got, want)
	}
	if rows[7][9] != "0x00000003" && rows[7][9] != "3" {
		t.Errorf("ERR code %q", rows[7][9])
	}
	if rows[8][10] != "1" || rows[8][11] != "2" {
		t.Errorf("NTFY status %q/%q", rows[8][10], rows[8][11])
	}
	if rows[3][13] != "1" {
		t.Errorf("ASPAC traffic mode %q", rows[3][13])
	}
	// ISUP inside: tshark must find the IAM and its CIC.
	isup := tsharktest.Fields(t, path, []string{"-Y", "isup"}, "isup.cic", "isup.message_type", "mtp3.opc", "mtp3.dpc")
	if len(isup) != 1 || strings.Join(isup[0], " ") != "564 1 1001 2002" {
		t.Errorf("ISUP in DATA: %q, want CIC 564 IAM 1001->2002", isup)
	}
}

func TestTsharkDraft6Data(t *testing.T) {
	tsharktest.Require(t)
	cases := []struct {
		lf    LabelFormat
		prefs []string
		pd    ProtocolData
	}{
		{LabelITU, nil, ProtocolData{OPC: 1001, DPC: 2002, SI: 5, NI: 2, SLS: 9, Payload: isupIAM}},
		{LabelANSI8, []string{"-o", "mtp3.standard:ANSI", "-o", "mtp3.ansi_5_bit_sls:FALSE"}, ProtocolData{OPC: 0x0a0b0c, DPC: 0x010203, SI: 5, NI: 2, SLS: 200, Payload: isupIAM}},
		{LabelANSI5, []string{"-o", "mtp3.standard:ANSI", "-o", "mtp3.ansi_5_bit_sls:TRUE"}, ProtocolData{OPC: 0x0a0b0c, DPC: 0x010203, SI: 5, NI: 2, MP: 1, SLS: 17, Payload: isupIAM}},
	}
	for _, c := range cases {
		b, err := AppendData(nil, FormDraft6, c.lf, &DataMsg{HasRC: true, RoutingContext: 7, PD: c.pd})
		if err != nil {
			t.Fatal(err)
		}
		path := writePcap(t, "draft.pcap", [][]byte{b})
		prefs := append([]string{"-o", "m3ua.version:Internet Draft version 6"}, c.prefs...)
		rows := tsharktest.Fields(t, path, prefs, "m3ua.message_class", "m3ua.message_type", "mtp3.opc", "mtp3.dpc", "mtp3.sls", "mtp3.service_indicator", "mtp3.network_indicator", "_ws.malformed", "_ws.expert")
		if len(rows) != 1 {
			t.Fatalf("rows %q", rows)
		}
		r := rows[0]
		want := []string{"1", "1", itoa32(c.pd.OPC), itoa32(c.pd.DPC), itoa32(uint32(c.pd.SLS)), "0x05", "0x02", "", ""}
		if strings.Join(r, "|") != strings.Join(want, "|") {
			t.Errorf("label %d: tshark %q, want %q", c.lf, r, want)
		}
	}
}

func itoa(b uint8) string { return itoa32(uint32(b)) }

func itoa32(v uint32) string {
	if v == 0 {
		return "0"
	}
	var s []byte
	for ; v > 0; v /= 10 {
		s = append([]byte{byte('0' + v%10)}, s...)
	}
	return string(s)
}
