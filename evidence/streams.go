package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// streamEnd is a stream's last leaf as the streams table keeps it.
type streamEnd struct {
	rev      uint64
	pos, idx int64
}

// upsertStreams records the last leaf of every stream among leaves, which
// are in log order.
func upsertStreams(ctx context.Context, tx *sql.Tx, leaves []leafRec) error {
	last := map[string]int{}
	for i, r := range leaves {
		last[r.stream] = i
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO streams (stream, rev, pos, idx) VALUES (?, ?, ?, ?)
		ON CONFLICT (stream) DO UPDATE SET rev = excluded.rev, pos = excluded.pos, idx = excluded.idx WHERE excluded.idx > streams.idx`)
	if err != nil {
		return fmt.Errorf("evidence: commit streams: %w", err)
	}
	defer st.Close()
	for stream, i := range last {
		r := leaves[i]
		if _, err := st.ExecContext(ctx, stream, int64(r.rev), int64(r.pos), r.idx); err != nil {
			return fmt.Errorf("evidence: commit the end of %s: %w", stream, err)
		}
	}
	return nil
}

// migrateStreams fills the streams table of a log written before it
// existed, from the index of leaves by stream it replaces, then drops that
// index, in one transaction.
func (l *Log) migrateStreams(ctx context.Context) error {
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'leaves_stream'`).Scan(&n); err != nil {
		return fmt.Errorf("evidence: migrate: %w", err)
	}
	if n == 0 {
		return nil
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("evidence: migrate: %w", err)
	}
	defer tx.Rollback()
	// With max(), SQLite takes the bare columns from the row of the maximum.
	for _, q := range []string{
		`INSERT OR REPLACE INTO streams (stream, rev, pos, idx) SELECT stream, rev, pos, max(idx) FROM leaves GROUP BY stream`,
		`DROP INDEX leaves_stream`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("evidence: migrate: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("evidence: migrate: %w", err)
	}
	return nil
}

// end returns a stream's last leaf in evidence.db.
func (l *Log) end(ctx context.Context, stream string) (streamEnd, bool, error) {
	var (
		e   streamEnd
		rev int64
	)
	err := l.db.QueryRowContext(ctx, `SELECT rev, pos, idx FROM streams WHERE stream = ?`, stream).Scan(&rev, &e.pos, &e.idx)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("evidence: read the end of %s: %w", stream, err)
	}
	e.rev = uint64(rev)
	return e, true, nil
}

// streamLeaves returns the leaves of one stream below size, by revision.
// The store's events of the stream (events, by revision) lead the way:
// each one's leaf is found by its position. Only where they and the log
// part (an event missing, moved or replaced) are the leaves between the
// neighbouring leaves found looked for, by position.
func (l *Log) streamLeaves(ctx context.Context, stream string, size int64, events []eventPos) ([]leafRec, error) {
	l.fmu.Lock() // not between pending and evidence.db
	defer l.fmu.Unlock()
	end, ok, err := l.end(ctx, stream)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	pending := make([]leafRec, 0)
	for _, r := range l.pending {
		if r.stream == stream {
			pending = append(pending, r)
		}
	}
	l.mu.Unlock()
	if !ok && len(pending) == 0 {
		return nil, nil
	}
	var out []leafRec
	if ok {
		found := map[uint64]bool{}
		var good []leafRec // the leaves of the store's events, by position
		byPos, err := l.leavesAt(ctx, events, end.pos)
		if err != nil {
			return nil, err
		}
		for _, r := range byPos {
			if r.stream == stream && !found[r.rev] {
				found[r.rev] = true
				good = append(good, r)
			}
		}
		sort.Slice(good, func(i, j int) bool { return good[i].pos < good[j].pos })
		lo, expect := int64(0), uint64(0) // after lo, the log's next leaf of the stream has revision expect
		gaps := func(hi int64) error {
			gap, err := l.leavesBetween(ctx, stream, lo, hi)
			for _, r := range gap {
				if !found[r.rev] {
					found[r.rev] = true
					out = append(out, r)
				}
			}
			return err
		}
		for _, g := range good {
			if g.rev > expect {
				if err := gaps(int64(g.pos)); err != nil {
					return nil, err
				}
			}
			lo, expect = int64(g.pos), g.rev+1
		}
		if expect <= end.rev {
			if err := gaps(end.pos + 1); err != nil {
				return nil, err
			}
		}
		out = append(out, good...)
	}
	out = append(out, pending...)
	kept := out[:0]
	for _, r := range out {
		if r.idx < size {
			kept = append(kept, r)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].rev != kept[j].rev {
			return kept[i].rev < kept[j].rev
		}
		return kept[i].idx < kept[j].idx
	})
	return kept, nil
}

// eventPos is where the store holds one of a stream's events.
type eventPos struct {
	rev uint64
	pos int64
}

// leavesAt returns the leaves in evidence.db at the events' positions up
// to last, many a query.
func (l *Log) leavesAt(ctx context.Context, events []eventPos, last int64) ([]leafRec, error) {
	var out []leafRec
	for len(events) > 0 {
		n := min(len(events), 256)
		args := make([]any, 0, n)
		for _, ev := range events[:n] {
			if ev.pos <= last {
				args = append(args, ev.pos)
			}
		}
		events = events[n:]
		if len(args) == 0 {
			continue
		}
		rows, err := l.db.QueryContext(ctx, `SELECT `+leafColumns+` FROM leaves WHERE pos IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("evidence: read leaves: %w", err)
		}
		got, err := scanLeaves(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// scanLeaves reads and closes rows of leafColumns.
func scanLeaves(rows *sql.Rows) ([]leafRec, error) {
	defer rows.Close()
	var out []leafRec
	for rows.Next() {
		r, err := scanLeaf(rows)
		if err != nil {
			return nil, fmt.Errorf("evidence: read leaves: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evidence: read leaves: %w", err)
	}
	return out, nil
}

// leavesBetween returns the stream's leaves in evidence.db with a
// position in (lo, hi).
func (l *Log) leavesBetween(ctx context.Context, stream string, lo, hi int64) ([]leafRec, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+leafColumns+` FROM leaves WHERE pos > ? AND pos < ? AND stream = ?`, lo, hi, stream)
	if err != nil {
		return nil, fmt.Errorf("evidence: leaves of %s: %w", stream, err)
	}
	return scanLeaves(rows)
}
