package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// engGen produces the events of one realistic engagement: a set-up (parties,
// workshop, indicators, milestones, agreement, a late joiner) and then
// delivery cycles (requirements questioned and clarified, assumptions,
// changes, proposed features, information and acknowledgements, decisions
// with and without the client, measurements, delays, deliveries).
type engGen struct {
	id    string
	clock time.Time
	queue []domain.Event
	cycle int
}

const (
	gAlice, gBob, gCarol = "s-alice", "s-bob", "s-carol"
)

func newEngGen(i int, start time.Time) *engGen {
	g := &engGen{id: fmt.Sprintf("eng-%07d", i), clock: start}
	g.push(gAlice,
		&domain.EngagementOpened{Title: "Engagement " + strconv.Itoa(i), Description: "A data platform for the client", ClientName: "Client " + strconv.Itoa(i), SupplierName: "Candor"},
		&domain.StakeholderJoined{StakeholderID: gAlice, Party: domain.PartySupplier, Name: "Alice Martin", Email: "alice@example.com", Role: "lead"},
		&domain.StakeholderJoined{StakeholderID: gBob, Party: domain.PartyClient, Name: "Bob Durand", Email: "bob@example.com", Role: "sponsor"},
		&domain.PhaseAdvanced{From: domain.PhaseEmergence, To: domain.PhaseScoping},
		&domain.WorkshopHeld{WorkshopID: "ws-1", Participants: []string{gAlice, gBob}, Notes: "indicators co-defined with the client"},
		&domain.IndicatorDefined{IndicatorID: "ind-1", Name: "Uptime", Unit: "%", Target: 99, Direction: domain.AtLeast},
		&domain.IndicatorDefined{IndicatorID: "ind-2", Name: "Lead time", Unit: "days", Target: 2, Direction: domain.AtMost},
		&domain.AgreementSigned{AgreementID: "agr-1", Reference: "PO-2026-" + strconv.Itoa(i), Signatories: []string{gAlice, gBob}},
		&domain.PhaseAdvanced{From: domain.PhaseScoping, To: domain.PhaseDelivery},
		&domain.StakeholderJoined{StakeholderID: gCarol, Party: domain.PartyClient, Name: "Carol Petit", Role: "product owner", Late: true},
	)
	return g
}

func (g *engGen) push(actor string, evs ...domain.Event) {
	for _, e := range evs {
		g.clock = g.clock.Add(3 * time.Hour)
		h := e.Head()
		h.EngagementID, h.ActorID, h.At = g.id, actor, g.clock
		if w, ok := e.(*domain.WorkshopHeld); ok {
			w.HeldAt = g.clock
		}
		g.queue = append(g.queue, e)
	}
}

