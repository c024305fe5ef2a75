package evidence_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/verifier"
)

// synthStore is a read-only store of n made-up events, all of one stream,
// made as they are read: the benchmarks measure the log, not a store.
// With chain, every event is linked to the previous one as an
// engagement's are (and they are kept, for ReadStream).
type synthStore struct {
	eventstore.Store // only the methods below are used
	n                int
	events           []eventstore.RecordedEvent // with chain
}

var synthBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func synthEvent(i int, meta []byte) eventstore.RecordedEvent {
	e := eventstore.RecordedEvent{
		Stream: "engagement-bench", Revision: uint64(i), Position: eventstore.Position(i + 1), Type: "expert.invited",
		RecordedAt: synthBase.Add(time.Duration(i) * time.Millisecond),
		Data:       []byte(`{"expert_id":"x` + strconv.Itoa(i) + `","name":"An expert","expertise":"Checkout in three steps"}`),
		Metadata:   meta,
	}
	binary.BigEndian.PutUint64(e.ID[8:], uint64(i+1))
	return e
}

func newSynthStore(n int, chain bool) *synthStore {
	s := &synthStore{n: n}
	if !chain {
		return s
	}
	prev := ""
	for i := range n {
		meta, _ := json.Marshal(map[string]any{"actor": "sh-1", "schema_version": 1, "prev_hash": prev})
		e := synthEvent(i, meta)
		prev = verifier.EventHashHex(&verifier.Event{Stream: e.Stream, Revision: e.Revision, ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata})
		s.events = append(s.events, e)
	}
	return s
}

func (s *synthStore) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	lo, hi := min(int(after), s.n), min(int(after)+limit, s.n)
	if s.events != nil {
		return s.events[lo:hi], nil
	}
	out := make([]eventstore.RecordedEvent, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, synthEvent(i, []byte(`{"actor":"sh-1","schema_version":1}`)))
	}
	return out, nil
}

func (s *synthStore) ReadStream(_ context.Context, _ string, o eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	lo := min(int(o.From), s.n)
	hi := s.n
	if o.Limit > 0 {
		hi = min(lo+o.Limit, s.n)
	}
	return s.events[lo:hi], nil
}

func (s *synthStore) Head(context.Context) (eventstore.Position, error) {
	return eventstore.Position(s.n), nil
}

func openSynth(b *testing.B, n int, chain bool) (*evidence.Log, time.Duration) {
	b.Helper()
	dir := b.TempDir()
	key, _, err := evidence.LoadKey(filepath.Join(dir, evidence.KeyFile), true)
	if err != nil {
		b.Fatal(err)
	}
	l, err := evidence.Open(context.Background(), filepath.Join(dir, evidence.DBFile), newSynthStore(n, chain), key, evidence.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	start := time.Now()
	if err := l.CatchUp(context.Background()); err != nil {
		b.Fatal(err)
	}
	return l, time.Since(start)
}

// BenchmarkLog1M builds a log of 1M leaves (reporting the time per leaf
// ingested and committed), then measures inclusion proofs of random leaves
// and consistency proofs, and their sizes. Run it alone:
// go test -run XXX -bench Log1M -benchtime 2000x ./evidence
func BenchmarkLog1M(b *testing.B) {
	const n = 1_000_000
	if testing.Short() {
		b.Skip("builds a log of 1M leaves")
	}
	l, took := openSynth(b, n, false)
	b.Logf("ingested %d leaves in %v (%.1f µs per leaf)", n, took, float64(took.Microseconds())/n)
	ctx := context.Background()
	sg, err := l.Latest(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("inclusion", func(b *testing.B) {
		var size int
		for i := 0; b.Loop(); i++ {
			pos := eventstore.Position(1 + (i*7919)%n)
			leaf, _, err := l.Inclusion(ctx, pos, [16]byte{})
			if err != nil {
				b.Fatal(err)
			}
			size = len(leaf.Proof)
		}
		b.ReportMetric(float64(size), "hashes/proof")
		b.ReportMetric(float64(size*32), "bytes/proof")
	})
	b.Run("consistency", func(b *testing.B) {
		var size int
		for i := 0; b.Loop(); i++ {
			proof, _, _, _, err := l.Consistency(ctx, int64(1+(i*7919)%(n-1)), sg.Checkpoint.Size)
			if err != nil {
				b.Fatal(err)
			}
			size = len(proof)
		}
		b.ReportMetric(float64(size), "hashes/proof")
	})
}

// BenchmarkExportVerify10k exports an engagement of 10,000 events and
// verifies the bundle offline, as an auditor would.
func BenchmarkExportVerify10k(b *testing.B) {
	const n = 10_000
	l, _ := openSynth(b, n, true)
	ctx := context.Background()
	var bundle *verifier.Bundle
	b.Run("export", func(b *testing.B) {
		for b.Loop() {
			var err error
			if bundle, err = l.Export(ctx, "engagement-bench"); err != nil {
				b.Fatal(err)
			}
		}
		raw, _ := json.Marshal(bundle)
		b.ReportMetric(float64(len(raw)), "bundle-bytes")
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			rep, err := verifier.Verify(bundle, nil)
			if err != nil || !rep.OK() || rep.Events != n {
				b.Fatalf("%+v %v", rep.Problems[:min(3, len(rep.Problems))], err)
			}
		}
	})
}

// BenchmarkReceipt is the log's cost per write on the receipt path: one
// leaf ingested, then its receipt (a signature shared by the writes
// waiting, here one per write: the worst case).
func BenchmarkReceipt(b *testing.B) {
	l, _ := openSynth(b, 1000, false)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Receipt(ctx, []eventstore.Position{eventstore.Position(1 + i%1000)}); err != nil {
			b.Fatal(err)
		}
	}
}
