package x1

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi1/sign"
)

// Client speaks X1 to a tdmtap node and signs every command.
type Client struct {
	URL   string // https://host:port/X1/NE
	HTTP  *http.Client
	KeyID string
	Key   ed25519.PrivateKey // nil: unsigned (Ping only)
	ADMF  string             // our admfIdentifier
	NE    string             // the node's neIdentifier
	Now   func() time.Time
}

// ClientTLS builds a TLS 1.3 client configuration with a client
// certificate; the server is verified against caFile (when given) or, with
// pinSHA256, by its certificate fingerprint.
func ClientTLS(certFile, keyFile, caFile, pinSHA256, serverName string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("x1 client certificate: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificates", caFile)
		}
		c.RootCAs = pool
	}
	if pinSHA256 != "" {
		al, err := ParseAllowlist([]string{pinSHA256})
		if err != nil {
			return nil, err
		}
		if caFile == "" {
			c.InsecureSkipVerify = true // replaced by the pin check below
		}
		c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !al[Fingerprint(raw[0])] {
				return errors.New("x1: server certificate does not match the pinned fingerprint")
			}
			return nil
		}
	} else if caFile == "" {
		return nil, errors.New("x1 client: a CA file or a pinned server fingerprint is required")
	}
	return c, nil
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Do sends one request (its envelope is filled in) and returns the
// response. An ErrorResponse is returned as a response, not an error; use
// Response.Err.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	req.Envelope = Envelope{ADMF: c.ADMF, NE: c.NE, Timestamp: Timestamp(now()), Version: Version, TransactionID: NewUUID()}
	body := EncodeRequest(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/xml")
	if c.Key != nil {
		sign.SignRequest(hr, body, c.KeyID, c.Key, now())
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("x1: %s: %w", req.Type, ue.Err)
		}
		return nil, fmt.Errorf("x1: %s: %w", req.Type, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("x1: %s: read response: %w", req.Type, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("x1: %s: HTTP %s: %s", req.Type, resp.Status, bytes.TrimSpace(rb))
	}
	r, err := ParseResponse(rb)
	if err != nil {
		return nil, err
	}
	if !r.TopLevelError && r.TransactionID != req.TransactionID {
		return nil, fmt.Errorf("x1: %s: response transaction id %q does not match the request's", req.Type, r.TransactionID)
	}
	return r, nil
}
