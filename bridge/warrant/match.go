package warrant

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Party is one number of a call, as the bridge hands it over: its role, its
// nature of address (common codes; see ANSINAI) and ASCII digits (which may
// alias a decoder's buffer; they are not retained).
type Party struct {
	Role   Role
	NAI    uint8
	Digits []byte
}

// Match is one warrant matched by a call, with the roles through which the
// call's parties matched it (e.g. RoleCalling: the target originated).
type Match struct {
	Warrant *Warrant
	Roles   Role
}

type entry struct {
	w     *Warrant
	roles Role
}

// Set is an immutable, indexed set of warrants. Build it with NewSet; it is
// safe for concurrent use.
type Set struct {
	plan     NumberPlan
	warrants []*Warrant
	byKey    map[string][]entry
}

// TargetError is a target that could not be normalised.
type TargetError struct {
	Warrant *Warrant
	Target  Target
	Err     error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("warrant target: %v", e.Err)
}

func (e *TargetError) Unwrap() error { return e.Err }

// NewSet indexes ws under plan. Every target is normalised to its canonical
// key; targets that cannot be are returned as *TargetError values (and left
// out of the index); the rest of the set is still built and usable.
func NewSet(plan NumberPlan, ws []Warrant) (*Set, []error) {
	s := &Set{plan: plan, byKey: make(map[string][]entry)}
	var errs []error
	for i := range ws {
		w := &ws[i]
		s.warrants = append(s.warrants, w)
		roles := w.Roles
		if roles == 0 {
			roles = RoleAll
		}
		for _, t := range w.Targets {
			key, err := plan.CanonicalTarget(t.Number)
			if err != nil {
				errs = append(errs, &TargetError{Warrant: w, Target: t, Err: err})
				continue
			}
			dup := false
			for _, e := range s.byKey[key] {
				if e.w == w {
					dup = true
				}
			}
			if !dup {
				s.byKey[key] = append(s.byKey[key], entry{w: w, roles: roles})
			}
		}
	}
	return s, errs
}

// Plan returns the number plan the set was built with.
func (s *Set) Plan() NumberPlan { return s.plan }

// Warrants returns the warrants in the set (do not modify them).
func (s *Set) Warrants() []*Warrant { return s.warrants }

// Len is the number of warrants.
func (s *Set) Len() int { return len(s.warrants) }

// Match appends to out every warrant active at t that any of the parties
// matches in a role the warrant counts, once per warrant, and returns the
// extended slice. With enough capacity in out it does not allocate.
func (s *Set) Match(t time.Time, parties []Party, out []Match) []Match {
	if s == nil || len(s.byKey) == 0 {
		return out
	}
	base := len(out)
	var buf [MaxDigits]byte
	for i := range parties {
		p := &parties[i]
		n := s.plan.Canonical(&buf, p.NAI, p.Digits)
		if n == 0 {
			continue
		}
		entries := s.byKey[string(buf[:n])] // no allocation: map index with string(bytes)
		for _, e := range entries {
			if e.roles&p.Role == 0 || !e.w.Active(t) {
				continue
			}
			found := false
			for j := base; j < len(out); j++ {
				if out[j].Warrant == e.w {
					out[j].Roles |= p.Role
					found = true
					break
				}
			}
			if !found {
				out = append(out, Match{Warrant: e.w, Roles: p.Role})
			}
		}
	}
	return out
}

// IsTarget reports whether one number matches any warrant active at t in
// role r. It does not allocate.
func (s *Set) IsTarget(t time.Time, r Role, nai uint8, digits []byte) bool {
	var out [4]Match
	return len(s.Match(t, []Party{{Role: r, NAI: nai, Digits: digits}}, out[:0])) > 0
}

// Store holds the current Set and replaces it atomically. The zero value
// holds no warrants.
type Store struct {
	p atomic.Pointer[Set]
}

// Load returns the current set (nil-safe: a nil *Set matches nothing).
func (st *Store) Load() *Set { return st.p.Load() }

// Swap installs s and returns the previous set. Intercepts already started
// keep their *Warrant values from the old set.
func (st *Store) Swap(s *Set) *Set { return st.p.Swap(s) }

// Match matches against the current set.
func (st *Store) Match(t time.Time, parties []Party, out []Match) []Match {
	return st.p.Load().Match(t, parties, out)
}
