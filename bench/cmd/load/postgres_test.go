package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// PostgreSQL tests start a real server: they run when CANDOR_BENCH_PG=1
// (.ci/run sets it, after installing Debian's postgresql) and then fail if
// PostgreSQL is not installed.
func needPostgres(t *testing.T) {
	t.Helper()
	if os.Getenv("CANDOR_BENCH_PG") != "1" {
		t.Skip("set CANDOR_BENCH_PG=1 to start a PostgreSQL server (apt-get install postgresql)")
	}
	if _, err := pgBinDir(); err != nil {
		t.Fatal(err)
	}
}

// The helper starts a durable server in its own directory, the pg peer
// keeps one row per request, and stop leaves neither process nor
// directory behind.
func TestPostgresHelperAndPeer(t *testing.T) {
	needPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, err := startPostgres(ctx, "", "", 8)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			pg.stop()
		}
	}()
	if pg.version == "" {
		t.Error("no server_version")
	}
	conn, err := pgx.Connect(ctx, pg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "listen_addresses": "127.0.0.1", "unix_socket_directories": ""} {
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil || v != want {
			t.Errorf("SHOW %s = %q, %v; want %q", name, v, err, want)
		}
	}
	if _, err := treeCPU(pg.pid()); err != nil {
		t.Errorf("postgres CPU: %v", err)
	}

	pool, err := openPG(ctx, pg.dsn, 4)
	if err != nil {
		t.Fatal(err)
	}
	if st := pool.Stat(); st.TotalConns() != 4 {
		t.Errorf("pool opened %d connections, want all 4", st.TotalConns())
	}
	srv := httptest.NewServer(pgHandler(pool))
	eng := uuid.NewString()
	for _, bad := range badRequests {
		e := eng
		if bad.engagement != "" {
			e = bad.engagement
		}
		if code, body := post(t, srv.URL, e, bad.body); code < 400 || code >= 500 {
			t.Errorf("%s: %d %s, want a 4xx", bad.name, code, body)
		}
	}
	for range 3 {
		if code, body := post(t, srv.URL, eng, `{"name":"Expert","expertise":"load testing"}`); code != http.StatusCreated {
			t.Fatalf("%d %s", code, body)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM experts WHERE engagement_id = $1 AND name = 'Expert'", eng).Scan(&n); err != nil || n != 3 {
		t.Errorf("rows for the engagement: %d, %v; want 3", n, err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM experts").Scan(&n); err != nil || n != 3 {
		t.Errorf("rows: %d, %v; want 3 (refused requests keep nothing)", n, err)
	}
	srv.Close()
	pool.Close()
	_ = conn.Close(ctx)

	pg.stop()
	stopped = true
	select {
	case <-pg.exited:
	default:
		t.Error("postgres still running after stop")
	}
	if _, err := os.Stat(pg.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s still there: %v", pg.dir, err)
	}
	if c, err := pgx.Connect(ctx, pg.dsn); err == nil {
		_ = c.Close(ctx)
		t.Error("a connection succeeded after stop")
	}
}
