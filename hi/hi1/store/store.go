// Package store is the durable warrant store of the intercept plane.
//
// It keeps, in one bbolt database (every write an fsync'd transaction):
//
//   - tasks: the provisioning record of each warrant (X1 task), keyed by
//     xId, with its LIID, targets, roles, validity window, delivery, LEMF
//     destinations (dIds) and state;
//   - destinations: X1 destinations (dId → friendly name = the configured
//     LEMF destination name, delivery type, address);
//   - pending: activations waiting for a second li-admin signature (the
//     two-person rule; see hi/hi1/x1);
//   - nonces: (key id, nonce) pairs of signed commands, so a restart does
//     not reopen the replay window;
//   - sessions: intercepts in progress (see Session), so a crash or upgrade
//     can pick calls up again.
//
// On Open the active warrant set is computed from the tasks and handed to
// OnChange; every change that alters it calls OnChange again with the new
// set (in order, never concurrently). Tick expires tasks whose end time has
// passed: they leave the active set, are marked expired, and an audit record
// "warrant.expired" is written. Run calls Tick once a second.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tdmtap/tdmtap/bridge/warrant"
)

// State of a task.
type State string

// Task states. Only StateActive tasks (before their end time) intercept.
const (
	StateActive      State = "active"
	StateDeactivated State = "deactivated"
	StateExpired     State = "expired"
)

// Task is the provisioning record of one warrant.
type Task struct {
	XID           string           `json:"xid"`
	LIID          string           `json:"liid"`
	Targets       []string         `json:"targets"` // E.164 numbers as provisioned
	Roles         warrant.Role     `json:"roles"`   // 0 = all roles
	Start         time.Time        `json:"start"`
	End           time.Time        `json:"end"`
	Delivery      warrant.Delivery `json:"delivery"`
	DIDs          []string         `json:"dids"`
	State         State            `json:"state"`
	Created       time.Time        `json:"created"`
	Modified      time.Time        `json:"modified"`
	Modifications int              `json:"modifications"`
	// SignedBy lists the key ids whose signatures made the current
	// version take effect (two under the two-person rule).
	SignedBy []string `json:"signed_by"`
}

// Destination is an X1 destination: where a task's product goes. Its
// FriendlyName names a LEMF destination of the configuration.
type Destination struct {
	DID          string `json:"did"`
	FriendlyName string `json:"friendly_name"`
	DeliveryType string `json:"delivery_type"` // X2Only, X3Only, X2andX3
	Address      string `json:"address"`       // host:port or URI, informational
}

// Pending is a command waiting for a second signature.
type Pending struct {
	XID      string    `json:"xid"`
	Op       string    `json:"op"`   // X1 request type, e.g. ActivateTaskRequest
	Hash     string    `json:"hash"` // hex SHA-256 of the canonical task details
	Task     Task      `json:"task"`
	SignedBy string    `json:"signed_by"`
	Fprint   string    `json:"fprint"` // client certificate fingerprint of the first signer
	Time     time.Time `json:"time"`
}

// Party is a call party of an intercept session (numbers as decoded).
type Party struct {
	Role   warrant.Role `json:"role"`
	NAI    uint8        `json:"nai"`
	Digits string       `json:"digits"`
}

// Session is an intercept in progress, as the bridge records it at start
// (and, optionally, at sequence-number checkpoints) and removes at end. On
// restart the bridge reloads them: a mid-call message (ANM, REL, …) for a
// circuit with no known call then finds the session's parties, LIID, CIN and
// next sequence numbers and continues the intercept instead of losing it.
type Session struct {
	LIID    string    `json:"liid"`
	CIN     uint32    `json:"cin"`
	NI      uint8     `json:"ni"`
	PCA     uint32    `json:"pca"` // circuit key: normalised point codes and CIC
	PCB     uint32    `json:"pcb"`
	CIC     uint16    `json:"cic"`
	CallID  uint64    `json:"call_id"`
	OrigPC  uint32    `json:"orig_pc"`
	Started time.Time `json:"started"`
	Parties []Party   `json:"parties"`
	IRISeq  uint32    `json:"iri_seq"` // next IRI sequence number
	CCSeq   uint32    `json:"cc_seq"`  // next CC sequence number
	Extra   []byte    `json:"extra,omitempty"`
}

