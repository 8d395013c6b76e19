package deliver

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// HI names the handover interface a session carries.
type HI uint8

const (
	HI2 HI = 2 // IRI: durable spool, nothing lost
	HI3 HI = 3 // content: bounded spool, counted and audited drops
)

func (h HI) String() string {
	switch h {
	case HI2:
		return "hi2"
	case HI3:
		return "hi3"
	}
	return fmt.Sprintf("hi%d", uint8(h))
}

// Auditor receives security-relevant events (content dropped, spool
// trouble). The HI1 audit chain implements it. Record must not block for
// long: it may be called from Send.
type Auditor interface {
	Record(kind string, attrs ...slog.Attr)
}

// Config describes one session: one LEMF destination and one HI.
type Config struct {
	Name string // destination name: metric label and log attribute (never an LIID or number)
	HI   HI
	Addr string // host:port of the LEMF

	// TLS, when non-nil, is used as is (see TLSConfig.Build for mTLS and
	// pinning). Nil means plain TCP.
	TLS *tls.Config

	// SpoolPath is the bbolt file of the durable IRI spool (HI2; required).
	SpoolPath string
	// CCSpoolBytes bounds the content queue (HI3); default 8 MiB.
	CCSpoolBytes int

	// Keepalive is the keep-alive PS-PDU sent when the link is idle (and
	// as a delivery acknowledgement request); nil disables keepalives, and
	// then records count as delivered once written to the socket.
	Keepalive []byte
	// IsKeepaliveResponse recognises the LEMF's keep-alive response among
	// the PDUs it sends back. Required when Keepalive is set.
	IsKeepaliveResponse func(pdu []byte) bool
	// KeepaliveInterval: idle time before a keepalive; default 10 s.
	KeepaliveInterval time.Duration
	// KeepaliveMisses: a keepalive unanswered for this many intervals
	// makes the session reconnect; default 3.
	KeepaliveMisses int

	DialTimeout  time.Duration // default 5 s (TCP connect + TLS handshake)
	WriteTimeout time.Duration // a write blocked this long reconnects; default 10 s
	BackoffMin   time.Duration // default 200 ms
	BackoffMax   time.Duration // default 30 s
	BatchBytes   int           // bytes gathered per socket write; default 64 KiB

	Logger  *slog.Logger // default: discard
	Metrics *Metrics     // default: none
	Auditor Auditor      // default: none (drops are still counted and logged)
}

func (c *Config) defaults() error {
	if c.Name == "" {
		return errors.New("deliver: config: empty Name")
	}
	if c.Addr == "" {
		return fmt.Errorf("deliver %s: config: empty Addr", c.Name)
	}
	if c.HI != HI2 && c.HI != HI3 {
		return fmt.Errorf("deliver %s: config: HI must be HI2 or HI3", c.Name)
	}
	if c.HI == HI2 && c.SpoolPath == "" {
		return fmt.Errorf("deliver %s: config: HI2 needs a SpoolPath", c.Name)
	}
	if c.Keepalive != nil && c.IsKeepaliveResponse == nil {
		return fmt.Errorf("deliver %s: config: Keepalive without IsKeepaliveResponse", c.Name)
	}
	if c.CCSpoolBytes <= 0 {
		c.CCSpoolBytes = 8 << 20
	}
	if c.KeepaliveInterval <= 0 {
		c.KeepaliveInterval = 10 * time.Second
	}
	if c.KeepaliveMisses <= 0 {
		c.KeepaliveMisses = 3
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 200 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = 30 * time.Second
		if c.BackoffMax < c.BackoffMin {
			c.BackoffMax = c.BackoffMin
		}
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = 64 << 10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// PinKind says what a pin hashes.
type PinKind uint8

const (
	PinSPKI PinKind = iota // SHA-256 of the leaf's SubjectPublicKeyInfo (survives re-issuing with the same key)
	PinCert                // SHA-256 of the whole leaf certificate (DER)
)

// Pin is a pinned LEMF certificate.
type Pin struct {
	Kind PinKind
	Hash [32]byte
}

// ParsePin reads "spki:HEX" or "cert:HEX" (64 hex digits; ':' separators
// between bytes allowed).
func ParsePin(s string) (Pin, error) {
	kind, h, ok := strings.Cut(s, ":")
	var p Pin
	switch {
	case !ok:
		return p, fmt.Errorf("pin %q: want spki:HEX or cert:HEX", s)
	case kind == "spki":
		p.Kind = PinSPKI
	case kind == "cert":
		p.Kind = PinCert
	default:
		return p, fmt.Errorf("pin %q: unknown kind %q", s, kind)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(h, ":", ""))
	if err != nil || len(b) != 32 {
		return p, fmt.Errorf("pin %q: want 32 bytes of hex", s)
	}
	copy(p.Hash[:], b)
	return p, nil
}

// PinOf computes the pin of a certificate.
func PinOf(kind PinKind, cert *x509.Certificate) Pin {
	p := Pin{Kind: kind}
	if kind == PinSPKI {
		p.Hash = sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	} else {
		p.Hash = sha256.Sum256(cert.Raw)
	}
	return p
}

func (p Pin) String() string {
	k := "spki"
	if p.Kind == PinCert {
		k = "cert"
	}
	return k + ":" + hex.EncodeToString(p.Hash[:])
}

// TLSConfig is the file-based TLS setup of a destination.
type TLSConfig struct {
	CertFile, KeyFile string // our client certificate (mutual authentication)
	CAFile            string // CAs that sign the LEMF certificate; empty = rely on Pins only
	ServerName        string // expected LEMF name when CAFile is used (default: host of Addr)
	Pins              []Pin  // the LEMF leaf must match one of these (when non-empty)
}

// Build returns a TLS 1.3 client configuration. With CAFile the chain and
// name are verified; with Pins the leaf must also match a pin; with Pins
// alone (no CA) the pin is the whole trust decision.
func (c TLSConfig) Build() (*tls.Config, error) {
	if c.CAFile == "" && len(c.Pins) == 0 {
		return nil, errors.New("tls: neither a CA file nor a pin: the LEMF could not be authenticated")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, ServerName: c.ServerName}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: CA file %s: no certificates", c.CAFile)
		}
		cfg.RootCAs = pool
	} else {
		// Trust decided by the pin alone (checked in VerifyConnection).
		cfg.InsecureSkipVerify = true
	}
	if len(c.Pins) > 0 {
		pins := append([]Pin(nil), c.Pins...)
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return checkPins(pins, cs.PeerCertificates)
		}
	}
	return cfg, nil
}

func checkPins(pins []Pin, certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return errors.New("tls: LEMF sent no certificate")
	}
	leaf := certs[0]
	for _, p := range pins {
		got := PinOf(p.Kind, leaf)
		if bytes.Equal(got.Hash[:], p.Hash[:]) {
			return nil
		}
	}
	return errors.New("tls: LEMF certificate does not match the pinned certificate")
}
