// Package psdu encodes and decodes ETSI TS 102 232-1 PS-PDUs (module
// LI-PS-PDU, IMPLICIT TAGS): the PSHeader, keep-alive and keep-alive
// response PDUs, framing of a TCP byte stream into whole PDUs, and a parser
// that exposes the header and the payload kind.
//
// Encoding appends into a caller-supplied buffer through ber.Encoder and does
// not allocate. hi/hi2 and hi/hi3 write their payloads between Begin and End.
package psdu

import (
	"bufio"
	"errors"
	"fmt"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
)

// DomainVersion is the LI-PS-PDU module version whose OID
// 0.4.0.2.2.5.1.DomainVersion this package sends in li-psDomainId.
// (OpenLI sends 17; recent public copies of TS 102 232-1 are version 40.)
const DomainVersion = 40

// DomainID is the encoded contents of li-psDomainId: OID 0.4.0.2.2.5.1.40.
var DomainID = [...]byte{0x04, 0x00, 0x02, 0x02, 0x05, 0x01, DomainVersion}

// TimeStampQualifier values (PSHeader timeStampQualifier [8]).
type TimeStampQualifier uint8

// TimeStampQualifier values.
const (
	QualifierUnknown            TimeStampQualifier = 0
	QualifierTimeOfInterception TimeStampQualifier = 1
	QualifierTimeOfMediation    TimeStampQualifier = 2
	QualifierTimeOfAggregation  TimeStampQualifier = 3
)

// Header is the PSHeader of a PS-PDU. Empty optional strings are omitted.
type Header struct {
	LIID                string // lawfulInterceptionIdentifier [1] (1..25 octets)
	AuthCountry         string // authorizationCountryCode [2] (2 letters) OPTIONAL
	OperatorID          string // networkIdentifier.operatorIdentifier [0] (1..16)
	NetworkElementID    string // networkIdentifier.networkElementIdentifier [1] OPTIONAL
	CIN                 uint32 // communicationIdentityNumber [1]
	DeliveryCountry     string // deliveryCountryCode [2] OPTIONAL
	Seq                 uint32 // sequenceNumber [4]
	Time                time.Time
	InterceptionPointID string             // interceptionPointID [6] OPTIONAL (1..8)
	Qualifier           TimeStampQualifier // timeStampQualifier [8]
	// OmitCIN leaves communicationIdentityNumber out (keep-alives).
	OmitCIN bool
	// DomainID as received (decode only; the encoder always sends DomainID).
	DomainOID string
}

// Begin starts a PS-PDU in e: SEQUENCE { pSHeader [1], payload [2] { ...
// The caller then writes the payload CHOICE alternative and calls End.
func Begin(e *ber.Encoder, h *Header) {
	e.Open(ber.ClassUniversal, 16) // PS-PDU SEQUENCE
	AppendHeader(e, h)
	e.OpenCtx(2) // payload [2] Payload (CHOICE: explicit)
}

// End closes what Begin opened.
func End(e *ber.Encoder) {
	e.Close() // payload
	e.Close() // PS-PDU
}

// AppendHeader writes pSHeader [1] for h.
func AppendHeader(e *ber.Encoder, h *Header) {
	e.OpenCtx(1)
	e.Octets(0, DomainID[:])
	e.String(1, h.LIID)
	if h.AuthCountry != "" {
		e.String(2, h.AuthCountry)
	}
	e.OpenCtx(3) // communicationIdentifier
	e.OpenCtx(0) // networkIdentifier
	e.String(0, h.OperatorID)
	if h.NetworkElementID != "" {
		e.String(1, h.NetworkElementID)
	}
	e.Close()
	if !h.OmitCIN {
		e.Uint(1, uint64(h.CIN))
	}
	if h.DeliveryCountry != "" {
		e.String(2, h.DeliveryCountry)
	}
	e.Close()
	e.Uint(4, uint64(h.Seq))
	if !h.Time.IsZero() {
		e.GeneralizedTime(5, h.Time)
	}
	if h.InterceptionPointID != "" {
		e.String(6, h.InterceptionPointID)
	}
	if !h.Time.IsZero() {
		AppendMicroSecondTimeStamp(e, 7, h.Time)
	}
	e.Uint(8, uint64(h.Qualifier))
	e.Close()
}

// AppendMicroSecondTimeStamp writes MicroSecondTimeStamp [tag] { seconds [0], microSeconds [1] }.
func AppendMicroSecondTimeStamp(e *ber.Encoder, tag uint32, t time.Time) {
	e.OpenCtx(tag)
	e.Uint(0, uint64(t.Unix()))
	e.Uint(1, uint64(t.Nanosecond()/1000))
	e.Close()
}

