package isup

import "fmt"

// MaxRawParams is how many raw (unknown or repeated) optional parameters a
// Message keeps; Decode skips and counts (SkippedParams) any beyond it, and
// AddRaw fails with ErrTooManyParams.
const MaxRawParams = 16

const maxOrder = 48

// Message is one decoded ISUP message. Decode into a reused value: it holds
// all typed parameters in fixed-size storage, so decoding does not allocate.
// Fields that are []byte alias the buffer given to Decode (see the package
// documentation).
//
// Which fields are meaningful depends on Type; typed optional parameters
// have a Present flag (or are non-nil for []byte fields).
type Message struct {
	Type MsgType
	CIC  uint16

	// Mandatory fixed parameters.
	NCI              NatureOfConnection           // IAM, CRM (ANSI)
	FCI              ForwardCallIndicators        // IAM
	CPC              CallingPartyCategory         // IAM
	TMR              TransmissionMedium           // IAM (ITU only)
	BCI              BackwardCallIndicators       // ACM, CON
	Event            EventInformation             // CPG
	SuspendResume    SuspendResumeIndicators      // SUS, RES
	CGSMT            CGSupervisionType            // CGB, CGU, CGBA, CGUA
	InfoRequest      InformationRequestIndicators // INR
	InfoIndicators   InformationIndicators        // INF
	Continuity       ContinuityIndicators         // COT
	CVRIndicators    uint8                        // CVR (ANSI): circuit validation response indicator
	CircuitGroupChar uint8                        // CVR (ANSI): circuit group characteristics indicator

	// Typed variable and optional parameters.
	Called            Number // IAM (mandatory)
	Subsequent        Number // SAM (mandatory)
	Calling           Number
	OriginalCalled    Number
	Redirecting       Number
	RedirectionNumber Number
	Connected         Number
	Location          Number
	Generic           Number // ITU generic number / ANSI generic address (first occurrence; others raw)
	Charge            Number // ANSI charge number
	JIP               Number // ANSI jurisdiction information (digits only)
	GenericDigits     GenericDigits
	Cause             Cause // REL, CFN (mandatory); RLC and others (optional)
	RedirectionInfo   RedirectionInfo
	OBCI              OptionalBackwardCallIndicators
	RangeStatus       RangeStatus     // GRS, GRA, CGB, CGU, CGBA, CGUA, CQM, CQR
	USI               UserServiceInfo // IAM (ANSI mandatory, ITU optional)
	AccessTransport   []byte          // raw, aliases input
	UserToUser        []byte          // USR (mandatory), raw, aliases input
	CircuitState      []byte          // CQR circuit state indicator, raw, aliases input

	// Body is everything after the message type octet of a message type the
	// codec does not know for the variant (aliases input); Append re-emits it.
	Body []byte
	// Trailer holds octets after the fixed part of a message that has no
	// pointers (aliases input); Append re-emits it.
	Trailer []byte
	// MalformedParams counts optional parameters whose typed decoding
	// failed; they are kept as raw parameters (within MaxRawParams).
	// Saturates at 255.
	MalformedParams uint8
	// SkippedParams counts optional parameters Decode skipped because the
	// message held more than it can keep (MaxRawParams raw ones); saturates
	// at 255.
	SkippedParams uint8
	// Damaged is set by Decode (which then returns nil) when the optional
	// part is damaged: a pointer or parameter length runs past the end of the
	// message. The mandatory part and every optional parameter before the
	// damage are decoded; the rest is lost. It names message and parameter
	// codes only, never digits. Damage to the mandatory part is an error
	// from Decode instead.
	Damaged error

	known    bool
	cicSpare uint8 // high bits of the CIC octet pair outside the variant's CIC
	optEmpty bool  // optional pointer pointed at an empty list
	noEOP    bool  // optional part ended without end-of-optional-parameters
	nraw     uint8
	norder   uint8
	raw      [MaxRawParams]RawParam
	order    [maxOrder]uint8
}

// RawParams returns the raw optional parameters (aliases the Message).
func (m *Message) RawParams() []RawParam { return m.raw[:m.nraw] }