func (g *engGen) refill() {
	c := g.cycle
	g.cycle++
	n := strconv.Itoa(c)
	req, q, a, ch, f, info, dec, m, del := "req-"+n, "q-"+n, "as-"+n, "ch-"+n, "f-"+n, "info-"+n, "dec-"+n, "m-"+n, "del-"+n
	due := g.clock.Add(20 * 24 * time.Hour).Truncate(24 * time.Hour)
	g.push(gBob, &domain.RequirementRaised{RequirementID: req, Title: "Requirement " + n, Description: "The client needs a report of the monthly figures by region"})
	g.push(gAlice,
		&domain.QuestionAsked{QuestionID: q, RequirementID: req, Text: "Which regions, and which currency for the totals?"},
		&domain.AssumptionMade{AssumptionID: a, RequirementID: req, Statement: "Totals are in euros"},
		&domain.MilestonePlanned{MilestoneID: m, Title: "Milestone " + n, DueDate: due})
	g.push(gBob,
		&domain.RequirementClarified{RequirementID: req, QuestionID: q, Clarification: "All regions, euros", Answer: "All regions, euros"})
	if c%3 != 0 {
		g.push(gBob, &domain.AssumptionValidated{AssumptionID: a, Comment: "yes"})
	}
	g.push(gBob, &domain.ChangeRequested{ChangeID: ch, RequirementID: req, Description: "Add a yearly view", Reason: "board meeting"})
	g.push(gCarol, &domain.ChangeApproved{ChangeID: ch})
	g.push(gAlice, &domain.FeatureProposed{FeatureID: f, Title: "Export to PDF"})
	if c%2 == 0 {
		g.push(gBob, &domain.FeatureAccepted{FeatureID: f})
	}
	g.push(gAlice, &domain.ClientInformed{InformationID: info, Subject: "Weekly status " + n, Summary: "Progress, risks and next steps",
		Channel: domain.ChannelEmail, Recipients: []string{gBob, gCarol}, About: []string{req, m}})
	g.push(gBob, &domain.InformationAcknowledged{InformationID: info})
	parts := []string{gAlice, gBob}
	client := []string{gBob}
	if c%4 == 0 {
		parts, client = []string{gAlice}, nil
	}
	g.push(gAlice, &domain.DecisionMade{DecisionID: dec, Title: "Storage for " + req, Kind: domain.DecisionTechnical,
		Options: []string{"Postgres", "S3"}, Chosen: "Postgres", Rationale: "the team knows it", Participants: parts, ClientParticipants: client})
	g.push(gBob, &domain.IndicatorMeasured{MeasurementID: "me-" + n, IndicatorID: "ind-1", Value: 98 + float64(c%3), MeasuredAt: g.clock})
	if c%2 == 1 {
		g.push(gAlice, &domain.DelayDisclosed{DelayID: "d-" + n, MilestoneID: m, PreviousDueDate: due, NewDueDate: due.Add(7 * 24 * time.Hour), Reason: "data arrived late"})
	}
	g.push(gAlice, &domain.DeliveryMade{DeliveryID: del, Title: "Delivery " + n, MilestoneID: m, RequirementIDs: []string{req}, FeatureIDs: []string{f}})
	g.push(gBob, &domain.DeliveryAccepted{DeliveryID: del})
}

// next returns the next burst (one to three events, as one command would
// append) of this engagement.
func (g *engGen) next(rng *rand.Rand) []domain.Event {
	if len(g.queue) < 3 {
		g.refill()
	}
	k := 1 + rng.IntN(3)
	out := g.queue[:k]
	g.queue = g.queue[k:]
	return out
}

// encode turns domain events into what the ledger would store.
func encode(tb testing.TB, evs []domain.Event, corr string) []eventstore.EventData {
	out := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		typ, ver, data, err := domain.Marshal(e)
		if err != nil {
			tb.Fatal(err)
		}
		meta, _ := json.Marshal(ledger.Metadata{Actor: e.Head().ActorID, CorrelationID: corr, SchemaVersion: ver,
			PrevHash: "9f2c1f4e0b7a3d5c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d", Hash: "0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c"})
		out[i] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, Data: data, Metadata: meta}
	}
	return out
}

// generate appends about n events: active engagements at a time, each of
// perEng events, interleaved at random as in a busy deployment. workers
// goroutines append concurrently (each with its own engagements), so that a
// store with group commit is filled quickly.
func generate(tb testing.TB, st eventstore.Store, n, active, perEng int) {
	generateWith(tb, st, n, active, perEng, 1)
}

