package daemon

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestAuditFailureUnhealthy: once the audit chain fails (here its file is
// closed from under the writer), /healthz fails and the audit metrics say
// so; before, both are healthy.
func TestAuditFailureUnhealthy(t *testing.T) {
	ts := setup(t)
	withHI1(t, ts)
	d := start(t, ts)
	base := "http://" + d.MetricsAddr()
	if code, body := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz before the failure: %d %s", code, body)
	}
	if _, body := httpGet(t, base+"/metrics"); !strings.Contains(body, "tdmtap_audit_healthy 1\n") {
		t.Fatal("tdmtap_audit_healthy 1 not served")
	}
	if err := d.Plane().Audit.Abandon(); err != nil {
		t.Fatal(err)
	}
	d.Plane().Audit.Record("test.event")
	code, body := httpGet(t, base+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "audit") {
		t.Fatalf("/healthz after the audit failure: %d %s", code, body)
	}
	_, body = httpGet(t, base+"/metrics")
	for _, m := range []string{"tdmtap_audit_healthy 0\n", "tdmtap_audit_write_errors_total 1\n", "tdmtap_audit_records_dropped_total 1\n"} {
		if !strings.Contains(body, m) {
			t.Errorf("metrics lack %q", m)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := d.Stop(ctx); err == nil || !strings.Contains(err.Error(), "audit") {
		t.Fatalf("stop after an audit failure: %v", err)
	}
}
