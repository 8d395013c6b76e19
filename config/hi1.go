package config

import (
	"encoding/hex"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// HI1 is the intercept plane (hi/hi1): the durable warrant store, the
// audit chain and X1 provisioning. Without an hi1 section the node runs on
// the configuration's static warrants only.
type HI1 struct {
	Line            int
	Store           string // bbolt database (resolved path)
	AuditFile       string // JSON-lines audit file (resolved path)
	NodeKey         string // Ed25519 private key (PEM) signing audit checkpoints (resolved path)
	CheckpointEvery int    // audit records between signed checkpoints
	X1              *X1    // nil: no X1 listener (warrants from the store only)
}

// X1 is the X1 provisioning listener (HTTPS, TLS 1.3, client certificates).
type X1 struct {
	Line            int
	Listen          string   // host:port
	Cert, Key       string   // server certificate and key (resolved paths)
	ClientCA        string   // optional CA client certificates must chain to (resolved path)
	Allow           []string // SHA-256 fingerprints (64 hex digits, lower case, no colons)
	Keyring         string   // signing keys and roles (resolved path)
	TwoPerson       bool
	NEIdentifier    string        // default: node name
	ADMFIdentifier  string        // "" = any
	SignatureWindow time.Duration // accepted signature timestamp skew
}

// Defaults of the hi1 section.
const (
	DefaultCheckpointEvery = 100
	DefaultSignatureWindow = 5 * time.Minute
)

var hi1Keys = []string{"store", "audit_file", "node_key", "audit_checkpoint_every", "x1"}

var x1Keys = []string{
	"listen", "cert", "key", "client_ca", "allow", "keyring", "two_person",
	"ne_identifier", "admf_identifier", "signature_window",
}

func (d *decoder) hi1(n *yaml.Node) {
	c := d.cfg
	h := &HI1{Line: n.Line, CheckpointEvery: DefaultCheckpointEvery}
	f, ok := d.Mapping(n, "hi1", hi1Keys...)
	if !ok {
		return
	}
	d.Require(f, "hi1", "store", "audit_file", "node_key")
	if v := f.Get("store"); v != nil {
		h.Store = d.plainPath(v, "hi1 store")
	}
	if v := f.Get("audit_file"); v != nil {
		h.AuditFile = d.plainPath(v, "hi1 audit_file")
	}
	if h.Store != "" && h.Store == h.AuditFile {
		d.Errorf(f.Get("audit_file"), "hi1 audit_file: the same file as store")
	}
	if v := f.Get("node_key"); v != nil {
		h.NodeKey = d.existingFile(v, "hi1 node_key")
	}
	if v := f.Get("audit_checkpoint_every"); v != nil {
		if k, ok := d.Int(v, "hi1 audit_checkpoint_every", 1, 1_000_000); ok {
			h.CheckpointEvery = int(k)
		}
	}
	if v := f.Get("x1"); v != nil {
		h.X1 = d.x1(v)
	}
	c.HI1 = h
}

func (d *decoder) x1(n *yaml.Node) *X1 {
	x := &X1{Line: n.Line, SignatureWindow: DefaultSignatureWindow}
	f, ok := d.Mapping(n, "hi1 x1", x1Keys...)
	if !ok {
		return nil
	}
	d.Require(f, "hi1 x1", "listen", "cert", "key", "allow", "keyring")
	if v := f.Get("listen"); v != nil {
		x.Listen, _ = d.addr(v, "hi1 x1 listen", addrLocal)
	}
	if v := f.Get("cert"); v != nil {
		x.Cert = d.existingFile(v, "hi1 x1 cert")
	}
	if v := f.Get("key"); v != nil {
		x.Key = d.existingFile(v, "hi1 x1 key")
	}
	if v := f.Get("client_ca"); v != nil {
		x.ClientCA = d.existingFile(v, "hi1 x1 client_ca")
	}
	if v := f.Get("keyring"); v != nil {
		x.Keyring = d.existingFile(v, "hi1 x1 keyring")
	}
	if v := f.Get("allow"); v != nil {
		ss, nodes := d.Strings(v, "hi1 x1 allow")
		seen := map[string]int{}
		for i, s := range ss {
			fp := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
			if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
				d.Errorf(nodes[i], "hi1 x1 allow: %q is not a SHA-256 certificate fingerprint (64 hex digits, colons allowed)", s)
				continue
			}
			if l, dup := seen[fp]; dup {
				d.Errorf(nodes[i], "hi1 x1 allow: fingerprint listed twice (first at line %d)", l)
				continue
			}
			seen[fp] = nodes[i].Line
			x.Allow = append(x.Allow, fp)
		}
		if len(ss) == 0 && len(nodes) == 0 {
			d.Errorf(v, "hi1 x1 allow: at least one client certificate fingerprint is needed")
		}
	}
	if v := f.Get("two_person"); v != nil {
		x.TwoPerson, _ = d.Bool(v, "hi1 x1 two_person")
	}
	if v := f.Get("ne_identifier"); v != nil {
		x.NEIdentifier = d.printable(v, "hi1 x1 ne_identifier", 256, "")
	}
	if v := f.Get("admf_identifier"); v != nil {
		x.ADMFIdentifier = d.printable(v, "hi1 x1 admf_identifier", 256, "")
	}
	if v := f.Get("signature_window"); v != nil {
		x.SignatureWindow, _ = d.Duration(v, "hi1 x1 signature_window", time.Second, time.Hour)
	}
	return x
}

// plainPath reads a path (resolved against the config's directory) whose
// parent directory must exist; the file itself may not exist yet.
func (d *decoder) plainPath(n *yaml.Node, what string) string {
	p, ok := d.String(n, what)
	if !ok {
		return ""
	}
	p = d.cfg.resolve(p)
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		d.Errorf(n, "%s: %s is a directory", what, p)
		return ""
	}
	return p
}

// existingFile reads a path (resolved) that must name an existing file.
func (d *decoder) existingFile(n *yaml.Node, what string) string {
	p, ok := d.String(n, what)
	if !ok {
		return ""
	}
	p = d.cfg.resolve(p)
	if fi, err := os.Stat(p); err != nil {
		d.Errorf(n, "%s: %v", what, err)
	} else if fi.IsDir() {
		d.Errorf(n, "%s: %s is a directory", what, p)
	}
	return p
}
