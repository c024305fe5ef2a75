package projections

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCatchUpMemory catches up on the store of BenchmarkRebuildAll
// (CANDOR_BENCH_EVENTS events) and reports what the process holds once at
// the head: its resident set 3 s later (rss-MB), the Go heap's live
// objects, what the Go runtime holds from the OS beyond them (freed heap
// not yet returned, stacks, ...), the resident set once the runtime has
// returned all it can (rss-min-MB: the rest is mostly SQLite's memories,
// one per connection, which never shrink, and the binary), and the
// documents the caches keep.
//
//	go test -run '^$' -bench 'CatchUpMemory$' -benchtime 1x ./projections/
func BenchmarkCatchUpMemory(b *testing.B) {
	if testing.Short() {
		b.Skip("a million events")
	}
	st, _ := benchStore(b)
	head, err := st.Head(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		e, _ := openEngine(b, st, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx) }()
		if err := e.WaitFor(context.Background(), head); err != nil {
			b.Fatal(err)
		}
		time.Sleep(3 * time.Second) // a server at rest, its GC left alone
		rss := statusKiB("VmRSS")
		sample := []metrics.Sample{
			{Name: "/memory/classes/total:bytes"},
			{Name: "/memory/classes/heap/released:bytes"},
			{Name: "/memory/classes/heap/objects:bytes"},
		}
		runtime.GC()
		metrics.Read(sample)
		goHeld := sample[0].Value.Uint64() - sample[1].Value.Uint64()
		live := sample[2].Value.Uint64()
		debug.FreeOSMemory()
		rssMin := statusKiB("VmRSS")
		e.writeMu.Lock()
		docs := 0
		for _, in := range e.liveInstances() {
			docs += len(in.cache.entries)
		}
		e.writeMu.Unlock()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/1024, "rss-MB")
		b.ReportMetric(float64(rssMin)/1024, "rss-min-MB")
		b.ReportMetric(float64(live)/(1<<20), "go-live-MB")
		b.ReportMetric(float64(goHeld-live)/(1<<20), "go-held-beyond-live-MB")
		b.ReportMetric(float64(docs), "cached-docs")
	}
}

// statusKiB returns a field of /proc/self/status in KiB (0 where there is
// none).
func statusKiB(field string) uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