// AddRaw adds a raw optional parameter, emitted by Append after the
// parameters already present (typed ones set before the call included).
// value is not copied.
func (m *Message) AddRaw(code ParamCode, value []byte) error {
	if int(m.nraw) >= MaxRawParams || int(m.norder) >= maxOrder {
		return ErrTooManyParams
	}
	var inOrder uint32
	for k := 0; k < int(m.norder); k++ {
		if e := m.order[k]; e&0x80 == 0 {
			inOrder |= 1 << e
		}
	}
	for s := sCalling; s < sCount && int(m.norder) < maxOrder-1; s++ {
		if inOrder&(1<<s) == 0 && m.slotPresent(s) {
			m.order[m.norder] = uint8(s)
			m.norder++
		}
	}
	m.raw[m.nraw] = RawParam{Code: code, Value: value}
	m.order[m.norder] = 0x80 | m.nraw
	m.nraw++
	m.norder++
	return nil
}

// Partial reports whether the last Decode lost part of the message
// (Damaged or SkippedParams); what it kept is usable.
func (m *Message) Partial() bool { return m.Damaged != nil || m.SkippedParams > 0 }

// Reset clears the message.
func (m *Message) Reset() { *m = Message{} }

// Known reports whether the last Decode knew the message type for its
// variant (otherwise the content is in Body).
func (m *Message) Known() bool { return m.known }

// slots: typed parameters that can be variable or optional.
type slot uint8

const (
	sNone slot = iota
	sCalling
	sOCN
	sRedirecting
	sRedirectionNum
	sRedirInfo
	sConnected
	sLocation
	sGeneric
	sGenericDigits
	sCharge
	sJIP
	sCause
	sOBCI
	sUSI
	sAccess
	sUUI
	sCalled
	sSubsequent
	sRS
	sCSI
	sCount
)

func slotFor(v Variant, c ParamCode) slot {
	switch c {
	case PCallingPartyNumber:
		return sCalling
	case POriginalCalledNumber:
		return sOCN
	case PRedirectingNumber:
		return sRedirecting
	case PRedirectionNumber:
		return sRedirectionNum
	case PRedirectionInformation:
		return sRedirInfo
	case PConnectedNumber:
		return sConnected
	case PLocationNumber:
		return sLocation
	case PGenericNumber:
		return sGeneric
	case PGenericDigits:
		return sGenericDigits
	case PCauseIndicators:
		return sCause
	case POptionalBCI:
		return sOBCI
	case PUserServiceInformation:
		return sUSI
	case PAccessTransport:
		return sAccess
	case PUserToUserInformation:
		return sUUI
	case PCalledPartyNumber:
		return sCalled
	case PSubsequentNumber:
		return sSubsequent
	case PRangeAndStatus:
		return sRS
	case PCircuitStateIndicator:
		return sCSI
	}
	if v == ANSI {
		switch c {
		case PChargeNumber:
			return sCharge
		case PJurisdictionInfo:
			return sJIP
		}
	}
	return sNone
}

var slotCodes = [sCount]ParamCode{
	sCalling: PCallingPartyNumber, sOCN: POriginalCalledNumber, sRedirecting: PRedirectingNumber,
	sRedirectionNum: PRedirectionNumber, sRedirInfo: PRedirectionInformation, sConnected: PConnectedNumber,
	sLocation: PLocationNumber, sGeneric: PGenericNumber, sGenericDigits: PGenericDigits,
	sCharge: PChargeNumber, sJIP: PJurisdictionInfo, sCause: PCauseIndicators, sOBCI: POptionalBCI,
	sUSI: PUserServiceInformation, sAccess: PAccessTransport, sUUI: PUserToUserInformation,
	sCalled: PCalledPartyNumber, sSubsequent: PSubsequentNumber, sRS: PRangeAndStatus,
	sCSI: PCircuitStateIndicator,
}

func (m *Message) number(s slot) *Number {
	switch s {
	case sCalling:
		return &m.Calling
	case sOCN:
		return &m.OriginalCalled
	case sRedirecting:
		return &m.Redirecting
	case sRedirectionNum:
		return &m.RedirectionNumber
	case sConnected:
		return &m.Connected
	case sLocation:
		return &m.Location
	case sGeneric:
		return &m.Generic
	case sCharge:
		return &m.Charge
	case sJIP:
		return &m.JIP
	case sCalled:
		return &m.Called
	case sSubsequent:
		return &m.Subsequent
	}
	return nil
}

func (m *Message) slotPresent(s slot) bool {
	if n := m.number(s); n != nil {
		return n.Present
	}
	switch s {
	case sGenericDigits:
		return m.GenericDigits.Present
	case sCause:
		return m.Cause.Present
	case sRedirInfo:
		return m.RedirectionInfo.Present
	case sOBCI:
		return m.OBCI.Present
	case sUSI:
		return m.USI.Present
	case sAccess:
		return m.AccessTransport != nil
	case sUUI:
		return m.UserToUser != nil
	case sRS:
		return m.RangeStatus.Present
	case sCSI:
		return m.CircuitState != nil
	}
	return false
}

