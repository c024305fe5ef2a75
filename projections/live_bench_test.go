package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// BenchmarkLiveCPU is the projections' live path under the write load of
// bench/cmd/load write: a steady stream of expert.invited events, one per
// append, spread at random over 1,000 engagements (whose timelines' last
// chunks are anywhere from empty to full) and arriving every millisecond
// in small groups (as a store's group commits deliver them).
// b.N is the number of events streamed; the rate is CANDOR_BENCH_RATE
// events/s (default 4,000). It reports the CPU time of the whole process
// per event (the in-memory store appends and subscribes for a small part
// of it), the allocations per event, how many events each commit wrote,
// and the lag from an append to WaitFor's return (the producer measures
// one append in 64). CANDOR_BENCH_PAGE_KIB sets the page size of the
// read-model file.
//
//	go test -run '^$' -bench 'LiveCPU$' -benchtime 20000x -count 5 ./projections/
func BenchmarkLiveCPU(b *testing.B) {
	if testing.Short() {
		b.Skip("sustained load")
	}
	rate := envInt("CANDOR_BENCH_RATE", 4000)
	benchPageSize(b)
	const engagements = 1000
	st := newFakeStore()
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	invite := func(eng string, id int, at time.Time) *domain.ExpertInvited {
		ev := &domain.ExpertInvited{ExpertID: "x-" + strconv.Itoa(id), Name: "Expert " + strconv.Itoa(id), Expertise: "load testing"}
		ev.EngagementID, ev.ActorID, ev.At = eng, gAlice, at
		return ev
	}
	for i := range engagements {
		g := newEngGen(i, start)
		// Opened, with the supplier's lead and the client's sponsor, in
		// the emergence phase where experts are invited; then as many
		// experts as leave the timeline's last chunk anywhere from empty
		// to full, as after a while under the load.
		evs := slices.Clone(g.queue[:3])
		for j := range rng.IntN(timelineChunk) {
			evs = append(evs, invite(g.id, -1-j, start))
		}
		if _, err := st.Append(ctx, ledger.StreamName(g.id), eventstore.Any(), encode(b, evs, "setup")...); err != nil {
			b.Fatal(err)
		}
	}
	if v := envInt("CANDOR_BENCH_CHECKPOINT_MIB", 0); v > 0 {
		every := checkpointEvery
		b.Cleanup(func() { checkpointEvery = every })
		checkpointEvery = int64(v) << 20
	}
	var opts Options
	if v, err := time.ParseDuration(os.Getenv("CANDOR_BENCH_COMMIT_INTERVAL")); err == nil {
		opts.CommitInterval = v
	}
	e, _ := openEngine(b, st, opts)
	running(b, e)
	head, _ := st.Head(ctx)
	waitFor(b, e, head)

	// The events, encoded beforehand: the producer only appends.
	type appendReq struct {
		stream string
		data   []eventstore.EventData
	}
	apps := make([]appendReq, b.N)
	for i := range apps {
		eng := fmt.Sprintf("eng-%07d", rng.IntN(engagements))
		ev := invite(eng, i, start.Add(time.Duration(i)*time.Second))
		apps[i] = appendReq{ledger.StreamName(eng), encode(b, []domain.Event{ev}, "live-"+strconv.Itoa(i))}
	}
	commits0, frames0 := e.commits.Load(), e.ckpt.written.Load()
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	runtime.GC()
	metrics.Read(samples)
	objs0, bytes0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	cpu0, io0 := cpuTime(), ioBytes()

	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N/64+1)
	lags := make(chan time.Duration, 1024)
	waiters := make(chan struct{})
	go func() { // WaitFor every 64th append, as a reader after its write
		defer close(waiters)
		for d := range lags {
			lat = append(lat, d)
		}
	}()
	perTick := max(1, rate/1000)
	tick := time.NewTicker(time.Second * time.Duration(perTick) / time.Duration(rate))
	var last eventstore.Position
	for i := 0; i < len(apps); {
		<-tick.C
		for j := 0; j < perTick && i < len(apps); j, i = j+1, i+1 {
			res, err := st.Append(ctx, apps[i].stream, eventstore.Any(), apps[i].data...)
			if err != nil {
				b.Fatal(err)
			}
			last = res.Position
			if i%64 == 0 {
				go func(pos eventstore.Position, t time.Time) {
					if err := e.WaitFor(ctx, pos); err == nil {
						lags <- time.Since(t)
					}
				}(last, time.Now())
			}
		}
	}
	tick.Stop()
	waitFor(b, e, last)
	b.StopTimer()
	cpu, written := cpuTime()-cpu0, ioBytes()-io0
	metrics.Read(samples)
	time.Sleep(10 * time.Millisecond) // the last waiters report
	close(lags)
	<-waiters

	n := float64(b.N)
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/event")
	b.ReportMetric(float64(samples[0].Value.Uint64()-objs0)/n, "allocs/event")
	b.ReportMetric(float64(samples[1].Value.Uint64()-bytes0)/n, "B-alloc/event")
	if c := e.commits.Load() - commits0; c > 0 {
		b.ReportMetric(n/float64(c), "events/commit")
	}
	frames := float64(e.ckpt.written.Load() - frames0)
	b.ReportMetric(frames/n, "WAL-frames/event")
	b.ReportMetric(frames*float64(e.ckpt.page)/n, "B-WAL/event")
	if written > 0 { // the WAL and the checkpoints
		b.ReportMetric(float64(written)/n, "B-io-written/event")
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "lag-p99-ms")
	}
}
