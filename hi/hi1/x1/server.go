package x1

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/sign"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
)

// DefaultPath is the X1 endpoint path.
const DefaultPath = "/X1/NE"

// Auditor receives the provisioning audit records.
type Auditor interface {
	Record(kind string, attrs ...slog.Attr)
}

// Fingerprint is the lower-case hex SHA-256 of a certificate's DER.
func Fingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// Allowlist is a set of client certificate fingerprints.
type Allowlist map[string]bool

// ParseAllowlist accepts hex SHA-256 fingerprints, with or without colons,
// any case.
func ParseAllowlist(fps []string) (Allowlist, error) {
	al := Allowlist{}
	for _, f := range fps {
		n := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(f), ":", ""))
		if b, err := hex.DecodeString(n); err != nil || len(b) != 32 {
			return nil, fmt.Errorf("x1: allowlist entry %q is not a SHA-256 fingerprint", f)
		}
		al[n] = true
	}
	return al, nil
}

// Config configures the X1 server.
type Config struct {
	Store    *store.Store   // required
	Verifier *sign.Verifier // required (keys, durable nonces)
	Allow    Allowlist      // client certificates admitted (required, non-empty)
	Auditor  Auditor        // required in production
	NE       string         // our neIdentifier; requests naming another are refused (1060)
	ADMF     string         // expected admfIdentifier; "" accepts any
	// TwoPerson requires ActivateTask and ModifyTask to be signed by two
	// different li-admin keys: the first signature leaves the command
	// pending (response oK "Acknowledged"); the same command (same task
	// details) signed by a second li-admin key makes it take effect.
	TwoPerson bool
	// Plan, when set, checks every target normalises under the node's
	// numbering plan.
	Plan *warrant.NumberPlan
	// LEMF reports whether name is a configured LEMF destination (checked
	// against a destination's friendlyName). Nil accepts any name.
	LEMF   func(name string) bool
	Now    func() time.Time
	Logger *slog.Logger // no numbers, no LIIDs
	Path   string       // default DefaultPath
}

// Server is the X1 HTTPS handler.
type Server struct {
	cfg Config
	log *slog.Logger
}

// NewServer checks cfg and returns the handler.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Verifier == nil {
		return nil, errors.New("x1: store and verifier required")
	}
	if len(cfg.Allow) == 0 {
		return nil, errors.New("x1: empty client certificate allowlist")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log}, nil
}

func (s *Server) audit(kind string, attrs ...slog.Attr) {
	if s.cfg.Auditor != nil {
		s.cfg.Auditor.Record(kind, attrs...)
	}
}

// TLSConfig returns the server TLS configuration: TLS 1.3 only, a client
// certificate required (verified against clientCAs when given), its
// SHA-256 fingerprint on the allowlist and the certificate inside its
// validity period (also without clientCAs: pinning a certificate does not
// extend its life); others fail the handshake, audited as "x1.refused".
func (s *Server) TLSConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	base := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAnyClientCert,
	}
	if clientCAs != nil {
		base.ClientAuth = tls.RequireAndVerifyClientCert
		base.ClientCAs = clientCAs
	}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetConfigForClient = nil
		remote := ""
		if hello.Conn != nil {
			remote = hello.Conn.RemoteAddr().String()
		}
		c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				s.audit("x1.refused", slog.String("remote", remote), slog.String("reason", "no client certificate"))
				return errors.New("x1: client certificate required")
			}
			fp := Fingerprint(raw[0])
			if !s.cfg.Allow[fp] {
				s.audit("x1.refused", slog.String("remote", remote), slog.String("fprint", fp),
					slog.String("reason", "client certificate not on the allowlist"))
				s.log.Warn("X1 client certificate refused", "remote", remote)
				return errors.New("x1: client certificate not allowed")
			}
			cert, err := x509.ParseCertificate(raw[0])
			if err != nil {
				s.audit("x1.refused", slog.String("remote", remote), slog.String("fprint", fp), slog.String("reason", "client certificate unreadable"))
				return fmt.Errorf("x1: client certificate: %w", err)
			}
			now := time.Now()
			if c.Time != nil {
				now = c.Time()
			}
			if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
				s.audit("x1.refused", slog.String("remote", remote), slog.String("fprint", fp),
					slog.String("reason", "client certificate expired or not yet valid"))
				s.log.Warn("X1 client certificate refused: outside its validity period", "remote", remote)
				return errors.New("x1: client certificate expired or not yet valid")
			}
			return nil
		}
		return c, nil
	}
	return base
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// outcome of one request, for the response and the audit record.
type outcome struct {
	resp   *Response
	result string // accepted, pending, refused
	reason string
	xid    string
	liid   string
	keyID  string
}

