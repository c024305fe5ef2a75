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
