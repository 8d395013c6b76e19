package tsharktest

import (
	"path/filepath"
	"testing"
)

func TestWriteUDPPcap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "u.pcap")
	if err := WriteUDPPcap(p, []UDPPacket{{DstPort: 4444, Data: []byte("hello")}, {SrcPort: 7, Data: []byte{1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	rows := Fields(t, p, []string{"-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"}, "udp.dstport", "udp.length", "udp.checksum.status", "ip.checksum.status", "_ws.malformed")
	if len(rows) != 2 || rows[0][0] != "4444" || rows[0][1] != "13" || rows[1][1] != "11" {
		t.Fatalf("rows %q", rows)
	}
	for _, r := range rows {
		if r[2] != "1" || r[3] != "1" || (len(r) > 4 && r[4] != "") { // 1 = good
			t.Fatalf("checksum/malformed %q", r)
		}
	}
}
