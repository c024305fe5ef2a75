package sqlite

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor-ledger/candor/eventstore"
)

// TestLiveEventsAreAsRead: what live subscriptions take from the events
// last committed (rather than read back) is exactly what a read reports,
// through a group commit with failed requests rolled back, retries and
// filters.
func TestLiveEventsAreAsRead(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s, _ := openTemp(t)
	var mu sync.Mutex
	var all, kept []eventstore.RecordedEvent
	var wg sync.WaitGroup
	for _, f := range []eventstore.Filter{{}, {StreamPrefixes: []string{"keep-"}}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.SubscribeAll(ctx, eventstore.SubscribeOptions{Filter: f}, func(_ context.Context, e eventstore.RecordedEvent) error {
				mu.Lock()
				defer mu.Unlock()
				if len(f.StreamPrefixes) == 0 {
					all = append(all, e)
				} else {
					kept = append(kept, e)
				}
				return nil
			})
		}()
	}
	dupe := newEvent(t, "live.dupe")
	if _, err := s.Append(ctx, "keep-taken", eventstore.NoStream(), dupe); err != nil {
		t.Fatal(err)
	}
	inOneBatch(t, s, []*appendReq{
		{stream: "keep-a", expected: eventstore.NoStream(), events: []eventstore.EventData{newEvent(t, "live.ok"), newEvent(t, "live.ok")}},
		{stream: "keep-taken", expected: eventstore.NoStream(), events: []eventstore.EventData{newEvent(t, "live.conflict")}},
		{stream: "drop-b", expected: eventstore.Any(), events: []eventstore.EventData{newEvent(t, "live.new"), dupe}}, // rolled back
		{stream: "drop-c", expected: eventstore.Any(), events: []eventstore.EventData{newEvent(t, "live.other")}},
	})
	retry := newEvent(t, "live.retried")
	for range 2 {
		if _, err := s.Append(ctx, "keep-a", eventstore.Any(), retry); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		stream := "drop-many"
		if i%3 == 0 {
			stream = "keep-many"
		}
		if _, err := s.Append(ctx, stream, eventstore.Any(), newEvent(t, "live.many"), newEvent(t, "live.many")); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wantKept []eventstore.RecordedEvent
	for _, e := range want {
		if strings.HasPrefix(e.Stream, "keep-") {
			wantKept = append(wantKept, e)
		}
	}
	deadline := time.Now().Add(30 * time.Second) // bounds a hang only
	for {
		mu.Lock()
		done := len(all) >= len(want) && len(kept) >= len(wantKept)
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if !reflect.DeepEqual(all, want) {
		t.Errorf("live subscription got %d events, a read %d; first difference:\n%s", len(all), len(want), firstDiff(all, want))
	}
	if !reflect.DeepEqual(kept, wantKept) {
		t.Errorf("filtered subscription got %d events, a read %d; first difference:\n%s", len(kept), len(wantKept), firstDiff(kept, wantKept))
	}
	if s.recentPages.Load() == 0 {
		t.Error("no page was taken from the events last committed: the test did not test them")
	}
}

func firstDiff(a, b []eventstore.RecordedEvent) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return "got  " + describe(a[i]) + "\nwant " + describe(b[i])
		}
	}
	return "one is a prefix of the other"
}

func describe(e eventstore.RecordedEvent) string {
	return e.Stream + " " + e.Type + " " + e.RecordedAt.String() + " data=" + string(e.Data) + " meta=" + string(e.Metadata)
}
