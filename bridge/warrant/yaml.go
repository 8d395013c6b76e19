package warrant

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/tdmtap/tdmtap/config/yamlcheck"
)

// Keys of one warrant in YAML.
var warrantKeys = []string{"liid", "targets", "roles", "valid_from", "valid_until", "delivery", "destinations"}

// LoadFile reads a warrants file: a YAML mapping with one key, `warrants`,
// holding a list of warrants. All problems are returned together as a
// yamlcheck.Problems error.
func LoadFile(path string) ([]Warrant, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("warrants file: %w", err)
	}
	return Parse(path, data)
}

// Parse is LoadFile on data already read; file names the source in messages.
// On error the warrants are returned too, for further checks only.
func Parse(file string, data []byte) ([]Warrant, error) {
	c := &yamlcheck.Checker{File: file}
	root := c.Parse(data)
	var ws []Warrant
	if root != nil {
		f, _ := c.Mapping(root, "warrants file", "warrants")
		c.Require(f, "warrants file", "warrants")
		ws = Decode(c, f.Get("warrants"))
	}
	return ws, c.Err()
}

// Decode reads a YAML list of warrants (the value of a `warrants:` key in a
// warrants file or in the config file), recording problems in c. Every
// warrant is returned, also those with problems (so that cross-checks can
// still report on them); when c has problems, do not put the result to use.
func Decode(c *yamlcheck.Checker, n *yaml.Node) []Warrant {
	var out []Warrant
	seen := map[string]int{}
	for _, item := range c.Seq(n, "warrants") {
		w := decodeOne(c, item)
		if w.LIID != "" {
			if first, dup := seen[w.LIID]; dup {
				c.Errorf(item, "warrant: duplicate LIID (first at line %d)", first)
			} else {
				seen[w.LIID] = item.Line
			}
		}
		out = append(out, w)
	}
	return out
}

func decodeOne(c *yamlcheck.Checker, n *yaml.Node) Warrant {
	w := Warrant{File: c.File, Line: n.Line}
	f, ok := c.Mapping(n, "warrant", warrantKeys...)
	if !ok {
		return w
	}
	c.Require(f, "warrant", "liid", "targets", "valid_from", "valid_until", "delivery", "destinations")
	what := "warrant"
	if v := f.Get("liid"); v != nil {
		if s, ok := c.String(v, "warrant liid"); ok {
			if err := checkLIID(s); err != nil {
				c.Errorf(v, "warrant liid: %v", err)
			} else {
				w.LIID = s
			}
		}
	}
	if v := f.Get("targets"); v != nil {
		before := len(c.Problems)
		nums, nodes := c.Strings(v, what+": targets")
		if len(nums) == 0 && len(c.Problems) == before {
			c.Errorf(v, "%s: targets: at least one target number is needed", what)
		}
		for i, s := range nums {
			if err := checkNumberSyntax(s); err != nil {
				c.Errorf(nodes[i], "%s: target: %v", what, err)
				continue
			}
			w.Targets = append(w.Targets, Target{Number: s, Line: nodes[i].Line})
		}
	}
	if v := f.Get("roles"); v != nil {
		names, nodes := c.Strings(v, what+": roles")
		for i, s := range names {
			r, ok := ParseRole(s)
			if !ok {
				c.Errorf(nodes[i], "%s: unknown role %q (roles: %v)", what, s, RoleNames())
				continue
			}
			w.Roles |= r
		}
		if len(names) == 0 {
			c.Errorf(v, "%s: roles: list at least one role, or leave roles out for all", what)
		}
	} else {
		w.Roles = RoleAll
	}
	if v := f.Get("valid_from"); v != nil {
		w.Start, _ = c.Time(v, what+": valid_from")
	}
	if v := f.Get("valid_until"); v != nil {
		if t, ok := c.Time(v, what+": valid_until"); ok {
			w.End = t
			if !w.Start.IsZero() && !t.After(w.Start) {
				c.Errorf(v, "%s: valid_until %s is not after valid_from %s", what,
					t.Format("2006-01-02T15:04:05Z07:00"), w.Start.Format("2006-01-02T15:04:05Z07:00"))
			}
		}
	}
	if v := f.Get("delivery"); v != nil {
		switch s, _ := c.Enum(v, what+": delivery", "iri", "iri+cc"); s {
		case "iri":
			w.Delivery = IRIOnly
		case "iri+cc":
			w.Delivery = IRIAndCC
		}
	}
	if v := f.Get("destinations"); v != nil {
		names, nodes := c.Strings(v, what+": destinations")
		if len(names) == 0 {
			c.Errorf(v, "%s: destinations: at least one LEMF destination is needed", what)
		}
		seen := map[string]bool{}
		for i, s := range names {
			if seen[s] {
				c.Errorf(nodes[i], "%s: destination %q listed twice", what, s)
				continue
			}
			seen[s] = true
			w.Destinations = append(w.Destinations, s)
			w.DestinationLines = append(w.DestinationLines, nodes[i].Line)
		}
	}
	return w
}

func checkLIID(s string) error {
	if len(s) > 25 {
		return fmt.Errorf("longer than 25 characters")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("only visible ASCII characters are allowed")
		}
	}
	return nil
}

func checkNumberSyntax(s string) error {
	digits := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			digits++
		case ch == '+' && digits == 0 && i == 0:
		case ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')':
		default:
			return fmt.Errorf("number: unexpected %q (only digits, optionally after '+')", ch)
		}
	}
	if digits == 0 {
		return fmt.Errorf("number has no digits")
	}
	if digits > 15 {
		return fmt.Errorf("number has more than 15 digits")
	}
	return nil
}
