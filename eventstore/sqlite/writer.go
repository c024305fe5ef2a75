package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/internal/fileperm"
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
	onCommit func(events int, took time.Duration)
	ckpt     *checkpointer
	// walFrames is the length of the WAL after the last commit, set by
	// the WAL hook; wokeAt is what it was when the checkpointer was last
	// woken.
	walFrames *int
	wokeAt    int

	// revs caches the last revision of streams as committed, so that most
	// appends skip the revision lookup. It is valid while no other
	// connection commits: version is the file's data_version when it was
	// last checked, and a change of it empties revs. pending holds what the
	// open transaction learned and wrote, merged into revs only after its
	// COMMIT succeeded; any failure empties revs.
	revs    map[string]uint64
	pending map[string]revision
	version int64

	begin, commit, rollback         *sqlite3.Stmt
	savepoint, release, rollbackTo  *sqlite3.Stmt
	head, byID, lastRev, insertStmt *sqlite3.Stmt
}

// revision is a stream's last revision, or its absence.
type revision struct {
	last   uint64
	exists bool
}

// maxCachedStreams bounds the revision cache; past it the cache starts over
// (a stream absent from it costs one index lookup).
const maxCachedStreams = 1 << 16

func openWriter(ctx context.Context, path string, cfg config) (_ *writer, err error) {
	uri := withVFS(path, walVFS)
	if !strings.HasPrefix(path, "file:") {
		// A log SQLite creates again takes the database's mode (see fileperm).
		uri += "&" + fileperm.ModeOf(path)
	}
	conn, err := sqlite3.OpenContext(ctx, uri)
	if err != nil {
		return nil, classify("open write connection", err)
	}
	defer func() {
		if err != nil {
			closeConn(conn)
		}
	}()
	if err := conn.BusyTimeout(busyTimeout); err != nil {
		return nil, classify("set busy timeout", err)
	}
	// Only a new, empty file takes the page size, and only before it is
	// in WAL mode; an existing file keeps its own.
	if err := conn.Exec(fmt.Sprintf(`PRAGMA page_size = %d`, cfg.pageSize)); err != nil {
		return nil, classify("set page size", err)
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
	// The WAL hook replaces SQLite's automatic checkpoint, which would run
	// in the writer: checkpoints run in the background (see checkpointer).
	var walFrames int
	conn.WALHook(func(_ *sqlite3.Conn, _ string, frames int) error {
		walFrames = frames
		return nil
	})
	w := &writer{
		conn:      conn,
		group:     cfg.groupCommit,
		onCommit:  cfg.onCommit,
		maxBatch:  cfg.maxBatch,
		reqs:      make(chan *appendReq, 1024),
		stop:      make(chan struct{}),
		exited:    make(chan struct{}),
		walFrames: &walFrames,
		revs:      make(map[string]uint64),
		pending:   make(map[string]revision),
		version:   -1,
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
		{&w.head, `SELECT coalesce(max(pos), 0), (SELECT data_version FROM pragma_data_version) FROM events`},
		{&w.byID, `SELECT stream, rev, pos, append_end, recorded_at FROM events WHERE id = ?`},
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
	w.ckpt.txn.Lock() // the checkpointer may hold the writer between transactions
	start := time.Now()
	stored, again := w.storeTx(batch, false)
	if again {
		for _, r := range batch {
			r.res, r.err = eventstore.AppendResult{}, nil
		}
		stored, _ = w.storeTx(batch, true)
	}
	took := time.Since(start)
	w.ckpt.txn.Unlock()
	if stored > 0 {
		if w.onCommit != nil {
			w.onCommit(stored, took)
		}
		w.notify()
	}
	for _, r := range batch {
		close(r.done)
	}
	// After the answers, so that no caller of this batch waits for it.
	w.wokeAt = w.ckpt.committed(*w.walFrames, w.wokeAt)
}

// storeTx runs one transaction for batch, with a savepoint per request when
// careful. It reports how many events it stored, and, when not careful,
// whether the batch must be run again carefully.
func (w *writer) storeTx(batch []*appendReq, careful bool) (stored int, again bool) {
	failAll := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.res, r.err = eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %q: %w", r.stream, err)
			}
		}
	}
	// fail aborts the transaction; stmt errors leave it unusable.
	fail := func(op string, err error) (int, bool) {
		w.abort()
		failAll(classify(op, err))
		return 0, false
	}
	clear(w.pending)
	if err := w.begin.Exec(); err != nil {
		failAll(classify("begin", err))
		return 0, false
	}
	head, version, err := w.readHead()
	if err != nil {
		return fail("read head", err)
	}
	if version != w.version {
		// Another connection (another process) committed: what the cache
		// knows may be stale.
		clear(w.revs)
		w.version = version
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
			return 0, false
		}
		if err != nil && wrote {
			if !careful {
				w.abort()
				return 0, true
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
	if len(w.revs)+len(w.pending) > maxCachedStreams {
		clear(w.revs)
	}
	for stream, rev := range w.pending {
		if rev.exists {
			w.revs[stream] = rev.last
		}
	}
	return inserted, false
}

// abort rolls the transaction back after a failure and forgets the cached
// revisions; SQLite may already have rolled back, hence the ignored error.
func (w *writer) abort() {
	_ = w.rollback.Exec()
	clear(w.revs)
}

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
	next := rev + uint64(len(r.events)) - 1
	w.pending[r.stream] = revision{last: next, exists: true}
	return eventstore.AppendResult{
		NextRevision: next, Position: eventstore.Position(end),
		Events: consecutive(eventstore.Position(head+1), len(r.events), time.Unix(0, now).UTC()),
	}, len(r.events), false, nil
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
	return eventstore.AppendResult{
		NextRevision: lastRev, Position: eventstore.Position(first.appendEnd),
		Events: consecutive(eventstore.Position(first.pos), int(first.appendEnd-first.pos)+1, time.Unix(0, first.recordedAt).UTC()),
	}, true, nil
}

