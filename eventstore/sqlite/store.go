package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/internal/fileperm"
)

// Errors of this backend, besides those of package eventstore.
var (
	// ErrSchemaTooNew refuses a file written by a newer version of Candor:
	// this build cannot know what the newer schema means.
	ErrSchemaTooNew = errors.New("sqlite: schema version newer than this build supports")
	// ErrDuplicateEventID reports an event id already stored, in a way that
	// is not an idempotent retry of one earlier Append to the same stream.
	ErrDuplicateEventID = errors.New("sqlite: event id already stored")
	// ErrInvalidArgument reports a malformed call (a nil event id, a filter
	// with both stream and type prefixes).
	ErrInvalidArgument = errors.New("sqlite: invalid argument")
)

var _ eventstore.Store = (*Store)(nil)

// Store is an event store in one SQLite file. It is safe for concurrent use.
type Store struct {
	w       *writer
	readers chan *reader
	nread   int

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	commits chan struct{} // closed and replaced after each commit that stored events
}

// busyTimeout is how long a connection waits for a lock held by another
// process (or another connection of this one) before it fails.
const busyTimeout = 5 * time.Second

// Option configures Open.
type Option func(*config)

type config struct {
	groupCommit bool
	readConns   int
	maxBatch    int
	pageSize    int      // page size of a new file
	walLimit    int      // frames the WAL holds before it starts over
	manualCkpt  bool     // no checkpoint goroutine: the caller runs them (tests)
	pragmas     []string // extra pragmas for the write connection (tests)
	onCommit    func(events int, took time.Duration)
}

// defaultPageSize is the page size of a new file, SQLite's default. A
// commit writes, checksums and fsyncs each page it dirtied whole, and a
// group commit of many streams dirties one leaf of the (stream, rev) index
// per stream: 1 and 2 KiB pages write up to half the bytes, but they were
// measured to slow ReadAll (twice the pages to read) below its target.
const defaultPageSize = 4096

// WithGroupCommit turns group commit on (the default) or off. Off, every
// Append is its own transaction and its own fsync.
func WithGroupCommit(on bool) Option { return func(c *config) { c.groupCommit = on } }

// WithReadConns sets how many read connections serve reads and
// subscriptions concurrently (default 4).
func WithReadConns(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.readConns = n
		}
	}
}

// WithMaxBatch bounds how many events one group commit stores (default
// 8192): a bigger batch means fewer fsyncs but a longer wait for its first
// request.
func WithMaxBatch(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBatch = n
		}
	}
}

// WithCommitObserver has fn called after each commit that stored events,
// with how many it stored and how long the transaction took, its fsync
// included: what the disk costs, apart from the wait in the queue. fn runs
// on the writer before the callers are answered, and must be quick.
func WithCommitObserver(fn func(events int, took time.Duration)) Option {
	return func(c *config) { c.onCommit = fn }
}

// withPageSize sets the page size of a new file (tests).
func withPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// withWALLimit sets how many frames the WAL holds before the checkpointer
// makes it start over (tests).
func withWALLimit(frames int) Option { return func(c *config) { c.walLimit = frames } }

// withManualCheckpoints starts no checkpoint goroutine: the test runs each
// checkpoint the writer asks for itself (checkpointWoken), so that what it
// measures does not depend on when a goroutine gets scheduled.
func withManualCheckpoints() Option { return func(c *config) { c.manualCkpt = true } }

// withPragmas runs extra pragmas on the write connection at open (tests).
func withPragmas(p ...string) Option {
	return func(c *config) { c.pragmas = append(c.pragmas, p...) }
}

// Open opens or creates the store in the file at path (a file name, or a
// "file:" URI with SQLite parameters), migrating its schema to the current
// version.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{groupCommit: true, readConns: 4, maxBatch: 8192, pageSize: defaultPageSize, walLimit: defaultWALLimit}
	for _, o := range opts {
		o(&cfg)
	}
	// Created 0600 before SQLite would create them 0644 (see fileperm).
	if err := fileperm.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w, err := openWriter(ctx, path, cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt, err := openCheckpointer(ctx, path, cfg.walLimit)
	if err != nil {
		closeConn(w.conn)
		return nil, fmt.Errorf("sqlite: open %s: checkpoint connection: %w", path, err)
	}
	w.ckpt = ckpt
	s := &Store{
		w:       w,
		readers: make(chan *reader, cfg.readConns),
		nread:   cfg.readConns,
		done:    make(chan struct{}),
		commits: make(chan struct{}),
	}
	for range cfg.readConns {
		r, err := openReader(ctx, path)
		if err != nil {
			s.closeReaders(len(s.readers))
			closeConn(ckpt.conn)
			closeConn(w.conn)
			return nil, fmt.Errorf("sqlite: open %s: read connection: %w", path, err)
		}
		s.readers <- r
	}
	w.notify = s.notifyCommit
	if cfg.manualCkpt {
		close(ckpt.exited)
	} else {
		go ckpt.run()
	}
	go w.run()
	return s, nil
}

// Close stops the writer, ends subscriptions and closes the file. Appends
// waiting in the writer's queue fail with eventstore.ErrClosed. Calling
// Close again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		close(s.w.stop)
		<-s.w.exited
		errs := []error{s.w.ckpt.shutdown(), s.w.close()}
		// Reads in flight give their connection back when they finish.
		errs = append(errs, s.closeReaders(s.nread))
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

func (s *Store) closeReaders(n int) error {
	var errs []error
	for range n {
		r := <-s.readers
		errs = append(errs, r.close())
	}
	return errors.Join(errs...)
}

// notifyCommit wakes every subscription waiting for new events.
func (s *Store) notifyCommit() {
	s.mu.Lock()
	close(s.commits)
	s.commits = make(chan struct{})
	s.mu.Unlock()
}

// commitSignal returns a channel closed at the next commit. Taking it before
// reading guarantees that a commit after the read is not missed.
func (s *Store) commitSignal() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// classify wraps err with the operation (callers add the package prefix), and with eventstore.ErrUnavailable
// when SQLite reports the file cannot be reached or written.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, code := range []sqlite3.ErrorCode{sqlite3.FULL, sqlite3.READONLY, sqlite3.IOERR, sqlite3.CANTOPEN, sqlite3.BUSY, sqlite3.LOCKED} {
		if errors.Is(err, code) {
			return fmt.Errorf("%s: %w: %w", op, eventstore.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// closeConn finalizes the statements of conn, then closes it.
func closeConn(conn *sqlite3.Conn) error {
	var errs []error
	for _, st := range slices.Collect(conn.Stmts()) {
		errs = append(errs, st.Close())
	}
	return errors.Join(append(errs, conn.Close())...)
}

// unavailable reports whether err leaves the write transaction unusable, so
// that the whole batch must fail rather than one request.
func unavailable(err error) bool { return errors.Is(err, eventstore.ErrUnavailable) }
