package projections

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore/sqlite"
)

// TestWALStaysBoundedUnderLiveWritesAndReads: with reads going on all the
// time, the read models' WAL must still start over now and then instead of
// growing with every event applied live.
func TestWALStaysBoundedUnderLiveWritesAndReads(t *testing.T) {
	if testing.Short() {
		t.Skip("applies hundreds of live commits")
	}
	// Restored by the first cleanup registered, so the last to run: after
	// the engine's checkpointer has stopped reading them.
	every, most := checkpointEvery, maxWALBytes
	t.Cleanup(func() { checkpointEvery, maxWALBytes = every, most })
	checkpointEvery, maxWALBytes = 64<<10, 512<<10

	st, err := sqlite.Open(context.Background(), t.TempDir()+"/events.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := newScenario(t, st)
	e, path := openEngine(t, st, Options{})
	running(t, e)
	const eng = "wal-bound"
	s.do(eng, domain.OpenEngagement{ActorID: alice, EngagementID: eng, Title: "WAL", ClientName: "C", SupplierName: "S",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
	waitFor(t, e, s.last)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 { // readers that always hold some snapshot of the WAL
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.Engagement(context.Background(), eng); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var largest int64
	for i := range 400 {
		s.do(eng, domain.InviteExpert{ActorID: alice, ExpertID: fmt.Sprintf("exp-%d", i), Name: "Expert", Expertise: "WAL"})
		waitFor(t, e, s.last) // one live commit per event
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	close(stop)
	wg.Wait()
	if bound := 4 * maxWALBytes; largest > bound {
		t.Fatalf("the WAL reached %d bytes over 400 live commits, bound %d", largest, bound)
	}
	t.Logf("largest WAL: %d KiB", largest>>10)
}
