package lemf

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

var t0 = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

// milliwatt A-law (DESIGN.md §3), 20 ms = 20 repetitions.
var mwALaw = bytes.Repeat([]byte{0x34, 0x21, 0x21, 0x34, 0xB4, 0xA1, 0xA1, 0xB4}, 20)
var mwMuLaw = bytes.Repeat([]byte{0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E}, 20)

// isupNum encodes digits as an ISUP number parameter value.
func isupNum(nai byte, digits string) []byte {
	b := []byte{nai & 0x7f, 0x10}
	if len(digits)%2 == 1 {
		b[0] |= 0x80
	}
	for i := 0; i < len(digits); i += 2 {
		lo := digits[i] - '0'
		hi := byte(0)
		if i+1 < len(digits) {
			hi = digits[i+1] - '0'
		}
		b = append(b, hi<<4|lo)
	}
	return b
}

// gen produces PDUs with correct sequence numbers per (LIID, CIN, HI).
type gen struct {
	seqIRI, seqCC map[[2]any]uint32
	rtpSeq        [2]uint16
}

func newGen() *gen {
	return &gen{seqIRI: map[[2]any]uint32{}, seqCC: map[[2]any]uint32{}}
}

func header(liid string, cin, seq uint32, tm time.Time) *psdu.Header {
	return &psdu.Header{LIID: liid, AuthCountry: "DE", OperatorID: "OP1", NetworkElementID: "GW1", CIN: cin,
		DeliveryCountry: "DE", Seq: seq, Time: tm, Qualifier: psdu.QualifierTimeOfInterception}
}

func (g *gen) next(m map[[2]any]uint32, liid string, cin uint32) uint32 {
	k := [2]any{liid, cin}
	s := m[k]
	m[k] = s + 1
	return s
}

// iri builds an IRI of type typ with parties A (calling) → B (called).
func (g *gen) iri(liid string, cin uint32, typ hi2.IRIType, tm time.Time, cause int) []byte {
	var iri hi2.IRI
	iri.Type, iri.Time, iri.UTCTime = typ, tm, true
	iri.Direction = hi2.DirOriginatingTarget
	iri.State = hi2.StateSetUpInProcess
	p := iri.AddParty(hi2.Originating)
	p.Calling.Set(isupNum(4, "4930123456"))
	q := iri.AddParty(hi2.Terminating)
	q.Called.Set(isupNum(3, "040987654"))
	q.AddParam(hi2.ParamOriginalCalledNum, isupNum(3, "0301111"))
	if typ == hi2.End {
		iri.State = hi2.StateIdle
		iri.Cause, iri.HasCause = hi2.Q850(0, 0, uint8(cause)), true
		iri.Conversation, iri.HasConversation = 65*time.Second, true
	}
	return hi2.Append(nil, header(liid, cin, g.next(g.seqIRI, liid, cin), tm), &iri)
}

func rtpPacket(pt uint8, seq uint16, ts uint32, payload []byte) []byte {
	b := []byte{0x80, pt}
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint32(b, ts)
	b = binary.BigEndian.AppendUint32(b, 0x11223344)
	return append(b, payload...)
}

// ccRTP builds an iPMMCC PDU of one 20 ms RTP packet.
func (g *gen) ccRTP(liid string, cin uint32, dir uint8, tm time.Time, pt uint8, payload []byte) []byte {
	s := g.rtpSeq[dir]
	g.rtpSeq[dir]++
	cc := hi3.CC{Direction: dir, Time: tm, StreamID: string('0' + rune(dir))}
	return hi3.AppendIPMMCC(nil, header(liid, cin, g.next(g.seqCC, liid, cin), tm), &cc, rtpPacket(pt, s, uint32(s)*160, payload))
}

// ccRaw builds a pstnIsdnCC PDU; the first one of a direction carries the
// media information.
func (g *gen) ccRaw(liid string, cin uint32, dir uint8, tm time.Time, law uint8, octets []byte, first bool) []byte {
	cc := hi3.CC{Direction: dir, Time: tm, CCLinkID: uint32(dir) + 1, HasCCLinkID: true}
	seq := g.next(g.seqCC, liid, cin)
	if first {
		cc.Supplementary = &hi2.MediaInfo{PayloadDirection: dir, CCLinkID: uint32(dir) + 1, FirstPDUNumber: seq, MediaFormat: law}
	}
	return hi3.AppendPstnIsdnCC(nil, header(liid, cin, seq, tm), &cc, octets)
}

// indefinite re-encodes every constructed element of b with the
// indefinite length form (as some other encoders do).
func indefinite(t testing.TB, b []byte) []byte {
	t.Helper()
	var out []byte
	for len(b) > 0 {
		tlv, rest, err := ber.Parse(b)
		if err != nil {
			t.Fatalf("indefinite: %v", err)
		}
		raw := tlv.Raw
		hdr := raw[:len(raw)-len(tlv.Value)]
		id := 1
		if hdr[0]&0x1f == 0x1f {
			for hdr[id]&0x80 != 0 {
				id++
			}
			id++
		}
		if tlv.Constructed {
			out = append(out, hdr[:id]...)
			out = append(out, 0x80)
			out = append(out, indefinite(t, tlv.Value)...)
			out = append(out, 0, 0)
		} else {
			out = append(out, raw...)
		}
		b = rest
	}
	return out
}

// startReceiver serves a Receiver on loopback (ln may be wrapped by wrap).
func startReceiver(t testing.TB, dir string, wrap func(net.Listener) net.Listener) (*Receiver, string, func()) {
	t.Helper()
	r, err := New(Config{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Serve(ctx, ln); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return r, addr, stop
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pduCount(r *Receiver) uint64 {
	s := r.Summary()
	var n uint64
	for _, v := range s.PDUs {
		n += v
	}
	return n
}
