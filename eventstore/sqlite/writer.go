package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/eventstore"
)

// appendReq is one Append waiting for the writer.
type appendReq struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData

	res  eventstore.AppendResult
	err  error
	done chan struct{} // closed by the writer once res and err are set
}

// writer owns the only write connection; run is its goroutine.
type writer struct {
	conn     *sqlite3.Conn
	group    bool
	maxBatch int
	reqs     chan *appendReq
	stop     chan struct{} // closed by Store.Close
	exited   chan struct{} // closed when run returns
	notify   func()        // called after a commit that stored events

	begin, commit, rollback         *sqlite3.Stmt
	savepoint, release, rollbackTo  *sqlite3.Stmt
	head, byID, lastRev, insertStmt *sqlite3.Stmt
}

func openWriter(ctx context.Context, path string, cfg config) (_ *writer, err error) {
	conn, err := sqlite3.OpenContext(ctx, path)
	if err != nil {
		return nil, classify("open write connection", err)
	}
	defer func() {
		if err != nil {
			closeConn(conn)
		}
	}()
	if err := conn.BusyTimeout(5 * time.Second); err != nil {
		return nil, classify("set busy timeout", err)
	}
	mode, err := pragmaText(conn, `PRAGMA journal_mode = WAL`)
	if err != nil {
		return nil, classify("set WAL mode", err)
	}
	if mode != "wal" {
		return nil, fmt.Errorf("journal mode is %q, not wal (is the path a file?)", mode)
	}
	pragmas := append([]string{
		`PRAGMA synchronous = FULL`,  // fsync the WAL at every commit
		`PRAGMA cache_size = -32768`, // 32 MiB: the hot index pages of a big file
	}, cfg.pragmas...)
	for _, p := range pragmas {
		if err := conn.Exec(p); err != nil {
			return nil, classify(p, err)
		}
	}
	if err := migrate(conn); err != nil {
		return nil, err
	}
	w := &writer{
		conn:     conn,
		group:    cfg.groupCommit,
		maxBatch: cfg.maxBatch,
		reqs:     make(chan *appendReq, 1024),
		stop:     make(chan struct{}),
		exited:   make(chan struct{}),
	}
	stmts := []struct {
		st  **sqlite3.Stmt
		sql string
	}{
		{&w.begin, `BEGIN IMMEDIATE`},
		{&w.commit, `COMMIT`},
		{&w.rollback, `ROLLBACK`},
		{&w.savepoint, `SAVEPOINT req`},
		{&w.release, `RELEASE req`},
		{&w.rollbackTo, `ROLLBACK TO req`},
		{&w.head, `SELECT coalesce(max(pos), 0) FROM events`},
		{&w.byID, `SELECT stream, rev, pos, append_end FROM events WHERE id = ?`},
		{&w.lastRev, `SELECT rev FROM events WHERE stream = ? ORDER BY rev DESC LIMIT 1`},
		{&w.insertStmt, `INSERT INTO events (pos, stream, rev, id, type, recorded_at, append_end, data, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
	}
	for _, s := range stmts {
		if *s.st, _, err = conn.Prepare(s.sql); err != nil {
			return nil, classify("prepare "+s.sql, err)
		}
	}
	return w, nil
}

func pragmaText(conn *sqlite3.Conn, sql string) (string, error) {
	st, _, err := conn.Prepare(sql)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if !st.Step() {
		return "", st.Err()
	}
	return st.ColumnText(0), nil
}

func (w *writer) close() error {
	return closeConn(w.conn)
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if len(events) == 0 {
		return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", stream, eventstore.ErrEmptyAppend)
	}
	for i := range events {
		if events[i].ID == uuid.Nil {
			return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: event %d has no id: %w", stream, i, ErrInvalidArgument)
		}
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", stream, err)
	}
	r := &appendReq{ctx: ctx, stream: stream, expected: expected, events: events, done: make(chan struct{})}
	select {
	case s.w.reqs <- r:
	case <-s.done:
		return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", stream, eventstore.ErrClosed)
	case <-ctx.Done():
		return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", stream, ctx.Err())
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		// The writer may still store it: the caller retries with the same
		// ids, which is idempotent.
		return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: outcome unknown: %w", stream, ctx.Err())
	case <-s.w.exited:
		select {
		case <-r.done: // answered just before the writer stopped
			return r.res, r.err
		default:
			return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", stream, eventstore.ErrClosed)
		}
	}
}

// linger bounds how long the writer waits for the callers of its previous
// batch to come back, a fraction of what one commit (an fsync) costs.
const linger = 200 * time.Microsecond

// run takes requests until stop, storing together all those that wait.
func (w *writer) run() {
	defer close(w.exited)
	var batch []*appendReq
	timer := time.NewTimer(linger)
	timer.Stop()
	last := 0 // requests in the previous batch
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		case <-w.stop:
			w.drain()
			return
		}
		n := len(batch[0].events)
		if w.group {
			// Let the callers just answered submit their next request:
			// on few cores they would otherwise miss this batch and wait
			// a whole commit. Wait for as many as the last batch held,
			// a short while at most, then take whatever is queued.
			runtime.Gosched()
			timer.Reset(linger)
		wait:
			for len(batch) < last && n < w.maxBatch {
				select {
				case r := <-w.reqs:
					batch = append(batch, r)
					n += len(r.events)
				case <-timer.C:
					break wait
				}
			}
			timer.Stop()
		}
	collect:
		for w.group && n < w.maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
				n += len(r.events)
			default:
				break collect
			}
		}
		last = len(batch)
		w.store(batch)
		clear(batch) // let the requests be collected
	}
}

// drain fails the requests still queued when the store closes.
func (w *writer) drain() {
	for {
		select {
		case r := <-w.reqs:
			r.err = fmt.Errorf("sqlite: append to %q: %w", r.stream, eventstore.ErrClosed)
			close(r.done)
		default:
			return
		}
	}
}

// store answers every request of batch, storing the valid ones in one
// transaction. Each request is checked before anything of it is written, so
// a refused request needs no rollback; should an insert fail all the same
// (a blob too big, a constraint missed by the checks), the batch is run
// again with a savepoint around each request.
func (w *writer) store(batch []*appendReq) {
	stored, again := w.storeTx(batch, false)
	if again {
		for _, r := range batch {
			r.res, r.err = eventstore.AppendResult{}, nil
		}
		stored, _ = w.storeTx(batch, true)
	}
	if stored {
		w.notify()
	}
	for _, r := range batch {
		close(r.done)
	}
}

// storeTx runs one transaction for batch, with a savepoint per request when
// careful. It reports whether events were stored, and, when not careful,
// whether the batch must be run again carefully.
func (w *writer) storeTx(batch []*appendReq, careful bool) (stored, again bool) {
	failAll := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.res, r.err = eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", r.stream, err)
			}
		}
	}
	// fail aborts the transaction; stmt errors leave it unusable.
	fail := func(op string, err error) (bool, bool) {
		w.abort()
		failAll(classify(op, err))
		return false, false
	}
	if err := w.begin.Exec(); err != nil {
		failAll(classify("begin", err))
		return false, false
	}
	head, err := w.queryInt(w.head)
	if err != nil {
		return fail("read head", err)
	}
	now := time.Now().UTC().UnixNano()
	inserted := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("sqlite: append to %q: %w", r.stream, err)
			continue
		}
		if careful {
			if err := w.savepoint.Exec(); err != nil {
				return fail("savepoint", err)
			}
		}
		res, n, wrote, err := w.apply(r, uint64(head), now)
		if err != nil && unavailable(err) {
			w.abort()
			failAll(err)
			return false, false
		}
		if err != nil && wrote {
			if !careful {
				w.abort()
				return false, true
			}
			if err := w.rollbackTo.Exec(); err != nil {
				return fail("rollback to savepoint", err)
			}
		}
		if careful {
			if err := w.release.Exec(); err != nil {
				return fail("release savepoint", err)
			}
		}
		r.res, r.err = res, err
		if err != nil && !errors.As(err, new(*eventstore.ConflictError)) {
			r.err = fmt.Errorf("sqlite: append to %q: %w", r.stream, err)
		}
		head += int64(n)
		inserted += n
	}
	if err := w.commit.Exec(); err != nil {
		return fail("commit", err)
	}
	return inserted > 0, false
}

// abort rolls the transaction back after a failure; SQLite may already
// have done so, hence the ignored error.
func (w *writer) abort() { _ = w.rollback.Exec() }

// apply checks one request against the stream and inserts its events after
// position head. It returns how many events it inserted (none for an
// idempotent retry), and on error whether it had written anything.
func (w *writer) apply(r *appendReq, head uint64, now int64) (_ eventstore.AppendResult, inserted int, wrote bool, _ error) {
	if res, ok, err := w.previousAppend(r); err != nil || ok {
		return res, 0, false, err
	}
	if err := w.checkNewIDs(r); err != nil {
		return eventstore.AppendResult{}, 0, false, err
	}
	last, exists, err := w.streamRevision(r.stream)
	if err != nil {
		return eventstore.AppendResult{}, 0, false, classify("read revision", err)
	}
	if !r.expected.Check(last, exists) {
		return eventstore.AppendResult{}, 0, false, &eventstore.ConflictError{Stream: r.stream, Expected: r.expected, Actual: last, Exists: exists}
	}
	rev := uint64(0)
	if exists {
		rev = last + 1
	}
	end := head + uint64(len(r.events))
	for i := range r.events {
		if err := w.insert(r.stream, &r.events[i], head+1+uint64(i), rev+uint64(i), end, now); err != nil {
			if errors.Is(err, sqlite3.CONSTRAINT) {
				err = fmt.Errorf("event %d id %s: %w", i, r.events[i].ID, ErrDuplicateEventID)
			} else {
				err = classify("insert", err)
			}
			return eventstore.AppendResult{}, 0, true, err
		}
	}
	return eventstore.AppendResult{NextRevision: rev + uint64(len(r.events)) - 1, Position: eventstore.Position(end)}, len(r.events), false, nil
}

// checkNewIDs fails unless the ids of r after the first (checked by
// previousAppend) are stored nowhere and distinct.
func (w *writer) checkNewIDs(r *appendReq) error {
	var seen map[uuid.UUID]bool // for big appends; small ones compare pairs
	if len(r.events) > 16 {
		seen = make(map[uuid.UUID]bool, len(r.events))
		seen[r.events[0].ID] = true
	}
	for i := 1; i < len(r.events); i++ {
		id := r.events[i].ID
		repeated := seen[id]
		if seen != nil {
			seen[id] = true
		} else {
			repeated = slices.ContainsFunc(r.events[:i], func(e eventstore.EventData) bool { return e.ID == id })
		}
		if repeated {
			return fmt.Errorf("event %d id %s: repeated in the append: %w", i, id, ErrDuplicateEventID)
		}
		if _, found, err := w.lookupID(id); err != nil {
			return err
		} else if found {
			return fmt.Errorf("event %d id %s: %w", i, id, ErrDuplicateEventID)
		}
	}
	return nil
}

// previousAppend reports whether r retries an Append already stored, and
// that Append's result. Probing the first id keeps the common case (a new
// Append) to one index lookup; a later id already stored fails the insert.
func (w *writer) previousAppend(r *appendReq) (eventstore.AppendResult, bool, error) {
	first, found, err := w.lookupID(r.events[0].ID)
	if err != nil || !found {
		return eventstore.AppendResult{}, false, err
	}
	dup := fmt.Errorf("event id %s: %w", r.events[0].ID, ErrDuplicateEventID)
	if first.stream != r.stream {
		return eventstore.AppendResult{}, false, dup
	}
	for _, e := range r.events[1:] {
		other, found, err := w.lookupID(e.ID)
		if err != nil {
			return eventstore.AppendResult{}, false, err
		}
		if !found || other.stream != r.stream || other.appendEnd != first.appendEnd {
			return eventstore.AppendResult{}, false, fmt.Errorf("event id %s: %w", e.ID, ErrDuplicateEventID)
		}
	}
	// Positions and revisions are both consecutive within one Append.
	lastRev := first.rev + (first.appendEnd - first.pos)
	return eventstore.AppendResult{NextRevision: lastRev, Position: eventstore.Position(first.appendEnd)}, true, nil
}

type storedID struct {
	stream              string
	rev, pos, appendEnd uint64
}

func (w *writer) lookupID(id uuid.UUID) (storedID, bool, error) {
	st := w.byID
	defer st.Reset()
	if err := st.BindBlob(1, id[:]); err != nil {
		return storedID{}, false, classify("bind id", err)
	}
	if !st.Step() {
		return storedID{}, false, classify("look up event id", st.Err())
	}
	return storedID{
		stream:    st.ColumnText(0),
		rev:       uint64(st.ColumnInt64(1)),
		pos:       uint64(st.ColumnInt64(2)),
		appendEnd: uint64(st.ColumnInt64(3)),
	}, true, nil
}

func (w *writer) streamRevision(stream string) (uint64, bool, error) {
	st := w.lastRev
	defer st.Reset()
	if err := st.BindText(1, stream); err != nil {
		return 0, false, err
	}
	if !st.Step() {
		return 0, false, st.Err()
	}
	return uint64(st.ColumnInt64(0)), true, nil
}

func (w *writer) insert(stream string, e *eventstore.EventData, pos, rev, end uint64, now int64) error {
	st := w.insertStmt
	data := e.Data
	if data == nil {
		data = []byte{} // NOT NULL: nil data is stored as empty
	}
	for _, err := range []error{
		st.BindInt64(1, int64(pos)),
		st.BindText(2, stream),
		st.BindInt64(3, int64(rev)),
		st.BindBlob(4, e.ID[:]),
		st.BindText(5, e.Type),
		st.BindInt64(6, now),
		st.BindInt64(7, int64(end)),
		st.BindBlob(8, data),
		st.BindBlob(9, e.Metadata),
	} {
		if err != nil {
			return err
		}
	}
	return st.Exec()
}

func (w *writer) queryInt(st *sqlite3.Stmt) (int64, error) {
	defer st.Reset()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%s: no row", st.SQL())
	}
	return st.ColumnInt64(0), nil
}
