// Package audit is the tamper-evident audit trail of the intercept plane.
//
// The file is JSON lines, append-only, one record per line:
//
//	{"seq":N,"time":"RFC 3339 UTC","kind":"...","attrs":{...},"prev":"<hex>"}
//
// seq counts from 1 without gaps; prev is the SHA-256 of the previous line's
// exact bytes (without its newline; 64 zeros for the first record). The
// canonical bytes of a record are therefore its line as written: verify
// hashes the lines, never a re-encoding.
//
// Every record is signed with the node's Ed25519 key: the line is written
// without its signature, signed, and the signature spliced in as a last
// member `,"sig":"<base64>"}`. Stripping that member gives back the signed
// bytes. Since prev chains every earlier line, each signature covers the
// whole file up to its record: no record, not even the last one, can be
// rewritten and re-chained without the key.
//
// Every N records, when the file is reopened and on Close, a checkpoint
// record (kind "checkpoint", attrs count, reason, key) is appended: it names
// the signing key and marks a clean end ("shutdown").
//
// The file alone cannot show that it was cut back to an earlier clean end
// or deleted. An external anchor (AnchorStore, the hi1 bbolt store) keeps
// the seq and hash of the last checkpoint; Auditor.Anchor compares the file
// with it after Open and records an "audit.discontinuity" when the anchored
// record is missing or differs, and VerifyAnchored checks a file against it.
//
// A file that does not end with a "shutdown" checkpoint was cut short
// (crash or truncation): Verify reports it as not clean; a reopened file
// gets a checkpoint with reason "reopen" plus an "audit.unclean" record. A
// file whose last record was cut mid-line is moved aside (FILE.damaged.N,
// kept as evidence) and a new chain is started whose first record names it.
//
// Records carry what happened and who did it (certificate fingerprint, key
// id, LIID, CIN, destination name) — never target numbers or content.
package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kinds written by the auditor itself.
const (
	KindCheckpoint = "checkpoint"
	KindUnclean    = "audit.unclean"
	// KindDiscontinuity: the file does not reach the record anchored in
	// the store (cut back or replaced); attrs expected_seq, found_seq.
	KindDiscontinuity = "audit.discontinuity"
)

// Checkpoint reasons.
const (
	ReasonPeriodic = "periodic"
	ReasonReopen   = "reopen"
	ReasonShutdown = "shutdown"
)

// DefaultEvery is the default number of records between checkpoints.
const DefaultEvery = 100

// zeroHash is prev of the first record.
var zeroHash = [32]byte{}

// KeyID names an Ed25519 public key in checkpoints: the hex of the first 8
// bytes of the SHA-256 of the raw 32-byte key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Options configure an Auditor.
type Options struct {
	// Key signs checkpoints (required).
	Key ed25519.PrivateKey
	// Every is the number of records between checkpoints (default
	// DefaultEvery).
	Every int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives write failures (never record contents). Nil discards.
	Logger *slog.Logger
	// NoSync skips fsync (tests only).
	NoSync bool
	// Metrics registers tdmtap_audit_healthy, tdmtap_audit_write_errors_total,
	// tdmtap_audit_records_dropped_total and tdmtap_audit_anchor_errors_total
	// (nil: not registered).
	Metrics prometheus.Registerer
}

// AnchorStore keeps the audit file's anchor outside the file: the seq and
// SHA-256 of a record the file must still contain (hi/hi1/store.Store).
type AnchorStore interface {
	AuditAnchor() (seq uint64, hash [32]byte, ok bool, err error)
	SetAuditAnchor(seq uint64, hash [32]byte) error
}

// Anchor is the externally kept seq and line hash of an audit record.
type Anchor struct {
	Seq  uint64
	Hash [32]byte
}

// Auditor appends records to the audit file. It is safe for concurrent use.
// Record fsyncs before it returns.
type Auditor struct {
	opt  Options
	log  *slog.Logger
	kid  string
	mu   sync.Mutex
	f    *os.File
	seq  uint64
	prev [32]byte
	n    int // records since the last checkpoint
	err  error
	buf  []byte

	path     string
	openSeq  uint64   // the file's last seq when opened (0: empty or new chain)
	openHash [32]byte // and its line's hash
	anchor   AnchorStore

	healthy   prometheus.Gauge
	writeErrs prometheus.Counter
	dropped   prometheus.Counter
	anchorErr prometheus.Counter
}

