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

	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/candor-ledger/candor/eventstore"
)

// Every projection generation keeps its read model in one table of small
// JSON documents, keyed by (engagement, kind, id). The projection logic is
// plain Go over those documents (load, change, put); the engine writes each
// changed document once per commit (a batch at the head, many batches when
// catching up), together with the checkpoint, in one transaction.
// Coalescing writes this way is what makes replaying a million events fast:
// SQLite through a pure-Go driver costs several microseconds per row
// written, so a row per event and per read model would not do.

const docTableDDL = `CREATE TABLE IF NOT EXISTS %[1]s (
	eng  TEXT NOT NULL,
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	seq  INTEGER NOT NULL,
	tag  TEXT NOT NULL DEFAULT '',
	data BLOB NOT NULL,
	PRIMARY KEY (eng, kind, id)
) WITHOUT ROWID`

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
	limit   int
	entries map[docKey]*docEntry
	dirty   []*docEntry

	// complete says that the table holds no document that entries lacks,
	// except in the engagements of evicted: a generation created empty
	// starts so, and loading a document that is not there then costs no
	// query. A rebuild creates many (timeline chunks, people...).
	complete bool
	evicted  map[string]struct{} // engagements that lost documents to eviction
}

func newDocCache(table string, limit int, complete bool) *docCache {
	return &docCache{table: table, limit: limit, entries: make(map[docKey]*docEntry),
		complete: complete, evicted: make(map[string]struct{})}
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
	q     *sql.DB
	cache *docCache
	get   *sql.Stmt
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
	if t.get == nil {
		st, err := t.q.PrepareContext(t.ctx, fmt.Sprintf(`SELECT seq, tag, data FROM %s WHERE eng = ? AND kind = ? AND id = ?`, t.cache.table))
		if err != nil {
			return nil, false, fmt.Errorf("prepare load: %w", err)
		}
		t.get = st
	}
	var (
		seq  int64
		tag  string
		data []byte
	)
	err := t.get.QueryRowContext(t.ctx, eng, kind, id).Scan(&seq, &tag, &data)
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

func (t *txn) close() {
	if t.get != nil {
		t.get.Close()
		t.get = nil
	}
}

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
	// not one allocation each.
	var buf []byte
	for i, e := range c.dirty {
		k := e.key
		rows[i] = docRow{key: k, seq: e.seq, tag: e.tag}
		if l, ok := e.val.(*rawList); ok {
			rows[i].data = l.bytes()
			l.shared = true // the next add copies first
		} else if a, ok := e.val.(jsonAppender); ok {
			if cap(buf)-len(buf) < 4096 {
				buf = make([]byte, 0, 256<<10)
			}
			start := len(buf)
			var err error
			if buf, err = a.appendJSON(buf); err != nil {
				return nil, fmt.Errorf("encode %s/%s: %w", k.kind, k.id, err)
			}
			rows[i].data = buf[start:len(buf):len(buf)]
		} else {
			data, err := json.Marshal(e.val)
			if err != nil {
				return nil, fmt.Errorf("encode %s/%s: %w", k.kind, k.id, err)
			}
			rows[i].data = data
		}
	}
	for _, e := range c.dirty {
		e.dirty, e.flushed = false, seq
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	return rows, nil
}

// write stores rows in the table, on dc (a connection of the driver, in
// the transaction the caller began and commits).
func (c *docCache) write(ctx context.Context, dc any, rows []docRow) (err error) {
	if len(rows) == 0 {
		return nil
	}
	rc, ok := dc.(sqlite3driver.Conn)
	if !ok {
		return fmt.Errorf("write: connection %T is not SQLite's", dc)
	}
	conn := rc.Raw()
	defer conn.SetInterrupt(conn.SetInterrupt(ctx))
	st, _, err := conn.Prepare(fmt.Sprintf(`INSERT OR REPLACE INTO %s (eng, kind, id, seq, tag, data) VALUES (?, ?, ?, ?, ?, ?)`, c.table))
	if err != nil {
		return fmt.Errorf("prepare write: %w", err)
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write: %w", cerr)
		}
	}()
	for _, r := range rows {
		err := errors.Join(
			st.BindText(1, r.key.eng), st.BindText(2, r.key.kind), st.BindText(3, r.key.id),
			st.BindInt64(4, r.seq), st.BindText(5, r.tag), st.BindBlob(6, r.data))
		if err == nil {
			err = st.Exec()
		}
		if err != nil {
			return fmt.Errorf("write %s/%s: %w", r.key.kind, r.key.id, err)
		}
	}
	return nil
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
// A row being written may hold the bytes (shared): the list then copies them
// before it changes. Most chunks are full by then and never change again,
// so few are copied.
type rawList struct {
	buf    []byte
	shared bool
}

func (l *rawList) UnmarshalJSON(b []byte) error {
	l.buf, l.shared = slices.Clone(b), false
	return nil
}

func (l *rawList) MarshalJSON() ([]byte, error) { return l.bytes(), nil }

func (l *rawList) bytes() []byte {
	if len(l.buf) == 0 {
		return []byte("[]")
	}
	return l.buf
}

// jsonAppender is an element of a rawList: it appends its own JSON.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

// add appends v, encoded, to the array. room is how many elements a new
// array makes room for at once: a chunk then grows by one copy, not by
// doubling, element after element.
func (l *rawList) add(v jsonAppender, room int) error {
	if l.shared {
		l.buf = append(make([]byte, 0, len(l.buf)+len(l.buf)/4+512), l.buf...)
		l.shared = false
	}
	n := len(l.buf)
	empty := n < 2 || string(l.buf) == "[]"
	if empty {
		l.buf = append(l.buf[:0], '[')
	} else {
		l.buf[n-1] = ',' // replace the closing bracket
	}
	start := len(l.buf)
	b, err := v.appendJSON(l.buf)
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
