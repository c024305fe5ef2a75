package ledger_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// BenchmarkExecuteParallel measures durable commands through the ledger
// and the embedded store: 64 goroutines, each on its own engagements, as
// the API runs them.
func BenchmarkExecuteParallel(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l := ledger.New(s, ledger.Options{})
	const engagements = 1000
	ids := make([]string, engagements)
	for i := range ids {
		ids[i] = fmt.Sprintf("0190c0de-0000-7000-8000-%012d", i)
		req := openReq()
		id := ids[i]
		req.EngagementID = id
		req.Command = func(*domain.Engagement) (domain.Command, error) {
			return domain.OpenEngagement{
				EngagementID: id, Title: "Bench", ClientName: "C", SupplierName: "S",
				Opener: domain.NewStakeholder{StakeholderID: opener, Party: domain.PartySupplier, Name: "Sam", PrincipalID: principal},
			}, nil
		}
		if _, err := l.Execute(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(32) // 64 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := raise(fmt.Sprintf("x-%d", i))
			req.EngagementID = ids[int(i)%engagements]
			if _, err := l.Execute(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
}
