// Package m3ua implements the M3UA (RFC 4666) ASP and SGP procedures on top
// of ss7/sigtran associations. Control messages are encoded with go-m3ua's
// messages and params packages; received messages are walked by this
// package's own parameter parser (zero allocation, tolerant of unknown
// parameters, never panicking), because go-m3ua's decoders reject unknown
// parameter tags, panic on some malformed parameters and allocate per
// message. DATA, the hot path, is decoded and encoded here without
// allocation, in the RFC form and in the pre-RFC draft-6 form whose payload
// is a raw MTP3 MSU.
package m3ua

import (
	"encoding/binary"
	"fmt"
)

// Message classes (RFC 4666 §3.1.2).
const (
	ClassMGMT  uint8 = 0
	ClassXFER  uint8 = 1
	ClassSSNM  uint8 = 2
	ClassASPSM uint8 = 3
	ClassASPTM uint8 = 4
	ClassRKM   uint8 = 9
)

// Message types per class.
const (
	TypeERR  uint8 = 0 // MGMT
	TypeNTFY uint8 = 1 // MGMT

	TypeDATA uint8 = 1 // XFER

	TypeDUNA uint8 = 1 // SSNM
	TypeDAVA uint8 = 2
	TypeDAUD uint8 = 3
	TypeSCON uint8 = 4
	TypeDUPU uint8 = 5
	TypeDRST uint8 = 6

	TypeASPUP     uint8 = 1 // ASPSM
	TypeASPDN     uint8 = 2
	TypeBEAT      uint8 = 3
	TypeASPUPACK  uint8 = 4
	TypeASPDNACK  uint8 = 5
	TypeBEATACK   uint8 = 6
	TypeASPAC     uint8 = 1 // ASPTM
	TypeASPIA     uint8 = 2
	TypeASPACACK  uint8 = 3
	TypeASPIAACK  uint8 = 4
	TypeREGREQ    uint8 = 1 // RKM
	TypeREGRSP    uint8 = 2
	TypeDEREGREQ  uint8 = 3
	TypeDEREGRSP  uint8 = 4
	versionRFC    uint8 = 1
	headerLen           = 8
	paramHdrLen         = 4
	protoDataFix        = 12 // OPC, DPC, SI, NI, MP, SLS
	maxLabelBytes       = 7
)

// Parameter tags (RFC 4666 §3.2; draft-6 tags where noted).
const (
	TagInfoString        uint16 = 0x0004
	TagRoutingContext    uint16 = 0x0006
	TagDiagnosticInfo    uint16 = 0x0007
	TagHeartbeatData     uint16 = 0x0009
	TagTrafficModeType   uint16 = 0x000b
	TagErrorCode         uint16 = 0x000c
	TagStatus            uint16 = 0x000d
	TagASPIdentifier     uint16 = 0x0011
	TagAffectedPC        uint16 = 0x0012
	TagCorrelationID     uint16 = 0x0013
	TagNetworkAppearance uint16 = 0x0200
	TagProtocolData      uint16 = 0x0210

	// Draft 6 (draft-ietf-sigtran-m3ua-06) DATA parameters, as Wireshark
	// names them: Protocol Data 1 = the MTP3 MSU (SIO, routing label, user
	// part); Protocol Data 2 = a length-indicator octet then the MSU.
	TagDraftNetworkAppearance uint16 = 0x0001
	TagDraftProtocolData1     uint16 = 0x0002
	TagDraftProtocolData2     uint16 = 0x0003
	TagDraftRoutingContext    uint16 = 0x0006
)

// Error codes of the ERR message (RFC 4666 §3.8.1).
const (
	ErrCodeInvalidVersion          uint32 = 0x01
	ErrCodeUnsupportedClass        uint32 = 0x03
	ErrCodeUnsupportedType         uint32 = 0x04
	ErrCodeUnsupportedTrafficMode  uint32 = 0x05
	ErrCodeUnexpectedMessage       uint32 = 0x06
	ErrCodeProtocolError           uint32 = 0x07
	ErrCodeInvalidStreamIdentifier uint32 = 0x09
	ErrCodeRefusedMgmtBlocking     uint32 = 0x0d
	ErrCodeASPIdentifierRequired   uint32 = 0x0e
	ErrCodeInvalidASPIdentifier    uint32 = 0x0f
	ErrCodeInvalidParameterValue   uint32 = 0x11
	ErrCodeParameterFieldError     uint32 = 0x12
	ErrCodeUnexpectedParameter     uint32 = 0x13
	ErrCodeDestinationStatusUnkn   uint32 = 0x14
	ErrCodeInvalidNetworkAppear    uint32 = 0x15
	ErrCodeMissingParameter        uint32 = 0x16
	ErrCodeInvalidRoutingContext   uint32 = 0x19
	ErrCodeNoConfiguredASForASP    uint32 = 0x1a
)

