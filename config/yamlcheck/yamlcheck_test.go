package yamlcheck

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestSyntaxLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
	}{
		{"node:\n  name: x\n links: [\n", 3},
		{"a: 1\nb: 2\nc: [1, 2\nd: 4\n", 3},
		{"a: 1\nb: 2\nc: \"abc\nd: 4\n", 3},
		{"a: 1\nb: 2\nc: d: e\n", 3},
		{"a: 1\nb: 2\nc: {x: 1\n", 3},
		{"a: 1\nb: 2\n- c\n", 3},
		{"a: 1\nb: 2\nc: *nope\n", 3},
		{"[1, 2\n", 2},              // at the end of the input
		{"a: 1\nb: 2\n\tc: 3\n", 2}, // the plain scalar "2" may continue on line 3
		{"a: 1\n\tb: 2\n", 2},
		{"a:\n  b: 1\n\tc: 3\n", 2},
	} {
		c := &Checker{File: "f"}
		if n := c.Parse([]byte(tc.in)); n != nil || len(c.Problems) != 1 {
			t.Errorf("%q: node %v, problems %v", tc.in, n, c.Problems)
			continue
		}
		if p := c.Problems[0]; p.Line != tc.line || !strings.HasPrefix(p.Msg, "YAML syntax: ") {
			t.Errorf("%q: %s, want line %d", tc.in, p, tc.line)
		}
	}
}

func TestScalars(t *testing.T) {
	c := &Checker{File: "f"}
	root := c.Parse([]byte("i: 0x10\nb: yes\nd: 90s\ns: 64MiB\nt: 2026-01-01T00:00:00Z\ne: JSON\nl: [a, b]\nx: 1kB\n"))
	f, ok := c.Mapping(root, "test", "i", "b", "d", "s", "t", "e", "l", "x")
	if !ok {
		t.Fatal(c.Problems)
	}
	if v, ok := c.Int(f.Get("i"), "i", 0, 100); !ok || v != 16 {
		t.Errorf("int %d", v)
	}
	if v, ok := c.Bool(f.Get("b"), "b"); !ok || !v {
		t.Error("bool")
	}
	if v, ok := c.Duration(f.Get("d"), "d", 0, time.Hour); !ok || v != 90*time.Second {
		t.Error("duration")
	}
	if v, ok := c.Size(f.Get("s"), "s", 0, 1<<30); !ok || v != 64<<20 {
		t.Errorf("size %d", v)
	}
	if v, ok := c.Time(f.Get("t"), "t"); !ok || v.Year() != 2026 {
		t.Error("time")
	}
	if v, ok := c.Enum(f.Get("e"), "e", "text", "json"); !ok || v != "json" {
		t.Error("enum")
	}
	if v, _ := c.Strings(f.Get("l"), "l"); len(v) != 2 || v[1] != "b" {
		t.Error("strings")
	}
	if len(c.Problems) != 0 {
		t.Fatal(c.Problems)
	}
	if _, ok := c.Size(f.Get("x"), "x", 1<<20, 1<<30); ok || len(c.Problems) != 1 || c.Problems[0].Line != 8 {
		t.Errorf("size below minimum: %v", c.Problems)
	}
	if _, ok := c.Int(&yaml.Node{Kind: yaml.ScalarNode, Value: "x", Line: 9}, "n", 0, 1); ok {
		t.Error("non-integer accepted")
	}
	if got := c.Problems.Error(); !strings.Contains(got, "f:9: n: \"x\" is not an integer") {
		t.Errorf("error text %q", got)
	}
}