func (s *Server) errResp(req *Request, code int, format string, args ...any) *outcome {
	desc := fmt.Sprintf(format, args...)
	return &outcome{
		resp: &Response{Type: "ErrorResponse", Envelope: s.respEnv(req), RequestMessageType: req.Type,
			ErrorCode: code, ErrorDescription: desc},
		result: "refused", reason: desc,
	}
}

func (s *Server) respEnv(req *Request) Envelope {
	return Envelope{ADMF: req.ADMF, NE: s.neID(req), Timestamp: Timestamp(s.cfg.Now()), Version: Version, TransactionID: req.TransactionID}
}

func (s *Server) neID(req *Request) string {
	if s.cfg.NE != "" {
		return s.cfg.NE
	}
	return req.NE
}

func (s *Server) ok(req *Request, v string) *outcome {
	return &outcome{resp: &Response{Type: ResponseType(req.Type), Envelope: s.respEnv(req), OK: v}, result: "accepted"}
}

func writeXML(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // client gone
}

// ServeHTTP handles one X1 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.cfg.Path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "X1 requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	// Defence in depth: the TLS layer already refused unlisted
	// certificates; a handler mounted elsewhere must not trust that.
	fp := ""
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		fp = Fingerprint(r.TLS.PeerCertificates[0].Raw)
	}
	if fp == "" || !s.cfg.Allow[fp] {
		reason := "client certificate not on the allowlist"
		if fp == "" {
			reason = "no client certificate"
		}
		s.audit("x1.refused", slog.String("remote", r.RemoteAddr), slog.String("fprint", fp), slog.String("reason", reason))
		http.Error(w, "forbidden: "+reason, http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxDocument+1))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	req, perr := ParseRequest(body)
	if perr != nil {
		s.audit("x1.request", slog.String("fprint", fp), slog.String("key", r.Header.Get(sign.HeaderKeyID)),
			slog.String("result", "refused"), slog.Int("code", ErrSyntax), slog.String("reason", perr.Error()))
		writeXML(w, http.StatusOK, EncodeResponse(&Response{TopLevelError: true,
			Envelope:  Envelope{NE: s.cfg.NE, Timestamp: Timestamp(s.cfg.Now()), Version: Version},
			ErrorCode: ErrSyntax, ErrorDescription: perr.Error()}))
		return
	}
	out := s.handle(r, fp, req, body)
	attrs := []slog.Attr{
		slog.String("fprint", fp), slog.String("key", out.keyID), slog.String("type", req.Type),
		slog.String("txid", req.TransactionID), slog.String("result", out.result),
	}
	if out.xid != "" {
		attrs = append(attrs, slog.String("xid", out.xid))
	}
	if out.liid != "" {
		attrs = append(attrs, slog.String("liid", out.liid))
	}
	if out.resp.ErrorCode != 0 {
		attrs = append(attrs, slog.Int("code", out.resp.ErrorCode))
	}
	if out.reason != "" {
		attrs = append(attrs, slog.String("reason", out.reason))
	}
	s.audit("x1.request", attrs...)
	s.log.Info("X1 request", "type", req.Type, "result", out.result)
	writeXML(w, http.StatusOK, EncodeResponse(out.resp))
}

