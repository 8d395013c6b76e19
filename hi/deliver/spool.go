package deliver

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The IRI spool is a bbolt database rather than a home-made segment log:
// bbolt's copy-on-write B+tree commits atomically with fsync, so a crash in
// the middle of a write never leaves a torn record to detect and skip on
// restart (no CRC/recovery code of our own), and deleting a delivered prefix
// is an ordinary transaction. Keys are monotonically increasing uint64
// (big-endian, so byte order = FIFO order); values are whole PS-PDUs.
//
// Group commit: Send appends to an in-memory pending buffer and returns; one
// spooler goroutine moves everything pending into the database in a single
// transaction (one fsync for the whole batch) and, in the same transaction,
// deletes the prefix the sender has confirmed. While it commits, new Sends
// accumulate for the next batch, so throughput scales with load instead of
// being bounded by the fsync latency.

var spoolBucket = []byte("iri")

// spool is the durable IRI queue of one session.
type spool struct {
	db *bolt.DB

	mu        sync.Mutex
	pending   []byte // records not yet committed: [8 key][4 len][pdu]...
	spare     []byte // the buffer the spooler hands back (double buffering)
	nextKey   uint64 // key of the next accepted record
	committed uint64 // highest committed key (0 = none)
	count     int    // records in the database
	bytes     int64  // value bytes in the database
	delUpTo   uint64 // sender asks: delete keys <= delUpTo
	deleted   uint64 // keys <= deleted are gone
	err       error  // last commit error (nil after a success)
	closed    bool
	commitCh  chan struct{} // closed and replaced after each commit
	kick      chan struct{}
	done      chan struct{}
	onCommit  func(committed uint64) // tells the session new data is available
	onMetrics func(count int, bytes int64)
	onError   func(err error) // first failure of a series of commits
	delKeys   []uint64        // spooler goroutine only
}

func openSpool(path string) (*spool, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        2 * time.Second, // another process holding the file lock
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("spool %s: open: %w", path, err)
	}
	s := &spool{db: db, commitCh: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{})}
	var first uint64
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(spoolBucket)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("bad key length %d", len(k))
			}
			key := binary.BigEndian.Uint64(k)
			if first == 0 {
				first = key
			}
			s.committed = key
			s.count++
			s.bytes += int64(len(v))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("spool %s: scan: %w", path, err)
	}
	s.nextKey = s.committed + 1
	if first > 0 {
		s.deleted = first - 1
	} else {
		s.deleted = s.committed
	}
	s.delUpTo = s.deleted
	return s, nil
}

// add queues one record for the next group commit; it never blocks on I/O.
// It returns the record's key.
func (s *spool) add(pdu []byte) (uint64, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	key := s.nextKey
	s.nextKey++
	var h [12]byte
	binary.BigEndian.PutUint64(h[:8], key)
	binary.BigEndian.PutUint32(h[8:], uint32(len(pdu)))
	s.pending = append(s.pending, h[:]...)
	s.pending = append(s.pending, pdu...)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return key, nil
}

