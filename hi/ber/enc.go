package ber

import "time"

// Encoder appends DER-style (definite length) BER into a reused buffer
// without allocating: Open writes an identifier and reserves one length
// octet, Close patches the length and, when the contents exceed 127 octets,
// shifts them to make room for the long form. Nesting is limited to 16.
//
// golang.org/x/crypto/cryptobyte's Builder was measured for this (see
// BenchmarkCryptobyteNested): it allocates a child Builder per nested
// element and supports tag numbers up to 30 only (TS 101 671 needs [255]),
// so the hot path uses this appender.
type Encoder struct {
	Buf   []byte
	stack [16]int32
	depth int
}

// Reset starts a new encoding that appends to dst (usually buf[:0]).
func (e *Encoder) Reset(dst []byte) {
	e.Buf = dst
	e.depth = 0
}

// Bytes returns the encoding. All Opens must have been closed.
func (e *Encoder) Bytes() []byte { return e.Buf }

// Tag values as passed to Open and the primitive writers: class<<6 |
// constructed bit, and the tag number separately.

// AppendIdentifier appends the identifier octets of (class, constructed, tag).
func AppendIdentifier(dst []byte, class Class, constructed bool, tag uint32) []byte {
	id := byte(class) << 6
	if constructed {
		id |= 0x20
	}
	if tag < 31 {
		return append(dst, id|byte(tag))
	}
	return appendHighTag(dst, id, tag)
}

func appendHighTag(dst []byte, id byte, tag uint32) []byte {
	dst = append(dst, id|0x1f)
	var tmp [5]byte
	n := 0
	for t := tag; ; t >>= 7 {
		tmp[4-n] = byte(t & 0x7f)
		n++
		if t < 0x80 {
			break
		}
	}
	for i := 5 - n; i < 4; i++ {
		tmp[i] |= 0x80
	}
	return append(dst, tmp[5-n:]...)
}

// AppendLength appends a definite length in minimal form.
func AppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n < 0x100:
		return append(dst, 0x81, byte(n))
	case n < 0x10000:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// Open starts a constructed element [class tag].
func (e *Encoder) Open(class Class, tag uint32) {
	if tag < 31 {
		e.Buf = append(e.Buf, byte(class)<<6|0x20|byte(tag), 0)
	} else {
		e.Buf = appendHighTag(e.Buf, byte(class)<<6|0x20, tag)
		e.Buf = append(e.Buf, 0)
	}
	if e.depth < len(e.stack) {
		e.stack[e.depth] = int32(len(e.Buf))
	}
	e.depth++
}

// OpenCtx starts a constructed context-specific element [tag].
func (e *Encoder) OpenCtx(tag uint32) { e.Open(ClassContext, tag) }

// Close ends the innermost open element.
func (e *Encoder) Close() {
	e.depth--
	if e.depth < 0 || e.depth >= len(e.stack) {
		panic("ber: Encoder nesting too deep or unbalanced Close")
	}
	start := int(e.stack[e.depth])
	n := len(e.Buf) - start
	if n < 0x80 {
		e.Buf[start-1] = byte(n)
		return
	}
	var lb [5]byte
	l := AppendLength(lb[:0], n)
	extra := len(l) - 1
	for range extra {
		e.Buf = append(e.Buf, 0)
	}
	copy(e.Buf[start+extra:], e.Buf[start:start+n])
	copy(e.Buf[start-1:], l)
}

// Primitive appends a primitive element [class tag] with contents v.
func (e *Encoder) Primitive(class Class, tag uint32, v []byte) {
	if tag < 31 && len(v) < 0x80 {
		e.Buf = append(e.Buf, byte(class)<<6|byte(tag), byte(len(v)))
		e.Buf = append(e.Buf, v...)
		return
	}
	e.Buf = AppendIdentifier(e.Buf, class, false, tag)
	e.Buf = AppendLength(e.Buf, len(v))
	e.Buf = append(e.Buf, v...)
}

// Octets appends a primitive context-specific [tag] with contents v.
func (e *Encoder) Octets(tag uint32, v []byte) { e.Primitive(ClassContext, tag, v) }

// String appends a primitive context-specific [tag] with the bytes of s.
func (e *Encoder) String(tag uint32, s string) {
	if tag < 31 && len(s) < 0x80 {
		e.Buf = append(e.Buf, 0x80|byte(tag), byte(len(s)))
		e.Buf = append(e.Buf, s...)
		return
	}
	e.Buf = AppendIdentifier(e.Buf, ClassContext, false, tag)
	e.Buf = AppendLength(e.Buf, len(s))
	e.Buf = append(e.Buf, s...)
}

