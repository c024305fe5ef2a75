// Package keystore keeps the secret keys of data subjects (a stakeholder,
// an expert, a principal), apart from the events, so that destroying a
// subject's keys makes every copy of their personal data unreadable
// (crypto-shredding) while the events and their hashes stay as they are.
//
// The keys live in their own SQLite file (keys.db in the data directory,
// mode 0600), never in the event store: the log is immutable and its
// backups are kept long, while a key must be destroyable for good. The
// file uses a write-ahead log and secure_delete; an erasure checkpoints
// and truncates the log, so that the key's bytes are overwritten in the
// file itself and no page of the log that held them is left.
//
// Every key has an id (kid), and the envelope that uses it names it. Keys
// are created ahead, in batches, each batch committed durably (one sync)
// before any of its keys is handed out: a pool. KeyFor binds a key of the
// pool to a subject in memory, at once; the binding is written to the file
// later, in batches, off the write path, and a crash may lose it. That is
// safe because an erasure does not trust the bindings alone: it also
// destroys every kid that the subject's envelopes in the log name
// (package personal), and a key of the pool is never handed out twice,
// even across restarts (docs/PERSONAL_DATA.md).
//
// A destroyed key, and an erased subject, leave a tombstone. Asking for a
// key therefore has three outcomes, never confused: the key;
// *ErasedError (destroyed on purpose); ErrKeyMissing (neither a key nor a
// tombstone: the key store was lost, replaced by an older or empty copy,
// or is corrupt). Keys are never logged, never in an error text: a Key
// prints as "[redacted]" whatever the verb, and marshals to JSON as that
// too.
package keystore

import (
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver" // database/sql driver "sqlite3"

	"github.com/candor-ledger/candor/internal/fileperm"
)

// KeySize is the size of a subject's key: AES-256.
const KeySize = 32

// Errors of the key store. Test with errors.Is.
var (
	// ErrErased is wrapped by *ErasedError: the subject's key was
	// destroyed on purpose; their personal data is gone for good.
	ErrErased = errors.New("keystore: subject erased, key destroyed")
	// ErrKeyMissing: the store has neither the key nor a tombstone for
	// it. Every key is stored before the first event that needs it, so
	// this means the key store was lost, replaced by an older or empty
	// copy, or is corrupt: restore keys.db, never start a new one over an
	// existing event store.
	ErrKeyMissing = errors.New("keystore: no such key and no erasure recorded: key store lost, replaced or corrupt")
	// ErrCorrupt: a stored key is not a key (wrong size).
	ErrCorrupt = errors.New("keystore: stored key is corrupt")
	// ErrInvalidSubject refuses an empty or oversized subject id.
	ErrInvalidSubject = errors.New("keystore: invalid subject id")
	// ErrCheckpointBusy: the key was destroyed in the file, but the log
	// that held it could not be emptied (another process reads keys.db);
	// the next erasure or close empties it.
	ErrCheckpointBusy = errors.New("keystore: key destroyed, but its log could not be emptied: another process holds keys.db")
	// ErrUnavailable: keys.db cannot be written or read for now (disk
	// full, I/O error, locked): retry later. Nothing was half done.
	ErrUnavailable = errors.New("keystore: key store unavailable")
	// ErrSchemaTooNew refuses a file written by a newer version of Candor.
	ErrSchemaTooNew = errors.New("keystore: schema version newer than this build supports")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("keystore: closed")
	// ErrNotErased: Complete was asked for a subject that Erase never
	// tombstoned.
	ErrNotErased = errors.New("keystore: subject not erased")
)

// ErasedError says a subject's key was destroyed, and when.
type ErasedError struct {
	Subject string
	At      time.Time
}

func (e *ErasedError) Error() string {
	return fmt.Sprintf("keystore: subject %q erased at %s, key destroyed", e.Subject, e.At.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrErased) true.
func (e *ErasedError) Is(target error) bool { return target == ErrErased }

// Key is a subject's secret key. Its bytes cannot be printed, logged or
// marshalled by accident; only AEAD uses them.
type Key struct{ b *[KeySize]byte }

// KeyFromBytes makes a Key from exactly KeySize bytes (test fixtures,
// known-answer vectors).
func KeyFromBytes(b []byte) (Key, error) {
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), KeySize)
	}
	var k [KeySize]byte
	copy(k[:], b)
	return Key{&k}, nil
}

