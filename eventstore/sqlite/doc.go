// Package sqlite is Candor's embedded event store: one SQLite file, no
// server, implementing eventstore.Store.
//
// # Durability
//
// The file is in WAL mode with synchronous=FULL: an Append that returned nil
// has been fsynced to the write-ahead log, so it survives a kill -9 of the
// process and a power loss of the machine (as far as the disk honours
// fsync). An Append that returned an error other than a context error stored
// nothing. An Append whose context ended while it waited may or may not have
// been stored; retrying it with the same event ids is safe (see Idempotency).
//
// The write connection opens the file through a thin VFS (internal/walgather,
// registered as "candor-wal"; the OS VFS otherwise): the frames a commit appends to the
// WAL are gathered in memory and handed to the OS in one write when SQLite
// syncs the WAL, instead of two writes per page. SQLite syncs at every
// commit (synchronous=FULL) before it makes the commit visible to other
// connections, so nothing another connection, or a recovery, can read is
// missing; the connection's own reads of the WAL write the gathered bytes
// first. A write past the end of the WAL file takes zeros along up to the
// next MiB, so that later commits overwrite rather than extend the file and
// their fdatasync need not commit a new file size; zeros after the last
// frame end the log, as stale frames do in any WAL that started over. A
// path that is a "file:" URI naming a vfs keeps its own.
//
// # Group commit
//
// A single writer goroutine owns the only write connection. It takes every
// Append request waiting when it becomes free and stores them in one
// BEGIN IMMEDIATE transaction, so one fsync serves them all. Each request is
// still checked on its own (expected revision, idempotency) inside its own
// savepoint: a request that fails is rolled back alone and the others of its
// batch commit. Only a failure of the transaction itself (disk full, I/O
// error) fails the whole batch. The events of one transaction share one
// RecordedAt, read from the clock as it begins. WithGroupCommit(false) gives
// one transaction per Append, for comparison.
//
// The writer remembers the last revision of the streams it appended to or
// looked up (up to 65,536 streams), so that most Appends skip the revision
// lookup; the id lookup that makes retries idempotent stays. What a
// transaction learned is remembered only once its COMMIT succeeded, and
// forgotten at any failure, and whenever another connection (another
// process on the same file) committed: each transaction compares the file's
// data_version with the one it last saw.
//
// # Checkpoints
//
// SQLite's automatic checkpoint, which would copy the WAL into the database
// file inside the writer every 1,000 pages, is off. A checkpointer goroutine
// with its own connection copies the WAL in the background (PASSIVE: it
// blocks neither the writer nor readers) each time an eighth of the WAL
// limit (8,000 pages) was committed. Past the limit it holds the writer
// between two transactions while a RESTART checkpoint copies the few pages
// committed meanwhile and waits up to 100 ms for readers still on the old
// WAL; the next transaction then writes the WAL from its start, so the WAL
// file stays at about the limit (32 MiB with 4 KiB pages). Readers that
// hold a snapshot longer delay that by another limit each time. Close stops
// the checkpointer; the last connection to close checkpoints the whole WAL
// and removes it, as SQLite does.
//
// A new file gets 4 KiB pages. Smaller pages were measured (1 and 2 KiB:
// up to half the WAL bytes per group commit, as each stream of a batch
// dirties one leaf of the (stream, rev) index) but did not make appends
// measurably faster and slowed ReadAll by about a third, below its target;
// an existing file keeps the page size it was created with.
//
// # Ordering
//
// Positions are assigned by the single writer, consecutive within an Append
// and strictly increasing in commit order, so every read snapshot holds a
// prefix of the positions: a reader that saw position p never later finds an
// event below p. ReadAll and SubscribeAll read in position order. A
// subscription catches up from the file, then waits for the writer's commit
// notification (no polling) and reads what follows its last position, so
// the switch to live delivery has no gap and no duplicate.
//
// # Idempotency window
//
// Forever: event ids are unique in the whole file (a unique index; UUIDv7
// ids keep it append-mostly and cheap). Appending again, to the same stream,
// events whose ids were all stored by one earlier Append returns that
// Append's result and stores nothing, however long ago it was. Reusing an id
// in any other way (another stream, ids from different Appends, a mix of new
// and stored ids) fails with ErrDuplicateEventID.
//
// # Errors
//
// A full disk, a read-only file, an I/O error, a file that cannot be opened
// or a lock held by another process returns an error wrapping
// eventstore.ErrUnavailable; the store keeps serving reads, and later
// Appends are tried again. A file written by a newer schema version is
// refused with ErrSchemaTooNew.
package sqlite