func (a *Auditor) initMetrics(reg prometheus.Registerer) error {
	a.healthy = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "tdmtap", Subsystem: "audit", Name: "healthy",
		Help: "1 while the audit chain is being written; 0 after a write or fsync failure (later records are dropped)."})
	a.writeErrs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tdmtap", Subsystem: "audit", Name: "write_errors_total",
		Help: "Audit file write, fsync or close failures."})
	a.dropped = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tdmtap", Subsystem: "audit", Name: "records_dropped_total",
		Help: "Audit records not written because the chain had failed or was closed."})
	a.anchorErr = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tdmtap", Subsystem: "audit", Name: "anchor_errors_total",
		Help: "Failures to update the audit anchor in the hi1 store."})
	a.healthy.Set(1)
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{a.healthy, a.writeErrs, a.dropped, a.anchorErr} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("audit: metrics: %w", err)
		}
	}
	return nil
}

// fail records the chain's first failure.
func (a *Auditor) fail(err error) {
	a.err = err
	a.writeErrs.Inc()
	a.healthy.Set(0)
}

// Open opens (creating if needed) the audit file at path and continues its
// chain. An existing file's chain is not re-verified (use Verify), but its
// last line must parse so the chain can continue.
func Open(path string, opt Options) (*Auditor, error) {
	if len(opt.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: signing key required")
	}
	if opt.Every <= 0 {
		opt.Every = DefaultEvery
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open: %w", err)
	}
	a := &Auditor{opt: opt, log: log, f: f, path: path, kid: KeyID(opt.Key.Public().(ed25519.PublicKey))}
	if err := a.initMetrics(opt.Metrics); err != nil {
		f.Close()
		return nil, err
	}
	last, complete, err := lastLine(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	var r struct {
		Seq  uint64 `json:"seq"`
		Kind string `json:"kind"`
		Attr struct {
			Reason string `json:"reason"`
		} `json:"attrs"`
	}
	if last != nil && (!complete || json.Unmarshal(last, &r) != nil || r.Seq == 0) {
		// A crash cut the last record: the chain cannot continue after a
		// partial line. Keep the damaged file as evidence (Verify names the
		// cut) and start a new chain whose first record points at it.
		f.Close()
		moved := fmt.Sprintf("%s.damaged.%d", path, opt.Now().UnixNano())
		if err := os.Rename(path, moved); err != nil {
			return nil, fmt.Errorf("audit: %s: last record cut; moving it aside: %w", path, err)
		}
		log.Error("audit file ended mid-record; moved aside, new chain started", "moved_to", moved)
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			return nil, fmt.Errorf("audit: open: %w", err)
		}
		a.f = f
		a.mu.Lock()
		a.appendLocked(KindUnclean, []slog.Attr{slog.String("detail", "previous audit file ended mid-record"), slog.String("previous_file", moved)})
		err = a.err
		a.mu.Unlock()
		if err != nil {
			f.Close()
			return nil, err
		}
		return a, nil
	}
	if last != nil {
		a.seq = r.Seq
		a.prev = sha256.Sum256(last)
		a.openSeq, a.openHash = a.seq, a.prev
		clean := r.Kind == KindCheckpoint && r.Attr.Reason == ReasonShutdown
		a.mu.Lock()
		if !clean {
			a.appendLocked(KindUnclean, []slog.Attr{slog.String("detail", "previous run ended without a shutdown checkpoint")})
		}
		a.checkpointLocked(ReasonReopen)
		err = a.err
		a.mu.Unlock()
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	return a, nil
}

// lastLine returns the last non-empty line of f (nil for an empty file)
// and whether the file ends with a newline.
func lastLine(f *os.File) ([]byte, bool, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	size := st.Size()
	if size == 0 {
		return nil, true, nil
	}
	var lastByte [1]byte
	if _, err := f.ReadAt(lastByte[:], size-1); err != nil {
		return nil, false, err
	}
	complete := lastByte[0] == '\n'
	l, err := lastLineOf(f, size)
	return l, complete, err
}

func lastLineOf(f *os.File, size int64) ([]byte, error) {
	const chunk = 64 << 10
	var tail []byte
	for off := size; off > 0; {
		n := int64(chunk)
		if off < n {
			n = off
		}
		off -= n
		b := make([]byte, n)
		if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
			return nil, err
		}
		tail = append(b, tail...)
		t := bytes.TrimRight(tail, "\n")
		if i := bytes.LastIndexByte(t, '\n'); i >= 0 {
			return t[i+1:], nil
		}
		if off == 0 {
			return t, nil
		}
	}
	return nil, nil
}

// Record appends one record and fsyncs. It implements the Auditor hooks of
// bridge and hi/deliver. Failures are logged and kept (see Err); they never
// panic.
func (a *Auditor) Record(kind string, attrs ...slog.Attr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.appendLocked(kind, attrs)
	if a.n >= a.opt.Every {
		a.checkpointLocked(ReasonPeriodic)
	}
}

// Err returns the first write failure, if any.
func (a *Auditor) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Seq returns the sequence number of the last record written.
func (a *Auditor) Seq() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seq
}

