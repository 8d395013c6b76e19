package deliver

import (
	"encoding/binary"
	"sync"
)

// ccQueue is the bounded content spool of one session: a byte ring of a
// fixed capacity holding [4 len][pdu] records. Content that does not fit is
// dropped by the caller (counted and audited); nothing is allocated per PDU.
type ccQueue struct {
	mu    sync.Mutex
	buf   []byte
	head  int // read position
	used  int // bytes in use (records incl. their 4-byte headers)
	count int // records queued
}

func newCCQueue(capacity int) *ccQueue {
	if capacity < 64 {
		capacity = 64
	}
	return &ccQueue{buf: make([]byte, capacity)}
}

// push appends one record; it reports false (and stores nothing) when the
// record does not fit in the free space.
func (q *ccQueue) push(pdu []byte) bool {
	need := 4 + len(pdu)
	q.mu.Lock()
	defer q.mu.Unlock()
	if need > len(q.buf)-q.used {
		return false
	}
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], uint32(len(pdu)))
	tail := (q.head + q.used) % len(q.buf)
	tail = q.copyIn(tail, h[:])
	q.copyIn(tail, pdu)
	q.used += need
	q.count++
	return true
}

func (q *ccQueue) copyIn(at int, p []byte) int {
	n := copy(q.buf[at:], p)
	if n < len(p) {
		copy(q.buf, p[n:])
	}
	return (at + len(p)) % len(q.buf)
}

func (q *ccQueue) copyOut(dst []byte, at, n int) []byte {
	end := at + n
	if end <= len(q.buf) {
		return append(dst, q.buf[at:end]...)
	}
	dst = append(dst, q.buf[at:]...)
	return append(dst, q.buf[:end-len(q.buf)]...)
}

// peek appends the PDUs at the head (bare, without headers) to dst until
// maxBytes; it returns the records' ring footprint for a later pop.
func (q *ccQueue) peek(dst []byte, maxBytes int) (out []byte, records, footprint int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	at := q.head
	for footprint < q.used {
		var h [4]byte
		hb := q.copyOut(h[:0], at, 4)
		l := int(binary.BigEndian.Uint32(hb))
		if records > 0 && len(dst)+l > maxBytes {
			break
		}
		dst = q.copyOut(dst, (at+4)%len(q.buf), l)
		at = (at + 4 + l) % len(q.buf)
		footprint += 4 + l
		records++
	}
	return dst, records, footprint
}

// pop removes records previously returned by peek.
func (q *ccQueue) pop(records, footprint int) {
	q.mu.Lock()
	q.head = (q.head + footprint) % len(q.buf)
	q.used -= footprint
	q.count -= records
	q.mu.Unlock()
}

func (q *ccQueue) stats() (count, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count, q.used
}
