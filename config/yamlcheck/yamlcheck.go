// Package yamlcheck decodes YAML documents through the yaml.v3 node API and
// collects every problem found, each with the file and line it comes from.
// The config file and the warrants file are both read with it, so that an
// operator sees all mistakes at once as `FILE:LINE: message`.
package yamlcheck

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a file.
type Problem struct {
	File string
	Line int
	Msg  string
}

// String formats the problem as FILE:LINE: message.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Problems is a list of problems; as an error it prints one per line.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Sort orders the problems by file and line, keeping the order of problems
// on the same line.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// AsProblems extracts the problems carried by err (a Problems value, possibly
// wrapped); any other error becomes one problem with line 0.
func AsProblems(err error) Problems {
	if err == nil {
		return nil
	}
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return Problems{{Msg: err.Error()}}
}

// Checker collects problems for one file.
type Checker struct {
	File     string
	Problems Problems
}

// Errorf records a problem at node n (line 0 if n is nil).
func (c *Checker) Errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.Problems = append(c.Problems, Problem{File: c.File, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the collected problems as an error, or nil when there are none.
func (c *Checker) Err() error {
	if len(c.Problems) == 0 {
		return nil
	}
	return c.Problems
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// Parse parses data as one YAML document and returns its root node (the
// content of the document node). Syntax errors are recorded with their line.
// An empty document gives an empty mapping.
func (c *Checker) Parse(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		line = fixSyntaxLine(data, line, msg)
		if strings.Contains(msg, "tab character") {
			msg += " (YAML is indented with spaces only; look at this line and the next)"
		}
		c.Problems = append(c.Problems, Problem{File: c.File, Line: line, Msg: "YAML syntax: " + msg})
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1}
	}
	return deref(doc.Content[0])
}

// fixSyntaxLine corrects the line yaml.v3 reports for a syntax error:
// parser (as opposed to scanner) errors carry a zero-based line — the line
// where the enclosing block starts, or where the problem is — and none at
// all on the first line; an unknown alias carries no line, so it is looked
// up in the text.
func fixSyntaxLine(data []byte, line int, msg string) int {
	if strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found duplicate %") ||
		msg == "found incompatible YAML document" || msg == "found undefined tag handle" {
		return line + 1
	}
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok && line == 0 {
		name, _, _ = strings.Cut(name, "'")
		for i, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "*"+name) {
				return i + 1
			}
		}
	}
	return line
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Fields is a decoded mapping: value nodes by key, and the mapping node.
type Fields struct {
	Node   *yaml.Node
	values map[string]*yaml.Node
	keys   map[string]*yaml.Node
}

// Get returns the value node of key, or nil when absent.
func (f Fields) Get(key string) *yaml.Node { return f.values[key] }

// Key returns the key node of key (for error lines), or nil.
func (f Fields) Key(key string) *yaml.Node { return f.keys[key] }

// Has reports whether key is present.
func (f Fields) Has(key string) bool { return f.values[key] != nil }

// Mapping reads n as a mapping whose keys must be among allowed. Unknown
// and duplicate keys are reported with their lines. The returned Fields is
// empty (but usable) when n is not a mapping; ok reports whether it was.
func (c *Checker) Mapping(n *yaml.Node, what string, allowed ...string) (f Fields, ok bool) {
	n = deref(n)
	f = Fields{Node: n, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if n == nil {
		return f, false
	}
	if n.Kind != yaml.MappingNode {
		c.Errorf(n, "%s: expected a mapping, got %s", what, kindName(n))
		return f, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			c.Errorf(k, "%s: key must be a plain string", what)
			continue
		}
		if !contains(allowed, k.Value) {
			c.Errorf(k, "%s: unknown key %q (allowed: %s)", what, k.Value, strings.Join(allowed, ", "))
			continue
		}
		if prev := f.keys[k.Value]; prev != nil {
			c.Errorf(k, "%s: duplicate key %q (first at line %d)", what, k.Value, prev.Line)
			continue
		}
		f.keys[k.Value] = k
		f.values[k.Value] = v
	}
	return f, true
}

