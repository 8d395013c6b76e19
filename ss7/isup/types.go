// Package isup is the ISUP codec (ITU-T Q.763 and ANSI T1.113).
//
// A Message is decoded INTO a reused value (Message.Decode) without
// allocating: numbers, causes and the small parameters live in fixed-size
// storage inside the Message. Raw parameter values that are kept untyped
// (unknown parameters, access transport, user-to-user information, circuit
// state indicators, the body of an unknown message type) ALIAS the input
// buffer passed to Decode: they are valid only as long as that buffer is;
// copy them (or the buffer) to keep them.
//
// Message.Append re-encodes. For a message produced by Decode, Append
// re-emits the optional parameters in the order they were received and
// reproduces the input byte for byte when the input used the canonical
// layout (variable parts in pointer order, no gaps), which is what every
// implementation sends.
package isup

import (
	"fmt"
	"strconv"
)

// Variant selects the ISUP flavour.
type Variant uint8

const (
	// ITU is ITU-T Q.763 ISUP: 12-bit CIC, 14-bit point codes.
	ITU Variant = iota
	// ANSI is ANSI T1.113 ISUP: 14-bit CIC, 24-bit point codes.
	ANSI
)

func (v Variant) String() string {
	switch v {
	case ITU:
		return "itu"
	case ANSI:
		return "ansi"
	}
	return "variant(" + strconv.Itoa(int(v)) + ")"
}

// ParseVariant accepts "itu" and "ansi" (any case).
func ParseVariant(s string) (Variant, error) {
	switch s {
	case "itu", "ITU", "Itu":
		return ITU, nil
	case "ansi", "ANSI", "Ansi":
		return ANSI, nil
	}
	return 0, fmt.Errorf("%w %q (want itu or ansi)", ErrUnknownVariant, s)
}

// CICMask returns the mask of the CIC bits for the variant (0x0FFF ITU, 0x3FFF ANSI).
func (v Variant) CICMask() uint16 {
	if v == ANSI {
		return 0x3FFF
	}
	return 0x0FFF
}

// MsgType is the ISUP message type code (Q.763 Table 4, T1.113 extras).
type MsgType uint8

// Message type codes.
const (
	IAM  MsgType = 0x01 // Initial address
	SAM  MsgType = 0x02 // Subsequent address
	INR  MsgType = 0x03 // Information request
	INF  MsgType = 0x04 // Information
	COT  MsgType = 0x05 // Continuity
	ACM  MsgType = 0x06 // Address complete
	CON  MsgType = 0x07 // Connect
	FOT  MsgType = 0x08 // Forward transfer
	ANM  MsgType = 0x09 // Answer
	REL  MsgType = 0x0C // Release
	SUS  MsgType = 0x0D // Suspend
	RES  MsgType = 0x0E // Resume
	RLC  MsgType = 0x10 // Release complete
	CCR  MsgType = 0x11 // Continuity check request
	RSC  MsgType = 0x12 // Reset circuit
	BLO  MsgType = 0x13 // Blocking
	UBL  MsgType = 0x14 // Unblocking
	BLA  MsgType = 0x15 // Blocking acknowledgement
	UBA  MsgType = 0x16 // Unblocking acknowledgement
	GRS  MsgType = 0x17 // Circuit group reset
	CGB  MsgType = 0x18 // Circuit group blocking
	CGU  MsgType = 0x19 // Circuit group unblocking
	CGBA MsgType = 0x1A // Circuit group blocking acknowledgement
	CGUA MsgType = 0x1B // Circuit group unblocking acknowledgement
	FAR  MsgType = 0x1F // Facility request
	FAA  MsgType = 0x20 // Facility accepted
	FRJ  MsgType = 0x21 // Facility reject
	LPA  MsgType = 0x24 // Loop back acknowledgement
	PAM  MsgType = 0x28 // Pass-along
	GRA  MsgType = 0x29 // Circuit group reset acknowledgement
	CQM  MsgType = 0x2A // Circuit group query
	CQR  MsgType = 0x2B // Circuit group query response
	CPG  MsgType = 0x2C // Call progress
	USR  MsgType = 0x2D // User-to-user information
	UCIC MsgType = 0x2E // Unequipped CIC
	CFN  MsgType = 0x2F // Confusion
	OLM  MsgType = 0x30 // Overload
	CRG  MsgType = 0x31 // Charge information
	NRM  MsgType = 0x32 // Network resource management
	FAC  MsgType = 0x33 // Facility
	UPT  MsgType = 0x34 // User part test
	UPA  MsgType = 0x35 // User part available
	IDR  MsgType = 0x36 // Identification request
	IRS  MsgType = 0x37 // Identification response
	SGM  MsgType = 0x38 // Segmentation
	LOP  MsgType = 0x40 // Loop prevention
	APM  MsgType = 0x41 // Application transport
	PRI  MsgType = 0x42 // Pre-release information
	SDN  MsgType = 0x43 // Subsequent directory number
	// ANSI T1.113 only.
	CRA MsgType = 0xE9 // Circuit reservation acknowledgement
	CRM MsgType = 0xEA // Circuit reservation
	CVR MsgType = 0xEB // Circuit validation response
	CVT MsgType = 0xEC // Circuit validation test
	EXM MsgType = 0xED // Exit
)

