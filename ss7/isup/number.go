package isup

// MaxDigits is the most address signals a Number holds.
const MaxDigits = 64

const hexDigits = "0123456789ABCDEF"

// Number is an ISUP number parameter (called, calling, original called,
// redirecting, redirection, connected, location, subsequent, generic
// number / ANSI generic address, ANSI charge number, ANSI jurisdiction
// information) in fixed-size storage.
//
// The indicator octet that follows the odd/even+NAI octet is split the same
// way for every number parameter, so that any bits survive a round trip:
// bit 8 → INN (INN for called/redirection/location numbers, NI "number
// incomplete" for calling/connected/generic numbers), bits 7-5 → NPI,
// bits 4-3 → Presentation (APRI), bits 2-1 → Screening. For parameters where
// some of these are spare (e.g. the called party number has no APRI), the
// spare bits land in those fields and are normally 0.
//
// Digits are kept as on the wire, one ASCII character per nibble in
// "0123456789ABCDEF" (so ST, end of pulsing, is 'F'; codes 11 and 12 are 'B'
// and 'C'); Filler keeps the filler nibble after an odd number of digits.
type Number struct {
	Present bool
	// Code is the parameter code this number was decoded from; it selects
	// the layout for AppendParam (PGenericNumber: with a qualifier octet;
	// PSubsequentNumber: odd/even octet only; PJurisdictionInfo: digits only;
	// anything else: odd/even+NAI octet and indicator octet).
	Code ParamCode
	// Qualifier is the number qualifier (ITU generic number) or type of
	// address (ANSI generic address).
	Qualifier    uint8
	Odd          bool
	NAI          uint8 // nature of address indicator (7 bits); spare bits for the subsequent number
	INN          uint8 // bit 8 of the indicator octet: INN or NI (see above)
	NPI          uint8 // numbering plan indicator (3 bits)
	Presentation uint8 // address presentation restricted indicator (2 bits)
	Screening    uint8 // screening indicator (2 bits)
	Filler       uint8 // filler nibble after an odd number of digits
	n            uint8
	digits       [MaxDigits]byte
}

// Nature of address indicator values (Q.763 3.9 / 3.10).
const (
	NAISubscriber    = 1
	NAIUnknown       = 2
	NAINational      = 3
	NAIInternational = 4
)

// Digits returns the address signals as ASCII (see Number), including an ST
// 'F' if present. It aliases the Number's storage; no allocation.
func (n *Number) Digits() []byte { return n.digits[:n.n] }

// Address returns Digits without a trailing ST ('F').
func (n *Number) Address() []byte {
	d := n.digits[:n.n]
	if len(d) > 0 && d[len(d)-1] == 'F' {
		d = d[:len(d)-1]
	}
	return d
}

// String returns the digits as a string (allocates; for CLI and tests).
func (n *Number) String() string { return string(n.digits[:n.n]) }

// SetDigits stores the digits s (characters 0-9, A-F, a-f) and sets Odd.
// It returns ErrBadDigit or ErrTooLong (leaving n unchanged).
func (n *Number) SetDigits(s string) error { return setDigits(n, 0, s) }

// SetDigitsBytes is SetDigits for a byte slice; it does not allocate.
func (n *Number) SetDigitsBytes(b []byte) error { return setDigits(n, 0, b) }

// AppendDigits appends digits (e.g. SAM digits to a called number) and
// updates Odd; it does not allocate. ErrBadDigit or ErrTooLong leave n
// unchanged.
func (n *Number) AppendDigits(b []byte) error { return setDigits(n, int(n.n), b) }

func setDigits[T string | []byte](n *Number, at int, s T) error {
	if at+len(s) > MaxDigits {
		return ErrTooLong
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return ErrBadDigit
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' {
			c -= 'a' - 'A'
		}
		n.digits[at+i] = c
	}
	n.n = uint8(at + len(s))
	n.Odd = n.n%2 == 1
	return nil
}

func nibble(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}

// headerLen returns the number of octets before the digits for the layout
// selected by code.
func numberHeaderLen(code ParamCode) int {
	switch code {
	case PGenericNumber:
		return 3
	case PSubsequentNumber:
		return 1
	case PJurisdictionInfo:
		return 0
	}
	return 2
}

// decodeNumber decodes the parameter value b with the layout of code.
func (n *Number) decode(code ParamCode, b []byte) error {
	h := numberHeaderLen(code)
	if len(b) < h {
		return ErrTruncated
	}
	n.Present = true
	n.Code = code
	i := 0
	if code == PGenericNumber {
		n.Qualifier = b[0]
		i = 1
	}
	if h > 0 {
		n.Odd = b[i]&0x80 != 0
		n.NAI = b[i] & 0x7F
		i++
	}
	if h >= 2 {
		o := b[i]
		n.INN = o >> 7
		n.NPI = (o >> 4) & 7
		n.Presentation = (o >> 2) & 3
		n.Screening = o & 3
		i++
	}
	d := b[i:]
	nd := 2 * len(d)
	if n.Odd && nd > 0 {
		nd--
		n.Filler = d[len(d)-1] >> 4
	}
	if nd > MaxDigits {
		return ErrTooLong
	}
	for k := 0; k < nd; k++ {
		x := d[k>>1]
		if k&1 == 1 {
			x >>= 4
		}
		n.digits[k] = hexDigits[x&15]
	}
	n.n = uint8(nd)
	return nil
}

// AppendParam appends the ISUP parameter value (without code and length
// octets) to dst, in the layout selected by n.Code. This is the "ISUP
// format" of a number used by HI2.
func (n *Number) AppendParam(dst []byte) []byte { return n.appendAs(n.Code, dst) }

func (n *Number) appendAs(code ParamCode, dst []byte) []byte {
	h := numberHeaderLen(code)
	if code == PGenericNumber {
		dst = append(dst, n.Qualifier)
	}
	if h > 0 {
		o := n.NAI & 0x7F
		if n.Odd {
			o |= 0x80
		}
		dst = append(dst, o)
	}
	if h >= 2 {
		dst = append(dst, n.INN<<7|(n.NPI&7)<<4|(n.Presentation&3)<<2|n.Screening&3)
	}
	d := n.digits[:n.n]
	for k := 0; k < len(d); k += 2 {
		x := nibble(d[k])
		if k+1 < len(d) {
			x |= nibble(d[k+1]) << 4
		} else {
			x |= (n.Filler & 15) << 4
		}
		dst = append(dst, x)
	}
	return dst
}

// DecodeNumber decodes a number parameter value (e.g. a second generic
// number found in Message.RawParams) in the layout of code into n.
func DecodeNumber(code ParamCode, value []byte, n *Number) error {
	*n = Number{}
	if err := n.decode(code, value); err != nil {
		*n = Number{}
		return err
	}
	return nil
}