// Auditor receives the store's own audit records (expiry).
type Auditor interface {
	Record(kind string, attrs ...slog.Attr)
}

// Options configure a Store.
type Options struct {
	Now      func() time.Time
	Auditor  Auditor
	OnChange func(active []warrant.Warrant)
	Logger   *slog.Logger
	// NonceTTL is how long a nonce is remembered (default 15 min; keep it
	// above the signature window).
	NonceTTL time.Duration
	// PendingTTL is how long an unapproved command waits (default 24 h).
	PendingTTL time.Duration
	// NoSync skips fsync (tests only).
	NoSync bool
}

// Errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInUse    = errors.New("destination in use by a task")
	// ErrSameSigner refuses an approval by the key that signed the
	// pending command (the two-person rule).
	ErrSameSigner = errors.New("the approving key signed the pending command")
)

var (
	bTasks    = []byte("tasks")
	bDests    = []byte("destinations")
	bPending  = []byte("pending")
	bNonces   = []byte("nonces")
	bSessions = []byte("sessions")
)

// Store is the durable warrant store. Safe for concurrent use.
type Store struct {
	db  *bolt.DB
	opt Options
	log *slog.Logger
	pub sync.Mutex // orders OnChange calls
}

// Open opens or creates the store at path and publishes the active set.
func Open(path string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NonceTTL <= 0 {
		opt.NonceTTL = 15 * time.Minute
	}
	if opt.PendingTTL <= 0 {
		opt.PendingTTL = 24 * time.Hour
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoSync: opt.NoSync})
	if err != nil {
		return nil, fmt.Errorf("hi1 store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bTasks, bDests, bPending, bNonces, bSessions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("hi1 store: %w", err)
	}
	s := &Store{db: db, opt: opt, log: log}
	// Tasks whose end passed while the node was down expire now (audited).
	if err := s.Tick(opt.Now()); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.publish(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func get[T any](tx *bolt.Tx, bucket []byte, key string) (T, bool, error) {
	var v T
	raw := tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return v, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("hi1 store: %s/%s: %w", bucket, keyName(bucket, []byte(key)), err)
	}
	return v, true, nil
}

// keyName names a record in an error. Session keys begin with the LIID,
// which must not reach ordinary logs: they are named by their CIN only.
func keyName(bucket, key []byte) string {
	if bytes.Equal(bucket, bSessions) {
		if len(key) >= 4 {
			return fmt.Sprintf("(session cin %d)", binary.BigEndian.Uint32(key[len(key)-4:]))
		}
		return "(session)"
	}
	return strconv.Quote(string(key))
}

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), raw)
}

func all[T any](tx *bolt.Tx, bucket []byte) ([]T, error) {
	var out []T
	err := tx.Bucket(bucket).ForEach(func(k, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("hi1 store: %s/%s: %w", bucket, keyName(bucket, k), err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// Task returns the task xid.
func (s *Store) Task(xid string) (Task, bool, error) {
	var t Task
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		t, ok, err = get[Task](tx, bTasks, xid)
		return
	})
	return t, ok, err
}

// Tasks returns every task (any state), ordered by xId.
func (s *Store) Tasks() ([]Task, error) {
	var ts []Task
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ts, err = all[Task](tx, bTasks)
		return
	})
	return ts, err
}

// CreateTask stores a new task; ErrExists if the xId is taken. Every dId
// must name an existing destination.
func (s *Store) CreateTask(t Task) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bTasks).Get([]byte(t.XID)) != nil {
			return fmt.Errorf("task %s: %w", t.XID, ErrExists)
		}
		if err := checkDIDs(tx, t.DIDs); err != nil {
			return err
		}
		return put(tx, bTasks, t.XID, t)
	})
	if err != nil {
		return err
	}
	return s.publish()
}

