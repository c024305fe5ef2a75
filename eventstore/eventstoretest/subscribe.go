package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/candor-ledger/candor/eventstore"
)

// testSubscribeCatchUpThenLive starts a subscription on a store holding
// events while writers keep appending, then appends one event at a time:
// the subscription delivers exactly what ReadAll holds, in order.
func testSubscribeCatchUpThenLive(t *testing.T, s eventstore.Store) {
	const before, writers, each = 1500, 4, 50
	for i := range before / 50 {
		mustAppend(t, s, fmt.Sprintf("pre-%d", i%5), eventstore.Any(), events(50, "pre.stored")...)
	}
	c := newCollector()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			<-start
			for range each {
				if _, err := s.Append(context.Background(), fmt.Sprintf("during-%d", w), eventstore.Any(), event("during.catchup", `{}`)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start) // the writers and the subscription start together
	sub := subscribe(t, s, eventstore.SubscribeOptions{}, c.handle)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	n := before + writers*each
	c.waitFor(t, n)
	for i := range 3 { // live, one commit at a time
		mustAppend(t, s, "after", eventstore.Any(), event("after.live", `{}`))
		c.waitFor(t, n+i+1)
	}
	sub.stop(t)

	got, want := c.events(), readAll(t, s, 0)
	if len(got) != len(want) {
		t.Fatalf("subscription delivered %d events, the store holds %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			t.Fatalf("delivery %d is %s at %d, want %s at %d (gap, duplicate or reorder)", i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
		}
	}
}

func testSubscribeFilters(t *testing.T, s eventstore.Store) {
	base := []struct{ stream, typ string }{
		{"order-1", "order.placed"},      // 0
		{"invoice-1", "invoice.sent"},    // 1
		{"order-2", "order.shipped"},     // 2
		{"ordinary", "misc.noted"},       // 3
		{"invoice-2", "order.placed"},    // 4
		{"order", "misc.noted"},          // 5
		{"Order-3", "order.placedAgain"}, // 6
	}
	var stored []eventstore.EventData
	for _, b := range base {
		e := event(b.typ, `{}`)
		stored = append(stored, e)
		mustAppend(t, s, b.stream, eventstore.Any(), e)
	}
	tests := []struct {
		name   string
		filter eventstore.Filter
		want   []int // indexes into base, delivered while catching up
	}{
		{"none", eventstore.Filter{}, []int{0, 1, 2, 3, 4, 5, 6}},
		{"stream prefix", eventstore.Filter{StreamPrefixes: []string{"order-"}}, []int{0, 2}},
		{"stream prefixes", eventstore.Filter{StreamPrefixes: []string{"order-", "invoice-"}}, []int{0, 1, 2, 4}},
		{"type prefix", eventstore.Filter{TypePrefixes: []string{"order."}}, []int{0, 2, 4, 6}},
		{"type prefixes", eventstore.Filter{TypePrefixes: []string{"order.placed", "misc."}}, []int{0, 3, 4, 5, 6}},
	}
	subs := make([]*subscription, len(tests))
	cols := make([]*collector, len(tests))
	for i, tc := range tests {
		cols[i] = newCollector()
		subs[i] = subscribe(t, s, eventstore.SubscribeOptions{Filter: tc.filter}, cols[i].handle)
		cols[i].waitFor(t, len(tc.want))
	}
	// Live: an event no filter keeps, then one every filter keeps. Once the
	// second arrives, the first had its chance to be wrongly delivered.
	miss, hit := event("zzz.happened", `{}`), event("order.placed", `{}`)
	mustAppend(t, s, "zzz-1", eventstore.Any(), miss)
	mustAppend(t, s, "order-9", eventstore.Any(), hit)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []eventstore.EventData
			for _, j := range tc.want {
				want = append(want, stored[j])
			}
			if tc.name == "none" {
				want = append(want, miss)
			}
			want = append(want, hit)
			cols[i].waitFor(t, len(want))
			subs[i].stop(t)
			got := cols[i].events()
			if len(got) != len(want) {
				t.Fatalf("delivered %d events, want %d", len(got), len(want))
			}
			for k := range want {
				if got[k].ID != want[k].ID {
					t.Fatalf("delivery %d is %s (%s, %s), want %s", k, got[k].ID, got[k].Stream, got[k].Type, want[k].ID)
				}
			}
			checkIncreasing(t, got)
		})
	}
}

