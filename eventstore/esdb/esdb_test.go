package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
)

// openStandin starts a stand-in and opens the adapter on it; both end with
// the test.
func openStandin(t *testing.T, opts ...esdb.Option) (*esdb.Store, *esdbstandin.Server) {
	t.Helper()
	return openStandinB(t, opts...)
}

func openStandinB(t testing.TB, opts ...esdb.Option) (*esdb.Store, *esdbstandin.Server) {
	t.Helper()
	srv := esdbstandin.StartT(t)
	s, err := esdb.Open(context.Background(), srv.ConnString(), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, srv
}

func event(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: []byte(`{"n":1}`)}
}

func TestOpenRejectsBadConnectionStrings(t *testing.T) {
	tests := []struct{ name, conn string }{
		{"empty", ""},
		{"wrong scheme", "http://127.0.0.1:2113"},
		{"bad port", "esdb://127.0.0.1:port?tls=false"},
		{"bad setting value", "esdb://127.0.0.1:2113?tls=false&maxDiscoverAttempts=many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := esdb.Open(context.Background(), tt.conn)
			if !errors.Is(err, esdb.ErrConnString) {
				t.Fatalf("Open(%q) = %v, want ErrConnString", tt.conn, err)
			}
			if errors.Is(err, eventstore.ErrUnavailable) {
				t.Fatalf("Open(%q) = %v: a bad string is not an unavailable server", tt.conn, err)
			}
		})
	}
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestOpenUnreachableServerIsUnavailable(t *testing.T) {
	start := time.Now()
	_, err := esdb.Open(context.Background(), "esdb://"+freeAddr(t)+"?tls=false")
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
	t.Logf("unreachable server reported in %v", time.Since(start))
}

func TestAppendReadAndConflicts(t *testing.T) {
	ctx := context.Background()
	s, _ := openStandin(t)

	first, err := s.Append(ctx, "engagement-1", eventstore.NoStream(), event("a.one"), event("a.two"))
	if err != nil {
		t.Fatal(err)
	}
	if first.NextRevision != 1 || first.Position == 0 {
		t.Fatalf("first append = %+v, want revision 1 and a position", first)
	}

	tests := []struct {
		name     string
		expected eventstore.ExpectedRevision
		exists   bool
		actual   uint64
	}{
		{"no stream on existing", eventstore.NoStream(), true, 1},
		{"exact behind", eventstore.Exact(0), true, 1},
		{"exact ahead", eventstore.Exact(5), true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Append(ctx, "engagement-1", tt.expected, event("a.three"))
			var ce *eventstore.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) {
				t.Fatalf("Append = %v, want *ConflictError", err)
			}
			if ce.Exists != tt.exists || ce.Actual != tt.actual || ce.Stream != "engagement-1" {
				t.Fatalf("conflict = %+v, want exists %v actual %d", ce, tt.exists, tt.actual)
			}
		})
	}
	_, err = s.Append(ctx, "engagement-missing", eventstore.StreamExists(), event("a.one"))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Exists {
		t.Fatalf("StreamExists on a missing stream = %v, want conflict with no stream", err)
	}

	got, err := s.ReadStream(ctx, "engagement-1", eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != "a.one" || got[1].Revision != 1 || got[1].Position != first.Position {
		t.Fatalf("ReadStream = %+v", got)
	}
	if got[0].Metadata != nil || string(got[0].Data) != `{"n":1}` || got[0].RecordedAt.Location() != time.UTC {
		t.Fatalf("event fields = %+v", got[0])
	}

	if _, err := s.ReadStream(ctx, "engagement-missing", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("ReadStream missing = %v, want ErrStreamNotFound", err)
	}
	if _, err := s.Append(ctx, "engagement-1", eventstore.Any()); !errors.Is(err, eventstore.ErrEmptyAppend) {
		t.Fatalf("empty Append = %v, want ErrEmptyAppend", err)
	}
}

