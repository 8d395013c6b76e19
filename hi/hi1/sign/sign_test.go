package sign

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type memNonces map[string]bool

func (m memNonces) UseNonce(k, n string, _ time.Time) (bool, error) {
	if m[k+"/"+n] {
		return false, nil
	}
	m[k+"/"+n] = true
	return true, nil
}

func TestKeyringAndVerify(t *testing.T) {
	dir := t.TempDir()
	privA, pubA, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, pubV, _ := GenerateKey()
	os.WriteFile(filepath.Join(dir, "a.pub"), pubA, 0o644)
	ind := "      " + strings.ReplaceAll(strings.TrimSpace(string(pubV)), "\n", "\n      ")
	yml := "keys:\n  - id: alice\n    roles: [li-admin]\n    public_key_file: a.pub\n  - id: vic\n    roles: [li-viewer]\n    public_key: |\n" + ind + "\n"
	os.WriteFile(filepath.Join(dir, "kr.yaml"), []byte(yml), 0o644)
	kr, err := LoadKeyring(filepath.Join(dir, "kr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := kr.Lookup("alice")
	v, _ := kr.Lookup("vic")
	if !a.Has(RoleAdmin) || !a.Has(RoleViewer) || v.Has(RoleAdmin) || !v.Has(RoleViewer) {
		t.Fatal("roles wrong")
	}
	for _, bad := range []string{"keys:\n  - {id: x, roles: [root], public_key_file: a.pub}\n", "keys:\n  - {id: x, roles: [li-admin]}\n",
		"keys:\n  - {id: x, roles: [li-admin], public_key_file: a.pub}\n  - {id: x, roles: [li-admin], public_key_file: a.pub}\n", "bogus: 1\n"} {
		os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644)
		if _, err := LoadKeyring(filepath.Join(dir, "bad.yaml")); err == nil {
			t.Errorf("accepted keyring %q", bad)
		}
	}

	key, err := ParsePrivateKeyPEM(privA)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	nonces := memNonces{}
	vf := &Verifier{Keys: kr, Nonces: nonces, Now: func() time.Time { return now }}
	body := []byte("<X1Request/>")
	req, _ := http.NewRequest("POST", "https://n/X1/NE", nil)
	SignRequest(req, body, "alice", key, now)
	if k, err := vf.Verify("POST", "/X1/NE", req.Header, body); err != nil || k.ID != "alice" {
		t.Fatalf("valid signature refused: %v", err)
	}
	reason := func(err error) Reason {
		var e *Error
		if errors.As(err, &e) {
			return e.Reason
		}
		return ""
	}
	if _, err := vf.Verify("POST", "/X1/NE", req.Header, body); reason(err) != Replayed {
		t.Fatalf("replay: %v", err)
	}
	// Every signed element matters.
	SignRequest(req, body, "alice", key, now)
	for name, tc := range map[string]struct {
		method, path string
		body         []byte
	}{
		"method": {"PUT", "/X1/NE", body}, "path": {"POST", "/other", body}, "body": {"POST", "/X1/NE", []byte("<X1Request />")},
	} {
		if _, err := vf.Verify(tc.method, tc.path, req.Header, tc.body); reason(err) != BadSignature {
			t.Errorf("%s change not detected: %v", name, err)
		}
	}
	if len(nonces) != 1 {
		t.Fatalf("nonces recorded for bad signatures: %d", len(nonces))
	}
	h := req.Header.Clone()
	h.Set(HeaderTimestamp, "1800000001")
	if _, err := vf.Verify("POST", "/X1/NE", h, body); reason(err) != BadSignature {
		t.Fatalf("timestamp change not detected: %v", err)
	}
}
