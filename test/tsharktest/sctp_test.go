package tsharktest

import (
	"path/filepath"
	"testing"
)

func TestWriteSCTPPcap(t *testing.T) {
	Require(t)
	path := filepath.Join(t.TempDir(), "sctp.pcap")
	// An M3UA BEAT (class 3, type 3) with 4 bytes of heartbeat data.
	beat := []byte{1, 0, 3, 3, 0, 0, 0, 16, 0, 9, 0, 8, 0xde, 0xad, 0xbe, 0xef}
	pkts := []SCTPPacket{
		{Stream: 0, PPID: 3, Data: beat},
		{Stream: 5, PPID: 3, Data: beat[:15]}, // odd length: chunk padding
	}
	if err := WriteSCTPPcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	rows := Fields(t, path, []string{"-o", "sctp.checksum:CRC-32C"},
		"sctp.checksum.status", "sctp.data_sid", "sctp.data_payload_proto_id", "m3ua.message_class", "m3ua.message_type", "_ws.malformed")
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2: %q", len(rows), rows)
	}
	for i, want := range []string{"0x0000", "0x0005"} {
		r := rows[i]
		if r[0] != "1" { // 1 = good
			t.Errorf("packet %d: checksum status %q, want good (1)", i, r[0])
		}
		if r[1] != want || r[2] != "3" {
			t.Errorf("packet %d: stream %q ppid %q, want %s/3", i, r[1], r[2], want)
		}
	}
	if r := rows[0]; r[3] != "3" || r[4] != "3" || r[5] != "" {
		t.Errorf("packet 0: m3ua class/type/malformed = %q", r[3:])
	}
}
