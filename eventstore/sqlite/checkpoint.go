package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// WAL checkpoints, counted in frames (pages) of the write-ahead log.
//
// SQLite's automatic checkpoint would run in the writer, after the commit
// that takes the WAL past 1,000 frames, and hold up every Append queued
// behind it while it copies pages to the database file and syncs it. The
// store turns it off and checkpoints on a connection of its own instead:
// the writer wakes the checkpointer each time an eighth of the WAL limit
// was committed, and the checkpointer copies those frames (a PASSIVE
// checkpoint: it blocks neither the writer nor readers).
//
// Passive checkpoints alone cannot let the WAL start over while the writer
// keeps appending, so the WAL is bounded: once it holds more than the limit
// (defaultWALLimit frames), the checkpointer copies what it can, then holds
// the writer between two transactions (txn) while a RESTART checkpoint
// copies the few frames committed meanwhile, syncs the database file and
// waits, restartWait at most, for readers still on the old frames. The
// writer's next transaction then writes the WAL from its start. Should
// readers hold on longer, the WAL grows by another limit before the next
// try.
const (
	defaultWALLimit = 8000
	restartWait     = 100 * time.Millisecond
)

// checkpointer copies the WAL into the database file in the background.
type checkpointer struct {
	conn  *sqlite3.Conn
	limit int
	// txn is held by the writer for each transaction, and by the
	// checkpointer while it restarts the WAL.
	txn sync.Mutex
	// frames is the length of the WAL after the writer's last commit.
	frames atomic.Int64
	// restartAt is the length past which the WAL is restarted: the limit,
	// or more after readers held on.
	restartAt atomic.Int64
	wake      chan struct{}
	stop      chan struct{}
	exited    chan struct{}

	seen int64 // frames at the last wake; owned by run
}

func openCheckpointer(ctx context.Context, path string, limit int) (_ *checkpointer, err error) {
	conn, err := sqlite3.OpenContext(ctx, path)
	if err != nil {
		return nil, classify("open", err)
	}
	defer func() {
		if err != nil {
			closeConn(conn)
		}
	}()
	// Only a RESTART checkpoint waits (for readers), and not for long.
	if err := conn.BusyTimeout(restartWait); err != nil {
		return nil, classify("set busy timeout", err)
	}
	// The database file is synced before the WAL it copies may be reused.
	if err := conn.Exec(`PRAGMA synchronous = FULL`); err != nil {
		return nil, classify("set synchronous", err)
	}
	c := &checkpointer{
		conn:   conn,
		limit:  limit,
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	c.restartAt.Store(int64(limit))
	return c, nil
}

// committed is called by the writer, between transactions, after a commit
// that left frames in the WAL and wokeAt frames when it last woke the
// checkpointer. It wakes the checkpointer when an eighth of the limit was
// committed since, or at every commit past restartAt, and returns the new
// wokeAt.
func (c *checkpointer) committed(frames, wokeAt int) int {
	if frames < wokeAt { // the WAL started over
		wokeAt = 0
	}
	if frames-wokeAt < max(c.limit/8, 1) && int64(frames) <= c.restartAt.Load() {
		return wokeAt
	}
	c.frames.Store(int64(frames))
	select {
	case c.wake <- struct{}{}:
	default: // awake already
	}
	return frames
}

// run checkpoints each time it is woken, until stop.
func (c *checkpointer) run() {
	defer close(c.exited)
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		c.checkpoint()
	}
}

// checkpoint copies the frames committed since the last wake and, past
// restartAt, makes the WAL start over.
func (c *checkpointer) checkpoint() {
	frames := c.frames.Load()
	if frames < c.seen { // the WAL started over
		c.restartAt.Store(int64(c.limit))
	}
	c.seen = frames
	// Errors (an I/O error, a read-only file) leave the frames in the
	// WAL, where readers find them; a failing disk fails the next
	// Append, and the next wake tries again.
	_, _, err := c.conn.WALCheckpoint("main", sqlite3.CHECKPOINT_PASSIVE)
	if err != nil || frames <= c.restartAt.Load() {
		return
	}
	c.txn.Lock()
	_, _, err = c.conn.WALCheckpoint("main", sqlite3.CHECKPOINT_RESTART)
	c.txn.Unlock()
	if err != nil {
		// Readers hold old frames: try again once the WAL has grown
		// as much again, rather than hold up every commit.
		c.restartAt.Store(frames + int64(c.limit))
		return
	}
	c.restartAt.Store(int64(c.limit))
	c.frames.CompareAndSwap(frames, 0) // restarted: ignore a wake for it
}

// shutdown stops the goroutine and closes the connection.
func (c *checkpointer) shutdown() error {
	close(c.stop)
	<-c.exited
	return closeConn(c.conn)
}
