package sccp

import (
	"errors"
	"fmt"
)

// Errors returned by the parser.
var (
	ErrShort       = errors.New("sccp: message too short")
	ErrPointer     = errors.New("sccp: pointer outside the message")
	ErrLength      = errors.New("sccp: parameter length beyond the message")
	ErrAddress     = errors.New("sccp: malformed party address")
	ErrUnknownType = errors.New("sccp: unknown message type")
)

// Optional parameter names (Q.713 §3).
const (
	pEnd          = 0x00
	pCalled       = 0x03
	pCalling      = 0x04
	pData         = 0x0f
	pSegmentation = 0x10
	pHopCounter   = 0x11
	pImportance   = 0x12
	pLongData     = 0x13
)

func le24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

// layout describes where a message type keeps its fields.
type layout struct {
	fixed    []fixedField
	vars     []uint8 // parameter names of the mandatory variable part, in order
	optional bool    // has a pointer to the optional part
	wide     bool    // two-octet pointers and long data (LUDT, LUDTS)
}

type fixedField uint8

const (
	fDLR fixedField = iota + 1
	fSLR
	fClass
	fCause
	fHop
	fSkip1 // segmenting/reassembling, receive sequence number, credit
	fSkip2 // sequencing/segmenting
)

var layouts = [...]layout{
	CR:    {fixed: []fixedField{fSLR, fClass}, vars: []uint8{pCalled}, optional: true},
	CC:    {fixed: []fixedField{fDLR, fSLR, fClass}, optional: true},
	CREF:  {fixed: []fixedField{fDLR, fCause}, optional: true},
	RLSD:  {fixed: []fixedField{fDLR, fSLR, fCause}, optional: true},
	RLC:   {fixed: []fixedField{fDLR, fSLR}},
	DT1:   {fixed: []fixedField{fDLR, fSkip1}, vars: []uint8{pData}},
	DT2:   {fixed: []fixedField{fDLR, fSkip2}, vars: []uint8{pData}},
	AK:    {fixed: []fixedField{fDLR, fSkip1, fSkip1}},
	UDT:   {fixed: []fixedField{fClass}, vars: []uint8{pCalled, pCalling, pData}},
	UDTS:  {fixed: []fixedField{fCause}, vars: []uint8{pCalled, pCalling, pData}},
	ED:    {fixed: []fixedField{fDLR}, vars: []uint8{pData}},
	EA:    {fixed: []fixedField{fDLR}},
	RSR:   {fixed: []fixedField{fDLR, fSLR, fCause}},
	RSC:   {fixed: []fixedField{fDLR, fSLR}},
	ERR:   {fixed: []fixedField{fDLR, fCause}, optional: true},
	IT:    {fixed: []fixedField{fDLR, fSLR, fClass, fSkip2, fSkip1}},
	XUDT:  {fixed: []fixedField{fClass, fHop}, vars: []uint8{pCalled, pCalling, pData}, optional: true},
	XUDTS: {fixed: []fixedField{fCause, fHop}, vars: []uint8{pCalled, pCalling, pData}, optional: true},
	LUDT:  {fixed: []fixedField{fClass, fHop}, vars: []uint8{pCalled, pCalling, pLongData}, optional: true, wide: true},
	LUDTS: {fixed: []fixedField{fCause, fHop}, vars: []uint8{pCalled, pCalling, pLongData}, optional: true, wide: true},
}

