// Package projections maintains Candor's read models: projections of the
// engagement events into SQLite tables, each with its checkpoint.
//
// # How a projection runs
//
// Every projection has a name and a version. Its read model lives in a
// table of one generation; the table and the checkpoint (the global position
// of the last event applied) are written in the same SQLite transaction, so a
// crash can neither apply an event twice nor skip one: an event at or below
// the checkpoint is skipped. Events are applied in batches, many per
// transaction.
//
// Far behind the head of the store (a first start, a rebuild), the engine
// catches up in large steps: events are decoded on every processor, each
// batch is applied in memory only (the projections in parallel), and every
// few batches the documents changed since the last step are encoded and
// written once, with the checkpoints, in one transaction, by a goroutine
// of their own while the next step is applied (flush.go). A crash or a
// failure loses at most the steps in progress, which are applied again,
// once, from the checkpoints. At the head, commits go as a group commit:
// the events that come while one is written are staged, and committed
// together once it is durable (see commitLive).
//
// The live projections follow the store with one subscription (Run). When a
// projection's version changes, or on demand (Rebuild), a new generation is
// built from position zero next to the serving one, which keeps answering
// queries; once the new generation has caught up it replaces the old one in
// one transaction.
//
// The engine only uses eventstore.Store, so it runs unchanged on any backend.
package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // database/sql driver "sqlite3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/internal/fileperm"
	"github.com/candor-ledger/candor/ledger"
)

// Errors of the engine. Test with errors.Is.
var (
	// ErrUnknownProjection: no projection has that name.
	ErrUnknownProjection = errors.New("projections: unknown projection")
	// ErrNotReady: the projection is being built for the first time and
	// has no read model to serve yet.
	ErrNotReady = errors.New("projections: read model not ready")
	// ErrNotFound: no such engagement (or item) in the read model.
	ErrNotFound = errors.New("projections: not found")
	// ErrInvalidCursor: a page cursor that this package did not issue.
	ErrInvalidCursor = errors.New("projections: invalid cursor")
	// ErrClosed: the engine is closed.
	ErrClosed = errors.New("projections: engine closed")
)

// Options tune an Engine. The zero value is usable.
type Options struct {
	// Registerer, when set, receives the lag gauges and counters.
	Registerer prometheus.Registerer
	// BatchSize is the most events applied in one transaction (default 8192).
	BatchSize int
	// CacheSize bounds the documents each projection keeps in memory
	// between batches (default 100,000). While catching up, every document
	// changed since the last commit stays in memory as well.
	CacheSize int
	// CommitInterval is the least time between two commits at the head of
	// the store under a steady stream of events (default 10ms): the events
	// of that time commit in one transaction (see commitLive). Negative:
	// no wait.
	CommitInterval time.Duration
	// Now gives the time for lag figures (default time.Now).
	Now func() time.Time
	// Logger reports background rebuilds (default slog.Default()).
	Logger *slog.Logger
}

// Engine runs the projections and answers queries on their read models.
type Engine struct {
	db    *sql.DB
	reads *stmtCache // prepared read queries of the query methods
	store eventstore.Store
	opts  Options

	// writeMu serialises writers: SQLite has one, and the switch-over of a
	// rebuilt generation must not interleave with a live batch.
	writeMu     sync.Mutex
	liveUnsaved int                 // events staged and not committed; under writeMu
	livePos     eventstore.Position // of the last of them; under writeMu
	liveFlush   *flush              // the serving generations' last step in flight; under writeMu
	flushSeq    uint64              // of the last flush prepared; under writeMu
	// sqlMu serialises SQLite write transactions, which flushes run
	// without writeMu (see flush.go): SQLite would make one wait on the
	// other through its busy timeout instead.
	sqlMu   sync.Mutex
	uri     string  // of the read-model file, with the pragmas of every connection
	w       *writer // where flushes write, under sqlMu (see Engine.writer)
	ckpt    *checkpointer
	writing atomic.Int32 // flushes being written in the background

	mu      sync.RWMutex
	live    map[string]*instance // serving generation of each projection
	pending []*instance          // generations to build in the background
	builds  map[string]*instance // generations being built, for status
	running map[string]*sync.Mutex

	applied  atomic.Uint64 // position every live projection has applied
	epoch    atomic.Uint64 // bumped when a rebuilt generation starts serving
	notifyMu sync.Mutex
	notify   chan struct{} // closed and replaced when applied moves

	eventsApplied prometheus.Counter
	closed        atomic.Bool

	// Transactions, documents and bytes written, for the benchmarks.
	commits, rowsWritten, bytesWritten atomic.Int64
	releases                           atomic.Int64 // of memory (releaseMemory), for the tests

	// failpoint, set by tests, makes applying fail at an event.
	failpoint func(projection string, pos eventstore.Position) error
	// beforeWrite, set by tests, runs before a flush is written (on the
	// flush's goroutine); an error fails the flush.
	beforeWrite func(f *flush) error
}

