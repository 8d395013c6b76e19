package isup

import "testing"

// allTypes lists every message type the codec knows per variant.
func allTypes(v Variant) []MsgType {
	var ts []MsgType
	for t := 0; t < 256; t++ {
		if Supported(v, MsgType(t)) {
			ts = append(ts, MsgType(t))
		}
	}
	return ts
}

func mustDigits(t testing.TB, n *Number, s string) {
	t.Helper()
	if err := n.SetDigits(s); err != nil {
		t.Fatal(err)
	}
}

// Sample numbers used by the samples, for comparisons.
const (
	sampleCalled     = "4930123456F" // with ST
	sampleCalledANSI = "2125551234"
	sampleCalling    = "4930999888"
	sampleCallingANS = "9085551000"
)

// sample builds a message of type t with the parameters it usually carries
// (and several optional ones) for variant v.
func sample(t testing.TB, v Variant, typ MsgType, cic uint16) *Message {
	m := &Message{Type: typ, CIC: cic}
	called, calling := sampleCalled, sampleCalling
	if v == ANSI {
		called, calling = sampleCalledANSI, sampleCallingANS
	}
	cause := func(val uint8, diag []byte) {
		m.Cause = Cause{Present: true, Coding: 0, Location: 2, Value: val}
		if err := m.Cause.SetDiagnostics(diag); err != nil {
			t.Fatal(err)
		}
	}
	switch typ {
	case IAM:
		m.NCI = 0x01
		m.FCI = 0x2160 // F, HG=1 ... I bit set
		m.CPC = CPCOrdinary
		m.TMR = TMRSpeech
		m.Called = Number{Present: true, NAI: NAIInternational, NPI: 1}
		mustDigits(t, &m.Called, called)
		m.Calling = Number{Present: true, NAI: NAINational, NPI: 1, Presentation: 0, Screening: 3}
		mustDigits(t, &m.Calling, calling)
		m.OriginalCalled = Number{Present: true, NAI: NAINational, NPI: 1}
		mustDigits(t, &m.OriginalCalled, "301111")
		m.Redirecting = Number{Present: true, NAI: NAINational, NPI: 1, Presentation: 1}
		mustDigits(t, &m.Redirecting, "302222")
		m.RedirectionInfo = NewRedirectionInfo(3, 1, 1, 2)
		m.Generic = Number{Present: true, Qualifier: 6, NAI: NAINational, NPI: 1}
		mustDigits(t, &m.Generic, "30333")
		if err := m.GenericDigits.Set(1, 0, []byte{0x21, 0x43}); err != nil {
			t.Fatal(err)
		}
		if err := m.USI.Set([]byte{0x80, 0x90, 0xA3}); err != nil {
			t.Fatal(err)
		}
		if v == ANSI {
			m.USI.b[2] = 0xA2 // µ-law
			m.Charge = Number{Present: true, Code: PChargeNumber, NAI: 3, NPI: 1}
			mustDigits(t, &m.Charge, "9085551001")
			m.JIP = Number{Present: true, Code: PJurisdictionInfo}
			mustDigits(t, &m.JIP, "908555")
		} else {
			m.Location = Number{Present: true, NAI: NAINational, NPI: 1, INN: 1, Screening: 3}
			mustDigits(t, &m.Location, "3012")
			m.AccessTransport = []byte{0x7D, 0x02, 0x91, 0x81} // a Q.931 high layer compatibility IE
		}
	case SAM:
		m.Subsequent = Number{Present: true}
		mustDigits(t, &m.Subsequent, "789F")
	case INR:
		m.InfoRequest = 0x0001
	case INF:
		m.InfoIndicators = 0x0003
		m.Calling = Number{Present: true, NAI: NAINational, NPI: 1, Screening: 3}
		mustDigits(t, &m.Calling, calling)
	case COT:
		m.Continuity = 1
	case ACM:
		m.BCI = 0x1416
		m.OBCI = OptionalBackwardCallIndicators{Present: true, Value: 1}
	case CON:
		m.BCI = 0x1416
		m.Connected = Number{Present: true, NAI: NAINational, NPI: 1, Screening: 3}
		mustDigits(t, &m.Connected, "30123456")
	case CPG:
		m.Event = EventAlerting
		m.OBCI = OptionalBackwardCallIndicators{Present: true, Value: 1}
	case ANM:
		m.BCI = 0 // not carried
		m.Connected = Number{Present: true, NAI: NAINational, NPI: 1, Screening: 3}
		mustDigits(t, &m.Connected, "30123457")
	case REL:
		cause(CauseNormalClearing, []byte{0x01})
		m.RedirectionNumber = Number{Present: true, NAI: NAINational, NPI: 1}
		mustDigits(t, &m.RedirectionNumber, "30555")
	case RLC:
		if v == ITU {
			cause(CauseNormalClearing, nil)
		}
	case SUS:
		m.SuspendResume = 0
	case RES:
		m.SuspendResume = 1
	case CFN:
		cause(97, []byte{0x5A})
	case GRS, CQM:
		m.RangeStatus.SetRange(15, false)
	case GRA:
		m.RangeStatus.SetRange(15, true)
		m.RangeStatus.SetStatus(3, true)
	case CGB, CGU, CGBA, CGUA:
		m.CGSMT = 0
		m.RangeStatus.SetRange(7, true)
		for i := 0; i < 8; i += 2 {
			m.RangeStatus.SetStatus(i, true)
		}
	case CQR:
		m.RangeStatus.SetRange(3, false)
		m.CircuitState = []byte{0x00, 0x01, 0x0D, 0x03}
	case USR:
		m.UserToUser = []byte{0x04, 0x31, 0x32}
	case CRM:
		m.NCI = 0x01
	case CVR:
		m.CVRIndicators = 1
		m.CircuitGroupChar = 0x05
	}
	return m
}