func (m *Message) slotClear(s slot) {
	if n := m.number(s); n != nil {
		*n = Number{}
		return
	}
	switch s {
	case sGenericDigits:
		m.GenericDigits = GenericDigits{}
	case sCause:
		m.Cause = Cause{}
	case sRedirInfo:
		m.RedirectionInfo = RedirectionInfo{}
	case sOBCI:
		m.OBCI = OptionalBackwardCallIndicators{}
	case sUSI:
		m.USI = UserServiceInfo{}
	case sAccess:
		m.AccessTransport = nil
	case sUUI:
		m.UserToUser = nil
	case sRS:
		m.RangeStatus = RangeStatus{}
	case sCSI:
		m.CircuitState = nil
	}
}

func (m *Message) slotDecode(s slot, b []byte) error {
	if n := m.number(s); n != nil {
		return n.decode(slotCodes[s], b)
	}
	switch s {
	case sGenericDigits:
		return m.GenericDigits.decode(b)
	case sCause:
		return m.Cause.decode(b)
	case sRedirInfo:
		if len(b) < 1 {
			return ErrTruncated
		}
		if len(b) > 2 {
			return ErrTooLong
		}
		m.RedirectionInfo.Present = true
		m.RedirectionInfo.n = uint8(copy(m.RedirectionInfo.b[:], b))
	case sOBCI:
		if len(b) != 1 {
			return ErrTruncated
		}
		m.OBCI = OptionalBackwardCallIndicators{Present: true, Value: b[0]}
	case sUSI:
		if err := m.USI.Set(b); err != nil {
			return err
		}
	case sAccess:
		m.AccessTransport = b
	case sUUI:
		m.UserToUser = b
	case sRS:
		return m.RangeStatus.decode(b)
	case sCSI:
		m.CircuitState = b
	}
	return nil
}

func (m *Message) slotAppend(s slot, dst []byte) []byte {
	if n := m.number(s); n != nil {
		return n.appendAs(slotCodes[s], dst)
	}
	switch s {
	case sGenericDigits:
		return m.GenericDigits.AppendParam(dst)
	case sCause:
		return m.Cause.AppendParam(dst)
	case sRedirInfo:
		return append(dst, m.RedirectionInfo.b[:m.RedirectionInfo.n]...)
	case sOBCI:
		return append(dst, m.OBCI.Value)
	case sUSI:
		return append(dst, m.USI.b[:m.USI.n]...)
	case sAccess:
		return append(dst, m.AccessTransport...)
	case sUUI:
		return append(dst, m.UserToUser...)
	case sRS:
		dst = append(dst, m.RangeStatus.Range)
		return append(dst, m.RangeStatus.status[:m.RangeStatus.nStatus]...)
	case sCSI:
		return append(dst, m.CircuitState...)
	}
	return dst
}

// fixed parameters.
type fixedID uint8

const (
	fxNone fixedID = iota
	fxNCI
	fxFCI
	fxCPC
	fxTMR
	fxBCI
	fxEvent
	fxSR
	fxCGSMT
	fxINRI
	fxINFI
	fxCont
	fxCVRI
	fxCGCI
)

var fixedLen = [...]int{fxNCI: 1, fxFCI: 2, fxCPC: 1, fxTMR: 1, fxBCI: 2, fxEvent: 1, fxSR: 1,
	fxCGSMT: 1, fxINRI: 2, fxINFI: 2, fxCont: 1, fxCVRI: 1, fxCGCI: 1}

func (m *Message) setFixed(f fixedID, b []byte) {
	switch f {
	case fxNCI:
		m.NCI = NatureOfConnection(b[0])
	case fxFCI:
		m.FCI = ForwardCallIndicators(uint16(b[0]) | uint16(b[1])<<8)
	case fxCPC:
		m.CPC = CallingPartyCategory(b[0])
	case fxTMR:
		m.TMR = TransmissionMedium(b[0])
	case fxBCI:
		m.BCI = BackwardCallIndicators(uint16(b[0]) | uint16(b[1])<<8)
	case fxEvent:
		m.Event = EventInformation(b[0])
	case fxSR:
		m.SuspendResume = SuspendResumeIndicators(b[0])
	case fxCGSMT:
		m.CGSMT = CGSupervisionType(b[0])
	case fxINRI:
		m.InfoRequest = InformationRequestIndicators(uint16(b[0]) | uint16(b[1])<<8)
	case fxINFI:
		m.InfoIndicators = InformationIndicators(uint16(b[0]) | uint16(b[1])<<8)
	case fxCont:
		m.Continuity = ContinuityIndicators(b[0])
	case fxCVRI:
		m.CVRIndicators = b[0]
	case fxCGCI:
		m.CircuitGroupChar = b[0]
	}
}