// Require reports every key in keys missing from f, at the mapping's line.
func (c *Checker) Require(f Fields, what string, keys ...string) {
	if f.Node == nil || f.Node.Kind != yaml.MappingNode {
		return
	}
	for _, k := range keys {
		if !f.Has(k) {
			c.Errorf(f.Node, "%s: missing required key %q", what, k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// Seq reads n as a sequence and returns its items (aliases resolved).
func (c *Checker) Seq(n *yaml.Node, what string) []*yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		c.Errorf(n, "%s: expected a list, got %s", what, kindName(n))
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, it := range n.Content {
		out = append(out, deref(it))
	}
	return out
}

// ScalarOrSeq reads n as either one scalar or a list of scalars.
func (c *Checker) ScalarOrSeq(n *yaml.Node, what string) []*yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	items := c.Seq(n, what)
	out := items[:0]
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			c.Errorf(it, "%s: expected a plain value, got %s", what, kindName(it))
			continue
		}
		out = append(out, it)
	}
	return out
}

func (c *Checker) scalar(n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.Errorf(n, "%s: expected a value, got %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// String reads a non-empty string scalar.
func (c *Checker) String(n *yaml.Node, what string) (string, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return "", false
	}
	if s == "" {
		c.Errorf(n, "%s: must not be empty", what)
		return "", false
	}
	return s, true
}

// Strings reads a list of non-empty strings (a single scalar counts as a
// one-element list).
func (c *Checker) Strings(n *yaml.Node, what string) ([]string, []*yaml.Node) {
	var out []string
	var nodes []*yaml.Node
	for _, it := range c.ScalarOrSeq(n, what) {
		if s, ok := c.String(it, what); ok {
			out = append(out, s)
			nodes = append(nodes, it)
		}
	}
	return out, nodes
}

// Int reads an integer scalar within [min, max].
func (c *Checker) Int(n *yaml.Node, what string, min, max int64) (int64, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
	if err != nil {
		c.Errorf(n, "%s: %q is not an integer", what, s)
		return 0, false
	}
	if v < min || v > max {
		c.Errorf(n, "%s: %d out of range %d..%d", what, v, min, max)
		return 0, false
	}
	return v, true
}

// Bool reads true/false.
func (c *Checker) Bool(n *yaml.Node, what string) (bool, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	c.Errorf(n, "%s: %q is not true or false", what, s)
	return false, false
}

// Enum reads a string that must be one of values (compared case-insensitively);
// the canonical spelling from values is returned.
func (c *Checker) Enum(n *yaml.Node, what string, values ...string) (string, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return "", false
	}
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return v, true
		}
	}
	c.Errorf(n, "%s: %q is not one of %s", what, s, strings.Join(values, ", "))
	return "", false
}

// Duration reads a Go duration ("30s", "2h") within [min, max].
func (c *Checker) Duration(n *yaml.Node, what string, min, max time.Duration) (time.Duration, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		c.Errorf(n, "%s: %q is not a duration (e.g. 30s, 5m, 2h)", what, s)
		return 0, false
	}
	if d < min || d > max {
		c.Errorf(n, "%s: %s out of range %s..%s", what, d, min, max)
		return 0, false
	}
	return d, true
}

// Time reads an RFC 3339 timestamp ("2026-01-01T00:00:00Z").
func (c *Checker) Time(n *yaml.Node, what string) (time.Time, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.Errorf(n, "%s: %q is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)", what, s)
		return time.Time{}, false
	}
	return t, true
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"kB", 1000}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// Size reads a byte count: an integer or a number with a unit
// (B, kB, MB, GB, KiB, MiB, GiB), within [min, max].
func (c *Checker) Size(n *yaml.Node, what string, min, max int64) (int64, bool) {
	s, ok := c.scalar(n, what)
	if !ok {
		return 0, false
	}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 || (mult > 1 && v > (1<<62)/mult) {
		c.Errorf(n, "%s: %q is not a size (e.g. 64MiB)", what, s)
		return 0, false
	}
	v *= mult
	if v < min || v > max {
		c.Errorf(n, "%s: %d bytes out of range %d..%d", what, v, min, max)
		return 0, false
	}
	return v, true
}