// consecutive describes n events stored in one transaction from position
// first: the embedded store's appends.
func consecutive(first eventstore.Position, n int, at time.Time) []eventstore.Stored {
	out := make([]eventstore.Stored, n)
	for i := range out {
		out[i] = eventstore.Stored{Position: first + eventstore.Position(i), RecordedAt: at}
	}
	return out
}

type storedID struct {
	stream              string
	rev, pos, appendEnd uint64
	recordedAt          int64 // Unix nanoseconds
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
		stream:     st.ColumnText(0),
		rev:        uint64(st.ColumnInt64(1)),
		pos:        uint64(st.ColumnInt64(2)),
		appendEnd:  uint64(st.ColumnInt64(3)),
		recordedAt: st.ColumnInt64(4),
	}, true, nil
}

// streamRevision returns the last revision of stream as the open
// transaction sees it: from what it wrote or looked up already, from the
// cache of committed revisions, or from the index.
func (w *writer) streamRevision(stream string) (uint64, bool, error) {
	if rev, ok := w.pending[stream]; ok {
		return rev.last, rev.exists, nil
	}
	if last, ok := w.revs[stream]; ok {
		return last, true, nil
	}
	st := w.lastRev
	defer st.Reset()
	if err := st.BindText(1, stream); err != nil {
		return 0, false, err
	}
	var rev revision
	if st.Step() {
		rev = revision{last: uint64(st.ColumnInt64(0)), exists: true}
	} else if err := st.Err(); err != nil {
		return 0, false, err
	}
	// A lookup sees what is committed, the transaction having written
	// nothing to stream yet (a request rolled back to its savepoint wrote
	// nothing either).
	w.pending[stream] = rev
	return rev.last, rev.exists, nil
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

// readHead returns the last position stored and the file's data_version,
// which changes when another connection commits.
func (w *writer) readHead() (head, version int64, err error) {
	st := w.head
	defer st.Reset()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return 0, 0, err
		}
		return 0, 0, fmt.Errorf("%s: no row", st.SQL())
	}
	return st.ColumnInt64(0), st.ColumnInt64(1), nil
}
