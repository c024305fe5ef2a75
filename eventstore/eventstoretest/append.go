package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
)

func testExpectedRevision(t *testing.T, s eventstore.Store) {
	tests := []struct {
		name       string
		existing   int // events in the stream before the append
		expected   eventstore.ExpectedRevision
		ok         bool
		wantActual uint64 // when !ok
	}{
		{"any on missing stream", 0, eventstore.Any(), true, 0},
		{"any on existing stream", 2, eventstore.Any(), true, 0},
		{"no stream on missing stream", 0, eventstore.NoStream(), true, 0},
		{"no stream on existing stream", 2, eventstore.NoStream(), false, 1},
		{"stream exists on missing stream", 0, eventstore.StreamExists(), false, 0},
		{"stream exists on existing stream", 2, eventstore.StreamExists(), true, 0},
		{"exact on missing stream", 0, eventstore.Exact(0), false, 0},
		{"exact last revision", 3, eventstore.Exact(2), true, 0},
		{"exact stale revision", 3, eventstore.Exact(1), false, 2},
		{"exact future revision", 3, eventstore.Exact(3), false, 2},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stream := fmt.Sprintf("expected-%d", i)
			if tc.existing > 0 {
				mustAppend(t, s, stream, eventstore.NoStream(), events(tc.existing, "setup.done")...)
			}
			head := mustHead(t, s)
			e := event("thing.happened", `{}`)
			res, err := s.Append(context.Background(), stream, tc.expected, e)
			if tc.ok {
				if err != nil {
					t.Fatalf("Append(%v) on %d events: %v", tc.expected, tc.existing, err)
				}
				if res.NextRevision != uint64(tc.existing) || res.Position <= head {
					t.Fatalf("Append = %+v, want revision %d and a position above %d", res, tc.existing, head)
				}
				got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
				checkEvent(t, got[len(got)-1], e, stream, uint64(tc.existing))
				return
			}
			ce := asConflict(t, err)
			if ce.Stream != stream || ce.Exists != (tc.existing > 0) || (ce.Exists && ce.Actual != tc.wantActual) {
				t.Fatalf("ConflictError = %+v, want stream %q exists %v actual %d", *ce, stream, tc.existing > 0, tc.wantActual)
			}
			if h := mustHead(t, s); h != head {
				t.Fatalf("head moved from %d to %d after a conflict", head, h)
			}
			got, err := s.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
			if tc.existing == 0 {
				if !errors.Is(err, eventstore.ErrStreamNotFound) {
					t.Fatalf("ReadStream after refused append to a missing stream = %d events, %v; want ErrStreamNotFound", len(got), err)
				}
			} else if err != nil || len(got) != tc.existing {
				t.Fatalf("ReadStream after conflict = %d events, %v; want %d", len(got), err, tc.existing)
			}
		})
	}
}

// testRaceOneWinner has writers race, round after round, on the same
// expected revision: exactly one wins each round and the others learn the
// winner's revision.
func testRaceOneWinner(t *testing.T, s eventstore.Store) {
	const writers, rounds = 8, 25
	const stream = "race"
	for round := range rounds {
		expected := eventstore.NoStream()
		if round > 0 {
			expected = eventstore.Exact(uint64(round - 1))
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		evs := make([]eventstore.EventData, writers)
		errs := make([]error, writers)
		results := make([]eventstore.AppendResult, writers)
		for w := range writers {
			evs[w] = event("race.won", fmt.Sprintf(`{"round":%d,"writer":%d}`, round, w))
			wg.Go(func() {
				<-start
				results[w], errs[w] = s.Append(context.Background(), stream, expected, evs[w])
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: writers %d and %d both won", round, winner, w)
				}
				winner = w
				continue
			}
			ce := asConflict(t, err)
			if !ce.Exists || ce.Actual != uint64(round) {
				t.Fatalf("round %d: loser's ConflictError = %+v, want actual revision %d", round, *ce, round)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		if results[winner].NextRevision != uint64(round) {
			t.Fatalf("round %d: winner got revision %d", round, results[winner].NextRevision)
		}
		got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Limit: 1})
		checkEvent(t, got[0], evs[winner], stream, uint64(round))
	}
	if n := len(mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})); n != rounds {
		t.Fatalf("stream has %d events after %d rounds", n, rounds)
	}
}

