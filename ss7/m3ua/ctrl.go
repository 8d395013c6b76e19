package m3ua

import (
	"encoding/binary"
	"fmt"

	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

const maxListed = 32 // routing contexts / point codes kept per message

// ctrlMsg holds the parameters of a received non-DATA message. Byte-slice
// fields alias the received buffer.
type ctrlMsg struct {
	h                 Header
	hasASPID          bool
	aspID             uint32
	hasTMT            bool
	tmt               uint32
	rcs               [maxListed]uint32
	nrc               int
	hasRC             bool
	hbData            []byte
	hasHB             bool
	hasStatus         bool
	statusType        uint16
	statusInfo        uint16
	hasErrCode        bool
	errCode           uint32
	apcs              [maxListed]uint32
	napc              int
	hasNA             bool
	na                uint32
	info, diag        []byte
	unknownParameters int
}

func (c *ctrlMsg) routingContexts() []uint32 { return c.rcs[:c.nrc] }

// parseCtrl walks the parameters of a whole non-DATA message b whose header
// h has been checked. Values of the wrong size give a Parameter Field Error.
func parseCtrl(b []byte, h Header, c *ctrlMsg) error {
	*c = ctrlMsg{h: h}
	p := b[headerLen:]
	u32 := func(tag uint16, v []byte) (uint32, error) {
		if len(v) != 4 {
			return 0, perr(ErrCodeParameterFieldError, "parameter %#04x of %d bytes, want 4", tag, len(v))
		}
		return binary.BigEndian.Uint32(v), nil
	}
	list := func(tag uint16, v []byte, dst *[maxListed]uint32) (int, error) {
		if len(v) == 0 || len(v)%4 != 0 {
			return 0, perr(ErrCodeParameterFieldError, "parameter %#04x of %d bytes, want a multiple of 4", tag, len(v))
		}
		n := 0
		for ; len(v) > 0 && n < maxListed; v = v[4:] {
			dst[n] = binary.BigEndian.Uint32(v)
			n++
		}
		return n, nil
	}
	for len(p) > 0 {
		tag, v, rest, err := nextParam(p)
		if err != nil {
			return err
		}
		p = rest
		switch tag {
		case TagASPIdentifier:
			c.hasASPID = true
			c.aspID, err = u32(tag, v)
		case TagTrafficModeType:
			c.hasTMT = true
			c.tmt, err = u32(tag, v)
		case TagRoutingContext:
			c.hasRC = true
			c.nrc, err = list(tag, v, &c.rcs)
		case TagHeartbeatData:
			c.hasHB, c.hbData = true, v
		case TagStatus:
			var s uint32
			s, err = u32(tag, v)
			c.hasStatus, c.statusType, c.statusInfo = true, uint16(s>>16), uint16(s)
		case TagErrorCode:
			c.hasErrCode = true
			c.errCode, err = u32(tag, v)
		case TagAffectedPC:
			c.napc, err = list(tag, v, &c.apcs)
		case TagNetworkAppearance:
			c.hasNA = true
			c.na, err = u32(tag, v)
		case TagInfoString:
			c.info = v
		case TagDiagnosticInfo:
			c.diag = v
		default:
			c.unknownParameters++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Control message encoders, through go-m3ua's messages package.

func marshal(m messages.M3UA) []byte {
	b, err := m.MarshalBinary()
	if err != nil {
		// Only a too-short buffer fails, and MarshalBinary sizes its own.
		panic(fmt.Sprintf("m3ua: go-m3ua marshal %s: %v", m.MessageTypeName(), err))
	}
	return b
}

func rcParam(rcs []uint32) *params.Param {
	if len(rcs) == 0 {
		return nil
	}
	return params.NewRoutingContext(rcs...)
}

func aspIDParam(id uint32, ok bool) *params.Param {
	if !ok {
		return nil
	}
	return params.NewAspIdentifier(id)
}

// EncodeASPUP returns an ASP Up message.
func EncodeASPUP(aspID uint32, hasASPID bool) []byte {
	return marshal(messages.NewAspUp(aspIDParam(aspID, hasASPID), nil))
}

// EncodeASPUPACK returns an ASP Up Ack.
func EncodeASPUPACK() []byte { return marshal(messages.NewAspUpAck(nil, nil)) }

// EncodeASPDN returns an ASP Down.
func EncodeASPDN() []byte { return marshal(messages.NewAspDown(nil)) }

// EncodeASPDNACK returns an ASP Down Ack.
func EncodeASPDNACK() []byte { return marshal(messages.NewAspDownAck(nil)) }

// EncodeBEAT returns a Heartbeat carrying data (may be empty).
func EncodeBEAT(data []byte) []byte {
	var p *params.Param
	if data != nil {
		p = params.NewHeartbeatData(data)
	}
	return marshal(messages.NewHeartbeat(p))
}

// EncodeBEATACK returns a Heartbeat Ack echoing data unchanged.
func EncodeBEATACK(data []byte, has bool) []byte {
	var p *params.Param
	if has {
		p = params.NewHeartbeatData(data)
	}
	return marshal(messages.NewHeartbeatAck(p))
}

func tmtParam(tmt uint32) *params.Param {
	if tmt == 0 {
		return nil
	}
	return params.NewTrafficModeType(tmt)
}

// EncodeASPAC returns an ASP Active with traffic mode (0 = omitted) and
// routing contexts.
func EncodeASPAC(tmt uint32, rcs []uint32) []byte {
	return marshal(messages.NewAspActive(tmtParam(tmt), rcParam(rcs), nil))
}

// EncodeASPACACK returns an ASP Active Ack.
func EncodeASPACACK(tmt uint32, rcs []uint32) []byte {
	return marshal(messages.NewAspActiveAck(tmtParam(tmt), rcParam(rcs), nil))
}

// EncodeASPIA returns an ASP Inactive.
func EncodeASPIA(rcs []uint32) []byte { return marshal(messages.NewAspInactive(rcParam(rcs), nil)) }

// EncodeASPIAACK returns an ASP Inactive Ack.
func EncodeASPIAACK(rcs []uint32) []byte {
	return marshal(messages.NewAspInactiveAck(rcParam(rcs), nil))
}

// EncodeNTFY returns a Notify with status type and information.
func EncodeNTFY(statusType, statusInfo uint16, rcs []uint32) []byte {
	return marshal(messages.NewNotify(params.NewStatus(uint32(statusType)<<16|uint32(statusInfo)), nil, rcParam(rcs), nil))
}

// EncodeERR returns an Error message; diag (the offending message, may be
// nil) is sent as Diagnostic Information, truncated to 40 bytes.
func EncodeERR(code uint32, rcs []uint32, diag []byte) []byte {
	var d *params.Param
	if len(diag) > 0 {
		if len(diag) > 40 {
			diag = diag[:40]
		}
		d = params.NewDiagnosticInformation(append([]byte(nil), diag...))
	}
	return marshal(messages.NewError(params.NewErrorCode(code), rcParam(rcs), nil, nil, d))
}

// EncodeDAVA returns a Destination Available for the point codes.
func EncodeDAVA(rcs []uint32, pcs []uint32) []byte {
	return marshal(messages.NewDestinationAvailable(nil, rcParam(rcs), params.NewAffectedPointCode(pcs...), nil))
}

// EncodeDUNA returns a Destination Unavailable for the point codes.
func EncodeDUNA(rcs []uint32, pcs []uint32) []byte {
	return marshal(messages.NewDestinationUnavailable(nil, rcParam(rcs), params.NewAffectedPointCode(pcs...), nil))
}

// EncodeDAUD returns a Destination State Audit for the point codes.
func EncodeDAUD(rcs []uint32, pcs []uint32) []byte {
	return marshal(messages.NewDestinationStateAudit(nil, rcParam(rcs), params.NewAffectedPointCode(pcs...), nil))
}

// MessageName returns the acronym of a message class and type ("DATA",
// "ASPUP", ...), or "UNKNOWN" (a bounded set, usable as a metric label).
func MessageName(class, typ uint8) string {
	switch class {
	case ClassMGMT:
		switch typ {
		case TypeERR:
			return "ERR"
		case TypeNTFY:
			return "NTFY"
		}
	case ClassXFER:
		if typ == TypeDATA {
			return "DATA"
		}
	case ClassSSNM:
		if typ >= 1 && typ <= 6 {
			return [...]string{"DUNA", "DAVA", "DAUD", "SCON", "DUPU", "DRST"}[typ-1]
		}
	case ClassASPSM:
		if typ >= 1 && typ <= 6 {
			return [...]string{"ASPUP", "ASPDN", "BEAT", "ASPUP_ACK", "ASPDN_ACK", "BEAT_ACK"}[typ-1]
		}
	case ClassASPTM:
		if typ >= 1 && typ <= 4 {
			return [...]string{"ASPAC", "ASPIA", "ASPAC_ACK", "ASPIA_ACK"}[typ-1]
		}
	case ClassRKM:
		if typ >= 1 && typ <= 4 {
			return [...]string{"REG_REQ", "REG_RSP", "DEREG_REQ", "DEREG_RSP"}[typ-1]
		}
	}
	return "UNKNOWN"
}
