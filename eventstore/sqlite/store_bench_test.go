package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
)

// The benchmarks only run with -bench. Commands and results are in the
// package's report; the targets (2-core machine) are:
//
//	BenchmarkAppend/group        >= 30,000 events/s, >= 6x nogroup
//	BenchmarkAppend/group-1M     at most 20% slower than group
//	BenchmarkReadAll             >= 500,000 events/s
//	BenchmarkSubscribeLatency    p50 <= 5 ms

// benchPayload is a ~300-byte JSON document, the size of a typical event.
var benchPayload = func() []byte {
	b := []byte(`{"engagement":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","requirement":"req-42","text":"`)
	for len(b) < 290 {
		b = append(b, "the client asked for a weekly status "...)
	}
	return append(b[:290], `"}`...)
}()

func benchEvent() eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "requirement.clarified", Data: benchPayload}
}

// fixture is a store file holding one million events, built once per
// process and removed by TestMain.
var fixture struct {
	once sync.Once
	dir  string
	path string
	err  error
}

const fixtureEvents = 1_000_000

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// millionEvents returns the path of the fixture file, building it with big
// appends (1,000 events each, across 1,000 streams) the first time.
func millionEvents(b *testing.B) string {
	b.Helper()
	fixture.once.Do(func() {
		start := time.Now()
		fixture.dir, fixture.err = os.MkdirTemp("", "eventstore-bench-")
		if fixture.err != nil {
			return
		}
		fixture.path = filepath.Join(fixture.dir, "million.db")
		s, err := Open(context.Background(), fixture.path)
		if err != nil {
			fixture.err = err
			return
		}
		defer s.Close()
		const batch = 1000
		evs := make([]eventstore.EventData, batch)
		for i := 0; i < fixtureEvents/batch; i++ {
			for j := range evs {
				evs[j] = benchEvent()
			}
			if _, err := s.Append(context.Background(), fmt.Sprintf("fixture-%03d", i%1000), eventstore.Any(), evs...); err != nil {
				fixture.err = err
				return
			}
		}
		b.Logf("built a %d-event fixture in %v", fixtureEvents, time.Since(start).Round(time.Millisecond))
	})
	if fixture.err != nil {
		b.Fatalf("fixture: %v", fixture.err)
	}
	return fixture.path
}

// BenchmarkAppend measures durable appends of one event by 64 concurrent
// writers, each on its own stream with an exact expected revision.
func BenchmarkAppend(b *testing.B) {
	const writers = 64
	tests := []struct {
		name    string
		group   bool
		million bool
	}{
		{"group", true, false},
		{"nogroup", false, false},
		{"group-1M", true, true},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "events.db")
			if tc.million {
				path = millionEvents(b)
			}
			s, err := Open(context.Background(), path, WithGroupCommit(tc.group))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			run := uuid.NewString()[:8] // fresh streams for every invocation
			var left atomic.Int64
			left.Store(int64(b.N))
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range writers {
				wg.Go(func() {
					stream := fmt.Sprintf("bench-%s-%02d", run, w)
					expected := eventstore.NoStream()
					for left.Add(-1) >= 0 {
						res, err := s.Append(context.Background(), stream, expected, benchEvent())
						if err != nil {
							errs <- err
							return
						}
						expected = eventstore.Exact(res.NextRevision)
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkReadAll reads the million-event fixture in position order, in
// pages of 1,000, starting over at the end.
func BenchmarkReadAll(b *testing.B) {
	s, err := Open(context.Background(), millionEvents(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	after := eventstore.Start
	for n := 0; n < b.N; {
		evs, err := s.ReadAll(context.Background(), after, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			after = eventstore.Start
			continue
		}
		n += len(evs)
		after = evs[len(evs)-1].Position
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSubscribeLatency appends one event at a time with a live
// subscriber and measures when the subscriber sees it: from the return of
// Append (the commit is acknowledged) and, more conservatively, from the
// call to Append (including the commit's fsync).
func BenchmarkSubscribeLatency(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	seen := make(chan time.Time, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.SubscribeAll(ctx, eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error {
			seen <- time.Now()
			return nil
		})
	}()
	fromCommit := make([]time.Duration, 0, b.N)
	fromCall := make([]time.Duration, 0, b.N)
	expected := eventstore.NoStream()
	b.ResetTimer()
	for range b.N {
		called := time.Now()
		res, err := s.Append(context.Background(), "latency", expected, benchEvent())
		committed := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		expected = eventstore.Exact(res.NextRevision)
		at := <-seen
		fromCommit = append(fromCommit, max(at.Sub(committed), 0))
		fromCall = append(fromCall, at.Sub(called))
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	ms := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(q*float64(len(ds)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(fromCommit, 0.50), "p50-ms")
	b.ReportMetric(ms(fromCommit, 0.99), "p99-ms")
	b.ReportMetric(ms(fromCall, 0.50), "p50-from-call-ms")
	b.ReportMetric(ms(fromCall, 0.99), "p99-from-call-ms")
}
