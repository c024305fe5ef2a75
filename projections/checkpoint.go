package projections

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// checkpointEvery is how many bytes of pages may be committed to the WAL
// before the checkpointer copies it into the database (SQLite's own
// default is 1000 pages, 16 MiB here).
var checkpointEvery int64 = 8 << 20 // a variable for tests

// pageSize is the page size of new read-model files (see Open). A file
// keeps the page size it was created with: the checkpointer counts in the
// file's own (see newCheckpointer).
var pageSize = 16 << 10 // a variable for tests

// maxWALBytes bounds the WAL (64 MiB).
var maxWALBytes int64 = 64 << 20 // a variable for tests

// checkpointer copies the WAL into the database on its own goroutine and
// connection. A PASSIVE checkpoint waits for no one: writers go on
// appending to the WAL meanwhile, and SQLite starts the WAL over at the
// first write after a checkpoint that copied it all. The read models' WAL
// is written with synchronous=NORMAL, so this is where the data is synced
// to disk: while catching up, that costs as long as writing the documents
// did, and now runs next to it instead of inside it.
type checkpointer struct {
	db      *sql.DB
	log     *slog.Logger
	page    int64         // the file's page size: a WAL frame holds one page
	pending atomic.Int64  // bytes committed since the last checkpoint started
	frames  int           // in the WAL after the last commit seen; under the engine's sqlMu
	written atomic.Int64  // frames written to the WAL, for the benchmarks
	kick    chan struct{} // a checkpoint is due
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// newCheckpointer starts checkpointing the read-model file of db, whose
// page size is read from the file: one created before pageSize changed
// keeps its own.
func newCheckpointer(ctx context.Context, db *sql.DB, log *slog.Logger) (*checkpointer, error) {
	var page int64
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&page); err != nil {
		return nil, fmt.Errorf("projections: page size: %w", err)
	}
	c := &checkpointer{db: db, log: log, page: page, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// wrote records that a transaction committed, leaving frames pages in the
// WAL (SQLite's WAL hook). The caller holds the engine's sqlMu.
func (c *checkpointer) wrote(frames int) {
	n := frames - c.frames
	if n < 0 { // the WAL started over
		n = frames
	}
	c.frames = frames
	c.written.Add(int64(n))
	if c.pending.Add(int64(n)*c.page) < checkpointEvery {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default: // one is due already
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.kick:
		}
		c.pending.Store(0)
		// A failed checkpoint loses nothing: the WAL keeps the
		// transactions, and the next one copies them.
		var busy, frames, copied int64
		err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		if err != nil {
			c.log.Warn("read models: WAL checkpoint", "err", err)
			continue
		}
		// Under a steady stream of reads the WAL may never be free of
		// readers when a write comes, so it never starts over and grows
		// without end: past maxWALBytes, wait for the readers (briefly;
		// writes wait too) and make the next write start it over.
		if frames*c.page > maxWALBytes {
			if _, err := c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(RESTART)`); err != nil {
				c.log.Warn("read models: WAL restart", "err", err)
			}
		}
	}
}

// stop waits for a checkpoint in progress and ends the goroutine. Closing
// the database then checkpoints what is left.
func (c *checkpointer) stop() {
	c.once.Do(func() {
		close(c.quit)
		<-c.done
	})
}
