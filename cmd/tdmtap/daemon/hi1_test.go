package daemon

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/x1"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
)

// Provisioned (X1) targets and LIIDs of these tests.
const (
	x1NSN     = "2079460055" // provisioned over X1 (+442079460055)
	x1ExpNSN  = "2079460066" // provisioned with a short validity window
	x1LIID    = "LIID-X1-1"
	x1ExpLIID = "LIID-X1-EXP"
)

// hi1Setup is the intercept plane side of a test: keys, certificates and
// an X1 client signing as an li-admin key.
type hi1Setup struct {
	dir       string
	auditPath string
	nodePub   ed25519.PublicKey
	clientTLS func(serverDER []byte) *http.Client
	serverDER []byte
	key       ed25519.PrivateKey
	did       string
}

func writeCert(t *testing.T, dir, name string) (certPath, keyPath string, der []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	mustWrite(t, certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	mustWrite(t, keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
	return certPath, keyPath, der
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func genSignKey(t *testing.T, dir, name string) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	priv, pub, err := sign.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, name+".key"), priv)
	mustWrite(t, filepath.Join(dir, name+".pub"), pub)
	k, err := sign.ParsePrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sign.ParsePublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k, p
}

// withHI1 appends an hi1 section (store, audit file, node key, X1 on a
// free port with the test client's certificate on the allowlist) to the
// test's configuration.
func withHI1(t *testing.T, ts *testSetup) *hi1Setup {
	t.Helper()
	dir := filepath.Join(ts.dir, "hi1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	h := &hi1Setup{dir: dir, auditPath: filepath.Join(dir, "audit.jsonl")}
	_, h.nodePub = genSignKey(t, dir, "node")
	h.key, _ = genSignKey(t, dir, "alice")
	mustWrite(t, filepath.Join(dir, "keyring.yaml"), []byte("keys:\n  - {id: alice, roles: [li-admin], public_key_file: alice.pub}\n"))
	sc, sk, sder := writeCert(t, dir, "x1-server")
	cc, ck, cder := writeCert(t, dir, "x1-client")
	h.serverDER = sder
	h.clientTLS = func(serverDER []byte) *http.Client {
		tc, err := x1.ClientTLS(cc, ck, "", x1.Fingerprint(serverDER), "")
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Timeout: testDeadline, Transport: &http.Transport{TLSClientConfig: tc}}
	}
	sec := fmt.Sprintf(`hi1:
  store: hi1/hi1.db
  audit_file: hi1/audit.jsonl
  node_key: hi1/node.key
  audit_checkpoint_every: 20
  x1:
    listen: 127.0.0.1:0
    cert: %s
    key: %s
    allow: ["%s"]
    keyring: hi1/keyring.yaml
    admf_identifier: admf-test
`, sc, sk, x1.Fingerprint(cder))
	f, err := os.OpenFile(ts.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(sec); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *hi1Setup) client(t *testing.T, d *Daemon) *x1.Client {
	t.Helper()
	a := d.X1Addr()
	if a == nil {
		t.Fatal("no X1 listener")
	}
	return &x1.Client{URL: "https://" + a.String() + x1.DefaultPath, KeyID: "alice", Key: h.key, ADMF: "admf-test", NE: "test-node",
		HTTP: h.clientTLS(h.serverDER)}
}

// provision creates the LEMF destination (once) and activates a task for
// target nsn under liid until end.
func (h *hi1Setup) provision(t *testing.T, d *Daemon, liid, nsn string, end time.Time) {
	t.Helper()
	c := h.client(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if h.did == "" {
		h.did = x1.NewUUID()
		r, err := c.Do(ctx, &x1.Request{Type: x1.CreateDestination, Destination: &x1.DestinationDetails{DID: h.did, FriendlyName: "lemf-1", DeliveryType: x1.X2andX3}})
		if err != nil || r.Err() != nil {
			t.Fatalf("CreateDestination: %v %v", err, r.Err())
		}
	}
	r, err := c.Do(ctx, &x1.Request{Type: x1.ActivateTask, Task: &x1.TaskDetails{XID: x1.NewUUID(), Targets: []x1.Target{{E164: "44" + nsn}},
		DeliveryType: x1.X2andX3, DIDs: []string{h.did}, Mediation: []x1.Mediation{{LIID: liid, End: end.UTC().Format(time.RFC3339)}}}})
	if err != nil || r.Err() != nil {
		t.Fatalf("ActivateTask: %v %v", err, r.Err())
	}
}

// verifyAudit checks the audit file's chain and signatures; it returns the
// file's text.
func (h *hi1Setup) verifyAudit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(h.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(bytes.NewReader(b), h.nodePub)
	if err != nil || !rep.OK() {
		t.Fatalf("audit verify: %+v %v", rep, err)
	}
	return string(b)
}

// waitLinkUp waits until the daemon's link and the switch's SGP are active.
func waitLinkUp(t *testing.T, ts *testSetup, d *Daemon) {
	t.Helper()
	waitFor(t, "link active", func() bool {
		st := d.Status()
		return len(st.Links) == 1 && st.Links[0].State == m3ua.StateActive.String()
	})
	ts.sw.waitActive(t)
}

// nextOf returns the next IRI record of liid (and cin, unless 0), skipping
// records of other intercepts (a restarted daemon replays its spool) and
// repeats (sequence numbers at or below the last one seen for the same CIN:
// a resync after a restart may repeat them).
func nextOf(t *testing.T, l *lemf, liid string, cin uint32, last map[string]int64) iriRec {
	t.Helper()
	for {
		r := l.next(t, liid)
		if r.LIID != liid || cin != 0 && r.CIN != cin {
			continue
		}
		k := fmt.Sprint(r.LIID, "/", r.CIN)
		prev, ok := last[k]
		if ok && int64(r.Seq) <= prev {
			continue
		}
		if ok && int64(r.Seq) != prev+1 {
			t.Fatalf("%s CIN %d: sequence gap: %d after %d", liid, r.CIN, r.Seq, prev)
		}
		last[k] = int64(r.Seq)
		return r
	}
}

// TestHI1ProvisionRestartResumeExpire: a warrant provisioned over X1 (the
// CLI's client code, signed) intercepts a call; an intercept in progress
// when the daemon crashes continues after the restart on the call's next
// message with the same LIID and CIN and no sequence gap; the provisioned
// warrant survives the restart; a warrant's end time stops a live
// intercept by itself; the audit file verifies and records intercept
// start/end, LEMF connects and expiry, never a target number.
func TestHI1ProvisionRestartResumeExpire(t *testing.T) {
	ts := setup(t)
	h := withHI1(t, ts)
	d := start(t, ts)
	waitLinkUp(t, ts, d)
	last := map[string]int64{}

	h.provision(t, d, x1LIID, x1NSN, time.Now().Add(time.Hour))
	ts.sw.call(t, 6, x1NSN, callerNSN)
	if types := ts.lemf.expectCall(t, x1LIID); len(types) < 3 {
		t.Errorf("provisioned call IRI %v", types)
	}

	// A call in progress (IAM, ACM), then a crash.
	ts.sw.iam(t, 8, callerNSN, x1NSN) // the target calls out
	ts.sw.msg(t, false, isup.ACM, 8)
	begin := nextOf(t, ts.lemf, x1LIID, 0, last)
	cont := nextOf(t, ts.lemf, x1LIID, 0, last)
	if begin.Type != hi2.Begin || cont.Type != hi2.Continue || cont.CIN != begin.CIN {
		t.Fatalf("before the crash: %+v %+v", begin, cont)
	}
	waitFor(t, "session recorded", func() bool {
		ss, err := d.Plane().Store.Sessions()
		return err == nil && len(ss) == 1 && ss[0].IRISeq == 2
	})
	d.ic.crash.Store(true)
	stop(t, d)

	d2 := start(t, ts)
	defer stop(t, d2)
	waitLinkUp(t, ts, d2)
	if !d2.Warrants().Load().IsTarget(time.Now(), warrant.RoleCalled, isup.NAIInternational, []byte("44"+x1NSN)) || d2.Warrants().Load().Len() != 2 {
		t.Errorf("provisioned warrant not back after the restart: %d warrants", d2.Warrants().Load().Len())
	}
	ts.sw.msg(t, false, isup.ANM, 8)
	ts.sw.msg(t, true, isup.REL, 8)
	ts.sw.msg(t, false, isup.RLC, 8)
	r := nextOf(t, ts.lemf, x1LIID, begin.CIN, last)
	if r.Type != hi2.Continue || r.CIN != begin.CIN {
		t.Fatalf("after the restart: %+v, want CONTINUE on CIN %d", r, begin.CIN)
	}
	for r.Type != hi2.End {
		r = nextOf(t, ts.lemf, x1LIID, begin.CIN, last)
	}
	if s := d2.Bridge().Stats(); s.Resumed != 1 {
		t.Errorf("bridge stats after the resume %+v", s)
	}

	// The provisioned warrant still intercepts new calls.
	ts.sw.call(t, 9, x1NSN, callerNSN)
	if types := ts.lemf.expectCall(t, x1LIID); len(types) < 3 {
		t.Errorf("call after the restart: IRI %v", types)
	}

	// Expiry: a warrant ending in a few seconds stops its live intercept.
	end := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	h.provision(t, d2, x1ExpLIID, x1ExpNSN, end)
	ts.sw.iam(t, 10, x1ExpNSN, callerNSN)
	ts.sw.msg(t, false, isup.ACM, 10)
	ts.sw.msg(t, false, isup.ANM, 10)
	var types []hi2.IRIType
	for {
		r := nextOf(t, ts.lemf, x1ExpLIID, 0, last)
		types = append(types, r.Type)
		if r.Type == hi2.End {
			break
		}
	}
	if time.Now().Before(end) {
		t.Errorf("IRI-END before the warrant's end")
	}
	if len(types) < 3 || types[0] != hi2.Begin {
		t.Errorf("expiring intercept IRI %v", types)
	}
	waitFor(t, "expired warrant left the active set", func() bool { return d2.Warrants().Load().Len() == 2 })
	ts.sw.msg(t, true, isup.REL, 10)
	ts.sw.msg(t, false, isup.RLC, 10)
	stop(t, d2)

	text := h.verifyAudit(t)
	for _, want := range []string{`"kind":"intercept.start"`, `"kind":"intercept.end"`, `"kind":"intercept.resume"`,
		`"kind":"lemf.connect"`, `"kind":"warrant.activated"`, `"kind":"warrant.expired"`, `"reason":"warrant-expired"`,
		`"liid":"` + x1LIID + `"`, `"kind":"audit.unclean"`} {
		if !strings.Contains(text, want) {
			t.Errorf("audit file lacks %s", want)
		}
	}
	for _, n := range []string{x1NSN, x1ExpNSN, targetNSN, callerNSN} {
		if strings.Contains(text, n) {
			t.Errorf("audit file contains target/party number %s", n)
		}
	}
	logs := ts.log.String()
	for _, n := range []string{x1NSN, x1ExpNSN, callerNSN, x1LIID, x1ExpLIID} {
		if strings.Contains(logs, n) {
			t.Errorf("the log contains %q", n)
		}
	}
}

// TestHI1Separation: a daemon with the plane, a static and a provisioned
// warrant, target calls among non-target calls: no log line, no metric
// and no status output (the JSON `tdmtap status --json` prints, and the
// /status body) carries a target number, a party number or an LIID.
func TestHI1Separation(t *testing.T) {
	ts := setup(t)
	h := withHI1(t, ts)
	d := start(t, ts)
	waitLinkUp(t, ts, d)
	h.provision(t, d, x1LIID, x1NSN, time.Now().Add(time.Hour))
	// A reload replaces the configuration's warrants and keeps the
	// provisioned one.
	res, err := d.Reload(context.Background())
	if err != nil || res.WarrantsBefore != 2 || res.WarrantsAfter != 2 || len(res.NeedRestart) != 0 ||
		!d.Warrants().Load().IsTarget(time.Now(), warrant.RoleCalled, isup.NAIInternational, []byte("44"+x1NSN)) {
		t.Fatalf("reload: %+v %v", res, err)
	}

	ts.sw.call(t, 3, otherNSN, callerNSN)
	ts.sw.call(t, 4, targetNSN, callerNSN)
	ts.lemf.expectCall(t, "LIID-TEST-1")
	ts.sw.call(t, 5, callerNSN, otherNSN)
	ts.sw.call(t, 6, callerNSN, x1NSN)
	ts.lemf.expectCall(t, x1LIID)
	ts.sw.call(t, 7, otherNSN, callerNSN)
	ts.sw.call(t, 31, targetNSN, otherNSN) // a circuit the bearer tap does not cover (CICs 1-30)
	ts.lemf.expectCall(t, "LIID-TEST-1")
	ts.sw.iam(t, 11, x1NSN, otherNSN) // left up at the stop
	ts.sw.msg(t, false, isup.ACM, 11)
	waitFor(t, "all calls seen", func() bool { return d.Tracker().Stats().Calls == 7 })

	_, metrics := httpGet(t, "http://"+d.MetricsAddr()+"/metrics")
	_, statusBody := httpGet(t, "http://"+d.MetricsAddr()+"/status")
	st, err := FetchStatus(context.Background(), d.MetricsAddr())
	if err != nil {
		t.Fatal(err)
	}
	statusJSON, _ := json.MarshalIndent(st, "", "  ")
	var text bytes.Buffer
	_ = st.WriteText(&text)
	if st.Warrants != 2 || st.Intercepts.Started != 4 {
		t.Errorf("status %+v", st)
	}
	stop(t, d)

	secrets := []string{targetNSN, x1NSN, otherNSN, callerNSN, "LIID-TEST-1", x1LIID, "LIID-"}
	check := func(what, s string) {
		if len(s) == 0 {
			t.Errorf("%s: empty", what)
		}
		for _, line := range strings.Split(s, "\n") {
			for _, n := range secrets {
				if strings.Contains(line, n) {
					t.Errorf("%s: %q in: %s", what, n, line)
				}
			}
		}
	}
	check("log", ts.log.String())
	// No log line about an intercept names the intercepted call's circuit:
	// a circuit and a time find the target in the switch's call records.
	pcs := fmt.Sprintf("%d/%d", ts.sw.pcA, ts.sw.pcB)
	pcsRev := fmt.Sprintf("%d/%d", ts.sw.pcB, ts.sw.pcA)
	sawNoBearer := false
	for _, line := range strings.Split(ts.log.String(), "\n") {
		if !strings.Contains(line, "intercept") && !strings.Contains(line, `"cin"`) {
			continue
		}
		sawNoBearer = sawNoBearer || strings.Contains(line, "not on the bearer tap")
		for _, s := range []string{`"cic"`, `"circuit"`, `"pcs"`, `"opc"`, `"dpc"`, "cic=", "pcs=", pcs, pcsRev} {
			if strings.Contains(line, s) {
				t.Errorf("log: a line about an intercept names its circuit (%q): %s", s, line)
			}
		}
	}
	if !sawNoBearer {
		t.Errorf("log: no warning for the intercept on a circuit off the bearer tap")
	}
	check("metrics", metrics)
	check("/status", statusBody)
	check("status --json", string(statusJSON))
	check("status text", text.String())
	// The audit chain has what the ordinary views leave out.
	if a := h.verifyAudit(t); !strings.Contains(a, x1LIID) || !strings.Contains(a, "LIID-TEST-1") {
		t.Errorf("the audit file lacks the LIIDs")
	}
}
