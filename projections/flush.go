package projections

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/candor-ledger/candor/eventstore"
)

// A commit has two halves. Encoding the documents a step changed reads the
// caches, so it runs under the write lock, on the goroutine that stages;
// writing the encoded rows and the checkpoints to SQLite does not need the
// caches at all. While catching up (or rebuilding), a flush goroutine writes
// one step while the next is staged: SQLite's single writer then works on
// one processor while the projections apply on the other.
//
// The guarantees stay those of a synchronous commit:
//   - a flush writes the documents and the checkpoints of its generations in
//     one transaction, so a crash keeps all of a step or none of it;
//   - a generation has at most one flush in flight (the next one waits for
//     it), so steps reach the database in order and a step never lands
//     after a failed one;
//   - a checkpoint moves in memory (and WaitFor sees it) only once its
//     flush is durable, and a cache forgets a document only when no staged
//     change of it waits to be written;
//   - a failed flush makes every generation in it forget what it staged
//     (discard), as a failed commit does: it resumes from the checkpoints.

// flush is one step of some generations, encoded, on its way to the
// database.
type flush struct {
	seq   uint64 // order of preparation, across the engine
	parts []flushPart
	done  chan struct{} // closed once err is set
	err   error

	// Under the engine's writeMu.
	settled bool
	onDone  func() // called once the flush is durable, by settle
}

type flushPart struct {
	in   *instance
	pos  eventstore.Position // the checkpoint it writes
	rows []docRow
	// Once durable, the cache lets go the documents not used since
	// staleDocs and the raw lists not used since staleLists.
	staleDocs, staleLists eventstore.Position
}

// prepareFlush encodes what stage left in the caches of insts, then waits
// for the generations' flushes in flight (encoding overlaps with the end
// of their writing), and fails if one of them failed. It returns nil when
// no generation has anything to commit. The caller holds writeMu.
func (e *Engine) prepareFlush(insts []*instance) (*flush, error) {
	touched := insts[:0:0]
	for _, in := range insts {
		if in.staged > in.pending() {
			touched = append(touched, in)
		}
	}
	var f *flush
	if len(touched) > 0 {
		e.flushSeq++
		f = &flush{seq: e.flushSeq, parts: make([]flushPart, len(touched)), done: make(chan struct{})}
		errs := make([]error, len(touched))
		// JSON has no single-writer limit: the generations encode in parallel.
		parallel(len(touched), func(i int) {
			in := touched[i]
			rows, err := in.cache.encode(f.seq)
			p := flushPart{in: in, pos: in.staged, rows: rows}
			// After a large step (catching up), let the chunks not used by
			// its last batch go, and the documents not used by the step.
			if in.unsaved > e.opts.BatchSize {
				p.staleDocs = p.pos - min(p.pos, eventstore.Position(e.commitEvery()))
				p.staleLists = p.pos - min(p.pos, eventstore.Position(e.opts.BatchSize))
			}
			f.parts[i], errs[i] = p, err
		})
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("projections: %s: %w", touched[i].def.name, err)
			}
		}
	}
	// The steps before reach the database first.
	for _, in := range insts {
		if prev := in.flushing; prev != nil {
			if err := settle(prev); err != nil {
				return nil, err
			}
		}
	}
	if f == nil {
		return nil, nil
	}
	for _, p := range f.parts {
		p.in.unsaved = 0
		p.in.flushing, p.in.flushingPos = f, p.pos
	}
	return f, nil
}

// write stores a flush in one transaction and closes f.done. It needs no
// lock but sqlMu, which it takes: it may run on its own goroutine.
func (e *Engine) write(ctx context.Context, f *flush) {
	defer close(f.done)
	f.err = e.writeParts(ctx, f.parts)
}

