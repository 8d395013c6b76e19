package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var kAuditAnchor = []byte("audit_anchor")

// AuditAnchor returns the audit file's anchor: the seq and line hash of the
// last audit checkpoint written (ok false if never). It implements
// audit.AnchorStore.
func (s *Store) AuditAnchor() (seq uint64, hash [32]byte, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		seq, hash, ok = readAnchor(tx)
		return nil
	})
	if err != nil {
		return 0, hash, false, fmt.Errorf("hi1 store: audit anchor: %w", err)
	}
	return seq, hash, ok, nil
}

// SetAuditAnchor durably records the audit anchor.
func (s *Store) SetAuditAnchor(seq uint64, hash [32]byte) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		var raw [40]byte
		binary.BigEndian.PutUint64(raw[:8], seq)
		copy(raw[8:], hash[:])
		return b.Put(kAuditAnchor, raw[:])
	})
	if err != nil {
		return fmt.Errorf("hi1 store: audit anchor: %w", err)
	}
	return nil
}

func readAnchor(tx *bolt.Tx) (uint64, [32]byte, bool) {
	var h [32]byte
	b := tx.Bucket(bMeta)
	if b == nil {
		return 0, h, false
	}
	raw := b.Get(kAuditAnchor)
	if len(raw) != 40 {
		return 0, h, false
	}
	copy(h[:], raw[8:])
	return binary.BigEndian.Uint64(raw[:8]), h, true
}

// ReadAuditAnchor opens the store file at path read-only and returns its
// audit anchor (for `tdmtap audit verify --store`). A running node holds
// the file locked: verify against a copy, or stop the node.
func ReadAuditAnchor(path string) (seq uint64, hash [32]byte, ok bool, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			err = fmt.Errorf("%w (the store is locked by a running node: verify against a copy)", err)
		}
		return 0, hash, false, fmt.Errorf("hi1 store: %s: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		seq, hash, ok = readAnchor(tx)
		return nil
	})
	return seq, hash, ok, err
}
