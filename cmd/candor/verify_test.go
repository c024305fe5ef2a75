package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore/sqlite"
)

// verify passes on the demo store, then fails, naming the link, once an
// event was edited in the database file.
func TestVerifyCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	print, err := loadDemo(ctx, store, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	print(&out, "http://localhost:8080")
	if !strings.Contains(out.String(), "client") || strings.Count(out.String(), "cnd_") < 3 {
		t.Fatalf("demo output lacks the tokens:\n%s", out.String())
	}
	reg.Close()
	store.Close()

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"verify", "--data", dir}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "OK: ") {
		t.Fatalf("verify on an untouched store: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}

	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.ExecContext(ctx, `UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'Wishlist', 'Wishlist (requested)') AS BLOB) WHERE type = 'feature.proposed'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tampered %d rows, want 1", n)
	}
	db.Close()

	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"verify", "--data", dir}, &stdout, &stderr); code != 1 || !strings.Contains(stdout.String(), "BROKEN") {
		t.Fatalf("verify after tampering: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
