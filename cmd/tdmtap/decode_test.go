package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

// TestDecodeCommand runs `tdmtap decode --json --variant ansi FILE` through
// the cobra root: flags reach the decoder, output is JSON lines, the
// summary goes to stderr.
func TestDecodeCommand(t *testing.T) {
	m := &isup.Message{Type: isup.REL, CIC: 9000} // needs the 14-bit ANSI CIC
	m.Cause = isup.Cause{Present: true, Value: isup.CauseUserBusy}
	u, err := m.Append(isup.ANSI, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := m3ua.DataMsg{PD: m3ua.ProtocolData{OPC: 0x010203, DPC: 0x040506, SI: 5, NI: 2, SLS: 9, Payload: u}}
	b, err := m3ua.AppendData(nil, m3ua.FormRFC, m3ua.LabelANSI8, &d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rel.pcap")
	if err := tsharktest.WriteSCTPPcap(path, []tsharktest.SCTPPacket{{PPID: 3, Data: b}}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs([]string{"decode", "--json", "--variant", "ansi", path})
	defer root.SetArgs(nil)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	if rec["cic"] != 9000.0 || rec["msg"] != "REL" || rec["cause"] != 17.0 || rec["opc"] != float64(0x010203) || rec["sls"] != 9.0 {
		t.Errorf("record %v", rec)
	}
	if !strings.Contains(errOut.String(), "1 frames, 1 SS7 messages, 0 errors") {
		t.Errorf("summary %q", errOut.String())
	}
	root.SetArgs([]string{"decode", "--variant", "q931", path})
	if err := root.Execute(); err == nil {
		t.Error("bad --variant accepted")
	}
}
