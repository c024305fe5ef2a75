package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
)

// replayStore, when replay is set, subscribes from the start of the store
// whatever position it is asked for: it delivers again, in order, events
// the projections have applied (at-least-once delivery).
type replayStore struct {
	*fakeStore
	replay atomic.Bool
}

func (s *replayStore) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions, h eventstore.Handler) error {
	if s.replay.Load() {
		opts.After = eventstore.Start
	}
	return s.fakeStore.SubscribeAll(ctx, opts, h)
}

func TestReplayingTheSameEventsChangesNothing(t *testing.T) {
	for _, opts := range []Options{{}, {BatchSize: 5}} {
		st := &replayStore{fakeStore: newFakeStore()}
		s := newScenario(t, st.fakeStore)
		s.mainScenario(eng1)
		e, _ := openEngine(t, st, opts)
		stop := runEngine(e)
		waitFor(t, e, s.last)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		// Deliver everything again, then a new event: every event before
		// it is at or below the checkpoints, so only the new one may
		// change the read models.
		st.replay.Store(true)
		running(t, e)
		res := s.at(53).do(eng1, domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"})
		waitFor(t, e, res.Position)

		ref, _ := openEngine(t, st.fakeStore, Options{})
		running(t, ref)
		waitFor(t, ref, res.Position)
		if a, b := dump(t, e), dump(t, ref); a != b {
			t.Errorf("%+v: replay changed the read models:\n%s", opts, firstDiff(b, a))
		}
	}
}

func TestRestartResumesFromCheckpoint(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, path := openEngine(t, st, Options{})
	stop := runEngine(e)
	waitFor(t, e, s.last)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.Close()

	s.at(53).do(eng1, domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"})
	e2, err := Open(context.Background(), path, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if got := e2.Position(); got != s.last-1 {
		t.Errorf("reopened at %d, want %d", got, s.last-1)
	}
	running(t, e2)
	waitFor(t, e2, s.last)

	ref, _ := openEngine(t, st, Options{})
	running(t, ref)
	waitFor(t, ref, s.last)
	if a, b := dump(t, e2), dump(t, ref); a != b {
		t.Errorf("resumed engine differs from a fresh one:\n%s", firstDiff(b, a))
	}
}

func TestCrashMidBatchAppliesNothing(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	// First half applied and committed.
	half := s.last / 2
	rest := st.cut(half)
	e, _ := openEngine(t, st, Options{})
	stop := runEngine(e)
	waitFor(t, e, half)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	before, cps := dump(t, e), checkpoints(e)

	// The second batch fails in the middle, after some projections have
	// already applied (and cached) their part of it.
	st.put(rest...)
	boom := errors.New("disk on fire")
	failAt := half + (s.last-half)/2
	e.failpoint = func(name string, pos eventstore.Position) error {
		if name == NameTransparency && pos == failAt {
			return boom
		}
		return nil
	}
	if err := e.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the failure", err)
	}
	if after := dump(t, e); after != before {
		t.Errorf("a failed batch left changes:\n%s", firstDiff(before, after))
	}
	for n, cp := range checkpoints(e) {
		if cp != cps[n] {
			t.Errorf("%s checkpoint moved to %d, want %d", n, cp, cps[n])
		}
	}
	if e.Position() != half {
		t.Errorf("position = %d, want %d", e.Position(), half)
	}

	// Restarting (Run resumes from the checkpoints) ends where a clean run does.
	e.failpoint = nil
	running(t, e)
	waitFor(t, e, s.last)
	ref, _ := openEngine(t, st, Options{})
	running(t, ref)
	waitFor(t, ref, s.last)
	if a, b := dump(t, e), dump(t, ref); a != b {
		t.Errorf("recovered engine differs from a clean one:\n%s", firstDiff(b, a))
	}
}

func TestRunStopsOnFailureAndDoesNotSkip(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, _ := openEngine(t, st, Options{})
	boom := errors.New("boom")
	e.failpoint = func(name string, pos eventstore.Position) error {
		if pos == 10 {
			return boom
		}
		return nil
	}
	if err := e.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	if e.Position() >= 10 {
		t.Errorf("position %d: the failed event was acknowledged", e.Position())
	}
}

func TestWaitFor(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, _ := openEngine(t, st, Options{})

	// Not running: a position not applied yet times out with ctx's error.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.WaitFor(ctx, s.last); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor = %v, want deadline exceeded", err)
	}
	running(t, e)
	waitFor(t, e, s.last)

	// Read-your-writes: after WaitFor on the append's position, the read
	// model shows the write.
	res := s.at(53).do(eng1, domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"})
	waitFor(t, e, res.Position)
	sum, err := e.Engagement(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts.DeliveriesAwaiting != 0 || sum.Position != res.Position {
		t.Errorf("after WaitFor: %+v", sum)
	}
	if err := e.WaitFor(context.Background(), 0); err != nil {
		t.Errorf("WaitFor(0) = %v", err)
	}
}

func TestRebuildWhileServing(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, _ := openEngine(t, st, Options{BatchSize: 8}) // many small batches: the rebuild interleaves with live ones
	running(t, e)
	waitFor(t, e, s.last)
	genBefore := e.live[NameTimeline].gen

	// Writers and readers keep going while the timeline is rebuilt.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writeErr, readErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil && i < 40; i++ {
			id := fmt.Sprintf("extra-%02d", i)
			if _, err := s.led.Execute(ctx, ledgerOpen(id)); err != nil {
				writeErr = err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := e.Timeline(ctx, eng1, Page{Limit: 100}); err != nil && ctx.Err() == nil {
				readErr = err
				return
			}
		}
	}()
	var calls int
	var lastDone, lastTotal uint64
	err := e.Rebuild(context.Background(), NameTimeline, func(done, total uint64) {
		calls++
		lastDone, lastTotal = done, total
	})
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if writeErr != nil || readErr != nil {
		t.Fatalf("during rebuild: write %v, read %v", writeErr, readErr)
	}
	if calls == 0 || lastDone != lastTotal {
		t.Errorf("progress: %d calls, last %d/%d", calls, lastDone, lastTotal)
	}
	e.mu.RLock()
	gen := e.live[NameTimeline].gen
	e.mu.RUnlock()
	if gen != genBefore+1 {
		t.Errorf("generation %d, want %d", gen, genBefore+1)
	}
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name = ?`, tableName(NameTimeline, genBefore)).Scan(&n); err != nil || n != 0 {
		t.Errorf("old generation table still there (%d, %v)", n, err)
	}

	// After the switch the rebuilt read model keeps following, and equals
	// what a fresh engine builds.
	head, _ := st.Head(context.Background())
	waitFor(t, e, head)
	ref, _ := openEngine(t, st, Options{})
	running(t, ref)
	waitFor(t, ref, head)
	if a, b := dump(t, e), dump(t, ref); a != b {
		t.Errorf("rebuilt engine differs from a fresh one:\n%s", firstDiff(b, a))
	}
	if err := e.Rebuild(context.Background(), "nope", nil); !errors.Is(err, ErrUnknownProjection) {
		t.Errorf("Rebuild(nope) = %v", err)
	}
}

func TestVersionBumpRebuildsInBackground(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, path := openEngine(t, st, Options{})
	stop := runEngine(e)
	waitFor(t, e, s.last)
	stop()
	want := dump(t, e)
	e.Close()

	d, _ := lookup(NameDelays)
	d.version++
	defer func() { d.version-- }()

	e2, err := Open(context.Background(), path, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	// Before Run, the old generation serves.
	if reg, err := e2.Delays(context.Background(), eng1); err != nil || len(reg.Delays) != 3 {
		t.Fatalf("old generation: %d delays, %v", len(reg.Delays), err)
	}
	lag, err := e2.Lag(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	building := false
	for _, p := range lag.Projections {
		building = building || p.Name == NameDelays && !p.Serving && p.Generation == 2 && p.Version == d.version
	}
	if !building {
		t.Fatalf("no generation 2 being built: %+v", lag.Projections)
	}
	running(t, e2)
	deadline := time.Now().Add(20 * time.Second)
	for {
		e2.mu.RLock()
		gen := e2.live[NameDelays].gen
		e2.mu.RUnlock()
		if gen == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("background rebuild did not switch over")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := dump(t, e2); got != want {
		t.Errorf("rebuilt read models differ:\n%s", firstDiff(want, got))
	}
}

func TestLagAndMetrics(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	reg := prometheus.NewPedanticRegistry()
	now := day(52).Add(90 * time.Second)
	e, _ := openEngine(t, st, Options{Registerer: reg, Now: func() time.Time { return now }})
	l, err := e.Lag(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Nothing applied: the oldest unapplied event is the first, recorded at day 0.
	if l.Head != s.last || l.Position != 0 || l.Behind != uint64(s.last) || l.Seconds != now.Sub(day(0)).Seconds() || len(l.Projections) != len(definitions) {
		t.Errorf("lag before run = %+v", l)
	}
	running(t, e)
	waitFor(t, e, s.last)
	if l, err = e.Lag(context.Background()); err != nil || l.Behind != 0 || l.Seconds != 0 {
		t.Errorf("lag after = %+v, %v", l, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] = append(got[mf.GetName()], m.GetGauge().GetValue()+m.GetCounter().GetValue())
		}
	}
	if v := got["candor_projection_head_position"]; len(v) != 1 || v[0] != float64(s.last) {
		t.Errorf("head gauge = %v", v)
	}
	if v := got["candor_projection_lag_seconds"]; len(v) != 1 || v[0] != 0 {
		t.Errorf("lag seconds gauge = %v", v)
	}
	if v := got["candor_projection_lag_positions"]; len(v) != len(definitions) {
		t.Errorf("lag gauges = %v", v)
	}
	if v := got["candor_projection_events_applied_total"]; len(v) != 1 || v[0] != float64(s.last) {
		t.Errorf("applied counter = %v", v)
	}
}

// TestOnSQLiteStore runs the projections on the embedded store, unchanged.
func TestOnSQLiteStore(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/events.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // after the engine's cleanups
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	r, err := e.Transparency(context.Background(), eng1, day(60))
	if err != nil {
		t.Fatal(err)
	}
	if *r.Delays.MedianLeadTimeDays != 4 || len(r.UnbriefedStakeholders) != 1 || len(r.Decisions.WithoutClient) != 1 {
		t.Errorf("report on sqlite = %+v", r)
	}
	res := s.at(53).do(eng1, domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"})
	waitFor(t, e, res.Position)
	if sum, err := e.Engagement(context.Background(), eng1); err != nil || sum.Counts.DeliveriesAwaiting != 0 {
		t.Errorf("live on sqlite: %+v %v", sum.Counts, err)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %.300s\n+ %.300s", i+1, x, y)
		}
	}
	return "(no difference)"
}
