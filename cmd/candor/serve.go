package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on CANDOR_PPROF_ADDR
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/projections"
	"github.com/candor-ledger/candor/web"
)

// serveConfig is everything serve reads from flags and environment.
type serveConfig struct {
	addr            string
	dataDir         string
	eventStore      string
	adminToken      string
	corsOrigins     string
	rateLimit       string
	logLevel        string
	shutdownTimeout time.Duration
	demo            bool
}

// demoLoader, when set (by the demo command's file), loads the sample
// engagement on `serve --demo` and prints its tokens.
var demoLoader func(ctx context.Context, store eventstore.Store, reg *auth.Registry, stdout io.Writer) error

const serveHelp = `Usage: candor serve [flags]

Runs the REST API. Every flag can also be set by the environment variable
named after it; a flag given on the command line wins.

Flags:
`

const serveEnvHelp = `
Environment only:
  CANDOR_ADMIN_TOKEN    bearer token of the admin principal created on the first
                        start with an empty store (format: cnd_ + 43 base64url
                        characters, as printed by a previous start). When unset, a
                        new token is generated and printed once to stdout. It is
                        never added to a store that already has principals.

  CANDOR_PPROF_ADDR     when set (e.g. 127.0.0.1:6060), serves Go's pprof profiles
                        on that address, apart from the API. For performance work.

Event store (CANDOR_EVENTSTORE):
  empty                 embedded SQLite database at <data>/events.db (default)
  esdb://host:2113?...  EventStoreDB (see docker-compose.yml)

Read models: the server keeps its read models (timeline, boards, registers,
transparency...) in <data>/readmodels.db, also with an esdb:// event store
(each instance then keeps its own copy in its --data directory). They follow
the store in the background and resume from their checkpoint after a
restart; a new version of a projection is rebuilt in the background while
the old one keeps serving. /readyz reports their lag, /metrics has the
candor_projection_* metrics. To rebuild one on demand, stop the server and
run 'candor projections rebuild [name]' with the same --data and
--eventstore (an offline rebuild: a running server would not see the new
generation).

The server stops gracefully on SIGINT or SIGTERM: /readyz turns 503, new
connections are refused, event feeds (SSE) end, requests in flight (writes
included) finish within --shutdown-timeout, then the read models close.
`

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, serveHelp)
		fs.PrintDefaults()
		fmt.Fprint(stderr, serveEnvHelp)
	}
	shutdown, err := time.ParseDuration(env("CANDOR_SHUTDOWN_TIMEOUT", "30s"))
	if err != nil {
		return c, fmt.Errorf("%w: CANDOR_SHUTDOWN_TIMEOUT: %v", errUsage, err)
	}
	fs.StringVar(&c.addr, "addr", env("CANDOR_ADDR", ":8080"), "listen address (CANDOR_ADDR)")
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory of the embedded store (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded SQLite store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	fs.StringVar(&c.corsOrigins, "cors-origins", env("CANDOR_CORS_ORIGINS", ""), "comma-separated browser origins allowed by CORS, e.g. https://app.example.com; none by default (CANDOR_CORS_ORIGINS)")
	fs.StringVar(&c.rateLimit, "rate-limit", env("CANDOR_RATE_LIMIT", "50"), "requests per second per bearer token, optionally with a burst as RATE:BURST (default burst 2×RATE); 0 or off disables (CANDOR_RATE_LIMIT)")
	fs.StringVar(&c.logLevel, "log-level", env("CANDOR_LOG_LEVEL", "info"), "debug, info, warn or error (CANDOR_LOG_LEVEL)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", shutdown, "how long in-flight requests may take to finish on shutdown (CANDOR_SHUTDOWN_TIMEOUT)")
	demo, _ := strconv.ParseBool(env("CANDOR_DEMO", "false"))
	fs.BoolVar(&c.demo, "demo", demo, "load a sample engagement and print tokens for its client, supplier and auditor (CANDOR_DEMO)")
	if err := fs.Parse(args); err != nil {
		return c, usageErr(err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	c.adminToken = os.Getenv("CANDOR_ADMIN_TOKEN")
	return c, nil
}

// parseRateLimit reads "RATE" or "RATE:BURST"; 0 or "off" disables.
func parseRateLimit(s string) (float64, int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "off" || s == "0" {
		return -1, 0, nil
	}
	r, b, hasBurst := strings.Cut(s, ":")
	rate, err := strconv.ParseFloat(r, 64)
	if err != nil || rate <= 0 {
		return 0, 0, fmt.Errorf("%w: rate limit %q: want RATE or RATE:BURST, RATE > 0", errUsage, s)
	}
	burst := 0
	if hasBurst {
		if burst, err = strconv.Atoi(b); err != nil || burst < 1 {
			return 0, 0, fmt.Errorf("%w: rate limit %q: BURST must be a positive integer", errUsage, s)
		}
	}
	return rate, burst, nil
}

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("%w: log level %q: want debug, info, warn or error", errUsage, s)
	}
	return l, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// openStore opens the configured event store, with the embedded store's
// commit metrics on metrics unless nil.
func openStore(ctx context.Context, c serveConfig, metrics prometheus.Registerer) (eventstore.Store, string, error) {
	switch {
	case c.eventStore == "":
		if err := os.MkdirAll(c.dataDir, 0o750); err != nil {
			return nil, "", fmt.Errorf("data directory: %w", err)
		}
		path := filepath.Join(c.dataDir, "events.db")
		var opts []sqlite.Option
		if metrics != nil {
			onCommit, err := api.StoreCommits(metrics)
			if err != nil {
				return nil, "", err
			}
			opts = append(opts, sqlite.WithCommitObserver(onCommit))
		}
		s, err := sqlite.Open(ctx, path, opts...)
		if err != nil {
			return nil, "", err
		}
		return s, "sqlite:" + path, nil
	case strings.HasPrefix(c.eventStore, "esdb://"), strings.HasPrefix(c.eventStore, "esdb+discover://"):
		s, err := esdb.Open(ctx, c.eventStore)
		if err != nil {
			return nil, "", err
		}
		return s, "eventstoredb", nil
	}
	return nil, "", fmt.Errorf("%w: CANDOR_EVENTSTORE must be empty or an esdb:// connection string", errUsage)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	rate, burst, err := parseRateLimit(c.rateLimit)
	if err != nil {
		return err
	}
	level, err := parseLogLevel(c.logLevel)
	if err != nil {
		return err
	}
	defer debug.SetMemoryLimit(setDefaultMemoryLimit())
	logOut := newLogWriter(stderr)
	defer logOut.Close()
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store, storeName, err := openStore(ctx, c, metrics)
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer store.Close()
	reg, err := auth.Open(ctx, store)
	if err != nil {
		return err
	}
	defer reg.Close()
	secret, created, err := reg.Bootstrap(ctx, c.adminToken)
	if err != nil {
		return err
	}
	if created {
		if c.adminToken == "" {
			// Printed once, to stdout (not to the log): it is not kept anywhere.
			fmt.Fprintf(stdout, "Created the admin principal. Its bearer token, shown only now:\n\n  %s\n\n", secret)
		} else {
			fmt.Fprintln(stdout, "Created the admin principal with the token in CANDOR_ADMIN_TOKEN.")
		}
	}

	onAppend, err := api.AppendLatency(metrics)
	if err != nil {
		return err
	}
	// On EventStoreDB other instances may append too: reads then catch up
	// with the stream instead of trusting this process's cache.
	l := ledger.New(store, ledger.Options{OnAppend: onAppend, Shared: c.eventStore != ""})
	if c.demo {
		switch {
		case demoLoader == nil:
			return errors.New("--demo is not available in this build")
		case !created:
			// Loading it into a store that has a history would mix a
			// made-up story with real facts, and a restart would tell it twice.
			fmt.Fprintln(stdout, "--demo: the store is not new, so the sample engagement is not loaded again.")
		default:
			if err := demoLoader(ctx, store, reg, stdout); err != nil {
				return fmt.Errorf("load demo: %w", err)
			}
		}
	}
	rm, err := openReadModels(ctx, c.dataDir, store, metrics, log)
	if err != nil {
		return err
	}
	defer rm.Close()
	srv, err := api.New(api.Config{
		CORSOrigins: splitList(c.corsOrigins), RateLimit: rate, RateBurst: burst, ShutdownTimeout: c.shutdownTimeout,
	}, api.Deps{Ledger: l, Auth: reg, Store: store, Logger: log, Registerer: metrics, ReadModels: rm, Queries: rm, App: web.Handler()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	// The read models follow the store until the HTTP server has drained,
	// so that requests in flight can still wait for them.
	rmCtx, stopRM := context.WithCancel(context.WithoutCancel(ctx))
	rmDone := make(chan struct{})
	go func() {
		defer close(rmDone)
		runProjections(rmCtx, rm, log, time.Second, 30*time.Second)
	}()
	if addr := os.Getenv("CANDOR_PPROF_ADDR"); addr != "" {
		// Profiling for performance work, on its own (loopback) listener so
		// it is never exposed with the API.
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		go func() {
			log.Info("pprof", slog.String("addr", addr), slog.Any("err", http.ListenAndServe(addr, nil)))
		}()
	}
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("store", storeName))
	err = srv.Run(ctx, ln)
	stopRM()
	<-rmDone
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// openReadModels opens the projections engine on <data>/readmodels.db.
func openReadModels(ctx context.Context, dataDir string, store eventstore.Store, reg prometheus.Registerer, log *slog.Logger) (*projections.Engine, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	e, err := projections.Open(ctx, filepath.Join(dataDir, "readmodels.db"), store, projections.Options{Registerer: reg, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open read models: %w", err)
	}
	return e, nil
}

// defaultMemoryLimit is the Go runtime's soft memory limit for serve when
// GOMEMLIMIT is not set. Under a steady write load the live heap (recent
// engagements' state, the read models' document caches) stays near 100 MB,
// but with the default GC target the heap grows to twice that before a
// collection: the limit makes the collector run earlier instead, which
// kept the server under 300 MB RSS with no measurable loss of throughput
// (BENCHMARKS.md, growth). It is soft: a large catch-up may exceed it.
const defaultMemoryLimit = 200 << 20

// setDefaultMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT is set,
// and returns the limit that was in force before.
func setDefaultMemoryLimit() int64 {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return debug.SetMemoryLimit(-1)
	}
	return debug.SetMemoryLimit(defaultMemoryLimit)
}

// runner is what runProjections restarts: *projections.Engine.
type runner interface {
	Run(ctx context.Context) error
}

// runProjections runs the read models until ctx is done. Run returns an
// error when applying an event or the store's subscription fails (the
// store restarting, a network cut to EventStoreDB): it is started again
// from its checkpoint after a pause that doubles on each failure in a row,
// from first up to most, and starts over once a run lasted longer than
// most. Serving goes on meanwhile; the read models only lag.
func runProjections(ctx context.Context, r runner, log *slog.Logger, first, most time.Duration) {
	backoff := first
	for {
		start := time.Now()
		err := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped without error")
		}
		if time.Since(start) > most {
			backoff = first
		}
		log.Error("read models stopped; restarting", slog.String("error", err.Error()), slog.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, most)
	}
}
