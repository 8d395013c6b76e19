package psdu

import (
	"fmt"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
)

// Kind is the kind of payload a PS-PDU carries.
type Kind uint8

// Payload kinds.
const (
	KindUnknown           Kind = iota
	KindIRI                    // iRIPayloadSequence [0]
	KindCC                     // cCPayloadSequence [1]
	KindKeepalive              // tRIPayload keep-alive [3]
	KindKeepaliveResponse      // tRIPayload keep-aliveResponse [4]
	KindTRI                    // another tRIPayload alternative (TRITag says which)
	KindHI1                    // hI1-Operation [3]
)

var kindNames = [...]string{"UNKNOWN", "IRI", "CC", "KEEPALIVE", "KEEPALIVE-RESPONSE", "TRI", "HI1"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// PDU is a parsed PS-PDU. Byte slices alias the input.
type PDU struct {
	Header Header
	// HasTime / HasMicroTime tell which of timeStamp [5] and
	// microSecondTimeStamp [7] were present; Header.Time comes from the
	// microsecond one when both are.
	HasTime, HasMicroTime, HasCIN, HasQualifier bool
	Kind                                        Kind
	// PayloadTag is the tag of the payload CHOICE alternative; Payload is
	// its contents (for IRI: the SEQUENCE OF IRIPayload contents; for CC:
	// the SEQUENCE OF CCPayload contents).
	PayloadTag uint32
	Payload    []byte
	// TRITag is the tRIPayload alternative when Kind is a TRI kind.
	TRITag uint32
	Raw    []byte
}

// Parse decodes one PS-PDU from b (which must hold exactly one element,
// trailing bytes are an error). Strings in the header are copied; when p is
// reused and a string equals the one p held before, that one is kept, so
// parsing a stream of one LIID's PDUs does not allocate.
func Parse(b []byte, p *PDU) error {
	old := p.Header
	*p = PDU{}
	top, rest, err := ber.Parse(b)
	if err != nil {
		return fmt.Errorf("psdu: PS-PDU: %w", err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("psdu: %d bytes after the PS-PDU: %w", len(rest), ber.ErrSyntax)
	}
	if !top.Is(ber.ClassUniversal, 16) || !top.Constructed {
		return fmt.Errorf("psdu: PS-PDU is %v, want SEQUENCE: %w", top, ber.ErrSyntax)
	}
	p.Raw = top.Raw
	r := top.Children()
	var t ber.TLV
	var sawHeader, sawPayload bool
	for r.Next(&t) {
		switch {
		case t.IsContext(1) && t.Constructed:
			if err := parseHeader(&t, p, &old); err != nil {
				return err
			}
			sawHeader = true
		case t.IsContext(2) && t.Constructed:
			if err := parsePayload(&t, p); err != nil {
				return err
			}
			sawPayload = true
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("psdu: PS-PDU contents: %w", err)
	}
	if !sawHeader || !sawPayload {
		return fmt.Errorf("psdu: PS-PDU without pSHeader or payload: %w", ber.ErrSyntax)
	}
	return nil
}

// str returns t's string value, reusing old when equal.
func str(t *ber.TLV, old string) (string, error) {
	b := t.Value
	if t.Constructed {
		var buf [64]byte
		var err error
		if b, err = ber.AppendOctets(buf[:0], t); err != nil {
			return "", err
		}
	}
	if string(b) == old {
		return old, nil
	}
	return string(b), nil
}

func parseHeader(h *ber.TLV, p *PDU, old *Header) error {
	r := h.Children()
	var t ber.TLV
	var err error
	var sec, usec uint64
	var haveSec bool
	for r.Next(&t) {
		if t.Class != ber.ClassContext {
			continue
		}
		switch t.Tag {
		case 0:
			var buf [64]byte
			b, err2 := ber.AppendOID(buf[:0], t.Value)
			if err2 != nil {
				return fmt.Errorf("psdu: li-psDomainId: %w", err2)
			}
			if string(b) == old.DomainOID {
				p.Header.DomainOID = old.DomainOID
			} else {
				p.Header.DomainOID = string(b)
			}
		case 1:
			p.Header.LIID, err = str(&t, old.LIID)
		case 2:
			p.Header.AuthCountry, err = str(&t, old.AuthCountry)
		case 3:
			err = parseCommID(&t, p, old)
		case 4:
			var v uint64
			v, err = ber.Uint(t.Value)
			if err == nil && v > 1<<32-1 {
				err = ber.ErrSyntax
			}
			p.Header.Seq = uint32(v)
		case 5:
			var tm time.Time
			tm, err = ber.GeneralizedTime(t.Value)
			if err == nil && !p.HasMicroTime {
				p.Header.Time = tm
			}
			p.HasTime = err == nil
		case 6:
			p.Header.InterceptionPointID, err = str(&t, old.InterceptionPointID)
		case 7:
			sec, usec, err = MicroSecondTimeStamp(&t)
			haveSec = err == nil
		case 8:
			var v uint64
			v, err = ber.Uint(t.Value)
			p.Header.Qualifier = TimeStampQualifier(v)
			p.HasQualifier = err == nil
		}
		if err != nil {
			return fmt.Errorf("psdu: pSHeader [%d]: %w", t.Tag, err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("psdu: pSHeader: %w", err)
	}
	if haveSec {
		p.HasMicroTime = true
		p.Header.Time = time.Unix(int64(sec), int64(usec)*1000).UTC()
	}
	return nil
}

// MicroSecondTimeStamp decodes MicroSecondTimeStamp { seconds [0], microSeconds [1] }.
func MicroSecondTimeStamp(t *ber.TLV) (sec, usec uint64, err error) {
	r := t.Children()
	var c ber.TLV
	for r.Next(&c) {
		switch {
		case c.IsContext(0):
			sec, err = ber.Uint(c.Value)
		case c.IsContext(1):
			usec, err = ber.Uint(c.Value)
			if err == nil && usec > 999999 {
				err = ber.ErrSyntax
			}
		}
		if err != nil {
			return 0, 0, fmt.Errorf("microSecondTimeStamp: %w", err)
		}
	}
	if sec >= 253402300800 { // year 10000: keeps times printable (RFC 3339, JSON)
		return 0, 0, fmt.Errorf("microSecondTimeStamp: seconds out of range: %w", ber.ErrSyntax)
	}
	return sec, usec, r.Err()
}

func parseCommID(c *ber.TLV, p *PDU, old *Header) error {
	r := c.Children()
	var t ber.TLV
	var err error
	for r.Next(&t) {
		switch {
		case t.IsContext(0) && t.Constructed:
			nr := t.Children()
			var n ber.TLV
			for nr.Next(&n) {
				switch {
				case n.IsContext(0):
					p.Header.OperatorID, err = str(&n, old.OperatorID)
				case n.IsContext(1):
					p.Header.NetworkElementID, err = str(&n, old.NetworkElementID)
				}
				if err != nil {
					return err
				}
			}
			if err := nr.Err(); err != nil {
				return err
			}
		case t.IsContext(1):
			var v uint64
			v, err = ber.Uint(t.Value)
			if err == nil && v > 1<<32-1 {
				err = ber.ErrSyntax
			}
			p.Header.CIN = uint32(v)
			p.HasCIN = err == nil
		case t.IsContext(2):
			p.Header.DeliveryCountry, err = str(&t, old.DeliveryCountry)
		}
		if err != nil {
			return err
		}
	}
	p.Header.OmitCIN = !p.HasCIN
	return r.Err()
}

func parsePayload(pl *ber.TLV, p *PDU) error {
	r := pl.Children()
	var t ber.TLV
	if !r.Next(&t) {
		if err := r.Err(); err != nil {
			return fmt.Errorf("psdu: payload: %w", err)
		}
		return fmt.Errorf("psdu: empty payload: %w", ber.ErrSyntax)
	}
	p.PayloadTag = t.Tag
	p.Payload = t.Value
	if t.Class != ber.ClassContext {
		p.Kind = KindUnknown
		return nil
	}
	switch t.Tag {
	case PayloadIRI:
		p.Kind = KindIRI
	case PayloadCC:
		p.Kind = KindCC
	case PayloadHI1Operation:
		p.Kind = KindHI1
	case PayloadTRI:
		p.Kind = KindTRI
		tr := t.Children()
		var a ber.TLV
		if tr.Next(&a) && a.Class == ber.ClassContext {
			p.TRITag = a.Tag
			switch a.Tag {
			case TRIKeepAlive:
				p.Kind = KindKeepalive
			case TRIKeepAliveResponse:
				p.Kind = KindKeepaliveResponse
			}
		} else if err := tr.Err(); err != nil {
			return fmt.Errorf("psdu: tRIPayload: %w", err)
		}
	}
	return nil
}
