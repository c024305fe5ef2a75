package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ncruces/go-sqlite3"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/eventstoretest"
)

func openTemp(t *testing.T, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestContract(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprintf("group commit %v", group), func(t *testing.T) {
			eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
				s, _ := openTemp(t, WithGroupCommit(group))
				return s
			})
		})
	}
}

func newEvent(t *testing.T, typ string) eventstore.EventData {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return eventstore.EventData{ID: id, Type: typ, Data: []byte(`{"k":"v"}`)}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := newEvent(t, "kept.first"), newEvent(t, "kept.second")
	first, err := s.Append(ctx, "kept", eventstore.NoStream(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.ReadStream(ctx, "kept", eventstore.ReadStreamOptions{})
	if err != nil || len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
		t.Fatalf("after reopen ReadStream = %d events, %v", len(got), err)
	}
	if h, err := s.Head(ctx); err != nil || h != first.Position {
		t.Fatalf("after reopen Head = %d, %v; want %d", h, err, first.Position)
	}
	// Ids are remembered across restarts: the idempotency window is forever.
	if res, err := s.Append(ctx, "kept", eventstore.NoStream(), a, b); err != nil || !reflect.DeepEqual(res, first) {
		t.Fatalf("retry after reopen = %+v, %v; want %+v", res, err, first)
	}
	// And the revision goes on.
	res, err := s.Append(ctx, "kept", eventstore.Exact(1), newEvent(t, "kept.third"))
	if err != nil || res.NextRevision != 2 || res.Position <= first.Position {
		t.Fatalf("append after reopen = %+v, %v", res, err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	conn, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	s, err := Open(t.Context(), path)
	if !errors.Is(err, ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a file from a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

func TestSchemaVersionRecorded(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	conn, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	v, err := userVersion(conn)
	if err != nil || v != SchemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
}

// TestReadOnlyFile opens a store whose file cannot be written: appends fail
// with ErrUnavailable, reads go on.
func TestReadOnlyFile(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	e := newEvent(t, "ro.stored")
	if _, err := s.Append(ctx, "ro", eventstore.NoStream(), e); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	uri := path
	if os.Geteuid() == 0 {
		// root writes through file permissions: ask SQLite to open the
		// file read-only instead, which is what it does for a file it
		// cannot write.
		uri = "file:" + path + "?mode=ro"
	}
	ro, err := Open(ctx, uri)
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	defer ro.Close()
	_, err = ro.Append(ctx, "ro", eventstore.Exact(0), newEvent(t, "ro.refused"))
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Append to a read-only file = %v, want ErrUnavailable", err)
	}
	got, err := ro.ReadStream(ctx, "ro", eventstore.ReadStreamOptions{})
	if err != nil || len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("ReadStream of a read-only file = %d events, %v", len(got), err)
	}
	if all, err := ro.ReadAll(ctx, eventstore.Start, 0); err != nil || len(all) != 1 {
		t.Fatalf("ReadAll of a read-only file = %d events, %v", len(all), err)
	}
}

// TestDiskFull caps the file's size (SQLite then reports SQLITE_FULL, as on
// a full disk): the append fails with ErrUnavailable, reads go on, and the
// writer serves the next append that fits.
func TestDiskFull(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	if _, err := s.Append(ctx, "full", eventstore.NoStream(), newEvent(t, "full.first")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	text, err := pragmaText(conn, `PRAGMA page_count`)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := strconv.Atoi(text)
	if err != nil {
		t.Fatal(err)
	}
	// Room for a small event, not for a 1 MiB one.
	s, err = Open(ctx, path, withPragmas(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+4)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := newEvent(t, "full.big")
	big.Data = make([]byte, 1<<20)
	if _, err := s.Append(ctx, "full", eventstore.Exact(0), big); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Append past the size limit = %v, want ErrUnavailable", err)
	}
	if got, err := s.ReadStream(ctx, "full", eventstore.ReadStreamOptions{}); err != nil || len(got) != 1 {
		t.Fatalf("ReadStream after a full disk = %d events, %v", len(got), err)
	}
	if res, err := s.Append(ctx, "full", eventstore.Exact(0), newEvent(t, "full.small")); err != nil || res.NextRevision != 1 {
		t.Fatalf("Append that fits after a full disk = %+v, %v", res, err)
	}
}

// TestBatchIsolation sends, in one group commit, requests that fail and
// requests that succeed: each gets its own answer.
func TestBatchIsolation(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	dupe := newEvent(t, "iso.dupe")
	if _, err := s.Append(ctx, "iso-taken", eventstore.NoStream(), dupe); err != nil {
		t.Fatal(err)
	}
	ok1, ok2 := newEvent(t, "iso.ok"), newEvent(t, "iso.ok")
	reqs := []*appendReq{
		{stream: "iso-a", expected: eventstore.NoStream(), events: []eventstore.EventData{ok1}},
		{stream: "iso-taken", expected: eventstore.NoStream(), events: []eventstore.EventData{newEvent(t, "iso.conflict")}},
		// A new id then one already stored elsewhere: the first insert
		// must be rolled back with the request.
		{stream: "iso-b", expected: eventstore.Any(), events: []eventstore.EventData{newEvent(t, "iso.new"), dupe}},
		{stream: "iso-a", expected: eventstore.Exact(0), events: []eventstore.EventData{ok2}},
	}
	inOneBatch(t, s, reqs)
	if reqs[0].err != nil || reqs[3].err != nil || reqs[3].res.NextRevision != 1 {
		t.Fatalf("valid requests: %v, %v (%+v)", reqs[0].err, reqs[3].err, reqs[3].res)
	}
	if !errors.Is(reqs[1].err, eventstore.ErrConflict) {
		t.Fatalf("conflicting request: %v, want ErrConflict", reqs[1].err)
	}
	if !errors.Is(reqs[2].err, ErrDuplicateEventID) {
		t.Fatalf("request reusing an id: %v, want ErrDuplicateEventID", reqs[2].err)
	}
	if _, err := s.ReadStream(ctx, "iso-b", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream of the failed request: %v, want ErrStreamNotFound", err)
	}
	got, err := s.ReadStream(ctx, "iso-a", eventstore.ReadStreamOptions{})
	if err != nil || len(got) != 2 || got[0].ID != ok1.ID || got[1].ID != ok2.ID {
		t.Fatalf("stream of the valid requests = %d events, %v", len(got), err)
	}
	// Positions stay gapless after the rolled-back request.
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range all {
		if e.Position != eventstore.Position(i+1) {
			t.Fatalf("event %d at position %d", i, e.Position)
		}
	}
}

// inOneBatch hands reqs to the writer so that it stores them in one batch,
// and waits for their answers.
func inOneBatch(t *testing.T, s *Store, reqs []*appendReq) {
	t.Helper()
	for _, r := range reqs {
		r.ctx, r.done = t.Context(), make(chan struct{})
	}
	// Hold the writer after a first commit while the requests queue, so
	// that it takes them all at once.
	gate, held := make(chan struct{}), false
	s.w.notify = func() {
		if !held {
			held = true
			<-gate
		}
		s.notifyCommit()
	}
	s.w.reqs <- &appendReq{ctx: t.Context(), done: make(chan struct{}), stream: "batch-opener", expected: eventstore.Any(), events: []eventstore.EventData{newEvent(t, "batch.opened")}}
	for _, r := range reqs {
		s.w.reqs <- r
	}
	close(gate)
	for _, r := range reqs {
		<-r.done
	}
}

// TestBatchCarefulRetry makes an insert fail after the checks passed (a
// blob over SQLite's length limit): the batch is run again with a savepoint
// per request, and only the failing request fails.
func TestBatchCarefulRetry(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	s.w.conn.Limit(sqlite3.LIMIT_LENGTH, 10_000) // the writer is idle: no request yet
	tooBig := newEvent(t, "careful.big")
	tooBig.Data = make([]byte, 20_000)
	a, c := newEvent(t, "careful.a"), newEvent(t, "careful.c")
	reqs := []*appendReq{
		{stream: "careful-a", expected: eventstore.NoStream(), events: []eventstore.EventData{a}},
		{stream: "careful-b", expected: eventstore.NoStream(), events: []eventstore.EventData{newEvent(t, "careful.small"), tooBig}},
		{stream: "careful-c", expected: eventstore.NoStream(), events: []eventstore.EventData{c}},
	}
	inOneBatch(t, s, reqs)
	if reqs[0].err != nil || reqs[2].err != nil {
		t.Fatalf("valid requests: %v, %v", reqs[0].err, reqs[2].err)
	}
	if reqs[1].err == nil || errors.Is(reqs[1].err, eventstore.ErrUnavailable) {
		t.Fatalf("request with a blob too big: %v, want a failure of its own", reqs[1].err)
	}
	if _, err := s.ReadStream(ctx, "careful-b", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream of the failed request: %v, want ErrStreamNotFound", err)
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[1].ID != a.ID || all[2].ID != c.ID || all[2].Position != 3 {
		t.Fatalf("store holds %d events, want the opener, a and c at positions 1 to 3", len(all))
	}
}

func TestDuplicateIDElsewhere(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	a, b := newEvent(t, "dup.a"), newEvent(t, "dup.b")
	if _, err := s.Append(ctx, "one", eventstore.NoStream(), a, b); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		stream string
		evs    []eventstore.EventData
	}{
		{"same id in another stream", "two", []eventstore.EventData{a}},
		{"stored id then new id", "one", []eventstore.EventData{a, newEvent(t, "dup.c")}},
		{"new id then stored id", "one", []eventstore.EventData{newEvent(t, "dup.d"), b}},
		{"same id twice in one append", "three", func() []eventstore.EventData { e := newEvent(t, "dup.e"); return []eventstore.EventData{e, e} }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Append(ctx, tc.stream, eventstore.Any(), tc.evs...); !errors.Is(err, ErrDuplicateEventID) {
				t.Fatalf("Append = %v, want ErrDuplicateEventID", err)
			}
		})
	}
	if all, err := s.ReadAll(ctx, eventstore.Start, 0); err != nil || len(all) != 2 {
		t.Fatalf("store holds %d events, %v; want 2", len(all), err)
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"order-", "order.", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"", "", false},
		{"é", "\xc3\xaa", true},
	}
	for _, tc := range tests {
		got, ok := prefixEnd(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// The commit observer sees every commit that stored events, with their
// number, and no commit that stored none (a retry, a conflict).
func TestCommitObserver(t *testing.T) {
	var mu sync.Mutex
	var commits, events int
	s, _ := openTemp(t, WithCommitObserver(func(n int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if n <= 0 || took <= 0 {
			t.Errorf("observed %d events in %v", n, took)
		}
		commits++
		events += n
	}))
	ctx := t.Context()
	ev := func() eventstore.EventData {
		return eventstore.EventData{ID: uuid.New(), Type: "t", Data: []byte(`{}`)}
	}
	two := []eventstore.EventData{ev(), ev()}
	if _, err := s.Append(ctx, "a", eventstore.NoStream(), two...); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "a", eventstore.NoStream(), two...); err != nil { // a retry: stored already
		t.Fatal(err)
	}
	var conflict *eventstore.ConflictError
	if _, err := s.Append(ctx, "a", eventstore.NoStream(), ev()); !errors.As(err, &conflict) {
		t.Fatalf("append to an existing stream expecting none: %v", err)
	}
	if _, err := s.Append(ctx, "b", eventstore.Any(), ev()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if commits != 2 || events != 3 {
		t.Errorf("observed %d commits of %d events, want 2 of 3", commits, events)
	}
}