func (m *Message) appendFixed(f fixedID, dst []byte) []byte {
	switch f {
	case fxNCI:
		return append(dst, byte(m.NCI))
	case fxFCI:
		return append(dst, byte(m.FCI), byte(m.FCI>>8))
	case fxCPC:
		return append(dst, byte(m.CPC))
	case fxTMR:
		return append(dst, byte(m.TMR))
	case fxBCI:
		return append(dst, byte(m.BCI), byte(m.BCI>>8))
	case fxEvent:
		return append(dst, byte(m.Event))
	case fxSR:
		return append(dst, byte(m.SuspendResume))
	case fxCGSMT:
		return append(dst, byte(m.CGSMT))
	case fxINRI:
		return append(dst, byte(m.InfoRequest), byte(m.InfoRequest>>8))
	case fxINFI:
		return append(dst, byte(m.InfoIndicators), byte(m.InfoIndicators>>8))
	case fxCont:
		return append(dst, byte(m.Continuity))
	case fxCVRI:
		return append(dst, m.CVRIndicators)
	case fxCGCI:
		return append(dst, m.CircuitGroupChar)
	}
	return dst
}

// format is the layout of one message type in one variant.
type format struct {
	known  bool
	opt    bool
	nfixed uint8
	nvars  uint8
	fixed  [4]fixedID
	vars   [2]slot
}

var formats [2][256]format

func def(vs []Variant, t MsgType, fixed []fixedID, vars []slot, opt bool) {
	f := format{known: true, opt: opt, nfixed: uint8(len(fixed)), nvars: uint8(len(vars))}
	copy(f.fixed[:], fixed)
	copy(f.vars[:], vars)
	for _, v := range vs {
		formats[v][t] = f
	}
}

func init() {
	both := []Variant{ITU, ANSI}
	itu := []Variant{ITU}
	ansi := []Variant{ANSI}
	def(itu, IAM, []fixedID{fxNCI, fxFCI, fxCPC, fxTMR}, []slot{sCalled}, true)
	def(ansi, IAM, []fixedID{fxNCI, fxFCI, fxCPC}, []slot{sUSI, sCalled}, true)
	def(both, SAM, nil, []slot{sSubsequent}, true)
	def(both, INR, []fixedID{fxINRI}, nil, true)
	def(both, INF, []fixedID{fxINFI}, nil, true)
	def(both, COT, []fixedID{fxCont}, nil, false)
	def(both, ACM, []fixedID{fxBCI}, nil, true)
	def(both, CON, []fixedID{fxBCI}, nil, true)
	def(both, FOT, nil, nil, true)
	def(both, ANM, nil, nil, true)
	def(both, REL, nil, []slot{sCause}, true)
	def(both, SUS, []fixedID{fxSR}, nil, true)
	def(both, RES, []fixedID{fxSR}, nil, true)
	def(itu, RLC, nil, nil, true)
	def(ansi, RLC, nil, nil, false)
	for _, t := range []MsgType{CCR, RSC, BLO, UBL, BLA, UBA, LPA, UCIC} {
		def(both, t, nil, nil, false)
	}
	def(both, GRS, nil, []slot{sRS}, false)
	def(both, GRA, nil, []slot{sRS}, false)
	def(both, CQM, nil, []slot{sRS}, false)
	def(both, CQR, nil, []slot{sRS, sCSI}, false)
	for _, t := range []MsgType{CGB, CGU, CGBA, CGUA} {
		def(both, t, []fixedID{fxCGSMT}, []slot{sRS}, false)
	}
	def(both, CPG, []fixedID{fxEvent}, nil, true)
	def(both, USR, nil, []slot{sUUI}, true)
	def(both, CFN, nil, []slot{sCause}, true)
	def(both, FAC, nil, nil, true)
	def(ansi, CRA, nil, nil, false)
	def(ansi, CRM, []fixedID{fxNCI}, nil, false)
	def(ansi, CVT, nil, nil, false)
	def(ansi, CVR, []fixedID{fxCVRI, fxCGCI}, nil, true)
	def(ansi, EXM, nil, nil, true)
}

