package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/hi/hi1/x1"
)

// resetFlags puts every flag of cmd and its subcommands back to its
// default, so one test's flags do not leak into the next run.
func resetFlags(cmd *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	cmd.Flags().VisitAll(reset)
	cmd.PersistentFlags().VisitAll(reset)
	for _, c := range cmd.Commands() {
		resetFlags(c)
	}
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	resetFlags(root)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	defer root.SetArgs(nil)
	err := root.Execute()
	return out.String(), err
}

// writeCert writes a fresh self-signed certificate and key (test only).
func writeCert(t *testing.T, dir, name string, server bool) (certFile, keyFile string, der []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	if server {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".certkey")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	return certFile, keyFile, der
}

func TestWarrantCLIAgainstNode(t *testing.T) {
	dir := t.TempDir()
	// Keys made with the CLI itself.
	if _, err := runCLI(t, "keys", "gen", filepath.Join(dir, "alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "keys", "gen", filepath.Join(dir, "node")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "keyring.yaml"), []byte("keys:\n  - id: alice\n    roles: [li-admin]\n    public_key_file: alice.pub\n"), 0o644)
	kr, err := sign.LoadKeyring(filepath.Join(dir, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	nodeKey, err := sign.LoadPrivateKey(filepath.Join(dir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	aud, err := audit.Open(filepath.Join(dir, "audit.jsonl"), audit.Options{Key: nodeKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var active []warrant.Warrant
	st, err := store.Open(filepath.Join(dir, "hi1.db"), store.Options{NoSync: true, Auditor: aud,
		OnChange: func(ws []warrant.Warrant) { active = ws }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srvCert, srvKey, srvDER := writeCert(t, dir, "node", true)
	cliCert, cliKey, cliDER := writeCert(t, dir, "admf", false)
	al, _ := x1.ParseAllowlist([]string{x1.Fingerprint(cliDER)})
	srv, err := x1.NewServer(x1.Config{Store: st, Verifier: &sign.Verifier{Keys: kr, Nonces: st}, Allow: al, Auditor: aud, NE: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := tls.LoadX509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = srv.TLSConfig(tc, nil)
	ts.StartTLS()
	defer ts.Close()

	conn := []string{"--url", ts.URL + x1.DefaultPath, "--key", filepath.Join(dir, "alice.key"), "--key-id", "alice",
		"--cert", cliCert, "--cert-key", cliKey, "--server-sha256", x1.Fingerprint(srvDER), "--ne", "node-1"}
	w := func(args ...string) (string, error) {
		return runCLI(t, append(append([]string{"warrant"}, args...), conn...)...)
	}

	out, err := w("dest", "add", "--did", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "--name", "lemf1", "--address", "192.0.2.1:6000")
	if err != nil {
		t.Fatalf("dest add: %v %s", err, out)
	}
	xid := "0f3b7a1c-2d4e-4f60-8a91-1b2c3d4e5f60"
	out, err = w("add", "--xid", xid, "--liid", "LIID-CLI", "--target", "+442079460001", "--roles", "calling,called",
		"--duration", "24h", "--delivery", "iri+cc", "--dest", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
	if err != nil {
		t.Fatalf("add: %v %s", err, out)
	}
	if len(active) != 1 || active[0].LIID != "LIID-CLI" {
		t.Fatalf("not active: %+v", active)
	}
	out, err = w("show", xid)
	if err != nil || !strings.Contains(out, "LIID-CLI") || !strings.Contains(out, "+442079460001") || !strings.Contains(out, "calling called") {
		t.Fatalf("show: %v %s", err, out)
	}
	out, err = w("modify", xid, "--delivery", "iri")
	if err != nil || len(active) != 1 || active[0].Delivery != warrant.IRIOnly || len(active[0].Targets) != 1 {
		t.Fatalf("modify: %v %s %+v", err, out, active)
	}
	out, err = w("list")
	if err != nil || !strings.Contains(out, "task "+xid) {
		t.Fatalf("list: %v %s", err, out)
	}
	if out, err = w("remove", xid); err != nil || len(active) != 0 {
		t.Fatalf("remove: %v %s", err, out)
	}
	// A wrong key id is refused with a clear error.
	conn[5] = "bob"
	if out, err := w("ping"); err != nil {
		t.Fatalf("ping (unsigned read of nothing): %v %s", err, out)
	}
	if _, err := w("list"); err == nil || !strings.Contains(err.Error(), "unknown-key") {
		t.Fatalf("unknown key id: %v", err)
	}

	aud.Record("lemf.connect", slog.String("dest", "lemf1"))
	if err := aud.Close(); err != nil {
		t.Fatal(err)
	}
	af := filepath.Join(dir, "audit.jsonl")
	out, err = runCLI(t, "audit", "verify", af, "--pub", filepath.Join(dir, "node.pub"))
	if err != nil || !strings.Contains(out, "chain OK") {
		t.Fatalf("audit verify: %v %s", err, out)
	}
	b, _ := os.ReadFile(af)
	if bytes.Contains(b, []byte("2079460001")) {
		t.Fatal("target number in the audit file")
	}
	// Cut after the last complete record but one: every line left is good,
	// yet the file no longer ends with its shutdown checkpoint.
	cut := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
	os.WriteFile(af, b[:cut], 0o600)
	out, err = runCLI(t, "audit", "verify", af, "--pub", filepath.Join(dir, "node.pub"))
	if err == nil || !strings.Contains(err.Error(), "shutdown checkpoint") {
		t.Fatalf("truncated file passed: %v %s", err, out)
	}
	if out, err = runCLI(t, "audit", "verify", af, "--pub", filepath.Join(dir, "node.pub"), "--strict=false"); err != nil || strings.Contains(out, "chain OK\n") {
		t.Fatalf("--strict=false on a file still being written: %v %s", err, out)
	}
	os.WriteFile(af, b, 0o600)
	i := bytes.Index(b, []byte("LIID-CLI"))
	b[i] ^= 1
	os.WriteFile(af, b, 0o600)
	out, err = runCLI(t, "audit", "verify", af, "--pub", filepath.Join(dir, "node.pub"))
	if err == nil || !strings.Contains(err.Error(), "first bad record at line") {
		t.Fatalf("flipped byte not reported: %v %s", err, out)
	}
}

func TestWarrantCLITwoPerson(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"alice", "bob"} {
		if _, err := runCLI(t, "keys", "gen", filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "keyring.yaml"), []byte("keys:\n  - {id: alice, roles: [li-admin], public_key_file: alice.pub}\n  - {id: bob, roles: [li-admin], public_key_file: bob.pub}\n"), 0o644)
	kr, err := sign.LoadKeyring(filepath.Join(dir, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var active []warrant.Warrant
	st, err := store.Open(filepath.Join(dir, "hi1.db"), store.Options{NoSync: true, OnChange: func(ws []warrant.Warrant) { active = ws }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srvCert, srvKey, srvDER := writeCert(t, dir, "node", true)
	cliCert, cliKey, cliDER := writeCert(t, dir, "admf", false)
	al, _ := x1.ParseAllowlist([]string{x1.Fingerprint(cliDER)})
	srv, err := x1.NewServer(x1.Config{Store: st, Verifier: &sign.Verifier{Keys: kr, Nonces: st}, Allow: al, NE: "node-1", TwoPerson: true})
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := tls.LoadX509KeyPair(srvCert, srvKey)
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = srv.TLSConfig(tc, nil)
	ts.StartTLS()
	defer ts.Close()
	as := func(who string, args ...string) (string, error) {
		return runCLI(t, append(append([]string{"warrant"}, args...), "--url", ts.URL+x1.DefaultPath, "--key", filepath.Join(dir, who+".key"),
			"--key-id", who, "--cert", cliCert, "--cert-key", cliKey, "--server-sha256", x1.Fingerprint(srvDER), "--ne", "node-1")...)
	}
	did := "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	if out, err := as("alice", "dest", "add", "--did", did, "--name", "lemf1"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	xid := "0f3b7a1c-2d4e-4f60-8a91-1b2c3d4e5f60"
	out, err := as("alice", "add", "--xid", xid, "--liid", "LIID-2P", "--target", "+442079460001", "--duration", "1h", "--delivery", "iri", "--dest", did)
	if err != nil || !strings.Contains(out, "awaiting a second") || len(active) != 0 {
		t.Fatalf("first signature: %v %s %d", err, out, len(active))
	}
	if _, err := as("alice", "approve", xid); err == nil || !strings.Contains(err.Error(), "different li-admin key") {
		t.Fatalf("self-approval: %v", err)
	}
	if out, err := as("bob", "approve", xid); err != nil || len(active) != 1 || active[0].LIID != "LIID-2P" {
		t.Fatalf("approval: %v %s %+v", err, out, active)
	}
}
