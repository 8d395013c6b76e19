// Package warrant holds lawful-interception warrants and matches call
// parties against them.
//
// A Warrant names its targets, the party roles that count, a validity
// window, what to deliver (IRI only or IRI and content) and the LEMF
// destinations. Targets are normalised once, when a Set is built, to the
// canonical international form given by the node's NumberPlan; at match time
// each party number (nature of address + ASCII digits) is normalised into a
// stack buffer and looked up without allocating.
//
// Set is immutable; Store holds the current Set and swaps it atomically, so a
// reload (SIGHUP) never disturbs intercepts that already hold a *Warrant.
//
// Warrants are read from YAML (a warrants file, or inline in the config
// file) with every problem reported as FILE:LINE: message. The signed
// provisioning plane (hi/hi1) will produce the same Warrant values.
package warrant

import (
	"fmt"
	"strings"
	"time"
)

// Role is a bit set of call-party roles.
type Role uint16

// Party roles a warrant may count.
const (
	RoleCalling        Role = 1 << iota // calling party number
	RoleCalled                          // called party number (incl. subsequent digits)
	RoleOriginalCalled                  // original called number
	RoleRedirecting                     // redirecting number
	RoleRedirection                     // redirection number (forwarded-to)
	RoleGeneric                         // generic number (e.g. additional calling party)
	RoleCharge                          // charge number (ANSI)
	RoleConnected                       // connected number

	RoleAll = RoleCalling | RoleCalled | RoleOriginalCalled | RoleRedirecting |
		RoleRedirection | RoleGeneric | RoleCharge | RoleConnected
)

var roleNames = []struct {
	r    Role
	name string
}{
	{RoleCalling, "calling"},
	{RoleCalled, "called"},
	{RoleOriginalCalled, "original_called"},
	{RoleRedirecting, "redirecting"},
	{RoleRedirection, "redirection"},
	{RoleGeneric, "generic"},
	{RoleCharge, "charge"},
	{RoleConnected, "connected"},
}

// RoleNames lists the YAML spellings of the roles.
func RoleNames() []string {
	out := make([]string, len(roleNames))
	for i, rn := range roleNames {
		out[i] = rn.name
	}
	return out
}

// ParseRole returns the role spelled name ("calling", "original_called", ...).
func ParseRole(name string) (Role, bool) {
	for _, rn := range roleNames {
		if rn.name == name {
			return rn.r, true
		}
	}
	return 0, false
}

// String lists the roles in r, joined by '|'.
func (r Role) String() string {
	if r == 0 {
		return "none"
	}
	var parts []string
	for _, rn := range roleNames {
		if r&rn.r != 0 {
			parts = append(parts, rn.name)
		}
	}
	return strings.Join(parts, "|")
}

// Delivery says what a warrant authorises.
type Delivery uint8

// Deliveries.
const (
	IRIOnly  Delivery = iota + 1 // intercept-related information only
	IRIAndCC                     // IRI and call content
)

func (d Delivery) String() string {
	switch d {
	case IRIOnly:
		return "iri"
	case IRIAndCC:
		return "iri+cc"
	}
	return fmt.Sprintf("Delivery(%d)", uint8(d))
}

// Target is one target number as written in the warrant.
type Target struct {
	Number string // as written: "+442079460000", "02079460000", ...
	Line   int    // line in the source file (0 if not from a file)
}

// Warrant is one lawful-interception authorisation.
type Warrant struct {
	LIID         string // lawful interception identifier, 1..25 printable characters
	Targets      []Target
	Roles        Role      // party roles that count; RoleAll if unspecified in YAML
	Start, End   time.Time // active for Start <= t < End
	Delivery     Delivery
	Destinations []string // LEMF destination names

	File string // where it was read from, for messages
	Line int
	// DestinationLines holds the line of each destination name (parallel to
	// Destinations), so cross-checks can report where the name was written.
	DestinationLines []int
}

// Active reports whether the warrant is in force at t.
func (w *Warrant) Active(t time.Time) bool {
	return !t.Before(w.Start) && t.Before(w.End)
}

// CC reports whether the warrant authorises call content.
func (w *Warrant) CC() bool { return w.Delivery == IRIAndCC }
