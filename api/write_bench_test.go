package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/personal"
)

// BenchmarkWrite is one write (an expert invited, the write of the bench
// tool's write load) through the whole server, in process, on the
// embedded store. The store syncs every append: on a disk that dominates,
// so put the temporary directory on tmpfs to see the server's own cost,
// and profile it to see the HTTP share of a write:
//
//	TMPDIR=/dev/shm go test -run '^$' -bench Write -cpuprofile cpu.out ./api/
//
// seal=on seals the expert's name as serve does (a new subject each
// write: a key created, and synced, in keys.db) and opens it in the
// response; seal=off is the server without personal data.
func BenchmarkWrite(b *testing.B) {
	b.Run("seal=off", func(b *testing.B) { benchmarkWrite(b, false) })
	b.Run("seal=on", func(b *testing.B) { benchmarkWrite(b, true) })
}

func benchmarkWrite(b *testing.B, seal bool) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "events.db"))
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
	deps := api.Deps{
		Ledger: ledger.New(store, ledger.Options{}), Auth: reg, Store: store,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
	}
	if seal {
		keys, err := keystore.Open(ctx, filepath.Join(b.TempDir(), keystore.File))
		if err != nil {
			b.Fatal(err)
		}
		defer keys.Close()
		pd, err := personal.NewService(ctx, store, keys)
		if err != nil {
			b.Fatal(err)
		}
		deps.Ledger, deps.Personal = ledger.New(store, ledger.Options{Seal: pd.Cipher().Seal}), pd
	}
	srv, err := api.New(api.Config{RateLimit: -1}, deps)
	if err != nil {
		b.Fatal(err)
	}
	post := func(path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+d.Supplier.Token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec
	}
	// Fresh engagements (the demo's is past the phase where experts join),
	// a new one every 256 writes, so that the cost of a write does not
	// depend on how many the benchmark ran.
	const open = `{"title":"Bench","client_name":"C","supplier_name":"S","opener":{"party":"supplier","name":"Sam"}}`
	var path string
	n := 0
	for b.Loop() {
		if n%256 == 0 {
			path = post("/v1/engagements", open).Header().Get("Location") + "/experts"
		} else {
			post(path, fmt.Sprintf(`{"name":"Expert %d","expertise":"load testing"}`, n))
		}
		n++
	}
}
