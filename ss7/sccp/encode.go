package sccp

// Builders for tests, the switch simulator and tools. They write the ITU
// format unless ansi is set, and do not validate beyond what they need.

// SetDigits stores ASCII digits ('0'-'9', 'A'-'F') as the global-title
// address information, truncating at MaxDigits.
func (a *Address) SetDigits(s string) {
	a.nd = 0
	for i := 0; i < len(s) && i < MaxDigits; i++ {
		a.digits[i] = s[i]
		a.nd++
	}
}

func nibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

// AppendAddress appends the party address value (length octet first). The
// address indicator is built from a's flags (with ansi, the national bit is
// always set: T1.112 format); for GTI 1/3/4 (ITU) and 1 (ANSI) the odd/even
// information is derived from the digit count.
func AppendAddress(dst []byte, a *Address, ansi bool) []byte {
	lenAt := len(dst)
	dst = append(dst, 0)
	ai := (a.GTI & 0x0f) << 2
	if a.RouteOnSSN {
		ai |= 0x40
	}
	if a.National || ansi {
		ai |= 0x80 // ANSI: national address (T1.112 format)
	}
	if ansi {
		if a.HasSSN {
			ai |= 0x01
		}
		if a.HasPC {
			ai |= 0x02
		}
		dst = append(dst, ai)
		if a.HasSSN {
			dst = append(dst, a.SSN)
		}
		if a.HasPC {
			dst = append(dst, byte(a.PC), byte(a.PC>>8), byte(a.PC>>16))
		}
	} else {
		if a.HasPC {
			ai |= 0x01
		}
		if a.HasSSN {
			ai |= 0x02
		}
		dst = append(dst, ai)
		if a.HasPC {
			dst = append(dst, byte(a.PC), byte(a.PC>>8)&0x3f)
		}
		if a.HasSSN {
			dst = append(dst, a.SSN)
		}
	}
	odd := a.nd%2 == 1
	es := a.ES
	if es == 0 || es == 1 || es == 2 {
		es = 2
		if odd {
			es = 1
		}
	}
	if a.GTI != 0 {
		switch {
		case !ansi && a.GTI == 1:
			n := a.NAI & 0x7f
			if odd {
				n |= 0x80
			}
			dst = append(dst, n)
		case a.GTI == 2:
			dst = append(dst, a.TT)
		case !ansi && a.GTI == 3, ansi && a.GTI == 1:
			dst = append(dst, a.TT, a.NP<<4|es)
		case !ansi && a.GTI == 4:
			dst = append(dst, a.TT, a.NP<<4|es, a.NAI&0x7f)
		}
		d := a.Digits()
		for i := 0; i < len(d); i += 2 {
			x := nibble(d[i])
			if i+1 < len(d) {
				x |= nibble(d[i+1]) << 4
			}
			dst = append(dst, x)
		}
	}
	dst[lenAt] = byte(len(dst) - lenAt - 1)
	return dst
}

// AppendUDT appends a UDT message (class 0 or 1; returnOnError sets the
// message handling option).
func AppendUDT(dst []byte, class uint8, returnOnError bool, called, calling *Address, data []byte, ansi bool) []byte {
	start := len(dst)
	pc := class & 0x0f
	if returnOnError {
		pc |= 0x80
	}
	dst = append(dst, byte(UDT), pc, 0, 0, 0)
	return appendVars(dst, start+2, ansi, called, calling, data)
}

// AppendXUDT appends an XUDT message without optional parameters, or with
// the given raw optional part (name, length, value..., 0x00) when opt is
// not nil.
func AppendXUDT(dst []byte, class uint8, hop uint8, called, calling *Address, data, opt []byte, ansi bool) []byte {
	start := len(dst)
	dst = append(dst, byte(XUDT), class&0x0f, hop, 0, 0, 0, 0)
	dst = appendVars(dst, start+3, ansi, called, calling, data)
	if opt != nil {
		ptrAt := start + 6
		dst[ptrAt] = byte(len(dst) - ptrAt)
		dst = append(dst, opt...)
	}
	return dst
}

// appendVars appends the mandatory variable parameters and fills their
// one-octet pointers starting at ptr0.
func appendVars(dst []byte, ptr0 int, ansi bool, called, calling *Address, data []byte) []byte {
	dst[ptr0] = byte(len(dst) - ptr0)
	dst = AppendAddress(dst, called, ansi)
	dst[ptr0+1] = byte(len(dst) - (ptr0 + 1))
	dst = AppendAddress(dst, calling, ansi)
	dst[ptr0+2] = byte(len(dst) - (ptr0 + 2))
	dst = append(dst, byte(len(data)))
	return append(dst, data...)
}