var msgNames = [256]string{
	IAM: "IAM", SAM: "SAM", INR: "INR", INF: "INF", COT: "COT", ACM: "ACM", CON: "CON",
	FOT: "FOT", ANM: "ANM", REL: "REL", SUS: "SUS", RES: "RES", RLC: "RLC", CCR: "CCR",
	RSC: "RSC", BLO: "BLO", UBL: "UBL", BLA: "BLA", UBA: "UBA", GRS: "GRS", CGB: "CGB",
	CGU: "CGU", CGBA: "CGBA", CGUA: "CGUA", FAR: "FAR", FAA: "FAA", FRJ: "FRJ", LPA: "LPA",
	PAM: "PAM", GRA: "GRA", CQM: "CQM", CQR: "CQR", CPG: "CPG", USR: "USR", UCIC: "UCIC",
	CFN: "CFN", OLM: "OLM", CRG: "CRG", NRM: "NRM", FAC: "FAC", UPT: "UPT", UPA: "UPA",
	IDR: "IDR", IRS: "IRS", SGM: "SGM", LOP: "LOP", APM: "APM", PRI: "PRI", SDN: "SDN",
	CRA: "CRA", CRM: "CRM", CVR: "CVR", CVT: "CVT", EXM: "EXM",
}

// String returns the Q.763 / T1.113 acronym ("IAM"), or "0xNN" for codes
// without one.
func (t MsgType) String() string {
	if s := msgNames[t]; s != "" {
		return s
	}
	const hex = "0123456789ABCDEF"
	return string([]byte{'0', 'x', hex[t>>4], hex[t&15]})
}

// ParamCode is an ISUP parameter name code.
type ParamCode uint8

