package x1

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi1/sign"
)

// clientCertValid makes a self-signed client certificate valid from
// notBefore to notAfter.
func clientCertValid(t *testing.T, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "admf-old"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestAllowlistedCertificateOutsideValidityRefused: an expired (or not yet
// valid) client certificate is refused even though its fingerprint is on
// the allowlist and no CA is configured.
func TestAllowlistedCertificateOutsideValidityRefused(t *testing.T) {
	h := newHarness(t, false, nil)
	expired := clientCertValid(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	future := clientCertValid(t, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	al, _ := ParseAllowlist([]string{Fingerprint(h.good.Certificate[0]), Fingerprint(expired.Certificate[0]), Fingerprint(future.Certificate[0])})
	srv, err := NewServer(Config{Store: h.st, Verifier: &sign.Verifier{Keys: &sign.Keyring{}, Nonces: h.st}, Allow: al,
		Auditor: h.aud, NE: "tdmtap-1", Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = srv.TLSConfig(h.serverC, nil)
	ts.StartTLS()
	defer ts.Close()
	for name, cert := range map[string]tls.Certificate{"expired": expired, "not yet valid": future} {
		c := &Client{URL: ts.URL + DefaultPath, HTTP: h.httpClient(cert, 0), ADMF: "admf-1", NE: "tdmtap-1"}
		if _, err := c.Do(t.Context(), &Request{Type: Ping}); err == nil {
			t.Errorf("%s allowlisted certificate got in", name)
		}
		if len(h.aud.find("x1.refused", map[string]string{"fprint": Fingerprint(cert.Certificate[0]),
			"reason": "client certificate expired or not yet valid"})) == 0 {
			t.Errorf("%s certificate's refusal not audited: %+v", name, h.aud.recs)
		}
	}
	c := &Client{URL: ts.URL + DefaultPath, HTTP: h.httpClient(h.good, 0), ADMF: "admf-1", NE: "tdmtap-1"}
	if r, err := c.Do(t.Context(), &Request{Type: Ping}); err != nil || r.Err() != nil {
		t.Fatalf("valid allowlisted certificate refused: %v %v", err, r)
	}
}
