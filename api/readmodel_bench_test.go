package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/projections"
)

// BenchmarkReadModelGET compares, in one run, a read-model GET through the
// whole server (request id, logging, metrics, auth, rate limit, OpenAPI
// validation, authorization on the engagement's state, the projection
// query) with a bare Echo handler that returns the same JSON bytes. Both
// are called in process, so the figure is the server's own cost.
func BenchmarkReadModelGET(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	reg, err := auth.Open(ctx, store)
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Close()
	d, err := demo.Load(ctx, store, reg, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	eng, err := projections.Open(ctx, filepath.Join(dir, "readmodels.db"), store, projections.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = eng.Run(runCtx) }()
	head, _ := store.Head(ctx)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := eng.WaitFor(wctx, head); err != nil {
		b.Fatal(err)
	}
	srv, err := api.New(api.Config{RateLimit: -1}, api.Deps{
		Ledger: ledger.New(store, ledger.Options{}), Auth: reg, Store: store,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
		ReadModels: eng, Queries: eng,
	})
	if err != nil {
		b.Fatal(err)
	}
	path := "/v1/engagements/" + d.EngagementID + "/delay-register"
	get := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+d.Client.Token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	first := get(srv)
	if first.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, first.Code, first.Body)
	}
	body := first.Body.Bytes()
	bare := echo.New()
	bare.GET("/v1/engagements/:id/delay-register", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, body)
	})

	var full, plain float64
	b.Run("candor", func(b *testing.B) {
		for b.Loop() {
			if rec := get(srv); rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
		full = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("bare-echo", func(b *testing.B) {
		for b.Loop() {
			if rec := get(bare); rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
		plain = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	if plain > 0 {
		b.ReportMetric(full/plain, "candor/bare")
	}

	// The same pair over a real loopback connection (keep-alive client,
	// net/http servers), where both also pay what a user's request pays.
	overLoopback := func(h http.Handler) func(b *testing.B) {
		return func(b *testing.B) {
			ts := httptest.NewServer(h)
			defer ts.Close()
			client := ts.Client()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+d.Client.Token)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatal(res.StatusCode)
				}
			}
		}
	}
	b.Run("candor-loopback", overLoopback(srv))
	b.Run("bare-echo-loopback", overLoopback(bare))
}
