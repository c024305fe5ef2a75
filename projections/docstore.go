package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/internal/jsonenc"
)

// Every projection generation keeps its read model in one table of small
// JSON documents, keyed by (engagement, kind, id). The projection logic is
// plain Go over those documents (load, change, put); the engine writes each
// changed document once per commit (the batches of a few milliseconds at
// the head, many batches when catching up), together with the checkpoint,
// in one transaction.
// Coalescing writes this way is what makes replaying a million events fast:
// SQLite through a pure-Go driver costs several microseconds per row
// written, so a row per event and per read model would not do.

const docTableDDL = `CREATE TABLE IF NOT EXISTS %[1]s (
	eng  TEXT NOT NULL,
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	seq  INTEGER NOT NULL,
	tag  TEXT NOT NULL DEFAULT '',
	data BLOB NOT NULL
)`

// docKeyDDL is the table's key. The documents are in a rowid table, and
// their keys in an index of their own: in a WITHOUT ROWID table, the
// documents larger than a quarter of a page (timeline chunks) overflow the
// B-tree's cells, and SQLite loads the whole of such a cell to compare its
// key, at every step of every search; writing a timeline chunk then read
// two or three others whole. Generations created before keep the WITHOUT
// ROWID table (same columns, same key): the statements serve both.
const docKeyDDL = `CREATE UNIQUE INDEX IF NOT EXISTS %[1]s_key ON %[1]s (eng, kind, id)`

const docTagIndexDDL = `CREATE INDEX IF NOT EXISTS %[1]s_tag ON %[1]s (kind, tag, eng)`

type docKey struct{ kind, eng, id string }

type docEntry struct {
	key   docKey
	val   any // pointer to the document's Go value
	seq   int64
	tag   string
	dirty bool
	used  eventstore.Position // the event that last loaded or changed it
	// flushed is the flush that last encoded it: until that one is
	// durable, the table does not have this version.
	flushed uint64
}

// docCache is a write-back cache of one projection generation's documents.
// It is only touched under the engine's write lock, by one goroutine at a
// time (the projections apply a batch in parallel, each to its own cache).
type docCache struct {
	table   string
	loadSQL string // reads a document of the table
	limit   int
	entries map[docKey]*docEntry
	dirty   []*docEntry

	// complete says that the table holds no document that entries lacks,
	// except in the engagements of evicted: a generation created empty
	// starts so, and loading a document that is not there then costs no
	// query. A rebuild creates many (timeline chunks, people...).
	complete bool
	evicted  map[string]struct{} // engagements that lost documents to eviction

	// durable is the last flush of the cache's documents now in the
	// table: a raw list encoded by it (or before) is no longer read by a
	// flush, and may change in place.
	durable uint64
	// The documents encoded by their own AppendJSON and their bytes, to
	// size the buffers of the next encode.
	appendedDocs, appendedBytes int
}

func newDocCache(table string, limit int, complete bool) *docCache {
	return &docCache{table: table, limit: limit, entries: make(map[docKey]*docEntry),
		complete: complete, evicted: make(map[string]struct{}),
		loadSQL: fmt.Sprintf(`SELECT seq, tag, data FROM %s WHERE eng = ? AND kind = ? AND id = ?`, table)}
}

// reset forgets everything, dirty documents included: after a failed
// transaction the cache may hold changes the database never saw.
func (c *docCache) reset() {
	c.entries = make(map[docKey]*docEntry)
	c.dirty = c.dirty[:0]
	c.complete = false
}

// stored reports whether the table may hold a document of eng that entries
// lacks.
func (c *docCache) stored(eng string) bool {
	if !c.complete {
		return true
	}
	_, ok := c.evicted[eng]
	return ok
}

// txn is what a projection's apply function works with: one projection
// generation's documents while a batch is staged. Documents not in the
// cache are read from the committed table, with q.
type txn struct {
	ctx   context.Context
	q     *stmtCache // the engine's prepared statements
	cache *docCache
	pos   eventstore.Position // of the event being applied
	last  *docEntry           // the entry loaded or put last

	// Scratch values of the raw lists' elements, which are encoded and
	// not kept.
	tlEntry TimelineEntry
	kItem   KnowledgeItem
}

