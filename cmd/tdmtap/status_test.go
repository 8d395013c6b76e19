package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/cmd/tdmtap/daemon"
)

func TestStatusCommand(t *testing.T) {
	st := daemon.Status{Node: "n1", Started: time.Now().Add(-time.Minute), Warrants: 2,
		Links:        []daemon.LinkStatus{{Name: "stp-a", Linkset: "ls", Role: "asp", State: "active"}},
		Destinations: []daemon.DestinationStatus{{Name: "lemf-1", HI: "hi2", Connected: true, Queued: 3}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(st)
	}))
	defer srv.Close()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"status", "--addr", strings.TrimPrefix(srv.URL, "http://")})
	defer root.SetArgs(nil)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"node n1", "2 warrants", "stp-a", "active", "lemf-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
	root.SetArgs([]string{"status", "--addr", ""}) // flag values persist between Execute calls
	if err := root.Execute(); err == nil {
		t.Error("status without --addr or -c succeeded")
	}
}
