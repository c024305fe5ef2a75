package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/eventstore"
)

// DefaultReadAllLimit is how many events ReadAll returns when asked for 0.
const DefaultReadAllLimit = 1000

const eventColumns = `pos, stream, rev, id, type, recorded_at, data, meta`

// reader is one read connection with its prepared statements. The Store
// keeps its readers in a channel used as a pool.
type reader struct {
	conn                  *sqlite3.Conn
	readAll, head, exists *sqlite3.Stmt
	streamFwd, streamBwd  *sqlite3.Stmt
	filtered              map[string]*sqlite3.Stmt // by SQL text (see readFiltered)
	strings               map[string]string        // interned stream names and types
	buf                   []byte                   // arena for data and metadata
	lastLen               int                      // events the last scan returned
}

// readCacheKiB is each read connection's page cache. Reads are either
// sequential scans (ReadAll, subscriptions), which a cache does not
// speed up, or a stream's few pages by index; and each connection's
// WebAssembly memory never shrinks, so a scan of a large store would
// otherwise leave every connection holding a full cache for good.
var readCacheKiB = 4096

func openReader(ctx context.Context, path string) (_ *reader, err error) {
	conn, err := sqlite3.OpenContext(ctx, path)
	if err != nil {
		return nil, classify("open", err)
	}
	defer func() {
		if err != nil {
			closeConn(conn)
		}
	}()
	if err := conn.BusyTimeout(busyTimeout); err != nil {
		return nil, classify("set busy timeout", err)
	}
	// A read connection never writes, whatever a bug may ask.
	for _, p := range []string{`PRAGMA query_only = 1`, fmt.Sprintf(`PRAGMA cache_size = -%d`, readCacheKiB)} {
		if err := conn.Exec(p); err != nil {
			return nil, classify(p, err)
		}
	}
	r := &reader{conn: conn, strings: make(map[string]string)}
	stmts := []struct {
		st  **sqlite3.Stmt
		sql string
	}{
		{&r.readAll, `SELECT ` + eventColumns + ` FROM events WHERE pos > ? ORDER BY pos LIMIT ?`},
		{&r.head, `SELECT coalesce(max(pos), 0) FROM events`},
		{&r.exists, `SELECT 1 FROM events WHERE stream = ? LIMIT 1`},
		{&r.streamFwd, `SELECT ` + eventColumns + ` FROM events WHERE stream = ? AND rev >= ? ORDER BY rev LIMIT ?`},
		{&r.streamBwd, `SELECT ` + eventColumns + ` FROM events WHERE stream = ? AND rev <= ? ORDER BY rev DESC LIMIT ?`},
	}
	for _, s := range stmts {
		if *s.st, _, err = conn.Prepare(s.sql); err != nil {
			return nil, classify("prepare "+s.sql, err)
		}
	}
	return r, nil
}

func (r *reader) close() error { return closeConn(r.conn) }

// acquire takes a read connection from the pool, interruptible by ctx.
func (s *Store) acquire(ctx context.Context) (*reader, error) {
	select {
	case <-s.done:
		return nil, eventstore.ErrClosed
	default:
	}
	select {
	case r := <-s.readers:
		r.conn.SetInterrupt(ctx)
		return r, nil
	case <-s.done:
		return nil, eventstore.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Store) release(r *reader) {
	r.conn.SetInterrupt(context.Background())
	if len(r.strings) > 4096 { // do not grow without bound on many streams
		clear(r.strings)
	}
	s.readers <- r
}

// readErr wraps a read failure; an interrupted read reports ctx's error.
func readErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("sqlite: %s: %w", op, ctx.Err())
	}
	return fmt.Errorf("sqlite: %w", classify(op, err))
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		limit = DefaultReadAllLimit
	}
	r, err := s.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read all: %w", err)
	}
	defer s.release(r)
	st := r.readAll
	if err := bindAll(st, int64(min(uint64(after), math.MaxInt64)), int64(limit)); err != nil {
		return nil, readErr(ctx, "read all", err)
	}
	evs, err := r.scan(st, limit)
	if err != nil {
		return nil, readErr(ctx, "read all", err)
	}
	return evs, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	op := fmt.Sprintf("read stream %q", stream)
	r, err := s.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	defer s.release(r)
	st := r.streamFwd
	if opts.Direction == eventstore.Backwards {
		st = r.streamBwd
	}
	limit := int64(-1) // SQLite: no limit
	if opts.Limit > 0 {
		limit = int64(opts.Limit)
	}
	if err := bindAll(st, stream, int64(min(opts.From, math.MaxInt64)), limit); err != nil {
		return nil, readErr(ctx, op, err)
	}
	evs, err := r.scan(st, max(opts.Limit, 0))
	if err != nil {
		return nil, readErr(ctx, op, err)
	}
	if len(evs) > 0 {
		return evs, nil
	}
	// Nothing in range: tell a missing stream from a range past its end.
	defer r.exists.Reset()
	if err := bindAll(r.exists, stream); err != nil {
		return nil, readErr(ctx, op, err)
	}
	if !r.exists.Step() {
		if err := r.exists.Err(); err != nil {
			return nil, readErr(ctx, op, err)
		}
		return nil, fmt.Errorf("sqlite: %s: %w", op, eventstore.ErrStreamNotFound)
	}
	return evs, nil
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	r, err := s.acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: head: %w", err)
	}
	defer s.release(r)
	h, err := r.headPos()
	if err != nil {
		return 0, readErr(ctx, "head", err)
	}
	return h, nil
}

