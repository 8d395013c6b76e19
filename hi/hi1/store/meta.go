package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var (
	bMeta   = []byte("meta")
	kCINHWM = []byte("cin_reserved")
)

// CINReserved returns the communication identity number counter value the
// node has reserved up to (0 if never). The bridge's allocator starts above
// it after a restart, so no CIN is handed out twice.
func (s *Store) CINReserved() (uint64, error) {
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bMeta)
		if b == nil {
			return nil
		}
		if raw := b.Get(kCINHWM); len(raw) == 8 {
			v = binary.BigEndian.Uint64(raw)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("hi1 store: cin: %w", err)
	}
	return v, nil
}

// ReserveCIN durably records that CIN counter values up to v may be in use.
func (s *Store) ReserveCIN(v uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		var raw [8]byte
		binary.BigEndian.PutUint64(raw[:], v)
		return b.Put(kCINHWM, raw[:])
	})
	if err != nil {
		return fmt.Errorf("hi1 store: cin: %w", err)
	}
	return nil
}
