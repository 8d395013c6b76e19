package sccp

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	gosccp "github.com/wmnsk/go-sccp"
	"github.com/wmnsk/go-sccp/params"
)

func init() {
	// go-sccp logs parameter oddities to the process-wide standard error;
	// a library package must not write there.
	params.DisableLogging()
	gosccp.DisableLogging()
	libPCSwapped = detectPCSwap()
}

// libPCSwapped is true while go-sccp reads the signalling point code of a
// party address big-endian (Q.713 §3.4.2.1 puts the least significant octet
// first). Detected at start-up so an upstream fix does not double-correct.
var libPCSwapped bool

func detectPCSwap() bool {
	// UDT class 0; CdPA = AI 0x43 (PC+SSN, route on SSN), PC 0x0102 least
	// significant octet first, SSN 6; CgPA same; 1 octet of data.
	b := []byte{0x09, 0x00, 0x03, 0x07, 0x0b,
		0x04, 0x43, 0x02, 0x01, 0x06,
		0x04, 0x43, 0x02, 0x01, 0x06,
		0x01, 0xaa}
	u, err := gosccp.ParseUDT(b)
	if err != nil || u.CalledPartyAddress == nil {
		return false
	}
	return u.CalledPartyAddress.SignalingPointCode == 0x0201
}

// Stats are the decoder's counters.
type Stats struct {
	Decoded      uint64 // messages decoded (by either parser)
	ByLibrary    uint64 // of those, decoded by go-sccp
	Fallback     uint64 // of those, decoded by this package after go-sccp failed or was not applicable
	LibraryError uint64 // go-sccp returned an error on a message our parser accepted or rejected
	LibraryPanic uint64 // go-sccp panicked (recovered)
	Failed       uint64 // messages neither parser could decode
}

// Decoder decodes SCCP messages and counts the outcomes. It is safe for
// concurrent use; Decode's message argument must not be shared.
type Decoder struct {
	// ANSI selects the T1.112 address format (go-sccp is ITU only and is
	// not used then).
	ANSI bool

	decoded, byLib, fallback, libErr, libPanic, failed atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (d *Decoder) Stats() Stats {
	return Stats{
		Decoded: d.decoded.Load(), ByLibrary: d.byLib.Load(), Fallback: d.fallback.Load(),
		LibraryError: d.libErr.Load(), LibraryPanic: d.libPanic.Load(), Failed: d.failed.Load(),
	}
}

// Register exports the counters on reg as tdmtap_sccp_* counters with the
// given constant labels (e.g. the link name).
func (d *Decoder) Register(reg prometheus.Registerer, labels prometheus.Labels) error {
	add := func(name, help string, v *atomic.Uint64) error {
		return reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "tdmtap", Subsystem: "sccp", Name: name, Help: help, ConstLabels: labels,
		}, func() float64 { return float64(v.Load()) }))
	}
	for _, c := range []struct {
		name, help string
		v          *atomic.Uint64
	}{
		{"decoded_total", "SCCP messages decoded.", &d.decoded},
		{"decoded_by_library_total", "SCCP messages decoded by go-sccp.", &d.byLib},
		{"decoded_fallback_total", "SCCP messages decoded by tdmtap's own parser.", &d.fallback},
		{"library_errors_total", "go-sccp decode errors.", &d.libErr},
		{"library_panics_total", "go-sccp panics recovered.", &d.libPanic},
		{"failed_total", "SCCP messages that could not be decoded.", &d.failed},
	} {
		if err := add(c.name, c.help, c.v); err != nil {
			return fmt.Errorf("sccp: register %s: %w", c.name, err)
		}
	}
	return nil
}

// ErrLibraryPanic wraps a recovered go-sccp panic.
var ErrLibraryPanic = errors.New("sccp: go-sccp panicked")

// Decode decodes b (the SCCP message, SI=3 user part) into m. ITU UDT and
// XUDT go through go-sccp once this package's framing check passes; when
// go-sccp errors or panics, or for every other message type and for ANSI,
// this package's own parser decodes. It never panics.
func (d *Decoder) Decode(b []byte, m *Message) error {
	// Our parser runs first: it is the length check before go-sccp, and its
	// result is the fallback.
	perr := Parse(b, d.ANSI, m)
	if !d.ANSI && perr == nil && libSafe(b) {
		var lm Message
		lerr := libDecode(b, &lm)
		switch {
		case lerr == nil:
			*m = lm
			d.byLib.Add(1)
			d.decoded.Add(1)
			return nil
		case errors.Is(lerr, ErrLibraryPanic):
			d.libPanic.Add(1)
		default:
			d.libErr.Add(1)
		}
	}
	if perr != nil {
		d.failed.Add(1)
		return perr
	}
	d.fallback.Add(1)
	d.decoded.Add(1)
	return nil
}