// Supported reports whether the codec knows the layout of t in variant v
// (other types decode with their content in Body).
func Supported(v Variant, t MsgType) bool { return v <= ANSI && formats[v][t].known }

// Decode decodes b, the ISUP message starting at the CIC (the MTP3 user
// part after the routing label), into m, replacing its contents. It does not
// allocate on success; []byte fields of m alias b.
func (m *Message) Decode(v Variant, b []byte) error {
	*m = Message{}
	if v > ANSI {
		return ErrUnknownVariant
	}
	if len(b) < 3 {
		return fmt.Errorf("isup: message of %d octets: %w", len(b), ErrTruncated)
	}
	cic := uint16(b[0]) | uint16(b[1])<<8
	mask := v.CICMask()
	m.CIC = cic & mask
	m.cicSpare = uint8((cic &^ mask) >> 8)
	m.Type = MsgType(b[2])
	f := &formats[v][m.Type]
	p := b[3:]
	if !f.known {
		m.Body = p
		return nil
	}
	m.known = true
	off := 0
	for i := 0; i < int(f.nfixed); i++ {
		id := f.fixed[i]
		l := fixedLen[id]
		if len(p) < off+l {
			return fmt.Errorf("isup: %v mandatory fixed part: %w", m.Type, ErrTruncated)
		}
		m.setFixed(id, p[off:off+l])
		off += l
	}
	nptr := int(f.nvars)
	if f.opt {
		nptr++
	}
	if nptr == 0 {
		if off < len(p) {
			m.Trailer = p[off:]
		}
		return nil
	}
	if len(p) < off+nptr {
		if f.nvars == 0 && len(p) == off {
			// Optional pointer absent: treat as no optional part.
			m.noEOP = true
			return nil
		}
		return fmt.Errorf("isup: %v pointers: %w", m.Type, ErrTruncated)
	}
	for i := 0; i < int(f.nvars); i++ {
		pp := off + i
		ptr := int(p[pp])
		s := f.vars[i]
		if ptr == 0 {
			return &ParamError{m.Type, slotCodes[s], ErrBadPointer}
		}
		start := pp + ptr
		if start >= len(p) {
			return &ParamError{m.Type, slotCodes[s], ErrBadPointer}
		}
		l := int(p[start])
		if start+1+l > len(p) {
			return &ParamError{m.Type, slotCodes[s], ErrTruncated}
		}
		if err := m.slotDecode(s, p[start+1:start+1+l]); err != nil {
			return &ParamError{m.Type, slotCodes[s], err}
		}
	}
	if !f.opt {
		return nil
	}
	pp := off + int(f.nvars)
	if p[pp] == 0 {
		return nil
	}
	i := pp + int(p[pp])
	if i > len(p) {
		m.Damaged = fmt.Errorf("isup: %v optional part: %w", m.Type, ErrBadPointer)
		return nil
	}
	if i == len(p) {
		m.optEmpty, m.noEOP = true, true
		return nil
	}
	if p[i] == 0 {
		m.optEmpty = true
		return nil
	}
	for {
		if i == len(p) {
			m.noEOP = true
			return nil
		}
		code := ParamCode(p[i])
		if code == PEndOfOptional {
			return nil
		}
		if i+1 >= len(p) || i+2+int(p[i+1]) > len(p) {
			// Keep what came before: a target's call must not be lost
			// to a damaged trailing parameter.
			m.Damaged = &ParamError{m.Type, code, ErrTruncated}
			return nil
		}
		l := int(p[i+1])
		val := p[i+2 : i+2+l]
		i += 2 + l
		s := slotFor(v, code)
		if s != sNone && !m.slotPresent(s) {
			if err := m.slotDecode(s, val); err == nil {
				if int(m.norder) < maxOrder {
					m.order[m.norder] = uint8(s)
					m.norder++
				}
				continue
			}
			m.slotClear(s)
			if m.MalformedParams < 255 {
				m.MalformedParams++
			}
		}
		if int(m.nraw) >= MaxRawParams || int(m.norder) >= maxOrder {
			if m.SkippedParams < 255 {
				m.SkippedParams++
			}
			continue
		}
		m.raw[m.nraw] = RawParam{Code: code, Value: val}
		m.order[m.norder] = 0x80 | m.nraw
		m.nraw++
		m.norder++
	}
}

