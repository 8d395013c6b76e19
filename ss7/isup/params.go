package isup

// NatureOfConnection is the nature of connection indicators octet (Q.763 3.35).
type NatureOfConnection uint8

// Satellite returns the satellite indicator (bits BA).
func (x NatureOfConnection) Satellite() uint8 { return uint8(x) & 3 }

// ContinuityCheck returns the continuity check indicator (bits DC).
func (x NatureOfConnection) ContinuityCheck() uint8 { return uint8(x) >> 2 & 3 }

// EchoControl reports the outgoing echo control device indicator (bit E).
func (x NatureOfConnection) EchoControl() bool { return x&0x10 != 0 }

// ForwardCallIndicators holds the two octets of the forward call indicators
// (Q.763 3.23; T1.113 likewise): first octet (bits A-H) in the low byte.
type ForwardCallIndicators uint16

// International reports bit A (call to be treated as international).
func (x ForwardCallIndicators) International() bool { return x&1 != 0 }

// EndToEndMethod returns bits CB.
func (x ForwardCallIndicators) EndToEndMethod() uint8 { return uint8(x>>1) & 3 }

// Interworking reports bit D (interworking encountered).
func (x ForwardCallIndicators) Interworking() bool { return x&0x08 != 0 }

// EndToEndInfo reports bit E.
func (x ForwardCallIndicators) EndToEndInfo() bool { return x&0x10 != 0 }

// ISUPAllTheWay reports bit F (ISDN user part used all the way).
func (x ForwardCallIndicators) ISUPAllTheWay() bool { return x&0x20 != 0 }

// ISUPPreference returns bits HG (0 preferred, 1 not required, 2 required).
func (x ForwardCallIndicators) ISUPPreference() uint8 { return uint8(x>>6) & 3 }

// ISDNAccess reports bit I (originating access ISDN).
func (x ForwardCallIndicators) ISDNAccess() bool { return x&0x100 != 0 }

// SCCPMethod returns bits KJ.
func (x ForwardCallIndicators) SCCPMethod() uint8 { return uint8(x>>9) & 3 }

// PortedNumber reports bit M (ITU: number translated / ported).
func (x ForwardCallIndicators) PortedNumber() bool { return x&0x1000 != 0 }

// CallingPartyCategory is the calling party's category octet (Q.763 3.11).
type CallingPartyCategory uint8

// Calling party's category values (ITU).
const (
	CPCUnknown      CallingPartyCategory = 0x00
	CPCOperatorFR   CallingPartyCategory = 0x01
	CPCOperatorEN   CallingPartyCategory = 0x02
	CPCOrdinary     CallingPartyCategory = 0x0A
	CPCPriority     CallingPartyCategory = 0x0B
	CPCData         CallingPartyCategory = 0x0C
	CPCTest         CallingPartyCategory = 0x0D
	CPCPayphone     CallingPartyCategory = 0x0F
	ANSICPCOrdinary CallingPartyCategory = 0x0A
)

// TransmissionMedium is the transmission medium requirement octet (Q.763 3.54).
type TransmissionMedium uint8

// Transmission medium requirement values.
const (
	TMRSpeech       TransmissionMedium = 0
	TMR64kUnres     TransmissionMedium = 2
	TMR3k1Audio     TransmissionMedium = 3
	TMR64kPreferred TransmissionMedium = 6
)

// BackwardCallIndicators holds the two octets of the backward call indicators
// (Q.763 3.5): first octet (bits A-H) in the low byte.
type BackwardCallIndicators uint16

// Charge returns bits BA (0 no indication, 1 no charge, 2 charge).
func (x BackwardCallIndicators) Charge() uint8 { return uint8(x) & 3 }

// CalledStatus returns bits DC (1 subscriber free, 2 connect when free).
func (x BackwardCallIndicators) CalledStatus() uint8 { return uint8(x>>2) & 3 }

// CalledCategory returns bits FE (1 ordinary, 2 payphone).
func (x BackwardCallIndicators) CalledCategory() uint8 { return uint8(x>>4) & 3 }

// EndToEndMethod returns bits HG.
func (x BackwardCallIndicators) EndToEndMethod() uint8 { return uint8(x>>6) & 3 }

// Interworking reports bit I.
func (x BackwardCallIndicators) Interworking() bool { return x&0x100 != 0 }

// ISUPAllTheWay reports bit K.
func (x BackwardCallIndicators) ISUPAllTheWay() bool { return x&0x400 != 0 }