// libSafe reports whether b may be handed to go-sccp: a UDT, or an XUDT
// whose optional part (already walked by Parse) holds only well-formed
// Segmentation and Importance parameters. go-sccp v0.0.5 loops forever on a
// short Credit parameter and overruns on an optional Data parameter; a
// recover cannot stop a loop, so such parts never reach it.
func libSafe(b []byte) bool {
	switch MsgType(b[0]) {
	case UDT:
		return true
	case XUDT:
		if len(b) < 7 {
			return false
		}
		if b[6] == 0 {
			return true
		}
		for i := 6 + int(b[6]); i < len(b); {
			switch b[i] {
			case pEnd:
				return true
			case pSegmentation:
				if i+1 >= len(b) || b[i+1] != 4 {
					return false
				}
				i += 6
			case pImportance:
				if i+1 >= len(b) || b[i+1] != 1 {
					return false
				}
				i += 3
			default:
				return false
			}
		}
		return false
	}
	return false
}

// libDecode decodes with go-sccp, recovering any panic, and converts the
// result (correcting the point-code byte order).
func libDecode(b []byte, m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrLibraryPanic, r)
		}
	}()
	msg, err := gosccp.ParseMessage(b)
	if err != nil {
		return fmt.Errorf("go-sccp: %w", err)
	}
	m.Reset()
	m.By = "go-sccp"
	switch u := msg.(type) {
	case *gosccp.UDT:
		m.Type = UDT
		setClass(m, u.ProtocolClass)
		convAddr(u.CalledPartyAddress, &m.Called)
		convAddr(u.CallingPartyAddress, &m.Calling)
		if u.Data != nil {
			m.Data = u.Data.Value()
		}
	case *gosccp.XUDT:
		m.Type = XUDT
		setClass(m, u.ProtocolClass)
		if u.HopCounter != nil {
			m.HasHopCounter, m.HopCounter = true, u.HopCounter.Value()
		}
		convAddr(u.CalledPartyAddress, &m.Called)
		convAddr(u.CallingPartyAddress, &m.Calling)
		if u.Data != nil {
			m.Data = u.Data.Value()
		}
		if s := u.Segmentation; s != nil {
			m.HasSegmentation, m.FirstSegment = true, s.FirstSegment
			m.RemainingSegments = s.RemainingSegments
			// go-sccp reads the reference big-endian; keep the wire order
			// (least significant octet first) like every other local reference.
			v := s.LocalReference
			m.SegmentationRef = (v&0xff)<<16 | v&0xff00 | (v>>16)&0xff
		}
		if i := u.Importance; i != nil {
			m.HasImportance, m.Importance = true, i.Value()&0x07
		}
	default:
		return fmt.Errorf("go-sccp: unexpected %T", msg)
	}
	return nil
}

func setClass(m *Message, pc *params.ProtocolClass) {
	if pc == nil {
		return
	}
	v := pc.Value()
	m.HasClass, m.Class, m.ReturnOnError = true, v&0x0f, v&0x80 != 0
}

func convAddr(p *params.PartyAddress, a *Address) {
	*a = Address{}
	if p == nil {
		return
	}
	ai := p.Indicator
	a.Present = true
	a.Indicator = ai
	a.RouteOnSSN = ai&0x40 != 0
	a.National = ai&0x80 != 0
	a.HasPC, a.HasSSN = p.HasPC(), p.HasSSN()
	a.GTI = uint8(p.GTI())
	if a.HasPC {
		pc := p.SignalingPointCode
		if libPCSwapped {
			pc = pc>>8 | pc<<8
		}
		a.PC = uint32(pc) & 0x3fff
	}
	if a.HasSSN {
		a.SSN = p.SubsystemNumber
	}
	g := p.GlobalTitle
	if g == nil || a.GTI == 0 {
		return
	}
	odd := false
	switch a.GTI {
	case 1:
		a.HasNAI, a.NAI = true, uint8(g.NatureOfAddressIndicator)&0x7f
		odd = uint8(g.NatureOfAddressIndicator)&0x80 != 0
	case 2:
		a.HasTT, a.TT = true, uint8(g.TranslationType)
	case 3, 4:
		a.HasTT, a.TT = true, uint8(g.TranslationType)
		a.HasNP, a.NP, a.ES = true, uint8(g.NumberingPlan), uint8(g.EncodingScheme)
		odd = a.ES == 1
		if a.GTI == 4 {
			a.HasNAI, a.NAI = true, uint8(g.NatureOfAddressIndicator)&0x7f
		}
	}
	a.setBCD(g.AddressInformation, odd)
}
