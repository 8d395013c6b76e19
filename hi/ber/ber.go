// Package ber is a small, tolerant BER decoder (ITU-T X.690) and a minimal
// zero-allocation BER appender.
//
// The decoder accepts definite and indefinite lengths, high tag numbers and
// non-minimal length encodings (other encoders produce them); it never panics
// and never allocates: every TLV aliases the input. Nesting is limited to
// MaxDepth to bound the work on hostile input.
package ber

import (
	"errors"
	"fmt"
)

// Class is the class of a BER tag.
type Class uint8

// Tag classes.
const (
	ClassUniversal   Class = 0
	ClassApplication Class = 1
	ClassContext     Class = 2
	ClassPrivate     Class = 3
)

// MaxDepth bounds the nesting of indefinite-length elements the decoder walks.
const MaxDepth = 64

// Errors returned by the decoder.
var (
	// ErrShort means the input ends inside an element; with a stream, read more.
	ErrShort = errors.New("ber: truncated element")
	// ErrSyntax means the input is not valid BER.
	ErrSyntax = errors.New("ber: malformed element")
	// ErrDepth means indefinite-length nesting exceeds MaxDepth.
	ErrDepth = errors.New("ber: nesting too deep")
)

// TLV is one decoded element. Value and Raw alias the input.
type TLV struct {
	Class       Class
	Constructed bool
	Tag         uint32
	Indefinite  bool   // the element used the indefinite length form
	Value       []byte // contents octets (without the end-of-contents octets)
	Raw         []byte // the whole element: identifier, length, contents (and EOC)
}

// Is reports whether t has the given class and tag number.
func (t *TLV) Is(c Class, tag uint32) bool { return t.Class == c && t.Tag == tag }

// IsContext reports whether t is the context-specific tag [tag].
func (t *TLV) IsContext(tag uint32) bool { return t.Class == ClassContext && t.Tag == tag }

func (t TLV) String() string {
	cls := [...]string{"UNIV", "APPL", "CTX", "PRIV"}[t.Class&3]
	return fmt.Sprintf("%s %d constructed=%v len=%d", cls, t.Tag, t.Constructed, len(t.Value))
}

// header parses the identifier and length octets of the element at b.
// length is -1 for the indefinite form.
func header(b []byte) (class Class, constructed bool, tag uint32, hdr int, length int, err error) {
	if len(b) < 1 {
		return 0, false, 0, 0, 0, ErrShort
	}
	id := b[0]
	class = Class(id >> 6)
	constructed = id&0x20 != 0
	tag = uint32(id & 0x1f)
	i := 1
	if tag == 0x1f {
		tag = 0
		for n := 0; ; n++ {
			if i >= len(b) {
				return 0, false, 0, 0, 0, ErrShort
			}
			c := b[i]
			i++
			if n >= 4 { // more than 28 bits of tag number
				return 0, false, 0, 0, 0, ErrSyntax
			}
			tag = tag<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, false, 0, 0, 0, ErrShort
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		length = int(l)
	case l == 0x80:
		if !constructed {
			return 0, false, 0, 0, 0, ErrSyntax
		}
		length = -1
	case l == 0xff:
		return 0, false, 0, 0, 0, ErrSyntax
	default:
		n := int(l & 0x7f)
		if n > 4 {
			// Tolerate leading zero octets, but the value must fit in 31 bits.
			for j := 0; j < n-4; j++ {
				if i+j >= len(b) {
					return 0, false, 0, 0, 0, ErrShort
				}
				if b[i+j] != 0 {
					return 0, false, 0, 0, 0, ErrSyntax
				}
			}
			i += n - 4
			n = 4
		}
		if i+n > len(b) {
			return 0, false, 0, 0, 0, ErrShort
		}
		v := 0
		for j := 0; j < n; j++ {
			v = v<<8 | int(b[i+j])
		}
		i += n
		if v < 0 || v > 1<<31-1 {
			return 0, false, 0, 0, 0, ErrSyntax
		}
		length = v
	}
	return class, constructed, tag, i, length, nil
}

// Parse decodes the first element of b and returns it with the rest of b.
func Parse(b []byte) (TLV, []byte, error) {
	return parse(b, 0)
}

func parse(b []byte, depth int) (TLV, []byte, error) {
	if depth > MaxDepth {
		return TLV{}, nil, ErrDepth
	}
	class, cons, tag, hdr, length, err := header(b)
	if err != nil {
		return TLV{}, nil, err
	}
	if length >= 0 {
		if length > len(b)-hdr {
			return TLV{}, nil, ErrShort
		}
		end := hdr + length
		return TLV{Class: class, Constructed: cons, Tag: tag, Value: b[hdr:end:end], Raw: b[:end:end]}, b[end:], nil
	}
	// Indefinite: walk the children up to the end-of-contents octets.
	p := hdr
	for {
		if p+2 <= len(b) && b[p] == 0 && b[p+1] == 0 {
			end := p + 2
			return TLV{Class: class, Constructed: cons, Tag: tag, Indefinite: true, Value: b[hdr:p:p], Raw: b[:end:end]}, b[end:], nil
		}
		if p >= len(b) {
			return TLV{}, nil, ErrShort
		}
		_, rest, err := parse(b[p:], depth+1)
		if err != nil {
			return TLV{}, nil, err
		}
		p = len(b) - len(rest)
	}
}

// ElementLen returns the total length of the first element of b (header,
// contents and end-of-contents octets). It returns ErrShort when b holds only
// part of the element: the caller reads more and tries again.
func ElementLen(b []byte) (int, error) {
	t, _, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return len(t.Raw), nil
}

// Reader iterates over the elements of a constructed value.
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a Reader over the concatenated elements in b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Children returns a Reader over t's contents.
func (t *TLV) Children() Reader { return Reader{b: t.Value} }

// Next decodes the next element. It returns false at the end or on error
// (see Err).
func (r *Reader) Next(t *TLV) bool {
	if r.err != nil || len(r.b) == 0 {
		return false
	}
	v, rest, err := Parse(r.b)
	if err != nil {
		r.err = err
		return false
	}
	*t = v
	r.b = rest
	return true
}

// Err returns the first error met by Next.
func (r *Reader) Err() error { return r.err }

// Empty reports whether no bytes are left.
func (r *Reader) Empty() bool { return len(r.b) == 0 }
