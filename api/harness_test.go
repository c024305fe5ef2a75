package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/personal"
	"github.com/candor-ledger/candor/projections"
)

// testServer is a real server on a loopback port over a fresh embedded
// store, driven over HTTP by a client that validates every response
// against the contract.
type testServer struct {
	t   *testing.T
	dir string
	cfg api.Config
	rm  api.ReadModels // optional, set before start
	// withProjections runs a projections engine over the store (its
	// readmodels.db next to events.db), as ReadModels and Queries.
	withProjections bool
	engine          *projections.Engine
	engineStop      func()
	// withEvidence runs a transparency log over the store (evidence.db
	// next to events.db); evidenceSetup, when set, runs on it before serving.
	withEvidence  bool
	evidenceSetup func(*evidence.Log)
	evidence      *evidence.Log
	evidenceStop  func()
	// withPersonal seals personal fields with keys in keys.db next to
	// events.db and opens them in responses, as serve does.
	withPersonal bool
	keys         *keystore.Store
	store        eventstore.Store
	reg          *auth.Registry
	srv          *api.Server
	url          string
	admin        string // admin bearer token
	logs         *syncBuffer
	cancel       context.CancelFunc
	done         chan error
	client       *http.Client
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig disables the rate limit, which concurrent tests would trip.
func testConfig() api.Config { return api.Config{RateLimit: -1} }

func startServer(t *testing.T, cfg api.Config) *testServer {
	t.Helper()
	return startServerWith(t, cfg, nil)
}

func startServerWith(t *testing.T, cfg api.Config, rm api.ReadModels) *testServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server")
	}
	ts := &testServer{t: t, dir: t.TempDir(), cfg: cfg, rm: rm, logs: &syncBuffer{}}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

