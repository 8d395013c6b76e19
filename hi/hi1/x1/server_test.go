package x1

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
)

func TestUnlistedClientCertificateRefused(t *testing.T) {
	h := newHarness(t, false, nil)
	c := h.client("alice")
	c.HTTP = h.httpClient(h.bad, 0)
	if _, err := c.Do(t.Context(), &Request{Type: Ping}); err == nil {
		t.Fatal("unlisted certificate got in")
	}
	fp := Fingerprint(h.bad.Certificate[0])
	if len(h.aud.find("x1.refused", map[string]string{"fprint": fp})) == 0 {
		t.Fatalf("refusal not audited: %+v", h.aud.recs)
	}
	// No certificate at all.
	c.HTTP = h.httpClient(tls.Certificate{}, 0)
	if _, err := c.Do(t.Context(), &Request{Type: Ping}); err == nil {
		t.Fatal("client without certificate got in")
	}
	// TLS 1.2 is refused even with a listed certificate.
	c.HTTP = h.httpClient(h.good, tls.VersionTLS12)
	if _, err := c.Do(t.Context(), &Request{Type: Ping}); err == nil {
		t.Fatal("TLS 1.2 accepted")
	}
	// The listed certificate gets in.
	if r := h.do(h.client(""), &Request{Type: Ping}); r.Err() != nil || r.OK != OKCompleted {
		t.Fatalf("ping: %+v", r)
	}
}

func TestHandlerRefusesWithoutTLSPeer(t *testing.T) {
	h := newHarness(t, false, nil)
	rec := &responseRecorder{h: http.Header{}}
	req, _ := http.NewRequest(http.MethodPost, DefaultPath, strings.NewReader("<x/>"))
	h.srv.ServeHTTP(rec, req)
	if rec.code != http.StatusForbidden {
		t.Fatalf("status %d, want 403", rec.code)
	}
}

type responseRecorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *responseRecorder) Header() http.Header         { return r.h }
func (r *responseRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *responseRecorder) WriteHeader(c int)           { r.code = c }