// ISDNAccess reports bit M (terminating access ISDN).
func (x BackwardCallIndicators) ISDNAccess() bool { return x&0x1000 != 0 }

// EchoControl reports bit N (incoming echo control device included).
func (x BackwardCallIndicators) EchoControl() bool { return x&0x2000 != 0 }

// OptionalBackwardCallIndicators is the optional backward call indicators
// parameter (Q.763 3.37).
type OptionalBackwardCallIndicators struct {
	Present bool
	Value   uint8
}

// InBandInfo reports bit A (in-band information or an appropriate pattern is
// now available).
func (x OptionalBackwardCallIndicators) InBandInfo() bool { return x.Present && x.Value&1 != 0 }

// EventInformation is the event information octet of CPG (Q.763 3.21).
type EventInformation uint8

// Event indicator values.
const (
	EventAlerting        = 1
	EventProgress        = 2
	EventInBandInfo      = 3
	EventCFBusy          = 4
	EventCFNoReply       = 5
	EventCFUnconditional = 6
)

// Event returns the event indicator (bits G-A).
func (x EventInformation) Event() uint8 { return uint8(x) & 0x7F }

// PresentationRestricted reports bit H (event presentation restricted).
func (x EventInformation) PresentationRestricted() bool { return x&0x80 != 0 }

// SuspendResumeIndicators is the suspend/resume indicators octet (Q.763 3.52).
type SuspendResumeIndicators uint8

// NetworkInitiated reports bit A (0 ISDN subscriber initiated, 1 network initiated).
func (x SuspendResumeIndicators) NetworkInitiated() bool { return x&1 != 0 }

// CGSupervisionType is the circuit group supervision message type octet (Q.763 3.13).
type CGSupervisionType uint8

// Kind returns bits BA: 0 maintenance oriented, 1 hardware failure oriented.
func (x CGSupervisionType) Kind() uint8 { return uint8(x) & 3 }

// InformationRequestIndicators holds the two octets of INR's indicators, first octet low.
type InformationRequestIndicators uint16

// CallingPartyRequested reports bit A (calling party address request).
func (x InformationRequestIndicators) CallingPartyRequested() bool { return x&1 != 0 }

// InformationIndicators holds the two octets of INF's indicators, first octet low.
type InformationIndicators uint16

// CallingPartyResponse returns bits BA (calling party address response indicator).
func (x InformationIndicators) CallingPartyResponse() uint8 { return uint8(x) & 3 }

// ContinuityIndicators is COT's continuity indicators octet.
type ContinuityIndicators uint8

// Success reports bit A (continuity check successful).
func (x ContinuityIndicators) Success() bool { return x&1 != 0 }

// MaxDiagnostics is the most diagnostic octets a Cause holds.
const MaxDiagnostics = 32

// Cause is the cause indicators parameter (Q.763 3.12, Q.850).
type Cause struct {
	Present  bool
	Coding   uint8 // coding standard (0 ITU-T, 2 national, ...)
	Location uint8 // location (0 user, 1 private local, 2 public local, 3 transit, 4 public remote, ...)
	// HasRecommendation is set when octet 1a (recommendation) is present.
	HasRecommendation bool
	Recommendation    uint8
	Value             uint8 // cause value (7 bits), e.g. 16 normal clearing
	spare             uint8 // bit 5 of octet 1
	x1a, x2           uint8 // extension bits that differ from the usual encoding
	nDiag             uint8
	diag              [MaxDiagnostics]byte
}

// Cause values often seen (Q.850).
const (
	CauseUnallocated    = 1
	CauseNormalClearing = 16
	CauseUserBusy       = 17
	CauseNoUserResponse = 18
	CauseNoAnswer       = 19
	CauseCallRejected   = 21
	CauseNumberChanged  = 22
	CauseNormalUnspec   = 31
	CauseNoCircuit      = 34
	CauseTempFailure    = 41
	CauseInterworking   = 127
)

// Diagnostics returns the diagnostic octets (aliases the Cause's storage).
func (c *Cause) Diagnostics() []byte { return c.diag[:c.nDiag] }

// SetDiagnostics copies d as the diagnostics (ErrTooLong beyond MaxDiagnostics).
func (c *Cause) SetDiagnostics(d []byte) error {
	if len(d) > MaxDiagnostics {
		return ErrTooLong
	}
	c.nDiag = uint8(copy(c.diag[:], d))
	return nil
}