// startServerWithProjections starts a server whose read models are a real
// projections engine following the store.
func startServerWithProjections(t *testing.T, cfg api.Config) *testServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server")
	}
	// With the transparency log too: the full stack, as serve runs it.
	ts := &testServer{t: t, dir: t.TempDir(), cfg: cfg, logs: &syncBuffer{}, withProjections: true, withEvidence: true, withPersonal: true}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	t := ts.t
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(ts.dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if secret, created, err := reg.Bootstrap(ctx, ""); err != nil {
		t.Fatal(err)
	} else if created {
		ts.admin = secret
	}
	ts.store, ts.reg = store, reg
	logger := slog.New(slog.NewJSONHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	metrics := prometheus.NewRegistry()
	deps := api.Deps{
		Ledger: ledger.New(store, ledger.Options{}), Auth: reg, Store: store, Logger: logger,
		Registerer: metrics, ReadModels: ts.rm,
	}
	if ts.withPersonal {
		keys, err := keystore.Open(ctx, filepath.Join(ts.dir, keystore.File))
		if err != nil {
			t.Fatal(err)
		}
		pd, err := personal.NewService(ctx, store, keys)
		if err != nil {
			t.Fatal(err)
		}
		ts.keys, deps.Personal = keys, pd
		deps.Ledger = ledger.New(store, ledger.Options{Seal: pd.Cipher().Seal})
	}
	if ts.withProjections {
		eng, err := projections.Open(ctx, filepath.Join(ts.dir, "readmodels.db"), store, projections.Options{Registerer: metrics, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- eng.Run(runCtx) }()
		ts.engine = eng
		ts.engineStop = func() {
			cancel()
			if err := <-done; err != nil {
				// Run is documented to return nil once its context is done;
				// it sometimes returns SQLite's "interrupted" instead
				// (reported to the projections' owner). Not this suite's concern.
				t.Logf("projections run after cancel: %v", err)
			}
			if err := eng.Close(); err != nil {
				t.Errorf("close projections: %v", err)
			}
		}
		deps.ReadModels, deps.Queries = eng, eng
	}
	if ts.withEvidence {
		ts.evidence, ts.evidenceStop = startEvidence(t, ts.dir, store)
		if ts.evidenceSetup != nil {
			ts.evidenceSetup(ts.evidence)
		}
		deps.Evidence = ts.evidence
	}
	srv, err := api.New(ts.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.srv, ts.url = srv, "http://"+ln.Addr().String()
	runCtx, cancel := context.WithCancel(context.Background())
	ts.cancel, ts.done = cancel, make(chan error, 1)
	go func() { ts.done <- srv.Run(runCtx, ln) }()
	ts.client = &http.Client{Transport: newValidatingTransport(t, ts.url), Timeout: 30 * time.Second}
}

func (ts *testServer) stop() {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	if err := <-ts.done; err != nil {
		ts.t.Errorf("server shutdown: %v", err)
	}
	ts.cancel = nil
	if ts.engineStop != nil {
		ts.engineStop()
		ts.engineStop = nil
	}
	if ts.evidenceStop != nil {
		ts.evidenceStop()
		ts.evidenceStop = nil
	}
	_ = ts.reg.Close()
	if ts.keys != nil {
		_ = ts.keys.Close()
	}
	if err := ts.store.Close(); err != nil {
		ts.t.Errorf("close store: %v", err)
	}
}

// restart stops the server and starts a new one on the same data dir.
func (ts *testServer) restart() {
	ts.stop()
	ts.start()
}

// validatingTransport checks every response against the contract
// (kin-openapi's ValidateResponse, undeclared statuses included). A
// request meant to reach an unlisted route says so with headerUnlisted.
type validatingTransport struct {
	t      *testing.T
	router routers.Router
	base   http.RoundTripper // default: http.DefaultTransport
}

const headerUnlisted = "X-Test-Unlisted-Route"

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	specOnce.Do(func() { specDoc, specErr = api.LoadSpec(context.Background()) })
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specDoc
}

func init() {
	// The reference page is HTML; its schema is a string, as text/plain's.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.PlainBodyDecoder)
}

func newValidatingTransport(t *testing.T, baseURL string) *validatingTransport {
	doc := *loadSpec(t) // a shallow copy, to point its server at this test's port
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	router, err := gorillamux.NewRouter(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return &validatingTransport{t: t, router: router}
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	unlisted := req.Header.Get(headerUnlisted) != ""
	req.Header.Del(headerUnlisted)
	base := v.base
	if base == nil {
		base = http.DefaultTransport
	}
	res, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// A stream does not end: check its status and headers against the
		// contract and hand the body over unread (the test reads the events).
		v.validate(req, res, nil)
		return res, nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if unlisted {
		if _, _, err := v.router.FindRoute(req); err == nil {
			v.t.Errorf("%s %s: expected an unlisted route, the contract has it", req.Method, req.URL.Path)
		}
		return res, nil
	}
	v.validate(req, res, body)
	return res, nil
}

// validate checks one response against the contract; a nil body (a
// stream) is not checked, its status and headers are.
func (v *validatingTransport) validate(req *http.Request, res *http.Response, body []byte) {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.t.Errorf("%s %s: not a route of the contract: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: body == nil},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		v.t.Errorf("%s %s -> %d: response does not match the contract: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, truncate(body))
	}
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// response is what a test looks at.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r response) problem(t *testing.T) problem {
	t.Helper()
	var p problem
	r.json(t, &p)
	return p
}

type problem struct {
	Type, Title, Detail, Instance, Code string
	RequestID                           string `json:"request_id"`
	Status                              int
	Errors                              []struct{ Pointer, Parameter, Detail string }
}

// req is one request to send.
type req struct {
	method, path, token string
	body                any // marshalled as JSON unless []byte or string
	header              map[string]string
}

func (ts *testServer) do(r req) response {
	ts.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.method, ts.url+r.path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := ts.client.Do(hr)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// A stream does not end; closing it hangs up (see openFeed to read one).
		return response{Status: res.StatusCode, Header: res.Header}
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (ts *testServer) get(token, path string) response {
	ts.t.Helper()
	return ts.do(req{method: http.MethodGet, path: path, token: token})
}

func (ts *testServer) post(token, path string, body any) response {
	ts.t.Helper()
	return ts.do(req{method: http.MethodPost, path: path, token: token, body: body})
}

// must fails the test unless r has the wanted status.
func must(t *testing.T, r response, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, truncate(r.Body))
	}
	return r
}

// newPrincipal creates a principal with a token and returns its id and
// secret.
func (ts *testServer) newPrincipal(name, role string) (id, token string) {
	ts.t.Helper()
	var p struct{ ID string }
	must(ts.t, ts.post(ts.admin, "/v1/principals", map[string]any{"name": name, "role": role}), http.StatusCreated).json(ts.t, &p)
	var tok struct{ Token string }
	must(ts.t, ts.post(ts.admin, "/v1/principals/"+p.ID+"/tokens", map[string]any{"label": "test"}), http.StatusCreated).json(ts.t, &tok)
	return p.ID, tok.Token
}

type writeResult struct {
	Events []struct {
		ID, Type   string
		Revision   uint64
		Position   uint64
		RecordedAt time.Time `json:"recorded_at"`
		Data       map[string]any
	}
	Revision, Position uint64
}

// openEngagement opens an engagement as token's principal, on the given
// side, and returns its id and the opener's stakeholder id.
func (ts *testServer) openEngagement(token, party, title string) (id, stakeholderID string) {
	ts.t.Helper()
	r := must(ts.t, ts.post(token, "/v1/engagements", map[string]any{
		"title": title, "client_name": "ACME", "supplier_name": "Candor Consulting",
		"opener": map[string]any{"party": party, "name": "Opener of " + title, "role": "lead"},
	}), http.StatusCreated)
	loc := r.Header.Get("Location")
	id = strings.TrimPrefix(loc, "/v1/engagements/")
	var e struct {
		StakeholderID string `json:"stakeholder_id"`
	}
	must(ts.t, ts.get(token, loc), http.StatusOK).json(ts.t, &e)
	return id, e.StakeholderID
}

// addStakeholder adds a stakeholder linked to principalID.
func (ts *testServer) addStakeholder(token, engagementID, party, name, principalID string) string {
	ts.t.Helper()
	body := map[string]any{"party": party, "name": name}
	if principalID != "" {
		body["principal_id"] = principalID
	}
	r := must(ts.t, ts.post(token, "/v1/engagements/"+engagementID+"/stakeholders", body), http.StatusCreated)
	loc := r.Header.Get("Location")
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

// scopedEngagement opens an engagement as the supplier, adds the client's
// stakeholder (linked to clientPrincipal) and advances to scoping, where
// requirements, workshops and milestones are allowed.
func (ts *testServer) scopedEngagement(supplierToken, clientPrincipal, title string) (id, supplierSH, clientSH string) {
	ts.t.Helper()
	id, supplierSH = ts.openEngagement(supplierToken, "supplier", title)
	clientSH = ts.addStakeholder(supplierToken, id, "client", "Chloe Client", clientPrincipal)
	must(ts.t, ts.post(supplierToken, "/v1/engagements/"+id+"/phase", map[string]any{"to": "scoping"}), http.StatusOK)
	return id, supplierSH, clientSH
}

// newPrincipalDirect creates a principal and token in the registry, not
// over HTTP (for tests where the admin's requests would count).
func (ts *testServer) newPrincipalDirect(name string, role auth.Role) (id, token string) {
	ts.t.Helper()
	p, err := ts.reg.CreatePrincipal(context.Background(), name, role)
	if err != nil {
		ts.t.Fatal(err)
	}
	tok, err := ts.reg.IssueToken(context.Background(), p.ID, "test")
	if err != nil {
		ts.t.Fatal(err)
	}
	return p.ID, tok.Secret
}

// waitProjections waits until the read models have applied every event
// stored so far.
func (ts *testServer) waitProjections() {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	head, err := ts.store.Head(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	if err := ts.engine.WaitFor(ctx, head); err != nil {
		ts.t.Fatal(err)
	}
}