// Traffic mode types.
const (
	TrafficOverride  uint32 = 1
	TrafficLoadshare uint32 = 2
	TrafficBroadcast uint32 = 3
)

// Status (NTFY) type/information.
const (
	StatusASStateChange uint16 = 1
	StatusOther         uint16 = 2

	ASInactive uint16 = 2 // with StatusASStateChange
	ASActive   uint16 = 3
	ASPending  uint16 = 4

	OtherInsufficientASPs   uint16 = 1 // with StatusOther
	OtherAlternateASPActive uint16 = 2
	OtherASPFailure         uint16 = 3
)

// Error is a decoding or procedure error carrying the M3UA error code to
// answer with.
type Error struct {
	Code   uint32
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("m3ua: %s (error code %#x)", e.Reason, e.Code)
}

func perr(code uint32, format string, a ...any) error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, a...)}
}

// Header is the M3UA common header.
type Header struct {
	Version, Class, Type uint8
	Length               uint32
}

// ParseHeader checks the common header of one whole message b: version 1,
// length equal to len(b).
func ParseHeader(b []byte) (Header, error) {
	if len(b) < headerLen {
		return Header{}, perr(ErrCodeProtocolError, "message of %d bytes shorter than the header", len(b))
	}
	h := Header{Version: b[0], Class: b[2], Type: b[3], Length: binary.BigEndian.Uint32(b[4:8])}
	if h.Version != versionRFC {
		return h, perr(ErrCodeInvalidVersion, "version %d", h.Version)
	}
	if h.Length != uint32(len(b)) {
		return h, perr(ErrCodeProtocolError, "header length %d, message %d bytes", h.Length, len(b))
	}
	return h, nil
}

// nextParam splits the first parameter off b: tag, value (aliasing b) and
// the rest after padding. The last parameter may omit its padding.
func nextParam(b []byte) (tag uint16, val, rest []byte, err error) {
	if len(b) < paramHdrLen {
		return 0, nil, nil, perr(ErrCodeParameterFieldError, "%d trailing bytes, not a parameter", len(b))
	}
	tag = binary.BigEndian.Uint16(b)
	l := int(binary.BigEndian.Uint16(b[2:]))
	if l < paramHdrLen || l > len(b) {
		return 0, nil, nil, perr(ErrCodeParameterFieldError, "parameter %#04x length %d of %d bytes", tag, l, len(b))
	}
	val = b[paramHdrLen:l]
	p := (l + 3) &^ 3
	if p > len(b) {
		p = len(b)
	}
	return tag, val, b[p:], nil
}

// ProtocolData is the MTP3 view of one message: routing label, service
// information and the user part (ISUP, SCCP, ...) in Payload.
type ProtocolData struct {
	OPC, DPC uint32
	SI, NI   uint8
	MP, SLS  uint8
	Payload  []byte
}

// Form selects the DATA message form of a link.
type Form uint8

const (
	// FormRFC is RFC 4666 DATA: Protocol Data parameter 0x0210 holding OPC,
	// DPC, SI, NI, MP, SLS and the user part.
	FormRFC Form = iota
	// FormDraft6 is the pre-RFC draft-6 DATA: parameter 0x0002 (Protocol
	// Data 1) holding the raw MTP3 MSU (SIO, routing label, user part);
	// 0x0003 (Protocol Data 2, LI octet first) is accepted too.
	FormDraft6
)

// LabelFormat selects the MTP3 routing label of draft-6 MSUs.
type LabelFormat uint8

const (
	// LabelITU: 14-bit point codes, 4-bit SLS (Q.704), 4 octets.
	LabelITU LabelFormat = iota
	// LabelANSI5: 24-bit point codes, 5-bit SLS (T1.111), 7 octets.
	LabelANSI5
	// LabelANSI8: 24-bit point codes, 8-bit SLS, 7 octets.
	LabelANSI8
)

// DataMsg is a decoded DATA message. PD.Payload aliases the decoded buffer.
type DataMsg struct {
	HasNA, HasRC, HasCorrID bool
	NetworkAppearance       uint32
	RoutingContext          uint32
	CorrelationID           uint32
	PD                      ProtocolData
}

