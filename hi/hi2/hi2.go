// Package hi2 encodes intercept-related information (HI2) as ETSI TS 102
// 232-1 PS-PDUs whose IRIPayload carries TS 101 671 IRI-Parameters
// (HI2Operations version 18) in iRIContents eTSI671IRI [5], plus the TS 102
// 232-6 pstnIsdnIRI supplementary media information per CC link; and decodes
// them again for the monitoring centre.
//
// Encoding appends into a caller-supplied buffer and does not allocate; the
// IRI record uses fixed-size storage so the bridge can fill a reused value.
package hi2

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// HI2Version is the HI2Operations module version of the domainID sent.
const HI2Version = 18

// HI2DomainID is the encoded hi2OperationId OID 0.4.0.2.2.1.18.
var HI2DomainID = [...]byte{0x04, 0x00, 0x02, 0x02, 0x01, HI2Version}

// IRIVersionLast is the iRIversion [23] value TS 101 671 asks to send (lastVersion).
const IRIVersionLast = 8

// IRIType is the iRIType of an IRIPayload (and the IRIContent record kind).
type IRIType uint8

// IRI types.
const (
	Begin    IRIType = 1
	End      IRIType = 2
	Continue IRIType = 3
	Report   IRIType = 4
)

func (t IRIType) String() string {
	switch t {
	case Begin:
		return "BEGIN"
	case End:
		return "END"
	case Continue:
		return "CONTINUE"
	case Report:
		return "REPORT"
	}
	return "IRIType(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText makes IRIType render as BEGIN/END/CONTINUE/REPORT in JSON.
func (t IRIType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Direction is intercepted-Call-Direct.
type Direction uint8

// Directions.
const (
	DirNotAvailable      Direction = 0
	DirOriginatingTarget Direction = 1
	DirTerminatingTarget Direction = 2
)

// CallState is intercepted-Call-State; 0 means absent.
type CallState uint8

// Call states.
const (
	StateAbsent         CallState = 0
	StateIdle           CallState = 1
	StateSetUpInProcess CallState = 2
	StateConnected      CallState = 3
)

// PartyRole is party-Qualifier.
type PartyRole uint8

// Party roles.
const (
	Originating PartyRole = 0
	Terminating PartyRole = 1
	ForwardedTo PartyRole = 2
)

// Storage limits.
const (
	MaxNumberLen = 25 // iSUP-Format OCTET STRING (SIZE (1..25))
	MaxParamLen  = 34 // one whole ISUP parameter: code, length, value
	MaxParams    = 4  // ISUP parameters per party
	MaxParties   = 4  // partyInformation entries
)

// Number is an ISUP-format number: the ISUP parameter value (odd/even + NAI
// octet, NPI/indicator octet, BCD digits). Empty means absent.
type Number struct {
	N uint8
	B [MaxNumberLen]byte
}

// Set stores b (truncated to MaxNumberLen) and reports whether it fitted.
func (n *Number) Set(b []byte) bool {
	n.N = uint8(copy(n.B[:], b))
	return len(b) <= MaxNumberLen
}

// Bytes returns the stored octets.
func (n *Number) Bytes() []byte { return n.B[:n.N] }

// Present reports whether a number is stored.
func (n *Number) Present() bool { return n.N > 0 }

// Param is one whole ISUP parameter (code, length, value) for
// services-Information iSUP-parameters.
type Param struct {
	N uint8
	B [MaxParamLen]byte
}

// Set stores code, len(value), value; it reports false (storing nothing)
// when the parameter does not fit.
func (p *Param) Set(code byte, value []byte) bool {
	if len(value)+2 > MaxParamLen {
		p.N = 0
		return false
	}
	p.B[0], p.B[1] = code, byte(len(value))
	p.N = uint8(2 + copy(p.B[2:], value))
	return true
}

// Bytes returns the whole parameter.
func (p *Param) Bytes() []byte { return p.B[:p.N] }

// ISUP parameter codes commonly carried in iSUP-parameters.
const (
	ParamRedirectingNumber   = 0x0B
	ParamRedirectionNumber   = 0x0C
	ParamRedirectionInfo     = 0x13
	ParamConnectedNumber     = 0x21
	ParamOriginalCalledNum   = 0x28
	ParamGenericNumber       = 0xC0
	ParamCallingPartyNumber  = 0x0A
	ParamCalledPartyNumber   = 0x04
	ParamLocationNumber      = 0x3F
	ParamCallDiversionInfo   = 0x36
	ParamTransmissionMedReq  = 0x02
	ParamUserServiceInfo     = 0x1D
	ParamGenericNotification = 0x2C
)

// Party is one PartyInformation entry.
type Party struct {
	Role    PartyRole
	Calling Number // partyIdentity callingPartyNumber iSUP-Format
	Called  Number // partyIdentity calledPartyNumber iSUP-Format
	Params  [MaxParams]Param
	NParams uint8
}

// AddParam appends a whole ISUP parameter; false if full or too long.
func (p *Party) AddParam(code byte, value []byte) bool {
	if int(p.NParams) >= MaxParams {
		return false
	}
	if !p.Params[p.NParams].Set(code, value) {
		return false
	}
	p.NParams++
	return true
}

// IRI is one intercept-related record as the bridge fills it from call
// events. LIID and CIN come from the PS-PDU header.
type IRI struct {
	Type IRIType
	Time time.Time // event time (IRIPayload timeStamp and IRI-Parameters timeStamp)
	// UTCTime sends the IRI-Parameters timeStamp as utcTime [1]; otherwise
	// localTime [0] with Time's wall clock in its own location and
	// WinterSummer (0 notProvided, 1 winter, 2 summer).
	UTCTime      bool
	WinterSummer uint8
	// OperatorID is operator-Identifier (1..5 octets); empty: the header's
	// OperatorID, cut to 5 octets.
	OperatorID     string
	NetworkElement Number // network-Element-Identifier e164-Format (ISUP format); optional
	Direction      Direction
	State          CallState
	// Ringing/Conversation durations, sent as 3 octets BCD HHMMSS when Has*.
	Ringing, Conversation       time.Duration
	HasRinging, HasConversation bool
	Parties                     [MaxParties]Party
	NParties                    uint8
	Cause                       [2]byte // Q.850 cause octets (location/coding, value)
	HasCause                    bool
	CCLinkID                    string // cC-Link-Identifier [15] (ASCII digits) optional
	CountryCode                 string // national-HI2-ASN1parameters countryCode, optional
}

// Reset clears iri for reuse.
func (iri *IRI) Reset() { *iri = IRI{} }

// AddParty returns the next free party entry (nil when full).
func (iri *IRI) AddParty(role PartyRole) *Party {
	if int(iri.NParties) >= MaxParties {
		return nil
	}
	p := &iri.Parties[iri.NParties]
	*p = Party{Role: role}
	iri.NParties++
	return p
}

// Q850 returns the two Q.850 cause octets: ext bit set, coding standard,
// location; ext bit set, cause value.
func Q850(coding, location, value uint8) [2]byte {
	return [2]byte{0x80 | (coding&3)<<5 | location&0x0f, 0x80 | value&0x7f}
}

// BCDDuration returns d as 3 octets BCD HHMMSS (hours capped at 99).
func BCDDuration(d time.Duration) [3]byte {
	s := int(d / time.Second)
	if s < 0 {
		s = 0
	}
	h, m := s/3600, s/60%60
	s %= 60
	if h > 99 {
		h, m, s = 99, 59, 59
	}
	bcd := func(x int) byte { return byte(x/10)<<4 | byte(x%10) }
	return [3]byte{bcd(h), bcd(m), bcd(s)}
}

// Append appends a PS-PDU carrying iri as an IRIPayload with
// eTSI671IRI iRI-Parameters. h.Seq must be the HI2 sequence number.
func Append(dst []byte, h *psdu.Header, iri *IRI) []byte {
	var e ber.Encoder
	e.Reset(dst)
	psdu.Begin(&e, h)
	e.OpenCtx(psdu.PayloadIRI) // iRIPayloadSequence [0] SEQUENCE OF IRIPayload
	e.Open(ber.ClassUniversal, 16)
	e.Uint(0, uint64(iri.Type)) // iRIType [0]
	e.GeneralizedTime(1, iri.Time)
	e.OpenCtx(2) // iRIContents [2] (CHOICE: explicit)
	e.OpenCtx(5) // eTSI671IRI [5] (CHOICE: explicit)
	AppendParameters(&e, 0, h, iri)
	e.Close()
	e.Close()
	e.Close() // IRIPayload
	e.Close() // iRIPayloadSequence
	psdu.End(&e)
	return e.Bytes()
}

// AppendParameters writes TS 101 671 IRI-Parameters as [tag] (0 for
// eTSI671IRI's iRI-Parameters; 1..4 for an IRIContent record).
func AppendParameters(e *ber.Encoder, tag uint32, h *psdu.Header, iri *IRI) {
	e.OpenCtx(tag)
	e.Octets(0, HI2DomainID[:])
	e.Uint(23, IRIVersionLast)
	e.String(1, h.LIID)
	// communicationIdentifier [2]
	e.OpenCtx(2)
	var cin [10]byte
	e.Octets(0, CINDigits(cin[:0], h.CIN))
	e.OpenCtx(1) // network-Identifier
	op := iri.OperatorID
	if op == "" {
		op = h.OperatorID
	}
	if len(op) > 5 {
		op = op[:5]
	}
	e.String(0, op)
	if iri.NetworkElement.Present() {
		e.OpenCtx(1) // network-Element-Identifier (CHOICE: explicit)
		e.Octets(1, iri.NetworkElement.Bytes())
		e.Close()
	}
	e.Close()
	e.Close()
	// timeStamp [3] (CHOICE: explicit)
	e.OpenCtx(3)
	if iri.UTCTime {
		s := e.BeginPrimitive(1)
		e.Buf = ber.AppendUTCTime(e.Buf, iri.Time)
		e.EndPrimitive(s)
	} else {
		e.OpenCtx(0)
		s := e.BeginPrimitive(0)
		e.Buf = ber.AppendLocalGeneralizedTime(e.Buf, iri.Time)
		e.EndPrimitive(s)
		e.Uint(1, uint64(iri.WinterSummer))
		e.Close()
	}
	e.Close()
	e.Uint(4, uint64(iri.Direction))
	if iri.State != StateAbsent {
		e.Uint(5, uint64(iri.State))
	}
	if iri.HasRinging {
		d := BCDDuration(iri.Ringing)
		e.Octets(6, d[:])
	}
	if iri.HasConversation {
		d := BCDDuration(iri.Conversation)
		e.Octets(7, d[:])
	}
	if iri.NParties > 0 {
		e.OpenCtx(9) // partyInformation SET OF PartyInformation
		for i := range int(min(iri.NParties, MaxParties)) {
			appendParty(e, &iri.Parties[i])
		}
		e.Close()
	}
	if iri.HasCause {
		e.Octets(11, iri.Cause[:])
	}
	e.Uint(12, 0) // nature-Of-The-intercepted-call gSM-ISDN-PSTN-circuit-call(0)
	if iri.CCLinkID != "" {
		e.String(15, iri.CCLinkID)
	}
	if iri.CountryCode != "" {
		e.OpenCtx(255) // national-HI2-ASN1parameters
		e.String(1, iri.CountryCode)
		e.Close()
	}
	e.Close()
}

func appendParty(e *ber.Encoder, p *Party) {
	e.Open(ber.ClassUniversal, 16)
	e.Uint(0, uint64(p.Role))
	e.OpenCtx(1) // partyIdentity
	if p.Calling.Present() {
		e.OpenCtx(4) // callingPartyNumber (CHOICE: explicit)
		e.Octets(1, p.Calling.Bytes())
		e.Close()
	}
	if p.Called.Present() {
		e.OpenCtx(5)
		e.Octets(1, p.Called.Bytes())
		e.Close()
	}
	e.Close()
	if p.NParams > 0 {
		e.OpenCtx(2) // services-Information
		e.OpenCtx(1) // iSUP-parameters SET OF OCTET STRING
		for i := range int(min(p.NParams, MaxParams)) {
			e.Primitive(ber.ClassUniversal, 4, p.Params[i].Bytes())
		}
		e.Close()
		e.Close()
	}
	e.Close()
}

// CINDigits appends the communication-Identity-Number form of cin: its
// decimal digits in ASCII. TS 101 671 allows 8 octets, so only CINs below
// 10^8 are carried faithfully; larger values keep their last 8 digits.
func CINDigits(dst []byte, cin uint32) []byte {
	return strconv.AppendUint(dst, uint64(cin%100000000), 10)
}

// PayloadDirection values (TS 102 232-1).
const (
	FromTarget    = 0
	ToTarget      = 1
	Indeterminate = 2
	Combined      = 3
	NotApplicable = 4
)

// PstnIsdnIRIObjID is the TS 102 232-6 pstnIsdnIRIObjId RELATIVE-OID 5.6.6.1.
var PstnIsdnIRIObjID = [...]byte{0x05, 0x06, 0x06, 0x01}

// MediaInfo is the TS 102 232-6 supplementary information of one CC link.
type MediaInfo struct {
	Type             IRIType // iRIType of the carrying IRIPayload (0: Report)
	Time             time.Time
	PayloadDirection uint8  // informationAppliesTo payloadDirection
	CCLinkID         uint32 // informationAppliesTo cCLinkID
	FirstPDUNumber   uint32 // informationAppliesTo firstPDUNumber (HI3 sequence number)
	MediaFormat      uint8  // RTP payload type: 8 PCMA, 0 PCMU
}

// AppendSupplementaryInfo writes SupplementaryInfo as [tag] (shared with hi3's pstnIsdnCC).
func AppendSupplementaryInfo(e *ber.Encoder, tag uint32, m *MediaInfo) {
	e.OpenCtx(tag)
	e.OpenCtx(0) // informationAppliesTo
	e.Uint(0, uint64(m.PayloadDirection))
	e.Uint(1, uint64(m.CCLinkID))
	e.Uint(2, uint64(m.FirstPDUNumber))
	e.Close()
	e.Uint(1, uint64(m.MediaFormat))
	e.Close()
}

// AppendMediaInfo appends a PS-PDU whose IRIPayload carries pstnIsdnIRI [10]
// with the supplementary media information of one CC link.
func AppendMediaInfo(dst []byte, h *psdu.Header, m *MediaInfo) []byte {
	var e ber.Encoder
	e.Reset(dst)
	psdu.Begin(&e, h)
	e.OpenCtx(psdu.PayloadIRI)
	e.Open(ber.ClassUniversal, 16)
	t := m.Type
	if t == 0 {
		t = Report
	}
	e.Uint(0, uint64(t))
	e.GeneralizedTime(1, m.Time)
	e.OpenCtx(2)  // iRIContents (CHOICE)
	e.OpenCtx(10) // pstnIsdnIRI [10] PstnIsdnIRI
	e.Octets(0, PstnIsdnIRIObjID[:])
	e.OpenCtx(1) // pstnIsdnIRIContents (CHOICE: explicit)
	AppendSupplementaryInfo(&e, 0, m)
	e.Close()
	e.Close()
	e.Close()
	e.Close()
	e.Close()
	psdu.End(&e)
	return e.Bytes()
}

// AppendIRIsContent appends a TS 101 671 IRIsContent, iRIContent [0]
// (CHOICE, explicit) holding the IRIContent record of type t
// (iRI-Begin-record [1] ... iRI-Report-record [4]) whose contents are those
// of the IRI-Parameters element paramsRaw (Record.ParamsRaw, whatever its
// tag): what tshark's HI2Operations dissector takes.
func AppendIRIsContent(dst []byte, t IRIType, paramsRaw []byte) []byte {
	p, _, err := ber.Parse(paramsRaw)
	if err != nil {
		return dst
	}
	var e ber.Encoder
	e.Reset(dst)
	e.OpenCtx(0)
	e.Element(ber.ClassContext, true, uint32(t), p.Value)
	e.Close()
	return e.Bytes()
}

// ValidateHeader checks h for use with HI2: the PSHeader constraints and a
// CIN that TS 101 671's communication-Identity-Number (at most 8 ASCII
// digits) can carry, so IRI and CC correlate.
func ValidateHeader(h *psdu.Header) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.CIN >= 100000000 {
		return fmt.Errorf("hi2: CIN %d has more than 8 digits (TS 101 671 communication-Identity-Number)", h.CIN)
	}
	return nil
}