// UpdateTask replaces an existing task (ErrNotFound if absent) through fn,
// which receives the stored task and returns the new one.
func (s *Store) UpdateTask(xid string, fn func(t *Task) error) (Task, error) {
	var out Task
	err := s.db.Update(func(tx *bolt.Tx) error {
		t, ok, err := get[Task](tx, bTasks, xid)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("task %s: %w", xid, ErrNotFound)
		}
		if err := fn(&t); err != nil {
			return err
		}
		t.XID = xid
		if err := checkDIDs(tx, t.DIDs); err != nil {
			return err
		}
		out = t
		return put(tx, bTasks, xid, t)
	})
	if err != nil {
		return out, err
	}
	return out, s.publish()
}

func checkDIDs(tx *bolt.Tx, dids []string) error {
	for _, d := range dids {
		if tx.Bucket(bDests).Get([]byte(d)) == nil {
			return fmt.Errorf("destination %s: %w", d, ErrNotFound)
		}
	}
	return nil
}

// Destination returns the destination did.
func (s *Store) Destination(did string) (Destination, bool, error) {
	var d Destination
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		d, ok, err = get[Destination](tx, bDests, did)
		return
	})
	return d, ok, err
}

// Destinations returns every destination.
func (s *Store) Destinations() ([]Destination, error) {
	var ds []Destination
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ds, err = all[Destination](tx, bDests)
		return
	})
	return ds, err
}

// CreateDestination stores a new destination; ErrExists if taken.
func (s *Store) CreateDestination(d Destination) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bDests).Get([]byte(d.DID)) != nil {
			return fmt.Errorf("destination %s: %w", d.DID, ErrExists)
		}
		return put(tx, bDests, d.DID, d)
	})
}

// RemoveDestination deletes a destination no active task uses.
func (s *Store) RemoveDestination(did string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bDests).Get([]byte(did)) == nil {
			return fmt.Errorf("destination %s: %w", did, ErrNotFound)
		}
		ts, err := all[Task](tx, bTasks)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.State == StateActive && slices.Contains(t.DIDs, did) {
				return fmt.Errorf("destination %s: %w", did, ErrInUse)
			}
		}
		return tx.Bucket(bDests).Delete([]byte(did))
	})
}

// PutPending stores (replaces) the pending command for xid.
func (s *Store) PutPending(p Pending) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bPending, p.XID, p) })
}

// PendingFor returns the pending command for xid.
func (s *Store) PendingFor(xid string) (Pending, bool, error) {
	var p Pending
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		p, ok, err = get[Pending](tx, bPending, xid)
		return
	})
	return p, ok, err
}

// PendingAll returns every pending command.
func (s *Store) PendingAll() ([]Pending, error) {
	var ps []Pending
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ps, err = all[Pending](tx, bPending)
		return
	})
	return ps, err
}

// DeletePending removes the pending command for xid.
func (s *Store) DeletePending(xid string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bPending).Delete([]byte(xid)) })
}

// Pending operations (X1 request types).
const (
	OpActivate = "ActivateTaskRequest"
	OpModify   = "ModifyTaskRequest"
)

// ApprovePending atomically removes the pending command for xid and
// applies it (with signedBy appended to the first signer): OpActivate
// creates the task (ErrExists if the xId was taken meanwhile), OpModify
// replaces the active task (ErrNotFound if it is no longer active). The
// pending entry must still have hash (ErrNotFound otherwise) and have been
// signed by another key than signedBy (ErrSameSigner otherwise: checked
// here, in the transaction, so a pending command replaced since the caller
// looked cannot be approved by its own signer).
func (s *Store) ApprovePending(xid, hash, signedBy string, now time.Time) (Task, error) {
	var out Task
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, ok, err := get[Pending](tx, bPending, xid)
		if err != nil {
			return err
		}
		if !ok || p.Hash != hash {
			return fmt.Errorf("pending %s: %w", xid, ErrNotFound)
		}
		if p.SignedBy == signedBy {
			return fmt.Errorf("pending %s: %w", xid, ErrSameSigner)
		}
		t := p.Task
		t.SignedBy = append(t.SignedBy, signedBy)
		t.State = StateActive
		t.Created, t.Modified = now, now
		old, exists, err := get[Task](tx, bTasks, xid)
		if err != nil {
			return err
		}
		if p.Op == OpModify {
			if !exists || old.State != StateActive {
				return fmt.Errorf("task %s: %w", xid, ErrNotFound)
			}
			t.Created = old.Created
			t.Modifications = old.Modifications + 1
		} else if exists {
			return fmt.Errorf("task %s: %w", xid, ErrExists)
		}
		if err := checkDIDs(tx, t.DIDs); err != nil {
			return err
		}
		out = t
		if err := put(tx, bTasks, xid, t); err != nil {
			return err
		}
		return tx.Bucket(bPending).Delete([]byte(xid))
	})
	if err != nil {
		return out, err
	}
	return out, s.publish()
}