func (c *Cause) decode(b []byte) error {
	if len(b) < 2 {
		return ErrTruncated
	}
	c.Present = true
	o1 := b[0]
	c.Coding = o1 >> 5 & 3
	c.spare = o1 & 0x10
	c.Location = o1 & 15
	i := 1
	if o1&0x80 == 0 {
		c.HasRecommendation = true
		c.Recommendation = b[1] & 0x7F
		c.x1a = (b[1] & 0x80) ^ 0x80
		i = 2
		if len(b) < 3 {
			return ErrTruncated
		}
	}
	c.Value = b[i] & 0x7F
	c.x2 = (b[i] & 0x80) ^ 0x80
	return c.SetDiagnostics(b[i+1:])
}

// AppendParam appends the parameter value (without code and length): the
// Q.850 cause octets, as used in HI2 release reasons.
func (c *Cause) AppendParam(dst []byte) []byte {
	o1 := (c.Coding&3)<<5 | c.spare&0x10 | c.Location&15
	if !c.HasRecommendation {
		o1 |= 0x80
	}
	dst = append(dst, o1)
	if c.HasRecommendation {
		dst = append(dst, (0x80|c.Recommendation)^c.x1a)
	}
	dst = append(dst, (0x80|c.Value)^c.x2)
	return append(dst, c.diag[:c.nDiag]...)
}

// RedirectionInfo is the redirection information parameter (Q.763 3.45),
// one or two octets as received.
type RedirectionInfo struct {
	Present bool
	n       uint8
	b       [2]byte
}

// NewRedirectionInfo builds the two-octet form.
func NewRedirectionInfo(indicator, originalReason, counter, reason uint8) RedirectionInfo {
	return RedirectionInfo{Present: true, n: 2, b: [2]byte{indicator&7 | (originalReason&15)<<4, counter&7 | (reason&15)<<4}}
}

// Indicator returns the redirecting indicator (bits CBA of octet 1).
func (r RedirectionInfo) Indicator() uint8 { return r.b[0] & 7 }

// OriginalReason returns the original redirection reason (bits H-E of octet 1).
func (r RedirectionInfo) OriginalReason() uint8 { return r.b[0] >> 4 }

// Counter returns the redirection counter (bits CBA of octet 2).
func (r RedirectionInfo) Counter() uint8 { return r.b[1] & 7 }

// Reason returns the redirecting reason (bits H-E of octet 2).
func (r RedirectionInfo) Reason() uint8 { return r.b[1] >> 4 }

// Bytes returns the raw octets.
func (r *RedirectionInfo) Bytes() []byte { return r.b[:r.n] }

// MaxStatusOctets is the size of the status field storage of RangeStatus.
const MaxStatusOctets = 32

// RangeStatus is the range and status parameter (Q.763 3.43): a range N
// covering circuits CIC..CIC+N, and for some messages a status bit per
// circuit.
type RangeStatus struct {
	Present bool
	Range   uint8
	nStatus uint8
	status  [MaxStatusOctets]byte
}

// Circuits returns the number of circuits covered (Range+1).
func (r *RangeStatus) Circuits() int { return int(r.Range) + 1 }

// HasStatus reports whether a status field is present.
func (r *RangeStatus) HasStatus() bool { return r.nStatus > 0 }

// Status reports the status bit of circuit CIC+i.
func (r *RangeStatus) Status(i int) bool {
	if i < 0 || i/8 >= int(r.nStatus) {
		return false
	}
	return r.status[i/8]>>(i%8)&1 != 0
}

// SetRange sets the range and, withStatus, a zeroed status field of the
// right size.
func (r *RangeStatus) SetRange(rng uint8, withStatus bool) {
	r.Present = true
	r.Range = rng
	r.status = [MaxStatusOctets]byte{}
	r.nStatus = 0
	if withStatus {
		r.nStatus = uint8((int(rng) + 8) / 8)
	}
}

// SetStatus sets or clears the status bit of circuit CIC+i (within the status field).
func (r *RangeStatus) SetStatus(i int, on bool) {
	if i < 0 || i/8 >= int(r.nStatus) {
		return
	}
	if on {
		r.status[i/8] |= 1 << (i % 8)
	} else {
		r.status[i/8] &^= 1 << (i % 8)
	}
}

// StatusBytes returns the status octets (aliases storage).
func (r *RangeStatus) StatusBytes() []byte { return r.status[:r.nStatus] }

func (r *RangeStatus) decode(b []byte) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	if len(b)-1 > MaxStatusOctets {
		return ErrTooLong
	}
	r.Present = true
	r.Range = b[0]
	r.nStatus = uint8(copy(r.status[:], b[1:]))
	return nil
}