// testRaceNoneLost has writers append to one stream with exact revisions,
// retrying on conflict, until each stored its share: nothing is lost or
// duplicated and the revisions have no gap.
func testRaceNoneLost(t *testing.T, s eventstore.Store) {
	const writers, each = 8, 20
	const stream = "contended"
	var wg sync.WaitGroup
	ids := make([][]uuid.UUID, writers)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			expected := eventstore.NoStream()
			for i := 0; i < each; {
				e := event("contended.appended", fmt.Sprintf(`{"writer":%d,"i":%d}`, w, i))
				res, err := s.Append(context.Background(), stream, expected, e)
				var ce *eventstore.ConflictError
				switch {
				case err == nil:
					ids[w] = append(ids[w], e.ID)
					expected = eventstore.Exact(res.NextRevision)
					i++
				case errors.As(err, &ce) && ce.Exists:
					expected = eventstore.Exact(ce.Actual)
				default:
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(got) != writers*each {
		t.Fatalf("stream has %d events, want %d", len(got), writers*each)
	}
	where := make(map[uuid.UUID]int, len(got))
	for i, e := range got {
		if e.Revision != uint64(i) {
			t.Fatalf("event %d has revision %d: gap or reorder", i, e.Revision)
		}
		if _, dup := where[e.ID]; dup {
			t.Fatalf("event id %s stored twice", e.ID)
		}
		where[e.ID] = i
	}
	checkIncreasing(t, got)
	for w, wids := range ids {
		for i, id := range wids {
			at, ok := where[id]
			if !ok {
				t.Fatalf("writer %d event %d (%s) acknowledged but not stored", w, i, id)
			}
			if i > 0 && at <= where[wids[i-1]] {
				t.Fatalf("writer %d: event %d stored before event %d", w, i, i-1)
			}
		}
	}
}

func testIdempotency(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	const stream = "idem"
	a, b := event("idem.first", `{"n":1}`), event("idem.second", `{"n":2}`)
	first := mustAppend(t, s, stream, eventstore.NoStream(), a, b)
	head := mustHead(t, s)

	retry := func(name string, exp eventstore.ExpectedRevision, want eventstore.AppendResult, evs ...eventstore.EventData) {
		t.Helper()
		got, err := s.Append(ctx, stream, exp, evs...)
		if err != nil {
			t.Fatalf("%s: retry Append(%v): %v", name, exp, err)
		}
		if !sameResult(got, want) {
			t.Fatalf("%s: retry Append(%v) = %+v, want the original %+v", name, exp, got, want)
		}
	}
	retry("same expectation", eventstore.NoStream(), first, a, b)
	retry("any", eventstore.Any(), first, a, b)
	if h := mustHead(t, s); h != head {
		t.Fatalf("head moved from %d to %d on a retry", head, h)
	}

	c := event("idem.third", `{"n":3}`)
	third := mustAppend(t, s, stream, eventstore.Exact(first.NextRevision), c)
	retry("exact", eventstore.Exact(first.NextRevision), third, c)

	// The stream moved on since: a late retry still gets its own result.
	mustAppend(t, s, stream, eventstore.StreamExists(), event("idem.fourth", `{"n":4}`))
	retry("late", eventstore.NoStream(), first, a, b)
	retry("late exact", eventstore.Exact(first.NextRevision), third, c)

	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(got) != 4 {
		t.Fatalf("stream has %d events after retries, want 4", len(got))
	}
	checkEvent(t, got[0], a, stream, 0)
	checkEvent(t, got[1], b, stream, 1)
	checkEvent(t, got[2], c, stream, 2)
	if n := len(readAll(t, s, 0)); n != 4 {
		t.Fatalf("store has %d events after retries, want 4", n)
	}
}

func testAtomicAppend(t *testing.T, s eventstore.Store) {
	const stream = "multi"
	mustAppend(t, s, "other", eventstore.NoStream(), event("other.happened", `{}`))
	evs := events(5, "multi.happened")
	res := mustAppend(t, s, stream, eventstore.NoStream(), evs...)
	if res.NextRevision != 4 {
		t.Fatalf("NextRevision = %d, want 4", res.NextRevision)
	}
	got := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})
	if len(got) != 5 {
		t.Fatalf("stream has %d events, want 5", len(got))
	}
	for i := range got {
		checkEvent(t, got[i], evs[i], stream, uint64(i))
	}
	checkIncreasing(t, got)
	if got[4].Position != res.Position {
		t.Fatalf("last event at position %d, AppendResult says %d", got[4].Position, res.Position)
	}
	checkRecorded(t, res, got)

	head := mustHead(t, s)
	_, err := s.Append(context.Background(), stream, eventstore.Exact(2), events(3, "multi.refused")...)
	asConflict(t, err)
	if n := len(mustReadStream(t, s, stream, eventstore.ReadStreamOptions{})); n != 5 {
		t.Fatalf("a refused 3-event append left the stream with %d events, want 5", n)
	}
	if h := mustHead(t, s); h != head {
		t.Fatalf("a refused append moved the head from %d to %d", head, h)
	}
}