func requiredRole(t string) (sign.Role, bool) {
	switch t {
	case ActivateTask, ModifyTask, DeactivateTask, CreateDestination, RemoveDestination:
		return sign.RoleAdmin, true
	case GetTaskDetails, ListAllDetails:
		return sign.RoleViewer, true
	}
	return "", false // Ping, unsupported: mTLS only
}

func (s *Server) handle(r *http.Request, fp string, req *Request, body []byte) *outcome {
	role, signed := requiredRole(req.Type)
	var key *sign.Key
	if signed {
		k, err := s.cfg.Verifier.Verify(r.Method, r.URL.Path, r.Header, body)
		if err != nil {
			o := s.errResp(req, ErrGeneric, "%v", err)
			o.keyID = r.Header.Get(sign.HeaderKeyID)
			return o
		}
		key = k
		if !key.Has(role) {
			o := s.errResp(req, ErrGeneric, "signature refused (%s): key %q lacks role %s for %s", sign.WrongRole, key.ID, role, req.Type)
			o.keyID = key.ID
			return o
		}
	}
	o := s.dispatch(req, key, fp)
	if key != nil {
		o.keyID = key.ID
	}
	return o
}

func (s *Server) dispatch(req *Request, key *sign.Key, fp string) *outcome {
	if !strings.HasPrefix(req.Version, "v1.") {
		return s.errResp(req, ErrUnsupportedVersion, "version %q not supported (v1.x)", req.Version)
	}
	if s.cfg.NE != "" && req.NE != s.cfg.NE {
		return s.errResp(req, ErrUnexpectedNE, "neIdentifier %q is not this element", req.NE)
	}
	if s.cfg.ADMF != "" && req.ADMF != s.cfg.ADMF {
		return s.errResp(req, ErrUnexpectedADMF, "admfIdentifier %q is not the expected ADMF", req.ADMF)
	}
	switch req.Type {
	case Ping:
		return s.ok(req, OKCompleted)
	case ActivateTask, ModifyTask:
		return s.activateOrModify(req, key, fp)
	case DeactivateTask:
		return s.deactivate(req, key)
	case GetTaskDetails:
		return s.getTask(req)
	case ListAllDetails:
		return s.listAll(req)
	case CreateDestination:
		return s.createDest(req, key)
	case RemoveDestination:
		return s.removeDest(req, key)
	}
	return s.errResp(req, ErrUnsupportedRequest, "request type %q not supported", req.Type)
}

