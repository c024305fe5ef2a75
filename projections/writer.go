package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/internal/walgather"
)

// writerVFS is the VFS of the write connection: each commit's writes to
// the WAL reach the OS in one write instead of two per page (at the head
// every event changes two or three pages, and those system calls were the
// largest part of what a live event cost). The writer runs with
// synchronous=FULL only so that SQLite tells the VFS where a commit ends;
// a sync of the WAL then writes what was gathered and does not sync the
// disk. What is durable stays what synchronous=NORMAL gives every other
// connection of the read models: the WAL is synced by the checkpoints
// (which the writer never runs, see openWriter); a power loss may lose the
// last transactions, never half of one, and a crash of the process loses
// nothing that was committed.
const writerVFS = "candor-projections-writer"

func init() { walgather.Register(writerVFS, walgather.Options{NoDiskSync: true}) }

// writer is the connection the documents and checkpoints are written on:
// SQLite's own API, not database/sql, which per row and per statement
// costs as much again as SQLite itself. Its statements stay prepared from
// one commit to the next: at the head, a commit writes a few documents,
// and preparing its statements again cost more than running them.
//
// It is only used under the engine's sqlMu.
type writer struct {
	conn                    *sqlite3.Conn
	begin, commit, rollback *sqlite3.Stmt
	setCheckpoint           *sqlite3.Stmt
	upserts                 map[string]*sqlite3.Stmt // by table
	cacheKiB                int                      // the page cache it was opened with
	frames                  int                      // in the WAL after its last commit
}

// openWriter opens a write connection on the read-model file named by uri
// (Open's), with a page cache of cacheKiB.
func openWriter(ctx context.Context, uri string, cacheKiB int) (_ *writer, err error) {
	// The VFS that gathers each commit's writes to the WAL (see writerVFS).
	conn, err := sqlite3.OpenContext(ctx, uri+"&vfs="+writerVFS)
	if err != nil {
		return nil, err
	}
	w := &writer{conn: conn, upserts: map[string]*sqlite3.Stmt{}, cacheKiB: cacheKiB}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	// The URI's pragmas are those of every connection (see Open), but
	// for the page cache, the writer's own, and synchronous: FULL is
	// what makes SQLite tell writerVFS where a commit ends, and writerVFS
	// keeps the durability of NORMAL. That holds as long as the writer
	// never checkpoints (its checkpoints would not sync the WAL first):
	// the URI turns the automatic checkpoints off, and closing it must
	// not checkpoint either.
	for _, p := range []string{fmt.Sprintf("PRAGMA cache_size = -%d", cacheKiB), "PRAGMA synchronous = FULL"} {
		if err := conn.Exec(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	if _, err := conn.Config(sqlite3.DBCONFIG_NO_CKPT_ON_CLOSE, true); err != nil {
		return nil, fmt.Errorf("no checkpoint on close: %w", err)
	}
	// The size of the WAL, after each commit, for the checkpointer.
	conn.WALHook(func(_ *sqlite3.Conn, _ string, frames int) error {
		w.frames = frames
		return nil
	})
	for _, s := range []struct {
		st  **sqlite3.Stmt
		sql string
	}{
		{&w.begin, "BEGIN IMMEDIATE"},
		{&w.commit, "COMMIT"},
		{&w.rollback, "ROLLBACK"},
		{&w.setCheckpoint, "UPDATE checkpoints SET position = ? WHERE name = ? AND generation = ?"},
	} {
		if *s.st, _, err = conn.Prepare(s.sql); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", s.sql, err)
		}
	}
	return w, nil
}

// upsert returns the statement that writes a document of table.
func (w *writer) upsert(table string) (*sqlite3.Stmt, error) {
	if st, ok := w.upserts[table]; ok {
		return st, nil
	}
	// An upsert, not INSERT OR REPLACE: replacing deletes the row and
	// inserts it again, and took twice as long for a document that exists
	// (most of them, at the head).
	st, _, err := w.conn.Prepare(fmt.Sprintf(`INSERT INTO %s (eng, kind, id, seq, tag, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (eng, kind, id) DO UPDATE SET seq = excluded.seq, tag = excluded.tag, data = excluded.data`, table))
	if err != nil {
		return nil, fmt.Errorf("prepare write: %w", err)
	}
	w.upserts[table] = st
	return st, nil
}

// growCache lets the page cache grow to kib (it never shrinks: see
// liveCacheKiB).
func (w *writer) growCache(kib int) error {
	if w.cacheKiB >= kib {
		return nil
	}
	if err := w.conn.Exec(fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err != nil {
		return fmt.Errorf("cache size: %w", err)
	}
	w.cacheKiB = kib
	return nil
}

// forget finalizes the statement of a table about to be dropped.
func (w *writer) forget(table string) {
	if st, ok := w.upserts[table]; ok {
		st.Close()
		delete(w.upserts, table)
	}
}

// write stores parts in one transaction: the documents of each generation
// and its checkpoint. On failure the transaction is rolled back.
func (w *writer) write(ctx context.Context, parts []flushPart) (err error) {
	defer w.conn.SetInterrupt(w.conn.SetInterrupt(ctx))
	if err := w.begin.Exec(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, w.rollback.Exec())
		}
	}()
	for _, p := range parts {
		if len(p.rows) > 0 {
			st, err := w.upsert(p.in.table)
			if err != nil {
				return fmt.Errorf("%s: %w", p.in.def.name, err)
			}
			if err := writeRows(st, p.rows); err != nil {
				return fmt.Errorf("%s: %w", p.in.def.name, err)
			}
		}
		st := w.setCheckpoint
		err := errors.Join(st.BindInt64(1, int64(p.pos)), st.BindText(2, p.in.def.name), st.BindInt64(3, int64(p.in.gen)))
		if err == nil {
			err = st.Exec()
		}
		if err != nil {
			return fmt.Errorf("%s: checkpoint: %w", p.in.def.name, err)
		}
	}
	if err := w.commit.Exec(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeRows stores rows with st, a prepared upsert.
func writeRows(st *sqlite3.Stmt, rows []docRow) error {
	for _, r := range rows {
		err := errors.Join(
			st.BindText(1, r.key.eng), st.BindText(2, r.key.kind), st.BindText(3, r.key.id),
			st.BindInt64(4, r.seq), st.BindText(5, r.tag), st.BindBlob(6, r.data))
		if err == nil {
			err = st.Exec()
		}
		if err != nil {
			return fmt.Errorf("write %s/%s: %w", r.key.kind, r.key.id, err)
		}
	}
	return nil
}

func (w *writer) close() {
	for _, st := range []*sqlite3.Stmt{w.begin, w.commit, w.rollback, w.setCheckpoint} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range w.upserts {
		st.Close()
	}
	w.conn.Close()
}
