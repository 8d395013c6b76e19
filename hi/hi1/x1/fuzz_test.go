package x1

import (
	"testing"
	"time"
)

// FuzzX1Parse feeds arbitrary documents to the X1 request and response
// parsers: they never panic, and a request that parses re-encodes to a
// document that parses again with the same type and identifiers.
func FuzzX1Parse(f *testing.F) {
	req := activateReq(xidA, "LIID-1", t0.Add(time.Hour))
	req.Envelope = Envelope{ADMF: "a", NE: "n", Timestamp: Timestamp(t0), Version: Version, TransactionID: "t"}
	f.Add(EncodeRequest(req))
	f.Add(EncodeRequest(destReq()))
	f.Add(EncodeRequest(&Request{Type: DeactivateTask, XID: xidA}))
	f.Add(EncodeResponse(&Response{Type: "ErrorResponse", RequestMessageType: Ping, ErrorCode: 1000, ErrorDescription: "x"}))
	f.Add(EncodeResponse(&Response{Type: ResponseType(GetTaskDetails), Task: req.Task, Status: &TaskStatus{ProvisioningStatus: "complete"}}))
	f.Add([]byte(`<X1Request xmlns="` + NS + `"><x1RequestMessage></x1RequestMessage></X1Request>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseResponse(b) //nolint:errcheck // must not panic
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		r2, err := ParseRequest(EncodeRequest(r))
		if err != nil {
			t.Fatalf("re-encoded request does not parse: %v", err)
		}
		if r2.Type != r.Type || r2.TransactionID != r.TransactionID {
			t.Fatalf("round trip changed type/transaction: %q/%q → %q/%q", r.Type, r.TransactionID, r2.Type, r2.TransactionID)
		}
		if (r.Task == nil) != (r2.Task == nil) || r.Task != nil && r.Task.XID != r2.Task.XID {
			t.Fatalf("round trip changed the task")
		}
	})
}