// instance is one generation of one projection.
type instance struct {
	def   *definition
	gen   int
	table string
	cp    atomic.Uint64 // committed checkpoint
	cache *docCache
	txn   txn // what stageOne applies with, under the engine's writeMu

	// Guarded by the engine's writeMu: the position applied to the cache,
	// at or after cp, and how many events were staged since the last
	// commit.
	staged      eventstore.Position
	unsaved     int
	flushing    *flush              // the step being written, if any
	flushingPos eventstore.Position // the checkpoint it writes

	// readers is held (shared) by queries on the table; dropping a
	// replaced generation waits for them and sets dropped.
	readers sync.RWMutex
	dropped bool
}

func (in *instance) checkpoint() eventstore.Position { return eventstore.Position(in.cp.Load()) }

// pending is the position committed or being written: what was staged
// after it has not been encoded yet. The caller holds the engine's writeMu.
func (in *instance) pending() eventstore.Position {
	if in.flushing != nil {
		return in.flushingPos
	}
	return in.checkpoint()
}

// discard forgets what was staged and not committed: the cache may hold
// changes the database never saw. A flush in flight is waited for first:
// what it writes is committed or not, and the checkpoint says which. The
// caller holds the engine's writeMu.
func (in *instance) discard() {
	if f := in.flushing; f != nil {
		_ = settle(f) // its outcome is in the checkpoint
	}
	in.cache.reset()
	in.staged = in.checkpoint()
	in.unsaved = 0
}

// definition is what a projection is: a name, a version to bump when its
// logic or shape changes, and how it applies one event.
type definition struct {
	name    string
	version int
	tagged  bool // its table needs the tag index (list filters)
	cost    int  // how long it takes to apply an event, roughly, relative to the others
	apply   func(t *txn, r *ledger.Recorded) error
}

// Open opens (or creates) the read-model database at path and prepares the
// projections: each resumes from its checkpoint; one whose version changed
// gets a new generation, built in the background once Run starts.
func Open(ctx context.Context, path string, store eventstore.Store, opts Options) (*Engine, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 8192
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 100_000
	}
	if opts.CommitInterval == 0 {
		opts.CommitInterval = 10 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: strings.Join([]string{
		// Before WAL creates the file. A changed document costs a page in
		// the WAL and again at the checkpoint: 64 KiB pages wrote six
		// times the documents' bytes when rebuilding, 16 KiB ones half
		// that, and a timeline chunk still fits in two. Smaller pages
		// cut the WAL's bytes per live event (8 KiB: -28%, 4 KiB: -46%)
		// but not the CPU: the chunks then span several pages (4 KiB
		// cost 5-10% more).
		"_pragma=page_size(" + strconv.Itoa(pageSize) + ")",
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(wal)",
		// NORMAL in WAL mode may lose the last transactions on power loss,
		// never half of one: model and checkpoint go back together.
		"_pragma=synchronous(normal)",
		// Readers look up a few hot documents; the writing connection
		// sets its own, larger cache (writeCacheKiB).
		"_pragma=cache_size(-8192)",
		// After the WAL starts over, its file is cut back to this size.
		"_pragma=journal_size_limit(67108864)",
		// The engine checkpoints the WAL itself, on its own goroutine
		// (see checkpointer): SQLite would do it in the transaction
		// that crosses the threshold, and copying and syncing pages
		// there made writing the documents take twice as long.
		"_pragma=wal_autocheckpoint(0)",
		// SQLite deletes an empty log beside an empty database and
		// creates it again: with the database's mode (see fileperm).
		fileperm.ModeOf(path),
	}, "&")}
	// Created 0600 before SQLite would create them 0644 (see fileperm).
	if err := fileperm.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(5) // for queries and schema changes; documents have their own (writer)
	db.SetMaxIdleConns(5)
	e := &Engine{
		db: db, reads: &stmtCache{db: db}, store: store, opts: opts, uri: u.String(),
		live:    map[string]*instance{},
		builds:  map[string]*instance{},
		running: map[string]*sync.Mutex{},
		notify:  make(chan struct{}),
		eventsApplied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "candor_projection_events_applied_total",
			Help: "Events applied to the serving read models.",
		}),
	}
	for _, d := range definitions {
		e.running[d.name] = new(sync.Mutex)
	}
	if err := e.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if e.ckpt, err = newCheckpointer(ctx, db, opts.Logger); err != nil {
		db.Close()
		return nil, err
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(e.eventsApplied); err != nil {
			e.ckpt.stop()
			db.Close()
			return nil, fmt.Errorf("projections: register metrics: %w", err)
		}
		if err := opts.Registerer.Register(&lagCollector{e: e}); err != nil {
			e.ckpt.stop()
			db.Close()
			return nil, fmt.Errorf("projections: register metrics: %w", err)
		}
	}
	return e, nil
}

