package hi2

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
)

// Record is one decoded IRIPayload. Unknown elements are kept as hex.
type Record struct {
	Type     IRIType   `json:"type"`
	Time     time.Time `json:"time,omitzero"`
	Contents string    `json:"contents"` // "eTSI671IRI", "pstnIsdnIRI" or "[n]" for another alternative
	Params   *Params   `json:"iri,omitempty"`
	Media    *Media    `json:"media,omitempty"`
	// ParamsRaw is the whole iRI-Parameters element as received (aliases
	// the input), for re-wrapping it as a TS 101 671 IRIContent record.
	ParamsRaw []byte    `json:"-"`
	Unknown   []Unknown `json:"unknown,omitempty"`
}

// Unknown is an element the decoder does not interpret: its tag as
// "[n]" (context), "APPLICATION n", "UNIVERSAL n" or "PRIVATE n", and the
// whole element in hex.
type Unknown struct {
	Tag string `json:"tag"`
	Hex string `json:"hex"`
}

// Params is a decoded TS 101 671 IRI-Parameters.
type Params struct {
	DomainID       string      `json:"domainID,omitempty"`
	IRIVersion     int         `json:"iRIversion,omitempty"`
	LIID           string      `json:"liid"`
	CIN            string      `json:"cin,omitempty"`
	OperatorID     string      `json:"operator,omitempty"`
	NetworkElement *NumberInfo `json:"networkElement,omitempty"`
	Time           time.Time   `json:"time,omitzero"`
	TimeForm       string      `json:"timeForm,omitempty"` // "localTime" or "utcTime"
	LocalTime      string      `json:"localTime,omitempty"`
	WinterSummer   string      `json:"winterSummer,omitempty"`
	Direction      string      `json:"direction,omitempty"`
	State          string      `json:"state,omitempty"`
	Ringing        string      `json:"ringingDuration,omitempty"`      // HH:MM:SS
	Conversation   string      `json:"conversationDuration,omitempty"` // HH:MM:SS
	Parties        []PartyInfo `json:"parties,omitempty"`
	Cause          *Cause      `json:"cause,omitempty"`
	Nature         string      `json:"nature,omitempty"`
	CCLinkID       string      `json:"ccLinkID,omitempty"`
	CountryCode    string      `json:"countryCode,omitempty"`
	Unknown        []Unknown   `json:"unknown,omitempty"`
}

// PartyInfo is a decoded PartyInformation.
type PartyInfo struct {
	Role       string      `json:"role"`
	Calling    *NumberInfo `json:"calling,omitempty"`
	Called     *NumberInfo `json:"called,omitempty"`
	ISUPParams []ISUPParam `json:"isupParams,omitempty"`
	Unknown    []Unknown   `json:"unknown,omitempty"`
}

// NumberInfo is a decoded number. Format is "iSUP" when the octets are an
// ISUP number parameter value (then NAI and Digits are filled); other
// formats keep only the hex.
type NumberInfo struct {
	Format string `json:"format"`
	NAI    uint8  `json:"nai"`
	Digits string `json:"digits,omitempty"`
	Hex    string `json:"hex"`
}

// ISUPParam is one whole ISUP parameter from services-Information.
type ISUPParam struct {
	Code   uint8       `json:"code"`
	Name   string      `json:"name,omitempty"`
	Hex    string      `json:"hex"` // the value octets
	Number *NumberInfo `json:"number,omitempty"`
}

// Cause is a decoded Q.850 cause (release-Reason-Of-Intercepted-Call).
type Cause struct {
	Coding   uint8  `json:"coding"`
	Location uint8  `json:"location"`
	Value    uint8  `json:"value"`
	Hex      string `json:"hex"`
}

// Media is decoded TS 102 232-6 supplementary information.
type Media struct {
	ObjID            string    `json:"objId,omitempty"`
	PayloadDirection int       `json:"payloadDirection"`
	CCLinkID         uint64    `json:"ccLinkID"`
	FirstPDUNumber   uint64    `json:"firstPDUNumber"`
	MediaFormat      int       `json:"mediaFormat"`
	Unknown          []Unknown `json:"unknown,omitempty"`
}