// Close writes the shutdown checkpoint, fsyncs and closes the file.
func (a *Auditor) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return a.err
	}
	a.checkpointLocked(ReasonShutdown)
	if err := a.f.Close(); err != nil && a.err == nil {
		a.fail(fmt.Errorf("audit: close: %w", err))
	}
	a.f = nil
	return a.err
}

func (a *Auditor) appendLocked(kind string, attrs []slog.Attr) {
	b := a.encode(kind, attrs, a.seq+1)
	a.writeLocked(spliceSig(b, ed25519.Sign(a.opt.Key, b)))
}

func (a *Auditor) checkpointLocked(reason string) {
	count := a.seq + 1
	attrs := []slog.Attr{slog.Uint64("count", count), slog.String("reason", reason), slog.String("key", a.kid)}
	b := a.encode(KindCheckpoint, attrs, count)
	sig := ed25519.Sign(a.opt.Key, b)
	b = spliceSig(b, sig)
	if !a.writeLocked(b) {
		return
	}
	a.n = 0
	a.setAnchorLocked()
}

// setAnchorLocked stores the current record as the anchor (if anchored).
func (a *Auditor) setAnchorLocked() {
	if a.anchor == nil {
		return
	}
	if err := a.anchor.SetAuditAnchor(a.seq, a.prev); err != nil {
		a.anchorErr.Inc()
		a.log.Error("audit anchor not updated", "err", err)
	}
}

// spliceSig turns `{...}` into `{...,"sig":"<b64>"}`.
func spliceSig(b, sig []byte) []byte {
	out := make([]byte, 0, len(b)+100)
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"sig":"`...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	out = append(out, `"}`...)
	return out
}

func (a *Auditor) writeLocked(line []byte) bool {
	if a.f == nil {
		if a.err == nil {
			a.fail(errors.New("audit: closed"))
		}
		a.dropped.Inc()
		return false
	}
	if a.err != nil {
		// A failed write may have left a partial line: writing on would
		// hide the damage behind a valid-looking chain. Stay failed.
		a.dropped.Inc()
		a.log.Error("audit record not written: earlier failure", "err", a.err)
		return false
	}
	buf := append(append(a.buf[:0], line...), '\n')
	a.buf = buf
	if _, err := a.f.Write(buf); err != nil {
		a.fail(fmt.Errorf("audit: write: %w", err))
		a.dropped.Inc()
		a.log.Error("audit write failed", "err", err)
		return false
	}
	if !a.opt.NoSync {
		if err := a.f.Sync(); err != nil {
			a.fail(fmt.Errorf("audit: fsync: %w", err))
			a.dropped.Inc()
			a.log.Error("audit fsync failed", "err", err)
			return false
		}
	}
	a.seq++
	a.prev = sha256.Sum256(line)
	a.n++
	return true
}

// encode writes a record's line (without sig and newline).
func (a *Auditor) encode(kind string, attrs []slog.Attr, seq uint64) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"time":`...)
	b = appendString(b, a.opt.Now().UTC().Format(time.RFC3339Nano))
	b = append(b, `,"kind":`...)
	b = appendString(b, kind)
	b = append(b, `,"attrs":`...)
	b = appendAttrs(b, attrs)
	b = append(b, `,"prev":"`...)
	b = hex.AppendEncode(b, a.prev[:])
	b = append(b, `"}`...)
	return b
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // strings always marshal
	return append(b, q...)
}

func appendAttrs(b []byte, attrs []slog.Attr) []byte {
	b = append(b, '{')
	first := true
	for _, at := range attrs {
		if at.Equal(slog.Attr{}) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, at.Key)
		b = append(b, ':')
		b = appendValue(b, at.Value.Resolve())
	}
	return append(b, '}')
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		q, err := json.Marshal(v.Float64())
		if err != nil { // NaN, Inf
			return appendString(b, strconv.FormatFloat(v.Float64(), 'g', -1, 64))
		}
		return append(b, q...)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindTime:
		return appendString(b, v.Time().UTC().Format(time.RFC3339Nano))
	case slog.KindDuration:
		return appendString(b, v.Duration().String())
	case slog.KindGroup:
		return appendAttrs(b, v.Group())
	default:
		return appendString(b, fmt.Sprint(v.Any()))
	}
}

// readLines is a helper for Verify: it yields each line of r (without
// newline), and whether the file ended with a newline.
func readLines(r io.Reader, fn func(line []byte) error) (endsNL bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			nl := line[len(line)-1] == '\n'
			if nl {
				line = line[:len(line)-1]
			}
			endsNL = nl
			if err := fn(line); err != nil {
				return endsNL, err
			}
		}
		if err == io.EOF {
			return endsNL, nil
		}
		if err != nil {
			return endsNL, err
		}
	}
}