// entry returns the cached entry of k. An apply function mostly puts the
// document it has just loaded: remembering the last entry spares hashing
// the key again.
func (t *txn) entry(k docKey) (*docEntry, bool) {
	if t.last != nil && t.last.key == k {
		return t.last, true
	}
	e, ok := t.cache.entries[k]
	if ok {
		t.last = e
	}
	return e, ok
}

// load returns the document (kind, eng, id), from the cache or the database,
// and whether it exists. T is the document's type; the same kind must always
// be loaded with the same T.
func load[T any](t *txn, kind, eng, id string) (*T, bool, error) {
	k := docKey{kind, eng, id}
	if e, ok := t.entry(k); ok {
		v, ok := e.val.(*T)
		if !ok {
			return nil, false, fmt.Errorf("projections: document %s/%s loaded as %T, cached as %T", kind, id, v, e.val)
		}
		e.used = t.pos
		return v, true, nil
	}
	if !t.cache.stored(eng) {
		return nil, false, nil
	}
	var (
		seq  int64
		tag  string
		data []byte
	)
	// A statement the engine keeps prepared: after a large step, the
	// first batches at the head load back many documents, a few a batch.
	err := t.q.QueryRowContext(t.ctx, t.cache.loadSQL, eng, kind, id).Scan(&seq, &tag, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load %s/%s: %w", kind, id, err)
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, false, fmt.Errorf("decode %s/%s: %w", kind, id, err)
	}
	e := &docEntry{key: k, val: v, seq: seq, tag: tag, used: t.pos}
	t.cache.entries[k] = e
	t.last = e
	return v, true, nil
}

// loadOrNew is load, with a zero document when it does not exist yet.
func loadOrNew[T any](t *txn, kind, eng, id string) (*T, error) {
	v, ok, err := load[T](t, kind, eng, id)
	if err != nil || ok {
		return v, err
	}
	return new(T), nil
}

// put marks v as the new content of document (kind, eng, id). seq orders
// documents of a kind within an engagement (the position that created it);
// tag is an indexed attribute (the phase of an engagement). A document
// already in the cache keeps its seq.
func (t *txn) put(kind, eng, id string, seq int64, tag string, v any) {
	k := docKey{kind, eng, id}
	e, ok := t.entry(k)
	if !ok {
		e = &docEntry{key: k, seq: seq}
		t.cache.entries[k] = e
		t.last = e
	}
	e.val, e.tag, e.used = v, tag, t.pos
	if !e.dirty {
		e.dirty = true
		t.cache.dirty = append(t.cache.dirty, e)
	}
}

// close ends the staging of a batch: the txn keeps no document between
// batches (the cache may let them go).
func (t *txn) close() { t.ctx, t.last = nil, nil }

// docRow is a dirty document, encoded.
type docRow struct {
	key  docKey
	seq  int64
	tag  string
	data []byte
}