const checkpointsDDL = `CREATE TABLE IF NOT EXISTS checkpoints (
	name       TEXT NOT NULL,
	generation INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	position   INTEGER NOT NULL,
	active     INTEGER NOT NULL,
	PRIMARY KEY (name, generation)
)`

type checkpointRow struct {
	name     string
	gen      int
	version  int
	position uint64
	active   bool
}

// prepare reads the checkpoints and decides, per projection, which
// generation serves and which must be built.
func (e *Engine) prepare(ctx context.Context) error {
	if _, err := e.db.ExecContext(ctx, checkpointsDDL); err != nil {
		return fmt.Errorf("projections: create checkpoints: %w", err)
	}
	rows, err := e.db.QueryContext(ctx, `SELECT name, generation, version, position, active FROM checkpoints`)
	if err != nil {
		return fmt.Errorf("projections: read checkpoints: %w", err)
	}
	byName := map[string][]checkpointRow{}
	for rows.Next() {
		var r checkpointRow
		if err := rows.Scan(&r.name, &r.gen, &r.version, &r.position, &r.active); err != nil {
			rows.Close()
			return fmt.Errorf("projections: read checkpoints: %w", err)
		}
		byName[r.name] = append(byName[r.name], r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("projections: read checkpoints: %w", err)
	}
	fresh := len(byName) == 0 // a new database: every projection is live from zero

	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("projections: prepare: %w", err)
	}
	defer tx.Rollback()
	for i := range definitions {
		d := &definitions[i]
		var active, build *checkpointRow
		maxGen := 0
		for j, r := range byName[d.name] {
			maxGen = max(maxGen, r.gen)
			switch {
			case r.active:
				active = &byName[d.name][j]
			case r.version == d.version && build == nil:
				build = &byName[d.name][j]
			default: // an abandoned build of another version
				if err := dropGeneration(ctx, tx, d.name, r.gen); err != nil {
					return err
				}
			}
		}
		if active != nil {
			in := e.newInstance(d, active.gen, active.position, false)
			e.live[d.name] = in
			if active.version == d.version {
				if build != nil { // a rebuild on demand was interrupted: start over later
					if err := dropGeneration(ctx, tx, d.name, build.gen); err != nil {
						return err
					}
				}
				continue
			}
		}
		if active == nil && fresh {
			in, err := e.createGeneration(ctx, tx, d, maxGen+1, true)
			if err != nil {
				return err
			}
			e.live[d.name] = in
			continue
		}
		// Version changed, or a projection added to a database that has
		// already progressed: build in the background from zero (or resume
		// the build of this version).
		var in *instance
		if build != nil {
			in = e.newInstance(d, build.gen, build.position, false)
		} else if in, err = e.createGeneration(ctx, tx, d, maxGen+1, false); err != nil {
			return err
		}
		e.pending = append(e.pending, in)
	}
	if err := dropOrphans(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("projections: prepare: %w", err)
	}
	first := true
	for _, in := range e.live {
		if cp := in.cp.Load(); first || cp < e.applied.Load() {
			e.applied.Store(cp)
			first = false
		}
	}
	return nil
}

func tableName(name string, gen int) string { return fmt.Sprintf("p_%s_g%d", name, gen) }