// Parse decodes b (an SCCP message, starting at the message type) into m
// with this package's own parser. ansi selects the T1.112 address format.
// It does not allocate and never panics; Data aliases b.
func Parse(b []byte, ansi bool, m *Message) error {
	m.Reset()
	m.By = "tdmtap"
	if len(b) < 1 {
		return ErrShort
	}
	m.Type = MsgType(b[0])
	if int(m.Type) >= len(layouts) || layouts[m.Type].fixed == nil {
		return fmt.Errorf("%w 0x%02x", ErrUnknownType, b[0])
	}
	lay := &layouts[m.Type]
	off := 1
	for _, f := range lay.fixed {
		need := 1
		switch f {
		case fDLR, fSLR:
			need = 3
		case fSkip2:
			need = 2
		}
		if off+need > len(b) {
			return fmt.Errorf("%s fixed part: %w", m.Type, ErrShort)
		}
		switch f {
		case fDLR:
			m.HasDLR, m.DLR = true, le24(b[off:])
		case fSLR:
			m.HasSLR, m.SLR = true, le24(b[off:])
		case fClass:
			m.HasClass, m.Class, m.ReturnOnError = true, b[off]&0x0f, b[off]&0x80 != 0
		case fCause:
			m.HasCause, m.Cause = true, b[off]
		case fHop:
			m.HasHopCounter, m.HopCounter = true, b[off]
		}
		off += need
	}
	pw := 1
	if lay.wide {
		pw = 2
	}
	nptr := len(lay.vars)
	if lay.optional {
		nptr++
	}
	if off+nptr*pw > len(b) {
		return fmt.Errorf("%s pointers: %w", m.Type, ErrShort)
	}
	for i, name := range lay.vars {
		at := off + i*pw
		p := readPtr(b[at:], pw)
		if p == 0 {
			return fmt.Errorf("%s mandatory parameter %d: zero pointer: %w", m.Type, i+1, ErrPointer)
		}
		start := at + p
		val, err := varParam(b, start, name == pLongData)
		if err != nil {
			return fmt.Errorf("%s mandatory parameter %d: %w", m.Type, i+1, err)
		}
		if err := m.setParam(name, val, ansi); err != nil {
			return fmt.Errorf("%s mandatory parameter %d: %w", m.Type, i+1, err)
		}
	}
	if lay.optional {
		at := off + len(lay.vars)*pw
		p := readPtr(b[at:], pw)
		if p == 0 {
			return nil
		}
		if at+p >= len(b) {
			return fmt.Errorf("%s optional part: %w", m.Type, ErrPointer)
		}
		return m.optional(b[at+p:], ansi)
	}
	return nil
}

func readPtr(b []byte, w int) int {
	if w == 2 {
		return int(b[0]) | int(b[1])<<8
	}
	return int(b[0])
}

// varParam returns the value of the length-prefixed parameter at start.
func varParam(b []byte, start int, long bool) ([]byte, error) {
	lw := 1
	if long {
		lw = 2
	}
	if start+lw > len(b) {
		return nil, ErrPointer
	}
	n := int(b[start])
	if long {
		n |= int(b[start+1]) << 8
	}
	end := start + lw + n
	if end > len(b) {
		return nil, ErrLength
	}
	return b[start+lw : end], nil
}

func (m *Message) setParam(name uint8, v []byte, ansi bool) error {
	switch name {
	case pCalled:
		return parseAddress(v, ansi, &m.Called)
	case pCalling:
		return parseAddress(v, ansi, &m.Calling)
	case pData, pLongData:
		m.Data = v
	case pSegmentation:
		if len(v) < 4 {
			return fmt.Errorf("segmentation: %w", ErrLength)
		}
		m.HasSegmentation = true
		m.FirstSegment = v[0]&0x80 != 0
		m.RemainingSegments = v[0] & 0x0f
		m.SegmentationRef = le24(v[1:])
	case pHopCounter:
		if len(v) < 1 {
			return fmt.Errorf("hop counter: %w", ErrLength)
		}
		m.HasHopCounter, m.HopCounter = true, v[0]
	case pImportance:
		if len(v) < 1 {
			return fmt.Errorf("importance: %w", ErrLength)
		}
		m.HasImportance, m.Importance = true, v[0]&0x07
	}
	return nil
}

