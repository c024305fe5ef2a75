// Package api is Candor's REST API: an echo server whose routes, request
// validation and documentation all come from the embedded OpenAPI contract
// (candor.OpenAPI).
//
// Every request goes through the same chain: request id, panic recovery,
// metrics and access log, security headers, CORS, body limit, bearer
// authentication, per-token rate limit, then validation against the
// contract (kin-openapi) before the handler runs. Every error, whatever its
// origin, leaves through one handler that writes RFC 9457 problem+json.
//
// Write handlers share one generic helper (see write.go): decode the body
// into the domain command, fill the ids and the acting stakeholder, and let
// the ledger decide and append.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
)

// Config tunes the server. The zero value is usable: every zero field takes
// the default named in its comment.
type Config struct {
	// CORSOrigins lists the browser origins allowed to call the API
	// ("https://app.example.com"); none by default. "*" allows any origin.
	CORSOrigins []string
	// RateLimit is the sustained number of requests per second allowed per
	// bearer token; 0 means the default (50), a negative value disables the
	// limit, and the one on failed authentications too. RateBurst is the
	// burst above it (default 2×RateLimit).
	RateLimit float64
	RateBurst int
	// AuthFailureRate is the sustained number of failed authentications
	// per second allowed per client address (default 1), AuthFailureBurst
	// the burst above it (default 30); past them a failure answers 429.
	AuthFailureRate  float64
	AuthFailureBurst int
	// MaxBodyBytes bounds request bodies (default 1 MiB); larger ones get 413.
	MaxBodyBytes int64
	// ShutdownTimeout bounds the wait for in-flight requests on shutdown
	// (default 30s).
	ShutdownTimeout time.Duration
	// WaitTimeout bounds a read-your-writes wait on the read models
	// (default 5s); past it the read answers 503 not_caught_up.
	WaitTimeout time.Duration
	// HeartbeatInterval is how often an idle event feed sends a comment
	// line, so that proxies keep the stream open (default 15s).
	HeartbeatInterval time.Duration
	// WriteTimeout bounds one command execution (default 15s). Writes run on
	// a context detached from the client's, so that a client hanging up
	// does not abort a write half-way: it completes or times out.
	WriteTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.RateLimit == 0 {
		c.RateLimit = 50
	}
	if c.RateBurst <= 0 {
		c.RateBurst = max(1, int(2*c.RateLimit))
	}
	switch {
	case c.RateLimit < 0:
		c.AuthFailureRate = -1
	case c.AuthFailureRate == 0:
		c.AuthFailureRate = 1
	}
	if c.AuthFailureBurst <= 0 {
		c.AuthFailureBurst = 30
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = 5 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 15 * time.Second
	}
	return c
}

