package audit

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// Anchor checks the file as it was found at Open against the anchor kept
// in st, records an "audit.discontinuity" (and logs at error) when the
// anchored record is missing from the file or differs from it, then stores
// the current end of the chain as the new anchor and keeps st updated at
// every checkpoint (periodic, reopen, shutdown). A store without an anchor
// (first run) is simply anchored. Call it once, right after Open.
func (a *Auditor) Anchor(st AnchorStore) error {
	seq, hash, ok, err := st.AuditAnchor()
	if err != nil {
		return fmt.Errorf("audit: anchor: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ok {
		if detail := a.checkAnchorLocked(Anchor{Seq: seq, Hash: hash}); detail != "" {
			a.log.Error("audit file does not reach the record anchored in the store: records lost or file replaced",
				"expected_seq", seq, "found_seq", a.openSeq, "detail", detail)
			a.appendLocked(KindDiscontinuity, []slog.Attr{
				slog.Uint64("expected_seq", seq), slog.Uint64("found_seq", a.openSeq), slog.String("detail", detail)})
		}
	}
	a.anchor = st
	if a.err != nil {
		return a.err
	}
	if err := st.SetAuditAnchor(a.seq, a.prev); err != nil {
		a.anchorErr.Inc()
		return fmt.Errorf("audit: anchor: %w", err)
	}
	return nil
}

// checkAnchorLocked compares the file found at Open with the anchor; ""
// when the file holds the anchored record unchanged.
func (a *Auditor) checkAnchorLocked(an Anchor) string {
	switch {
	case an.Seq == 0:
		return ""
	case a.openSeq < an.Seq:
		if a.openSeq == 0 {
			return fmt.Sprintf("the file was empty, missing or moved aside; records 1-%d are not in it", an.Seq)
		}
		return fmt.Sprintf("the file ends at seq %d; records %d-%d are missing (cut back or replaced)", a.openSeq, a.openSeq+1, an.Seq)
	case a.openSeq == an.Seq:
		if a.openHash != an.Hash {
			return fmt.Sprintf("record seq %d differs from the anchored one (file replaced)", an.Seq)
		}
		return ""
	}
	h, found, err := lineHashAt(a.path, an.Seq)
	switch {
	case err != nil:
		return fmt.Sprintf("record seq %d could not be read: %v", an.Seq, err)
	case !found:
		return fmt.Sprintf("record seq %d is not in the file (file replaced)", an.Seq)
	case h != an.Hash:
		return fmt.Sprintf("record seq %d differs from the anchored one (file replaced)", an.Seq)
	}
	return ""
}

// lineHashAt scans the file for the record with seq and returns its line's
// SHA-256.
func lineHashAt(path string, seq uint64) ([32]byte, bool, error) {
	var h [32]byte
	f, err := os.Open(path)
	if err != nil {
		return h, false, err
	}
	defer f.Close()
	found := false
	stop := errors.New("found")
	_, err = readLines(f, func(line []byte) error {
		var r struct {
			Seq uint64 `json:"seq"`
		}
		if json.Unmarshal(line, &r) == nil && r.Seq == seq {
			h, found = sha256.Sum256(line), true
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return h, false, err
	}
	return h, found, nil
}
