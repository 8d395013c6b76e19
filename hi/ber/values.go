package ber

import (
	"strconv"
	"time"
)

// Uint decodes an INTEGER or ENUMERATED contents that must be non-negative
// and fit in 64 bits. Leading zero octets are tolerated.
func Uint(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, ErrSyntax
	}
	if v[0]&0x80 != 0 {
		return 0, ErrSyntax
	}
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > 8 {
		return 0, ErrSyntax
	}
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x, nil
}

// Int decodes a two's-complement INTEGER contents of up to 8 octets.
func Int(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 8 {
		return 0, ErrSyntax
	}
	x := int64(int8(v[0]))
	for _, c := range v[1:] {
		x = x<<8 | int64(c)
	}
	return x, nil
}

// AppendOctets appends the value of an OCTET STRING (or other string type)
// to dst. A constructed (segmented) string is reassembled from its segments.
func AppendOctets(dst []byte, t *TLV) ([]byte, error) {
	if !t.Constructed {
		return append(dst, t.Value...), nil
	}
	r := t.Children()
	var c TLV
	for r.Next(&c) {
		var err error
		if dst, err = AppendOctets(dst, &c); err != nil {
			return dst, err
		}
	}
	return dst, r.Err()
}

// AppendOID appends the dotted form of an OBJECT IDENTIFIER contents to dst.
func AppendOID(dst, v []byte) ([]byte, error) {
	first := true
	var x uint64
	if len(v) == 0 || v[len(v)-1]&0x80 != 0 {
		return dst, ErrSyntax
	}
	for i, c := range v {
		if x > 1<<56 {
			return dst, ErrSyntax
		}
		x = x<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			first = false
			switch {
			case x < 40:
				dst = append(dst, '0', '.')
			case x < 80:
				dst = append(dst, '1', '.')
				x -= 40
			default:
				dst = append(dst, '2', '.')
				x -= 80
			}
		} else if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, x, 10)
		x = 0
	}
	return dst, nil
}

// AppendRelativeOID appends the dotted form of a RELATIVE-OID contents to dst.
func AppendRelativeOID(dst, v []byte) ([]byte, error) {
	if len(v) == 0 || v[len(v)-1]&0x80 != 0 {
		return dst, ErrSyntax
	}
	var x uint64
	n := 0
	for _, c := range v {
		if x > 1<<56 {
			return dst, ErrSyntax
		}
		x = x<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if n > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, x, 10)
		x = 0
		n++
	}
	return dst, nil
}

// GeneralizedTime parses a GeneralizedTime contents: YYYYMMDDHH[MM[SS[.f+]]]
// followed by Z, a ±hhmm offset, or nothing (taken as UTC).
func GeneralizedTime(v []byte) (time.Time, error) {
	d := func(i, n int) (int, bool) {
		if i+n > len(v) {
			return 0, false
		}
		x := 0
		for _, c := range v[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			x = x*10 + int(c-'0')
		}
		return x, true
	}
	year, ok1 := d(0, 4)
	mon, ok2 := d(4, 2)
	day, ok3 := d(6, 2)
	hour, ok4 := d(8, 2)
	if !(ok1 && ok2 && ok3 && ok4) {
		return time.Time{}, ErrSyntax
	}
	i := 10
	var min, sec, nsec int
	if m, ok := d(i, 2); ok {
		min = m
		i += 2
		if s, ok := d(i, 2); ok {
			sec = s
			i += 2
		}
	}
	if i < len(v) && (v[i] == '.' || v[i] == ',') {
		i++
		scale := 100000000
		start := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			nsec += int(v[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return time.Time{}, ErrSyntax
		}
	}
	loc := time.UTC
	if i < len(v) {
		switch v[i] {
		case 'Z':
			i++
		case '+', '-':
			hh, ok := d(i+1, 2)
			mm, ok2 := d(i+3, 2)
			if !ok || !ok2 {
				return time.Time{}, ErrSyntax
			}
			off := hh*3600 + mm*60
			if v[i] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
			i += 5
		}
	}
	if i != len(v) || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 24 || min > 59 || sec > 60 {
		return time.Time{}, ErrSyntax
	}
	return time.Date(year, time.Month(mon), day, hour, min, sec, nsec, loc).UTC(), nil
}

// UTCTime parses a UTCTime contents YYMMDDHHMM[SS](Z|±hhmm); years 50..99
// are 19xx.
func UTCTime(v []byte) (time.Time, error) {
	if len(v) < 11 {
		return time.Time{}, ErrSyntax
	}
	for _, c := range v[:10] {
		if c < '0' || c > '9' {
			return time.Time{}, ErrSyntax
		}
	}
	yy := int(v[0]-'0')*10 + int(v[1]-'0')
	century := "20"
	if yy >= 50 {
		century = "19"
	}
	buf := make([]byte, 0, 24)
	buf = append(buf, century...)
	buf = append(buf, v...)
	return GeneralizedTime(buf)
}
