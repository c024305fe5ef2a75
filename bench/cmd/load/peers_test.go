package main

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestRoundOrder(t *testing.T) {
	tests := []struct {
		round int
		want  []string
	}{
		{0, []string{"full", "pg", "store", "bare"}},
		{1, []string{"pg", "store", "bare", "full"}},
		{3, []string{"bare", "full", "pg", "store"}},
		{4, []string{"full", "pg", "store", "bare"}},
	}
	for _, tc := range tests {
		if got := roundOrder(tc.round); !slices.Equal(got, tc.want) {
			t.Errorf("roundOrder(%d) = %v, want %v", tc.round, got, tc.want)
		}
	}
	if !slices.Equal(peerTargets, []string{"full", "pg", "store", "bare"}) {
		t.Errorf("roundOrder changed peerTargets: %v", peerTargets)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// run is one target's wrk result in a round: ok 2xx of n requests in sec
// seconds, with the server's CPU and wrk's p50/p99.
func run(round int, target string, n, non2xx int64, sec, cpuSec, p50, p99 float64) PeerRun {
	return PeerRun{Round: round, WrkResult: &WrkResult{
		Target: target, Requests: n, Non2xx: non2xx, DurationSec: sec, ServerCPUSec: cpuSec,
		OKPerSec: float64(n-non2xx) / sec, P50Ms: p50, P99Ms: p99,
	}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func TestSummarizeAndRatios(t *testing.T) {
	runs := []PeerRun{
		run(0, "full", 10000, 0, 2, 3, 10, 30),
		run(0, "pg", 6000, 0, 2, 1.8, 12, 40),
		run(0, "store", 20000, 0, 2, 2, 5, 15),
		run(0, "bare", 80000, 0, 2, 2, 1, 9),
		run(1, "pg", 4000, 0, 2, 1.2, 14, 44),
		run(1, "store", 20000, 0, 2, 2, 5, 17),
		run(1, "bare", 80000, 0, 2, 2, 1, 8),
		run(1, "full", 8000, 0, 2, 3, 11, 20),
		run(2, "store", 10000, 0, 1, 1, 6, 16),
		run(2, "bare", 40000, 0, 1, 1, 1, 7),
		run(2, "full", 6000, 1000, 1, 1, 12, 22),
		run(2, "pg", 5000, 0, 1, 1.5, 13, 41),
	}
	sum := summarize(runs)
	full := sum["full"]
	// 10000 + 8000 + 5000 successful writes over 5 s; 7 s of CPU.
	if full.Rounds != 3 || full.Requests != 24000 || full.OK != 23000 || full.Non2xx != 1000 || !near(full.Seconds, 5) {
		t.Fatalf("full summary %+v", full)
	}
	if !near(full.WritesPerSec, 4600) || !near(full.CPUPerWriteUs, 7.0/23000*1e6) {
		t.Errorf("full: %v writes/s, %v µs per write", full.WritesPerSec, full.CPUPerWriteUs)
	}
	if full.P50Ms != 11 || full.P99Ms != 22 || full.P99MaxMs != 30 {
		t.Errorf("full percentiles: p50 %v, p99 %v, worst %v", full.P50Ms, full.P99Ms, full.P99MaxMs)
	}
	pg := sum["pg"] // 15000 over 5 s
	if !near(pg.WritesPerSec, 3000) || !near(pg.CPUPerWriteUs, 4.5/15000*1e6) {
		t.Errorf("pg summary %+v", pg)
	}

	r, err := ratios(runs, sum)
	if err != nil {
		t.Fatal(err)
	}
	// store: 50000 over 5 s; bare: 200000 over 5 s.
	if !near(r.FullOverPG, 4600.0/3000) || !near(r.FullOverStore, 4600.0/10000) || !near(r.FullOverBare, 4600.0/40000) {
		t.Errorf("ratios %+v", r)
	}
	wantPG := []float64{10000.0 / 6000, 8000.0 / 4000, 5000.0 / 5000}
	wantSt := []float64{10000.0 / 20000, 8000.0 / 20000, 5000.0 / 10000}
	for i := range wantPG {
		if len(r.RoundsOverPG) != 3 || !near(r.RoundsOverPG[i], wantPG[i]) || !near(r.RoundsOverSt[i], wantSt[i]) {
			t.Fatalf("per round: %v / %v, want %v / %v", r.RoundsOverPG, r.RoundsOverSt, wantPG, wantSt)
		}
	}

	if _, err := ratios(runs[:3], summarize(runs[:3])); err == nil {
		t.Error("ratios without the bare peer succeeded")
	}
}

func TestPeerVerdicts(t *testing.T) {
	summary := func(full, pg, store float64, p99Max float64, non2xx int64) map[string]*PeerSummary {
		return map[string]*PeerSummary{
			"full":  {Target: "full", WritesPerSec: full, P99Ms: p99Max - 1, P99MaxMs: p99Max},
			"pg":    {Target: "pg", WritesPerSec: pg},
			"store": {Target: "store", WritesPerSec: store, Non2xx: non2xx},
			"bare":  {Target: "bare", WritesPerSec: 40000},
		}
	}
	tests := []struct {
		name string
		sum  map[string]*PeerSummary
		want []string // PASS or MISS for: over pg, over store, p99, then no errors per target
	}{
		{"all met, at the bounds", summary(14000, 8750, 20000, 24.99, 0),
			[]string{"PASS", "PASS", "PASS", "PASS", "PASS", "PASS", "PASS"}},
		{"the issue's starting point", summary(4939, 5606, 13603, 35.9, 0),
			[]string{"MISS", "MISS", "MISS", "PASS", "PASS", "PASS", "PASS"}},
		{"just under each ratio, p99 at 25 ms, errors on the store", summary(13999, 8750, 20000, 25, 3),
			[]string{"MISS", "MISS", "MISS", "PASS", "PASS", "MISS", "PASS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var runs []PeerRun
			for _, target := range peerTargets {
				runs = append(runs, PeerRun{WrkResult: &WrkResult{Target: target, OKPerSec: tc.sum[target].WritesPerSec}})
			}
			r, err := ratios(runs, tc.sum)
			if err != nil {
				t.Fatal(err)
			}
			got := peerVerdicts(tc.sum, r)
			if len(got) != len(tc.want) {
				t.Fatalf("verdicts %q", got)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w+" ") {
					t.Errorf("verdict %d = %q, want %s", i, got[i], w)
				}
			}
		})
	}
}