// encode returns the dirty documents, encoded, in key order (writing in key
// order keeps the B-tree work local), and clears their dirty marks: a
// document changed again from now on is encoded again by the next step.
// The rows own their bytes: a flush may write them while the documents
// change.
func (c *docCache) encode(seq uint64) ([]docRow, error) {
	slices.SortFunc(c.dirty, func(x, y *docEntry) int {
		a, b := &x.key, &y.key
		if n := strings.Compare(a.eng, b.eng); n != 0 {
			return n
		}
		if n := strings.Compare(a.kind, b.kind); n != 0 {
			return n
		}
		return strings.Compare(a.id, b.id)
	})
	rows := make([]docRow, len(c.dirty))
	// The documents are encoded one after the other into shared buffers,
	// not one allocation each, of about the size they take (at the head,
	// a commit encodes a few documents, not hundreds).
	var buf []byte
	left := 0 // documents encoded by their own AppendJSON, still to encode
	for _, e := range c.dirty {
		if _, ok := e.val.(jsonenc.Appender); ok {
			left++
		}
	}
	appenders, appended := 0, 0
	for i, e := range c.dirty {
		k := e.key
		rows[i] = docRow{key: k, seq: e.seq, tag: e.tag}
		if l, ok := e.val.(*rawList); ok {
			rows[i].data = l.bytes()
			// An add before this flush is durable copies first (loadList
			// lets the list change in place once it is).
			l.shared, l.heldBy = true, seq
		} else if a, ok := e.val.(jsonenc.Appender); ok {
			if cap(buf)-len(buf) < maxAppended {
				buf = make([]byte, 0, min(256<<10, max(maxAppended, left*c.appendedSize()*9/8)))
			}
			left--
			start := len(buf)
			var err error
			if buf, err = a.AppendJSON(buf); err != nil {
				return nil, fmt.Errorf("encode %s/%s: %w", k.kind, k.id, err)
			}
			rows[i].data = buf[start:len(buf):len(buf)]
			appenders++
			appended += len(rows[i].data)
		} else {
			data, err := json.Marshal(e.val)
			if err != nil {
				return nil, fmt.Errorf("encode %s/%s: %w", k.kind, k.id, err)
			}
			rows[i].data = data
		}
	}
	if appenders > 0 {
		c.appendedDocs += appenders
		c.appendedBytes += appended
		if c.appendedDocs > 1<<20 { // follow changes in the documents' size
			c.appendedDocs, c.appendedBytes = c.appendedDocs/2, c.appendedBytes/2
		}
	}
	for _, e := range c.dirty {
		e.dirty, e.flushed = false, seq
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	return rows, nil
}

// maxAppended is what a document encoded by its own AppendJSON takes at
// most, about: a buffer with less room left is not used for the next one.
const maxAppended = 4096

// appendedSize is the average size of the documents encoded by their own
// AppendJSON so far.
func (c *docCache) appendedSize() int {
	if c.appendedDocs == 0 {
		return 1024
	}
	return c.appendedBytes / c.appendedDocs
}

// committed bounds the cache once a step is durable. After a large step
// (catching up), the documents not used since before staleDocs go, and the
// raw lists (timeline and knowledge chunks, the bulk of the memory) not
// used since before staleLists: engagements come and go, and a chunk left
// behind is not used again. Then, past its limit, the cache keeps the half
// of its documents used last (the engagements still active). A document
// changed since the step (staged for the next one, or encoded for a later
// flush) stays whatever its age: the table does not have that version yet.
// seq is the flush now durable.
func (c *docCache) committed(seq uint64, staleDocs, staleLists eventstore.Position) {
	c.durable = seq
	if staleDocs > 0 || staleLists > 0 {
		for k, e := range c.entries {
			stale := staleDocs
			if _, ok := e.val.(*rawList); ok {
				stale = staleLists
			}
			if e.used < stale && !e.dirty && e.flushed <= seq {
				c.evict(k)
			}
		}
	}
	if len(c.entries) <= c.limit {
		return
	}
	oldest := eventstore.Position(math.MaxUint64) // keep those used at or after it
	if keep := c.limit / 2; keep > 0 {
		used := make([]eventstore.Position, 0, len(c.entries))
		for _, e := range c.entries {
			used = append(used, e.used)
		}
		slices.Sort(used)
		oldest = used[len(used)-keep]
	}
	for k, e := range c.entries {
		if e.used < oldest && !e.dirty && e.flushed <= seq {
			c.evict(k)
		}
	}
}

func (c *docCache) evict(k docKey) {
	delete(c.entries, k)
	if c.complete {
		c.evicted[k.eng] = struct{}{}
	}
}

// readDocs returns the documents of one kind of an engagement, in seq order.
func readDocs[T any](ctx context.Context, q querier, table, eng, kind string) ([]T, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT data FROM %s WHERE eng = ? AND kind = ? ORDER BY seq, id`, table), eng, kind)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", kind, err)
	}
	return scanDocs[T](rows, kind)
}

// readDocRange is readDocs restricted to ids in [from, to).
func readDocRange[T any](ctx context.Context, q querier, table, eng, kind, from, to string) ([]T, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT data FROM %s WHERE eng = ? AND kind = ? AND id >= ? AND id < ? ORDER BY id`, table), eng, kind, from, to)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", kind, err)
	}
	return scanDocs[T](rows, kind)
}

