// Package sign signs and verifies provisioning commands (X1 over HTTPS).
//
// On top of mutual TLS, every command carries an Ed25519 signature in four
// HTTP headers:
//
//	X-TDMTAP-Key-Id:    the signer's registered key id
//	X-TDMTAP-Timestamp: Unix seconds (decimal) when it was signed
//	X-TDMTAP-Nonce:     16..64 characters [A-Za-z0-9_-], fresh per command
//	X-TDMTAP-Signature: base64 (standard) of the Ed25519 signature
//
// The signature is over the canonical string (lines joined by '\n', no
// trailing newline):
//
//	TDMTAP-X1-SIG-V1
//	<HTTP method, upper case>
//	<request URL path (percent-decoded), without query>
//	<timestamp>
//	<nonce>
//	<key id>
//	<hex SHA-256 of the exact request body bytes>
//
// A command is refused when a header is missing (unsigned), the key id is
// not registered (unknown key), the signature does not verify (bad
// signature), the timestamp is outside ±Window of the receiver's clock
// (stale), or the (key id, nonce) pair was seen before within the window
// (replayed; the nonce table is durable, see hi/hi1/store). Nonces are
// recorded only after the signature verified, so unsigned garbage cannot
// fill the table. Roles are checked by the caller (Key.Has).
package sign

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Header names.
const (
	HeaderKeyID     = "X-TDMTAP-Key-Id"
	HeaderTimestamp = "X-TDMTAP-Timestamp"
	HeaderNonce     = "X-TDMTAP-Nonce"
	HeaderSignature = "X-TDMTAP-Signature"
)

// DefaultWindow is the accepted clock difference either way.
const DefaultWindow = 5 * time.Minute

// Role is a key's authority.
type Role string

// Roles. An li-admin key may also do what an li-viewer key may.
const (
	RoleAdmin  Role = "li-admin"  // activate, modify, deactivate, destinations
	RoleViewer Role = "li-viewer" // read task and destination details
)

// Message returns the canonical bytes that are signed.
func Message(method, path string, ts int64, nonce, keyID string, body []byte) []byte {
	h := sha256.Sum256(body)
	var b strings.Builder
	b.WriteString("TDMTAP-X1-SIG-V1\n")
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.WriteString(keyID)
	b.WriteByte('\n')
	b.WriteString(hex.EncodeToString(h[:]))
	return []byte(b.String())
}

// NewNonce returns 128 random bits, hex.
func NewNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// SignRequest sets the signature headers on req for body (which must be
// the exact bytes sent).
func SignRequest(req *http.Request, body []byte, keyID string, key ed25519.PrivateKey, now time.Time) {
	ts := now.Unix()
	nonce := NewNonce()
	sig := ed25519.Sign(key, Message(req.Method, req.URL.Path, ts, nonce, keyID, body))
	req.Header.Set(HeaderKeyID, keyID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// Key is a registered public key.
type Key struct {
	ID     string
	Roles  []Role
	Public ed25519.PublicKey
}

// Has reports whether the key holds role r (li-admin implies li-viewer).
func (k *Key) Has(r Role) bool {
	if slices.Contains(k.Roles, r) {
		return true
	}
	return r == RoleViewer && slices.Contains(k.Roles, RoleAdmin)
}

// Keyring holds the registered keys.
type Keyring struct {
	keys map[string]*Key
}

// NewKeyring builds a keyring; ids must be unique and keys well formed.
func NewKeyring(keys ...Key) (*Keyring, error) {
	kr := &Keyring{keys: make(map[string]*Key)}
	for i := range keys {
		k := keys[i]
		if !validToken(k.ID, 1, 64) {
			return nil, fmt.Errorf("sign: key id %q: 1..64 characters [A-Za-z0-9_.-]", k.ID)
		}
		if len(k.Public) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("sign: key %s: not an Ed25519 public key", k.ID)
		}
		if len(k.Roles) == 0 {
			return nil, fmt.Errorf("sign: key %s: no roles", k.ID)
		}
		for _, r := range k.Roles {
			if r != RoleAdmin && r != RoleViewer {
				return nil, fmt.Errorf("sign: key %s: unknown role %q (li-admin, li-viewer)", k.ID, r)
			}
		}
		if _, dup := kr.keys[k.ID]; dup {
			return nil, fmt.Errorf("sign: key id %s registered twice", k.ID)
		}
		kr.keys[k.ID] = &k
	}
	return kr, nil
}

// Lookup returns the key with id.
func (kr *Keyring) Lookup(id string) (*Key, bool) {
	if kr == nil {
		return nil, false
	}
	k, ok := kr.keys[id]
	return k, ok
}

// Len is the number of keys.
func (kr *Keyring) Len() int { return len(kr.keys) }

// keyringFile is the YAML form:
//
//	keys:
//	  - id: alice
//	    roles: [li-admin]
//	    public_key_file: alice.pub     # PEM, relative to the keyring file
//	  - id: bob
//	    roles: [li-viewer]
//	    public_key: |                  # or the PEM inline
//	      -----BEGIN PUBLIC KEY-----
//	      ...
type keyringFile struct {
	Keys []struct {
		ID            string   `yaml:"id"`
		Roles         []string `yaml:"roles"`
		PublicKey     string   `yaml:"public_key"`
		PublicKeyFile string   `yaml:"public_key_file"`
	} `yaml:"keys"`
}

// LoadKeyring reads a keyring YAML file.
func LoadKeyring(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sign: keyring: %w", err)
	}
	var f keyringFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("sign: keyring %s: %w", path, err)
	}
	var keys []Key
	for _, e := range f.Keys {
		pemText := []byte(e.PublicKey)
		if e.PublicKeyFile != "" {
			p := e.PublicKeyFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			if pemText, err = os.ReadFile(p); err != nil {
				return nil, fmt.Errorf("sign: keyring %s: key %s: %w", path, e.ID, err)
			}
		}
		pub, err := ParsePublicKeyPEM(pemText)
		if err != nil {
			return nil, fmt.Errorf("sign: keyring %s: key %s: %w", path, e.ID, err)
		}
		k := Key{ID: e.ID, Public: pub}
		for _, r := range e.Roles {
			k.Roles = append(k.Roles, Role(r))
		}
		keys = append(keys, k)
	}
	kr, err := NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kr, nil
}