// newInstance returns a generation at checkpoint pos; empty says that its
// table was just created, so that the cache need not look there for the
// documents it lacks.
func (e *Engine) newInstance(d *definition, gen int, pos uint64, empty bool) *instance {
	in := &instance{def: d, gen: gen, table: tableName(d.name, gen)}
	in.cp.Store(pos)
	in.staged = eventstore.Position(pos)
	in.cache = newDocCache(in.table, e.opts.CacheSize, empty)
	return in
}

func (e *Engine) createGeneration(ctx context.Context, tx *sql.Tx, d *definition, gen int, active bool) (*instance, error) {
	t := tableName(d.name, gen)
	if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
		return nil, fmt.Errorf("projections: create %s: %w", t, err)
	}
	for _, ddl := range []string{docTableDDL, docKeyDDL} {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(ddl, t)); err != nil {
			return nil, fmt.Errorf("projections: create %s: %w", t, err)
		}
	}
	if d.tagged {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(docTagIndexDDL, t)); err != nil {
			return nil, fmt.Errorf("projections: create %s: %w", t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO checkpoints (name, generation, version, position, active) VALUES (?, ?, ?, 0, ?)`,
		d.name, gen, d.version, active); err != nil {
		return nil, fmt.Errorf("projections: create %s: %w", t, err)
	}
	return e.newInstance(d, gen, 0, true), nil
}

// dropOrphans drops read-model tables that no checkpoint row names: a
// replaced generation whose drop a crash interrupted.
func dropOrphans(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'p\_%' ESCAPE '\'
		AND name NOT IN (SELECT 'p_' || name || '_g' || generation FROM checkpoints)`)
	if err != nil {
		return fmt.Errorf("projections: find orphans: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("projections: find orphans: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+n); err != nil {
			return fmt.Errorf("projections: drop %s: %w", n, err)
		}
	}
	return rows.Err()
}