func TestLifecycleAuditedWithoutNumbers(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(nil)
	aud, err := audit.Open(filepath.Join(dir, "audit.jsonl"), audit.Options{Key: priv, NoSync: true, Every: 5})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, false, aud)
	alice, vic := h.client("alice"), h.client("vic")

	if r := h.do(alice, destReq()); r.Err() != nil {
		t.Fatalf("create destination: %v", r.Err())
	}
	if r := h.do(alice, destReq()); r.ErrorCode != ErrDIDExists {
		t.Fatalf("duplicate destination: %+v", r)
	}
	end := t0.Add(24 * time.Hour)
	if r := h.do(alice, activateReq(xidA, "LIID-UK-1", end)); r.Err() != nil || r.OK != OKCompleted {
		t.Fatalf("activate: %+v", r)
	}
	ws := h.active()
	if len(ws) != 1 || ws[0].LIID != "LIID-UK-1" || ws[0].Roles != warrant.RoleCalling|warrant.RoleCalled ||
		ws[0].Delivery != warrant.IRIAndCC || ws[0].Destinations[0] != "lemf1" || !ws[0].End.Equal(end) {
		t.Fatalf("active set: %+v", ws)
	}
	if r := h.do(alice, activateReq(xidA, "LIID-UK-1", end)); r.ErrorCode != ErrXIDExists {
		t.Fatalf("duplicate activate: %+v", r)
	}
	// Reads need a viewer (or admin) signature.
	r := h.do(vic, &Request{Type: GetTaskDetails, XID: xidA})
	if r.Err() != nil || r.Task == nil || r.Task.Targets[0].E164 != "442079460001" || r.Status.ProvisioningStatus != StatusComplete ||
		r.Task.Mediation[0].LIID != "LIID-UK-1" || r.Task.NumberRoles != "calling called" {
		t.Fatalf("get task: %+v %+v", r, r.Task)
	}
	if r := h.do(vic, &Request{Type: ListAllDetails}); r.Err() != nil || len(r.XIDs) != 1 || r.XIDs[0] != xidA || len(r.DIDs) != 1 {
		t.Fatalf("list: %+v", r)
	}
	if r := h.do(h.client(""), &Request{Type: GetTaskDetails, XID: xidA}); r.Err() == nil {
		t.Fatal("unsigned read accepted")
	}
	// Modify: IRI only.
	mod := activateReq(xidA, "LIID-UK-1", end)
	mod.Type = ModifyTask
	mod.Task.DeliveryType = X2Only
	if r := h.do(alice, mod); r.Err() != nil {
		t.Fatalf("modify: %v", r.Err())
	}
	if ws := h.active(); len(ws) != 1 || ws[0].Delivery != warrant.IRIOnly {
		t.Fatalf("modify not applied: %+v", ws)
	}
	if r := h.do(alice, &Request{Type: RemoveDestination, DID: didA}); r.ErrorCode != ErrDestinationInUse {
		t.Fatalf("remove in-use destination: %+v", r)
	}
	if r := h.do(alice, &Request{Type: DeactivateTask, XID: xidA}); r.Err() != nil {
		t.Fatalf("deactivate: %v", r.Err())
	}
	if ws := h.active(); len(ws) != 0 {
		t.Fatalf("deactivated warrant still active: %+v", ws)
	}
	if r := h.do(alice, &Request{Type: DeactivateTask, XID: xidA}); r.ErrorCode != ErrXIDNotFound {
		t.Fatalf("second deactivate: %+v", r)
	}
	if r := h.do(alice, &Request{Type: RemoveDestination, DID: didA}); r.Err() != nil {
		t.Fatalf("remove destination: %v", r.Err())
	}
	if err := aud.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	rep, err := audit.Verify(bytes.NewReader(b), pub)
	if err != nil || !rep.OK() {
		t.Fatalf("audit file does not verify: %+v %v", rep, err)
	}
	for _, k := range []string{"destination.created", "warrant.activated", "warrant.modified", "warrant.deactivated", "destination.removed", `"result":"refused"`, `"key":"vic"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("audit file lacks %s", k)
		}
	}
	if bytes.Contains(b, []byte("2079460001")) {
		t.Fatal("audit file carries a target number")
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "X1 request") || strings.Contains(logs, "2079460001") || strings.Contains(logs, "LIID-UK-1") {
		t.Fatalf("ordinary logs carry a target number or LIID (or nothing at all):\n%s", logs)
	}
}

func TestSignatureRefusalsAudited(t *testing.T) {
	h := newHarness(t, false, nil)
	if r := h.do(h.client("alice"), destReq()); r.Err() != nil {
		t.Fatal(r.Err())
	}
	end := t0.Add(time.Hour)
	cases := []struct {
		name   string
		client func() *Client
		reason sign.Reason
	}{
		{"unsigned", func() *Client { return h.client("") }, sign.Unsigned},
		{"wrong key", func() *Client { c := h.client("alice"); c.Key = h.keys["bob"].priv; return c }, sign.BadSignature},
		{"unknown key", func() *Client { return h.client("mallory") }, sign.UnknownKey},
		{"stale", func() *Client {
			c := h.client("alice")
			c.Now = func() time.Time { return t0.Add(-6 * time.Minute) }
			return c
		}, sign.Stale},
		{"future", func() *Client {
			c := h.client("alice")
			c.Now = func() time.Time { return t0.Add(6 * time.Minute) }
			return c
		}, sign.Stale},
		{"wrong role", func() *Client { return h.client("vic") }, sign.WrongRole},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.client(), activateReq(xidA, "LIID-1", end))
			if r.ErrorCode != ErrGeneric || !strings.Contains(r.ErrorDescription, "("+string(tc.reason)+")") {
				t.Fatalf("got %d %q, want refusal %s", r.ErrorCode, r.ErrorDescription, tc.reason)
			}
			if len(h.active()) != 0 {
				t.Fatal("refused command took effect")
			}
			if len(h.aud.find("x1.request", map[string]string{"type": ActivateTask, "result": "refused", "reason": r.ErrorDescription})) == 0 {
				t.Fatal("refusal not audited")
			}
		})
	}
}

func TestReplayRefused(t *testing.T) {
	h := newHarness(t, false, nil)
	h.do(h.client("alice"), destReq())
	body := EncodeRequest(&Request{Type: ActivateTask, Envelope: Envelope{ADMF: "admf-1", NE: "tdmtap-1", Timestamp: Timestamp(t0), Version: Version, TransactionID: NewUUID()},
		Task: activateReq(xidA, "LIID-1", t0.Add(time.Hour)).Task})
	hr, _ := http.NewRequest(http.MethodPost, h.ts.URL+DefaultPath, nil)
	sign.SignRequest(hr, body, "alice", h.keys["alice"].priv, t0)
	hc := h.httpClient(h.good, 0)
	send := func() *Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.ts.URL+DefaultPath, bytes.NewReader(body))
		req.Header = hr.Header.Clone()
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		r, err := ParseResponse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := send(); r.Err() != nil {
		t.Fatalf("first send: %v", r.Err())
	}
	h.do(h.client("alice"), &Request{Type: DeactivateTask, XID: xidA})
	r := send()
	if r.ErrorCode != ErrGeneric || !strings.Contains(r.ErrorDescription, "(replayed)") {
		t.Fatalf("replay: %+v", r)
	}
	// (The nonce table's durability across restarts is tested in store.)
	if len(h.aud.find("x1.request", map[string]string{"result": "refused", "key": "alice"})) == 0 {
		t.Fatal("replay not audited")
	}
}

func TestTwoPersonRule(t *testing.T) {
	h := newHarness(t, true, nil)
	alice, bob := h.client("alice"), h.client("bob")
	h.do(alice, destReq())
	end := t0.Add(24 * time.Hour)
	r := h.do(alice, activateReq(xidA, "LIID-2P", end))
	if r.Err() != nil || r.OK != OKAcknowledged {
		t.Fatalf("first signature: %+v", r)
	}
	if len(h.active()) != 0 {
		t.Fatal("one signature activated the warrant")
	}
	if r := h.do(h.client("vic"), &Request{Type: GetTaskDetails, XID: xidA}); r.Status == nil || r.Status.ProvisioningStatus != StatusAwaitingApproval {
		t.Fatalf("pending status: %+v", r)
	}
	// The same key again does not count as a second person.
	if r := h.do(alice, activateReq(xidA, "LIID-2P", end)); r.Err() == nil || !strings.Contains(r.ErrorDescription, "different li-admin key") {
		t.Fatalf("same key twice: %+v", r)
	}
	// A second signer must sign the same details.
	if r := h.do(bob, activateReq(xidA, "LIID-OTHER", end)); r.Err() == nil {
		t.Fatalf("different details approved: %+v", r)
	}
	// A viewer cannot approve.
	if r := h.do(h.client("vic"), activateReq(xidA, "LIID-2P", end)); r.Err() == nil {
		t.Fatal("viewer approved")
	}
	if len(h.active()) != 0 {
		t.Fatal("activated without a valid second signature")
	}
	if r := h.do(bob, activateReq(xidA, "LIID-2P", end)); r.Err() != nil || r.OK != OKCompleted {
		t.Fatalf("second signature: %+v", r)
	}
	if ws := h.active(); len(ws) != 1 || ws[0].LIID != "LIID-2P" {
		t.Fatalf("not active after approval: %+v", ws)
	}
	if len(h.aud.find("warrant.activated", map[string]string{"signed_by": "alice,bob", "liid": "LIID-2P"})) != 1 {
		t.Fatalf("activation audit: %+v", h.aud.recs)
	}
	if len(h.aud.find("warrant.pending", map[string]string{"signed_by": "alice"})) != 1 {
		t.Fatal("pending not audited")
	}
	// Modify also needs two.
	mod := activateReq(xidA, "LIID-2P", end)
	mod.Type = ModifyTask
	mod.Task.Targets = append(mod.Task.Targets, Target{E164: "442079460002"})
	if r := h.do(bob, mod); r.OK != OKAcknowledged {
		t.Fatalf("modify first signature: %+v", r)
	}
	if ws := h.active(); len(ws[0].Targets) != 1 {
		t.Fatal("modify took effect on one signature")
	}
	if r := h.do(alice, mod); r.Err() != nil || r.OK != OKCompleted {
		t.Fatalf("modify second signature: %+v", r)
	}
	if ws := h.active(); len(ws[0].Targets) != 2 {
		t.Fatalf("modify not applied: %+v", ws)
	}
	// Deactivation needs one.
	if r := h.do(alice, &Request{Type: DeactivateTask, XID: xidA}); r.Err() != nil || len(h.active()) != 0 {
		t.Fatalf("deactivate: %+v", r)
	}
}

func TestValidation(t *testing.T) {
	h := newHarness(t, false, nil)
	alice := h.client("alice")
	h.do(alice, destReq())
	end := t0.Add(time.Hour)
	mut := []struct {
		name string
		f    func(r *Request)
		code int
	}{
		{"bad xId", func(r *Request) { r.Task.XID = "not-a-uuid" }, ErrSyntax},
		{"unknown dId", func(r *Request) { r.Task.DIDs = []string{"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"} }, ErrDIDNotFound},
		{"X3Only", func(r *Request) { r.Task.DeliveryType = X3Only }, ErrInvalidDeliveryAndDestination},
		{"other target type", func(r *Request) { r.Task.Targets = []Target{{E164: ""}} }, ErrUnsupportedTarget},
		{"no LIID", func(r *Request) { r.Task.Mediation = nil }, ErrActivateFailure},
		{"no end", func(r *Request) { r.Task.Mediation[0].End = "" }, ErrActivateFailure},
		{"ended", func(r *Request) { r.Task.Mediation[0].End = t0.Add(-time.Minute).Format(time.RFC3339) }, ErrActivateFailure},
		{"bad role", func(r *Request) { r.Task.NumberRoles = "calling bogus" }, ErrActivateFailure},
		{"short number", func(r *Request) { r.Task.Targets[0].E164 = "12" }, ErrActivateFailure},
	}
	for _, m := range mut {
		r := activateReq(xidA, "LIID-V", end)
		m.f(r)
		if resp := h.do(alice, r); resp.ErrorCode != m.code {
			t.Errorf("%s: code %d (%s), want %d", m.name, resp.ErrorCode, resp.ErrorDescription, m.code)
		}
	}
	// Wrong neIdentifier.
	c := h.client("alice")
	c.NE = "someone-else"
	if r := h.do(c, activateReq(xidA, "LIID-V", end)); r.ErrorCode != ErrUnexpectedNE {
		t.Fatalf("wrong NE: %+v", r)
	}
	// Destination for an unconfigured LEMF.
	d := destReq()
	d.Destination.FriendlyName = "nowhere"
	if r := h.do(alice, d); r.ErrorCode != ErrCreateDestinationFailure {
		t.Fatalf("unknown LEMF: %+v", r)
	}
	// Garbage body: top-level error.
	hc := h.httpClient(h.good, 0)
	resp, err := hc.Post(h.ts.URL+DefaultPath, "application/xml", strings.NewReader("<nope"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	tr, err := ParseResponse(buf.Bytes())
	if err != nil || !tr.TopLevelError || tr.ErrorCode != ErrSyntax {
		t.Fatalf("top-level error: %+v %v", tr, err)
	}
	if len(h.active()) != 0 {
		t.Fatal("invalid command took effect")
	}
}

func TestExpiryVisibleOverX1(t *testing.T) {
	h := newHarness(t, false, nil)
	alice := h.client("alice")
	h.do(alice, destReq())
	h.do(alice, activateReq(xidA, "LIID-E", t0.Add(time.Minute)))
	if len(h.active()) != 1 {
		t.Fatal("not active")
	}
	h.clk.Set(t0.Add(time.Minute))
	if err := h.st.Tick(h.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if len(h.active()) != 0 {
		t.Fatal("expired warrant still active")
	}
	if len(h.aud.find("warrant.expired", map[string]string{"liid": "LIID-E"})) != 1 {
		t.Fatal("expiry not audited")
	}
	r := h.do(h.client("vic"), &Request{Type: GetTaskDetails, XID: xidA})
	if r.Status == nil || r.Status.ProvisioningStatus != StatusExpired {
		t.Fatalf("status after expiry: %+v", r)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	req := activateReq(xidA, "LIID-<&>", t0.Add(time.Hour))
	req.Envelope = Envelope{ADMF: "a", NE: "n", Timestamp: Timestamp(t0), Version: Version, TransactionID: "t"}
	b := EncodeRequest(req)
	got, err := ParseRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != ActivateTask || got.Task.XID != xidA || got.Task.Mediation[0].LIID != "LIID-<&>" ||
		got.Task.NumberRoles != "calling called" || got.Task.Targets[0].E164 != "442079460001" || got.TransactionID != "t" {
		t.Fatalf("round trip: %+v %+v", got, got.Task)
	}
	d := destReq()
	got, err = ParseRequest(EncodeRequest(d))
	if err != nil || got.Destination.Address.String() != "192.0.2.10:6000" || got.Destination.FriendlyName != "lemf1" {
		t.Fatalf("destination round trip: %+v %v", got.Destination, err)
	}
	// Prefixed documents (as JAXB writes them) parse too.
	pref := `<ns1:X1Request xmlns:ns1="` + NS + `" xmlns:xsi="` + NSXSI + `"><ns1:x1RequestMessage xsi:type="ns1:PingRequest">` +
		`<ns1:admfIdentifier>a</ns1:admfIdentifier><ns1:neIdentifier>n</ns1:neIdentifier><ns1:messageTimestamp>x</ns1:messageTimestamp>` +
		`<ns1:version>v1.6.1</ns1:version><ns1:x1TransactionId>t</ns1:x1TransactionId></ns1:x1RequestMessage></ns1:X1Request>`
	if got, err := ParseRequest([]byte(pref)); err != nil || got.Type != Ping || got.ADMF != "a" {
		t.Fatalf("prefixed: %+v %v", got, err)
	}
	if _, err := ParseRequest([]byte(`<X1Request xmlns="urn:other"/>`)); err == nil {
		t.Fatal("foreign namespace accepted")
	}
}
