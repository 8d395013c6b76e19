// Package sccp decodes SCCP messages (MTP3 service indicator 3) for traces
// and counters: message type, protocol class, causes, local references and
// the called/calling party addresses with their global titles.
//
// Connectionless messages of the ITU variant (UDT, XUDT) go through
// github.com/wmnsk/go-sccp behind a guard (see Decoder); everything else, the
// ANSI address format and whatever go-sccp rejects or panics on are decoded
// by this package's own parser. Decoding never panics.
package sccp

import (
	"fmt"
	"strconv"
	"strings"
)

// MsgType is an SCCP message type code (Q.713 §4.2).
type MsgType uint8

// SCCP message type codes.
const (
	CR    MsgType = 0x01
	CC    MsgType = 0x02
	CREF  MsgType = 0x03
	RLSD  MsgType = 0x04
	RLC   MsgType = 0x05
	DT1   MsgType = 0x06
	DT2   MsgType = 0x07
	AK    MsgType = 0x08
	UDT   MsgType = 0x09
	UDTS  MsgType = 0x0a
	ED    MsgType = 0x0b
	EA    MsgType = 0x0c
	RSR   MsgType = 0x0d
	RSC   MsgType = 0x0e
	ERR   MsgType = 0x0f
	IT    MsgType = 0x10
	XUDT  MsgType = 0x11
	XUDTS MsgType = 0x12
	LUDT  MsgType = 0x13
	LUDTS MsgType = 0x14
)

var msgNames = [...]string{
	CR: "CR", CC: "CC", CREF: "CREF", RLSD: "RLSD", RLC: "RLC", DT1: "DT1", DT2: "DT2",
	AK: "AK", UDT: "UDT", UDTS: "UDTS", ED: "ED", EA: "EA", RSR: "RSR", RSC: "RSC",
	ERR: "ERR", IT: "IT", XUDT: "XUDT", XUDTS: "XUDTS", LUDT: "LUDT", LUDTS: "LUDTS",
}

// String returns the Q.713 acronym, or "SCCP(0xNN)" for unknown codes.
func (t MsgType) String() string {
	if int(t) < len(msgNames) && msgNames[t] != "" {
		return msgNames[t]
	}
	return fmt.Sprintf("SCCP(0x%02x)", uint8(t))
}

// MaxDigits is the number of global-title digits kept; longer titles are
// truncated and flagged.
const MaxDigits = 48

// Address is a decoded called or calling party address (Q.713 §3.4, or
// T1.112 for ANSI). It has fixed-size storage.
type Address struct {
	Present    bool
	Indicator  uint8 // the address indicator octet as on the wire
	RouteOnSSN bool  // routing indicator: true = route on PC+SSN, false = on GT
	National   bool  // bit 8 of the indicator (reserved for national use in ITU)
	HasPC      bool
	PC         uint32 // ITU: 14 bits; ANSI: 24 bits network-cluster-member
	HasSSN     bool
	SSN        uint8
	GTI        uint8 // global title indicator (0 = no GT)
	TT         uint8 // translation type
	NP         uint8 // numbering plan
	ES         uint8 // encoding scheme (1 BCD odd, 2 BCD even)
	NAI        uint8 // nature of address indicator (without the odd/even bit)
	HasTT      bool
	HasNP      bool
	HasNAI     bool
	Truncated  bool // more than MaxDigits digits
	nd         uint8
	digits     [MaxDigits]byte
}

// Digits returns the global-title digits as ASCII ('0'-'9', then 'A'-'F' for
// the other nibble values). The slice aliases a; it does not allocate.
func (a *Address) Digits() []byte { return a.digits[:a.nd] }

const hexDigits = "0123456789ABCDEF"