// AEAD returns AES-256-GCM under the key.
func (k Key) AEAD() (cipher.AEAD, error) {
	if k.b == nil {
		return nil, fmt.Errorf("%w: zero key", ErrCorrupt)
	}
	block, err := aes.NewCipher(k.b[:])
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return cipher.NewGCM(block)
}

const redacted = "[redacted]"

// Format prints "[redacted]" for every verb (%v, %x, %#v, ...).
func (Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// String returns "[redacted]".
func (Key) String() string { return redacted }

// LogValue keeps the key out of slog records.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[redacted]".
func (Key) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes "[redacted]".
func (Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// maxSubjectLen bounds a subject id (an engagement id and a local id).
const maxSubjectLen = 512

const (
	// fillBatch keys are created, and committed durably in one
	// transaction, each time the pool runs low.
	fillBatch = 512
	// lowWater: below this many keys in the pool, the next batch is made.
	lowWater = 256
	// Bindings are written every flushEvery, or as soon as flushAt of
	// them wait.
	flushEvery = 250 * time.Millisecond
	flushAt    = 256
	cacheSize  = 1 << 16
)

// Store is the SQLite key store. It is safe for concurrent use by one
// process; keys it read are cached, so another process destroying a key
// is seen only by a new Store. Close it: Close writes the bindings made
// since the last flush.
type Store struct {
	db   *sql.DB
	bg   *sql.Conn // the background writer's: its synchronous mode is set per commit
	rand io.Reader
	now  func() time.Time

	selectSubject, selectKid *sql.Stmt

	bySubject *lru.Cache[string, entry] // a subject's key (its first), or its erasure
	byKid     *lru.Cache[int64, entry]  // a handed out key, by id

	// writeMu serialises the write transactions (the background's and the
	// erasures'); it is taken before mu.
	writeMu sync.Mutex
	mu      sync.Mutex
	pool    []pooled             // durable, never handed out, by increasing kid
	pending map[string]pooled    // bound in memory, not yet in the file
	erased  map[string]time.Time // every tombstone: few, and asked at every new subject
	gen     uint64               // changed by each erasure and each flush of bindings
	asked   bool                 // a key was asked for: keep the pool filled
	fillErr error                // of the last fill
	filled  chan struct{}        // closed when a fill ends, then replaced
	closed  bool

	wake chan struct{} // asks the background goroutine to run now
	stop chan struct{}
	done chan struct{}
}

// pooled is a key stored in the file, and its id.
type pooled struct {
	kid int64
	key Key
}

type entry struct {
	kid      int64
	key      Key
	erasedAt time.Time // zero: not erased
	subject  string    // of an erased key, in byKid
}

var migrations = [][]string{
	// 1: one row per subject: its key, or (erased) no key and the moment
	// it was destroyed.
	{`CREATE TABLE keys (
		subject    TEXT PRIMARY KEY,
		key        BLOB,
		created_at INTEGER NOT NULL,
		erased_at  INTEGER,
		CHECK ((key IS NULL) = (erased_at IS NOT NULL))
	)`},
	// 2: keys with ids, made ahead (subject NULL until bound), several per
	// subject possible; the erasures apart. AUTOINCREMENT: a kid names one
	// key for the life of the file, never reused. The keys and tombstones
	// of version 1 are kept; a version 1 tombstone is a complete erasure
	// (that version had one key per subject).
	{
		`ALTER TABLE keys RENAME TO keys_v1`,
		`CREATE TABLE keys (
			kid        INTEGER PRIMARY KEY AUTOINCREMENT,
			subject    TEXT,
			key        BLOB,
			created_at INTEGER NOT NULL,
			erased_at  INTEGER,
			CHECK ((key IS NULL) = (erased_at IS NOT NULL)),
			CHECK (key IS NOT NULL OR subject IS NOT NULL)
		)`,
		`INSERT INTO keys (subject, key, created_at) SELECT subject, key, created_at FROM keys_v1 WHERE key IS NOT NULL ORDER BY rowid`,
		`CREATE TABLE erased (
			subject      TEXT PRIMARY KEY,
			erased_at    INTEGER NOT NULL,
			completed_at INTEGER
		)`,
		`INSERT INTO erased (subject, erased_at, completed_at) SELECT subject, erased_at, erased_at FROM keys_v1 WHERE key IS NULL`,
		`DROP TABLE keys_v1`,
		// Partial: the pool's rows, unbound, are not in it.
		`CREATE INDEX keys_by_subject ON keys (subject) WHERE subject IS NOT NULL`,
	},
}

// File is the key store's name in the data directory.
const File = "keys.db"

// Open opens or creates the key store at path, with mode 0600.
func Open(ctx context.Context, path string) (*Store, error) {
	// Created 0600 before SQLite would create them 0644, or tightened
	// (see fileperm); a log SQLite creates again takes the file's mode.
	if err := fileperm.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: strings.Join([]string{
		fileperm.ModeOf(path),
		"_pragma=busy_timeout(10000)",
		// One sync per commit (a rollback journal takes two or three);
		// Erase truncates the log.
		"_pragma=journal_mode(wal)",
		"_pragma=synchronous(full)", // a key is durable before any event needs it
		"_pragma=secure_delete(on)", // a destroyed key is overwritten in place
	}, "&")}
	db, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	// The background writer's connection, and readers that a commit of
	// it (a sync) does not hold up.
	db.SetMaxOpenConns(4)
	bySubject, _ := lru.New[string, entry](cacheSize)
	byKid, _ := lru.New[int64, entry](cacheSize)
	s := &Store{
		db: db, rand: rand.Reader, now: time.Now, bySubject: bySubject, byKid: byKid,
		pending: map[string]pooled{}, erased: map[string]time.Time{}, filled: make(chan struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	fail := func(err error) (*Store, error) {
		s.closeStatements()
		_ = db.Close()
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		return fail(err)
	}
	// A subject's first live key (a version 1 envelope names no kid: it
	// is this one).
	if s.selectSubject, err = db.PrepareContext(ctx, `SELECT kid, key FROM keys WHERE subject = ? AND key IS NOT NULL ORDER BY kid LIMIT 1`); err != nil {
		return fail(err)
	}
	if err := s.loadErased(ctx); err != nil {
		return fail(err)
	}
	if s.selectKid, err = db.PrepareContext(ctx, `SELECT subject, key, erased_at FROM keys WHERE kid = ?`); err != nil {
		return fail(err)
	}
	if s.bg, err = db.Conn(ctx); err != nil {
		return fail(err)
	}
	go s.run()
	return s, nil
}

func (s *Store) loadErased(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT subject, erased_at FROM erased`)
	if err != nil {
		return fmt.Errorf("read erasures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sub string
			ms  int64
		)
		if err := rows.Scan(&sub, &ms); err != nil {
			return fmt.Errorf("read erasures: %w", err)
		}
		s.erased[sub] = time.UnixMilli(ms).UTC()
	}
	return rows.Err()
}

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("file has schema version %d, this build knows up to %d: %w", v, len(migrations), ErrSchemaTooNew)
	}
	for ; v < len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range append(migrations[v], fmt.Sprintf(`PRAGMA user_version = %d`, v+1)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	return nil
}

func (s *Store) closeStatements() {
	for _, st := range []*sql.Stmt{s.selectSubject, s.selectKid} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// Close writes the bindings not yet written, deletes the keys of the pool
// (never handed out, so no envelope names them) and closes the file.
func (s *Store) Close() error {
	if !s.halt() {
		return nil
	}
	s.writeMu.Lock()
	s.mu.Lock()
	binds := maps.Clone(s.pending)
	drop := make([]int64, len(s.pool))
	for i, p := range s.pool {
		drop[i] = p.kid
	}
	s.mu.Unlock()
	err := s.commit(context.Background(), nil, binds, drop, true)
	s.writeMu.Unlock()
	s.mu.Lock()
	for _, p := range s.pool {
		clear(p.key.b[:])
	}
	s.pool = nil
	s.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("keystore: close: %w", err)
	}
	return errors.Join(err, s.closeFile())
}

// CloseUnflushed closes the file as a crash would leave it: the bindings
// made since the last flush are not written, and the pool's keys stay in
// the file, bound to no one. For tests of what a crash leaves, only.
func (s *Store) CloseUnflushed() error {
	if !s.halt() {
		return nil
	}
	return s.closeFile()
}

// halt stops the background goroutine; false if the store was closed.
func (s *Store) halt() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	return true
}

func (s *Store) closeFile() error {
	s.closeStatements()
	_ = s.bg.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("keystore: close: %w", err)
	}
	return nil
}

// run is the background goroutine: it fills the pool and writes the
// bindings.
func (s *Store) run() {
	defer close(s.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		case <-t.C:
		}
		s.work(context.Background())
	}
}

func (s *Store) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// work makes a batch of keys if the pool runs low (once a key was asked
// for), and writes the bindings waiting, in one transaction: synced when
// it holds new keys (they are handed out once it returns), not synced
// when it holds bindings only (a crash may lose them; the log has their
// kids).
func (s *Store) work(ctx context.Context) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	fill := s.asked && len(s.pool) < lowWater
	binds := maps.Clone(s.pending)
	s.mu.Unlock()
	if !fill && len(binds) == 0 {
		return
	}
	var (
		fresh []pooled
		err   error
	)
	if fill {
		fresh, err = s.newKeys(fillBatch)
	}
	if err == nil {
		err = s.commit(ctx, fresh, binds, nil, fill)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.pool = append(s.pool, fresh...)
		for sub, p := range binds {
			if s.pending[sub] == p {
				delete(s.pending, sub)
			}
		}
		if len(binds) > 0 {
			s.gen++
		}
	} else {
		for _, p := range fresh {
			clear(p.key.b[:])
		}
	}
	if fill {
		s.fillErr = err
		close(s.filled)
		s.filled = make(chan struct{})
	}
}

func (s *Store) newKeys(n int) ([]pooled, error) {
	out := make([]pooled, n)
	for i := range out {
		var k [KeySize]byte
		if _, err := io.ReadFull(s.rand, k[:]); err != nil {
			return nil, fmt.Errorf("keystore: new key: %w", err)
		}
		out[i].key = Key{&k}
	}
	return out, nil
}

// commit writes, on the background connection, new keys (setting their
// kids), bindings, and the deletion of keys of the pool, in one
// transaction, synced when full. The caller holds writeMu.
func (s *Store) commit(ctx context.Context, fresh []pooled, binds map[string]pooled, drop []int64, full bool) (err error) {
	mode := "NORMAL"
	if full {
		mode = "FULL"
	}
	if _, err := s.bg.ExecContext(ctx, `PRAGMA synchronous = `+mode); err != nil {
		return classify("set synchronous", err)
	}
	tx, err := s.bg.BeginTx(ctx, nil)
	if err != nil {
		return classify("store keys", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// A statement per batch, not per row: the rows of one INSERT get
	// consecutive kids (AUTOINCREMENT, and this is the only writer).
	now := s.now().UnixMilli()
	for part := range slices.Chunk(fresh, maxRows) {
		args := make([]any, 0, 2*len(part))
		for _, p := range part {
			args = append(args, p.key.b[:], now)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO keys (key, created_at) VALUES `+tuples(len(part), 2), args...)
		if err != nil {
			return classify("store keys", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return classify("store keys", err)
		}
		for i := range part {
			part[i].kid = last - int64(len(part)-1-i)
		}
	}
	bound := make([]any, 0, 2*len(binds))
	for sub, p := range binds {
		bound = append(bound, p.kid, sub)
	}
	for part := range slices.Chunk(bound, 2*maxRows) {
		if _, err := tx.ExecContext(ctx, `UPDATE keys SET subject = v.column2 FROM (VALUES `+tuples(len(part)/2, 2)+`) AS v
			WHERE keys.kid = v.column1 AND keys.subject IS NULL AND keys.key IS NOT NULL`, part...); err != nil {
			return classify("bind keys", err)
		}
	}
	for part := range slices.Chunk(drop, maxRows) {
		args := make([]any, len(part))
		for i, kid := range part {
			args[i] = kid
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM keys WHERE subject IS NULL AND kid IN `+tuples(1, len(part)), args...); err != nil {
			return classify("drop unused keys", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return classify("store keys", err)
	}
	return nil
}

// maxRows bounds the rows of one statement (its parameters: SQLite's
// limit is 32,766).
const maxRows = 1024

// tuples returns n tuples of width placeholders: "(?, ?), (?, ?)".
func tuples(n, width int) string {
	t := "(" + strings.Repeat("?, ", width-1) + "?)"
	return strings.Repeat(t+", ", n-1) + t
}

func checkSubject(subject string) error {
	if subject == "" || len(subject) > maxSubjectLen {
		return fmt.Errorf("%w: %d bytes", ErrInvalidSubject, len(subject))
	}
	return nil
}

// boundLocked returns what this Store knows of the subject in memory. The
// caller holds mu.
func (s *Store) boundLocked(subject string) (entry, bool) {
	if e, ok := s.bySubject.Get(subject); ok {
		return e, true
	}
	if p, ok := s.pending[subject]; ok {
		return entry{kid: p.kid, key: p.key}, true
	}
	return entry{}, false
}

func (s *Store) generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Key returns the subject's key (its first: the one a version 1 envelope,
// which names no kid, was sealed with): *ErasedError when the subject was
// erased, ErrKeyMissing when the store knows nothing of them.
func (s *Store) Key(ctx context.Context, subject string) (Key, error) {
	e, err := s.subjectEntry(ctx, subject)
	if err != nil {
		return Key{}, err
	}
	_, k, err := e.result(subject)
	return k, err
}

func (s *Store) subjectEntry(ctx context.Context, subject string) (entry, error) {
	if err := checkSubject(subject); err != nil {
		return entry{}, err
	}
	if e, ok := s.bySubject.Get(subject); ok {
		return e, nil
	}
	g := s.generation()
	e, found, err := s.load(ctx, subject)
	if err != nil {
		return entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.boundLocked(subject); ok {
		return b, nil
	}
	if !found {
		return entry{}, fmt.Errorf("subject %q: %w", subject, ErrKeyMissing)
	}
	if s.gen == g { // else an erasure may have come after the read
		s.bySubject.Add(subject, e)
	}
	return e, nil
}

// KeyByID returns the key of that id: *ErasedError when it was destroyed,
// ErrKeyMissing when the store has no such key, or has it but never handed
// it out (an envelope naming it comes from another key store).
func (s *Store) KeyByID(ctx context.Context, kid int64) (Key, error) {
	if e, ok := s.byKid.Get(kid); ok {
		return e.keyResult(kid)
	}
	s.mu.Lock()
	g, inPool := s.gen, s.inPoolLocked(kid)
	s.mu.Unlock()
	if inPool {
		return Key{}, fmt.Errorf("key %d: never handed out: %w", kid, ErrKeyMissing)
	}
	var (
		subject sql.NullString
		key     []byte
		erased  sql.NullInt64
	)
	err := s.selectKid.QueryRowContext(ctx, kid).Scan(&subject, &key, &erased)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("key %d: %w", kid, ErrKeyMissing)
	}
	if err != nil {
		return Key{}, classify(fmt.Sprintf("read key %d", kid), err)
	}
	e := entry{kid: kid, erasedAt: time.UnixMilli(erased.Int64).UTC(), subject: subject.String}
	if !erased.Valid {
		e.erasedAt = time.Time{}
		k, err := KeyFromBytes(key)
		clear(key)
		if err != nil {
			return Key{}, fmt.Errorf("key %d: %w", kid, err)
		}
		e.key = k
	}
	s.mu.Lock()
	if s.gen == g {
		s.byKid.Add(kid, e)
	}
	s.mu.Unlock()
	if !erased.Valid {
		return e.key, nil
	}
	return e.keyResult(kid)
}

// inPoolLocked reports whether kid is a key of the pool. The caller holds
// mu.
func (s *Store) inPoolLocked(kid int64) bool {
	_, ok := slices.BinarySearchFunc(s.pool, kid, func(p pooled, kid int64) int { return cmp.Compare(p.kid, kid) })
	return ok
}

// KeyFor returns a key for the subject, and its id: the one bound to them
// (in memory, or in the file), else a key of the pool, bound to them at
// once. A key of the pool was stored durably before it was handed out;
// only when the pool is empty does KeyFor wait for a batch to be made.
// *ErasedError when the subject was erased: nothing new is written about
// an erased person.
func (s *Store) KeyFor(ctx context.Context, subject string) (int64, Key, error) {
	if err := checkSubject(subject); err != nil {
		return 0, Key{}, err
	}
	if e, ok := s.bySubject.Get(subject); ok {
		return e.result(subject)
	}
	for {
		s.mu.Lock()
		if e, ok := s.boundLocked(subject); ok {
			s.mu.Unlock()
			return e.result(subject)
		}
		g := s.gen
		s.mu.Unlock()
		e, found, err := s.load(ctx, subject)
		if err != nil {
			return 0, Key{}, err
		}
		s.mu.Lock()
		if s.gen != g {
			// An erasure, or a flush of bindings, since the read.
			s.mu.Unlock()
			continue
		}
		if b, ok := s.boundLocked(subject); ok { // another caller, meanwhile
			s.mu.Unlock()
			return b.result(subject)
		}
		if found {
			s.bySubject.Add(subject, e)
			s.mu.Unlock()
			return e.result(subject)
		}
		if s.closed {
			s.mu.Unlock()
			return 0, Key{}, ErrClosed
		}
		if len(s.pool) == 0 {
			s.asked = true
			filled := s.filled
			s.mu.Unlock()
			s.kick()
			select {
			case <-filled:
			case <-s.stop:
				return 0, Key{}, ErrClosed
			case <-ctx.Done():
				return 0, Key{}, fmt.Errorf("keystore: wait for a key: %w", ctx.Err())
			}
			s.mu.Lock()
			err, empty := s.fillErr, len(s.pool) == 0
			s.mu.Unlock()
			if empty && err != nil {
				return 0, Key{}, err
			}
			continue
		}
		p := s.pool[0]
		s.pool = s.pool[1:]
		s.pending[subject] = p
		e = entry{kid: p.kid, key: p.key}
		s.bySubject.Add(subject, e)
		s.byKid.Add(p.kid, e)
		wake := len(s.pool) < lowWater || len(s.pending) >= flushAt
		s.mu.Unlock()
		if wake {
			s.kick()
		}
		return p.kid, p.key, nil
	}
}

// Erase tombstones the subject (no key is given to them from then on) and
// destroys every key bound to them, in the file and in memory, in one
// synced transaction; the tombstone is dated at, or keeps the date of an
// earlier erasure. Erasing a subject the store never knew records the
// tombstone too, so that nothing is ever written for them. Keys handed
// out to them whose binding a crash lost are destroyed by Complete, from
// the kids their envelopes name.
func (s *Store) Erase(ctx context.Context, subject string, at time.Time) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	if at.IsZero() {
		at = s.now()
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var destroyed []int64
	first, err := s.inTx(ctx, func(tx *sql.Tx) (time.Time, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO erased (subject, erased_at) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING`, subject, at.UnixMilli()); err != nil {
			return time.Time{}, err
		}
		var ms int64
		if err := tx.QueryRowContext(ctx, `SELECT erased_at FROM erased WHERE subject = ?`, subject).Scan(&ms); err != nil {
			return time.Time{}, err
		}
		if p, ok := s.pending[subject]; ok {
			if _, err := tx.ExecContext(ctx, `UPDATE keys SET subject = ? WHERE kid = ? AND subject IS NULL`, subject, p.kid); err != nil {
				return time.Time{}, err
			}
		}
		rows, err := tx.QueryContext(ctx, `UPDATE keys SET key = NULL, erased_at = ? WHERE subject = ? AND key IS NOT NULL RETURNING kid`, ms, subject)
		if err != nil {
			return time.Time{}, err
		}
		defer rows.Close()
		for rows.Next() {
			var kid int64
			if err := rows.Scan(&kid); err != nil {
				return time.Time{}, err
			}
			destroyed = append(destroyed, kid)
		}
		return time.UnixMilli(ms).UTC(), rows.Err()
	})
	if err != nil {
		return classify(fmt.Sprintf("erase %q", subject), err)
	}
	delete(s.pending, subject)
	s.erased[subject] = first
	s.bySubject.Add(subject, entry{erasedAt: first})
	for _, kid := range destroyed {
		s.byKid.Remove(kid)
	}
	s.gen++
	return s.checkpoint(ctx, subject)
}

// Complete destroys the keys of kids, the ids that the erased subject's
// envelopes in the log name (their bindings may have been lost to a
// crash), and records the erasure as complete. A kid bound to another
// subject, or never handed out, is left alone: an envelope can only name
// a key it was sealed with, so such a kid is not the subject's.
func (s *Store) Complete(ctx context.Context, subject string, kids []int64) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.inTx(ctx, func(tx *sql.Tx) (time.Time, error) {
		var ms int64
		err := tx.QueryRowContext(ctx, `SELECT erased_at FROM erased WHERE subject = ?`, subject).Scan(&ms)
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, fmt.Errorf("%q: %w", subject, ErrNotErased)
		}
		if err != nil {
			return time.Time{}, err
		}
		for _, kid := range kids {
			if s.inPoolLocked(kid) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE keys SET subject = ?1, key = NULL, erased_at = ?2
				WHERE kid = ?3 AND key IS NOT NULL AND (subject IS NULL OR subject = ?1)`, subject, ms, kid); err != nil {
				return time.Time{}, err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE erased SET completed_at = ? WHERE subject = ? AND completed_at IS NULL`, s.now().UnixMilli(), subject)
		return time.Time{}, err
	})
	if errors.Is(err, ErrNotErased) {
		return fmt.Errorf("keystore: complete erasure: %w", err)
	}
	if err != nil {
		return classify(fmt.Sprintf("complete erasure of %q", subject), err)
	}
	for _, kid := range kids {
		s.byKid.Remove(kid)
	}
	s.gen++
	return s.checkpoint(ctx, subject)
}