func scanDocs[T any](rows *sql.Rows, kind string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("read %s: %w", kind, err)
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kind, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", kind, err)
	}
	return out, nil
}

// readDoc returns one document; found is false when it does not exist.
func readDoc[T any](ctx context.Context, q querier, table, eng, kind, id string) (v T, found bool, err error) {
	var data []byte
	err = q.QueryRowContext(ctx, fmt.Sprintf(`SELECT data FROM %s WHERE eng = ? AND kind = ? AND id = ?`, table), eng, kind, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("read %s: %w", kind, err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, false, fmt.Errorf("decode %s: %w", kind, err)
	}
	return v, true, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rawList is a JSON array kept encoded. Appending encodes only the new
// element, and writing the document copies bytes: timeline and knowledge
// chunks grow by one entry per event and are written once per batch, so
// re-encoding them whole each time would dominate the cost of a rebuild.
//
// A row of a flush may hold the bytes (shared) until the flush is durable:
// the list then copies them before it changes. At the head, a chunk
// changes again long after the flush that wrote it, and is not copied;
// catching up, most chunks are full by then and never change again.
type rawList struct {
	buf    []byte
	shared bool
	heldBy uint64 // the last flush that encoded it (see docCache.durable)
}

func (l *rawList) UnmarshalJSON(b []byte) error {
	l.buf, l.shared, l.heldBy = slices.Clone(b), false, 0
	return nil
}

// loadList loads a raw list of the cache (a new one when it does not
// exist), to add to it.
func loadList(t *txn, kind, eng, id string) (*rawList, error) {
	l, err := loadOrNew[rawList](t, kind, eng, id)
	if err != nil {
		return nil, err
	}
	// A flush holds the bytes until it is durable.
	if l.shared && l.heldBy <= t.cache.durable {
		l.shared = false
	}
	return l, nil
}

func (l *rawList) MarshalJSON() ([]byte, error) { return l.bytes(), nil }

func (l *rawList) bytes() []byte {
	if len(l.buf) == 0 {
		return []byte("[]")
	}
	return l.buf
}

// reset empties the list (without touching bytes a flush holds).
func (l *rawList) reset() {
	if l.shared {
		l.buf, l.shared, l.heldBy = nil, false, 0
		return
	}
	l.buf = l.buf[:0]
}

// add appends v, encoded, to the array. room is how many elements a new
// array makes room for at once: a chunk then grows by one copy, not by
// doubling, element after element.
func (l *rawList) add(v jsonenc.Appender, room int) error {
	if l.shared {
		l.buf = append(make([]byte, 0, len(l.buf)+len(l.buf)/4+512), l.buf...)
		l.shared, l.heldBy = false, 0
	}
	n := len(l.buf)
	empty := n < 2 || string(l.buf) == "[]"
	if empty {
		l.buf = append(l.buf[:0], '[')
	} else {
		l.buf[n-1] = ',' // replace the closing bracket
	}
	start := len(l.buf)
	b, err := v.AppendJSON(l.buf)
	if err != nil {
		if empty {
			l.buf = l.buf[:0]
		} else {
			l.buf = l.buf[:n]
			l.buf[n-1] = ']'
		}
		return err
	}
	if empty && room > 1 && cap(b) < room*(len(b)-start+1) {
		grown := make([]byte, len(b), len(b)+(room-1)*(len(b)-start+1)*9/8)
		copy(grown, b)
		b = grown
	}
	l.buf = append(b, ']')
	return nil
}
