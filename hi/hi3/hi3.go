// Package hi3 encodes content of communication (HI3) as ETSI TS 102 232-1
// PS-PDUs with one CCPayload per direction: either TS 102 232-5 iPMMCC (the
// RTP packet as mMCCContents, frameType rtpFrame, mMCCprotocol rTP, a stream
// identifier per direction) or TS 102 232-6 pstnIsdnCC (the raw 64 kbit/s
// bearer octets with a CC link id and, in the first PDU, the supplementary
// media information). It also decodes CCPayloads for the monitoring centre.
//
// Encoding appends into a caller-supplied buffer and does not allocate.
package hi3

import (
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// Payload directions (TS 102 232-1 PayloadDirection).
const (
	FromTarget    = 0
	ToTarget      = 1
	Indeterminate = 2
	Combined      = 3
	NotApplicable = 4
)

// IPMMCCObjID is TS 102 232-5 iPMMCCObjId, RELATIVE-OID 5.5.6.2
// (li-ps(5) iPMultimedia(5) version6(6) cC(2)).
var IPMMCCObjID = [...]byte{0x05, 0x05, 0x06, 0x02}

// PstnIsdnCCObjID is TS 102 232-6 pstnIsdnCCObjId, RELATIVE-OID 5.6.6.2.
var PstnIsdnCCObjID = [...]byte{0x05, 0x06, 0x06, 0x02}

// FrameType and MMCCprotocol values of TS 102 232-5.
const (
	FrameIP    = 0
	FrameUDP   = 1
	FrameRTP   = 2
	FrameAudio = 3
	ProtoRTP   = 0
)

// CCContents alternatives (TS 102 232-1).
const (
	ContentsPstnIsdnCC = 11
	ContentsIPMMCC     = 12
)

// CC describes one CCPayload.
type CC struct {
	Direction uint8     // payloadDirection: FromTarget / ToTarget
	Time      time.Time // timeStamp and microSecondTimeStamp
	Qualifier psdu.TimeStampQualifier
	// iPMMCC: streamIdentifier [3] OCTET STRING, sent when not empty (one
	// per direction, e.g. "0" from target and "1" to target).
	StreamID string
	// pstnIsdnCC: cCLinkID [2], sent when HasCCLinkID, and
	// supplementaryInfo [3] when Supplementary is set (the first PDU).
	CCLinkID      uint32
	HasCCLinkID   bool
	Supplementary *hi2.MediaInfo
}

func begin(e *ber.Encoder, dst []byte, h *psdu.Header, cc *CC) {
	e.Reset(dst)
	psdu.Begin(e, h)
	e.OpenCtx(psdu.PayloadCC)      // cCPayloadSequence [1] SEQUENCE OF CCPayload
	e.Open(ber.ClassUniversal, 16) // CCPayload
	e.Uint(0, uint64(cc.Direction))
	if !cc.Time.IsZero() {
		e.GeneralizedTime(1, cc.Time)
	}
	e.OpenCtx(2) // cCContents (CHOICE: explicit)
}

func end(e *ber.Encoder, cc *CC) []byte {
	e.Close() // cCContents
	if !cc.Time.IsZero() {
		psdu.AppendMicroSecondTimeStamp(e, 3, cc.Time)
	}
	e.Uint(4, uint64(cc.Qualifier))
	e.Close() // CCPayload
	e.Close() // cCPayloadSequence
	psdu.End(e)
	return e.Bytes()
}

// AppendIPMMCC appends a PS-PDU carrying rtp (a whole RTP packet) as
// iPMMCC. h.Seq must be the HI3 sequence number.
func AppendIPMMCC(dst []byte, h *psdu.Header, cc *CC, rtp []byte) []byte {
	var e ber.Encoder
	begin(&e, dst, h, cc)
	e.OpenCtx(ContentsIPMMCC)
	e.Octets(0, IPMMCCObjID[:])
	e.Octets(1, rtp)
	e.Uint(2, FrameRTP)
	if cc.StreamID != "" {
		e.String(3, cc.StreamID)
	}
	e.Uint(4, ProtoRTP)
	e.Close()
	return end(&e, cc)
}

// AppendPstnIsdnCC appends a PS-PDU carrying octets (raw bearer octets of
// one direction) as pstnIsdnCC.
func AppendPstnIsdnCC(dst []byte, h *psdu.Header, cc *CC, octets []byte) []byte {
	var e ber.Encoder
	begin(&e, dst, h, cc)
	e.OpenCtx(ContentsPstnIsdnCC)
	e.Octets(0, PstnIsdnCCObjID[:])
	e.Octets(1, octets)
	if cc.HasCCLinkID {
		e.Uint(2, uint64(cc.CCLinkID))
	}
	if cc.Supplementary != nil {
		hi2.AppendSupplementaryInfo(&e, 3, cc.Supplementary)
	}
	e.Close()
	return end(&e, cc)
}