// UseNonce implements sign.NonceStore: it records (keyID, nonce) and
// reports whether it was new.
func (s *Store) UseNonce(keyID, nonce string, ts time.Time) (bool, error) {
	key := []byte(keyID + "\x00" + nonce)
	fresh := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bNonces)
		if b.Get(key) != nil {
			return nil
		}
		fresh = true
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(ts.Unix()))
		return b.Put(key, v[:])
	})
	return fresh, err
}

func sessionKey(liid string, cin uint32) []byte {
	k := make([]byte, 0, len(liid)+5)
	k = append(k, liid...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, cin)
}

// SessionStarted records an intercept in progress (replacing any record of
// the same LIID and CIN). SessionUpdated is the same write, for sequence
// number checkpoints.
func (s *Store) SessionStarted(se Session) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		raw, err := json.Marshal(se)
		if err != nil {
			return err
		}
		return tx.Bucket(bSessions).Put(sessionKey(se.LIID, se.CIN), raw)
	})
}

// SessionUpdated rewrites a session record.
func (s *Store) SessionUpdated(se Session) error { return s.SessionStarted(se) }

// SessionEnded removes a session record.
func (s *Store) SessionEnded(liid string, cin uint32) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).Delete(sessionKey(liid, cin))
	})
}

// Sessions returns the recorded sessions (for the bridge at start-up).
func (s *Store) Sessions() ([]Session, error) {
	var ss []Session
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ss, err = all[Session](tx, bSessions)
		return
	})
	return ss, err
}

// Active returns the warrants in force now or later: tasks in state active
// whose end time is after now, as bridge/warrant values (destinations are
// the dIds' friendly names, i.e. LEMF destination names).
func (s *Store) Active(now time.Time) ([]warrant.Warrant, error) {
	var ws []warrant.Warrant
	err := s.db.View(func(tx *bolt.Tx) error {
		ts, err := all[Task](tx, bTasks)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.State != StateActive || !now.Before(t.End) {
				continue
			}
			w := warrant.Warrant{LIID: t.LIID, Roles: t.Roles, Start: t.Start, End: t.End, Delivery: t.Delivery, File: ProvisionedFile + t.XID}
			if w.Roles == 0 {
				w.Roles = warrant.RoleAll
			}
			for _, n := range t.Targets {
				w.Targets = append(w.Targets, warrant.Target{Number: n})
			}
			for _, did := range t.DIDs {
				d, ok, err := get[Destination](tx, bDests, did)
				if err != nil {
					return err
				}
				if ok {
					w.Destinations = append(w.Destinations, d.FriendlyName)
				}
			}
			ws = append(ws, w)
		}
		return nil
	})
	sort.Slice(ws, func(i, j int) bool { return ws[i].LIID < ws[j].LIID })
	return ws, err
}

// ProvisionedFile prefixes the File of every warrant the store publishes
// (followed by the task's xId), so a consumer can tell provisioned warrants
// from the configuration file's.
const ProvisionedFile = "x1:"

// publish hands the active set to OnChange.
func (s *Store) publish() error {
	if s.opt.OnChange == nil {
		return nil
	}
	s.pub.Lock()
	defer s.pub.Unlock()
	ws, err := s.Active(s.opt.Now())
	if err != nil {
		return err
	}
	s.opt.OnChange(ws)
	return nil
}