// Null appends a context-specific [tag] NULL.
func (e *Encoder) Null(tag uint32) {
	e.Buf = AppendIdentifier(e.Buf, ClassContext, false, tag)
	e.Buf = append(e.Buf, 0)
}

// Uint appends a context-specific [tag] INTEGER/ENUMERATED with value x
// (minimal two's-complement contents of a non-negative number).
func (e *Encoder) Uint(tag uint32, x uint64) {
	if tag < 31 && x < 0x80 {
		e.Buf = append(e.Buf, 0x80|byte(tag), 1, byte(x))
		return
	}
	e.Buf = AppendIdentifier(e.Buf, ClassContext, false, tag)
	e.Buf = AppendUintContents(e.Buf, x)
}

// AppendUintContents appends length and minimal contents of a non-negative INTEGER.
func AppendUintContents(dst []byte, x uint64) []byte {
	n := 1
	for y := x; y > 0x7f; y >>= 8 {
		n++
	}
	dst = append(dst, byte(n))
	for i := n - 1; i >= 0; i-- {
		if i >= 8 {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, byte(x>>(8*uint(i))))
	}
	return dst
}

// AppendGeneralizedTime appends YYYYMMDDHHMMSS[.fff]Z for t in UTC;
// millis selects the three fraction digits.
func AppendGeneralizedTime(dst []byte, t time.Time, millis bool) []byte {
	t = t.UTC()
	dst = appendClock(dst, t)
	if millis {
		dst = appendMillis(dst, t)
	}
	return append(dst, 'Z')
}

// GeneralizedTime appends a context-specific [tag] GeneralizedTime (with
// milliseconds, UTC).
func (e *Encoder) GeneralizedTime(tag uint32, t time.Time) {
	e.Buf = AppendIdentifier(e.Buf, ClassContext, false, tag)
	l := len(e.Buf)
	e.Buf = append(e.Buf, 0)
	e.Buf = AppendGeneralizedTime(e.Buf, t, true)
	e.Buf[l] = byte(len(e.Buf) - l - 1)
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10%10), byte('0'+v%10)) }
func append4(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/1000%10), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// AppendLocalGeneralizedTime appends t's wall clock in its own location as
// YYYYMMDDHHMMSS.fff with no zone suffix (a local-time GeneralizedTime).
func AppendLocalGeneralizedTime(dst []byte, t time.Time) []byte {
	return appendMillis(appendClock(dst, t), t)
}

// appendClock appends t's wall clock in its own location as YYYYMMDDHHMMSS.
func appendClock(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append4(dst, y)
	dst = append2(dst, int(mo))
	dst = append2(dst, d)
	dst = append2(dst, h)
	dst = append2(dst, mi)
	return append2(dst, s)
}

// appendMillis appends ".fff", t's milliseconds (truncated).
func appendMillis(dst []byte, t time.Time) []byte {
	ms := t.Nanosecond() / 1e6
	return append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// AppendUTCTime appends t in UTC as a UTCTime YYMMDDHHMMSSZ.
func AppendUTCTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append2(dst, y%100)
	dst = append2(dst, int(mo))
	dst = append2(dst, d)
	dst = append2(dst, h)
	dst = append2(dst, mi)
	dst = append2(dst, s)
	return append(dst, 'Z')
}

// BeginPrimitive writes the identifier of a primitive [tag] and reserves a one-octet
// length; EndPrimitive patches it. For contents shorter than 128 octets
// produced by an appender.
func (e *Encoder) BeginPrimitive(tag uint32) int {
	e.Buf = AppendIdentifier(e.Buf, ClassContext, false, tag)
	e.Buf = append(e.Buf, 0)
	return len(e.Buf)
}

// EndPrimitive patches the length of a primitive begun with BeginPrimitive
// (contents must be < 128 octets).
func (e *Encoder) EndPrimitive(start int) {
	n := len(e.Buf) - start
	if n > 127 {
		panic("ber: EndPrimitive contents too long")
	}
	e.Buf[start-1] = byte(n)
}

// Element appends an element [class tag] (constructed or not) with contents v
// given whole, e.g. re-tagging the contents of a decoded element.
func (e *Encoder) Element(class Class, constructed bool, tag uint32, v []byte) {
	e.Buf = AppendIdentifier(e.Buf, class, constructed, tag)
	e.Buf = AppendLength(e.Buf, len(v))
	e.Buf = append(e.Buf, v...)
}