// taskFromDetails validates task details and converts them.
func (s *Server) taskFromDetails(req *Request, failCode int) (store.Task, *outcome) {
	td := req.Task
	var t store.Task
	if td == nil {
		return t, s.errResp(req, ErrSyntax, "taskDetails missing")
	}
	if !uuidRE.MatchString(td.XID) {
		return t, s.errResp(req, ErrSyntax, "xId must be a UUID")
	}
	t.XID = strings.ToLower(td.XID)
	if len(td.Targets) == 0 {
		return t, s.errResp(req, failCode, "no targetIdentifiers")
	}
	for _, tg := range td.Targets {
		if tg.Other != "" || tg.E164 == "" {
			return t, s.errResp(req, ErrUnsupportedTarget, "only e164Number target identifiers are supported (got %q)", tg.Other)
		}
		n := strings.TrimPrefix(tg.E164, "+")
		if len(n) < 3 || len(n) > 15 || strings.Trim(n, "0123456789") != "" {
			return t, s.errResp(req, failCode, "e164Number must be 3..15 digits")
		}
		if s.cfg.Plan != nil {
			if _, err := s.cfg.Plan.CanonicalTarget("+" + n); err != nil {
				return t, s.errResp(req, failCode, "target does not normalise under the numbering plan")
			}
		}
		t.Targets = append(t.Targets, "+"+n)
	}
	switch td.DeliveryType {
	case X2Only:
		t.Delivery = warrant.IRIOnly
	case X2andX3:
		t.Delivery = warrant.IRIAndCC
	case X3Only:
		return t, s.errResp(req, ErrInvalidDeliveryAndDestination, "X3Only not supported: content is delivered with its IRI")
	default:
		return t, s.errResp(req, ErrSyntax, "deliveryType %q (X2Only, X2andX3)", td.DeliveryType)
	}
	if len(td.DIDs) == 0 {
		return t, s.errResp(req, ErrInvalidDeliveryAndDestination, "listOfDIDs is empty")
	}
	for _, d := range td.DIDs {
		dd, ok, err := s.cfg.Store.Destination(strings.ToLower(d))
		if err != nil {
			return t, s.errResp(req, failCode, "store: %v", err)
		}
		if !ok {
			return t, s.errResp(req, ErrDIDNotFound, "dId %s does not exist", d)
		}
		if t.Delivery == warrant.IRIAndCC && dd.DeliveryType == X2Only {
			return t, s.errResp(req, ErrInvalidDeliveryAndDestination, "dId %s takes X2 only; task wants X2andX3", d)
		}
		t.DIDs = append(t.DIDs, strings.ToLower(d))
	}
	if len(td.Mediation) != 1 {
		return t, s.errResp(req, failCode, "exactly one mediationDetails (LIID, StartTime, EndTime) is required")
	}
	m := td.Mediation[0]
	if l := len(m.LIID); l < 1 || l > 25 || strings.TrimFunc(m.LIID, func(r rune) bool { return r > 0x20 && r < 0x7f }) != "" {
		return t, s.errResp(req, failCode, "LIID must be 1..25 printable characters")
	}
	t.LIID = m.LIID
	now := s.cfg.Now()
	t.Start = now.UTC().Truncate(time.Second)
	if m.Start != "" {
		st, err := time.Parse(time.RFC3339Nano, m.Start)
		if err != nil {
			return t, s.errResp(req, ErrSyntax, "StartTime: %v", err)
		}
		t.Start = st.UTC()
	}
	if m.End == "" {
		return t, s.errResp(req, failCode, "EndTime is required: a warrant has a validity window")
	}
	et, err := time.Parse(time.RFC3339Nano, m.End)
	if err != nil {
		return t, s.errResp(req, ErrSyntax, "EndTime: %v", err)
	}
	t.End = et.UTC()
	if !t.End.After(t.Start) || !t.End.After(now) {
		return t, s.errResp(req, failCode, "EndTime must be after StartTime and in the future")
	}
	for _, rn := range strings.Fields(td.NumberRoles) {
		r, ok := warrant.ParseRole(rn)
		if !ok {
			return t, s.errResp(req, failCode, "unknown number role %q (%s)", rn, strings.Join(warrant.RoleNames(), ", "))
		}
		t.Roles |= r
	}
	if t.Roles == warrant.RoleAll {
		t.Roles = 0 // one spelling of "every role", so two signers' details compare equal
	}
	if len(td.UnknownExt) > 0 {
		return t, s.errResp(req, failCode, "taskDetailsExtensions owned by %q not supported", td.UnknownExt[0])
	}
	t.State = store.StateActive
	return t, nil
}

