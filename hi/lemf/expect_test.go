package lemf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
)

// windowCall sends one call whose from-target content is idle code, then
// pattern octets, then idle code again (the padding lengths vary with
// timing in a real run), and returns the pattern.
func windowCall(t *testing.T, r *Receiver, g *gen, liid string, cin uint32, lead, trail int, seed byte) []byte {
	t.Helper()
	var stream []byte
	stream = append(stream, bytes.Repeat([]byte{0xD5}, lead)...)
	pat := make([]byte, 480)
	for i := range pat {
		pat[i] = byte(i)*7 + seed
	}
	stream = append(stream, pat...)
	stream = append(stream, bytes.Repeat([]byte{0xD5}, trail)...)
	for len(stream)%160 != 0 {
		stream = append(stream, 0xD5)
	}
	pdus := [][]byte{g.iri(liid, cin, hi2.Begin, t0, 0)}
	for i := 0; i*160 < len(stream); i++ {
		tm := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		pdus = append(pdus, g.ccRTP(liid, cin, hi3.FromTarget, tm, 8, stream[i*160:(i+1)*160]))
	}
	pdus = append(pdus, g.iri(liid, cin, hi2.End, t0.Add(time.Second), 16))
	for _, p := range pdus {
		if _, err := r.HandlePDU(p, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	return pat
}

// TestExpectWithoutCIN: entries written before the run (no CIN: matched
// by LIID, types and parties) and content windows that leave out the idle
// code around a call.
func TestExpectWithoutCIN(t *testing.T) {
	r, err := New(Config{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g := newGen()
	pat1 := windowCall(t, r, g, "LI-1", 4711, 37, 200, 1)
	pat2 := windowCall(t, r, g, "LI-1", 4712, 250, 3, 2)
	exp := func(p1, p2 []byte, types string) string {
		w := func(p []byte) string {
			h := sha256.Sum256(p)
			return fmt.Sprintf(`"window": {"start": "%s", "octets": %d}, "sha256": "%s"`, hex.EncodeToString(p[:16]), len(p), hex.EncodeToString(h[:]))
		}
		return fmt.Sprintf(`{
  "iri": [{"liid": "LI-1", "ref": "a", "types": %s, "parties": [{"role": "originating-Party", "number": "4930123456"}], "cause": 16},
          {"liid": "LI-1", "ref": "b", "types": %s}],
  "cc": [{"liid": "LI-1", "ref": "b", "direction": "from-target", %s},
         {"liid": "LI-1", "ref": "a", "direction": "from-target", %s}]
}`, types, types, w(p2), w(p1))
	}
	e, err := ParseExpectation([]byte(exp(pat1, pat2, `["BEGIN", "END"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Check(e); len(d) != 0 {
		t.Fatalf("differences on a matching run: %q", d)
	}
	// The whole stream's hash would not match: only the window counts.
	if st := r.Summary().Streams[0]; st.Octets == int64(len(pat1)) {
		t.Fatalf("stream without padding: %+v", st)
	}
	flipped := bytes.Clone(pat2)
	flipped[300] ^= 1
	cases := map[string]string{
		"types":         exp(pat1, pat2, `["BEGIN", "CONTINUE", "END"]`),
		"window octet":  exp(pat1, flipped, `["BEGIN", "END"]`),
		"window start":  exp(pat1, append([]byte{0x00}, pat2...), `["BEGIN", "END"]`),
		"window longer": exp(append(bytes.Clone(pat1), bytes.Repeat([]byte{0xD5}, 300)...), pat2, `["BEGIN", "END"]`),
		"party":         strings.Replace(exp(pat1, pat2, `["BEGIN", "END"]`), "4930123456", "4930999999", 1),
		"one call short": strings.Replace(exp(pat1, pat2, `["BEGIN", "END"]`),
			`{"liid": "LI-1", "ref": "b", "types": ["BEGIN", "END"]}`, `{"liid": "LI-2", "ref": "b"}`, 1),
	}
	for name, js := range cases {
		e, err := ParseExpectation([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := r.Check(e); len(d) == 0 {
			t.Errorf("%s: mismatch not detected", name)
		} else {
			t.Logf("%s: %q", name, d)
		}
	}
	for _, bad := range []string{
		`{"cc": [{"liid": "a", "ref": "x", "direction": "from-target"}]}`,
		`{"cc": [{"liid": "a", "direction": "from-target", "window": {"start": "zz", "octets": 4}}]}`,
		`{"cc": [{"liid": "a", "direction": "from-target", "window": {"start": "0102", "octets": 1}}]}`,
		`{"iri": [{"liid": "a", "ref": "x"}, {"liid": "a", "ref": "x"}]}`,
	} {
		if _, err := ParseExpectation([]byte(bad)); err == nil {
			t.Errorf("accepted: %s", bad)
		}
	}
}