// ReadModels is what the projections offer the API. The API works without
// them (reads then come from the ledger's folded state); when set, a request
// carrying X-Candor-Position or ?min_position= waits (bounded) until the
// read models have applied that position.
type ReadModels interface {
	// WaitFor returns once every read model has applied pos, or with ctx's
	// error.
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// CheckpointReporter is optionally implemented by ReadModels: the
// candor_projection_lag_events gauge reports, per projection, how far its
// checkpoint is behind the store's head.
type CheckpointReporter interface {
	Checkpoints() map[string]eventstore.Position
}

// Deps are the collaborators of the server.
type Deps struct {
	Ledger *ledger.Ledger
	Auth   *auth.Registry
	Store  eventstore.Store // head for readiness, the raw event log
	Logger *slog.Logger     // default: slog.Default()
	// Registerer receives the server's metrics (default: a fresh registry).
	// Gatherer is what /metrics exposes; by default the Registerer when it
	// is also a Gatherer (as *prometheus.Registry is).
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	ReadModels ReadModels // optional
	// Queries answers the read-model endpoints (timeline, boards, registers,
	// transparency, knowledge...); *projections.Engine implements it. Without
	// it those endpoints answer 503.
	Queries Queries // optional
	// Evidence is the transparency log (docs/EVIDENCE.md): receipts on
	// writes, the evidence endpoints, witnessed checkpoints, read-only on a
	// breach. Nil: none of these.
	Evidence *evidence.Log // optional
	// App, when set, is the web front end (web.Handler): it answers GET and
	// HEAD of "/" and "/assets/...", with its own headers, outside the
	// contract; every other request is the API's.
	App http.Handler // optional
	// Personal opens personal fields in responses and serves erasure and
	// access (*personal.Service); optional.
	Personal Personal
}

// Server is the HTTP API. It is an http.Handler; Run serves it on a
// listener with graceful shutdown.
type Server struct {
	cfg      Config
	ledger   *ledger.Ledger
	auth     *auth.Registry
	store    eventstore.Store
	rm       ReadModels
	q        Queries
	evidence *evidence.Log
	app      http.Handler
	log      *slog.Logger

	personal Personal

	e            *echo.Echo
	doc          *openapi3.T
	routes       map[routeKey]*route // served contract operations
	filter       *openapi3filter.Options
	unmatchedLog slog.Handler // the access log of unrouted requests
	metrics      *metrics
	limits       *limiters
	failures     *authFailures
	index        *engagementIndex
	cache        *responseCache // nil: no caching

	shuttingDown atomic.Bool
	inflight     sync.WaitGroup // writes in progress
	// stopping is closed when shutdown begins: long-lived responses (the
	// SSE feed) end then, since http.Server.Shutdown does not cancel them.
	stopping chan struct{}
	stopOnce sync.Once
}

// New builds a server from the embedded contract. It fails if the contract
// is invalid or if an operation of the contract has no handler (or a
// handler no operation).
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Ledger == nil || deps.Auth == nil || deps.Store == nil {
		return nil, errors.New("api: Ledger, Auth and Store are required")
	}
	s := &Server{
		cfg: cfg.withDefaults(), ledger: deps.Ledger, auth: deps.Auth, store: deps.Store, rm: deps.ReadModels,
		q: deps.Queries, evidence: deps.Evidence, app: deps.App, log: deps.Logger, stopping: make(chan struct{}), personal: deps.Personal,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.unmatchedLog = s.log.Handler().WithAttrs([]slog.Attr{slog.String("route", "unmatched")}) // bounded: never the raw path
	doc, err := LoadSpec(context.Background())
	if err != nil {
		return nil, err
	}
	s.doc = doc
	s.filter = filterOptions(doc)
	reg, gat := deps.Registerer, deps.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gat = r, r
	}
	if gat == nil {
		if g, ok := reg.(prometheus.Gatherer); ok {
			gat = g
		} else {
			gat = prometheus.DefaultGatherer
		}
	}
	if s.metrics, err = newMetrics(reg, gat, s.store, s.rm); err != nil {
		return nil, err
	}
	if err := s.registerEvidenceMetrics(reg); err != nil {
		return nil, err
	}
	s.limits = newLimiters(s.cfg.RateLimit, s.cfg.RateBurst)
	s.failures = newAuthFailures(s.cfg.AuthFailureRate, s.cfg.AuthFailureBurst)
	s.index = newEngagementIndex(s.store)
	s.cache = newResponseCache(s.q)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(append([]echo.MiddlewareFunc{s.entry}, s.middleware()...)...)
	s.e = e
	if err := s.registerRoutes(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadSpec parses and validates the embedded contract.
func LoadSpec(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(candor.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("api: load openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("api: openapi.yaml is invalid: %w", err)
	}
	doc.SetStringFormatValidator("uuid", uuidFormat{})
	doc.SetStringFormatValidator("date-time", dateTimeFormat{})
	return doc, nil
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.app != nil && appRequest(r) {
		s.app.ServeHTTP(w, r)
		return
	}
	s.e.ServeHTTP(w, r)
}

// appRequest reports whether a request is for the web front end: a page
// load of "/" or one of its files. No API path starts with "/assets/".
func appRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/assets/")
}

// Routes lists the served routes as "METHOD /path/{param}", in the
// contract's notation.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.routes))
	for _, r := range s.e.Routes() {
		out = append(out, r.Method+" "+specPath(r.Path))
	}
	return out
}

// BeginShutdown makes /readyz answer 503 so that load balancers stop
// sending traffic; requests are still served, but event feeds end (their
// clients reconnect elsewhere with Last-Event-ID).
func (s *Server) BeginShutdown() {
	s.shuttingDown.Store(true)
	s.stopOnce.Do(func() { close(s.stopping) })
}

// Run serves on ln until ctx is done, then shuts down gracefully: /readyz
// turns 503, the listener closes, and in-flight requests (writes among
// them) finish within Config.ShutdownTimeout.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	s.BeginShutdown()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	// Shutdown returns once connections are idle; a write whose client
	// already hung up may still run on its detached context.
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		if err == nil {
			err = sctx.Err()
		}
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}
