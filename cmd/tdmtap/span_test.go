package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tdmtap/tdmtap/e1"
)

func TestSpanCommandJSON(t *testing.T) {
	fr := e1.NewE1Framer(e1.E1Config{CRC4: true})
	var b []byte
	slots := make([]byte, 32)
	for f := range 3000 {
		if f == 1000 {
			fr.InjectCRCErrors(2)
			fr.ReportFarEndErrors(1)
		}
		slots[7] = byte(f)
		b = fr.AppendFrame(b, slots)
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "span.raw")
	if err := os.WriteFile(rec, b[101:], 0o644); err != nil { // starts mid-frame
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ts7.bin")
	var stdout bytes.Buffer
	root.SetOut(&stdout)
	root.SetArgs([]string{"span", rec, "--framing", "e1-crc4", "--json", "--timeslot", "7", "--out", out})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if rep["crc_errors"] != 2.0 || rep["ebit_errors"] != 1.0 || rep["alignment_losses"] != 0.0 || rep["frames"].(float64) < 2990 {
		t.Fatalf("report %s", stdout.String())
	}
	if a, ok := rep["alarms"].([]any); !ok || len(a) != 0 {
		t.Fatalf("alarms %v", rep["alarms"])
	}
	ts, err := os.ReadFile(out)
	if err != nil || len(ts) < 2990 {
		t.Fatalf("timeslot file %d bytes, %v", len(ts), err)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i] != ts[i-1]+1 {
			t.Fatalf("timeslot 7 octet %d: %d after %d", i, ts[i], ts[i-1])
		}
	}
}