// Append encodes m in variant v and appends it to dst (starting at the CIC).
// Optional parameters are emitted in the order they were decoded (then any
// other present ones in a fixed order), raw parameters included.
func (m *Message) Append(v Variant, dst []byte) ([]byte, error) {
	if v > ANSI {
		return dst, ErrUnknownVariant
	}
	mask := v.CICMask()
	cic := m.CIC&mask | uint16(m.cicSpare)<<8&^mask
	dst = append(dst, byte(cic), byte(cic>>8), byte(m.Type))
	f := &formats[v][m.Type]
	if !f.known {
		return append(dst, m.Body...), nil
	}
	for i := 0; i < int(f.nfixed); i++ {
		dst = m.appendFixed(f.fixed[i], dst)
	}
	nptr := int(f.nvars)
	if f.opt {
		nptr++
	}
	if nptr == 0 {
		return append(dst, m.Trailer...), nil
	}
	if f.nvars == 0 && m.noEOP && m.norder == 0 && !m.optEmpty {
		// Decoded without an optional pointer at all.
		return dst, nil
	}
	base := len(dst)
	for i := 0; i < nptr; i++ {
		dst = append(dst, 0)
	}
	for i := 0; i < int(f.nvars); i++ {
		s := f.vars[i]
		if !m.slotPresent(s) && s != sUUI && s != sCSI {
			return dst, fmt.Errorf("isup: %v: %w (0x%02x)", m.Type, ErrMissingParam, uint8(slotCodes[s]))
		}
		start := len(dst)
		ptr := start - (base + i)
		if ptr > 255 {
			return dst, fmt.Errorf("isup: %v: pointer overflow: %w", m.Type, ErrBadPointer)
		}
		dst[base+i] = byte(ptr)
		dst = m.slotAppend(s, append(dst, 0))
		if l := len(dst) - start - 1; l > 255 {
			return dst, fmt.Errorf("isup: %v parameter 0x%02x: %w", m.Type, uint8(slotCodes[s]), ErrValueTooLong)
		} else {
			dst[start] = byte(l)
		}
	}
	if !f.opt {
		return dst, nil
	}
	optPtr := base + int(f.nvars)
	optStart := len(dst)
	var done uint32
	var err error
	n := 0
	for k := 0; k < int(m.norder); k++ {
		e := m.order[k]
		if e&0x80 != 0 {
			r := &m.raw[e&0x7F]
			dst, err = appendParam(dst, r.Code, r.Value, m.Type)
			if err != nil {
				return dst, err
			}
			n++
			continue
		}
		s := slot(e)
		if done&(1<<s) != 0 || !m.slotPresent(s) || f.isVar(s) || (s == sCharge || s == sJIP) && v != ANSI {
			continue
		}
		done |= 1 << s
		if dst, err = m.appendSlot(dst, v, s); err != nil {
			return dst, err
		}
		n++
	}
	for s := sCalling; s < sCount; s++ {
		if done&(1<<s) != 0 || !m.slotPresent(s) || f.isVar(s) {
			continue
		}
		if (s == sCharge || s == sJIP) && v != ANSI {
			continue
		}
		if dst, err = m.appendSlot(dst, v, s); err != nil {
			return dst, err
		}
		n++
	}
	if n == 0 && !m.optEmpty {
		return dst, nil // pointer stays 0
	}
	ptr := optStart - optPtr
	if ptr > 255 {
		return dst, fmt.Errorf("isup: %v: optional pointer overflow: %w", m.Type, ErrBadPointer)
	}
	dst[optPtr] = byte(ptr)
	if !m.noEOP {
		dst = append(dst, 0)
	}
	return dst, nil
}

func (f *format) isVar(s slot) bool {
	for i := 0; i < int(f.nvars); i++ {
		if f.vars[i] == s {
			return true
		}
	}
	return false
}

func (m *Message) appendSlot(dst []byte, v Variant, s slot) ([]byte, error) {
	start := len(dst)
	dst = append(dst, byte(slotCodes[s]), 0)
	dst = m.slotAppend(s, dst)
	l := len(dst) - start - 2
	if l > 255 {
		return dst, fmt.Errorf("isup: %v parameter 0x%02x: %w", m.Type, uint8(slotCodes[s]), ErrValueTooLong)
	}
	dst[start+1] = byte(l)
	return dst, nil
}

func appendParam(dst []byte, code ParamCode, val []byte, t MsgType) ([]byte, error) {
	if len(val) > 255 {
		return dst, fmt.Errorf("isup: %v parameter 0x%02x: %w", t, uint8(code), ErrValueTooLong)
	}
	dst = append(dst, byte(code), byte(len(val)))
	return append(dst, val...), nil
}
