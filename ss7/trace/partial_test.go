package trace

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

// An IAM whose optional part is damaged after the numbers prints its
// numbers and says what was lost (it printed only an error line).
func TestPartialISUPShowsNumbersAndDamage(t *testing.T) {
	m := &isup.Message{Type: isup.IAM, CIC: 12, Called: number(isup.PCalledPartyNumber, "0301234567"),
		Calling: number(isup.PCallingPartyNumber, "0409876543")}
	p := isupMsg(t, isup.ITU, m)
	p = append(p[:len(p)-1], 0xFE, 0x30, 0x01) // parameter past the end instead of EOP
	path := filepath.Join(t.TempDir(), "partial.pcap")
	if err := tsharktest.WriteSCTPPcap(path, []tsharktest.SCTPPacket{{PPID: 3, Data: data(t, m3ua.FormRFC, m3ua.LabelITU, pcA, pcB, 5, p)}}); err != nil {
		t.Fatal(err)
	}
	out, sum := run(t, path, Options{JSON: true})
	recs := jsonLines(t, out)
	if len(recs) != 1 || sum.Messages != 1 {
		t.Fatalf("%+v\n%s", sum, out)
	}
	r := recs[0]
	if r["msg"] != "IAM" || r["called"] != "0301234567" || r["calling"] != "0409876543" ||
		!strings.Contains(r["error"].(string), "partially decoded") {
		t.Errorf("%s", out)
	}
}
