package x1

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
)

// selfSigned makes a self-signed ECDSA certificate (test only; generated
// per run, never checked in).
func selfSigned(t testing.TB, cn string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

type recAudit struct {
	mu   sync.Mutex
	recs []auditRec
}

type auditRec struct {
	kind  string
	attrs map[string]string
}

func (a *recAudit) Record(kind string, attrs ...slog.Attr) {
	m := map[string]string{}
	for _, at := range attrs {
		m[at.Key] = at.Value.String()
	}
	a.mu.Lock()
	a.recs = append(a.recs, auditRec{kind, m})
	a.mu.Unlock()
}

func (a *recAudit) find(kind string, match map[string]string) []auditRec {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []auditRec
next:
	for _, r := range a.recs {
		if r.kind != kind {
			continue
		}
		for k, v := range match {
			if r.attrs[k] != v {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type signer struct {
	id   string
	priv ed25519.PrivateKey
}

type harness struct {
	t       *testing.T
	srv     *Server
	ts      *httptest.Server
	st      *store.Store
	aud     *recAudit
	clk     *clock
	active  func() []warrant.Warrant
	good    tls.Certificate // allowlisted client certificate
	bad     tls.Certificate // not on the allowlist
	serverC tls.Certificate
	keys    map[string]signer // alice, bob: li-admin; vic: li-viewer; mallory: unregistered
	dbPath  string
	logs    *syncBuf // everything the server and store logged
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, twoPerson bool, auditor Auditor) *harness {
	t.Helper()
	h := &harness{t: t, aud: &recAudit{}, clk: &clock{t: t0}, keys: map[string]signer{}, logs: &syncBuf{}}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.good = selfSigned(t, "admf-1", false)
	h.bad = selfSigned(t, "intruder", false)
	h.serverC = selfSigned(t, "tdmtap-node", true)
	var reg []sign.Key
	for _, n := range []string{"alice", "bob", "vic", "mallory"} {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		h.keys[n] = signer{n, priv}
		switch n {
		case "alice", "bob":
			reg = append(reg, sign.Key{ID: n, Roles: []sign.Role{sign.RoleAdmin}, Public: pub})
		case "vic":
			reg = append(reg, sign.Key{ID: n, Roles: []sign.Role{sign.RoleViewer}, Public: pub})
		}
	}
	kr, err := sign.NewKeyring(reg...)
	if err != nil {
		t.Fatal(err)
	}
	if auditor == nil {
		auditor = h.aud
	}
	var mu sync.Mutex
	var active []warrant.Warrant
	h.active = func() []warrant.Warrant { mu.Lock(); defer mu.Unlock(); return active }
	h.dbPath = filepath.Join(t.TempDir(), "hi1.db")
	h.st, err = store.Open(h.dbPath, store.Options{Now: h.clk.Now, Auditor: auditor, NoSync: true, Logger: logger,
		OnChange: func(ws []warrant.Warrant) { mu.Lock(); active = ws; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	al, _ := ParseAllowlist([]string{Fingerprint(h.good.Certificate[0])})
	plan := warrant.NumberPlan{CountryCode: "44", NationalPrefix: "0", InternationalPrefix: "00"}
	h.srv, err = NewServer(Config{
		Store: h.st, Verifier: &sign.Verifier{Keys: kr, Nonces: h.st, Now: h.clk.Now},
		Allow: al, Auditor: auditor, NE: "tdmtap-1", TwoPerson: twoPerson, Plan: &plan,
		LEMF: func(n string) bool { return n == "lemf1" || n == "lemf2" }, Now: h.clk.Now, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ts = httptest.NewUnstartedServer(h.srv)
	h.ts.TLS = h.srv.TLSConfig(h.serverC, nil)
	h.ts.StartTLS()
	t.Cleanup(h.ts.Close)
	return h
}

func (h *harness) httpClient(cert tls.Certificate, maxVersion uint16) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(h.serverC.Leaf)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12, MaxVersion: maxVersion,
	}}}
}

// client signs with key name ("" = unsigned) and the allowlisted cert.
func (h *harness) client(name string) *Client {
	c := &Client{URL: h.ts.URL + DefaultPath, HTTP: h.httpClient(h.good, 0), ADMF: "admf-1", NE: "tdmtap-1", Now: h.clk.Now}
	if name != "" {
		k := h.keys[name]
		c.KeyID, c.Key = k.id, k.priv
	}
	return c
}

func (h *harness) do(c *Client, r *Request) *Response {
	h.t.Helper()
	resp, err := c.Do(h.t.Context(), r)
	if err != nil {
		h.t.Fatalf("%s: %v", r.Type, err)
	}
	return resp
}

const (
	xidA = "0f3b7a1c-2d4e-4f60-8a91-1b2c3d4e5f60"
	didA = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
)

func activateReq(xid, liid string, end time.Time) *Request {
	return &Request{Type: ActivateTask, Task: &TaskDetails{
		XID: xid, Targets: []Target{{E164: "442079460001"}}, DeliveryType: X2andX3, DIDs: []string{didA},
		Mediation:   []Mediation{{LIID: liid, DeliveryType: "HI2andHI3", Start: t0.Format(time.RFC3339), End: end.Format(time.RFC3339)}},
		NumberRoles: "calling called",
	}}
}

func destReq() *Request {
	return &Request{Type: CreateDestination, Destination: &DestinationDetails{DID: didA, FriendlyName: "lemf1", DeliveryType: X2andX3,
		Address: Address{IP: "192.0.2.10", Port: "6000"}}}
}
