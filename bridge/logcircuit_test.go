package bridge

import (
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// TestNoBearerLogOmitsCircuit: a target call on a circuit the bearer tap
// does not cover is intercepted without content, and the warning says so
// without naming the circuit (the harness checks every line about an
// intercept for CICs and point codes).
func TestNoBearerLogOmitsCircuit(t *testing.T) {
	e := newEnv(t)
	e.send(0, pcA, iam(27, other, tgt1)) // the tap covers CICs 1-15
	e.send(2*time.Second, pcB, msg(isup.ACM, 27))
	e.send(5*time.Second, pcB, msg(isup.ANM, 27))
	e.feed(160)
	e.send(time.Minute, pcA, rel(27, 16))
	e.send(time.Second, pcB, msg(isup.RLC, 27))
	e.wantTypes(e.decoded(), "LIID-ONE", "BEGIN CONTINUE CONTINUE END")
	if e.b.Stats().NoBearer != 1 {
		t.Errorf("stats %+v, want one intercept without bearer", e.b.Stats())
	}
	if !strings.Contains(e.logs.String(), "not on the bearer tap") {
		t.Errorf("no warning for the intercept without content:\n%s", e.logs.String())
	}
}