// Parameter codes (Q.763 Table 5; T1.113 codes where they differ).
const (
	PEndOfOptional          ParamCode = 0x00
	PCallReference          ParamCode = 0x01
	PTransmissionMediumReq  ParamCode = 0x02
	PAccessTransport        ParamCode = 0x03
	PCalledPartyNumber      ParamCode = 0x04
	PSubsequentNumber       ParamCode = 0x05
	PNatureOfConnection     ParamCode = 0x06
	PForwardCallIndicators  ParamCode = 0x07
	POptionalFCI            ParamCode = 0x08
	PCallingPartyCategory   ParamCode = 0x09
	PCallingPartyNumber     ParamCode = 0x0A
	PRedirectingNumber      ParamCode = 0x0B
	PRedirectionNumber      ParamCode = 0x0C
	PConnectionRequest      ParamCode = 0x0D
	PInformationRequestInd  ParamCode = 0x0E
	PInformationInd         ParamCode = 0x0F
	PContinuityIndicators   ParamCode = 0x10
	PBackwardCallIndicators ParamCode = 0x11
	PCauseIndicators        ParamCode = 0x12
	PRedirectionInformation ParamCode = 0x13
	PCGSupervisionMsgType   ParamCode = 0x15
	PRangeAndStatus         ParamCode = 0x16
	PUserServiceInformation ParamCode = 0x1D
	PUserToUserInformation  ParamCode = 0x20
	PConnectedNumber        ParamCode = 0x21
	PSuspendResumeInd       ParamCode = 0x22
	PEventInformation       ParamCode = 0x24
	PCircuitStateIndicator  ParamCode = 0x26
	POriginalCalledNumber   ParamCode = 0x28
	POptionalBCI            ParamCode = 0x29
	PLocationNumber         ParamCode = 0x3F
	PGenericNumber          ParamCode = 0xC0 // ITU generic number; ANSI generic address
	PGenericDigits          ParamCode = 0xC1
	// ANSI only.
	PJurisdictionInfo      ParamCode = 0xC4
	PCarrierIdentification ParamCode = 0xC5
	PGenericName           ParamCode = 0xC7
	PCircuitGroupCharInd   ParamCode = 0xE5
	PCircuitValidationResp ParamCode = 0xE6
	POutgoingTrunkGroupNum ParamCode = 0xE7
	PCircuitIdentification ParamCode = 0xE8
	PCLLICode              ParamCode = 0xE9
	POriginatingLineInfo   ParamCode = 0xEA
	PChargeNumber          ParamCode = 0xEB
)

var paramNames = map[ParamCode]string{
	PCallReference: "call reference", PTransmissionMediumReq: "transmission medium requirement",
	PAccessTransport: "access transport", PCalledPartyNumber: "called party number",
	PSubsequentNumber: "subsequent number", PNatureOfConnection: "nature of connection indicators",
	PForwardCallIndicators: "forward call indicators", POptionalFCI: "optional forward call indicators",
	PCallingPartyCategory: "calling party's category", PCallingPartyNumber: "calling party number",
	PRedirectingNumber: "redirecting number", PRedirectionNumber: "redirection number",
	PConnectionRequest: "connection request", PInformationRequestInd: "information request indicators",
	PInformationInd: "information indicators", PContinuityIndicators: "continuity indicators",
	PBackwardCallIndicators: "backward call indicators", PCauseIndicators: "cause indicators",
	PRedirectionInformation: "redirection information", PCGSupervisionMsgType: "circuit group supervision message type",
	PRangeAndStatus: "range and status", PUserServiceInformation: "user service information",
	PUserToUserInformation: "user-to-user information", PConnectedNumber: "connected number",
	PSuspendResumeInd: "suspend/resume indicators", PEventInformation: "event information",
	PCircuitStateIndicator: "circuit state indicator", POriginalCalledNumber: "original called number",
	POptionalBCI: "optional backward call indicators", PLocationNumber: "location number",
	PGenericNumber: "generic number", PGenericDigits: "generic digits",
}

var ansiParamNames = map[ParamCode]string{
	PGenericNumber: "generic address", PJurisdictionInfo: "jurisdiction information",
	PCarrierIdentification: "carrier identification", PGenericName: "generic name",
	PCircuitGroupCharInd: "circuit group characteristics indicator", PCircuitValidationResp: "circuit validation response indicator",
	POutgoingTrunkGroupNum: "outgoing trunk group number", PCircuitIdentification: "circuit identification name",
	PCLLICode: "common language location identification", POriginatingLineInfo: "originating line information",
	PChargeNumber: "charge number",
}

// Name returns a readable name of the parameter code in variant v, or
// "parameter 0xNN".
func (c ParamCode) Name(v Variant) string {
	if v == ANSI {
		if s, ok := ansiParamNames[c]; ok {
			return s
		}
	}
	if s, ok := paramNames[c]; ok {
		return s
	}
	return "parameter 0x" + strconv.FormatUint(uint64(c), 16)
}
