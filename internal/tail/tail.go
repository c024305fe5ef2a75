// Package tail keeps the last items of a log whose items are numbered by
// consecutive positions, so that readers who follow the log closely take
// new items from memory instead of reading them back from the file the
// writer just wrote them to.
package tail

import "sync"

// Tail holds up to a fixed number of the latest items, by position. It is
// safe for concurrent use.
type Tail[T any] struct {
	mu    sync.RWMutex
	buf   []T    // a ring of len(buf) slots
	first uint64 // position of the oldest item held; 0 when none is
	n     int    // items held
}

// New returns a Tail holding at most capacity items.
func New[T any](capacity int) *Tail[T] {
	return &Tail[T]{buf: make([]T, max(capacity, 1))}
}

// Put records items at positions from, from+1, .... When from does not
// follow the last item held (the log has items this Tail never saw), what
// it held is forgotten first: it never holds a gap.
func (t *Tail[T]) Put(from uint64, items []T) {
	if len(items) == 0 || from == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n > 0 && from != t.first+uint64(t.n) {
		t.first, t.n = 0, 0
		clear(t.buf)
	}
	if t.n == 0 {
		t.first = from
	}
	for _, it := range items {
		if t.n == len(t.buf) {
			var zero T
			t.buf[t.slot(t.first)] = zero
			t.first++
			t.n--
		}
		t.buf[t.slot(t.first+uint64(t.n))] = it
		t.n++
	}
}

func (t *Tail[T]) slot(pos uint64) int { return int(pos % uint64(len(t.buf))) }

// After appends to dst the items held at positions after+1, after+2, ...,
// at most limit of them, and reports whether it holds the item at after+1
// (when it does not, and the log has it, read it elsewhere).
func (t *Tail[T]) After(dst []T, after uint64, limit int) ([]T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.n == 0 || after+1 < t.first || after+1 >= t.first+uint64(t.n) {
		return dst, false
	}
	for p := after + 1; p < t.first+uint64(t.n) && limit > 0; p++ {
		dst = append(dst, t.buf[t.slot(p)])
		limit--
	}
	return dst, true
}
