package esdb_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/candor-ledger/candor/eventstore"
)

// Benchmarks over the stand-in: they measure the adapter, the client and
// gRPC on loopback, not EventStoreDB's storage.

func BenchmarkAppendOne(b *testing.B) {
	s, _ := openStandinB(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("b-%d", i%100), eventstore.Any(), event("b.x")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBatch500(b *testing.B) {
	s, _ := openStandinB(b)
	ctx := context.Background()
	batch := make([]eventstore.EventData, 500)
	for i := 0; b.Loop(); i++ {
		for j := range batch {
			batch[j] = event("b.x")
		}
		if _, err := s.Append(ctx, fmt.Sprintf("b-%d", i%20), eventstore.Any(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}

// fill appends n events in batches of 500.
func fill(b *testing.B, s eventstore.Store, n int) {
	b.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 500 {
		batch := make([]eventstore.EventData, min(500, n-i))
		for j := range batch {
			batch[j] = event("f.x")
		}
		if _, err := s.Append(ctx, fmt.Sprintf("f-%d", i%20), eventstore.Any(), batch...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadAll1000(b *testing.B) {
	s, _ := openStandinB(b)
	fill(b, s, 10_000)
	ctx := context.Background()
	for b.Loop() {
		evs, err := s.ReadAll(ctx, eventstore.Start, 1000)
		if err != nil || len(evs) != 1000 {
			b.Fatalf("ReadAll = %d events, %v", len(evs), err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSubscribeCatchUp measures delivery of 10k stored events to a
// handler that only counts them.
func BenchmarkSubscribeCatchUp(b *testing.B) {
	const n = 10_000
	s, _ := openStandinB(b)
	fill(b, s, n)
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		var count atomic.Int64
		err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{}, func(context.Context, eventstore.RecordedEvent) error {
			if count.Add(1) == n {
				cancel()
			}
			return nil
		})
		cancel()
		if err != nil || count.Load() != n {
			b.Fatalf("SubscribeAll = %v after %d events", err, count.Load())
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
