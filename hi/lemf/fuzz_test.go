package lemf

import (
	"bytes"
	"io"
	"testing"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// FuzzLEMFStream feeds arbitrary bytes through the receiver's path: stream
// splitting, PS-PDU parsing, IRI/CC decoding, sequence checks and the
// writers. It must never panic.
func FuzzLEMFStream(f *testing.F) {
	g := newGen()
	call := callPDUs(g, "LI-F", 1)
	f.Add(bytes.Join(call[:6], nil))
	f.Add(indefinite(f, call[0]))
	f.Add(append(indefinite(f, call[1]), call[len(call)-1]...))
	f.Add(psdu.AppendKeepalive(nil, &psdu.Header{LIID: "KA", OperatorID: "OP"}))
	f.Add(g.ccRaw("LI-F", 1, hi3.ToTarget, t0, 0, mwMuLaw, true))
	f.Add(g.iri("LI-F", 2, hi2.End, t0, 31))
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		// A fresh receiver per input (state must not pile up across
		// inputs), writing nothing to disk.
		r, err := newMemReceiver(Config{})
		if err != nil {
			t.Fatal(err)
		}
		r.ReadStream(bytes.NewReader(data), 1, io.Discard)
		r.HandlePDU(data, 2, nil)
		_ = r.Check(&Expectation{})
		if _, err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
