// Package keystore keeps one secret key per data subject (a stakeholder,
// an expert, a principal), apart from the events, so that destroying a
// subject's key makes every copy of their personal data unreadable
// (crypto-shredding) while the events and their hashes stay as they are.
//
// The keys live in their own SQLite file (keys.db in the data directory,
// mode 0600), never in the event store: the log is immutable and its
// backups are kept long, while a key must be destroyable for good. The
// file uses a write-ahead log with full syncs (one sync per key created)
// and secure_delete; an erasure checkpoints and truncates the log, so that
// the key's bytes are overwritten in the file itself and no page of the log
// that held them is left.
//
// A destroyed key leaves a tombstone. Asking for a subject's key therefore
// has three outcomes, never confused: the key; *ErasedError (the subject
// was erased, on purpose); ErrKeyMissing (neither a key nor a tombstone:
// the key store was lost, replaced by an older or empty copy, or is
// corrupt). Keys are never logged, never in an error text: a Key prints as
// "[redacted]" whatever the verb, and marshals to JSON as that too.
package keystore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
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
	// ErrKeyMissing: the store has neither a key nor a tombstone for the
	// subject. Every key is stored before the first event that needs it,
	// so this means the key store was lost, replaced by an older or empty
	// copy, or is corrupt: restore keys.db, never start a new one over an
	// existing event store.
	ErrKeyMissing = errors.New("keystore: no key and no erasure recorded for subject: key store lost, replaced or corrupt")
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

// Store is the SQLite key store. It is safe for concurrent use by one
// process; keys it read are cached, so another process destroying a key
// is seen only by a new Store.
type Store struct {
	db    *sql.DB
	rand  io.Reader
	now   func() time.Time
	cache *lru.Cache[string, entry]
	mu    sync.Mutex // serialises creations and erasures with the cache

	insert, selectKey *sql.Stmt // prepared once: a key is created on every joining

	// queue holds the creations waiting for the next commit: whoever takes
	// mu next writes them all in one transaction (one sync), as a group
	// commit does, so that concurrent joinings do not queue on a sync each.
	queue chan *creation
}

// creation is one KeyFor waiting for its key to be stored.
type creation struct {
	subject string
	key     [KeySize]byte
	done    chan struct{} // closed once stored, or refused (err)
	stored  bool          // the row is this key (not an earlier one)
	entry   entry         // what the subject has, once done without err
	err     error
}

type entry struct {
	key      Key
	erasedAt time.Time // zero: not erased
}

const cacheSize = 1 << 16

// maxGroup is the most creations one commit writes.
const maxGroup = 256

var migrations = []string{
	// 1: one row per subject: its key, or (erased) no key and the moment
	// it was destroyed.
	`CREATE TABLE keys (
		subject    TEXT PRIMARY KEY,
		key        BLOB,
		created_at INTEGER NOT NULL,
		erased_at  INTEGER,
		CHECK ((key IS NULL) = (erased_at IS NOT NULL))
	)`,
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
		// One sync per commit (a rollback journal takes two or three): a
		// key is created on every joining. Erase truncates the log.
		"_pragma=journal_mode(wal)",
		"_pragma=synchronous(full)", // a key is durable before any event needs it
		"_pragma=secure_delete(on)", // a destroyed key is overwritten in place
	}, "&")}
	db, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; reads are served from the cache
	cache, _ := lru.New[string, entry](cacheSize)
	s := &Store{db: db, rand: rand.Reader, now: time.Now, cache: cache, queue: make(chan *creation, maxGroup)}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	if s.insert, err = db.PrepareContext(ctx, `INSERT INTO keys (subject, key, created_at) VALUES (?, ?, ?) ON CONFLICT (subject) DO NOTHING`); err == nil {
		s.selectKey, err = db.PrepareContext(ctx, `SELECT key, erased_at FROM keys WHERE subject = ?`)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	return s, nil
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
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error {
	_ = s.insert.Close()
	_ = s.selectKey.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("keystore: close: %w", err)
	}
	return nil
}

func checkSubject(subject string) error {
	if subject == "" || len(subject) > maxSubjectLen {
		return fmt.Errorf("%w: %d bytes", ErrInvalidSubject, len(subject))
	}
	return nil
}

// Key returns the subject's key: *ErasedError when it was destroyed,
// ErrKeyMissing when the store knows nothing of the subject.
func (s *Store) Key(ctx context.Context, subject string) (Key, error) {
	if err := checkSubject(subject); err != nil {
		return Key{}, err
	}
	if e, ok := s.cache.Get(subject); ok {
		return e.result(subject)
	}
	e, found, err := s.load(ctx, subject)
	if err != nil {
		return Key{}, err
	}
	if !found {
		return Key{}, fmt.Errorf("subject %q: %w", subject, ErrKeyMissing)
	}
	s.cache.Add(subject, e)
	return e.result(subject)
}