// DecodeData decodes one whole DATA message (header included) in form f
// into d without allocating. Unknown parameters are skipped.
func DecodeData(b []byte, f Form, lf LabelFormat, d *DataMsg) error {
	h, err := ParseHeader(b)
	if err != nil {
		return err
	}
	if h.Class != ClassXFER || h.Type != TypeDATA {
		return perr(ErrCodeUnsupportedType, "class %d type %d is not DATA", h.Class, h.Type)
	}
	return decodeDataParams(b[headerLen:], f, lf, d)
}

func decodeDataParams(p []byte, f Form, lf LabelFormat, d *DataMsg) error {
	*d = DataMsg{}
	var havePD bool
	for len(p) > 0 {
		tag, v, rest, err := nextParam(p)
		if err != nil {
			return err
		}
		p = rest
		if f == FormDraft6 {
			switch tag {
			case TagDraftNetworkAppearance:
				if len(v) != 4 {
					return perr(ErrCodeParameterFieldError, "network appearance of %d bytes", len(v))
				}
				d.HasNA, d.NetworkAppearance = true, binary.BigEndian.Uint32(v)
			case TagDraftRoutingContext:
				if len(v) < 4 || len(v)%4 != 0 {
					return perr(ErrCodeParameterFieldError, "routing context of %d bytes", len(v))
				}
				d.HasRC, d.RoutingContext = true, binary.BigEndian.Uint32(v)
			case TagDraftProtocolData1, TagDraftProtocolData2:
				if havePD {
					return perr(ErrCodeUnexpectedParameter, "second protocol data")
				}
				if tag == TagDraftProtocolData2 {
					if len(v) < 1 {
						return perr(ErrCodeParameterFieldError, "empty protocol data 2")
					}
					v = v[1:]
				}
				if err := DecodeMSU(v, lf, &d.PD); err != nil {
					return err
				}
				havePD = true
			}
			continue
		}
		switch tag {
		case TagNetworkAppearance:
			if len(v) != 4 {
				return perr(ErrCodeParameterFieldError, "network appearance of %d bytes", len(v))
			}
			d.HasNA, d.NetworkAppearance = true, binary.BigEndian.Uint32(v)
		case TagRoutingContext:
			if len(v) < 4 || len(v)%4 != 0 {
				return perr(ErrCodeParameterFieldError, "routing context of %d bytes", len(v))
			}
			d.HasRC, d.RoutingContext = true, binary.BigEndian.Uint32(v)
		case TagCorrelationID:
			if len(v) != 4 {
				return perr(ErrCodeParameterFieldError, "correlation id of %d bytes", len(v))
			}
			d.HasCorrID, d.CorrelationID = true, binary.BigEndian.Uint32(v)
		case TagProtocolData:
			if havePD {
				return perr(ErrCodeUnexpectedParameter, "second protocol data")
			}
			if len(v) < protoDataFix {
				return perr(ErrCodeParameterFieldError, "protocol data of %d bytes", len(v))
			}
			d.PD = ProtocolData{
				OPC: binary.BigEndian.Uint32(v), DPC: binary.BigEndian.Uint32(v[4:]),
				SI: v[8], NI: v[9], MP: v[10], SLS: v[11], Payload: v[protoDataFix:],
			}
			havePD = true
		}
	}
	if !havePD {
		return perr(ErrCodeMissingParameter, "DATA without protocol data")
	}
	return nil
}

// DecodeMSU decodes a raw MTP3 MSU (SIO, routing label, user part) into pd;
// pd.Payload aliases msu.
func DecodeMSU(msu []byte, lf LabelFormat, pd *ProtocolData) error {
	ll := 4
	if lf != LabelITU {
		ll = 7
	}
	if len(msu) < 1+ll {
		return perr(ErrCodeParameterFieldError, "MSU of %d bytes shorter than SIO and label", len(msu))
	}
	sio := msu[0]
	pd.NI, pd.MP, pd.SI = sio>>6, (sio>>4)&3, sio&0x0f
	l := msu[1:]
	switch lf {
	case LabelITU:
		v := binary.LittleEndian.Uint32(l)
		pd.DPC, pd.OPC, pd.SLS = v&0x3fff, (v>>14)&0x3fff, uint8(v>>28)
	default:
		pd.DPC = uint32(l[0]) | uint32(l[1])<<8 | uint32(l[2])<<16
		pd.OPC = uint32(l[3]) | uint32(l[4])<<8 | uint32(l[5])<<16
		pd.SLS = l[6]
		if lf == LabelANSI5 {
			pd.SLS &= 0x1f
		}
	}
	pd.Payload = msu[1+ll:]
	return nil
}

