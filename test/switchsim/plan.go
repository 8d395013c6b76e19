package switchsim

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// plan is what call i will do, drawn from the seed alone.
type plan struct {
	id       int
	scenario Scenario
	cic      uint16
	origA    bool // exchange A (OPC) originates
	calling  NumberTruth
	called   NumberTruth
	ocn, rdn *NumberTruth
	rinfo    *RedirectionTruth
	roles    []string
	iamPart  int      // overlap: digits of the called number in the IAM
	sams     []string // overlap: the rest, one string per SAM
	alerting bool     // CPG alerting after ACM
	termRel  bool     // the terminating side releases (answered) / gives no answer (unanswered)
	grs      bool     // reset: GRS rather than RSC
	resetByT bool     // reset: sent by the terminating exchange
	hold     time.Duration
}

func (s *Sim) plan(i int) *plan {
	cfg := &s.cfg
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)+1))
	p := &plan{id: i + 1, cic: s.cics[i%len(s.cics)]}
	// scenario
	total := 0.0
	for _, sc := range Scenarios {
		total += cfg.Mix[sc]
	}
	x := r.Float64() * total
	var used []Scenario
	for _, sc := range Scenarios {
		if w := cfg.Mix[sc]; w > 0 {
			used = append(used, sc)
			if x >= 0 && x < w {
				p.scenario = sc
			}
			x -= w
		}
	}
	if p.scenario == "" || cfg.RoundRobin {
		p.scenario = used[i%len(used)]
	}
	switch cfg.OrigSides {
	case "a":
		p.origA = true
	case "b":
		p.origA = false
	default:
		p.origA = r.IntN(2) == 0
	}
	p.calling, p.called = s.nonTarget(r), s.nonTarget(r)
	target := func(role string) NumberTruth {
		p.roles = append(p.roles, role)
		return s.target(r)
	}
	switch p.scenario {
	case TargetOrig:
		p.calling = target("calling")
	case TargetTerm:
		p.called = target("called")
	case ForwardedFrom:
		t := target("original_called")
		p.roles = append(p.roles, "redirecting")
		p.ocn, p.rdn = &t, &t
	case ForwardedTo:
		p.called = target("called")
		o := s.nonTarget(r)
		p.ocn, p.rdn = &o, &o
	default:
		if len(cfg.Targets) > 0 && r.Float64() < cfg.TargetShare {
			if r.IntN(2) == 0 {
				p.calling = target("calling")
			} else {
				p.called = target("called")
			}
		}
	}
	if p.ocn != nil {
		reason := uint8(1 + r.IntN(3)) // user busy, no reply, unconditional
		p.rinfo = &RedirectionTruth{Indicator: 3, OriginalReason: reason, Counter: 1, Reason: reason}
	}
	p.alerting = r.IntN(2) == 0
	p.termRel = r.IntN(2) == 0
	p.grs = r.IntN(2) == 0
	p.resetByT = r.IntN(2) == 0
	p.hold = time.Duration(float64(cfg.Hold) * (0.5 + r.Float64()))
	if p.scenario == Overlap {
		d := p.called.Digits
		k := 3 + r.IntN(max(1, len(d)-4))
		p.iamPart = min(k, len(d)-1)
		rest := d[p.iamPart:]
		if len(rest) >= 2 && r.IntN(2) == 0 {
			h := len(rest) / 2
			p.sams = []string{rest[:h], rest[h:]}
		} else {
			p.sams = []string{rest}
		}
	}
	return p
}

func (s *Sim) isTarget(n NumberTruth) bool {
	for _, t := range s.targets {
		if t.Digits == n.Digits {
			return true
		}
		if s.cfg.CountryCode != "" && strings.HasSuffix(t.Digits, n.Digits) && len(n.Digits) >= 6 {
			return true
		}
	}
	return false
}

// nonTarget draws a national number that is no target.
func (s *Sim) nonTarget(r *rand.Rand) NumberTruth {
	for {
		b := make([]byte, 10)
		b[0] = '7'
		for j := 1; j < len(b); j++ {
			b[j] = byte('0' + r.IntN(10))
		}
		n := NumberTruth{Digits: string(b), NAI: isup.NAINational}
		if !s.isTarget(n) {
			return n
		}
	}
}

// target draws a target number; one given in international format ("+CC…")
// whose country code is Config.CountryCode is sent half of the time in
// national format.
func (s *Sim) target(r *rand.Rand) NumberTruth {
	t := s.targets[r.IntN(len(s.targets))]
	cc := s.cfg.CountryCode
	if t.NAI == isup.NAIInternational && cc != "" && strings.HasPrefix(t.Digits, cc) && r.IntN(2) == 0 {
		return NumberTruth{Digits: t.Digits[len(cc):], NAI: isup.NAINational}
	}
	return t
}
