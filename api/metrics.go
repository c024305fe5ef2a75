package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/candor-ledger/candor/eventstore"
)

// metrics are the server's Prometheus instruments.
type metrics struct {
	requests *prometheus.HistogramVec // route, method, status
	commands *prometheus.HistogramVec // operation, outcome
	// cacheHits and cacheMisses count read-model responses served from
	// memory, and those built.
	cacheHits, cacheMisses prometheus.Counter
	handler                http.Handler
}

func newMetrics(reg prometheus.Registerer, gat prometheus.Gatherer, store eventstore.Store, rm ReadModels) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "candor_http_request_duration_seconds",
			Help:    "Latency of HTTP requests, by route template, method and status.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route", "method", "status"}),
		commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "candor_command_duration_seconds",
			Help:    "Latency of command executions (decide and append, retries included), by operation and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"operation", "outcome"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "candor_read_model_cache_hits_total",
			Help: "Read-model responses served from the in-memory cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "candor_read_model_cache_misses_total",
			Help: "Cacheable read-model responses built from the read models.",
		}),
	}
	cs := []prometheus.Collector{m.requests, m.commands, m.cacheHits, m.cacheMisses}
	if cr, ok := rm.(CheckpointReporter); ok {
		cs = append(cs, &lagCollector{store: store, rm: cr})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = promhttp.HandlerFor(gat, promhttp.HandlerOpts{})
	return m, nil
}

func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

// requestsOf returns the latency histograms of one served route and
// method, one per status.
func (m *metrics) requestsOf(route, method string) *statusObservers {
	return &statusObservers{vec: m.requests, route: route, method: method}
}

// statusObservers caches the children of candor_http_request_duration_seconds
// of one route and method by status, so that a request does not hash its
// three label values (WithLabelValues) to find its histogram. A route
// answers a handful of statuses; the list is copied on the rare write and
// read without a lock.
type statusObservers struct {
	vec           *prometheus.HistogramVec
	route, method string
	mu            sync.Mutex // serializes additions
	list          atomic.Pointer[[]statusObserver]
}

type statusObserver struct {
	status int
	obs    prometheus.Observer
}

func (o *statusObservers) get(status int) prometheus.Observer {
	if l := o.list.Load(); l != nil {
		for _, e := range *l {
			if e.status == status {
				return e.obs
			}
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var old []statusObserver
	if l := o.list.Load(); l != nil {
		old = *l
		for _, e := range old {
			if e.status == status {
				return e.obs
			}
		}
	}
	obs := o.vec.WithLabelValues(o.route, o.method, strconv.Itoa(status))
	l := append(slices.Clip(old), statusObserver{status: status, obs: obs})
	o.list.Store(&l)
	return obs
}

// AppendLatency registers candor_store_append_duration_seconds on reg and
// returns the observer to pass as ledger.Options.OnAppend.
func AppendLatency(reg prometheus.Registerer) (func(time.Duration), error) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "candor_store_append_duration_seconds",
		Help:    "Latency of successful appends to the event store.",
		Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
	})
	if err := reg.Register(h); err != nil {
		return nil, err
	}
	return func(d time.Duration) { h.Observe(d.Seconds()) }, nil
}

// StoreCommits registers candor_store_commit_duration_seconds and
// candor_store_commit_events on reg and returns the observer to pass to
// sqlite.WithCommitObserver: the embedded store's group commits, their
// fsync included, apart from the wait in the queue that
// candor_store_append_duration_seconds also counts.
func StoreCommits(reg prometheus.Registerer) (func(events int, took time.Duration), error) {
	took := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "candor_store_commit_duration_seconds",
		Help:    "Duration of the embedded store's commits (one per group of appends), fsync included.",
		Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
	})
	events := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "candor_store_commit_events",
		Help:    "Events stored by each of the embedded store's commits.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 14),
	})
	for _, c := range []prometheus.Collector{took, events} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return func(n int, d time.Duration) {
		took.Observe(d.Seconds())
		events.Observe(float64(n))
	}, nil
}

// lagCollector reports, at scrape time, how many positions each projection
// is behind the store's head: the hook through which read models expose
// their lag without knowing about Prometheus.
type lagCollector struct {
	store eventstore.Store
	rm    CheckpointReporter
}

var lagDesc = prometheus.NewDesc("candor_projection_lag_events",
	"Global positions between the store's head and a projection's checkpoint.", []string{"projection"}, nil)

func (l *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (l *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	head, err := l.store.Head(ctx)
	if err != nil {
		return // the scrape goes on without this gauge; readiness reports the store
	}
	for name, cp := range l.rm.Checkpoints() {
		lag := 0.0
		if head > cp {
			lag = float64(head - cp)
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag, name)
	}
}