// Completed reports whether the subject's erasure was completed
// (Complete).
func (s *Store) Completed(ctx context.Context, subject string) (bool, error) {
	var done bool
	err := s.db.QueryRowContext(ctx, `SELECT completed_at IS NOT NULL FROM erased WHERE subject = ?`, subject).Scan(&done)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, classify(fmt.Sprintf("read erasure of %q", subject), err)
	}
	return done, nil
}

// inTx runs f in a synced transaction on the store's pool.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) (time.Time, error)) (time.Time, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, err
	}
	t, err := f(tx)
	if err != nil {
		_ = tx.Rollback()
		return time.Time{}, err
	}
	return t, tx.Commit()
}

// checkpoint copies the zeroed pages into the file and empties the log,
// which holds the pages as they were when the keys were stored.
func (s *Store) checkpoint(ctx context.Context, subject string) error {
	var busy, logged, moved int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
		return classify(fmt.Sprintf("erase %q: checkpoint", subject), err)
	}
	if busy != 0 {
		return fmt.Errorf("keystore: erase %q: %w", subject, ErrCheckpointBusy)
	}
	return nil
}

// Erased reports whether the subject was erased, and when.
func (s *Store) Erased(ctx context.Context, subject string) (bool, time.Time, error) {
	e, err := s.subjectEntry(ctx, subject)
	switch {
	case errors.Is(err, ErrKeyMissing):
		return false, time.Time{}, nil
	case err != nil:
		return false, time.Time{}, err
	}
	return !e.erasedAt.IsZero(), e.erasedAt, nil
}

