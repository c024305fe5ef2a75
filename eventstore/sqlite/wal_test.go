package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/eventstore"
)

// TestWALBounded appends ~10 times the WAL limit: the writer starts the WAL
// over after the commit that passes the limit, so it holds the limit and
// one commit (a few frames) at most. The test runs each checkpoint the
// writer asks for itself, so that the bound does not depend on when the
// checkpointer's goroutine gets scheduled (on a loaded machine it may run
// late, which only lets the WAL grow for a while: see
// TestSubscriberAcrossWALRestarts for the goroutine).
func TestWALBounded(t *testing.T) {
	const (
		limit   = 200 // frames
		appends = 300 // each of a few frames: ~10x the limit in all
	)
	ctx := t.Context()
	s, path := openTemp(t, withWALLimit(limit), withManualCheckpoints())
	pageSize := pragmaInt(t, s.w.conn, `PRAGMA page_size`)

	data := make([]byte, 3*pageSize) // a few overflow pages per event
	walMax := int64(0)
	for i := range appends {
		e := newEvent(t, "wal.grown")
		e.Data = data
		if _, err := s.Append(ctx, "wal-"+strconv.Itoa(i%7), eventstore.Any(), e); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		checkpointWoken(s)
		if fi, err := os.Stat(path + "-wal"); err == nil {
			walMax = max(walMax, fi.Size())
		}
	}
	if bound := int64(2*limit) * int64(pageSize+24); walMax > bound {
		t.Errorf("WAL grew to %d bytes, want at most %d (%d frames of %d bytes)", walMax, bound, 2*limit, pageSize)
	}
	if walMax == 0 {
		t.Error("no WAL file seen")
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WAL after Close: %v, want it checkpointed and removed", err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.ReadAll(ctx, eventstore.Start, appends+1)
	if err != nil || len(all) != appends {
		t.Fatalf("after reopen ReadAll = %d events, %v; want %d", len(all), err, appends)
	}
}

// checkpointWoken runs the checkpoint the writer asked for, if it did: what
// the checkpointer's goroutine does, on the test's schedule.
func checkpointWoken(s *Store) {
	select {
	case <-s.w.ckpt.wake:
		s.w.ckpt.checkpoint()
	default:
	}
}

// TestSubscriberAcrossWALRestarts follows the store live while the WAL,
// kept small, starts over again and again under the checkpointer's own
// goroutine: the subscriber sees every position once, in order. How large
// the WAL grows meanwhile depends on scheduling and is not checked here.
func TestSubscriberAcrossWALRestarts(t *testing.T) {
	const (
		limit   = 200 // frames
		appends = 300 // each of a few frames: ~10x the limit in all
	)
	ctx := t.Context()
	s, _ := openTemp(t, withWALLimit(limit))
	pageSize := pragmaInt(t, s.w.conn, `PRAGMA page_size`)

	subCtx, stop := context.WithCancel(ctx)
	var seen []eventstore.Position // written by the handler alone until caughtUp
	caughtUp := make(chan struct{})
	subDone := make(chan error, 1)
	go func() {
		subDone <- s.SubscribeAll(subCtx, eventstore.SubscribeOptions{}, func(_ context.Context, e eventstore.RecordedEvent) error {
			seen = append(seen, e.Position)
			if len(seen) == appends {
				close(caughtUp)
			}
			return nil
		})
	}()

	data := make([]byte, 3*pageSize)
	for i := range appends {
		e := newEvent(t, "wal.grown")
		e.Data = data
		if _, err := s.Append(ctx, "wal-"+strconv.Itoa(i%7), eventstore.Any(), e); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-caughtUp:
	case err := <-subDone:
		t.Fatalf("subscription ended before it saw every event: %v", err)
	}
	stop()
	if err := <-subDone; err != nil {
		t.Fatalf("subscription: %v", err)
	}
	want := make([]eventstore.Position, 0, appends)
	for p := eventstore.Position(1); p <= head; p++ {
		want = append(want, p)
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("subscriber saw %d positions, want 1 to %d in order", len(seen), head)
	}
}

// TestWALReaderHoldsOn holds a read transaction (as another process may)
// while the WAL passes its limit: appends go on, the WAL grows meanwhile,
// and once the reader ends the WAL starts over again rather than grow on.
func TestWALReaderHoldsOn(t *testing.T) {
	const limit = 200 // frames
	ctx := t.Context()
	s, path := openTemp(t, withWALLimit(limit), withManualCheckpoints())
	pageSize := pragmaInt(t, s.w.conn, `PRAGMA page_size`)
	data := make([]byte, 3*pageSize)
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	appendN := func(n int) {
		for i := range n {
			e := newEvent(t, "held.grown")
			e.Data = data
			if _, err := s.Append(ctx, "held-"+strconv.Itoa(i%5), eventstore.Any(), e); err != nil {
				t.Fatalf("append: %v", err)
			}
			checkpointWoken(s)
		}
	}
	appendN(1)

	reader, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := reader.Exec(`BEGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := pragmaText(reader, `SELECT count(*) FROM events`); err != nil {
		t.Fatal(err)
	}
	appendN(150) // ~3 limits, the reader holding the first frames
	held := walSize()
	if frames := held / int64(pageSize+24); frames < 2*limit {
		t.Fatalf("WAL holds %d frames with a reader on its first ones, want it grown past %d", frames, 2*limit)
	}
	if err := reader.Exec(`COMMIT`); err != nil {
		t.Fatal(err)
	}
	appendN(500) // ~10 limits
	if grown := walSize() - held; grown > 2*limit*int64(pageSize+24) {
		t.Errorf("WAL grew by %d bytes after the reader ended, want at most %d frames", grown, 2*limit)
	}
}

// TestOtherWriterSeen has two stores (as two processes would) append to one
// stream of one file: each sees the other's revisions, whatever it cached.
func TestOtherWriterSeen(t *testing.T) {
	ctx := t.Context()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	steps := []struct {
		name     string
		store    *Store
		expected eventstore.ExpectedRevision
		wantRev  uint64
		conflict bool
	}{
		{"a creates", a, eventstore.NoStream(), 0, false},
		{"a appends", a, eventstore.Exact(0), 1, false},
		{"b appends", b, eventstore.Exact(1), 2, false},
		// a last wrote revision 1: it must see 2 and accept this.
		{"a after b", a, eventstore.Exact(2), 3, false},
		{"b after a", b, eventstore.Exact(3), 4, false},
		{"a behind", a, eventstore.Exact(3), 0, true},
		{"a caught up", a, eventstore.Exact(4), 5, false},
	}
	for _, st := range steps {
		res, err := st.store.Append(ctx, "shared", st.expected, newEvent(t, "shared.step"))
		if st.conflict {
			var ce *eventstore.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("%s: Append = %+v, %v; want a ConflictError", st.name, res, err)
			}
			continue
		}
		if err != nil || res.NextRevision != st.wantRev {
			t.Fatalf("%s: Append = %+v, %v; want revision %d", st.name, res, err, st.wantRev)
		}
	}
}

// TestRevisionsAfterFailedRequests checks that what a failed request looked
// up or wrote is not remembered: the streams it touched take the next
// append as they are in the file.
func TestRevisionsAfterFailedRequests(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	s.w.conn.Limit(sqlite3.LIMIT_LENGTH, 10_000) // the writer is idle: no request yet
	tooBig := newEvent(t, "failed.big")
	tooBig.Data = make([]byte, 20_000)
	reqs := []*appendReq{
		{stream: "failed-a", expected: eventstore.NoStream(), events: []eventstore.EventData{newEvent(t, "failed.a")}},
		// Written, then rolled back to its savepoint.
		{stream: "failed-b", expected: eventstore.NoStream(), events: []eventstore.EventData{newEvent(t, "failed.small"), tooBig}},
		{stream: "failed-a", expected: eventstore.Exact(0), events: []eventstore.EventData{newEvent(t, "failed.a")}},
		// Refused: expected the wrong revision.
		{stream: "failed-a", expected: eventstore.Exact(5), events: []eventstore.EventData{newEvent(t, "failed.a")}},
	}
	inOneBatch(t, s, reqs)
	if reqs[0].err != nil || reqs[2].err != nil || reqs[1].err == nil || reqs[3].err == nil {
		t.Fatalf("batch answers: %v, %v, %v, %v; want ok, failed, ok, conflict", reqs[0].err, reqs[1].err, reqs[2].err, reqs[3].err)
	}
	if res, err := s.Append(ctx, "failed-b", eventstore.NoStream(), newEvent(t, "failed.b")); err != nil || res.NextRevision != 0 {
		t.Fatalf("append to the rolled-back stream = %+v, %v; want revision 0", res, err)
	}
	if res, err := s.Append(ctx, "failed-a", eventstore.Exact(1), newEvent(t, "failed.a")); err != nil || res.NextRevision != 2 {
		t.Fatalf("append after the batch = %+v, %v; want revision 2", res, err)
	}
}

func pragmaInt(t *testing.T, conn *sqlite3.Conn, sql string) int {
	t.Helper()
	text, err := pragmaText(conn, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestPageSize: a new file takes the configured page size; an existing
// file keeps its own and works as before.
func TestPageSize(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t, withPageSize(2048))
	if got := pragmaInt(t, s.w.conn, `PRAGMA page_size`); got != 2048 {
		t.Errorf("new file page size = %d, want 2048", got)
	}
	s.Close()

	path := filepath.Join(t.TempDir(), "old.db")
	old, err := Open(ctx, path, withPageSize(8192))
	if err != nil {
		t.Fatal(err)
	}
	first, err := old.Append(ctx, "kept", eventstore.NoStream(), newEvent(t, "kept.first"))
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := pragmaInt(t, s.w.conn, `PRAGMA page_size`); got != 8192 {
		t.Errorf("existing file page size = %d, want its own 8192", got)
	}
	big := newEvent(t, "kept.big")
	big.Data = make([]byte, 1<<20)
	res, err := s.Append(ctx, "kept", eventstore.Exact(first.NextRevision), big)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadStream(ctx, "kept", eventstore.ReadStreamOptions{})
	if err != nil || len(got) != 2 || len(got[1].Data) != 1<<20 || got[1].Position != res.Position {
		t.Fatalf("ReadStream = %d events, %v", len(got), err)
	}
}

func TestWithVFS(t *testing.T) {
	tests := []struct{ path, want string }{
		{"events.db", "file:events.db?vfs=v"},
		{"data/events.db", "file:data/events.db?vfs=v"},
		{"/var/lib/candor/events.db", "file:///var/lib/candor/events.db?vfs=v"},
		{"//srv/events.db", "file:////srv/events.db?vfs=v"},
		{"/tmp/a b?c#d%e.db", "file:///tmp/a%20b%3Fc%23d%25e.db?vfs=v"},
		{"file:events.db", "file:events.db?vfs=v"},
		{"file:/tmp/events.db?mode=ro", "file:/tmp/events.db?mode=ro&vfs=v"},
		{"file:/tmp/events.db?", "file:/tmp/events.db?vfs=v"},
		{"file:/tmp/events.db?mode=ro#frag", "file:/tmp/events.db?mode=ro&vfs=v#frag"},
		{"file:/tmp/events.db?vfs=unix&mode=ro", "file:/tmp/events.db?vfs=unix&mode=ro"},
	}
	for _, tc := range tests {
		if got := withVFS(tc.path, "v"); got != tc.want {
			t.Errorf("withVFS(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestOddPath opens a store whose path needs escaping in a URI: the file is
// where the path says, and the write connection uses the gathering VFS.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%e&f=g")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append(t.Context(), "odd", eventstore.NoStream(), newEvent(t, "odd.path")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("store file: %v", err)
	}
	if got := s.w.conn.Filename("main").URIParameter("vfs"); got != walVFS {
		t.Errorf("write connection VFS = %q, want %q", got, walVFS)
	}
}
