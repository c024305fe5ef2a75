package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Every projection generation keeps its read model in one table of small
// JSON documents, keyed by (engagement, kind, id). The projection logic is
// plain Go over those documents (load, change, put); the engine writes each
// changed document once per batch, together with the checkpoint, in one
// transaction. Coalescing writes this way is what makes replaying a million
// events fast: SQLite through a pure-Go driver costs several microseconds per
// row written, so a row per event and per read model would not do.

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
	val   any // pointer to the document's Go value
	seq   int64
	tag   string
	dirty bool
}

// docCache is a write-back cache of one projection generation's documents.
// It is only touched by the goroutine holding the engine's write lock.
type docCache struct {
	table   string
	limit   int
	entries map[docKey]*docEntry
	dirty   []docKey
}

func newDocCache(table string, limit int) *docCache {
	return &docCache{table: table, limit: limit, entries: make(map[docKey]*docEntry)}
}

// reset forgets everything, dirty documents included: after a failed
// transaction the cache may hold changes the database never saw.
func (c *docCache) reset() {
	c.entries = make(map[docKey]*docEntry)
	c.dirty = c.dirty[:0]
}

// txn is what a projection's apply function works with: one write
// transaction of one projection generation.
type txn struct {
	ctx   context.Context
	tx    *sql.Tx
	cache *docCache
	get   *sql.Stmt
}

// load returns the document (kind, eng, id), from the cache or the database,
// and whether it exists. T is the document's type; the same kind must always
// be loaded with the same T.
func load[T any](t *txn, kind, eng, id string) (*T, bool, error) {
	k := docKey{kind, eng, id}
	if e, ok := t.cache.entries[k]; ok {
		v, ok := e.val.(*T)
		if !ok {
			return nil, false, fmt.Errorf("projections: document %s/%s loaded as %T, cached as %T", kind, id, v, e.val)
		}
		return v, true, nil
	}
	if t.get == nil {
		st, err := t.tx.PrepareContext(t.ctx, fmt.Sprintf(`SELECT seq, tag, data FROM %s WHERE eng = ? AND kind = ? AND id = ?`, t.cache.table))
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
	t.cache.entries[k] = &docEntry{val: v, seq: seq, tag: tag}
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
	e, ok := t.cache.entries[k]
	if !ok {
		e = &docEntry{seq: seq}
		t.cache.entries[k] = e
	}
	e.val, e.tag = v, tag
	if !e.dirty {
		e.dirty = true
		t.cache.dirty = append(t.cache.dirty, k)
	}
}

// flush writes every dirty document. The caller commits.
func (t *txn) flush() error {
	c := t.cache
	if len(c.dirty) == 0 {
		return nil
	}
	// Writing in key order keeps the B-tree work local.
	slices.SortFunc(c.dirty, func(a, b docKey) int {
		if n := strings.Compare(a.eng, b.eng); n != 0 {
			return n
		}
		if n := strings.Compare(a.kind, b.kind); n != 0 {
			return n
		}
		return strings.Compare(a.id, b.id)
	})
	st, err := t.tx.PrepareContext(t.ctx, fmt.Sprintf(`INSERT OR REPLACE INTO %s (eng, kind, id, seq, tag, data) VALUES (?, ?, ?, ?, ?, ?)`, c.table))
	if err != nil {
		return fmt.Errorf("prepare flush: %w", err)
	}
	defer st.Close()
	for _, k := range c.dirty {
		e := c.entries[k]
		var data []byte
		if l, ok := e.val.(*rawList); ok {
			data = l.bytes()
		} else if data, err = json.Marshal(e.val); err != nil {
			return fmt.Errorf("encode %s/%s: %w", k.kind, k.id, err)
		}
		if _, err := st.ExecContext(t.ctx, k.eng, k.kind, k.id, e.seq, e.tag, data); err != nil {
			return fmt.Errorf("write %s/%s: %w", k.kind, k.id, err)
		}
	}
	return nil
}

// committed clears the dirty marks once the transaction is durable, and
// bounds the cache.
func (c *docCache) committed() {
	for _, k := range c.dirty {
		if e, ok := c.entries[k]; ok {
			e.dirty = false
		}
	}
	c.dirty = c.dirty[:0]
	if len(c.entries) > c.limit {
		c.entries = make(map[docKey]*docEntry)
	}
}

func (t *txn) close() {
	if t.get != nil {
		t.get.Close()
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
type rawList struct{ buf []byte }

func (l *rawList) UnmarshalJSON(b []byte) error {
	l.buf = append(l.buf[:0], b...)
	return nil
}

func (l *rawList) MarshalJSON() ([]byte, error) { return l.bytes(), nil }

func (l *rawList) bytes() []byte {
	if len(l.buf) == 0 {
		return []byte("[]")
	}
	return l.buf
}

// add appends v, encoded, to the array.
func (l *rawList) add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if n := len(l.buf); n < 2 || string(l.buf) == "[]" {
		l.buf = append(l.buf[:0], '[')
	} else {
		l.buf = append(l.buf[:n-1], ',') // replace the closing bracket
	}
	l.buf = append(l.buf, b...)
	l.buf = append(l.buf, ']')
	return nil
}
