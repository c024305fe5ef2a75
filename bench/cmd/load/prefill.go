package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// eventsPerEngagement is the size of a prefilled engagement: the store
// grows in number of engagements, as a real one does, rather than growing
// the 1,000 engagements the load then writes to.
const eventsPerEngagement = 50

// prefill writes at least n events into the embedded store of dataDir
// (<data>/events.db, the file candor serve opens) through the ledger, so
// that they are real, hash-chained engagement events: engagements opened
// by a supplier-side stakeholder, each followed by invited experts. It
// runs before the server starts, in this process.
func prefill(ctx context.Context, dataDir string, n int, workers int) (written int64, err error) {
	if n <= 0 {
		return 0, nil
	}
	store, err := sqlite.Open(ctx, filepath.Join(dataDir, "events.db"))
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := store.Close(); err == nil {
			err = cerr
		}
	}()
	l := ledger.New(store, ledger.Options{CacheSize: 2 * workers})
	var total atomic.Int64
	engagements := (n + eventsPerEngagement - 1) / eventsPerEngagement
	start := time.Now()
	lastLog := atomic.Int64{}
	err = parallel(ctx, workers, engagements, func(i int) error {
		engID := uuid.Must(uuid.NewV7()).String()
		opener := uuid.Must(uuid.NewV7()).String()
		res, err := l.Execute(ctx, ledger.Request{
			EngagementID: engID, Create: true, PrincipalID: "prefill", CorrelationID: engID,
			Command: func(*domain.Engagement) (domain.Command, error) {
				return domain.OpenEngagement{
					EngagementID: engID, Title: fmt.Sprintf("Prefilled engagement %d", i),
					ClientName: "Client Co", SupplierName: "Supplier Co",
					Opener: domain.NewStakeholder{StakeholderID: opener, Party: domain.PartySupplier, Name: "Prefill Opener"},
				}, nil
			},
		})
		if err != nil {
			return fmt.Errorf("open engagement: %w", err)
		}
		count := len(res.Events)
		for j := 0; count < eventsPerEngagement; j++ {
			res, err := l.Execute(ctx, ledger.Request{
				EngagementID: engID, PrincipalID: "prefill",
				Command: func(*domain.Engagement) (domain.Command, error) {
					return domain.InviteExpert{ActorID: opener, ExpertID: uuid.Must(uuid.NewV7()).String(),
						Name: fmt.Sprintf("Expert %d", j), Expertise: "prefill"}, nil
				},
			})
			if err != nil {
				return fmt.Errorf("invite expert: %w", err)
			}
			count += len(res.Events)
		}
		t := total.Add(int64(count))
		if now := time.Now().Unix(); now-lastLog.Load() >= 10 && lastLog.Swap(now) != now {
			logf("prefill: %d events (%.0f/s)", t, float64(t)/time.Since(start).Seconds())
		}
		return nil
	})
	written = total.Load()
	logf("prefilled %d events in %d engagements in %s (%.0f events/s)", written, engagements,
		time.Since(start).Round(time.Millisecond), float64(written)/time.Since(start).Seconds())
	return written, err
}