func (r *reader) headPos() (eventstore.Position, error) {
	st := r.head
	defer st.Reset()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("no row for max(pos)")
	}
	return eventstore.Position(st.ColumnInt64(0)), nil
}

// readFiltered returns up to limit events after after that pass f, and the
// position the next read starts after: past the last event returned, or,
// when fewer than limit matched, past every event the read could see, so
// that a selective filter does not scan the same events again.
func (r *reader) readFiltered(after eventstore.Position, f eventstore.Filter, limit int) ([]eventstore.RecordedEvent, eventstore.Position, bool, error) {
	head, err := r.headPos()
	if err != nil || head <= after {
		return nil, after, false, err
	}
	var where strings.Builder
	args := []any{int64(after), int64(head)}
	// In a fixed order, so that a filter gives the same SQL every time.
	for _, c := range [...]struct {
		col      string
		prefixes []string
	}{{"stream", f.StreamPrefixes}, {"type", f.TypePrefixes}} {
		for _, p := range c.prefixes {
			if where.Len() > 0 {
				where.WriteString(" OR ")
			}
			// A prefix range on the BINARY collation (memcmp) is exactly
			// a byte prefix match.
			if hi, ok := prefixEnd(p); ok {
				fmt.Fprintf(&where, "(%s >= ? AND %s < ?)", c.col, c.col)
				args = append(args, p, hi)
			} else {
				fmt.Fprintf(&where, "%s >= ?", c.col)
				args = append(args, p)
			}
		}
	}
	args = append(args, int64(limit))
	st, err := r.prepareFiltered(`SELECT ` + eventColumns + ` FROM events WHERE pos > ? AND pos <= ? AND (` + where.String() + `) ORDER BY pos LIMIT ?`)
	if err != nil {
		return nil, after, false, err
	}
	if err := bindAll(st, args...); err != nil {
		st.Reset()
		return nil, after, false, err
	}
	evs, err := r.scan(st, limit)
	if err != nil {
		return nil, after, false, err
	}
	if len(evs) == limit {
		return evs, evs[len(evs)-1].Position, true, nil
	}
	return evs, head, false, nil
}

// maxFiltered bounds the filtered reads' statements kept per connection: a
// subscription repeats its filter's statement at every commit, and parsing
// it cost more than the read.
const maxFiltered = 16

// prepareFiltered returns the connection's prepared statement for query.
func (r *reader) prepareFiltered(query string) (*sqlite3.Stmt, error) {
	if st, ok := r.filtered[query]; ok {
		return st, nil
	}
	if len(r.filtered) >= maxFiltered {
		for q, st := range r.filtered {
			st.Close()
			delete(r.filtered, q)
		}
	}
	st, _, err := r.conn.Prepare(query)
	if err != nil {
		return nil, err
	}
	if r.filtered == nil {
		r.filtered = make(map[string]*sqlite3.Stmt)
	}
	r.filtered[query] = st
	return st, nil
}

// prefixEnd returns the smallest string greater than every string starting
// with p, or false when there is none (p empty or all 0xff bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

func bindAll(st *sqlite3.Stmt, args ...any) error {
	for i, a := range args {
		var err error
		switch v := a.(type) {
		case int64:
			err = st.BindInt64(i+1, v)
		case string:
			err = st.BindText(i+1, v)
		default:
			err = fmt.Errorf("bind %T", a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scan reads the rows of st (selecting eventColumns) and resets it.
func (r *reader) scan(st *sqlite3.Stmt, sizeHint int) ([]eventstore.RecordedEvent, error) {
	defer st.Reset()
	// A live subscription reads a few events per commit with a large
	// limit, a scan full pages: size by the last result on this connection,
	// which saves the subscription ~140 KB of slice per read.
	evs := make([]eventstore.RecordedEvent, 0, min(sizeHint, max(32, r.lastLen)))
	defer func() { r.lastLen = len(evs) }()
	for st.Step() {
		var e eventstore.RecordedEvent
		e.Position = eventstore.Position(st.ColumnInt64(0))
		e.Stream = r.intern(st.ColumnRawText(1))
		e.Revision = uint64(st.ColumnInt64(2))
		copy(e.ID[:], st.ColumnRawBlob(3))
		e.Type = r.intern(st.ColumnRawText(4))
		e.RecordedAt = time.Unix(0, st.ColumnInt64(5)).UTC()
		e.Data = r.bytes(st.ColumnRawBlob(6))
		e.Metadata = r.bytes(st.ColumnRawBlob(7))
		evs = append(evs, e)
	}
	return evs, st.Err()
}

// intern returns b as a string, sharing one allocation per distinct value:
// a page of events has few distinct streams and types.
func (r *reader) intern(b []byte) string {
	if s, ok := r.strings[string(b)]; ok {
		return s
	}
	s := string(b)
	r.strings[s] = s
	return s
}

// bytes copies b out of SQLite's memory into chunks shared by the events of
// a read, so that a page costs a few allocations rather than two per event.
// Each result is capped so that appending to it never writes into another.
func (r *reader) bytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	const chunk = 64 << 10
	if len(b) > chunk/4 {
		return append([]byte(nil), b...)
	}
	if cap(r.buf)-len(r.buf) < len(b) {
		r.buf = make([]byte, 0, chunk)
	}
	start := len(r.buf)
	r.buf = append(r.buf, b...)
	return r.buf[start:len(r.buf):len(r.buf)]
}
