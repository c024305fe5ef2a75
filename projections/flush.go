package projections

import (
	"context"
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
	large bool   // a step of many batches (catching up, rebuilding)
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
		large := make([]bool, len(touched))
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
				large[i] = true
			}
			f.parts[i], errs[i] = p, err
		})
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("projections: %s: %w", touched[i].def.name, err)
			}
			f.large = f.large || large[i]
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
	if e.beforeWrite != nil {
		if f.err = e.beforeWrite(f); f.err != nil {
			return
		}
	}
	f.err = e.writeParts(ctx, f.parts, f.large)
}

func (e *Engine) writeParts(ctx context.Context, parts []flushPart, large bool) (err error) {
	e.sqlMu.Lock()
	defer e.sqlMu.Unlock()
	w, err := e.writer(ctx)
	if err == nil && large {
		err = w.growCache(writeCacheKiB)
	}
	if err != nil {
		e.closeWriter()
		return fmt.Errorf("projections: open writer: %w", err)
	}
	if err := w.write(ctx, parts); err != nil {
		// Start over with another connection: whatever went wrong
		// stays with this one.
		e.closeWriter()
		return fmt.Errorf("projections: %w", err)
	}
	var rows, bytes int64
	for _, p := range parts {
		rows += int64(len(p.rows))
		for _, r := range p.rows {
			bytes += int64(len(r.data))
		}
	}
	e.commits.Add(1)
	e.rowsWritten.Add(rows)
	e.bytesWritten.Add(bytes)
	e.ckpt.wrote(w.frames)
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
// documents while catching up or rebuilding: about what a step changes, so
// that the next step finds most of the pages it changes again (those of
// the engagements still active) without reading them back.
const writeCacheKiB = 128 << 10

// liveCacheKiB is its page cache at the head, where a commit changes a
// few pages of the active engagements. SQLite's memory never shrinks: once
// a large catch-up is over, the writer is opened again with this one (see
// releaseMemory).
const liveCacheKiB = 16 << 10

// writer returns the connection documents are written on, the same one
// each time so that its page cache stays warm and its statements prepared.
// The caller holds sqlMu.
func (e *Engine) writer(ctx context.Context) (*writer, error) {
	if e.w != nil {
		return e.w, nil
	}
	w, err := openWriter(ctx, e.uri, liveCacheKiB)
	if err != nil {
		return nil, err
	}
	e.w = w
	return w, nil
}

// closeWriter closes the write connection (a later write opens another).
// The caller holds sqlMu.
func (e *Engine) closeWriter() {
	if e.w != nil {
		e.w.close()
		e.w = nil
	}
}