// load reads the subject's tombstone, else their first live key.
func (s *Store) load(ctx context.Context, subject string) (entry, bool, error) {
	s.mu.Lock()
	at, erased := s.erased[subject]
	s.mu.Unlock()
	if erased {
		return entry{erasedAt: at}, true, nil
	}
	var (
		kid int64
		key []byte
	)
	err := s.selectSubject.QueryRowContext(ctx, subject).Scan(&kid, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, classify(fmt.Sprintf("read key of %q", subject), err)
	}
	defer clear(key)
	k, err := KeyFromBytes(key)
	if err != nil {
		return entry{}, false, fmt.Errorf("subject %q: %w", subject, err)
	}
	return entry{kid: kid, key: k}, true, nil
}

// classify marks the errors of a file that is full, unwritable or busy
// as ErrUnavailable.
func classify(op string, err error) error {
	for _, code := range []sqlite3.ErrorCode{sqlite3.FULL, sqlite3.READONLY, sqlite3.IOERR, sqlite3.CANTOPEN, sqlite3.BUSY, sqlite3.LOCKED} {
		if errors.Is(err, code) {
			return fmt.Errorf("keystore: %s: %w: %w", op, ErrUnavailable, err)
		}
	}
	return fmt.Errorf("keystore: %s: %w", op, err)
}

func (e entry) result(subject string) (int64, Key, error) {
	if !e.erasedAt.IsZero() {
		return 0, Key{}, &ErasedError{Subject: subject, At: e.erasedAt}
	}
	return e.kid, e.key, nil
}

func (e entry) keyResult(kid int64) (Key, error) {
	if !e.erasedAt.IsZero() {
		return Key{}, fmt.Errorf("key %d: %w", kid, &ErasedError{Subject: e.subject, At: e.erasedAt})
	}
	return e.key, nil
}
