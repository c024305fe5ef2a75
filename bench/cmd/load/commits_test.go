package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

func TestQuantile(t *testing.T) {
	// 10 observations in (0, 1], 80 in (1, 2], 10 in (2, 4].
	b := []bucket{{1, 10}, {2, 90}, {4, 100}, {math.Inf(1), 100}}
	for _, tc := range []struct{ q, want float64 }{
		{0.05, 0.5}, // half way into the first bucket
		{0.5, 1.5},  // rank 50: 40 of the 80 in (1, 2]
		{0.95, 3},   // rank 95: 5 of the 10 in (2, 4]
		{1, 4},
	} {
		if got := quantile(tc.q, b, 100); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	// Observations past the last finite bound answer that bound.
	if got := quantile(0.99, []bucket{{1, 1}, {math.Inf(1), 100}}, 100); got != 1 {
		t.Errorf("quantile past the last bound = %v, want 1", got)
	}
}

// The snapshot reads what client_golang exposes, and since() describes only
// what happened between two snapshots.
func TestCommitSnapshotFromExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	dur := prometheus.NewHistogram(prometheus.HistogramOpts{Name: commitSecondsMetric, Buckets: []float64{0.001, 0.002, 0.004}})
	events := prometheus.NewHistogram(prometheus.HistogramOpts{Name: commitEventsMetric, Buckets: []float64{1, 8, 64}})
	reg.MustRegister(dur, events)
	expose := func() commitSnapshot {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
				t.Fatal(err)
			}
		}
		s, ok, err := parseCommits(buf.String() + "# another family\nunrelated_total 3\n")
		if err != nil || !ok {
			t.Fatalf("parse: %v %v\n%s", ok, err, buf.String())
		}
		return s
	}
	dur.Observe(0.0035) // before: must not count
	events.Observe(50)
	before := expose()
	for range 4 {
		dur.Observe(0.0015)
		events.Observe(10)
	}
	r := expose().since(before, 2)
	if r == nil {
		t.Fatal("no result")
	}
	if r.Commits != 4 || r.PerSecond != 2 || r.EventsPerCommit != 10 || math.Abs(r.MeanMs-1.5) > 1e-9 {
		t.Errorf("result %+v", r)
	}
	if r.P50Ms <= 1 || r.P50Ms > 2 || r.P99Ms <= 1 || r.P99Ms > 2 {
		t.Errorf("quantiles outside the (1, 2] ms bucket: %+v", r)
	}
	if _, ok, err := parseCommits("up 1\n"); ok || err != nil {
		t.Errorf("no commit metrics: ok %v, err %v", ok, err)
	}
}