// confirm asks the spooler to delete every record with key <= upTo.
func (s *spool) confirm(upTo uint64) {
	s.mu.Lock()
	if upTo > s.delUpTo {
		s.delUpTo = upTo
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// run is the spooler goroutine: it commits pending records and deletions.
func (s *spool) run() {
	defer close(s.done)
	for {
		<-s.kick
		s.mu.Lock()
		batch := s.pending
		s.pending = s.spare[:0]
		s.spare = nil
		delUpTo := s.delUpTo
		deleted := s.deleted
		closed := s.closed
		s.mu.Unlock()

		if len(batch) > 0 || delUpTo > deleted {
			last, n, nb, dn, dnb, err := s.commit(batch, deleted, delUpTo)
			s.mu.Lock()
			first := err != nil && s.err == nil
			s.err = err // cleared again by the next successful commit
			if err == nil {
				if last > 0 {
					s.committed = last
				}
				s.count += n - dn
				s.bytes += nb - dnb
				if delUpTo > s.deleted {
					s.deleted = delUpTo
				}
			} else {
				// Keep the records in memory and retry with the next kick.
				batch = append(batch, s.pending...)
				s.pending = batch
				batch = nil
			}
			committed, count, bytes := s.committed, s.count, s.bytes
			ch := s.commitCh
			s.commitCh = make(chan struct{})
			if batch != nil {
				s.spare = batch[:0]
			}
			s.mu.Unlock()
			close(ch)
			if s.onMetrics != nil {
				s.onMetrics(count, bytes)
			}
			if err == nil && s.onCommit != nil {
				s.onCommit(committed)
			}
			if first && s.onError != nil {
				s.onError(err)
			}
			if err != nil {
				// Do not spin on a failing disk.
				time.Sleep(100 * time.Millisecond)
				select {
				case s.kick <- struct{}{}:
				default:
				}
			}
		}
		if closed {
			s.mu.Lock()
			empty, failed := len(s.pending) == 0, s.err != nil
			s.mu.Unlock()
			if empty || failed {
				return
			}
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

func (s *spool) commit(batch []byte, deleted, delUpTo uint64) (last uint64, n int, nb int64, dn int, dnb int64, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(spoolBucket)
		if delUpTo > deleted {
			// Collect, then delete by key: re-seeking First after each
			// cursor Delete walks the emptied leaves again (quadratic).
			keys := s.delKeys[:0]
			c := b.Cursor()
			for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= delUpTo; k, v = c.Next() {
				keys = append(keys, binary.BigEndian.Uint64(k))
				dnb += int64(len(v))
			}
			s.delKeys = keys
			var kb [8]byte
			for _, k := range keys {
				binary.BigEndian.PutUint64(kb[:], k)
				if err := b.Delete(kb[:]); err != nil {
					return err
				}
			}
			dn = len(keys)
		}
		for p := batch; len(p) >= 12; {
			l := int(binary.BigEndian.Uint32(p[8:12]))
			// bbolt keeps references to key and value until commit; batch
			// is not touched until this transaction has returned.
			if err := b.Put(p[:8], p[12:12+l]); err != nil {
				return err
			}
			last = binary.BigEndian.Uint64(p[:8])
			n++
			nb += int64(l)
			p = p[12+l:]
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("spool commit: %w", err)
	}
	return
}

// waitDurable blocks until every record accepted before the call is
// committed (fsync'd), or ctx ends.
func (s *spool) waitDurable(ctxDone <-chan struct{}) error {
	s.mu.Lock()
	target := s.nextKey - 1
	s.mu.Unlock()
	for {
		s.mu.Lock()
		if s.committed >= target {
			s.mu.Unlock()
			return nil
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return err
		}
		ch := s.commitCh
		s.mu.Unlock()
		select {
		case s.kick <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctxDone:
			return errDone
		}
	}
}

// read appends committed records with key > after to dst (as
// [8 key][4 len][pdu]) until maxBytes of PDU data or the end; it returns the
// extended buffer and the number of records appended.
func (s *spool) read(dst []byte, after uint64, maxBytes int) ([]byte, int, error) {
	s.mu.Lock()
	committed := s.committed
	s.mu.Unlock()
	if after >= committed {
		return dst, 0, nil
	}
	n := 0
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], after+1)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(spoolBucket).Cursor()
		size := 0
		for k, v := c.Seek(start[:]); k != nil; k, v = c.Next() {
			key := binary.BigEndian.Uint64(k)
			if key > committed {
				break
			}
			var h [12]byte
			copy(h[:8], k)
			binary.BigEndian.PutUint32(h[8:], uint32(len(v)))
			dst = append(dst, h[:]...)
			dst = append(dst, v...)
			n++
			size += len(v)
			if size >= maxBytes {
				break
			}
		}
		return nil
	})
	if err != nil {
		return dst, n, fmt.Errorf("spool read: %w", err)
	}
	return dst, n, nil
}

func (s *spool) stats() (count int, bytes int64, committed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.bytes, s.committed
}

// close commits what is pending and closes the database.
func (s *spool) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	<-s.done
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if cerr := s.db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("spool close: %w", cerr)
	}
	return err
}
