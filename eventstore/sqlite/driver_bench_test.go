package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver"
	_ "modernc.org/sqlite"
)

// BenchmarkDriver compares the two pure-Go SQLite drivers on the store's
// two hot paths (batched durable inserts, sequential scans) through
// database/sql, so that the choice of driver rests on a measurement.
func BenchmarkDriver(b *testing.B) {
	drivers := []struct{ name, driver, dsn string }{
		{"ncruces", "sqlite3", "file:%s?_pragma=journal_mode(wal)&_pragma=synchronous(full)"},
		{"modernc", "sqlite", "file:%s?_pragma=journal_mode(wal)&_pragma=synchronous(full)"},
	}
	payload := make([]byte, 300)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	for _, d := range drivers {
		open := func(b *testing.B) *sql.DB {
			db, err := sql.Open(d.driver, fmt.Sprintf(d.dsn, filepath.Join(b.TempDir(), "x.db")))
			if err != nil {
				b.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			if _, err := db.Exec(`CREATE TABLE t (pos INTEGER PRIMARY KEY, stream TEXT NOT NULL, rev INTEGER NOT NULL, id BLOB NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL, meta BLOB, at INTEGER NOT NULL);
CREATE UNIQUE INDEX t_sr ON t(stream, rev); CREATE UNIQUE INDEX t_id ON t(id);`); err != nil {
				b.Fatal(err)
			}
			return db
		}
		insert := func(b *testing.B, db *sql.DB, n, batch int) {
			ctx := context.Background()
			id := make([]byte, 16)
			for i := 0; i < n; i += batch {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				st, err := tx.Prepare(`INSERT INTO t (stream, rev, id, type, data, meta, at) VALUES (?,?,?,?,?,?,?)`)
				if err != nil {
					b.Fatal(err)
				}
				for j := i; j < i+batch && j < n; j++ {
					var mx sql.NullInt64
					if err := tx.QueryRow(`SELECT MAX(rev) FROM t WHERE stream = ?`, fmt.Sprint("s-", j%64)).Scan(&mx); err != nil {
						b.Fatal(err)
					}
					id[0], id[1], id[2], id[3] = byte(j>>24), byte(j>>16), byte(j>>8), byte(j)
					if _, err := st.Exec(fmt.Sprint("s-", j%64), j/64, id, "thing.happened", payload, nil, int64(j)); err != nil {
						b.Fatal(err)
					}
				}
				st.Close()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(d.name+"/insert-batch64", func(b *testing.B) {
			db := open(b)
			defer db.Close()
			b.ResetTimer()
			insert(b, db, b.N, 64)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(d.name+"/scan", func(b *testing.B) {
			db := open(b)
			defer db.Close()
			insert(b, db, 100000, 1000)
			b.ResetTimer()
			n := 0
			for n < b.N {
				rows, err := db.Query(`SELECT pos, stream, rev, id, type, data, meta, at FROM t ORDER BY pos`)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() && n < b.N {
					var pos, rev, at int64
					var stream, typ string
					var id, data, meta []byte
					if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &data, &meta, &at); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
