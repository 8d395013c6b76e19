// Package hi1 assembles the intercept plane: the audit chain
// (hi/hi1/audit), the durable warrant store (hi/hi1/store), signed X1
// provisioning (hi/hi1/x1, hi/hi1/sign) and their lifecycle.
//
// Plane.Open opens the audit file and the store; the store's active
// warrants go to a store.Publisher, which installs them (together with the
// configuration's static warrants) into the bridge's warrant.Store — so a
// restart brings every provisioned intercept back before the first call is
// seen. Start serves X1 over HTTPS (TLS 1.3, client certificate allowlist)
// and runs the expiry ticker; Stop shuts them down, closes the store and
// writes the audit file's shutdown checkpoint.
package hi1

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/audit"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/hi/hi1/x1"
)

// Config is the plane's configuration (proposed YAML section `hi1:`).
type Config struct {
	StoreFile  string // bbolt database, e.g. /var/lib/tdmtap/hi1.db (required)
	AuditFile  string // JSON-lines audit file (required)
	NodeKey    string // the node's Ed25519 private key (PEM) signing audit checkpoints (required)
	AuditEvery int    // records between checkpoints (default 100)

	X1 X1Config
}

// X1Config is the X1 listener.
type X1Config struct {
	Listen          string        // host:port; "" = no X1 (warrants from the store only)
	Cert, Key       string        // server certificate and key (PEM)
	ClientCA        string        // optional CA (PEM) client certificates must chain to
	Allow           []string      // SHA-256 fingerprints of admitted client certificates (required with Listen)
	Keyring         string        // signing keys and roles (YAML; see sign.LoadKeyring) (required with Listen)
	TwoPerson       bool          // ActivateTask/ModifyTask need two li-admin signatures
	NE              string        // our neIdentifier (default: node name)
	ADMF            string        // expected admfIdentifier ("" = any)
	SignatureWindow time.Duration // default ±5 min
}

// Plane is the running intercept plane.
type Plane struct {
	Audit     *audit.Auditor
	Store     *store.Store
	X1        *x1.Server // nil without X1
	Publisher *store.Publisher

	cfg    Config
	log    *slog.Logger
	tls    *tls.Config
	httpS  *http.Server
	ln     net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Deps are what the plane needs from the rest of the node.
type Deps struct {
	Warrants *warrant.Store        // the bridge's active set (required)
	Plan     warrant.NumberPlan    // node numbering plan
	Static   []warrant.Warrant     // warrants from the configuration file
	LEMF     func(string) bool     // configured LEMF destination names (nil: any)
	NodeName string                // default neIdentifier
	Logger   *slog.Logger          // never numbers or LIIDs
	Now      func() time.Time      // default time.Now
	Metrics  prometheus.Registerer // audit health metrics (nil: not registered)
}

// Open opens the audit file and the store and installs the active set.
func Open(cfg Config, d Deps) (*Plane, error) {
	if cfg.StoreFile == "" || cfg.AuditFile == "" || cfg.NodeKey == "" {
		return nil, errors.New("hi1: store file, audit file and node key are required")
	}
	if d.Warrants == nil {
		return nil, errors.New("hi1: warrant store required")
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	key, err := sign.LoadPrivateKey(cfg.NodeKey)
	if err != nil {
		return nil, fmt.Errorf("hi1: node key: %w", err)
	}
	p := &Plane{cfg: cfg, log: log, Publisher: &store.Publisher{Dst: d.Warrants, Log: log}}
	p.Audit, err = audit.Open(cfg.AuditFile, audit.Options{Key: key, Every: cfg.AuditEvery, Now: now, Logger: log, Metrics: d.Metrics})
	if err != nil {
		return nil, err
	}
	p.Publisher.SetStatic(d.Plan, d.Static)
	p.Store, err = store.Open(cfg.StoreFile, store.Options{Now: now, Auditor: p.Audit, OnChange: p.Publisher.SetActive, Logger: log,
		NonceTTL: nonceTTL(cfg.X1.SignatureWindow)})
	if err != nil {
		p.Audit.Close()
		return nil, err
	}
	if err := p.Audit.Anchor(p.Store); err != nil {
		p.Store.Close()
		p.Audit.Close()
		return nil, err
	}
	p.Audit.Record("hi1.start", slog.String("node", d.NodeName))
	if cfg.X1.Listen == "" {
		return p, nil
	}
	fail := func(err error) (*Plane, error) {
		p.Store.Close()
		p.Audit.Close()
		return nil, fmt.Errorf("hi1: x1: %w", err)
	}
	x := cfg.X1
	kr, err := sign.LoadKeyring(x.Keyring)
	if err != nil {
		return fail(err)
	}
	al, err := x1.ParseAllowlist(x.Allow)
	if err != nil {
		return fail(err)
	}
	ne := x.NE
	if ne == "" {
		ne = d.NodeName
	}
	plan := d.Plan
	p.X1, err = x1.NewServer(x1.Config{
		Store: p.Store, Verifier: &sign.Verifier{Keys: kr, Nonces: p.Store, Window: x.SignatureWindow, Now: now},
		Allow: al, Auditor: p.Audit, NE: ne, ADMF: x.ADMF, TwoPerson: x.TwoPerson, Plan: &plan, LEMF: d.LEMF, Now: now, Logger: log,
	})
	if err != nil {
		return fail(err)
	}
	cert, err := tls.LoadX509KeyPair(x.Cert, x.Key)
	if err != nil {
		return fail(err)
	}
	var pool *x509.CertPool
	if x.ClientCA != "" {
		b, err := os.ReadFile(x.ClientCA)
		if err != nil {
			return fail(err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return fail(fmt.Errorf("%s: no certificates", x.ClientCA))
		}
	}
	p.tls = p.X1.TLSConfig(cert, pool)
	return p, nil
}

// nonceTTL is how long the store remembers a signed command's nonce: it
// must outlast the signature window on both sides of the signed timestamp,
// or a command could be replayed once its nonce was forgotten while its
// timestamp still passes the window check.
func nonceTTL(window time.Duration) time.Duration {
	if window <= 0 {
		window = sign.DefaultWindow
	}
	return max(15*time.Minute, 2*window+time.Minute)
}

// Addr is the X1 listener's address (nil before Start or without X1).
func (p *Plane) Addr() net.Addr {
	if p.ln == nil {
		return nil
	}
	return p.ln.Addr()
}

// Start serves X1 (when configured) and runs the expiry ticker.
func (p *Plane) Start(ctx context.Context) error {
	rctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.Store.Run(rctx, time.Second)
	}()
	if p.X1 == nil {
		return nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", p.cfg.X1.Listen)
	if err != nil {
		cancel()
		p.wg.Wait()
		return fmt.Errorf("hi1: x1 listen: %w", err)
	}
	p.ln = ln
	p.httpS = &http.Server{Handler: p.X1, TLSConfig: p.tls, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelDebug)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.httpS.Serve(tls.NewListener(ln, p.tls)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("X1 server stopped", "err", err)
		}
	}()
	p.log.Info("X1 provisioning listening", "addr", ln.Addr().String())
	return nil
}

// Stop shuts X1 and the ticker down, closes the store and writes the audit
// file's shutdown checkpoint.
func (p *Plane) Stop(ctx context.Context) error {
	var errs []error
	if p.httpS != nil {
		if err := p.httpS.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	// The audit file closes first: its shutdown checkpoint is anchored in
	// the store.
	p.Audit.Record("hi1.stop")
	if err := p.Audit.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := p.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