// TRIPayload alternatives (payload [2] tRIPayload).
const (
	TRIIntegrityCheck     = 0
	TRITestPDU            = 1
	TRIPaddingPDU         = 2
	TRIKeepAlive          = 3
	TRIKeepAliveResponse  = 4
	TRICINReset           = 7
	PayloadIRI            = 0 // iRIPayloadSequence [0]
	PayloadCC             = 1 // cCPayloadSequence [1]
	PayloadTRI            = 2 // tRIPayload [2]
	PayloadHI1Operation   = 3 // hI1-Operation [3]
	payloadTRIAlternative = 2
)

// AppendKeepalive appends a keep-alive PS-PDU (payload tRIPayload keep-alive NULL).
func AppendKeepalive(dst []byte, h *Header) []byte { return appendTRI(dst, h, TRIKeepAlive) }

// AppendKeepaliveResponse appends a keep-alive response PS-PDU.
func AppendKeepaliveResponse(dst []byte, h *Header) []byte {
	return appendTRI(dst, h, TRIKeepAliveResponse)
}

func appendTRI(dst []byte, h *Header, alt uint32) []byte {
	var e ber.Encoder
	e.Reset(dst)
	Begin(&e, h)
	e.OpenCtx(payloadTRIAlternative)
	e.Null(alt)
	e.Close()
	End(&e)
	return e.Bytes()
}

// MaxPDU bounds the size of one PS-PDU accepted from a stream.
const MaxPDU = 1 << 20

// ErrTooLarge is returned when a PDU on a stream exceeds MaxPDU.
var ErrTooLarge = errors.New("psdu: PS-PDU too large")

// Next returns the length of the first whole PS-PDU at the start of b, or 0
// with a nil error when more bytes are needed. Definite and indefinite outer
// lengths are accepted.
func Next(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if b[0] != 0x30 {
		return 0, fmt.Errorf("psdu: stream does not start with a SEQUENCE (0x%02x)", b[0])
	}
	n, err := ber.ElementLen(b)
	if errors.Is(err, ber.ErrShort) {
		if len(b) > MaxPDU {
			return 0, ErrTooLarge
		}
		// Reject an announced definite length beyond MaxPDU early.
		if len(b) >= 2 && b[1] > 0x80 && b[1] <= 0x84 && len(b) >= 2+int(b[1]&0x7f) {
			l := 0
			for _, c := range b[2 : 2+int(b[1]&0x7f)] {
				l = l<<8 | int(c)
			}
			if l > MaxPDU {
				return 0, ErrTooLarge
			}
		}
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("psdu: framing: %w", err)
	}
	if n > MaxPDU {
		return 0, ErrTooLarge
	}
	return n, nil
}

// Split is a bufio.SplitFunc that yields whole PS-PDUs from a TCP stream.
func Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	n, err := Next(data)
	if err != nil {
		return 0, nil, err
	}
	if n == 0 {
		if atEOF && len(data) > 0 {
			return 0, nil, fmt.Errorf("psdu: stream ends inside a PS-PDU (%d bytes): %w", len(data), ber.ErrShort)
		}
		return 0, nil, nil
	}
	return n, data[:n], nil
}

var _ bufio.SplitFunc = Split

// Validate checks h against the PSHeader size constraints of TS 102 232-1.
// Call it once when a session's header is set up: the encoder does not check.
func (h *Header) Validate() error {
	switch {
	case len(h.LIID) < 1 || len(h.LIID) > 25:
		return fmt.Errorf("psdu: LIID must be 1..25 octets, is %d", len(h.LIID))
	case len(h.OperatorID) < 1 || len(h.OperatorID) > 16:
		return fmt.Errorf("psdu: operatorIdentifier must be 1..16 octets, is %d", len(h.OperatorID))
	case len(h.NetworkElementID) > 16:
		return fmt.Errorf("psdu: networkElementIdentifier must be 1..16 octets, is %d", len(h.NetworkElementID))
	case len(h.InterceptionPointID) > 8 || !printable(h.InterceptionPointID):
		return fmt.Errorf("psdu: interceptionPointID must be a PrintableString of 1..8, is %q", h.InterceptionPointID)
	}
	for _, cc := range [...]string{h.AuthCountry, h.DeliveryCountry} {
		if cc != "" && (len(cc) != 2 || !printable(cc)) {
			return fmt.Errorf("psdu: country code must be 2 letters, is %q", cc)
		}
	}
	return nil
}

// printable reports whether s holds only PrintableString characters.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ' ', c == '\'', c == '(', c == ')', c == '+', c == ',', c == '-', c == '.', c == '/', c == ':', c == '=', c == '?':
		default:
			return false
		}
	}
	return true
}
