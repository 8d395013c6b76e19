package hi1

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/x1"
)

func certFiles(t *testing.T, dir, name string) (string, string, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	c, k := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".pem")
	os.WriteFile(c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	return c, k, der
}

func genKey(t *testing.T, dir, name string) {
	t.Helper()
	priv, pub, err := sign.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".key"), priv, 0o600)
	os.WriteFile(filepath.Join(dir, name+".pub"), pub, 0o644)
}

// TestPlaneRestartKeepsWarrants provisions a warrant over X1 through a real
// listener, stops the plane, and opens it again: the warrant is back in the
// bridge's warrant store before anything else happens, and the audit file
// spans both runs and verifies clean.
func TestPlaneRestartKeepsWarrants(t *testing.T) {
	dir := t.TempDir()
	genKey(t, dir, "node")
	genKey(t, dir, "alice")
	os.WriteFile(filepath.Join(dir, "keyring.yaml"), []byte("keys:\n  - {id: alice, roles: [li-admin], public_key_file: alice.pub}\n"), 0o644)
	sc, sk, sder := certFiles(t, dir, "server")
	cc, ck, cder := certFiles(t, dir, "client")
	cfg := Config{StoreFile: filepath.Join(dir, "hi1.db"), AuditFile: filepath.Join(dir, "audit.jsonl"), NodeKey: filepath.Join(dir, "node.key"),
		X1: X1Config{Listen: "127.0.0.1:0", Cert: sc, Key: sk, Allow: []string{x1.Fingerprint(cder)}, Keyring: filepath.Join(dir, "keyring.yaml"), NE: "node-1"}}
	plan := warrant.NumberPlan{CountryCode: "44", NationalPrefix: "0"}
	static := []warrant.Warrant{{LIID: "CFG-1", Targets: []warrant.Target{{Number: "+442079460009"}}, Start: time.Now().Add(-time.Hour), End: time.Now().Add(time.Hour), Delivery: warrant.IRIOnly}}
	lemf := func(n string) bool { return n == "lemf1" }

	ws := &warrant.Store{}
	pl, err := Open(cfg, Deps{Warrants: ws, Plan: plan, Static: static, LEMF: lemf, NodeName: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ws.Load().Len() != 1 {
		t.Fatalf("static warrants not installed: %d", ws.Load().Len())
	}
	tc, err := x1.ClientTLS(cc, ck, "", x1.Fingerprint(sder), "")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := sign.LoadPrivateKey(filepath.Join(dir, "alice.key"))
	c := &x1.Client{URL: "https://" + pl.Addr().String() + x1.DefaultPath, KeyID: "alice", Key: key, ADMF: "admf", NE: "node-1",
		HTTP: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}}
	did, xid := x1.NewUUID(), x1.NewUUID()
	r, err := c.Do(t.Context(), &x1.Request{Type: x1.CreateDestination, Destination: &x1.DestinationDetails{DID: did, FriendlyName: "lemf1", DeliveryType: x1.X2andX3}})
	if err != nil || r.Err() != nil {
		t.Fatalf("create destination: %v %v", err, r)
	}
	r, err = c.Do(t.Context(), &x1.Request{Type: x1.ActivateTask, Task: &x1.TaskDetails{XID: xid, Targets: []x1.Target{{E164: "442079460001"}},
		DeliveryType: x1.X2andX3, DIDs: []string{did}, Mediation: []x1.Mediation{{LIID: "LIID-R", End: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}}})
	if err != nil || r.Err() != nil {
		t.Fatalf("activate: %v %v", err, r.Err())
	}
	if ws.Load().Len() != 2 || !ws.Load().IsTarget(time.Now(), warrant.RoleCalled, 4, []byte("442079460001")) {
		t.Fatal("provisioned warrant not installed")
	}
	if err := pl.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Restart: a fresh warrant store gets the provisioned warrant back.
	ws2 := &warrant.Store{}
	pl2, err := Open(cfg, Deps{Warrants: ws2, Plan: plan, Static: static, LEMF: lemf, NodeName: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	if ws2.Load().Len() != 2 || !ws2.Load().IsTarget(time.Now(), warrant.RoleCalled, 4, []byte("442079460001")) {
		t.Fatalf("restart lost the provisioned warrant: %d", ws2.Load().Len())
	}
	if err := pl2.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	pub, _ := sign.LoadPublicKey(filepath.Join(dir, "node.pub"))
	f, _ := os.Open(cfg.AuditFile)
	defer f.Close()
	rep, err := audit.Verify(f, pub)
	if err != nil || !rep.OK() || len(rep.Warnings) != 0 {
		t.Fatalf("audit after two runs: %+v %v", rep, err)
	}
}

// recordingTransport keeps the last request's headers and body so a test
// can send the very same signed command again.
type recordingTransport struct {
	rt     http.RoundTripper
	header http.Header
	body   []byte
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.header, r.body = req.Header.Clone(), b
	req.Body = io.NopCloser(bytes.NewReader(b))
	return r.rt.RoundTrip(req)
}

// TestPlaneReplayRefusedAcrossWideWindow configures a signature window
// longer than the store's default nonce lifetime and replays a signed
// command after the default lifetime but inside the window: the nonce must
// still be remembered, so the replay is refused.
func TestPlaneReplayRefusedAcrossWideWindow(t *testing.T) {
	dir := t.TempDir()
	genKey(t, dir, "node")
	genKey(t, dir, "alice")
	os.WriteFile(filepath.Join(dir, "keyring.yaml"), []byte("keys:\n  - {id: alice, roles: [li-admin], public_key_file: alice.pub}\n"), 0o644)
	sc, sk, sder := certFiles(t, dir, "server")
	cc, ck, cder := certFiles(t, dir, "client")
	const window = 30 * time.Minute
	cfg := Config{StoreFile: filepath.Join(dir, "hi1.db"), AuditFile: filepath.Join(dir, "audit.jsonl"), NodeKey: filepath.Join(dir, "node.key"),
		X1: X1Config{Listen: "127.0.0.1:0", Cert: sc, Key: sk, Allow: []string{x1.Fingerprint(cder)}, Keyring: filepath.Join(dir, "keyring.yaml"),
			NE: "node-1", SignatureWindow: window}}
	t0 := time.Now()
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	pl, err := Open(cfg, Deps{Warrants: &warrant.Store{}, NodeName: "node-1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer pl.Stop(t.Context())
	tc, err := x1.ClientTLS(cc, ck, "", x1.Fingerprint(sder), "")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingTransport{rt: &http.Transport{TLSClientConfig: tc}}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: rec}
	key, _ := sign.LoadPrivateKey(filepath.Join(dir, "alice.key"))
	url := "https://" + pl.Addr().String() + x1.DefaultPath
	c := &x1.Client{URL: url, KeyID: "alice", Key: key, ADMF: "admf", NE: "node-1", HTTP: hc, Now: now}
	r, err := c.Do(t.Context(), &x1.Request{Type: x1.ListAllDetails})
	if err != nil || r.Err() != nil {
		t.Fatalf("signed request refused: %v %v", err, r)
	}

	// 20 minutes on: past the store's default nonce lifetime, inside the
	// configured window. Forget what may be forgotten, then replay.
	clock.Store(t0.Add(20 * time.Minute).UnixNano())
	if err := pl.Store.Tick(now()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(rec.body))
	req.Header = rec.header
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	rr, err := x1.ParseResponse(b)
	if err != nil {
		t.Fatalf("response: %v\n%s", err, b)
	}
	if rr.Err() == nil || !strings.Contains(rr.Err().Error(), string(sign.Replayed)) {
		t.Fatalf("replay inside the signature window: %v, want refused as replayed", rr.Err())
	}
}