// AppendMSU appends pd as a raw MTP3 MSU.
func AppendMSU(dst []byte, lf LabelFormat, pd *ProtocolData) ([]byte, error) {
	if pd.NI > 3 || pd.MP > 3 || pd.SI > 15 {
		return dst, fmt.Errorf("m3ua: SIO fields NI %d MP %d SI %d out of range", pd.NI, pd.MP, pd.SI)
	}
	dst = append(dst, pd.NI<<6|pd.MP<<4|pd.SI)
	switch lf {
	case LabelITU:
		if pd.OPC > 0x3fff || pd.DPC > 0x3fff || pd.SLS > 15 {
			return dst, fmt.Errorf("m3ua: ITU label OPC %d DPC %d SLS %d out of range", pd.OPC, pd.DPC, pd.SLS)
		}
		dst = binary.LittleEndian.AppendUint32(dst, pd.DPC|pd.OPC<<14|uint32(pd.SLS)<<28)
	default:
		if pd.OPC > 0xffffff || pd.DPC > 0xffffff || (lf == LabelANSI5 && pd.SLS > 31) {
			return dst, fmt.Errorf("m3ua: ANSI label OPC %d DPC %d SLS %d out of range", pd.OPC, pd.DPC, pd.SLS)
		}
		dst = append(dst, byte(pd.DPC), byte(pd.DPC>>8), byte(pd.DPC>>16),
			byte(pd.OPC), byte(pd.OPC>>8), byte(pd.OPC>>16), pd.SLS)
	}
	return append(dst, pd.Payload...), nil
}

func appendParamHdr(dst []byte, tag uint16, vlen int) []byte {
	dst = binary.BigEndian.AppendUint16(dst, tag)
	return binary.BigEndian.AppendUint16(dst, uint16(paramHdrLen+vlen))
}

func appendPad(dst []byte, vlen int) []byte {
	for i := vlen; i%4 != 0; i++ {
		dst = append(dst, 0)
	}
	return dst
}

// AppendData appends d as a DATA message in form f. It does not allocate
// when dst has room.
func AppendData(dst []byte, f Form, lf LabelFormat, d *DataMsg) ([]byte, error) {
	start := len(dst)
	dst = append(dst, versionRFC, 0, ClassXFER, TypeDATA, 0, 0, 0, 0)
	naTag, rcTag := TagNetworkAppearance, TagRoutingContext
	if f == FormDraft6 {
		naTag, rcTag = TagDraftNetworkAppearance, TagDraftRoutingContext
	}
	if d.HasNA {
		dst = appendParamHdr(dst, naTag, 4)
		dst = binary.BigEndian.AppendUint32(dst, d.NetworkAppearance)
	}
	if d.HasRC {
		dst = appendParamHdr(dst, rcTag, 4)
		dst = binary.BigEndian.AppendUint32(dst, d.RoutingContext)
	}
	pd := &d.PD
	if f == FormDraft6 {
		ph := len(dst)
		dst = appendParamHdr(dst, TagDraftProtocolData1, 0)
		var err error
		if dst, err = AppendMSU(dst, lf, pd); err != nil {
			return dst[:start], err
		}
		vlen := len(dst) - ph - paramHdrLen
		if paramHdrLen+vlen > 0xffff {
			return dst[:start], fmt.Errorf("m3ua: MSU of %d bytes too long", vlen)
		}
		binary.BigEndian.PutUint16(dst[ph+2:], uint16(paramHdrLen+vlen))
		dst = appendPad(dst, vlen)
	} else {
		vlen := protoDataFix + len(pd.Payload)
		if paramHdrLen+vlen > 0xffff {
			return dst[:start], fmt.Errorf("m3ua: payload of %d bytes too long", len(pd.Payload))
		}
		dst = appendParamHdr(dst, TagProtocolData, vlen)
		dst = binary.BigEndian.AppendUint32(dst, pd.OPC)
		dst = binary.BigEndian.AppendUint32(dst, pd.DPC)
		dst = append(dst, pd.SI, pd.NI, pd.MP, pd.SLS)
		dst = append(dst, pd.Payload...)
		dst = appendPad(dst, vlen)
	}
	if d.HasCorrID && f == FormRFC {
		dst = appendParamHdr(dst, TagCorrelationID, 4)
		dst = binary.BigEndian.AppendUint32(dst, d.CorrelationID)
	}
	binary.BigEndian.PutUint32(dst[start+4:], uint32(len(dst)-start))
	return dst, nil
}