func TestReadStreamDirectionsAndLimits(t *testing.T) {
	ctx := context.Background()
	s, _ := openStandin(t)
	for i := range 5 {
		if _, err := s.Append(ctx, "e", eventstore.Any(), event(fmt.Sprintf("t.%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	revs := func(evs []eventstore.RecordedEvent) []uint64 {
		out := []uint64{}
		for _, e := range evs {
			out = append(out, e.Revision)
		}
		return out
	}
	tests := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uint64
	}{
		{"all forwards", eventstore.ReadStreamOptions{}, []uint64{0, 1, 2, 3, 4}},
		{"forwards from 3", eventstore.ReadStreamOptions{From: 3}, []uint64{3, 4}},
		{"forwards limit", eventstore.ReadStreamOptions{From: 1, Limit: 2}, []uint64{1, 2}},
		{"forwards past end", eventstore.ReadStreamOptions{From: 9}, []uint64{}},
		{"forwards from End", eventstore.ReadStreamOptions{From: eventstore.End}, []uint64{4}},
		{"backwards from End", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End}, []uint64{4, 3, 2, 1, 0}},
		{"backwards from 2 limit 2", eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: 2, Limit: 2}, []uint64{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ReadStream(ctx, "e", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(revs(got)) != fmt.Sprint(tt.want) {
				t.Fatalf("revisions = %v, want %v", revs(got), tt.want)
			}
		})
	}
}

func TestIdempotentAppend(t *testing.T) {
	ctx := context.Background()
	s, _ := openStandin(t)
	a, b := event("x.a"), event("x.b")
	for _, exp := range []eventstore.ExpectedRevision{eventstore.NoStream(), eventstore.Any()} {
		t.Run(exp.String(), func(t *testing.T) {
			stream := "idem-" + exp.String()
			first, err := s.Append(ctx, stream, exp, a, b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := s.Append(ctx, stream, exp, a, b)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !reflect.DeepEqual(again, first) {
				t.Fatalf("retry = %+v, want the first result %+v", again, first)
			}
			got, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
			if err != nil || len(got) != 2 {
				t.Fatalf("stream after retry = %d events, %v; want 2", len(got), err)
			}
		})
	}
}

func TestReadAllAndHeadSkipSystemEvents(t *testing.T) {
	ctx := context.Background()
	s, _ := openStandin(t)
	head, err := s.Head(ctx)
	if err != nil || head != eventstore.Start {
		t.Fatalf("Head of a store with only system events = %d, %v; want Start", head, err)
	}
	var last eventstore.AppendResult
	for i := range 7 {
		last, err = s.Append(ctx, fmt.Sprintf("s-%d", i%3), eventstore.Any(), event("k.v"))
		if err != nil {
			t.Fatal(err)
		}
	}
	if head, err = s.Head(ctx); err != nil || head != last.Position {
		t.Fatalf("Head = %d, %v; want %d", head, err, last.Position)
	}

	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 {
		t.Fatalf("ReadAll = %d events, want 7 (system events excluded)", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Position <= all[i-1].Position {
			t.Fatalf("positions not increasing at %d: %d then %d", i, all[i-1].Position, all[i].Position)
		}
	}
	// Paging with "after" neither repeats nor skips.
	var paged []eventstore.RecordedEvent
	after := eventstore.Start
	for {
		page, err := s.ReadAll(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Position
	}
	if len(paged) != len(all) {
		t.Fatalf("paged ReadAll = %d events, want %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i].ID != all[i].ID {
			t.Fatalf("paged event %d = %v, want %v", i, paged[i].ID, all[i].ID)
		}
	}
}

func TestSubscribeAllCatchUpLiveAndFilter(t *testing.T) {
	ctx := context.Background()
	s, _ := openStandin(t, esdb.WithCheckpoints(2, 1))
	for i := range 4 {
		if _, err := s.Append(ctx, fmt.Sprintf("keep-%d", i), eventstore.Any(), event("k.x")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, fmt.Sprintf("drop-%d", i), eventstore.Any(), event("d.x")); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name   string
		filter eventstore.Filter
	}{
		{"stream prefix", eventstore.Filter{StreamPrefixes: []string{"keep-"}}},
		{"type prefix", eventstore.Filter{TypePrefixes: []string{"k."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, err := s.ReadAll(ctx, eventstore.Start, 0)
			if err != nil {
				t.Fatal(err)
			}
			catchUp := 0
			for _, e := range stored {
				if tt.filter.Match(&e) {
					catchUp++
				}
			}
			got := make(chan eventstore.RecordedEvent, 16)
			subCtx, cancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() {
				errc <- s.SubscribeAll(subCtx, eventstore.SubscribeOptions{Filter: tt.filter}, func(_ context.Context, e eventstore.RecordedEvent) error {
					got <- e
					return nil
				})
			}()
			var last eventstore.Position
			recv := func() eventstore.RecordedEvent {
				select {
				case e := <-got:
					if e.Type != "k.x" || e.Position <= last {
						t.Fatalf("unexpected event %+v after position %d", e, last)
					}
					last = e.Position
					return e
				case err := <-errc:
					t.Fatalf("subscription ended: %v", err)
				case <-time.After(10 * time.Second):
					t.Fatal("no event within 10s")
				}
				return eventstore.RecordedEvent{}
			}
			for range catchUp {
				recv()
			}
			// Live.
			if _, err := s.Append(ctx, "drop-live", eventstore.Any(), event("d.x")); err != nil {
				t.Fatal(err)
			}
			res, err := s.Append(ctx, "keep-live", eventstore.Any(), event("k.x"))
			if err != nil {
				t.Fatal(err)
			}
			if e := recv(); e.Position != res.Position {
				t.Fatalf("live event at %d, want %d", e.Position, res.Position)
			}
			cancel()
			if err := <-errc; err != nil {
				t.Fatalf("SubscribeAll after cancel = %v, want nil", err)
			}
		})
	}

	err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"a"}, TypePrefixes: []string{"b"}}},
		func(context.Context, eventstore.RecordedEvent) error { return nil })
	if !errors.Is(err, esdb.ErrFilter) {
		t.Fatalf("SubscribeAll with both prefixes = %v, want ErrFilter", err)
	}
}

func TestSubscribeAllReturnsHandlerError(t *testing.T) {
	ctx := context.Background()
	s, _ := openStandin(t)
	if _, err := s.Append(ctx, "h", eventstore.Any(), event("h.x")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("SubscribeAll = %v, want the handler's error", err)
	}
}

func TestServerStoppedIsUnavailableAndRestartRecovers(t *testing.T) {
	ctx := context.Background()
	s, srv := openStandin(t, esdb.WithTimeout(5*time.Second))
	before, err := s.Append(ctx, "f", eventstore.NoStream(), event("f.x"))
	if err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	ops := []struct {
		name string
		run  func() error
	}{
		{"Append", func() error { _, err := s.Append(ctx, "f", eventstore.Any(), event("f.y")); return err }},
		{"ReadStream", func() error { _, err := s.ReadStream(ctx, "f", eventstore.ReadStreamOptions{}); return err }},
		{"ReadAll", func() error { _, err := s.ReadAll(ctx, eventstore.Start, 10); return err }},
		{"Head", func() error { _, err := s.Head(ctx); return err }},
	}
	for _, op := range ops {
		start := time.Now()
		if err := op.run(); !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("%s with the server stopped = %v, want ErrUnavailable", op.name, err)
		}
		t.Logf("%s reported the stopped server in %v", op.name, time.Since(start))
	}

	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.Append(ctx, "f", eventstore.Exact(before.NextRevision), event("f.z"))
	if err != nil {
		t.Fatalf("Append after restart: %v", err)
	}
	if after.NextRevision != before.NextRevision+1 || after.Position <= before.Position {
		t.Fatalf("after restart = %+v, before = %+v", after, before)
	}
	got, err := s.ReadStream(ctx, "f", eventstore.ReadStreamOptions{})
	if err != nil || len(got) != 2 {
		t.Fatalf("stream after restart = %d events, %v; want 2 (the failed append stored nothing)", len(got), err)
	}
}

