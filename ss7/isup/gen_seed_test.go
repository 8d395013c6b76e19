package isup

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var genSeeds = flag.Bool("genseeds", false, "write the FuzzDecode seed corpus to testdata/fuzz/FuzzDecode")

// TestGenSeeds (re)writes the checked-in seed corpus when run with -genseeds.
func TestGenSeeds(t *testing.T) {
	if !*genSeeds {
		t.Skip("run with -genseeds to rewrite testdata/fuzz/FuzzDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range []Variant{ITU, ANSI} {
		for _, typ := range []MsgType{IAM, SAM, ACM, CPG, ANM, REL, RLC, GRS, CGB, CQR, USR, CVR} {
			if !Supported(v, typ) {
				continue
			}
			p, err := sample(t, v, typ, 0x123).Append(v, nil)
			if err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", p, v == ANSI)
			name := filepath.Join(dir, v.String()+"-"+typ.String())
			if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