func generateWith(tb testing.TB, st eventstore.Store, n, active, perEng, workers int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(1, uint64(w)))
			var gens []*engGen
			left := map[*engGen]int{}
			next := w
			start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			quota := n / workers
			if w == 0 {
				quota += n % workers
			}
			for written := 0; written < quota; {
				for len(gens) < max(1, active/workers) {
					g := newEngGen(next, start.Add(time.Duration(next)*time.Hour))
					next += workers
					gens = append(gens, g)
					left[g] = perEng
				}
				i := rng.IntN(len(gens))
				g := gens[i]
				evs := g.next(rng)
				evs = evs[:min(len(evs), quota-written)]
				if _, err := st.Append(ctx, ledger.StreamName(g.id), eventstore.Any(), encode(tb, evs, "bench")...); err != nil {
					errs <- err
					return
				}
				written += len(evs)
				if left[g] -= len(evs); left[g] <= 0 {
					gens = slices.Delete(gens, i, i+1)
					delete(left, g)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// benchPageSize sets the page size of the read-model files the benchmark
// creates from CANDOR_BENCH_PAGE_KIB (default: pageSize's), for comparing
// page sizes.
func benchPageSize(b *testing.B) {
	if v := envInt("CANDOR_BENCH_PAGE_KIB", 0); v > 0 {
		old := pageSize
		b.Cleanup(func() { pageSize = old })
		pageSize = v << 10
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchFixtureVersion names what the generator writes. Bump it whenever
// engGen, generateWith or encode change: the cached fixtures of the old
// shape are then ignored (and can be deleted from os.TempDir()).
const benchFixtureVersion = 2

// benchStore returns a SQLite event store holding CANDOR_BENCH_EVENTS
// (default 1,000,000) generated events. The store is generated once per
// size and kept in os.TempDir(), so that repeated runs only pay for the
// rebuild; delete the candor-bench-events-* files to start over.
func benchStore(b *testing.B) (eventstore.Store, int) {
	n := envInt("CANDOR_BENCH_EVENTS", 1_000_000)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("candor-bench-events-v%d-s%d-%d.db", benchFixtureVersion, sqlite.SchemaVersion, n))
	if _, err := os.Stat(path); err != nil {
		t := time.Now()
		buildFixture(b, path, n)
		b.Logf("generated %d events in %s into %s", n, time.Since(t).Round(time.Millisecond), path)
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if head, err := st.Head(context.Background()); err != nil || head != eventstore.Position(n) {
		b.Fatalf("fixture %s: head %d (%v), want %d: delete it to generate it again", path, head, err, n)
	}
	return st, n
}

// buildFixture generates n events into a new store at path. It writes
// another file and renames it once closed, so that an interrupted run (or
// a concurrent one) never leaves a partial fixture under the final name.
func buildFixture(b *testing.B, path string, n int) {
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	cleanup := func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
	}
	cleanup()
	defer cleanup()
	st, err := sqlite.Open(context.Background(), tmp, sqlite.WithGroupCommit(true))
	if err != nil {
		b.Fatal(err)
	}
	// One engagement per worker: the 200 active engagements interleave as
	// before, and each group commit stores up to 200 appends instead of 16.
	generateWith(b, st, n, 200, 500, 200)
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRebuildAll builds every read model from zero out of a store of a
// million events (Open on an empty database, Run, WaitFor the head).
func BenchmarkRebuildAll(b *testing.B) {
	if testing.Short() {
		b.Skip("a million events")
	}
	benchPageSize(b)
	st, n := benchStore(b)
	benchRebuild(b, st, n)
}

// benchRebuild times b.N rebuilds of every read model out of st, which holds
// n events, and reports events/s, the CPU time per event (every goroutine,
// the store's included), the documents written per event, and the peak
// heap and resident set while rebuilding.
func benchRebuild(b *testing.B, st eventstore.Store, n int) {
	head, err := st.Head(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var (
		total       time.Duration
		cpu         time.Duration
		rows, bytes int64
		written     uint64 // by write system calls: the WAL, the checkpoints
		peak        peakMemory
	)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "readmodels.db")
		e, err := Open(context.Background(), path, st, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		runtime.GC()
		stopPeak := peak.watch()
		cpu0 := cpuTime()
		io0 := ioBytes()
		b.StartTimer()
		t := time.Now()
		go func() { done <- e.Run(ctx) }()
		if err := e.WaitFor(context.Background(), head); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		written += ioBytes() - io0
		stopPeak()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		rows += e.rowsWritten.Load()
		bytes += e.bytesWritten.Load()
		e.Close()
	}
	events := float64(n * b.N)
	b.ReportMetric(events/total.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	}
	b.ReportMetric(float64(rows)/events, "rows/event")
	b.ReportMetric(float64(bytes)/events, "B-written/event")
	if written > 0 {
		b.ReportMetric(float64(written)/events, "B-io-written/event")
	}
	b.ReportMetric(float64(peak.heap)/(1<<20), "peak-heap-MB")
	if peak.rss > 0 {
		b.ReportMetric(float64(peak.rss)/(1<<20), "peak-rss-MB")
	}
}

// peakMemory records the largest heap (live and not yet collected objects)
// and resident set seen while watching.
type peakMemory struct {
	heap, rss uint64
}

// watch samples the heap until the returned function is called; the peak
// resident set comes from Linux's VmHWM, reset when watching starts (where
// /proc is not there, rss stays 0).
func (p *peakMemory) watch() (stop func()) {
	resetPeakRSS()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			p.heap = max(p.heap, sample[0].Value.Uint64())
			select {
			case <-tick.C:
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-exited
		p.rss = max(p.rss, peakRSS())
	}
}

// ioBytes is what the process has written through system calls so far
// (Linux; 0 elsewhere).
func ioBytes() uint64 {
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(io)) {
		if v, ok := strings.CutPrefix(line, "wchar:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRSS() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkLag appends commands through the ledger at a steady rate and
// measures, for each, the time from the append's return to WaitFor's.
func BenchmarkLag(b *testing.B) {
	if testing.Short() {
		b.Skip("sustained load")
	}
	rate := envInt("CANDOR_BENCH_RATE", 200) // commands per second
	benchPageSize(b)
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	led := ledger.New(st, ledger.Options{})
	e, err := Open(context.Background(), filepath.Join(b.TempDir(), "readmodels.db"), st, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	const engagements = 50
	for i := range engagements {
		id := fmt.Sprintf("lag-%03d", i)
		if _, err := led.Execute(ctx, ledgerOpenBench(id)); err != nil {
			b.Fatal(err)
		}
		if _, err := led.Execute(ctx, cmdReq(id, domain.AddStakeholder{ActorID: gAlice, NewStakeholder: domain.NewStakeholder{StakeholderID: gBob, Party: domain.PartyClient, Name: "Bob"}})); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		id := fmt.Sprintf("lag-%03d", i%engagements)
		var cmd domain.Command = domain.InformClient{ActorID: gAlice, InformationID: "i-" + strconv.Itoa(i), Subject: "status", Channel: domain.ChannelEmail, Recipients: []string{gBob}}
		if i%2 == 1 {
			cmd = domain.MakeDecision{ActorID: gAlice, DecisionID: "d-" + strconv.Itoa(i), Title: "choice", Kind: domain.DecisionTechnical,
				Options: []string{"a", "b"}, Chosen: "a", Participants: []string{gAlice, gBob}}
		}
		res, err := led.Execute(ctx, cmdReq(id, cmd))
		if err != nil {
			b.Fatal(err)
		}
		t := time.Now()
		if err := e.WaitFor(ctx, res.Position); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

func cmdReq(id string, cmd domain.Command) ledger.Request {
	return ledger.Request{EngagementID: id, Command: func(*domain.Engagement) (domain.Command, error) { return cmd, nil }}
}

func ledgerOpenBench(id string) ledger.Request {
	return ledger.Request{EngagementID: id, Create: true, Command: func(*domain.Engagement) (domain.Command, error) {
		return domain.OpenEngagement{ActorID: gAlice, EngagementID: id, Title: id, ClientName: "C", SupplierName: "S",
			Opener: domain.NewStakeholder{StakeholderID: gAlice, Party: domain.PartySupplier, Name: "Alice"}}, nil
	}}
}

// BenchmarkRebuildAllMemory is BenchmarkRebuildAll on the in-memory test
// store: the projections' own cost, without the store's reads.
func BenchmarkRebuildAllMemory(b *testing.B) {
	if testing.Short() {
		b.Skip("many events")
	}
	n := envInt("CANDOR_BENCH_EVENTS", 1_000_000)
	st := newFakeStore()
	generate(b, st, n, 200, 500)
	benchRebuild(b, st, n)
}
