package hi2

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/psdu"
)

// randNumber returns an ISUP-format number with n digits and its digit string.
func randNumber(r *rand.Rand, n int) ([]byte, string) {
	b := []byte{byte(r.IntN(5)), 0x10}
	if n%2 == 1 {
		b[0] |= 0x80
	}
	digits := make([]byte, n)
	for i := range digits {
		digits[i] = byte('0' + r.IntN(10))
	}
	for i := 0; i < n; i += 2 {
		c := digits[i] - '0'
		if i+1 < n {
			c |= (digits[i+1] - '0') << 4
		}
		b = append(b, c)
	}
	return b, string(digits)
}

// TestRoundTripRandom encodes random IRIs and checks our decoder returns
// every field.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 2048)
	for i := range 500 {
		h := psdu.Header{LIID: fmt.Sprintf("L%d", r.IntN(1e6)), OperatorID: "OPX", CIN: uint32(r.IntN(1e8)), Seq: r.Uint32(),
			Time: time.Unix(int64(r.IntN(2e9)), int64(r.IntN(1e9))).UTC(), Qualifier: 1}
		iri := IRI{Type: IRIType(1 + r.IntN(4)), Time: h.Time, UTCTime: r.IntN(2) == 0, Direction: Direction(r.IntN(3)),
			State: CallState(r.IntN(4)), HasRinging: r.IntN(2) == 0, Ringing: time.Duration(r.IntN(400000)) * time.Second,
			HasConversation: r.IntN(2) == 0, Conversation: time.Duration(r.IntN(400000)) * time.Second,
			HasCause: r.IntN(2) == 0, Cause: Q850(0, uint8(r.IntN(16)), uint8(r.IntN(128)))}
		type pwant struct{ calling, called string }
		var want []pwant
		for range r.IntN(MaxParties + 1) {
			p := iri.AddParty(PartyRole(r.IntN(3)))
			var w pwant
			if r.IntN(2) == 0 {
				b, d := randNumber(r, 1+r.IntN(20))
				p.Calling.Set(b)
				w.calling = d
			}
			if r.IntN(2) == 0 {
				b, d := randNumber(r, 1+r.IntN(20))
				p.Called.Set(b)
				w.called = d
			}
			for range r.IntN(MaxParams + 1) {
				b, _ := randNumber(r, 1+r.IntN(20))
				p.AddParam(ParamRedirectingNumber, b)
			}
			want = append(want, w)
		}
		buf = Append(buf[:0], &h, &iri)
		var p psdu.PDU
		if err := psdu.Parse(buf, &p); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		recs, err := DecodePayload(p.Payload, nil)
		if err != nil || len(recs) != 1 {
			t.Fatalf("%d: %v", i, err)
		}
		got := recs[0].Params
		fail := func(what string, g, w any) { t.Fatalf("IRI %d %s: got %v want %v", i, what, g, w) }
		if recs[0].Type != iri.Type {
			fail("type", recs[0].Type, iri.Type)
		}
		if p.Header.Seq != h.Seq || p.Header.CIN != h.CIN || !p.Header.Time.Equal(h.Time.Truncate(time.Microsecond)) {
			fail("header", p.Header, h)
		}
		if got.LIID != h.LIID || got.CIN != fmt.Sprint(h.CIN) {
			fail("liid/cin", got.LIID+"/"+got.CIN, h.LIID)
		}
		wantTime := h.Time.Truncate(time.Millisecond)
		if iri.UTCTime {
			wantTime = h.Time.Truncate(time.Second)
		}
		if !got.Time.Equal(wantTime) {
			fail("time", got.Time, wantTime)
		}
		if iri.HasRinging {
			d := BCDDuration(iri.Ringing)
			if w := fmt.Sprintf("%02x:%02x:%02x", d[0], d[1], d[2]); got.Ringing != w {
				fail("ringing", got.Ringing, w)
			}
		} else if got.Ringing != "" {
			fail("ringing", got.Ringing, "")
		}
		if iri.HasCause != (got.Cause != nil) || iri.HasCause && got.Cause.Hex != hex.EncodeToString(iri.Cause[:]) {
			fail("cause", got.Cause, iri.Cause)
		}
		if (iri.State == StateAbsent) != (got.State == "") {
			fail("state", got.State, iri.State)
		}
		if len(got.Parties) != len(want) {
			fail("parties", len(got.Parties), len(want))
		}
		for j, w := range want {
			gp := got.Parties[j]
			gc, gd := "", ""
			if gp.Calling != nil {
				gc = gp.Calling.Digits
			}
			if gp.Called != nil {
				gd = gp.Called.Digits
			}
			if gc != w.calling || gd != w.called || len(gp.ISUPParams) != int(iri.Parties[j].NParams) {
				fail(fmt.Sprintf("party %d", j), gp, w)
			}
		}
	}
}

func TestBCDDuration(t *testing.T) {
	for d, want := range map[time.Duration][3]byte{
		0: {0, 0, 0}, 59 * time.Second: {0, 0, 0x59}, 3723 * time.Second: {0x01, 0x02, 0x03},
		99*time.Hour + 59*time.Minute + 59*time.Second: {0x99, 0x59, 0x59}, 200 * time.Hour: {0x99, 0x59, 0x59}, -time.Second: {0, 0, 0},
	} {
		if got := BCDDuration(d); got != want {
			t.Errorf("%v: %x want %x", d, got, want)
		}
	}
}
