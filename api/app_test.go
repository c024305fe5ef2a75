package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// TestAppMount: the web front end answers page loads of / and its files
// under /assets/; everything else, other methods on / included, is the
// API's, with the API's strict headers.
func TestAppMount(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "app")
		_, _ = w.Write([]byte("the app"))
	})
	newServer := func(app http.Handler) *api.Server {
		s, err := api.New(testConfig(), api.Deps{
			Ledger: ledger.New(store, ledger.Options{}), Auth: reg, Store: store, App: app,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with, without := newServer(app), newServer(nil)
	cases := []struct {
		srv          *api.Server
		method, path string
		app          bool // answered by the app
		status       int
	}{
		{with, http.MethodGet, "/", true, 200},
		{with, http.MethodHead, "/", true, 200},
		{with, http.MethodGet, "/assets/index-x.js", true, 200},
		{with, http.MethodPost, "/", false, 404},
		{with, http.MethodGet, "/index.html", false, 404},
		{with, http.MethodGet, "/v1/me", false, 401},
		{with, http.MethodGet, "/healthz", false, 200},
		{without, http.MethodGet, "/", false, 404},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		c.srv.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		isApp := rec.Header().Get("Content-Security-Policy") == "app"
		if isApp != c.app || rec.Code != c.status {
			t.Errorf("%s %s (app mounted: %v): status %d, by the app %v; want %d, %v", c.method, c.path, c.srv == with, rec.Code, isApp, c.status, c.app)
		}
		if !c.app && !strings.HasPrefix(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s %s: the API's CSP is missing: %q", c.method, c.path, rec.Header().Get("Content-Security-Policy"))
		}
	}
}