// TagName renders a TLV's tag for Unknown.
func TagName(t *ber.TLV) string {
	switch t.Class {
	case ber.ClassContext:
		return "[" + strconv.FormatUint(uint64(t.Tag), 10) + "]"
	case ber.ClassApplication:
		return "APPLICATION " + strconv.FormatUint(uint64(t.Tag), 10)
	case ber.ClassPrivate:
		return "PRIVATE " + strconv.FormatUint(uint64(t.Tag), 10)
	}
	return "UNIVERSAL " + strconv.FormatUint(uint64(t.Tag), 10)
}

func unknown(t *ber.TLV) Unknown { return Unknown{Tag: TagName(t), Hex: hex.EncodeToString(t.Raw)} }

// DecodePayload decodes the contents of an iRIPayloadSequence (psdu.PDU
// Payload for KindIRI) and appends one Record per IRIPayload to dst.
func DecodePayload(payload []byte, dst []Record) ([]Record, error) {
	r := ber.NewReader(payload)
	var t ber.TLV
	for r.Next(&t) {
		if !t.Is(ber.ClassUniversal, 16) || !t.Constructed {
			return dst, fmt.Errorf("hi2: IRIPayload is %v: %w", t, ber.ErrSyntax)
		}
		var rec Record
		if err := decodeIRIPayload(&t, &rec); err != nil {
			return dst, err
		}
		dst = append(dst, rec)
	}
	if err := r.Err(); err != nil {
		return dst, fmt.Errorf("hi2: iRIPayloadSequence: %w", err)
	}
	return dst, nil
}