// Tick expires tasks whose end time is at or before now (audited
// "warrant.expired", then the active set is republished), and forgets old
// nonces and unapproved commands.
func (s *Store) Tick(now time.Time) error {
	var expired []Task
	var dropped []Pending
	err := s.db.Update(func(tx *bolt.Tx) error {
		ts, err := all[Task](tx, bTasks)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.State == StateActive && !now.Before(t.End) {
				t.State = StateExpired
				t.Modified = now
				if err := put(tx, bTasks, t.XID, t); err != nil {
					return err
				}
				expired = append(expired, t)
			}
		}
		nb := tx.Bucket(bNonces)
		c := nb.Cursor()
		limit := now.Add(-s.opt.NonceTTL).Unix()
		var del [][]byte
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < limit {
				del = append(del, bytes.Clone(k))
			}
		}
		for _, k := range del {
			if err := nb.Delete(k); err != nil {
				return err
			}
		}
		ps, err := all[Pending](tx, bPending)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if now.Sub(p.Time) > s.opt.PendingTTL {
				if err := tx.Bucket(bPending).Delete([]byte(p.XID)); err != nil {
					return err
				}
				dropped = append(dropped, p)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("hi1 store: tick: %w", err)
	}
	for _, t := range expired {
		s.log.Info("warrant expired")
		if s.opt.Auditor != nil {
			s.opt.Auditor.Record("warrant.expired", slog.String("xid", t.XID), slog.String("liid", t.LIID),
				slog.Time("end", t.End), slog.Time("time", now))
		}
	}
	for _, p := range dropped {
		if s.opt.Auditor != nil {
			s.opt.Auditor.Record("warrant.approval_lapsed", slog.String("xid", p.XID), slog.String("liid", p.Task.LIID),
				slog.String("op", p.Op), slog.String("first_key", p.SignedBy))
		}
	}
	if len(expired) > 0 && s.db != nil {
		return s.publish()
	}
	return nil
}

// Run calls Tick every interval (default 1 s) until ctx ends.
func (s *Store) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Tick(s.opt.Now()); err != nil {
				s.log.Error("warrant store tick failed", "err", err)
			}
		}
	}
}

// Publisher installs the union of the static warrants (from the
// configuration file) and the store's active warrants in a warrant.Store.
// Use SetActive as the store's OnChange and SetStatic on configuration
// (re)load, so neither source clobbers the other. Targets that do not
// normalise are logged by count only (never the numbers).
type Publisher struct {
	Dst *warrant.Store
	Log *slog.Logger

	mu        sync.Mutex
	plan      warrant.NumberPlan
	static    []warrant.Warrant
	active    []warrant.Warrant
	onInstall func()
}

// SetOnInstall sets a function called after every installation of a new
// set (with the publisher's lock held, so calls are ordered): the daemon
// reconciles live intercepts with the new set there (bridge.Reconcile).
func (p *Publisher) SetOnInstall(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onInstall = fn
}

// SetStatic replaces the static warrants and the numbering plan and
// reinstalls the set; it returns the normalisation errors.
func (p *Publisher) SetStatic(plan warrant.NumberPlan, static []warrant.Warrant) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan, p.static = plan, static
	return p.installLocked()
}

// SetActive replaces the store's active warrants (the store's OnChange).
func (p *Publisher) SetActive(active []warrant.Warrant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active = active
	p.installLocked()
}

func (p *Publisher) installLocked() []error {
	ws := make([]warrant.Warrant, 0, len(p.static)+len(p.active))
	ws = append(ws, p.static...)
	ws = append(ws, p.active...)
	set, errs := warrant.NewSet(p.plan, ws)
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(errs) > 0 {
		log.Warn("warrant targets not normalised; left out", "count", len(errs))
	}
	p.Dst.Swap(set)
	log.Info("active warrants installed", "warrants", set.Len(), "provisioned", len(p.active))
	if p.onInstall != nil {
		p.onInstall()
	}
	return errs
}
