package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The embedded store's commit histograms (see api.StoreCommits): what the
// disk cost each group commit, apart from the wait in the queue.
const (
	commitSecondsMetric = "candor_store_commit_duration_seconds"
	commitEventsMetric  = "candor_store_commit_events"
)

// commitSnapshot is the commit histograms at one moment.
type commitSnapshot struct {
	commits, seconds, events float64
	buckets                  []bucket // of the duration, cumulative, by upper bound
}

type bucket struct{ le, count float64 }

// CommitResult describes the store's commits during an attack.
type CommitResult struct {
	Commits         float64 `json:"commits"`
	PerSecond       float64 `json:"commits_per_s"`
	EventsPerCommit float64 `json:"events_per_commit"`
	MeanMs          float64 `json:"mean_ms"`
	P50Ms           float64 `json:"p50_ms"` // interpolated within histogram buckets
	P99Ms           float64 `json:"p99_ms"`
}

// scrapeCommits reads the commit histograms from /metrics; ok is false
// when the server has none (EventStoreDB, the bare handler).
func scrapeCommits(ctx context.Context, cl *http.Client, url string) (commitSnapshot, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return commitSnapshot{}, false, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return commitSnapshot{}, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return commitSnapshot{}, false, err
	}
	return parseCommits(string(b))
}

func parseCommits(text string) (commitSnapshot, bool, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return commitSnapshot{}, false, fmt.Errorf("parse /metrics: %w", err)
	}
	dur, events := histogram(fams[commitSecondsMetric]), histogram(fams[commitEventsMetric])
	if dur == nil || events == nil {
		return commitSnapshot{}, false, nil
	}
	s := commitSnapshot{commits: float64(dur.GetSampleCount()), seconds: dur.GetSampleSum(), events: events.GetSampleSum()}
	for _, b := range dur.GetBucket() {
		s.buckets = append(s.buckets, bucket{le: b.GetUpperBound(), count: float64(b.GetCumulativeCount())})
	}
	sort.Slice(s.buckets, func(i, j int) bool { return s.buckets[i].le < s.buckets[j].le })
	return s, true, nil
}

func histogram(f *dto.MetricFamily) *dto.Histogram {
	if f == nil || len(f.GetMetric()) != 1 {
		return nil
	}
	return f.GetMetric()[0].GetHistogram()
}

// since describes the commits between before and s, over elapsed seconds.
func (s commitSnapshot) since(before commitSnapshot, elapsed float64) *CommitResult {
	n := s.commits - before.commits
	if n <= 0 || len(s.buckets) != len(before.buckets) {
		return nil
	}
	diff := make([]bucket, len(s.buckets))
	for i, b := range s.buckets {
		diff[i] = bucket{le: b.le, count: b.count - before.buckets[i].count}
	}
	return &CommitResult{
		Commits:         n,
		PerSecond:       n / elapsed,
		EventsPerCommit: (s.events - before.events) / n,
		MeanMs:          (s.seconds - before.seconds) / n * 1000,
		P50Ms:           quantile(0.5, diff, n) * 1000,
		P99Ms:           quantile(0.99, diff, n) * 1000,
	}
}

// log prints c as one line of a report; nil prints nothing.
func (c *CommitResult) log() {
	if c == nil {
		return
	}
	logf("  store commits: %.0f/s, %.1f events each, mean %.2f ms, p50 %.2f ms, p99 %.2f ms (fsync included)",
		c.PerSecond, c.EventsPerCommit, c.MeanMs, c.P50Ms, c.P99Ms)
}

// quantile estimates the q-quantile of n observations from cumulative
// buckets sorted by upper bound, interpolating linearly within the bucket
// it falls in, as Prometheus's histogram_quantile does. Past the last
// finite bound it answers that bound.
func quantile(q float64, buckets []bucket, n float64) float64 {
	rank := q * n
	lower, below := 0.0, 0.0
	for _, b := range buckets {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lower
			}
			if b.count == below {
				return b.le
			}
			return lower + (b.le-lower)*(rank-below)/(b.count-below)
		}
		lower, below = b.le, b.count
	}
	return lower
}