// setBCD stores BCD digits, low nibble first; odd drops the last high nibble.
func (a *Address) setBCD(b []byte, odd bool) {
	a.nd = 0
	a.Truncated = false
	for i, x := range b {
		for k := 0; k < 2; k++ {
			if k == 1 && odd && i == len(b)-1 {
				break
			}
			if int(a.nd) == MaxDigits {
				a.Truncated = true
				return
			}
			nib := x & 0x0f
			if k == 1 {
				nib = x >> 4
			}
			a.digits[a.nd] = hexDigits[nib]
			a.nd++
		}
	}
}

// String renders the address for traces, e.g.
// "pc=1234 ssn=6 gt=(tt=0 np=1 nai=4)4912345678".
func (a *Address) String() string {
	if !a.Present {
		return "-"
	}
	var sb strings.Builder
	sep := ""
	if a.HasPC {
		sb.WriteString("pc=" + strconv.FormatUint(uint64(a.PC), 10))
		sep = " "
	}
	if a.HasSSN {
		sb.WriteString(sep + "ssn=" + strconv.Itoa(int(a.SSN)))
		sep = " "
	}
	if a.GTI != 0 {
		sb.WriteString(sep + "gt=(gti=" + strconv.Itoa(int(a.GTI)))
		if a.HasTT {
			sb.WriteString(" tt=" + strconv.Itoa(int(a.TT)))
		}
		if a.HasNP {
			sb.WriteString(" np=" + strconv.Itoa(int(a.NP)) + " es=" + strconv.Itoa(int(a.ES)))
		}
		if a.HasNAI {
			sb.WriteString(" nai=" + strconv.Itoa(int(a.NAI)))
		}
		sb.WriteString(")")
		sb.Write(a.Digits())
		if a.Truncated {
			sb.WriteString("…")
		}
		sep = " "
	}
	if a.RouteOnSSN {
		sb.WriteString(sep + "route=ssn")
	} else {
		sb.WriteString(sep + "route=gt")
	}
	return sb.String()
}

// Message is a decoded SCCP message. Decode into a reused value; Data aliases
// the input buffer.
type Message struct {
	Type MsgType

	HasClass      bool
	Class         uint8 // protocol class 0..3
	ReturnOnError bool  // message handling option (class 0/1)

	HasHopCounter bool
	HopCounter    uint8

	// Cause is the return cause (UDTS/XUDTS/LUDTS), release cause (RLSD),
	// refusal cause (CREF), reset cause (RSR) or error cause (ERR).
	HasCause bool
	Cause    uint8

	HasDLR, HasSLR bool
	DLR, SLR       uint32 // destination / source local references

	Called, Calling Address

	Data []byte // user data (aliases the input); nil when absent

	HasSegmentation   bool
	FirstSegment      bool
	RemainingSegments uint8
	SegmentationRef   uint32

	HasImportance bool
	Importance    uint8

	// By says which parser produced the message: "go-sccp" or "tdmtap".
	By string
}

// Reset clears m for reuse.
func (m *Message) Reset() { *m = Message{} }

// String renders a one-line summary for traces.
func (m *Message) String() string {
	var sb strings.Builder
	sb.WriteString(m.Type.String())
	if m.HasClass {
		sb.WriteString(" class=" + strconv.Itoa(int(m.Class)))
	}
	if m.HasCause {
		sb.WriteString(" cause=" + strconv.Itoa(int(m.Cause)))
	}
	if m.HasDLR {
		sb.WriteString(fmt.Sprintf(" dlr=0x%06x", m.DLR))
	}
	if m.HasSLR {
		sb.WriteString(fmt.Sprintf(" slr=0x%06x", m.SLR))
	}
	if m.Called.Present {
		sb.WriteString(" cdpa=[" + m.Called.String() + "]")
	}
	if m.Calling.Present {
		sb.WriteString(" cgpa=[" + m.Calling.String() + "]")
	}
	if m.Data != nil {
		sb.WriteString(" data=" + strconv.Itoa(len(m.Data)) + "B")
	}
	return sb.String()
}