// NonceStore records nonces durably. UseNonce returns fresh=false when
// (keyID, nonce) was recorded before; otherwise it records it with ts.
type NonceStore interface {
	UseNonce(keyID, nonce string, ts time.Time) (fresh bool, err error)
}

// Reason classifies a refusal.
type Reason string

// Refusal reasons.
const (
	Unsigned     Reason = "unsigned"
	UnknownKey   Reason = "unknown-key"
	BadSignature Reason = "bad-signature"
	Stale        Reason = "stale"
	Replayed     Reason = "replayed"
	WrongRole    Reason = "wrong-role"
	Internal     Reason = "internal"
)

// Error is a refused signature.
type Error struct {
	Reason Reason
	Msg    string
}

func (e *Error) Error() string { return "signature refused (" + string(e.Reason) + "): " + e.Msg }

// Verifier checks signed requests.
type Verifier struct {
	Keys   *Keyring
	Nonces NonceStore // required
	Window time.Duration
	Now    func() time.Time
}

// Verify checks the signature headers h of a request (method, path, body)
// and returns the signing key. Errors are *Error.
func (v *Verifier) Verify(method, path string, h http.Header, body []byte) (*Key, error) {
	kid, tss, nonce, sigs := h.Get(HeaderKeyID), h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	if kid == "" || tss == "" || nonce == "" || sigs == "" {
		return nil, &Error{Unsigned, "the command carries no signature (headers " + HeaderKeyID + ", " + HeaderTimestamp + ", " + HeaderNonce + ", " + HeaderSignature + ")"}
	}
	key, ok := v.Keys.Lookup(kid)
	if !ok {
		return nil, &Error{UnknownKey, fmt.Sprintf("key id %q is not registered", kid)}
	}
	ts, err := strconv.ParseInt(tss, 10, 64)
	if err != nil {
		return nil, &Error{BadSignature, "timestamp is not Unix seconds"}
	}
	if !validToken(nonce, 16, 64) {
		return nil, &Error{BadSignature, "nonce must be 16..64 characters [A-Za-z0-9_-]"}
	}
	sig, err := base64.StdEncoding.DecodeString(sigs)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, &Error{BadSignature, "signature is not base64 of 64 bytes"}
	}
	if !ed25519.Verify(key.Public, Message(method, path, ts, nonce, kid, body), sig) {
		return nil, &Error{BadSignature, fmt.Sprintf("signature does not verify with key %q", kid)}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	win := v.Window
	if win <= 0 {
		win = DefaultWindow
	}
	t := time.Unix(ts, 0)
	if d := now().Sub(t); d > win || d < -win {
		return nil, &Error{Stale, fmt.Sprintf("timestamp %s is %s from this node's clock (window ±%s)", t.UTC().Format(time.RFC3339), d.Round(time.Second), win)}
	}
	if v.Nonces == nil {
		return nil, &Error{Internal, "no nonce store"}
	}
	fresh, err := v.Nonces.UseNonce(kid, nonce, t)
	if err != nil {
		return nil, &Error{Internal, "nonce store: " + err.Error()}
	}
	if !fresh {
		return nil, &Error{Replayed, "nonce already used: the command is a replay"}
	}
	return key, nil
}

func validToken(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// GenerateKey makes an Ed25519 key pair as PEM (PKCS#8 private, PKIX public).
func GenerateKey() (privPEM, pubPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// ParsePrivateKeyPEM reads a PKCS#8 Ed25519 private key.
func ParsePrivateKeyPEM(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("not an Ed25519 key")
	}
	return ek, nil
}

// ParsePublicKeyPEM reads a PKIX Ed25519 public key.
func ParsePublicKeyPEM(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM PUBLIC KEY block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("not an Ed25519 key")
	}
	return ek, nil
}

// LoadPrivateKey reads a PEM private key file.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey reads a PEM public key file (or the public half of a
// private key file).
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if k, err := ParsePublicKeyPEM(b); err == nil {
		return k, nil
	}
	priv, err := ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: neither an Ed25519 public nor private key PEM", path)
	}
	return priv.Public().(ed25519.PublicKey), nil
}