// MaxUSI is the size of UserServiceInfo storage.
const MaxUSI = 16

// UserServiceInfo is the user service information parameter (Q.763 3.57):
// the Q.931 bearer capability octets 3 onwards.
type UserServiceInfo struct {
	Present bool
	n       uint8
	b       [MaxUSI]byte
}

// Bytes returns the raw octets (aliases storage).
func (u *UserServiceInfo) Bytes() []byte { return u.b[:u.n] }

// Set copies the raw octets (ErrTooLong beyond MaxUSI).
func (u *UserServiceInfo) Set(b []byte) error {
	if len(b) > MaxUSI {
		return ErrTooLong
	}
	u.Present = true
	u.n = uint8(copy(u.b[:], b))
	return nil
}

// CodingStandard returns bits 7-6 of octet 3.
func (u *UserServiceInfo) CodingStandard() uint8 { return u.at(0) >> 5 & 3 }

// TransferCapability returns the information transfer capability (bits 5-1
// of octet 3; 0 speech, 8 unrestricted digital, 16 3.1 kHz audio).
func (u *UserServiceInfo) TransferCapability() uint8 { return u.at(0) & 0x1F }

// TransferMode returns bits 7-6 of octet 4 (0 circuit, 2 packet).
func (u *UserServiceInfo) TransferMode() uint8 { return u.at(1) >> 5 & 3 }

// TransferRate returns bits 5-1 of octet 4 (16 = 64 kbit/s).
func (u *UserServiceInfo) TransferRate() uint8 { return u.at(1) & 0x1F }

// Layer1Protocol returns the user information layer 1 protocol (2 µ-law,
// 3 A-law), or 0 when octet 5 (layer id 01) is absent.
func (u *UserServiceInfo) Layer1Protocol() uint8 {
	for i := 2; i < int(u.n); i++ {
		if u.b[i]>>5&3 == 1 {
			return u.b[i] & 0x1F
		}
	}
	return 0
}

func (u *UserServiceInfo) at(i int) uint8 {
	if i < int(u.n) {
		return u.b[i]
	}
	return 0
}

// MaxGenericDigits is the size of GenericDigits storage (octets after the first).
const MaxGenericDigits = 32

// GenericDigits is the generic digits parameter (Q.763 3.24, T1.113 likewise).
type GenericDigits struct {
	Present  bool
	Type     uint8 // type of digits (bits 5-1)
	Encoding uint8 // encoding scheme (bits 8-6): 0 BCD even, 1 BCD odd, 2 IA5, 3 binary
	n        uint8
	b        [MaxGenericDigits]byte
	nd       uint8
	digits   [2 * MaxGenericDigits]byte
}

// Bytes returns the raw digit octets.
func (g *GenericDigits) Bytes() []byte { return g.b[:g.n] }

// Digits returns the digits as ASCII: BCD nibbles (low first, dropping the
// filler for BCD odd) as "0-9A-F", IA5 as is; nil for binary.
func (g *GenericDigits) Digits() []byte { return g.digits[:g.nd] }

// Set stores typ, enc and the raw octets.
func (g *GenericDigits) Set(typ, enc uint8, raw []byte) error {
	if len(raw) > MaxGenericDigits {
		return ErrTooLong
	}
	g.Present = true
	g.Type, g.Encoding = typ&0x1F, enc&7
	g.n = uint8(copy(g.b[:], raw))
	g.fill()
	return nil
}

func (g *GenericDigits) fill() {
	g.nd = 0
	switch g.Encoding {
	case 0, 1:
		nd := 2 * int(g.n)
		if g.Encoding == 1 && nd > 0 {
			nd--
		}
		for k := 0; k < nd; k++ {
			x := g.b[k>>1]
			if k&1 == 1 {
				x >>= 4
			}
			g.digits[k] = hexDigits[x&15]
		}
		g.nd = uint8(nd)
	case 2:
		g.nd = uint8(copy(g.digits[:], g.b[:g.n]))
	}
}

func (g *GenericDigits) decode(b []byte) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	return g.Set(b[0]&0x1F, b[0]>>5, b[1:])
}

// AppendParam appends the parameter value.
func (g *GenericDigits) AppendParam(dst []byte) []byte {
	dst = append(dst, g.Encoding<<5|g.Type&0x1F)
	return append(dst, g.b[:g.n]...)
}

// RawParam is a parameter kept as raw bytes (unknown to the codec, or a
// second occurrence of a typed one). Value aliases the decoded input.
type RawParam struct {
	Code  ParamCode
	Value []byte
}