func testSubscribeAfter(t *testing.T, s eventstore.Store) {
	for i := range 10 {
		mustAppend(t, s, fmt.Sprintf("after-%d", i%2), eventstore.Any(), event("after.stored", `{}`))
	}
	all := readAll(t, s, 0)
	c := newCollector()
	sub := subscribe(t, s, eventstore.SubscribeOptions{After: all[3].Position}, c.handle)
	c.waitFor(t, 6)
	late := event("after.late", `{}`)
	mustAppend(t, s, "after-0", eventstore.Any(), late)
	c.waitFor(t, 7)
	sub.stop(t)
	got := c.events()
	if len(got) != 7 {
		t.Fatalf("delivered %d events, want 7", len(got))
	}
	for i, e := range all[4:] {
		if got[i].ID != e.ID {
			t.Fatalf("delivery %d is %s, want %s", i, got[i].ID, e.ID)
		}
	}
	if got[6].ID != late.ID {
		t.Fatalf("last delivery is %s, want the late event %s", got[6].ID, late.ID)
	}

	// After the head: only what comes next.
	c = newCollector()
	sub = subscribe(t, s, eventstore.SubscribeOptions{After: mustHead(t, s)}, c.handle)
	next := event("after.next", `{}`)
	mustAppend(t, s, "after-1", eventstore.Any(), next)
	c.waitFor(t, 1)
	sub.stop(t)
	if got := c.events(); len(got) != 1 || got[0].ID != next.ID {
		t.Fatalf("subscription after the head delivered %d events, want only the next one", len(got))
	}
}

func testSubscribeBothPrefixes(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "both", eventstore.NoStream(), event("both.set", `{}`))
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{
		StreamPrefixes: []string{"both"}, TypePrefixes: []string{"both."},
	}}, func(context.Context, eventstore.RecordedEvent) error { return nil })
	if err := sub.wait(t); err == nil {
		t.Fatal("SubscribeAll with both stream and type prefixes returned nil, want an error")
	}
}

func testSubscribeCancel(t *testing.T, s eventstore.Store) {
	t.Run("while live", func(t *testing.T) {
		mustAppend(t, s, "cancel-live", eventstore.Any(), event("cancel.waited", `{}`))
		c := newCollector()
		sub := subscribe(t, s, eventstore.SubscribeOptions{}, c.handle)
		c.waitFor(t, 1) // caught up: now waiting for commits
		sub.stop(t)
	})
	t.Run("while catching up", func(t *testing.T) {
		mustAppend(t, s, "cancel-catchup", eventstore.Any(), events(300, "cancel.caught")...)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		done := make(chan error, 1)
		go func() {
			done <- s.SubscribeAll(ctx, eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error {
				if calls++; calls == 10 {
					cancel()
				}
				return nil
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("SubscribeAll cancelled while catching up = %v, want nil", err)
			}
		case <-time.After(hang):
			t.Fatalf("SubscribeAll did not return within %v of its context's cancel", hang)
		}
	})
}

func testSubscribeHandlerError(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "failing", eventstore.NoStream(), events(5, "failing.handled")...)
	errStop := errors.New("handler gave up")
	calls := 0
	done := make(chan error, 1)
	go func() {
		done <- s.SubscribeAll(context.Background(), eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error {
			if calls++; calls == 3 {
				return errStop
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errStop) {
			t.Fatalf("SubscribeAll = %v, want the handler's error", err)
		}
		if calls != 3 {
			t.Fatalf("handler called %d times, want 3: the subscription must end at its error", calls)
		}
	case <-time.After(hang):
		t.Fatalf("SubscribeAll did not end within %v of its handler's error", hang)
	}
}
