// Package call follows every ISUP circuit: one state machine per circuit,
// keyed by (NI, unordered point-code pair, CIC) so both directions of a
// circuit meet, fed with decoded ISUP messages from both directions, and
// emitting call events (attempt, address complete, progress, answer,
// suspend/resume, release, release complete) and circuit events (reset,
// blocked, unblocked) to a Sink.
//
// Every call gets a CallID. A call's first event is always Attempt and
// exactly one later event has Ends set (ReleaseComplete, Reset,
// EndedUnseen, DualSeizure, or Blocked for hardware-failure group blocking):
// a consumer can open a session on Attempt and close it on Ends.
//
// Deliberate choices for the irregular cases (each has a counter in Stats):
//   - REL on a circuit without a known call (the tap started mid-call, or
//     the IAM was lost): counted (RELWithoutCall); an Orphan event reports
//     it (no call is attached). The RLC that follows is then expected and
//     not counted or reported again (for a circuit never seen, as long as it
//     is among the last 256 such circuits: they are not put in the table).
//   - RLC while a call is active but no REL was seen: the call ends with a
//     ReleaseComplete event (counted in RLCWithoutREL). RLC with neither call
//     nor REL/RSC: counted (RLCWithoutCall) and reported as an Orphan event.
//   - ACM/CPG/ANM/CON/SUS/RES/SAM without a call: counted (Orphans) and
//     reported as an Orphan event (CallID 0), as are REL without a call and
//     an RLC that follows neither a call nor a REL/RSC; the tracker keeps
//     no call state for them.
//   - IAM on a circuit that still has a call (other than dual seizure): the
//     old call ends with EndedUnseen, then the new Attempt.
//   - Dual seizure (IAM from both ends before any backward message): per
//     Q.764 §2.10.1.4 the exchange with the higher signalling point code
//     controls the even-numbered circuits and the lower one the odd: the
//     controlling exchange's call proceeds. The losing call gets Attempt (if
//     it had none yet) and then DualSeizure with Ends.
//   - RSC, or GRS covering the circuit: Reset event; an active call ends
//     with it. GRS only reaches circuits already in the table (circuits
//     never seen have no state to reset).
//   - CGB of type hardware failure ends an active call (Q.764 §2.8.2);
//     maintenance blocking and BLO do not.
//   - The circuit table holds circuits that carried a call, are blocked or
//     await an RLC: REL, RSC, UBL and CGU on a never-seen circuit add none,
//     and a circuit left idle and unblocked outside a call is removed.
//
// The supervision timer is driven by Tick(now); calls idle for longer than
// the configured limits end with EndedUnseen. No goroutine per circuit.
//
// Adapter is the glue from M3UA: an m3ua.Handler that decodes ISUP (SI=5)
// with the link's variant into a reused isup.Message and feeds the Tracker,
// and decodes SCCP (SI=3) with ss7/sccp. Handle, Tick and the adapter do not
// allocate per message once a circuit has been seen.
package call

