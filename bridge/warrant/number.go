package warrant

import (
	"errors"
	"fmt"
)

// Nature of address indicator values (Q.763 §3.9 / T1.113 common codes).
const (
	NAISubscriber    uint8 = 1 // subscriber number
	NAIUnknown       uint8 = 2 // unknown (national use): treated as dialled digits
	NAINational      uint8 = 3 // national (significant) number
	NAIInternational uint8 = 4 // international number
)

// ANSINAI maps an ANSI T1.113 nature of address to the common codes above:
// ANSI 5, 7 and 8 (non-unique subscriber, national and international numbers,
// used in calling party numbers) become 1, 3 and 4. Other codes pass through.
func ANSINAI(nai uint8) uint8 {
	switch nai {
	case 5:
		return NAISubscriber
	case 7:
		return NAINational
	case 8:
		return NAIInternational
	}
	return nai
}

// MaxDigits bounds the length of a canonical number (E.164 allows 15 digits;
// ISUP numbers carry at most a few more).
const MaxDigits = 32

// NumberPlan says how numbers of the node's own country are written, so that
// every form of a number normalises to one canonical international form
// (country code + national significant number, no prefix, no '+').
type NumberPlan struct {
	CountryCode         string // E.164 country code, e.g. "44"
	InternationalPrefix string // e.g. "00" (optional)
	NationalPrefix      string // trunk prefix, e.g. "0" (optional)
	AreaCode            string // area code prepended to subscriber numbers (optional)
	NSNMin, NSNMax      int    // national significant number length range (0 = unchecked)
}

// Validate checks the plan's fields are digit strings of sensible length.
func (p NumberPlan) Validate() error {
	var errs []error
	if p.CountryCode == "" || len(p.CountryCode) > 3 || !allDigits(p.CountryCode) || p.CountryCode[0] == '0' {
		errs = append(errs, fmt.Errorf("country code %q must be 1 to 3 digits, not starting with 0", p.CountryCode))
	}
	for _, f := range []struct{ name, v string }{
		{"international prefix", p.InternationalPrefix},
		{"national prefix", p.NationalPrefix},
		{"area code", p.AreaCode},
	} {
		if !allDigits(f.v) || len(f.v) > 8 {
			errs = append(errs, fmt.Errorf("%s %q must be at most 8 digits", f.name, f.v))
		}
	}
	if p.NSNMin < 0 || p.NSNMax < p.NSNMin || p.NSNMax > 15 {
		errs = append(errs, fmt.Errorf("national significant number length %d..%d is not a range within 0..15", p.NSNMin, p.NSNMax))
	}
	return errors.Join(errs...)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, p string) bool {
	return p != "" && len(b) >= len(p) && string(b[:len(p)]) == p
}

func (p *NumberPlan) nsnOK(n int) bool {
	if p.NSNMax == 0 {
		return false
	}
	return n >= p.NSNMin && n <= p.NSNMax
}

// Canonical writes the canonical international form of (nai, digits) into
// dst and returns the number of bytes written, or 0 when the number cannot
// be normalised (empty, too long, or a subscriber number without an area
// code in the plan). Digits are ASCII as they come off the wire; a trailing
// ST ('F', 'f' or '#') is dropped. It does not allocate.
func (p *NumberPlan) Canonical(dst *[MaxDigits]byte, nai uint8, digits []byte) int {
	for len(digits) > 0 {
		last := digits[len(digits)-1]
		if last != 'F' && last != 'f' && last != '#' {
			break
		}
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		return 0
	}
	switch nai {
	case NAIInternational:
		return put(dst, "", "", digits)
	case NAINational:
		// Some switches keep the trunk prefix in a national number.
		if !p.nsnOK(len(digits)) && hasPrefix(digits, p.NationalPrefix) &&
			(p.NSNMax == 0 || p.nsnOK(len(digits)-len(p.NationalPrefix))) {
			digits = digits[len(p.NationalPrefix):]
		}
		return put(dst, p.CountryCode, "", digits)
	case NAISubscriber:
		if p.AreaCode == "" {
			return 0
		}
		return put(dst, p.CountryCode, p.AreaCode, digits)
	default:
		return p.dialled(dst, digits)
	}
}

// dialled normalises digits written as a person in the node's own area would
// dial them: international prefix, trunk prefix, country code followed by a
// national significant number, a national significant number, or a local
// subscriber number.
func (p *NumberPlan) dialled(dst *[MaxDigits]byte, digits []byte) int {
	switch {
	case hasPrefix(digits, p.InternationalPrefix):
		return put(dst, "", "", digits[len(p.InternationalPrefix):])
	case hasPrefix(digits, p.NationalPrefix):
		return put(dst, p.CountryCode, "", digits[len(p.NationalPrefix):])
	case hasPrefix(digits, p.CountryCode) && p.nsnOK(len(digits)-len(p.CountryCode)):
		return put(dst, "", "", digits)
	case p.nsnOK(len(digits)):
		return put(dst, p.CountryCode, "", digits)
	case p.AreaCode != "":
		return put(dst, p.CountryCode, p.AreaCode, digits)
	case p.NSNMax == 0:
		return put(dst, p.CountryCode, "", digits) // no length known: take it as national
	default:
		return 0 // neither a national significant number nor, without an area code, a subscriber number
	}
}

func put(dst *[MaxDigits]byte, a, b string, digits []byte) int {
	if len(digits) == 0 || len(a)+len(b)+len(digits) > MaxDigits {
		return 0
	}
	n := copy(dst[:], a)
	n += copy(dst[n:], b)
	n += copy(dst[n:], digits)
	return n
}

// CanonicalTarget normalises a target number as written in a warrant:
// "+442079460000" is international; anything else is read as dialled from
// the node's own area (international prefix, trunk prefix, NSN, subscriber).
// Only digits are allowed after the optional '+'; spaces, dots, dashes and
// parentheses are ignored.
func (p *NumberPlan) CanonicalTarget(s string) (string, error) {
	var raw [MaxDigits]byte
	n, plus := 0, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '+' && n == 0 && !plus:
			plus = true
		case ch >= '0' && ch <= '9':
			if n == len(raw) {
				return "", fmt.Errorf("number is too long")
			}
			raw[n] = ch
			n++
		case ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')':
		default:
			return "", fmt.Errorf("number: unexpected %q (only digits, optionally after '+')", ch)
		}
	}
	if n == 0 {
		return "", fmt.Errorf("number has no digits")
	}
	nai := NAIUnknown
	if plus {
		nai = NAIInternational
	}
	var out [MaxDigits]byte
	m := p.Canonical(&out, nai, raw[:n])
	if m == 0 {
		return "", fmt.Errorf("number cannot be normalised with this number plan")
	}
	if m > 15 {
		return "", fmt.Errorf("number normalises to %d digits, more than E.164's 15", m)
	}
	return string(out[:m]), nil
}