// detailsHash is the identity of a command's task details for the
// two-person rule: the second signer must sign the same details.
func detailsHash(op string, t store.Task) string {
	c := struct {
		Op       string
		XID      string
		LIID     string
		Targets  []string
		Roles    warrant.Role
		Start    time.Time
		End      time.Time
		Delivery warrant.Delivery
		DIDs     []string
	}{op, t.XID, t.LIID, t.Targets, t.Roles, t.Start.UTC(), t.End.UTC(), t.Delivery, t.DIDs}
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (s *Server) activateOrModify(req *Request, key *sign.Key, fp string) *outcome {
	fail := ErrActivateFailure
	if req.Type == ModifyTask {
		fail = ErrModifyFailure
	}
	t, bad := s.taskFromDetails(req, fail)
	if bad != nil {
		if req.Task != nil {
			bad.xid = req.Task.XID
		}
		return bad
	}
	withIDs := func(o *outcome) *outcome { o.xid, o.liid = t.XID, t.LIID; return o }
	old, exists, err := s.cfg.Store.Task(t.XID)
	if err != nil {
		return withIDs(s.errResp(req, fail, "store: %v", err))
	}
	if req.Type == ActivateTask && exists {
		return withIDs(s.errResp(req, ErrXIDExists, "xId %s already exists", t.XID))
	}
	if req.Type == ModifyTask && (!exists || old.State != store.StateActive) {
		return withIDs(s.errResp(req, ErrXIDNotFound, "xId %s is not an active task", t.XID))
	}
	if req.Type == ModifyTask && old.LIID != t.LIID {
		return withIDs(s.errResp(req, fail, "the LIID of a task cannot change"))
	}
	now := s.cfg.Now()
	if !s.cfg.TwoPerson {
		t.SignedBy = []string{key.ID}
		if req.Type == ActivateTask {
			t.Created, t.Modified = now, now
			if err := s.cfg.Store.CreateTask(t); err != nil {
				return withIDs(s.storeErr(req, fail, err))
			}
			s.audit("warrant.activated", slog.String("xid", t.XID), slog.String("liid", t.LIID),
				slog.String("signed_by", key.ID), slog.Time("start", t.Start), slog.Time("end", t.End), slog.String("delivery", t.Delivery.String()))
		} else {
			_, err := s.cfg.Store.UpdateTask(t.XID, func(cur *store.Task) error {
				if cur.State != store.StateActive {
					return store.ErrNotFound
				}
				t.Created, t.Modified, t.Modifications = cur.Created, now, cur.Modifications+1
				*cur = t
				return nil
			})
			if err != nil {
				return withIDs(s.storeErr(req, fail, err))
			}
			s.audit("warrant.modified", slog.String("xid", t.XID), slog.String("liid", t.LIID),
				slog.String("signed_by", key.ID), slog.Time("start", t.Start), slog.Time("end", t.End), slog.String("delivery", t.Delivery.String()))
		}
		return withIDs(s.ok(req, OKCompleted))
	}

	// Two-person rule.
	h := detailsHash(req.Type, t)
	p, pending, err := s.cfg.Store.PendingFor(t.XID)
	if err != nil {
		return withIDs(s.errResp(req, fail, "store: %v", err))
	}
	if !pending || p.Op != req.Type || (p.Hash != h && p.SignedBy == key.ID) {
		// First signature (or the first signer replacing their own
		// pending command).
		if pending && p.Op != req.Type {
			return withIDs(s.errResp(req, fail, "xId %s has a pending %s awaiting approval", t.XID, p.Op))
		}
		t.SignedBy = []string{key.ID}
		if err := s.cfg.Store.PutPending(store.Pending{XID: t.XID, Op: req.Type, Hash: h, Task: t, SignedBy: key.ID, Fprint: fp, Time: now}); err != nil {
			return withIDs(s.errResp(req, fail, "store: %v", err))
		}
		s.audit("warrant.pending", slog.String("xid", t.XID), slog.String("liid", t.LIID), slog.String("op", req.Type),
			slog.String("signed_by", key.ID))
		o := withIDs(s.ok(req, OKAcknowledged))
		o.result = "pending"
		o.reason = "awaiting a second li-admin signature"
		return o
	}
	if p.Hash != h {
		return withIDs(s.errResp(req, fail, "xId %s awaits approval of different task details; sign the pending details or have %s replace them", t.XID, p.SignedBy))
	}
	if p.SignedBy == key.ID {
		return withIDs(s.errResp(req, fail, "two-person rule: the second signature must come from a different li-admin key than %s", p.SignedBy))
	}
	nt, err := s.cfg.Store.ApprovePending(t.XID, h, key.ID, now)
	if err != nil {
		return withIDs(s.storeErr(req, fail, err))
	}
	kind := "warrant.activated"
	if req.Type == ModifyTask {
		kind = "warrant.modified"
	}
	s.audit(kind, slog.String("xid", nt.XID), slog.String("liid", nt.LIID), slog.String("signed_by", strings.Join(nt.SignedBy, ",")),
		slog.Time("start", nt.Start), slog.Time("end", nt.End), slog.String("delivery", nt.Delivery.String()))
	o := withIDs(s.ok(req, OKCompleted))
	o.reason = "approved by second signer"
	return o
}

func (s *Server) storeErr(req *Request, fail int, err error) *outcome {
	switch {
	case errors.Is(err, store.ErrExists):
		return s.errResp(req, ErrXIDExists, "%v", err)
	case errors.Is(err, store.ErrNotFound):
		return s.errResp(req, ErrXIDNotFound, "%v", err)
	}
	return s.errResp(req, fail, "%v", err)
}

func (s *Server) deactivate(req *Request, key *sign.Key) *outcome {
	xid := strings.ToLower(req.XID)
	var liid string
	t, err := s.cfg.Store.UpdateTask(xid, func(t *store.Task) error {
		if t.State != store.StateActive {
			return store.ErrNotFound
		}
		liid = t.LIID
		t.State = store.StateDeactivated
		t.Modified = s.cfg.Now()
		return nil
	})
	if err != nil {
		// A pending (never active) activation is withdrawn instead.
		if p, ok, _ := s.cfg.Store.PendingFor(xid); ok && errors.Is(err, store.ErrNotFound) {
			if err := s.cfg.Store.DeletePending(xid); err == nil {
				s.audit("warrant.pending_withdrawn", slog.String("xid", xid), slog.String("liid", p.Task.LIID), slog.String("signed_by", key.ID))
				o := s.ok(req, OKCompleted)
				o.xid, o.liid = xid, p.Task.LIID
				return o
			}
		}
		o := s.errResp(req, ErrXIDNotFound, "xId %s is not an active task", xid)
		o.xid = xid
		return o
	}
	s.cfg.Store.DeletePending(xid) //nolint:errcheck // a pending modify of a stopped task is moot
	s.audit("warrant.deactivated", slog.String("xid", xid), slog.String("liid", liid), slog.String("signed_by", key.ID))
	o := s.ok(req, OKCompleted)
	o.xid, o.liid = xid, t.LIID
	return o
}

// Provisioning status values reported in taskStatus.
const (
	StatusComplete         = "complete"
	StatusAwaitingApproval = "awaitingApproval"
	StatusDeactivated      = "deactivated"
	StatusExpired          = "expired"
)

// TaskToDetails converts a stored task to X1 task details.
func TaskToDetails(t store.Task) *TaskDetails {
	td := &TaskDetails{XID: t.XID, DIDs: t.DIDs}
	for _, n := range t.Targets {
		td.Targets = append(td.Targets, Target{E164: strings.TrimPrefix(n, "+")})
	}
	md := "HI2Only"
	td.DeliveryType = X2Only
	if t.Delivery == warrant.IRIAndCC {
		td.DeliveryType, md = X2andX3, "HI2andHI3"
	}
	td.Mediation = []Mediation{{LIID: t.LIID, DeliveryType: md, Start: t.Start.UTC().Format(time.RFC3339Nano), End: t.End.UTC().Format(time.RFC3339Nano)}}
	if t.Roles != 0 {
		td.NumberRoles = strings.ReplaceAll(t.Roles.String(), "|", " ")
	}
	return td
}

func (s *Server) getTask(req *Request) *outcome {
	xid := strings.ToLower(req.XID)
	t, ok, err := s.cfg.Store.Task(xid)
	if err != nil {
		return s.errResp(req, ErrGeneric, "store: %v", err)
	}
	st := &TaskStatus{}
	if ok {
		st.ProvisioningStatus = map[store.State]string{store.StateActive: StatusComplete,
			store.StateDeactivated: StatusDeactivated, store.StateExpired: StatusExpired}[t.State]
		st.LastModification = Timestamp(t.Modified)
		st.Modifications = t.Modifications
	} else {
		p, pok, err := s.cfg.Store.PendingFor(xid)
		if err != nil || !pok {
			o := s.errResp(req, ErrXIDNotFound, "xId %s does not exist", xid)
			o.xid = xid
			return o
		}
		t = p.Task
		st.ProvisioningStatus = StatusAwaitingApproval
		st.LastModification = Timestamp(p.Time)
	}
	o := &outcome{resp: &Response{Type: ResponseType(req.Type), Envelope: s.respEnv(req), Task: TaskToDetails(t), Status: st},
		result: "accepted", xid: xid, liid: t.LIID}
	return o
}

func (s *Server) listAll(req *Request) *outcome {
	ts, err := s.cfg.Store.Tasks()
	if err != nil {
		return s.errResp(req, ErrGeneric, "store: %v", err)
	}
	ps, err := s.cfg.Store.PendingAll()
	if err != nil {
		return s.errResp(req, ErrGeneric, "store: %v", err)
	}
	ds, err := s.cfg.Store.Destinations()
	if err != nil {
		return s.errResp(req, ErrGeneric, "store: %v", err)
	}
	r := &Response{Type: ResponseType(req.Type), Envelope: s.respEnv(req)}
	for _, t := range ts {
		if t.State == store.StateActive {
			r.XIDs = append(r.XIDs, t.XID)
		}
	}
	for _, p := range ps {
		if !slices.Contains(r.XIDs, p.XID) {
			r.XIDs = append(r.XIDs, p.XID)
		}
	}
	slices.Sort(r.XIDs)
	for _, d := range ds {
		r.DIDs = append(r.DIDs, d.DID)
	}
	return &outcome{resp: r, result: "accepted"}
}

func (s *Server) createDest(req *Request, key *sign.Key) *outcome {
	d := req.Destination
	if d == nil {
		return s.errResp(req, ErrSyntax, "destinationDetails missing")
	}
	if !uuidRE.MatchString(d.DID) {
		return s.errResp(req, ErrSyntax, "dId must be a UUID")
	}
	if d.FriendlyName == "" {
		return s.errResp(req, ErrCreateDestinationFailure, "friendlyName must name a configured LEMF destination")
	}
	if s.cfg.LEMF != nil && !s.cfg.LEMF(d.FriendlyName) {
		return s.errResp(req, ErrCreateDestinationFailure, "friendlyName %q is not a configured LEMF destination", d.FriendlyName)
	}
	switch d.DeliveryType {
	case X2Only, X2andX3, X3Only:
	default:
		return s.errResp(req, ErrSyntax, "deliveryType %q", d.DeliveryType)
	}
	rec := store.Destination{DID: strings.ToLower(d.DID), FriendlyName: d.FriendlyName, DeliveryType: d.DeliveryType, Address: d.Address.String()}
	if err := s.cfg.Store.CreateDestination(rec); err != nil {
		if errors.Is(err, store.ErrExists) {
			return s.errResp(req, ErrDIDExists, "dId %s already exists", rec.DID)
		}
		return s.errResp(req, ErrCreateDestinationFailure, "%v", err)
	}
	s.audit("destination.created", slog.String("did", rec.DID), slog.String("lemf", rec.FriendlyName), slog.String("signed_by", key.ID))
	return s.ok(req, OKCompleted)
}

func (s *Server) removeDest(req *Request, key *sign.Key) *outcome {
	did := strings.ToLower(req.DID)
	if err := s.cfg.Store.RemoveDestination(did); err != nil {
		switch {
		case errors.Is(err, store.ErrNotFound):
			return s.errResp(req, ErrDIDNotFound, "dId %s does not exist", did)
		case errors.Is(err, store.ErrInUse):
			return s.errResp(req, ErrDestinationInUse, "dId %s is used by an active task", did)
		}
		return s.errResp(req, ErrRemoveDestinationFailure, "%v", err)
	}
	s.audit("destination.removed", slog.String("did", did), slog.String("signed_by", key.ID))
	return s.ok(req, OKCompleted)
}