func testOrdering(t *testing.T, s eventstore.Store) {
	type appended struct {
		stream string
		rev    uint64
		e      eventstore.EventData
		pos    eventstore.Position // from the AppendResult, for the last of each append
	}
	var want []appended
	next := map[string]uint64{}
	streams := []string{"order-a", "order-b", "order-c"}
	var last eventstore.Position
	for i := range 30 {
		stream := streams[i%len(streams)]
		evs := events(1+i%3, "order.placed")
		res := mustAppend(t, s, stream, eventstore.Any(), evs...)
		if res.Position <= last {
			t.Fatalf("append %d got position %d, not above the previous %d", i, res.Position, last)
		}
		last = res.Position
		for j, e := range evs {
			a := appended{stream: stream, rev: next[stream], e: e}
			if j == len(evs)-1 {
				a.pos = res.Position
				if res.NextRevision != a.rev {
					t.Fatalf("append %d: NextRevision %d, want %d", i, res.NextRevision, a.rev)
				}
			}
			want = append(want, a)
			next[stream]++
		}
	}
	got := readAll(t, s, 0)
	if len(got) != len(want) {
		t.Fatalf("ReadAll returned %d events, want %d", len(got), len(want))
	}
	checkIncreasing(t, got)
	for i, w := range want {
		checkEvent(t, got[i], w.e, w.stream, w.rev)
		if w.pos != 0 && got[i].Position != w.pos {
			t.Fatalf("event %d at position %d, its AppendResult said %d", i, got[i].Position, w.pos)
		}
	}
}

func testEmptyAppend(t *testing.T, s eventstore.Store) {
	for _, exp := range []eventstore.ExpectedRevision{eventstore.Any(), eventstore.NoStream(), eventstore.Exact(0)} {
		if _, err := s.Append(context.Background(), "empty", exp); !errors.Is(err, eventstore.ErrEmptyAppend) {
			t.Fatalf("Append(%v) with no events = %v, want ErrEmptyAppend", exp, err)
		}
	}
	if _, err := s.ReadStream(context.Background(), "empty", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("ReadStream after empty appends = %v, want ErrStreamNotFound", err)
	}
	if h := mustHead(t, s); h != eventstore.Start {
		t.Fatalf("head after empty appends = %d, want Start", h)
	}
}

func testCancelledContext(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, "cancelled", eventstore.Any(), event("never.stored", `{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := s.ReadAll(ctx, eventstore.Start, 0); err == nil {
		t.Fatal("ReadAll with a cancelled context returned no error")
	}
	if _, err := s.ReadStream(ctx, "cancelled", eventstore.ReadStreamOptions{}); err == nil {
		t.Fatal("ReadStream with a cancelled context returned no error")
	}
	if h := mustHead(t, s); h != eventstore.Start {
		t.Fatalf("an append with a cancelled context stored events: head %d", h)
	}
}

func testClose(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "closing", eventstore.NoStream(), event("closing.started", `{}`))
	c := newCollector()
	sub := subscribe(t, s, eventstore.SubscribeOptions{}, c.handle)
	c.waitFor(t, 1)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	sub.wait(t) // it must end; nil or an error are both fine
	if _, err := s.Append(context.Background(), "closing", eventstore.Any(), event("closing.late", `{}`)); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := s.ReadAll(context.Background(), eventstore.Start, 0); err == nil {
		t.Fatal("ReadAll after Close returned no error")
	}
}

// sameResult compares two AppendResults, times by instant.
func sameResult(a, b eventstore.AppendResult) bool {
	return a.NextRevision == b.NextRevision && a.Position == b.Position &&
		slices.EqualFunc(a.Events, b.Events, func(x, y eventstore.Stored) bool {
			return x.Position == y.Position && x.RecordedAt.Equal(y.RecordedAt)
		})
}

// checkRecorded checks that an AppendResult says where and when each of
// its events was stored, as a read of them does.
func checkRecorded(t *testing.T, res eventstore.AppendResult, stored []eventstore.RecordedEvent) {
	t.Helper()
	if len(res.Events) != len(stored) {
		t.Fatalf("AppendResult describes %d events, %d stored", len(res.Events), len(stored))
	}
	for i, e := range stored {
		if got := res.Events[i]; e.Position != got.Position || !e.RecordedAt.Equal(got.RecordedAt) {
			t.Fatalf("event %d stored at position %d, %v; AppendResult says %d, %v", i, e.Position, e.RecordedAt, got.Position, got.RecordedAt)
		}
	}
	if n := len(res.Events); n > 0 && res.Position != res.Events[n-1].Position {
		t.Fatalf("AppendResult.Position %d, its last event's %d", res.Position, res.Events[n-1].Position)
	}
}
