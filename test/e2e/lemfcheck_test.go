package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// lemfCheckCatches proves that lemf's own ground-truth check ("lemf check"
// on a copy of its output directory) fails when what the LEMF received is
// altered: a record dropped, a content octet flipped, an intercept of a
// non-target added, an IRI type changed; and passes on the output as it is.
func lemfCheckCatches(t *testing.T, lemfBin, dir, truth, cfg string) {
	check := func(d string) (int, string) {
		cmd := exec.Command(lemfBin, "check", "--out", d, "--truth", truth, "--warrants", cfg,
			"--head-tolerance", "0", "--tail-tolerance", strconv.Itoa(TightTail), "--max-loss-fill", "0")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &ee):
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("lemf check: %v", err)
		return 0, ""
	}
	lines := func(b []byte) []string { return strings.Split(strings.TrimRight(string(b), "\n"), "\n") }
	mutate := map[string]func(t *testing.T, d string){
		"unchanged": func(*testing.T, string) {},
		"drop an IRI record": func(t *testing.T, d string) {
			editFile(t, filepath.Join(d, "iri.jsonl"), func(b []byte) []byte {
				ls := lines(b)
				for i, l := range ls {
					if strings.Contains(l, `"type":"CONTINUE"`) && strings.Contains(l, `"contents":"eTSI671IRI"`) {
						ls = append(ls[:i], ls[i+1:]...)
						break
					}
				}
				return []byte(strings.Join(ls, "\n") + "\n")
			})
		},
		"a wrong IRI type": func(t *testing.T, d string) {
			editFile(t, filepath.Join(d, "iri.jsonl"), func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"type":"CONTINUE"`), []byte(`"type":"REPORT"`), 1)
			})
		},
		"an intercept of a non-target": func(t *testing.T, d string) {
			editFile(t, filepath.Join(d, "iri.jsonl"), func(b []byte) []byte {
				first := lines(b)[0]
				i := strings.Index(first, `"cin":`)
				j := i + strings.IndexByte(first[i:], ',')
				return append(b, []byte(first[:i]+`"cin":99999999`+first[j:]+"\n")...)
			})
		},
		"flip a content octet": func(t *testing.T, d string) { flipPcapOctet(t, filepath.Join(d, "cc.pcap"), 5, 100) },
	}
	for name, f := range mutate {
		t.Run(name, func(t *testing.T) {
			d := t.TempDir()
			for _, n := range []string{"iri.jsonl", "cc.pcap", "summary.json"} {
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, n), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f(t, d)
			code, out := check(d)
			want := 1
			if name == "unchanged" {
				want = 0
			}
			if code != want {
				t.Errorf("lemf check exit %d, want %d:\n%s", code, want, tail(out, 20))
			}
			if i := strings.Index(out, "  - "); i >= 0 && want == 1 {
				t.Logf("%s", strings.SplitN(out[i:], "\n", 2)[0])
			}
		})
	}
}

func editFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipPcapOctet rewrites a pcap with one octet of packet n's RTP payload
// (at offset off) changed (never into 0xFF, which counts as loss fill).
func flipPcapOctet(t *testing.T, path string, n, off int) {
	t.Helper()
	in, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := pcapgo.NewWriterNanos(&out)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == n {
			// Ethernet 14 + IPv4 20 + UDP 8 + RTP 12 = 54 (checksums are
			// not checked by the reader).
			data = bytes.Clone(data)
			p := 54 + off
			if data[p]^0x10 == 0xFF {
				data[p] ^= 0x20
			} else {
				data[p] ^= 0x10
			}
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
