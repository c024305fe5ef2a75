package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on CANDOR_PPROF_ADDR
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/internal/fileperm"
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
	evidence        evidenceConfig // see evidence.go
	pprofAddr       string
	pprofAnyAddress bool
}

// demoLoader, when set (by the demo command's file), loads the sample
// engagement on `serve --demo`; what it returns prints its tokens and
// commands to try against the server at base.
var demoLoader func(ctx context.Context, store eventstore.Store, reg *auth.Registry, seal ledger.SealFunc) (print func(w io.Writer, base string), err error)

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
                        pprof has no authentication and its profiles show the
                        server's memory: an address that is not loopback is refused
                        unless --pprof-any-address says so.

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

Data directory: created 0700 (an existing one open to other users is made
so, with a warning), every file in it 0600. A process that uses it holds
<data>/candor.lock for its whole life: a second server, or an offline
command, on the same directory is refused, naming the process that holds it.

Locked out: when no admin can authenticate any more (its tokens lost), stop
the server and run 'candor admin-token' with the same --data and --eventstore.

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
	demo, err := envBool("CANDOR_DEMO")
	if err != nil {
		return c, err
	}
	pprofAny, err := envBool("CANDOR_PPROF_ANY_ADDRESS")
	if err != nil {
		return c, err
	}
	fs.StringVar(&c.addr, "addr", env("CANDOR_ADDR", ":8080"), "listen address (CANDOR_ADDR)")
	fs.StringVar(&c.dataDir, "data", env("CANDOR_DATA_DIR", "./data"), "data directory of the embedded store (CANDOR_DATA_DIR)")
	fs.StringVar(&c.eventStore, "eventstore", env("CANDOR_EVENTSTORE", ""), "event store: empty for the embedded SQLite store, or an esdb:// connection string (CANDOR_EVENTSTORE)")
	fs.StringVar(&c.corsOrigins, "cors-origins", env("CANDOR_CORS_ORIGINS", ""), "comma-separated browser origins allowed by CORS, e.g. https://app.example.com; none by default (CANDOR_CORS_ORIGINS)")
	fs.StringVar(&c.rateLimit, "rate-limit", env("CANDOR_RATE_LIMIT", "50"), "requests per second per bearer token, optionally with a burst as RATE:BURST (default burst 2×RATE); 0 or off disables it, and the limit on failed authentications per client address (CANDOR_RATE_LIMIT)")
	fs.StringVar(&c.logLevel, "log-level", env("CANDOR_LOG_LEVEL", "info"), "debug, info, warn or error (CANDOR_LOG_LEVEL)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", shutdown, "how long in-flight requests may take to finish on shutdown (CANDOR_SHUTDOWN_TIMEOUT)")
	fs.BoolVar(&c.demo, "demo", demo, "load a sample engagement and print tokens for its client, supplier and auditor (CANDOR_DEMO)")
	registerEvidenceFlags(fs, &c.evidence)
	if err := checkEvidenceEnv(); err != nil {
		return c, err
	}
	fs.BoolVar(&c.pprofAnyAddress, "pprof-any-address", pprofAny, "let CANDOR_PPROF_ADDR be an address that is not loopback (pprof has no authentication) (CANDOR_PPROF_ANY_ADDRESS)")
	if err := fs.Parse(args); err != nil {
		return c, usageErr(err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	for _, v := range []struct{ name, value string }{{"--addr (CANDOR_ADDR)", c.addr}, {"--data (CANDOR_DATA_DIR)", c.dataDir}} {
		if strings.TrimSpace(v.value) == "" {
			return c, fmt.Errorf("%w: %s is empty", errUsage, v.name)
		}
	}
	c.adminToken = os.Getenv("CANDOR_ADMIN_TOKEN")
	c.pprofAddr = os.Getenv("CANDOR_PPROF_ADDR")
	return c, nil
}

// envBool reads a boolean environment variable: unset is false, anything
// strconv.ParseBool does not read is refused (not taken for false).
func envBool(name string) (bool, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%w: %s=%q: want true or false", errUsage, name, v)
	}
	return b, nil
}

