package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Problem is the first bad record found by Verify.
type Problem struct {
	Line   int    // 1-based line number in the file
	Seq    uint64 // the record's seq as written (0 if unreadable)
	Reason string
}

func (p *Problem) String() string {
	return fmt.Sprintf("line %d (seq %d): %s", p.Line, p.Seq, p.Reason)
}

// Report is the outcome of Verify.
type Report struct {
	Records     int    // lines checked and found good
	Checkpoints int    // good signed checkpoints
	LastSeq     uint64 // seq of the last good record
	// Unsigned is the number of good records after the last checkpoint
	// (each is signed itself; the name stays for the report's wording).
	Unsigned int
	// Clean reports that the file ends with a shutdown checkpoint. A file
	// that does not was truncated or its writer crashed.
	Clean bool
	// Bad is the first bad record (nil when the whole file is good).
	Bad *Problem
	// Discontinuities counts "audit.discontinuity" records: the writer
	// found at some start that records anchored in the store were gone.
	Discontinuities int
	// Anchor is set when VerifyAnchored's anchor names a record the file
	// does not reach (the file was cut back or replaced): it names the
	// missing range.
	Anchor string
	// Warnings are findings that do not break the chain (unclean restarts,
	// missing final checkpoint).
	Warnings []string
}

// OK reports whether the file verified with no bad record, ended cleanly,
// records no discontinuity and reaches the anchor (if one was given).
func (r *Report) OK() bool {
	return r.Bad == nil && r.Clean && r.Discontinuities == 0 && r.Anchor == ""
}

type rec struct {
	Seq   *uint64         `json:"seq"`
	Time  string          `json:"time"`
	Kind  string          `json:"kind"`
	Attrs json.RawMessage `json:"attrs"`
	Prev  string          `json:"prev"`
	Sig   string          `json:"sig"`
}

type cpAttrs struct {
	Count  uint64 `json:"count"`
	Reason string `json:"reason"`
	Key    string `json:"key"`
}

// Verify checks an audit file: every line parses, seq runs 1, 2, 3 … without
// gaps, every prev is the SHA-256 of the line before, every record is
// signed by pub over its own line, and every checkpoint names pub and
// counts its seq. It stops at the first bad record. err is only for read
// failures.
func Verify(r io.Reader, pub ed25519.PublicKey) (*Report, error) {
	return VerifyAnchored(r, pub, nil)
}

