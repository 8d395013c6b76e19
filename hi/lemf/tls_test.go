package lemf

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/deliver"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

type pki struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newPKI(t *testing.T, dir, name string) pki {
	t.Helper()
	write := func(path, typ string, der []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := pki{ca: filepath.Join(dir, name+"-ca.pem")}
	write(p.ca, "CERTIFICATE", caDER)
	leaf := func(cn string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		lt := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, lt, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		cf, kf := filepath.Join(dir, name+"-"+cn+".pem"), filepath.Join(dir, name+"-"+cn+".key")
		write(cf, "CERTIFICATE", der)
		write(kf, "EC PRIVATE KEY", kd)
		return cf, kf
	}
	p.serverCert, p.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

// TestDeliverToLEMFOverTLS joins the two halves: deliver sessions (HI2 with
// keep-alives, HI3) over mutual TLS into the receiver, which answers the
// keep-alives that confirm IRI delivery.
func TestDeliverToLEMFOverTLS(t *testing.T) {
	dir := t.TempDir()
	good := newPKI(t, dir, "good")
	rogue := newPKI(t, dir, "rogue")
	stc, err := ServerTLS(good.serverCert, good.serverKey, good.ca)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r, addr, _ := startReceiver(t, out, func(ln net.Listener) net.Listener { return tls.NewListener(ln, stc) })

	ka, isResp := deliver.KeepaliveFor(&psdu.Header{LIID: "KA", OperatorID: "OP1"})
	session := func(hi deliver.HI, p pki) *deliver.Session {
		tc, err := deliver.TLSConfig{CertFile: p.clientCert, KeyFile: p.clientKey, CAFile: good.ca}.Build()
		if err != nil {
			t.Fatal(err)
		}
		s, err := deliver.New(deliver.Config{Name: "lemf-a", HI: hi, Addr: addr, TLS: tc,
			SpoolPath: filepath.Join(dir, filepath.Base(p.ca)+"-"+hi.String()+".db"), Keepalive: ka, IsKeepaliveResponse: isResp,
			KeepaliveInterval: 20 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 40 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.Start(ctx)
		t.Cleanup(func() { cancel(); s.Close() })
		return s
	}
	hi2s, hi3s := session(deliver.HI2, good), session(deliver.HI3, good)
	g := newGen()
	for _, p := range callPDUs(g, "LI-1", 7) {
		var pp psdu.PDU
		psdu.Parse(p, &pp)
		if pp.Kind == psdu.KindIRI {
			hi2s.Send(p)
		} else {
			hi3s.Send(p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hi2s.WaitDelivered(ctx); err != nil {
		t.Fatalf("IRI not confirmed by the LEMF's keep-alive responses: %v %+v", err, hi2s.Stats())
	}
	if err := hi3s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "content", func() bool { return r.Summary().PDUs["CC"] == 2*nPkts })

	// A session with a certificate from another CA gets nothing through.
	bad := session(deliver.HI2, rogue)
	bad.Send(g.iri("LI-1", 7, hi2.Report, t0, 0))
	waitFor(t, 5*time.Second, "refused attempts", func() bool { return bad.Stats().Reconnects >= 2 })
	if st := bad.Stats(); st.Confirmed != 0 || st.Queued != 1 {
		t.Fatalf("rogue session: %+v", st)
	}

	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum.PDUs["IRI-REPORT"] != 0 || sum.PDUs["IRI-END"] != 1 || len(sum.SeqErrors) != 0 || sum.PDUs["KEEPALIVE"] == 0 {
		t.Fatalf("%+v", sum)
	}
	checkWAV(t, filepath.Join(out, "LI-1-7-from-target.wav"), wavALaw, bytes.Repeat(mwALaw, nPkts))
}