func TestSubscriptionResumesAfterRestart(t *testing.T) {
	tests := []struct {
		name   string
		filter eventstore.Filter
	}{
		{"everything", eventstore.Filter{}},
		// With noise between wanted events, resuming relies on the
		// server's checkpoints (one per event scanned here).
		{"stream prefix", eventstore.Filter{StreamPrefixes: []string{"r"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testResume(t, tt.filter)
		})
	}
}

func testResume(t *testing.T, filter eventstore.Filter) {
	ctx := context.Background()
	s, srv := openStandin(t, esdb.WithCheckpoints(1, 1))
	got := make(chan eventstore.RecordedEvent, 16)
	errc := make(chan error, 1)
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		errc <- s.SubscribeAll(subCtx, eventstore.SubscribeOptions{Filter: filter}, func(_ context.Context, e eventstore.RecordedEvent) error {
			got <- e
			return nil
		})
	}()
	var want []uuid.UUID
	appendN := func(n int) {
		for range n {
			e := event("r.x")
			if _, err := s.Append(ctx, "r", eventstore.Any(), e); err != nil {
				t.Fatal(err)
			}
			want = append(want, e.ID)
			if !filter.Match(&eventstore.RecordedEvent{Stream: "noise", Type: "n.x"}) {
				if _, err := s.Append(ctx, "noise", eventstore.Any(), event("n.x")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var seen []uuid.UUID
	recvUntil := func(n int) {
		for len(seen) < n {
			select {
			case e := <-got:
				seen = append(seen, e.ID)
			case err := <-errc:
				t.Fatalf("subscription ended: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatalf("only %d of %d events within 10s", len(seen), n)
			}
		}
	}
	appendN(3)
	recvUntil(3)

	srv.Stop()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	appendN(2)
	recvUntil(5)
	select {
	case e := <-got:
		t.Fatalf("extra event %v after resubscribing", e.ID)
	case <-time.After(100 * time.Millisecond):
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("event %d = %v, want %v (gap or duplicate across the restart)", i, seen[i], want[i])
		}
	}
}

func TestSubscriptionGivesUpAfterResubscribeWindow(t *testing.T) {
	s, srv := openStandin(t, esdb.WithResubscribeWindow(300*time.Millisecond))
	errc := make(chan error, 1)
	subscribed := make(chan struct{})
	go func() {
		errc <- s.SubscribeAll(context.Background(), eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error {
			close(subscribed)
			return nil
		})
	}()
	if _, err := s.Append(context.Background(), "w", eventstore.Any(), event("w.x")); err != nil {
		t.Fatal(err)
	}
	<-subscribed
	srv.Stop()
	select {
	case err := <-errc:
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("SubscribeAll = %v, want ErrUnavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SubscribeAll still running 30s after the server stopped")
	}
}

func TestCloseEndsSubscriptionsAndCalls(t *testing.T) {
	s, _ := openStandin(t)
	errc := make(chan error, 1)
	go func() {
		errc <- s.SubscribeAll(context.Background(), eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error { return nil })
	}()
	// Let the subscription start before closing; either way it must end.
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("SubscribeAll after Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SubscribeAll still running 10s after Close")
	}
	if _, err := s.Append(context.Background(), "c", eventstore.Any(), event("c.x")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}