// parseRateLimit reads "RATE" or "RATE:BURST"; 0 or "off" disables (the
// per-token limit and the one on failed authentications). An empty value
// is refused: an unset variable takes the default, an empty one is a
// mistake that must not turn the limit off.
func parseRateLimit(s string) (float64, int, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return 0, 0, fmt.Errorf("%w: --rate-limit (CANDOR_RATE_LIMIT) is empty: want RATE, RATE:BURST, or off", errUsage)
	case "off", "0":
		return -1, 0, nil
	}
	r, b, hasBurst := strings.Cut(s, ":")
	rate, err := strconv.ParseFloat(r, 64)
	if err != nil || !(rate > 0) || math.IsInf(rate, 0) {
		return 0, 0, fmt.Errorf("%w: --rate-limit (CANDOR_RATE_LIMIT) %q: want RATE or RATE:BURST, RATE a number > 0, or off", errUsage, s)
	}
	burst := 0
	if hasBurst {
		if burst, err = strconv.Atoi(b); err != nil || burst < 1 {
			return 0, 0, fmt.Errorf("%w: --rate-limit (CANDOR_RATE_LIMIT) %q: BURST must be a positive integer", errUsage, s)
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

// checkPprofAddr refuses a pprof address that is not loopback, unless any
// says so: pprof answers anyone who reaches it, with the server's memory.
func checkPprofAddr(addr string, any bool) error {
	if addr == "" || any {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: CANDOR_PPROF_ADDR %q: %v", errUsage, addr, err)
	}
	if ip, err := netip.ParseAddr(host); host == "localhost" || err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: CANDOR_PPROF_ADDR %q is not a loopback address: pprof has no authentication and its profiles show the server's memory; "+
		"use 127.0.0.1:PORT, or --pprof-any-address (CANDOR_PPROF_ANY_ADDRESS=true) to expose it all the same", errUsage, addr)
}

// openStore opens the configured event store, with the embedded store's
// commit metrics on metrics unless nil.
func openStore(ctx context.Context, c serveConfig, metrics prometheus.Registerer) (eventstore.Store, string, error) {
	switch {
	case c.eventStore == "":
		if _, err := fileperm.PrivateDir(c.dataDir); err != nil {
			return nil, "", err
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
	if err := checkPprofAddr(c.pprofAddr, c.pprofAnyAddress); err != nil {
		return err
	}
	defer debug.SetMemoryLimit(setDefaultMemoryLimit())
	logOut := newLogWriter(stderr)
	defer logOut.Close()
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))

	release, err := holdDataDir(c.dataDir, "serve", func(m string) { log.Warn(m) })
	if err != nil {
		return err
	}
	defer release()
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
	// Personal fields are sealed by every ledger, the demo's included.
	pd, keys, err := openPersonal(ctx, c.dataDir, store)
	if err != nil {
		return fmt.Errorf("open key store: %w", err)
	}
	defer keys.Close()
	var printDemo func(io.Writer, string)
	if c.demo {
		switch {
		case demoLoader == nil:
			return errors.New("--demo is not available in this build")
		case !created:
			// Loading it into a store that has a history would mix a
			// made-up story with real facts, and a restart would tell it twice.
			fmt.Fprint(stdout, demoNotNew(c))
		default:
			if printDemo, err = demoLoader(ctx, store, reg, pd.Cipher().Seal); err != nil {
				return fmt.Errorf("load demo: %w", err)
			}
		}
	}
	ev, stopEvidence, err := startEvidence(ctx, c, store, stdout, log)
	if err != nil {
		return err
	}
	defer stopEvidence() // after the HTTP server drained: writes in flight get their receipt
	// On EventStoreDB other instances may append too: reads then catch up
	// with the stream instead of trusting this process's cache.
	lopts := ledger.Options{OnAppend: onAppend, Shared: c.eventStore != "", Seal: pd.Cipher().Seal}
	if ev != nil {
		lopts.Vouch = ev.Vouch // the log vouches for the end of each stream read
	}
	l := ledger.New(store, lopts)
	rm, err := openReadModels(ctx, c.dataDir, store, metrics, log)
	if err != nil {
		return err
	}
	defer rm.Close()
	run := &runState{}
	served := readModels{Engine: rm, runState: run}
	srv, err := api.New(api.Config{
		CORSOrigins: splitList(c.corsOrigins), RateLimit: rate, RateBurst: burst, ShutdownTimeout: c.shutdownTimeout,
	}, api.Deps{Ledger: l, Auth: reg, Store: store, Logger: log, Registerer: metrics, ReadModels: served, Queries: served, Evidence: ev, App: web.Handler(), Personal: pd})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	var pprofLn net.Listener
	if c.pprofAddr != "" {
		if pprofLn, err = net.Listen("tcp", c.pprofAddr); err != nil {
			ln.Close()
			return fmt.Errorf("CANDOR_PPROF_ADDR: %w", err)
		}
	}
	// The read models follow the store until the HTTP server has drained,
	// so that requests in flight can still wait for them.
	rmCtx, stopRM := context.WithCancel(context.WithoutCancel(ctx))
	rmDone := make(chan struct{})
	go func() {
		defer close(rmDone)
		runProjections(rmCtx, rm, run, log, time.Second, 30*time.Second)
	}()
	if pprofLn != nil {
		// Profiling for performance work, on its own listener so that it
		// is never exposed with the API.
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		go func() {
			log.Info("pprof", slog.String("addr", pprofLn.Addr().String()), slog.Any("err", http.Serve(pprofLn, nil)))
		}()
	}
	if printDemo != nil {
		printDemo(stdout, baseURL(ln.Addr()))
	}
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("store", storeName))
	err = srv.Run(ctx, ln)
	stopRM()
	<-rmDone
	if pprofLn != nil {
		pprofLn.Close()
	}
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// demoNotNew says why --demo loaded nothing, and what to do instead.
func demoNotNew(c serveConfig) string {
	what := "the store in " + c.dataDir
	remove := fmt.Sprintf("or remove %s first (everything stored in it is lost)", c.dataDir)
	if c.eventStore != "" {
		what, remove = "the event store", "or use a new event store"
	}
	return fmt.Sprintf(`--demo: %s is not new, so the sample engagement was not loaded: it only goes
into a new store (a story told into a real history would mix made-up facts
with real ones). To load it, stop this server and start it on another data
directory, e.g. 'candor serve --demo --data ./demo-data', %s.
If it holds the sample engagement from an earlier --demo start, its tokens
were printed then.

`, what, remove)
}

// baseURL is the URL a client on this machine reaches the listener at:
// an address on every interface is reached at localhost.
func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// openReadModels opens the projections engine on <data>/readmodels.db.
func openReadModels(ctx context.Context, dataDir string, store eventstore.Store, reg prometheus.Registerer, log *slog.Logger) (*projections.Engine, error) {
	if _, err := fileperm.PrivateDir(dataDir); err != nil {
		return nil, err
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

// runState says whether the read models are running, for /readyz: they
// are not while runProjections waits to start them again after a failure.
type runState struct {
	restarting atomic.Bool
}

// Restarting implements api.RunReporter.
func (r *runState) Restarting() bool { return r.restarting.Load() }

// readModels is the projections engine as the API sees it: with the state
// of its run.
type readModels struct {
	*projections.Engine
	*runState
}

// runProjections runs the read models until ctx is done. Run returns an
// error when applying an event or the store's subscription fails (the
// store restarting, a network cut to EventStoreDB): it is started again
// from its checkpoint after a pause that doubles on each failure in a row,
// from first up to most, and starts over once a run lasted longer than
// most. Serving goes on meanwhile; the read models only lag, and state
// says they are restarting until they run again.
func runProjections(ctx context.Context, r runner, state *runState, log *slog.Logger, first, most time.Duration) {
	backoff := first
	for {
		start := time.Now()
		state.restarting.Store(false)
		err := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		state.restarting.Store(true)
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
