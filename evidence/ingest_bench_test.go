package evidence_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
)

// manyStreams: events spread over 1,000 streams, as a busy server's are.
type manyStreams struct {
	eventstore.Store
	n int
}

func (s *manyStreams) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	lo, hi := min(int(after), s.n), min(int(after)+limit, s.n)
	out := make([]eventstore.RecordedEvent, 0, hi-lo)
	for i := lo; i < hi; i++ {
		e := eventstore.RecordedEvent{
			Stream: "engagement-0193a1b2-0000-7000-8000-" + strconv.Itoa(100000000000+i%1000), Revision: uint64(i / 1000), Position: eventstore.Position(i + 1), Type: "expert.invited",
			RecordedAt: synthBase.Add(time.Duration(i) * time.Millisecond),
			Data:       []byte(`{"expert_id":"x` + strconv.Itoa(i) + `","name":"An expert","expertise":"Checkout in three steps"}`),
			Metadata:   []byte(`{"actor":"sh-1","schema_version":1}`),
		}
		binary.BigEndian.PutUint64(e.ID[:8], uint64(i+1)<<16)
		out = append(out, e)
	}
	return out, nil
}

// BenchmarkIngestManyStreams: leaves ingested and committed when the
// events come from 1,000 streams (the load tool's engagements), 200k of them.
func BenchmarkIngestManyStreams(b *testing.B) {
	const n = 200_000
	dir := b.TempDir()
	key, _, err := evidence.LoadKey(filepath.Join(dir, evidence.KeyFile), true)
	if err != nil {
		b.Fatal(err)
	}
	l, err := evidence.Open(context.Background(), filepath.Join(dir, evidence.DBFile), &manyStreams{n: n}, key, evidence.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ResetTimer()
	start := time.Now()
	if err := l.CatchUp(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/n/1000, "µs/leaf")
}
