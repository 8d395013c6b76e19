//go:build linux && !386

package sigtran

import (
	"reflect"
	"testing"

	"github.com/ishidawataru/sctp"
)

// The kernel-SCTP code reads the socket of the pinned library's SCTPConn and
// SCTPListener through their first, unexported fields (the library exposes no
// accessor, and its own read ignores MSG_EOR and its accept cannot be
// cancelled). This test fails if an upgrade changes that layout.
func TestSCTPLibraryLayout(t *testing.T) {
	c := sctp.NewSCTPConn(1234, nil)
	if got := connFD(c); got != 1234 {
		t.Fatalf("connFD = %d, want 1234: SCTPConn layout changed", got)
	}
	lt := reflect.TypeOf(sctp.SCTPListener{})
	if f := lt.Field(0); f.Name != "fd" || f.Type.Kind() != reflect.Int || f.Offset != 0 {
		t.Fatalf("SCTPListener first field = %s %s at %d, want fd int at 0", f.Name, f.Type, f.Offset)
	}
}
