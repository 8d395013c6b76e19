package hi3

import (
	"fmt"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// Content is one decoded CCPayload. Data aliases the input.
type Content struct {
	Direction    uint8
	Time         time.Time // microSecondTimeStamp if present, else timeStamp
	HasTime      bool
	Qualifier    psdu.TimeStampQualifier
	HasQualifier bool
	// Kind is ContentsIPMMCC, ContentsPstnIsdnCC or another alternative's tag.
	Kind  uint32
	ObjID string
	// Data is mMCCContents (the RTP packet) or pstnIsdnCCContents.
	Data                      []byte
	FrameType, Protocol       uint8
	HasFrameType, HasProtocol bool
	StreamID                  []byte // streamIdentifier (aliases the input); nil if absent
	CCLinkID                  uint64
	HasCCLinkID               bool
	Media                     *hi2.Media
	Unknown                   []hi2.Unknown
}

// DirectionName returns the PayloadDirection name.
func DirectionName(d uint8) string {
	switch d {
	case FromTarget:
		return "fromTarget"
	case ToTarget:
		return "toTarget"
	case Indeterminate:
		return "indeterminate"
	case Combined:
		return "combined"
	case NotApplicable:
		return "notapplicable"
	}
	return fmt.Sprintf("unknown(%d)", d)
}

// DecodePayload decodes the contents of a cCPayloadSequence (psdu.PDU
// Payload for KindCC), appending one Content per CCPayload to dst.
func DecodePayload(payload []byte, dst []Content) ([]Content, error) {
	r := ber.NewReader(payload)
	var t ber.TLV
	for r.Next(&t) {
		if !t.Is(ber.ClassUniversal, 16) || !t.Constructed {
			return dst, fmt.Errorf("hi3: CCPayload is %v: %w", t, ber.ErrSyntax)
		}
		dst = append(dst, Content{})
		if err := decodeCCPayload(&t, &dst[len(dst)-1]); err != nil {
			return dst[:len(dst)-1], err
		}
	}
	if err := r.Err(); err != nil {
		return dst, fmt.Errorf("hi3: cCPayloadSequence: %w", err)
	}
	return dst, nil
}

func unknown(t *ber.TLV) hi2.Unknown {
	const digits = "0123456789abcdef"
	h := make([]byte, 2*len(t.Raw))
	for i, c := range t.Raw {
		h[2*i], h[2*i+1] = digits[c>>4], digits[c&15]
	}
	return hi2.Unknown{Tag: hi2.TagName(t), Hex: string(h)}
}

func decodeCCPayload(p *ber.TLV, c *Content) error {
	r := p.Children()
	var t ber.TLV
	var haveMicro, sawContents bool
	for r.Next(&t) {
		if t.Class != ber.ClassContext {
			c.Unknown = append(c.Unknown, unknown(&t))
			continue
		}
		var err error
		switch t.Tag {
		case 0:
			var v uint64
			v, err = ber.Uint(t.Value)
			c.Direction = uint8(min(v, 255))
		case 1:
			var tm time.Time
			tm, err = ber.GeneralizedTime(t.Value)
			if err == nil && !haveMicro {
				c.Time, c.HasTime = tm, true
			}
		case 2:
			err = decodeCCContents(&t, c)
			sawContents = true
		case 3:
			var sec, usec uint64
			sec, usec, err = psdu.MicroSecondTimeStamp(&t)
			if err == nil {
				c.Time, c.HasTime, haveMicro = time.Unix(int64(sec), int64(usec)*1000).UTC(), true, true
			}
		case 4:
			var v uint64
			v, err = ber.Uint(t.Value)
			c.Qualifier, c.HasQualifier = psdu.TimeStampQualifier(min(v, 255)), true
		default:
			c.Unknown = append(c.Unknown, unknown(&t))
		}
		if err != nil {
			return fmt.Errorf("hi3: CCPayload %s: %w", hi2.TagName(&t), err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("hi3: CCPayload: %w", err)
	}
	if !sawContents {
		return fmt.Errorf("hi3: CCPayload without cCContents: %w", ber.ErrSyntax)
	}
	return nil
}

func decodeCCContents(t *ber.TLV, c *Content) error {
	r := t.Children()
	var alt ber.TLV
	if !r.Next(&alt) {
		if err := r.Err(); err != nil {
			return err
		}
		return ber.ErrSyntax
	}
	c.Kind = alt.Tag
	if alt.Class != ber.ClassContext || !alt.Constructed || (alt.Tag != ContentsIPMMCC && alt.Tag != ContentsPstnIsdnCC) {
		c.Kind = alt.Tag | 1<<31 // not a known alternative
		c.Unknown = append(c.Unknown, unknown(&alt))
		return nil
	}
	ar := alt.Children()
	var f ber.TLV
	for ar.Next(&f) {
		if f.Class != ber.ClassContext {
			c.Unknown = append(c.Unknown, unknown(&f))
			continue
		}
		var err error
		var v uint64
		switch {
		case f.Tag == 0:
			switch string(f.Value) {
			case string(IPMMCCObjID[:]):
				c.ObjID = "5.5.6.2"
			case string(PstnIsdnCCObjID[:]):
				c.ObjID = "5.6.6.2"
			default:
				var b []byte
				b, err = ber.AppendRelativeOID(nil, f.Value)
				c.ObjID = string(b)
			}
		case f.Tag == 1:
			if f.Constructed {
				c.Data, err = ber.AppendOctets(nil, &f)
			} else {
				c.Data = f.Value
			}
		case alt.Tag == ContentsIPMMCC && f.Tag == 2:
			v, err = ber.Uint(f.Value)
			c.FrameType, c.HasFrameType = uint8(min(v, 255)), true
		case alt.Tag == ContentsIPMMCC && f.Tag == 3:
			if f.Constructed {
				c.StreamID, err = ber.AppendOctets(nil, &f)
			} else {
				c.StreamID = f.Value
			}
		case alt.Tag == ContentsIPMMCC && f.Tag == 4:
			v, err = ber.Uint(f.Value)
			c.Protocol, c.HasProtocol = uint8(min(v, 255)), true
		case alt.Tag == ContentsPstnIsdnCC && f.Tag == 2:
			c.CCLinkID, err = ber.Uint(f.Value)
			c.HasCCLinkID = true
		case alt.Tag == ContentsPstnIsdnCC && f.Tag == 3 && f.Constructed:
			c.Media = new(hi2.Media)
			err = hi2.DecodeSupplementaryInfo(&f, c.Media)
		default:
			c.Unknown = append(c.Unknown, unknown(&f))
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", hi2.TagName(&alt), hi2.TagName(&f), err)
		}
	}
	return ar.Err()
}
