package sqlite

import (
	"fmt"

	"github.com/ncruces/go-sqlite3"
)

// migrations[i] takes the schema from version i to version i+1; the file's
// PRAGMA user_version is the number of migrations applied. Only append to
// this list: a released migration never changes.
var migrations = []string{
	// 1: the events table. pos is the rowid, so reading in position order
	// is a scan of the table itself. append_end is the position of the last
	// event of the Append that stored the row: with it an idempotent retry
	// finds that Append's result.
	`CREATE TABLE events (
		pos         INTEGER PRIMARY KEY,
		stream      TEXT    NOT NULL,
		rev         INTEGER NOT NULL,
		id          BLOB    NOT NULL,
		type        TEXT    NOT NULL,
		recorded_at INTEGER NOT NULL,
		append_end  INTEGER NOT NULL,
		data        BLOB    NOT NULL,
		meta        BLOB
	);
	CREATE UNIQUE INDEX events_stream_rev ON events (stream, rev);
	CREATE UNIQUE INDEX events_id ON events (id);`,
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

// migrate brings the file to SchemaVersion, or refuses a newer file.
func migrate(conn *sqlite3.Conn) error {
	v, err := userVersion(conn)
	if err != nil {
		return classify("read schema version", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("file has schema version %d, this build knows up to %d: %w", v, SchemaVersion, ErrSchemaTooNew)
	}
	for ; v < SchemaVersion; v++ {
		if err := migrateOne(conn, v); err != nil {
			return classify(fmt.Sprintf("migrate schema to version %d", v+1), err)
		}
	}
	return nil
}

func migrateOne(conn *sqlite3.Conn, from int) (err error) {
	if err := conn.Exec(`BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = conn.Exec(`ROLLBACK`)
		}
	}()
	// Read again under the write lock: another process may have migrated.
	v, err := userVersion(conn)
	if err != nil {
		return err
	}
	if v == from {
		if err := conn.Exec(migrations[from]); err != nil {
			return err
		}
		if err := conn.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, from+1)); err != nil {
			return err
		}
	}
	return conn.Exec(`COMMIT`)
}

func userVersion(conn *sqlite3.Conn) (int, error) {
	st, _, err := conn.Prepare(`PRAGMA user_version`)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("PRAGMA user_version returned no row")
	}
	return st.ColumnInt(0), nil
}