func decodeIRIPayload(p *ber.TLV, rec *Record) error {
	r := p.Children()
	var t ber.TLV
	sawType := false
	for r.Next(&t) {
		if t.Class != ber.ClassContext {
			rec.Unknown = append(rec.Unknown, unknown(&t))
			continue
		}
		switch t.Tag {
		case 0:
			v, err := ber.Uint(t.Value)
			if err != nil {
				return fmt.Errorf("hi2: iRIType: %w", err)
			}
			rec.Type = IRIType(min(v, 255))
			sawType = true
		case 1:
			tm, err := ber.GeneralizedTime(t.Value)
			if err != nil {
				return fmt.Errorf("hi2: IRIPayload timeStamp: %w", err)
			}
			rec.Time = tm
		case 2:
			if err := decodeIRIContents(&t, rec); err != nil {
				return err
			}
		default:
			rec.Unknown = append(rec.Unknown, unknown(&t))
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("hi2: IRIPayload: %w", err)
	}
	if !sawType {
		return fmt.Errorf("hi2: IRIPayload without iRIType: %w", ber.ErrSyntax)
	}
	return nil
}

func decodeIRIContents(c *ber.TLV, rec *Record) error {
	r := c.Children()
	var alt ber.TLV
	if !r.Next(&alt) {
		if err := r.Err(); err != nil {
			return fmt.Errorf("hi2: iRIContents: %w", err)
		}
		return fmt.Errorf("hi2: empty iRIContents: %w", ber.ErrSyntax)
	}
	switch {
	case alt.IsContext(5) && alt.Constructed:
		rec.Contents = "eTSI671IRI"
		ar := alt.Children()
		var p ber.TLV
		if !ar.Next(&p) {
			if err := ar.Err(); err != nil {
				return fmt.Errorf("hi2: eTSI671IRI: %w", err)
			}
			return fmt.Errorf("hi2: empty eTSI671IRI: %w", ber.ErrSyntax)
		}
		if p.IsContext(1) && p.Constructed {
			return decodeIRIsContent(&p, rec)
		}
		if !p.IsContext(0) || !p.Constructed {
			rec.Unknown = append(rec.Unknown, unknown(&p))
			return nil
		}
		rec.ParamsRaw = p.Raw
		rec.Params = new(Params)
		return DecodeParams(&p, rec.Params)
	case alt.IsContext(10) && alt.Constructed:
		rec.Contents = "pstnIsdnIRI"
		rec.Media = new(Media)
		return decodePstnIsdnIRI(&alt, rec.Media)
	default:
		rec.Contents = TagName(&alt)
		rec.Unknown = append(rec.Unknown, unknown(&alt))
	}
	return nil
}

// decodeIRIsContent handles eTSI671IRI's iRIsContent alternative: a TS 101
// 671 IRIsContent (iRIContent [0] or iRISequence [1] of IRIContent records
// [1]..[4]). The first record becomes Params; further ones stay as hex.
func decodeIRIsContent(t *ber.TLV, rec *Record) error {
	r := t.Children()
	var c ber.TLV
	if !r.Next(&c) {
		return r.Err()
	}
	if !(c.IsContext(0) || c.IsContext(1)) || !c.Constructed {
		rec.Unknown = append(rec.Unknown, unknown(&c))
		return nil
	}
	cr := c.Children()
	var ic ber.TLV
	for cr.Next(&ic) {
		if rec.Params != nil || !ic.Constructed || ic.Class != ber.ClassContext || ic.Tag < 1 || ic.Tag > 4 {
			rec.Unknown = append(rec.Unknown, unknown(&ic))
			continue
		}
		rec.ParamsRaw = ic.Raw
		rec.Params = new(Params)
		if err := DecodeParams(&ic, rec.Params); err != nil {
			return err
		}
	}
	return cr.Err()
}

func decodePstnIsdnIRI(t *ber.TLV, m *Media) error {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		switch {
		case c.IsContext(0) && !c.Constructed:
			b, err := ber.AppendRelativeOID(nil, c.Value)
			if err != nil {
				return fmt.Errorf("hi2: pstnIsdnIRIObjId: %w", err)
			}
			m.ObjID = string(b)
		case c.IsContext(1) && c.Constructed:
			cr := c.Children()
			var s ber.TLV
			for cr.Next(&s) {
				if s.IsContext(0) && s.Constructed {
					if err := DecodeSupplementaryInfo(&s, m); err != nil {
						return err
					}
				} else {
					m.Unknown = append(m.Unknown, unknown(&s))
				}
			}
			if err := cr.Err(); err != nil {
				return fmt.Errorf("hi2: pstnIsdnIRIContents: %w", err)
			}
		default:
			m.Unknown = append(m.Unknown, unknown(&c))
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("hi2: pstnIsdnIRI: %w", err)
	}
	return nil
}

// DecodeSupplementaryInfo decodes a TS 102 232-6 SupplementaryInfo into m.
func DecodeSupplementaryInfo(t *ber.TLV, m *Media) error {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		var err error
		switch {
		case c.IsContext(0) && c.Constructed:
			ir := c.Children()
			var a ber.TLV
			for ir.Next(&a) {
				var v uint64
				switch {
				case a.IsContext(0):
					v, err = ber.Uint(a.Value)
					m.PayloadDirection = int(min(v, 1<<16))
				case a.IsContext(1):
					m.CCLinkID, err = ber.Uint(a.Value)
				case a.IsContext(2):
					m.FirstPDUNumber, err = ber.Uint(a.Value)
				default:
					m.Unknown = append(m.Unknown, unknown(&a))
				}
				if err != nil {
					return fmt.Errorf("hi2: informationAppliesTo %s: %w", TagName(&a), err)
				}
			}
			if err := ir.Err(); err != nil {
				return fmt.Errorf("hi2: informationAppliesTo: %w", err)
			}
		case c.IsContext(1):
			var v uint64
			v, err = ber.Uint(c.Value)
			m.MediaFormat = int(min(v, 1<<16))
		default:
			m.Unknown = append(m.Unknown, unknown(&c))
		}
		if err != nil {
			return fmt.Errorf("hi2: supplementaryInfo %s: %w", TagName(&c), err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("hi2: supplementaryInfo: %w", err)
	}
	return nil
}

func octets(t *ber.TLV) ([]byte, error) { return ber.AppendOctets(nil, t) }

func enumName(v uint64, names ...string) string {
	if v < uint64(len(names)) && names[v] != "" {
		return names[v]
	}
	return "unknown(" + strconv.FormatUint(v, 10) + ")"
}

// DecodeParams decodes an IRI-Parameters element (any tag) into p.
func DecodeParams(t *ber.TLV, p *Params) error {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		if c.Class != ber.ClassContext {
			p.Unknown = append(p.Unknown, unknown(&c))
			continue
		}
		var err error
		var v uint64
		var b []byte
		switch c.Tag {
		case 0:
			b, err = ber.AppendOID(nil, c.Value)
			p.DomainID = string(b)
		case 23:
			v, err = ber.Uint(c.Value)
			p.IRIVersion = int(min(v, 1<<16))
		case 1:
			b, err = octets(&c)
			p.LIID = string(b)
		case 2:
			err = decodeCommID(&c, p)
		case 3:
			err = decodeTimeStamp(&c, p)
		case 4:
			v, err = ber.Uint(c.Value)
			p.Direction = enumName(v, "not-Available", "originating-Target", "terminating-Target")
		case 5:
			v, err = ber.Uint(c.Value)
			p.State = enumName(v, "", "idle", "setUpInProcess", "connected")
		case 6, 7:
			b, err = octets(&c)
			if err == nil {
				if c.Tag == 6 {
					p.Ringing = bcdDuration(b)
				} else {
					p.Conversation = bcdDuration(b)
				}
			}
		case 9:
			err = decodeParties(&c, p)
		case 11:
			b, err = octets(&c)
			if err == nil {
				p.Cause = decodeCause(b)
			}
		case 12:
			v, err = ber.Uint(c.Value)
			p.Nature = enumName(v, "gSM-ISDN-PSTN-circuit-call", "gSM-SMS-Message", "uUS4-Messages", "tETRA-circuit-call", "teTRA-Packet-Data", "gPRS-Packet-Data", "uMTS-circuit-call")
		case 15:
			b, err = octets(&c)
			p.CCLinkID = string(b)
		case 255:
			if !c.Constructed {
				p.Unknown = append(p.Unknown, unknown(&c))
				break
			}
			nr := c.Children()
			var n ber.TLV
			for nr.Next(&n) {
				if n.IsContext(1) {
					b, err = octets(&n)
					p.CountryCode = string(b)
				} else {
					p.Unknown = append(p.Unknown, unknown(&n))
				}
			}
			if err == nil {
				err = nr.Err()
			}
		default:
			p.Unknown = append(p.Unknown, unknown(&c))
		}
		if err != nil {
			return fmt.Errorf("hi2: IRI-Parameters %s: %w", TagName(&c), err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("hi2: IRI-Parameters: %w", err)
	}
	return nil
}

func decodeCommID(t *ber.TLV, p *Params) error {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		switch {
		case c.IsContext(0):
			b, err := octets(&c)
			if err != nil {
				return err
			}
			p.CIN = string(b)
		case c.IsContext(1) && c.Constructed:
			nr := c.Children()
			var n ber.TLV
			for nr.Next(&n) {
				switch {
				case n.IsContext(0):
					b, err := octets(&n)
					if err != nil {
						return err
					}
					p.OperatorID = string(b)
				case n.IsContext(1) && n.Constructed:
					er := n.Children()
					var a ber.TLV
					if er.Next(&a) {
						b, err := octets(&a)
						if err != nil {
							return err
						}
						format := map[uint32]string{1: "e164", 2: "x25", 3: "iP", 4: "dNS"}[a.Tag]
						if a.IsContext(1) {
							ni := DecodeISUPNumber(b)
							ni.Format = "e164"
							p.NetworkElement = &ni
						} else if format != "" && a.Class == ber.ClassContext {
							p.NetworkElement = &NumberInfo{Format: format, Hex: hex.EncodeToString(b)}
						} else {
							p.Unknown = append(p.Unknown, unknown(&a))
						}
					}
					if err := er.Err(); err != nil {
						return err
					}
				default:
					p.Unknown = append(p.Unknown, unknown(&n))
				}
			}
			if err := nr.Err(); err != nil {
				return err
			}
		default:
			p.Unknown = append(p.Unknown, unknown(&c))
		}
	}
	return r.Err()
}

func decodeTimeStamp(t *ber.TLV, p *Params) error {
	r := t.Children()
	var c ber.TLV
	if !r.Next(&c) {
		if err := r.Err(); err != nil {
			return err
		}
		return ber.ErrSyntax
	}
	switch {
	case c.IsContext(0) && c.Constructed:
		p.TimeForm = "localTime"
		lr := c.Children()
		var a ber.TLV
		for lr.Next(&a) {
			switch {
			case a.IsContext(0):
				b, err := octets(&a)
				if err != nil {
					return err
				}
				p.LocalTime = string(b)
				// Local wall clock without zone: keep it as read.
				tm, err := ber.GeneralizedTime(b)
				if err != nil {
					return err
				}
				p.Time = tm
			case a.IsContext(1):
				v, err := ber.Uint(a.Value)
				if err != nil {
					return err
				}
				p.WinterSummer = enumName(v, "notProvided", "winterTime", "summerTime")
			default:
				p.Unknown = append(p.Unknown, unknown(&a))
			}
		}
		return lr.Err()
	case c.IsContext(1):
		p.TimeForm = "utcTime"
		b, err := octets(&c)
		if err != nil {
			return err
		}
		tm, err := ber.UTCTime(b)
		if err != nil {
			return err
		}
		p.Time = tm
	default:
		p.Unknown = append(p.Unknown, unknown(&c))
	}
	return nil
}

func decodeParties(t *ber.TLV, p *Params) error {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		if !c.Is(ber.ClassUniversal, 16) || !c.Constructed {
			p.Unknown = append(p.Unknown, unknown(&c))
			continue
		}
		var pi PartyInfo
		pr := c.Children()
		var a ber.TLV
		for pr.Next(&a) {
			switch {
			case a.IsContext(0):
				v, err := ber.Uint(a.Value)
				if err != nil {
					return err
				}
				pi.Role = enumName(v, "originating-Party", "terminating-Party", "forwarded-to-Party", "gPRS-Target")
			case a.IsContext(1) && a.Constructed:
				if err := decodePartyIdentity(&a, &pi); err != nil {
					return err
				}
			case a.IsContext(2) && a.Constructed:
				sr := a.Children()
				var s ber.TLV
				for sr.Next(&s) {
					if !s.IsContext(1) || !s.Constructed {
						pi.Unknown = append(pi.Unknown, unknown(&s))
						continue
					}
					ir := s.Children()
					var o ber.TLV
					for ir.Next(&o) {
						b, err := octets(&o)
						if err != nil {
							return err
						}
						pi.ISUPParams = append(pi.ISUPParams, DecodeISUPParam(b))
					}
					if err := ir.Err(); err != nil {
						return err
					}
				}
				if err := sr.Err(); err != nil {
					return err
				}
			default:
				pi.Unknown = append(pi.Unknown, unknown(&a))
			}
		}
		if err := pr.Err(); err != nil {
			return err
		}
		p.Parties = append(p.Parties, pi)
	}
	return r.Err()
}

func decodePartyIdentity(t *ber.TLV, pi *PartyInfo) error {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		if !(c.IsContext(4) || c.IsContext(5)) || !c.Constructed {
			pi.Unknown = append(pi.Unknown, unknown(&c))
			continue
		}
		cr := c.Children()
		var a ber.TLV
		if !cr.Next(&a) {
			if err := cr.Err(); err != nil {
				return err
			}
			continue
		}
		b, err := octets(&a)
		if err != nil {
			return err
		}
		var ni NumberInfo
		switch {
		case a.IsContext(1): // iSUP-Format in both CHOICEs
			ni = DecodeISUPNumber(b)
		case c.Tag == 4 && a.IsContext(2), c.Tag == 5 && a.IsContext(3):
			ni = NumberInfo{Format: "dSS1", Hex: hex.EncodeToString(b)}
		case c.Tag == 4 && a.IsContext(3), c.Tag == 5 && a.IsContext(2):
			ni = NumberInfo{Format: "mAP", Hex: hex.EncodeToString(b)}
		default:
			ni = NumberInfo{Format: TagName(&a), Hex: hex.EncodeToString(b)}
		}
		if c.Tag == 4 {
			pi.Calling = &ni
		} else {
			pi.Called = &ni
		}
	}
	return r.Err()
}