func (e *Engine) writeParts(ctx context.Context, parts []flushPart) (err error) {
	e.sqlMu.Lock()
	defer e.sqlMu.Unlock()
	conn, err := e.writeConn(ctx)
	if err != nil {
		return fmt.Errorf("projections: begin: %w", err)
	}
	defer func() {
		if err != nil { // start over with another connection
			e.wconn = nil
			conn.Close()
		}
	}()
	// The documents go through the connection's own API, inside the
	// transaction database/sql began on it: per row, database/sql costs
	// as much again as SQLite itself.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("projections: begin: %w", err)
	}
	defer tx.Rollback()
	var rows, bytes, walBytes int64
	for _, p := range parts {
		if err = conn.Raw(func(dc any) error { return p.in.cache.write(ctx, dc, p.rows) }); err != nil {
			return fmt.Errorf("projections: %s: %w", p.in.def.name, err)
		}
		rows += int64(len(p.rows))
		for _, r := range p.rows {
			bytes += int64(len(r.data))
			walBytes += max(int64(len(r.data)), pageSize) // a document costs at least its page
		}
		if _, err = tx.ExecContext(ctx, `UPDATE checkpoints SET position = ? WHERE name = ? AND generation = ?`,
			uint64(p.pos), p.in.def.name, p.in.gen); err != nil {
			return fmt.Errorf("projections: %s: checkpoint: %w", p.in.def.name, err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("projections: commit: %w", err)
	}
	e.rowsWritten.Add(rows)
	e.bytesWritten.Add(bytes)
	e.ckpt.wrote(walBytes)
	return nil
}

// settle waits for f and, the first time, applies its outcome: once it is
// durable, the checkpoints move and the caches may let the documents it
// wrote go. It returns f's error, every time. The caller holds writeMu;
// when the error is not nil, it makes the generations discard.
func settle(f *flush) error {
	<-f.done
	if f.settled {
		return f.err
	}
	f.settled = true
	for _, p := range f.parts {
		in := p.in
		if in.flushing == f {
			in.flushing = nil
		}
		if f.err != nil {
			continue
		}
		in.cp.Store(uint64(p.pos))
		in.cache.committed(f.seq, p.staleDocs, p.staleLists)
	}
	if f.err == nil && f.onDone != nil {
		f.onDone()
	}
	return f.err
}

// flushed reports whether f, in flight, has finished.
func flushed(f *flush) bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// commit writes what stage left in the caches of insts, with their
// checkpoints, in one transaction, and returns once it is durable. The
// caller holds writeMu; on failure, every generation of insts forgets what
// it staged.
func (e *Engine) commit(ctx context.Context, insts []*instance) error {
	f, err := e.prepareFlush(insts)
	if err == nil && f != nil {
		e.write(ctx, f)
		err = settle(f)
	}
	if err != nil {
		for _, in := range insts {
			in.discard()
		}
		if f != nil {
			for _, p := range f.parts {
				p.in.discard()
			}
		}
	}
	return err
}

// commitAsync starts writing what stage left in the caches of insts, after
// waiting for their flushes in flight, and returns the new flush (nil if
// there was nothing to write). onDone runs once it is durable, when
// settled. The caller holds writeMu, and settles the flush later (settle);
// on failure, every generation of insts forgets what it staged.
func (e *Engine) commitAsync(ctx context.Context, insts []*instance, onDone func()) (*flush, error) {
	f, err := e.prepareFlush(insts)
	if err != nil {
		for _, in := range insts {
			in.discard()
		}
		return nil, err
	}
	if f == nil {
		return nil, nil
	}
	f.onDone = onDone
	// Staging leaves a processor to this flush while it is written (see
	// stage): SQLite's single writer is what a rebuild waits for most.
	e.writing.Add(1)
	go func() {
		defer e.writing.Add(-1)
		e.write(ctx, f)
	}()
	return f, nil
}

// writeCacheKiB is the page cache of the connection that writes the
// documents: about what a rebuild's step changes, so that the next step
// finds most of the pages it changes again (those of the engagements still
// active) without reading them back.
const writeCacheKiB = 128 << 10

// writeConn returns the connection documents are written on, the same one
// each time so that its page cache stays warm (database/sql hands out its
// idle connections in turn). The caller holds sqlMu.
func (e *Engine) writeConn(ctx context.Context) (*sql.Conn, error) {
	if e.wconn != nil {
		return e.wconn, nil
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", writeCacheKiB)); err != nil {
		conn.Close()
		return nil, err
	}
	e.wconn = conn
	return conn, nil
}

// closeWriteConn gives the write connection back, at Close.
func (e *Engine) closeWriteConn() {
	e.sqlMu.Lock()
	defer e.sqlMu.Unlock()
	if e.wconn != nil {
		e.wconn.Close()
		e.wconn = nil
	}
}
