package projections

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

func TestMentions(t *testing.T) {
	for _, tc := range []struct {
		query, table string
		want         bool
	}{
		{"SELECT data FROM p_timeline_g1 WHERE eng = ?", "p_timeline_g1", true},
		{"SELECT data FROM p_timeline_g12 WHERE eng = ?", "p_timeline_g1", false},
		{"SELECT data FROM xp_timeline_g1 WHERE eng = ?", "p_timeline_g1", false},
		{"SELECT data FROM p_timeline_g1", "p_timeline_g1", true},
		{"p_timeline_g1", "p_timeline_g1", true},
		{"SELECT data FROM p_timeline_g12, p_timeline_g1 WHERE 1", "p_timeline_g1", true},
		{"SELECT data FROM p_decisions_g1", "p_timeline_g1", false},
	} {
		if got := mentions(tc.query, tc.table); got != tc.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tc.query, tc.table, got, tc.want)
		}
	}
}

// Dropping one generation's table must not close the statements of the
// others: a query may hold one between the cache and running it (CI saw
// "sql: statement is closed" in TestRebuildWhileServing when it did).
func TestStmtCacheForgetClosesOnlyThatTable(t *testing.T) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`CREATE TABLE p_t_g1 (x)`, `CREATE TABLE p_t_g12 (x)`, `INSERT INTO p_t_g1 VALUES (1)`, `INSERT INTO p_t_g12 VALUES (12)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	c := &stmtCache{db: db}
	defer c.closeAll()
	old, err := c.get(ctx, `SELECT x FROM p_t_g1`)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := c.get(ctx, `SELECT x FROM p_t_g12`)
	if err != nil {
		t.Fatal(err)
	}
	c.forget("p_t_g1")

	var x int
	if err := kept.QueryRowContext(ctx).Scan(&x); err != nil || x != 12 {
		t.Errorf("statement of another table after forget: %d, %v", x, err)
	}
	if err := old.QueryRowContext(ctx).Scan(&x); err == nil {
		t.Error("statement of the forgotten table still runs")
	}
	if again, _ := c.get(ctx, `SELECT x FROM p_t_g1`); again == old {
		t.Error("forgotten statement still cached")
	}
}