var isupParamNames = map[uint8]string{
	0x02: "transmissionMediumRequirement", 0x04: "calledPartyNumber", 0x0A: "callingPartyNumber",
	0x0B: "redirectingNumber", 0x0C: "redirectionNumber", 0x13: "redirectionInformation",
	0x1D: "userServiceInformation", 0x21: "connectedNumber", 0x28: "originalCalledNumber",
	0x2C: "genericNotification", 0x36: "callDiversionInformation", 0x3F: "locationNumber",
	0xC0: "genericNumber",
}

// DecodeISUPParam decodes one whole ISUP parameter (code, length, value);
// number parameters get their number decoded.
func DecodeISUPParam(b []byte) ISUPParam {
	if len(b) < 2 || int(b[1]) != len(b)-2 {
		return ISUPParam{Name: "malformed", Hex: hex.EncodeToString(b)}
	}
	p := ISUPParam{Code: b[0], Name: isupParamNames[b[0]], Hex: hex.EncodeToString(b[2:])}
	v := b[2:]
	switch b[0] {
	case 0x04, 0x0A, 0x0B, 0x0C, 0x21, 0x28, 0x3F:
		n := DecodeISUPNumber(v)
		p.Number = &n
	case 0xC0: // generic number: number qualifier octet first
		if len(v) > 1 {
			n := DecodeISUPNumber(v[1:])
			p.Number = &n
		}
	}
	return p
}