import (
	"strconv"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// EventKind says what happened.
type EventKind uint8

// Event kinds.
const (
	Attempt           EventKind = iota + 1 // IAM
	SubsequentAddress                      // SAM: digits appended to Called
	AddressComplete                        // ACM
	Progress                               // CPG
	Answer                                 // ANM or CON
	Suspend                                // SUS
	Resume                                 // RES
	Release                                // REL (Cause, ReleasedBy)
	ReleaseComplete                        // RLC
	Reset                                  // RSC, GRS
	Blocked                                // BLO, CGB
	Unblocked                              // UBL, CGU
	EndedUnseen                            // supervision timer, or a new IAM on a busy circuit
	DualSeizure                            // the losing call of a dual seizure
	// Orphan: a call-control message (SAM, ACM, CPG, ANM, CON, SUS, RES,
	// REL, or an unexpected RLC) on a circuit without a known call — the
	// tap or the gateway started mid-call. CallID is 0, Msg says which
	// message, FromPC who sent it; Cause (REL, RLC), Connected and
	// RedirectionNumber (ACM, CPG, ANM, CON), InBand and ProgressEvent are
	// filled from the message. The tracker keeps no call for it; a
	// consumer that knows the call from elsewhere (a restart's persisted
	// intercepts) can pick it up.
	Orphan
)

var kindNames = [...]string{
	Attempt: "attempt", SubsequentAddress: "subsequent-address", AddressComplete: "address-complete",
	Progress: "progress", Answer: "answer", Suspend: "suspend", Resume: "resume", Release: "release",
	ReleaseComplete: "release-complete", Reset: "reset", Blocked: "blocked", Unblocked: "unblocked",
	EndedUnseen: "ended-unseen", DualSeizure: "dual-seizure", Orphan: "orphan",
}

func (k EventKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Side says which end of a call did something.
type Side uint8

// Sides.
const (
	SideUnknown Side = iota
	SideOrig         // the exchange that sent the IAM
	SideTerm         // the other one
)

func (s Side) String() string {
	switch s {
	case SideOrig:
		return "orig"
	case SideTerm:
		return "term"
	}
	return "unknown"
}

// CircuitKey identifies a circuit: network indicator, the two signalling
// point codes in ascending order (so both directions meet) and the CIC.
type CircuitKey struct {
	NI       uint8
	CIC      uint16
	PCA, PCB uint32 // PCA <= PCB
}

// MakeKey normalises (ni, opc, dpc, cic) into a CircuitKey.
func MakeKey(ni uint8, opc, dpc uint32, cic uint16) CircuitKey {
	if opc > dpc {
		opc, dpc = dpc, opc
	}
	return CircuitKey{NI: ni, CIC: cic, PCA: opc, PCB: dpc}
}

func (k CircuitKey) String() string {
	return "ni=" + strconv.Itoa(int(k.NI)) + " pcs=" + strconv.FormatUint(uint64(k.PCA), 10) + "/" +
		strconv.FormatUint(uint64(k.PCB), 10) + " cic=" + strconv.Itoa(int(k.CIC))
}

// Event is one call or circuit event. The Sink receives a pointer valid only
// during the call; copy what you keep. Numbers hold the call's current view
// (Called includes SAM digits received so far).
type Event struct {
	Kind    EventKind
	Time    time.Time // receive time of the message (or Tick's now for EndedUnseen)
	Circuit CircuitKey
	// CallID is the call's tracker-wide identity (from 1); 0 for circuit
	// events on a circuit without a call.
	CallID uint64
	OrigPC uint32       // point code that sent the IAM (the call's direction)
	FromPC uint32       // point code that sent the message causing the event (0 for timer events)
	Msg    isup.MsgType // the message causing the event (0 for timer events)
	Ends   bool         // this event ends the call CallID
	By     Side         // which side sent the message (SideUnknown for circuit events without a call)

	Called, Calling, OriginalCalled, Redirecting  isup.Number
	RedirectionNumber, Connected, Generic, Charge isup.Number
	Subsequent                                    isup.Number // SubsequentAddress: the SAM digits just appended

	Cause      isup.Cause // Release (and RLC/ended events when known)
	ReleasedBy Side       // Release: who sent the first REL
	InBand     bool       // ACM/CPG/ANM: in-band information available
	// ProgressEvent is the CPG event indicator (1 alerting, 2 progress,
	// 3 in-band information, 4-6 call forwarding); 0 otherwise.
	ProgressEvent uint8
	Hardware      bool // Blocked/Unblocked from a hardware-failure oriented group message

	// Timestamps of the call so far (zero when not reached).
	SeizedAt, AlertedAt, AnsweredAt, ReleasedAt time.Time
}

// Sink receives events. It is called with the tracker's lock held, in
// message order: it must not call back into the Tracker, and should be fast.
type Sink interface {
	CallEvent(e *Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(e *Event)

// CallEvent calls f.
func (f SinkFunc) CallEvent(e *Event) { f(e) }
