package deliver

import (
	"encoding/binary"
	"sync"
)

// ccQueue is the bounded content spool of one session: a byte ring of a
// fixed capacity holding [4 len][8 enqueue time, Unix ns][pdu] records. Content that does not fit is
// dropped by the caller (counted and audited); nothing is allocated per PDU.
type ccQueue struct {
	mu    sync.Mutex
	buf   []byte
	head  int // read position
	used  int // bytes in use (records incl. their 4-byte headers)
	count int // records queued
}

// ccRecHeader is a record's header: length and enqueue time.
const ccRecHeader = 12

func newCCQueue(capacity int) *ccQueue {
	if capacity < 64 {
		capacity = 64
	}
	return &ccQueue{buf: make([]byte, capacity)}
}

// push appends one record, enqueued at now (Unix ns); it reports false (and
// stores nothing) when the record does not fit in the free space.
func (q *ccQueue) push(pdu []byte, now int64) bool {
	need := ccRecHeader + len(pdu)
	q.mu.Lock()
	defer q.mu.Unlock()
	if need > len(q.buf)-q.used {
		return false
	}
	var h [ccRecHeader]byte
	binary.BigEndian.PutUint32(h[:4], uint32(len(pdu)))
	binary.BigEndian.PutUint64(h[4:], uint64(now))
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
// maxBytes, and their enqueue times to ts; it returns the records' ring
// footprint for a later pop.
func (q *ccQueue) peek(dst []byte, maxBytes int, ts []int64) (out []byte, times []int64, records, footprint int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	at := q.head
	for footprint < q.used {
		var h [ccRecHeader]byte
		hb := q.copyOut(h[:0], at, ccRecHeader)
		l := int(binary.BigEndian.Uint32(hb[:4]))
		if records > 0 && len(dst)+l > maxBytes {
			break
		}
		ts = append(ts, int64(binary.BigEndian.Uint64(hb[4:])))
		dst = q.copyOut(dst, (at+ccRecHeader)%len(q.buf), l)
		at = (at + ccRecHeader + l) % len(q.buf)
		footprint += ccRecHeader + l
		records++
	}
	return dst, ts, records, footprint
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
