package bridge

import (
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

// TestTsharkBridgeIRI: the IRI of an intercepted call, as the bridge produced
// it, decodes in tshark's HI2Operations dissector (TS 101 671) with the
// record types, direction, states, parties (ISUP-format numbers), cause and
// durations expected, and nothing malformed.
func TestTsharkBridgeIRI(t *testing.T) {
	tsharktest.Require(t)
	e := newEnv(t)
	m := iam(5, other, tgt1)
	m.OriginalCalled = num(isup.POriginalCalledNumber, other2)
	e.send(0, pcA, m)
	e.send(2*time.Second, pcB, msg(isup.ACM, 5))
	e.send(5*time.Second, pcB, msg(isup.ANM, 5))
	e.send(83*time.Second, pcA, rel(5, 16))
	var payloads [][]byte
	var cin uint32
	for _, p := range e.decoded() {
		if p.hi == 2 && p.iri.Params != nil {
			payloads = append(payloads, hi2.AppendIRIsContent(nil, p.iri.Type, p.iri.ParamsRaw))
			cin = p.p.Header.CIN
		}
	}
	path := filepath.Join(t.TempDir(), "bridge-hi2.pcap")
	if err := tsharktest.WriteExportPDUPcap(path, "HI2Operations", payloads); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, path, nil,
		"HI2Operations.iRIContent", "HI2Operations.lawfulInterceptionIdentifier", "HI2Operations.communication_Identity_Number",
		"HI2Operations.intercepted_Call_Direct", "HI2Operations.intercepted_Call_State", "HI2Operations.party_Qualifier",
		"HI2Operations.iSUP_Format", "HI2Operations.ISUP_parameters_item",
		"HI2Operations.release_Reason_Of_Intercepted_Call", "HI2Operations.ringingDuration", "HI2Operations.conversationDuration",
		"_ws.malformed", "_ws.expert")
	hx := func(s string) string { return hex.EncodeToString([]byte(s)) }
	liid, cinHex := hx("LIID-ONE"), hx(itoa(cin))
	var ocn isup.Number = num(isup.POriginalCalledNumber, other2)
	ocnParam := "28" + hex.EncodeToString([]byte{byte(len(ocn.AppendParam(nil)))}) + hex.EncodeToString(ocn.AppendParam(nil))
	isupHex := func(code isup.ParamCode, d string) string {
		n := num(code, d)
		return hex.EncodeToString(n.AppendParam(nil))
	}
	calling, called := isupHex(isup.PCallingPartyNumber, tgt1), isupHex(isup.PCalledPartyNumber, other)
	want := [][]string{
		{"1", liid, cinHex, "1", "2", "0,1", calling + "," + called, ocnParam, "", "", "", "", ""},
		{"3", liid, cinHex, "1", "2", "", "", "", "", "", "", "", ""},
		{"3", liid, cinHex, "1", "3", "1", called, ocnParam, "", "", "", "", ""},
		{"2", liid, cinHex, "1", "1", "0", calling, "12028290", "8290", "000005", "000123", "", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	for i, r := range rows {
		for len(r) < len(want[i]) {
			r = append(r, "")
		}
		for j := range want[i] {
			if r[j] != want[i][j] {
				t.Errorf("IRI %d field %d: tshark %q, want %q\nrow %q", i, j, r[j], want[i][j], r)
			}
		}
	}
}

func itoa(v uint32) string { return string(hi2.CINDigits(nil, v)) }