// optional walks the optional part: name, length, value ... end of optional
// parameters. Unknown names are skipped.
func (m *Message) optional(b []byte, ansi bool) error {
	for i := 0; i < len(b); {
		name := b[i]
		if name == pEnd {
			return nil
		}
		long := m.Type == LUDT || m.Type == LUDTS
		long = long && name == pLongData
		v, err := varParam(b, i+1, long)
		if err != nil {
			return fmt.Errorf("%s optional parameter 0x%02x: %w", m.Type, name, err)
		}
		if err := m.setParam(name, v, ansi); err != nil {
			return fmt.Errorf("%s optional parameter 0x%02x: %w", m.Type, name, err)
		}
		i += 1 + len(v) + 1
		if long {
			i++
		}
	}
	return nil // a missing end-of-optional-parameters octet is tolerated
}

// parseAddress decodes a party address value (without its length octet).
func parseAddress(v []byte, ansi bool, a *Address) error {
	*a = Address{}
	if len(v) < 1 {
		return fmt.Errorf("empty: %w", ErrAddress)
	}
	ai := v[0]
	a.Present = true
	a.Indicator = ai
	a.RouteOnSSN = ai&0x40 != 0
	a.National = ai&0x80 != 0
	a.GTI = (ai >> 2) & 0x0f
	off := 1
	// T1.112: bit 8 set means a national (ANSI-format) address; an address
	// with it clear is coded to the international (ITU) standard, as
	// Wireshark also reads it.
	if ansi && !a.National {
		ansi = false
	}
	if ansi {
		// T1.112: bit 1 SSN, bit 2 PC; SSN precedes the 3-octet PC
		// (member, cluster, network).
		a.HasSSN, a.HasPC = ai&0x01 != 0, ai&0x02 != 0
		if a.HasSSN {
			if off+1 > len(v) {
				return fmt.Errorf("ssn: %w", ErrAddress)
			}
			a.SSN = v[off]
			off++
		}
		if a.HasPC {
			if off+3 > len(v) {
				return fmt.Errorf("point code: %w", ErrAddress)
			}
			a.PC = le24(v[off:])
			off += 3
		}
	} else {
		a.HasPC, a.HasSSN = ai&0x01 != 0, ai&0x02 != 0
		if a.HasPC {
			if off+2 > len(v) {
				return fmt.Errorf("point code: %w", ErrAddress)
			}
			a.PC = (uint32(v[off]) | uint32(v[off+1])<<8) & 0x3fff
			off += 2
		}
		if a.HasSSN {
			if off+1 > len(v) {
				return fmt.Errorf("ssn: %w", ErrAddress)
			}
			a.SSN = v[off]
			off++
		}
	}
	return a.parseGT(v[off:], ansi)
}

func (a *Address) parseGT(g []byte, ansi bool) error { // ansi: T1.112 GT layout
	if a.GTI == 0 {
		return nil
	}
	need := 0
	odd := false
	if ansi {
		switch a.GTI {
		case 1: // TT, NP/ES
			need = 2
		case 2: // TT
			need = 1
		default:
			return fmt.Errorf("ANSI global title indicator %d: %w", a.GTI, ErrAddress)
		}
	} else {
		switch a.GTI {
		case 1: // NAI with odd/even
			need = 1
		case 2: // TT
			need = 1
		case 3: // TT, NP/ES
			need = 2
		case 4: // TT, NP/ES, NAI
			need = 3
		default:
			return fmt.Errorf("global title indicator %d: %w", a.GTI, ErrAddress)
		}
	}
	if len(g) < need {
		return fmt.Errorf("global title header: %w", ErrAddress)
	}
	switch {
	case !ansi && a.GTI == 1:
		a.HasNAI, a.NAI = true, g[0]&0x7f
		odd = g[0]&0x80 != 0
	case a.GTI == 2:
		a.HasTT, a.TT = true, g[0]
	default: // ITU 3, 4; ANSI 1
		a.HasTT, a.TT = true, g[0]
		a.HasNP, a.NP, a.ES = true, g[1]>>4, g[1]&0x0f
		odd = a.ES == 1
		if need == 3 {
			a.HasNAI, a.NAI = true, g[2]&0x7f
		}
	}
	a.setBCD(g[need:], odd)
	return nil
}
