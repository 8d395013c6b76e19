package main

import (
	"bytes"
	"strings"
	"testing"
)

func runConfigCheck(t *testing.T, file string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"config", "check", file})
	defer root.SetArgs(nil)
	err := root.Execute()
	return out.String(), err
}

func TestConfigCheck(t *testing.T) {
	out, err := runConfigCheck(t, "../../config/testdata/example.yaml")
	if err != nil || out != "OK\n" {
		t.Fatalf("example: %q, %v", out, err)
	}
	out, err = runConfigCheck(t, "../../config/testdata/bad-circuits.yaml")
	if err == nil {
		t.Fatal("bad config passed")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 14 || !strings.HasPrefix(lines[0], "../../config/testdata/bad-circuits.yaml:11: ") ||
		!strings.HasPrefix(lines[13], "../../config/testdata/bad-warrants.yaml:9: ") || strings.Contains(out, "OK") {
		t.Fatalf("bad config output:\n%s", out)
	}
	if !strings.Contains(err.Error(), "14 problem(s)") {
		t.Errorf("error %v", err)
	}
}
