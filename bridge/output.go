package bridge

import (
	"sync/atomic"

	"github.com/tdmtap/tdmtap/hi/deliver"
)

// Sender queues one PS-PDU without blocking (*deliver.Session).
type Sender interface {
	Send(pdu []byte) error
}

var _ Sender = (*deliver.Session)(nil)

// Destination is one LEMF destination's pair of delivery sessions.
type Destination struct {
	IRI Sender // HI2
	CC  Sender // HI3; nil for destinations that take IRI only
}

// SessionOutput is an Output over hi/deliver sessions, found by destination
// name. The map can be replaced at any time (a reload of LEMF destinations);
// PDUs for a destination not in the map, and PDUs that Send refuses, are
// counted in Unrouted / Refused (nothing is logged: the bridge's logs never
// carry LIIDs).
type SessionOutput struct {
	m        atomic.Pointer[map[string]Destination]
	Unrouted atomic.Uint64
	Refused  atomic.Uint64
}

// NewSessionOutput returns an output over dests (copied).
func NewSessionOutput(dests map[string]Destination) *SessionOutput {
	o := &SessionOutput{}
	o.Set(dests)
	return o
}

// Set replaces the destinations (copied).
func (o *SessionOutput) Set(dests map[string]Destination) {
	c := make(map[string]Destination, len(dests))
	for k, v := range dests {
		c[k] = v
	}
	o.m.Store(&c)
}

// SendIRI implements Output.
func (o *SessionOutput) SendIRI(dest string, pdu []byte) {
	d, ok := (*o.m.Load())[dest]
	o.send(ok, d.IRI, pdu)
}

// SendCC implements Output.
func (o *SessionOutput) SendCC(dest string, pdu []byte) {
	d, ok := (*o.m.Load())[dest]
	o.send(ok, d.CC, pdu)
}

func (o *SessionOutput) send(ok bool, s Sender, pdu []byte) {
	if !ok || s == nil {
		o.Unrouted.Add(1)
		return
	}
	if s.Send(pdu) != nil {
		o.Refused.Add(1)
	}
}