func dropGeneration(ctx context.Context, tx *sql.Tx, name string, gen int) error {
	if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+tableName(name, gen)); err != nil {
		return fmt.Errorf("projections: drop %s: %w", tableName(name, gen), err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM checkpoints WHERE name = ? AND generation = ?`, name, gen); err != nil {
		return fmt.Errorf("projections: drop %s: %w", tableName(name, gen), err)
	}
	return nil
}

// Close releases the database. Run must have returned.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.notifyMu.Lock()
	close(e.notify) // wake WaitFor callers; they see closed
	e.notifyMu.Unlock()
	e.reads.closeAll()
	e.ckpt.stop()
	e.sqlMu.Lock()
	e.closeWriter()
	e.sqlMu.Unlock()
	return e.db.Close()
}

// item is one event on its way to the projections; rec is nil for events
// of other streams (principals...), which only move the checkpoint.
type item struct {
	pos  eventstore.Position
	at   time.Time
	rec  *ledger.Recorded
	head eventstore.Position // the store's head, as follow last saw it
}

// decodeItemInto decodes se into an item, its record into r: decoding a
// page or a chunk of events allocates their records together, not one by
// one.
func decodeItemInto(se eventstore.RecordedEvent, r *ledger.Recorded) (item, error) {
	it := item{pos: se.Position, at: se.RecordedAt}
	if !strings.HasPrefix(se.Stream, ledger.StreamPrefix) {
		return it, nil
	}
	var err error
	if *r, err = decodeRecorded(se); err != nil {
		return it, fmt.Errorf("projections: %w", err)
	}
	it.rec = r
	return it, nil
}

// Run follows the store from the live projections' checkpoint and applies
// every new event, until ctx is done (it then returns nil) or applying
// fails. It also builds, in the background, the generations Open found
// missing or out of date.
func (e *Engine) Run(ctx context.Context) (err error) {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	defer wg.Wait()
	e.mu.Lock()
	pending := e.pending
	e.pending = nil
	e.mu.Unlock()
	for _, in := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.build(ctx, in, nil); err != nil && ctx.Err() == nil {
				e.opts.Logger.Error("projection rebuild failed", "projection", in.def.name, "err", err)
			}
		}()
	}

	// While catching up (behind the head seen last), wait for full batches:
	// a batch per event would cost a transaction per event. At the head,
	// apply whatever is there at once, and commit it as a group (see
	// commitLive).
	head, err := e.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: head: %w", err)
	}
	ch, subErr := e.follow(ctx, eventstore.Position(e.applied.Load()), head)
	// What catching up staged and did not commit is lost when Run
	// returns: the next Run starts again from the checkpoints.
	defer func() {
		if derr := e.discardLive(); derr != nil && err == nil && ctx.Err() == nil {
			err = derr
		}
	}()
	fail := func(err error) error {
		cancel()
		for range ch { // let the subscription return
		}
		<-subErr
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	var (
		atHead     bool      // the last batch reached the head
		lastCommit time.Time // when the last commit at the head started
		caughtUp   int       // events staged behind the head, since the head was last reached
		releaseOn  *flush    // once durable, memory is released (see releaseMemory)
		wake       = time.NewTimer(time.Hour)
		waking     bool // wake is set
	)
	wake.Stop()
	defer wake.Stop()
	batch := make([]item, 0, e.opts.BatchSize)
	for {
		var flushed <-chan struct{} // the step in flight
		if _, f := e.liveState(); f != nil {
			flushed = f.done
		}
		select {
		case it, ok := <-ch:
			if !ok {
				err = <-subErr
				if err != nil && !errors.Is(err, context.Canceled) {
					return fmt.Errorf("projections: subscription: %w", err)
				}
				return nil
			}
			batch = e.fill(ch, append(batch[:0], it), head)
			last := batch[len(batch)-1]
			head = max(head, last.head)
			atHead = last.pos >= head
			if atHead {
				err = e.stageLive(ctx, batch)
			} else {
				caughtUp += len(batch)
				err = e.catchUp(ctx, batch, head)
			}
		case <-flushed:
			err = e.settleLive()
		case <-wake.C:
			waking = false
		}
		if err != nil {
			return fail(err)
		}
		if releaseOn != nil && e.durable(releaseOn) {
			// A large catch-up is over and durable.
			releaseOn = nil
			e.releaseMemory()
		}
		n, f := e.liveState()
		if !atHead || n == 0 || f != nil {
			continue // the flush in flight wakes the loop when it is done
		}
		since := time.Since(lastCommit)
		if wait := e.opts.CommitInterval - since; wait > 0 && steady(n, since) {
			if !waking {
				wake.Reset(wait)
				waking = true
			}
			continue
		}
		lastCommit = time.Now()
		if err := e.commitLive(ctx); err != nil {
			return fail(err)
		}
		if caughtUp >= e.commitEvery() {
			// The first commit at the head after a large catch-up:
			// once it is durable, what catching up needed can go.
			caughtUp = 0
			if _, releaseOn = e.liveState(); releaseOn == nil {
				e.releaseMemory()
			}
		}
	}
}

// releaseMemory gives back what catching up (or a build) needed and the
// head does not, once no build is going on: the writer's large page cache
// (SQLite's memory never shrinks: the connection is opened again) and the
// Go heap that staging, decoding and encoding many events left free
// (returned to the system at once, instead of over minutes).
func (e *Engine) releaseMemory() {
	e.mu.RLock()
	building := len(e.builds) > 0 || len(e.pending) > 0
	e.mu.RUnlock()
	if building {
		return
	}
	e.sqlMu.Lock()
	if e.w != nil && e.w.cacheKiB > liveCacheKiB {
		e.closeWriter() // the next commit opens another
	}
	e.sqlMu.Unlock()
	e.releases.Add(1)
	go debug.FreeOSMemory()
}

// fill adds to batch the events already in ch, up to a full batch; behind
// head, it waits for them.
func (e *Engine) fill(ch <-chan item, batch []item, head eventstore.Position) []item {
	for len(batch) < e.opts.BatchSize {
		if batch[len(batch)-1].pos < head {
			it, ok := <-ch
			if !ok {
				return batch
			}
			batch = append(batch, it)
			continue
		}
		select {
		case it, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, it)
		default:
			return batch
		}
	}
	return batch
}

// At the head of the store, events come a few at a time, and a commit per
// batch would write the same pages (the checkpoints', the tables' upper
// levels, the busiest engagements') once per batch: at a few thousand
// events a second, the read models spent most of their time writing pages.
// Instead, commits at the head go as a group commit: Run stages the
// batches as they come (stageLive) while the previous commit is written
// in the background, and once it is durable, commits all that was staged
// meanwhile (commitLive). Under a steady stream (see steady), the next
// commit starts no sooner than CommitInterval after the previous one, so
// that each commit carries more events; otherwise (a writer that waits to
// read its own write before the next one, a few writers) it starts at
// once. WaitFor sees a position move only once it is durable, as before.

// steadyRate is the rate of events, in events per second, from which the
// commits at the head wait for each other: below it, waiting would mostly
// delay the readers of their own writes (a few writers), above it a commit
// gathers the events of CommitInterval.
const steadyRate = 1000

// steady reports whether n events staged in the time since the last commit
// started make a steady stream.
func steady(n int, since time.Duration) bool {
	return float64(n) >= since.Seconds()*steadyRate
}

// durable reports whether f was settled and written.
func (e *Engine) durable(f *flush) bool {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return f.settled && f.err == nil
}

// liveState returns how many events the serving projections staged and did
// not commit, and their flush in flight.
func (e *Engine) liveState() (int, *flush) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.liveUnsaved, e.liveFlush
}

// stageLive applies a batch at the head to every serving projection's
// cache, for the next commitLive.
func (e *Engine) stageLive(ctx context.Context, batch []item) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.stage(ctx, e.liveInstances(), batch); err != nil {
		return e.failLive(err)
	}
	e.liveUnsaved += len(batch)
	e.livePos = batch[len(batch)-1].pos
	return nil
}

// commitLive starts writing what was staged for the serving projections;
// the position moves once the flush is durable and settled (settleLive).
// The caller (Run) has settled the previous flush.
func (e *Engine) commitLive(ctx context.Context) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	n, pos := e.liveUnsaved, e.livePos
	done := func() {
		e.eventsApplied.Add(float64(n))
		e.advance(pos)
	}
	f, err := e.commitAsync(ctx, e.liveInstances(), done)
	if err != nil {
		return e.failLive(err)
	}
	e.liveUnsaved = 0
	e.liveFlush = f
	if f == nil { // every projection had applied them already
		done()
	}
	return nil
}

// settleLive applies the outcome of the serving generations' flush in
// flight, once it is done: the position moves, or, on failure, what was
// staged since is forgotten and the error returned.
func (e *Engine) settleLive() error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if f := e.liveFlush; f != nil {
		e.liveFlush = nil
		if err := settle(f); err != nil {
			return e.failLive(err)
		}
	}
	return nil
}

// catchUp applies a batch to every serving projection far behind the head
// of the store. It only stages the batch, and commits once enough events
// are staged (see commitEvery): the read models and the position then
// move by large steps, but each document is written once per step
// instead of once per batch. The step is written in the background while
// the next one is staged (see flush.go); the position moves once it is
// durable. Close to head (the store's last position seen), steps shrink:
// once staging is done, only the last one remains to be written, and the
// smaller it is the sooner the read models are at the head.
func (e *Engine) catchUp(ctx context.Context, batch []item, head eventstore.Position) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if f := e.liveFlush; f != nil && flushed(f) {
		e.liveFlush = nil
		if err := settle(f); err != nil {
			return e.failLive(err)
		}
	}
	insts := e.liveInstances()
	if err := e.stage(ctx, insts, batch); err != nil {
		return e.failLive(err)
	}
	e.liveUnsaved += len(batch)
	e.livePos = batch[len(batch)-1].pos
	n, pos := e.liveUnsaved, e.livePos
	if n < e.commitEvery() && (n < e.opts.BatchSize || uint64(head-pos) > uint64(n)) {
		return nil
	}
	f, err := e.commitAsync(ctx, insts, func() {
		e.eventsApplied.Add(float64(n))
		e.advance(pos)
	})
	if err != nil {
		return e.failLive(err)
	}
	e.liveUnsaved = 0
	e.liveFlush = f
	return nil
}

// failLive makes the serving generations forget what they staged and did
// not commit, once the step in flight (if any) is settled, and returns
// err. The caller holds writeMu.
func (e *Engine) failLive(err error) error {
	if f := e.liveFlush; f != nil {
		e.liveFlush = nil
		_ = settle(f)
	}
	for _, in := range e.liveInstances() {
		in.discard()
	}
	e.liveUnsaved = 0
	return err
}

// commitEvery is how many events catching up (or rebuilding) stages
// between two commits. More means fewer writes of the documents that
// change all the time (engagement summaries, timeline chunks), but more
// memory: the cache holds every document changed since the last commit.
func (e *Engine) commitEvery() int { return 8 * e.opts.BatchSize }

// discardLive waits for the step in flight and forgets what catching up
// staged for the serving projections and did not commit. It returns the
// error the step in flight failed with.
func (e *Engine) discardLive() error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	var err error
	if f := e.liveFlush; f != nil {
		e.liveFlush = nil
		err = settle(f)
	}
	for _, in := range e.liveInstances() {
		if in.staged != in.checkpoint() || in.flushing != nil {
			in.discard()
		}
	}
	e.liveUnsaved = 0
	return err
}

func (e *Engine) liveInstances() []*instance {
	e.mu.RLock()
	defer e.mu.RUnlock()
	insts := make([]*instance, 0, len(e.live))
	for _, in := range e.live {
		insts = append(insts, in)
	}
	return insts
}

// stage applies a batch to some generations' caches only: the documents it
// changes stay dirty in memory, and the checkpoints stay where they are,
// until commit writes them all in one transaction. Staging several batches
// before a commit writes a document changed by each of them once, not once
// per batch: that is what makes catching up (or rebuilding) fast. The
// caller holds writeMu; on failure, every generation of insts forgets all
// it staged since its last commit.
func (e *Engine) stage(ctx context.Context, insts []*instance, batch []item) error {
	// The generations share nothing but the batch: they apply it in
	// parallel, the costliest first so that the others fill the gaps.
	order := slices.Clone(insts)
	slices.SortStableFunc(order, func(a, b *instance) int { return b.def.cost - a.def.cost })
	errs := make([]error, len(order))
	workers := runtime.GOMAXPROCS(0)
	if len(batch) < minParallelBatch {
		// At the head: waking another goroutine for a few events costs
		// more than it saves.
		workers = 1
	} else if e.writing.Load() > 0 {
		// A flush is being written (see commitAsync): leave it a
		// processor, or staging the next step gets ahead only to wait.
		workers--
	}
	parallelN(len(order), workers, func(i int) { errs[i] = e.stageOne(ctx, order[i], batch) })
	for _, err := range errs {
		if err != nil {
			for _, in := range insts {
				in.discard()
			}
			return err
		}
	}
	return nil
}

// minParallelBatch is the smallest batch the generations stage in parallel.
const minParallelBatch = 64

// stageOne applies a batch to one generation's cache.
func (e *Engine) stageOne(ctx context.Context, in *instance, batch []item) error {
	last := batch[len(batch)-1].pos
	sp := in.staged
	if last <= sp {
		return nil // already applied (a generation that just caught up)
	}
	// The generation's own txn: staging a few events at the head would
	// otherwise allocate one per generation and batch.
	t := &in.txn
	t.ctx, t.q, t.cache, t.last = ctx, e.reads, in.cache, nil
	defer t.close()
	for i := range batch {
		it := &batch[i]
		if it.pos <= sp {
			continue
		}
		if e.failpoint != nil {
			if err := e.failpoint(in.def.name, it.pos); err != nil {
				return err
			}
		}
		if it.rec == nil {
			continue
		}
		t.pos = it.pos
		if err := in.def.apply(t, it.rec); err != nil {
			return fmt.Errorf("projections: %s: apply %s at %d: %w", in.def.name, it.rec.Type, it.pos, err)
		}
	}
	in.staged = last
	in.unsaved += len(batch)
	return nil
}

// parallel calls fn for 0 to n-1, on as many goroutines as there are
// processors, and returns when all calls have.
func parallel(n int, fn func(i int)) { parallelN(n, runtime.GOMAXPROCS(0), fn) }

// parallelN is parallel on at most workers goroutines (at least one).
func parallelN(n, workers int, fn func(i int)) {
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range min(n, workers) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

func (e *Engine) advance(pos eventstore.Position) {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	if uint64(pos) <= e.applied.Load() || e.closed.Load() {
		return
	}
	e.applied.Store(uint64(pos))
	close(e.notify)
	e.notify = make(chan struct{})
}

// WaitFor blocks until every serving read model has applied the event at
// pos (read-your-writes after an append), or ctx is done.
func (e *Engine) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		e.notifyMu.Lock()
		ch := e.notify
		e.notifyMu.Unlock()
		if eventstore.Position(e.applied.Load()) >= pos {
			return nil
		}
		if e.closed.Load() {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("projections: wait for position %d: %w", pos, ctx.Err())
		}
	}
}

// Position returns the position every serving read model has applied.
func (e *Engine) Position() eventstore.Position { return eventstore.Position(e.applied.Load()) }

// Epoch changes whenever a serving read model is replaced (a rebuilt
// generation switched in), which may change any answer: caches of query
// results keyed by position must start over.
func (e *Engine) Epoch() uint64 { return e.epoch.Load() }