// VerifyAnchored is Verify that also checks the file against an anchor
// kept outside it (the hi1 store's): the file must contain the anchored
// record unchanged. A file cut back before it or deleted and restarted is
// reported in Report.Anchor with the missing range; an anchored record
// that differs is the bad record. A nil anchor checks nothing more.
func VerifyAnchored(r io.Reader, pub ed25519.PublicKey, an *Anchor) (*Report, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("audit: verify: bad public key")
	}
	kid := KeyID(pub)
	rep := &Report{}
	lineNo := 0
	prev := zeroHash
	var want uint64 = 1
	lastKind, lastReason := "", ""
	var signed []byte
	errStop := errors.New("stop")
	bad := func(seq uint64, format string, args ...any) error {
		rep.Bad = &Problem{Line: lineNo, Seq: seq, Reason: fmt.Sprintf(format, args...)}
		return errStop
	}
	endsNL, err := readLines(r, func(line []byte) error {
		lineNo++
		var x rec
		if err := json.Unmarshal(line, &x); err != nil {
			return bad(0, "not a JSON record (%v)", err)
		}
		if x.Seq == nil || x.Time == "" || x.Kind == "" || x.Attrs == nil || x.Prev == "" {
			return bad(0, "record lacks seq, time, kind, attrs or prev")
		}
		seq := *x.Seq
		if _, err := time.Parse(time.RFC3339Nano, x.Time); err != nil {
			return bad(seq, "bad time %q", x.Time)
		}
		if seq != want {
			switch {
			case seq > want:
				return bad(seq, "seq %d where %d was expected: %d record(s) missing or reordered", seq, want, seq-want)
			default:
				return bad(seq, "seq %d where %d was expected: records duplicated or reordered", seq, want)
			}
		}
		ph, err := hex.DecodeString(x.Prev)
		if err != nil || len(ph) != 32 {
			return bad(seq, "bad prev hash")
		}
		if !bytes.Equal(ph, prev[:]) {
			if lineNo == 1 {
				return bad(seq, "first record's prev is not zero: the file's beginning is missing")
			}
			return bad(seq, "prev hash does not match line %d: that line was altered, or records were removed or inserted", lineNo-1)
		}
		if x.Sig == "" {
			return bad(seq, "record without signature")
		}
		i := bytes.LastIndex(line, []byte(`,"sig":"`))
		if i < 0 || !bytes.HasSuffix(line, []byte(`"}`)) {
			return bad(seq, "signature not in canonical position")
		}
		signed = append(append(signed[:0], line[:i]...), '}')
		rawSig := line[i+len(`,"sig":"`) : len(line)-2]
		if string(rawSig) != x.Sig {
			return bad(seq, "signature not in canonical form")
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(x.Sig)
		if err != nil || len(sig) != ed25519.SignatureSize {
			return bad(seq, "signature malformed")
		}
		if x.Kind == KindCheckpoint {
			var ca cpAttrs
			if err := json.Unmarshal(x.Attrs, &ca); err != nil {
				return bad(seq, "checkpoint attributes unreadable")
			}
			if ca.Key != kid {
				return bad(seq, "checkpoint signed by key %s, not by the given key %s", ca.Key, kid)
			}
			if !ed25519.Verify(pub, signed, sig) {
				return bad(seq, "checkpoint signature does not verify")
			}
			if ca.Count != seq {
				return bad(seq, "checkpoint count %d does not match its seq", ca.Count)
			}
			rep.Checkpoints++
			rep.Unsigned = 0
			lastReason = ca.Reason
		} else {
			if !ed25519.Verify(pub, signed, sig) {
				return bad(seq, "signature does not verify: the record was altered, or not signed by the given key")
			}
			rep.Unsigned++
			lastReason = ""
			switch x.Kind {
			case KindUnclean:
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("line %d (seq %d): the writer had stopped without a shutdown checkpoint before this point", lineNo, seq))
			case KindDiscontinuity:
				rep.Discontinuities++
				var da struct {
					Expected uint64 `json:"expected_seq"`
					Found    uint64 `json:"found_seq"`
					Detail   string `json:"detail"`
				}
				_ = json.Unmarshal(x.Attrs, &da)
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("line %d (seq %d): DISCONTINUITY recorded by the writer: the store anchored seq %d but the file then ended at seq %d: %s",
					lineNo, seq, da.Expected, da.Found, da.Detail))
			}
		}
		if an != nil && seq == an.Seq && sha256.Sum256(line) != an.Hash {
			return bad(seq, "record differs from the one anchored in the store: the file was replaced")
		}
		lastKind = x.Kind
		rep.Records++
		rep.LastSeq = seq
		prev = sha256.Sum256(line)
		want = seq + 1
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, fmt.Errorf("audit: verify: read: %w", err)
	}
	if rep.Bad != nil {
		return rep, nil
	}
	if an != nil && an.Seq > rep.LastSeq {
		rep.Anchor = fmt.Sprintf("records seq %d-%d are missing: the file ends at seq %d but the store anchored seq %d (the file was cut back or replaced)",
			rep.LastSeq+1, an.Seq, rep.LastSeq, an.Seq)
	}
	if lineNo > 0 && !endsNL {
		rep.Warnings = append(rep.Warnings, "last line has no newline: the file was cut mid-record")
	}
	rep.Clean = lastKind == KindCheckpoint && lastReason == ReasonShutdown
	if lineNo == 0 {
		rep.Warnings = append(rep.Warnings, "empty file")
	} else if !rep.Clean {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"file ends at seq %d without a shutdown checkpoint (%d record(s) after the last checkpoint): truncated, or the writer is still running or crashed",
			rep.LastSeq, rep.Unsigned))
	}
	return rep, nil
}
