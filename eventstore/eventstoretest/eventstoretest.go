// Package eventstoretest is the contract every eventstore.Store backend
// passes: one suite, written once against the interface, that each backend
// runs from its own tests:
//
//	func TestContract(t *testing.T) {
//		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
//			s := openEmptyStore(t)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// newStore must return an empty store, used by one subtest only, and arrange
// its release with t.Cleanup. Some subtests close the store themselves, so
// Close must tolerate being called twice.
//
// Timeouts in the suite only detect a hang (tens of seconds); speed is
// measured by each backend's benchmarks, never asserted here.
package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
)

// hang is how long the suite waits for something that should happen at
// once before declaring the backend stuck.
const hang = 60 * time.Second

// Run runs the contract suite, each subtest on a store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store)
	}{
		{"ExpectedRevision", testExpectedRevision},
		{"RaceOneWinnerPerRevision", testRaceOneWinner},
		{"RaceNoneLost", testRaceNoneLost},
		{"Idempotency", testIdempotency},
		{"AtomicMultiEventAppend", testAtomicAppend},
		{"OrderingAndPositions", testOrdering},
		{"ReadStream", testReadStream},
		{"ReadStreamMissing", testReadStreamMissing},
		{"EmptyAppend", testEmptyAppend},
		{"ReadAllPaging", testReadAllPaging},
		{"Head", testHead},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeFilters", testSubscribeFilters},
		{"SubscribeAfter", testSubscribeAfter},
		{"SubscribeFilterBothPrefixesRefused", testSubscribeBothPrefixes},
		{"SubscribeCancel", testSubscribeCancel},
		{"SubscribeHandlerError", testSubscribeHandlerError},
		{"LargeEvent", testLargeEvent},
		{"Unicode", testUnicode},
		{"RecordedAt", testRecordedAt},
		{"DataAndMetadataRoundTrip", testRoundTrip},
		{"CancelledContext", testCancelledContext},
		{"Close", testClose},
		{"ManyEvents", testManyEvents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// event returns an event of type typ with a fresh time-ordered id.
func event(typ, data string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: []byte(data), Metadata: []byte(`{"actor":"suite"}`)}
}

// events returns n events of type typ whose data tells them apart.
func events(n int, typ string) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = event(typ, fmt.Sprintf(`{"n":%d}`, i))
	}
	return evs
}

func mustAppend(t testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, exp, evs...)
	if err != nil {
		t.Fatalf("Append(%q, %v, %d events): %v", stream, exp, len(evs), err)
	}
	return res
}

func mustHead(t testing.TB, s eventstore.Store) eventstore.Position {
	t.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h
}

func mustReadStream(t testing.TB, s eventstore.Store, stream string, opts eventstore.ReadStreamOptions) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, opts)
	if err != nil {
		t.Fatalf("ReadStream(%q, %+v): %v", stream, opts, err)
	}
	return evs
}

// readAll pages through the whole store with pages of size page.
func readAll(t testing.TB, s eventstore.Store, page int) []eventstore.RecordedEvent {
	t.Helper()
	var all []eventstore.RecordedEvent
	after := eventstore.Start
	for {
		evs, err := s.ReadAll(context.Background(), after, page)
		if err != nil {
			t.Fatalf("ReadAll(%d, %d): %v", after, page, err)
		}
		if len(evs) == 0 {
			return all
		}
		if page > 0 && len(evs) > page {
			t.Fatalf("ReadAll(%d, %d) returned %d events", after, page, len(evs))
		}
		all = append(all, evs...)
		after = evs[len(evs)-1].Position
	}
}

// checkEvent compares a recorded event with the event appended.
func checkEvent(t testing.TB, got eventstore.RecordedEvent, want eventstore.EventData, stream string, rev uint64) {
	t.Helper()
	if got.ID != want.ID || got.Stream != stream || got.Revision != rev || got.Type != want.Type ||
		string(got.Data) != string(want.Data) || string(got.Metadata) != string(want.Metadata) {
		t.Fatalf("recorded event = {stream %q rev %d id %s type %q data %.60q meta %.60q}, want {stream %q rev %d id %s type %q data %.60q meta %.60q}",
			got.Stream, got.Revision, got.ID, got.Type, got.Data, got.Metadata,
			stream, rev, want.ID, want.Type, want.Data, want.Metadata)
	}
}

// checkIncreasing fails unless positions strictly increase.
func checkIncreasing(t testing.TB, evs []eventstore.RecordedEvent) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		if evs[i].Position <= evs[i-1].Position {
			t.Fatalf("position %d at index %d follows %d: not strictly increasing", evs[i].Position, i, evs[i-1].Position)
		}
	}
}

// collector gathers the events a subscription delivers.
type collector struct {
	mu     sync.Mutex
	evs    []eventstore.RecordedEvent
	signal chan struct{} // receives after every delivery
}

func newCollector() *collector { return &collector{signal: make(chan struct{}, 1)} }

func (c *collector) handle(_ context.Context, e eventstore.RecordedEvent) error {
	c.mu.Lock()
	c.evs = append(c.evs, e)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) events() []eventstore.RecordedEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), c.evs...)
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.evs)
}

// waitFor waits until at least n events arrived and returns them all.
func (c *collector) waitFor(t testing.TB, n int) []eventstore.RecordedEvent {
	t.Helper()
	deadline := time.NewTimer(hang)
	defer deadline.Stop()
	for {
		if c.count() >= n {
			return c.events()
		}
		select {
		case <-c.signal:
		case <-deadline.C:
			t.Fatalf("subscription delivered %d events, want %d (gave up after %v)", c.count(), n, hang)
		}
	}
}

// subscription is a SubscribeAll running in its own goroutine.
type subscription struct {
	cancel context.CancelFunc
	done   chan error
}

func subscribe(t testing.TB, s eventstore.Store, opts eventstore.SubscribeOptions, h eventstore.Handler) *subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sub := &subscription{cancel: cancel, done: make(chan error, 1)}
	go func() { sub.done <- s.SubscribeAll(ctx, opts, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-sub.done:
		case <-time.After(hang):
		}
	})
	return sub
}

// wait returns what SubscribeAll returned, failing if it does not return.
func (sub *subscription) wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-sub.done:
		sub.done <- err // keep it for the cleanup
		return err
	case <-time.After(hang):
		t.Fatalf("SubscribeAll did not return within %v", hang)
		return nil
	}
}

// stop cancels the subscription's context: SubscribeAll must return nil.
func (sub *subscription) stop(t testing.TB) {
	t.Helper()
	sub.cancel()
	if err := sub.wait(t); err != nil {
		t.Fatalf("SubscribeAll after cancel = %v, want nil", err)
	}
}

func asConflict(t testing.TB, err error) *eventstore.ConflictError {
	t.Helper()
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("error %v: errors.Is(err, ErrConflict) = false", err)
	}
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *ConflictError", err, err)
	}
	return ce
}