// DecodeISUPNumber decodes an ISUP number parameter value: octet 1 odd/even
// bit and NAI, octet 2 indicators, then BCD digits low nibble first. Digits
// 0-9 print as such, 0xA-0xF as A-F (F is the ST end of pulsing signal).
func DecodeISUPNumber(b []byte) NumberInfo {
	n := NumberInfo{Format: "iSUP", Hex: hex.EncodeToString(b)}
	if len(b) < 2 {
		return n
	}
	n.NAI = b[0] & 0x7f
	odd := b[0]&0x80 != 0
	const digits = "0123456789ABCDEF"
	d := make([]byte, 0, 2*(len(b)-2))
	for i, c := range b[2:] {
		d = append(d, digits[c&0x0f])
		if i == len(b)-3 && odd {
			break
		}
		d = append(d, digits[c>>4])
	}
	n.Digits = string(d)
	return n
}

func bcdDuration(b []byte) string {
	if len(b) != 3 {
		return "hex:" + hex.EncodeToString(b)
	}
	return fmt.Sprintf("%02x:%02x:%02x", b[0], b[1], b[2])
}

func decodeCause(b []byte) *Cause {
	c := &Cause{Hex: hex.EncodeToString(b)}
	if len(b) >= 2 {
		c.Coding = b[0] >> 5 & 3
		c.Location = b[0] & 0x0f
	}
	if len(b) >= 1 {
		c.Value = b[len(b)-1] & 0x7f
	}
	return c
}
