package e2e_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor-ledger/candor/e2e"
)

// The binary is built once per test run, lazily, by the first test that
// needs it (so that `go test -short` builds nothing).
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

// long reports whether the long versions run (CANDOR_LONG=1).
func long() bool { return os.Getenv("CANDOR_LONG") == "1" }

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary returns the candor binary, building it on first use. Set
// CANDOR_E2E_RACE=1 to build it with the race detector.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the server (skipped with -short)")
	}
	buildOnce.Do(func() {
		root, err := e2e.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		if binDir, err = os.MkdirTemp("", "candor-e2e-bin-"); err != nil {
			buildErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		binPath, buildErr = e2e.BuildBinary(ctx, root, binDir, os.Getenv("CANDOR_E2E_RACE") == "1")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// env is a running server with an admin and a member who opened some
// engagements.
type env struct {
	t        *testing.T
	bin      string
	dataDir  string
	admin    string
	extraEnv []string
	srv      *e2e.Server
	cl       *e2e.Client
	memberID string
	member   string // bearer token
}

// start runs the server on a fresh data directory (dataDir if not empty).
func start(t *testing.T, dataDir string, extraEnv ...string) *env {
	t.Helper()
	bin := binary(t)
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "data")
	}
	e := &env{t: t, bin: bin, dataDir: dataDir, admin: e2e.NewAdminToken(), extraEnv: extraEnv}
	e.restart()
	t.Cleanup(func() {
		if e.srv != nil {
			_ = e.srv.Kill()
		}
	})
	return e
}

// restart starts the server (again) on the same data directory.
func (e *env) restart() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The log goes to a file beside the data, where every restart appends
	// to it: Logs() then tells the whole story of a crash test.
	srv, err := e2e.Start(ctx, e2e.ServerConfig{Binary: e.bin, DataDir: e.dataDir, AdminToken: e.admin,
		Env: append([]string{"CANDOR_RATE_LIMIT=off"}, e.extraEnv...), ReadyTimeout: time.Minute,
		LogFile: filepath.Clean(e.dataDir) + ".log"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv, e.cl = srv, e2e.NewClient(srv.URL)
}

// withMember creates a member principal and its token.
func (e *env) withMember() *env {
	e.t.Helper()
	id, tok, err := e.cl.NewMember(context.Background(), e.admin, "E2E Member")
	if err != nil {
		e.t.Fatal(err)
	}
	e.memberID, e.member = id, tok
	return e
}

func (e *env) openEngagement(title string) string {
	e.t.Helper()
	id, err := e.cl.OpenEngagement(context.Background(), e.member, title)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) do(r e2e.Request) *e2e.Response {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := e.cl.Do(ctx, r)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	return resp
}

// event is one entry of GET /v1/engagements/{id}/events.
type event struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Revision uint64          `json:"revision"`
	Position uint64          `json:"position"`
	Data     json.RawMessage `json:"data"`
}

// events reads the whole event log of an engagement, page by page.
func (e *env) events(token, engagementID string) ([]event, error) {
	var out []event
	cursor := ""
	for range 100000 {
		path := "/v1/engagements/" + engagementID + "/events?limit=200"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp, err := e.cl.Do(context.Background(), e2e.Request{Method: http.MethodGet, Path: path, Token: token})
		if err != nil {
			return nil, err
		}
		if resp.Status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %s", path, resp.Status, resp.Body)
		}
		var page struct {
			Items      []event `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := resp.JSON(&page); err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return out, nil
		}
		cursor = *page.NextCursor
	}
	return nil, fmt.Errorf("more than 100000 pages of events")
}

// checkLog checks the invariants of one engagement's log: revisions 0..n-1
// in order, positions strictly increasing, event ids unique.
func checkLog(t *testing.T, engagementID string, evs []event, seenIDs map[string]bool) {
	t.Helper()
	var lastPos uint64
	for i, ev := range evs {
		if ev.Revision != uint64(i) {
			t.Errorf("engagement %s: event %d has revision %d", engagementID, i, ev.Revision)
		}
		if i > 0 && ev.Position <= lastPos {
			t.Errorf("engagement %s: position %d after %d", engagementID, ev.Position, lastPos)
		}
		lastPos = ev.Position
		if seenIDs[ev.ID] {
			t.Errorf("event id %s stored twice", ev.ID)
		}
		seenIDs[ev.ID] = true
	}
}

// problem is the body of an error response.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// wantProblem checks that resp is a problem+json document of its status.
func wantProblem(t *testing.T, what string, resp *e2e.Response) problem {
	t.Helper()
	var p problem
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: status %d with Content-Type %q, want application/problem+json (body %.200s)", what, resp.Status, ct, resp.Body)
		return p
	}
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		t.Errorf("%s: problem body does not decode: %v", what, err)
		return p
	}
	if p.Status != resp.Status || p.Code == "" || p.Title == "" || p.Type == "" {
		t.Errorf("%s: incomplete problem %+v for status %d", what, p, resp.Status)
	}
	return p
}

// metricValue reads the largest sample of a metric family from /metrics.
func (e *env) metricValue(name string) (float64, bool) {
	resp := e.do(e2e.Request{Method: http.MethodGet, Path: "/metrics"})
	best, found := 0.0, false
	for line := range strings.SplitSeq(string(resp.Body), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil && (!found || v > best) {
			best, found = v, true
		}
	}
	return best, found
}

// waitCaughtUp waits until the server's projections report no lag.
func (e *env) waitCaughtUp(timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		lag, ok := e.metricValue("candor_projection_lag_positions")
		if ok && lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("projections not caught up after %s (lag %v positions, metric found: %v)", timeout, lag, ok)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