// KeyFor returns the subject's key, creating and storing it (durably)
// first if the subject has none. *ErasedError when the subject was erased:
// nothing new is written about an erased person. A subject's key is asked
// for by the event of their joining, the first about them: the key is
// inserted first, and read back only when the subject had a row already.
func (s *Store) KeyFor(ctx context.Context, subject string) (Key, error) {
	if err := checkSubject(subject); err != nil {
		return Key{}, err
	}
	if e, ok := s.cache.Get(subject); ok {
		return e.result(subject)
	}
	c := &creation{subject: subject, done: make(chan struct{})}
	if _, err := io.ReadFull(s.rand, c.key[:]); err != nil {
		return Key{}, fmt.Errorf("keystore: new key: %w", err)
	}
	defer clear(c.key[:])
	s.queue <- c
	s.mu.Lock()
	// Written by the commit of whoever held mu before, or by ours (again
	// while more than a group was queued before it).
	for waiting := true; waiting; {
		select {
		case <-c.done:
			waiting = false
		default:
			s.commitQueued(ctx)
		}
	}
	if !c.stored && c.err == nil {
		// Another caller, or an earlier life of the store, made the
		// subject's row: the first key, or the tombstone, stays.
		c.entry, c.err = s.cached(ctx, subject)
	}
	s.mu.Unlock()
	if c.err != nil {
		return Key{}, c.err
	}
	return c.entry.result(subject)
}

// cached returns the subject's row, from the cache or loaded into it. The
// caller holds mu.
func (s *Store) cached(ctx context.Context, subject string) (entry, error) {
	if e, ok := s.cache.Get(subject); ok {
		return e, nil
	}
	e, found, err := s.load(ctx, subject)
	if err != nil {
		return entry{}, err
	}
	if !found {
		return entry{}, fmt.Errorf("subject %q: %w", subject, ErrKeyMissing)
	}
	s.cache.Add(subject, e)
	return e, nil
}

// commitQueued stores every queued creation in one transaction and answers
// each. The caller holds mu. The transaction is not the caller's alone:
// its context's cancellation does not fail the others.
func (s *Store) commitQueued(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	var group []*creation
	for len(group) < maxGroup {
		select {
		case c := <-s.queue:
			group = append(group, c)
			continue
		default:
		}
		break
	}
	fail := func(err error) {
		for _, c := range group {
			c.err = err
			close(c.done)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(classify("store keys", err))
		return
	}
	insert := tx.StmtContext(ctx, s.insert)
	now := s.now().UnixMilli()
	for _, c := range group {
		res, err := insert.ExecContext(ctx, c.subject, c.key[:], now)
		if err != nil {
			_ = tx.Rollback()
			fail(classify(fmt.Sprintf("store key of %q", c.subject), err))
			return
		}
		n, err := res.RowsAffected()
		c.stored = err == nil && n == 1
	}
	if err := tx.Commit(); err != nil {
		fail(classify("store keys", err))
		return
	}
	for _, c := range group {
		if c.stored {
			k, err := KeyFromBytes(c.key[:])
			if err != nil {
				c.err = err
			} else {
				c.entry = entry{key: k}
				s.cache.Add(c.subject, c.entry)
			}
		}
		close(c.done)
	}
}

// Erase destroys the subject's key, leaving a tombstone dated at. Erasing
// an erased subject changes nothing; erasing a subject the store never
// knew records the tombstone, so that nothing is ever written for them.
func (s *Store) Erase(ctx context.Context, subject string, at time.Time) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	if at.IsZero() {
		at = s.now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO keys (subject, key, created_at, erased_at) VALUES (?, NULL, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET key = NULL, erased_at = excluded.erased_at WHERE keys.key IS NOT NULL`,
		subject, at.UnixMilli(), at.UnixMilli()); err != nil {
		return classify(fmt.Sprintf("erase %q", subject), err)
	}
	s.cache.Remove(subject)
	// The log holds the page as it was when the key was stored: copy the
	// zeroed page into the file and empty the log.
	var busy, logged, moved int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
		return classify(fmt.Sprintf("erase %q: checkpoint", subject), err)
	}
	if busy != 0 {
		return fmt.Errorf("keystore: erase %q: %w", subject, ErrCheckpointBusy)
	}
	return nil
}

// Erased reports whether the subject's key was destroyed, and when.
func (s *Store) Erased(ctx context.Context, subject string) (bool, time.Time, error) {
	_, err := s.Key(ctx, subject)
	var ee *ErasedError
	switch {
	case errors.As(err, &ee):
		return true, ee.At, nil
	case err == nil, errors.Is(err, ErrKeyMissing):
		return false, time.Time{}, nil
	default:
		return false, time.Time{}, err
	}
}

func (s *Store) load(ctx context.Context, subject string) (entry, bool, error) {
	var (
		key    []byte
		erased sql.NullInt64
	)
	err := s.selectKey.QueryRowContext(ctx, subject).Scan(&key, &erased)
	if errors.Is(err, sql.ErrNoRows) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, classify(fmt.Sprintf("read key of %q", subject), err)
	}
	if erased.Valid {
		return entry{erasedAt: time.UnixMilli(erased.Int64).UTC()}, true, nil
	}
	k, err := KeyFromBytes(key)
	clear(key)
	if err != nil {
		return entry{}, false, fmt.Errorf("subject %q: %w", subject, err)
	}
	return entry{key: k}, true, nil
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

func (e entry) result(subject string) (Key, error) {
	if !e.erasedAt.IsZero() {
		return Key{}, &ErasedError{Subject: subject, At: e.erasedAt}
	}
	return e.key, nil
}
