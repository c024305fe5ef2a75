package keystore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestKeyForCreatesOnceAndKeyFindsIt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)

	if _, err := s.Key(ctx, "s1@e1"); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("Key before KeyFor: %v, want ErrKeyMissing", err)
	}
	kid1, k1, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	kid2, k2, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	if *k1.b != *k2.b || kid1 != kid2 {
		t.Error("KeyFor made a second key for the same subject")
	}
	otherKid, other, err := s.KeyFor(ctx, "s2@e1")
	if err != nil {
		t.Fatal(err)
	}
	if *other.b == *k1.b || otherKid == kid1 {
		t.Error("two subjects share a key")
	}
	// A new Store (no cache) reads the same key from the file.
	s.Close()
	s = open(t, path)
	k3, err := s.Key(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	if *k3.b != *k1.b {
		t.Error("key read back differs from the one created")
	}
	k4, err := s.KeyByID(ctx, kid1)
	if err != nil || *k4.b != *k1.b {
		t.Errorf("KeyByID read back %v (same: %v)", err, err == nil && *k4.b == *k1.b)
	}
	if kid, _, err := s.KeyFor(ctx, "s1@e1"); err != nil || kid != kid1 {
		t.Errorf("KeyFor after reopening: kid %d %v, want the bound %d", kid, err, kid1)
	}
}

func TestEraseLeavesTombstone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	kid, k, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	secret := *k.b
	for i := range 20 { // neighbours on the same page
		if _, _, err := s.KeyFor(ctx, fmt.Sprintf("s%d@e2", i)); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	if err := s.Erase(ctx, "s1@e1", at); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		for name, get := range map[string]func() error{
			"Key":     func() error { _, err := s.Key(ctx, "s1@e1"); return err },
			"KeyFor":  func() error { _, _, err := s.KeyFor(ctx, "s1@e1"); return err },
			"KeyByID": func() error { _, err := s.KeyByID(ctx, kid); return err },
		} {
			err := get()
			var ee *ErasedError
			if !errors.As(err, &ee) || !errors.Is(err, ErrErased) || !ee.At.Equal(at) {
				t.Errorf("%s after Erase: %v, want *ErasedError at %s", name, err, at)
			}
			if errors.Is(err, ErrKeyMissing) {
				t.Errorf("%s: an erased subject reads as a lost key", name)
			}
		}
		if erased, when, err := s.Erased(ctx, "s1@e1"); err != nil || !erased || !when.Equal(at) {
			t.Errorf("Erased = %v %v %v", erased, when, err)
		}
	}
	check(s)
	// The key's bytes are gone from the files, not just unlinked from its
	// row, while the store is open (its log in use) and after.
	noKeyBytes := func(when string) {
		t.Helper()
		for _, name := range []string{path, path + "-journal", path + "-wal"} {
			b, err := os.ReadFile(name)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+8 <= KeySize; i++ { // any 8 bytes of it
				if bytes.Contains(b, secret[i:i+8]) {
					t.Errorf("%s: %s still holds bytes %d-%d of the destroyed key", when, filepath.Base(name), i, i+8)
					break
				}
			}
		}
	}
	noKeyBytes("open")
	// Erasing again keeps the first date.
	if err := s.Erase(ctx, "s1@e1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check(s)
	s.Close()
	s = open(t, path)
	check(s)
	s.Close()

	noKeyBytes("closed")
}

func TestEraseUnknownSubjectRecordsTombstone(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "keys.db"))
	if err := s.Erase(ctx, "never@seen", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.KeyFor(ctx, "never@seen"); !errors.Is(err, ErrErased) {
		t.Errorf("KeyFor after erasing an unknown subject: %v, want ErrErased", err)
	}
}

func TestLostStoreIsNotErasure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.db")
	s := open(t, path)
	kid, _, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// The file is gone; a new, empty one knows nothing of the subject.
	s = open(t, path)
	_, err = s.Key(ctx, "s1@e1")
	if !errors.Is(err, ErrKeyMissing) || errors.Is(err, ErrErased) {
		t.Errorf("Key from a replaced store: %v, want ErrKeyMissing", err)
	}
	if _, err := s.KeyByID(ctx, kid); !errors.Is(err, ErrKeyMissing) || errors.Is(err, ErrErased) {
		t.Errorf("KeyByID from a replaced store: %v, want ErrKeyMissing", err)
	}
	// Its pool holds kid again, a key never handed out: not the one the
	// envelope was sealed with, and said so.
	if _, _, err := s.KeyFor(ctx, "s2@e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByID(ctx, kid+1); !errors.Is(err, ErrKeyMissing) {
		t.Errorf("KeyByID of a key of the pool: %v, want ErrKeyMissing", err)
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if _, _, err := s.KeyFor(context.Background(), "a@b"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("keys.db mode %o, want 600", m)
	}
}

func TestCorruptKey(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "keys.db"))
	if _, err := s.db.Exec(`INSERT INTO keys (subject, key, created_at) VALUES ('x@y', x'0102', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, "x@y"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short key: %v, want ErrCorrupt", err)
	}
	var kid int64
	if err := s.db.QueryRow(`SELECT kid FROM keys WHERE subject = 'x@y'`).Scan(&kid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByID(ctx, kid); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short key by id: %v, want ErrCorrupt", err)
	}
}

func TestInvalidSubject(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keys.db"))
	for _, sub := range []string{"", string(make([]byte, maxSubjectLen+1))} {
		if _, _, err := s.KeyFor(context.Background(), sub); !errors.Is(err, ErrInvalidSubject) {
			t.Errorf("KeyFor(%d bytes): %v", len(sub), err)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	if _, err := s.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open: %v, want ErrSchemaTooNew", err)
	}
}

// A key must never reach a log, an error or a response by accident.
func TestKeyIsNeverPrinted(t *testing.T) {
	b := bytes.Repeat([]byte{0xAB}, KeySize)
	k, err := KeyFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, struct{ K Key }{k}))
	}
	out = append(out, fmt.Sprint(k), fmt.Sprintf("%v", &k))
	j, err := json.Marshal(map[string]any{"k": k})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "key", k)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "key", k)
	out = append(out, logged.String())
	for _, s := range out {
		for _, leak := range []string{"ab", "AB", "171", "\xab"} {
			if bytes.Contains([]byte(s), []byte(leak+leak)) {
				t.Errorf("key bytes printed: %q", s)
			}
		}
	}
}

// TestConcurrentCreations: more subjects at once than a batch of the pool
// holds (so that callers wait for the next), each asked for by two callers
// at once; each caller gets its subject's one key, and every key is in
// the file, bound, for a store opened afresh. An erased subject stays
// erased however many ask for it at once.
func TestConcurrentCreations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	if err := s.Erase(ctx, "gone@e1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	const subjects = 2*fillBatch + 7
	type got struct {
		kid int64
		key [KeySize]byte
		err error
	}
	results := make([][2]got, subjects)
	var erased [8]error
	var wg sync.WaitGroup
	for i := range subjects {
		for j := range 2 {
			wg.Go(func() {
				kid, k, err := s.KeyFor(ctx, fmt.Sprintf("s%d@e1", i))
				if err == nil {
					results[i][j].kid, results[i][j].key = kid, *k.b
				}
				results[i][j].err = err
			})
		}
	}
	for i := range erased {
		wg.Go(func() { _, _, erased[i] = s.KeyFor(ctx, "gone@e1") })
	}
	wg.Wait()
	var ee *ErasedError
	for i, err := range erased {
		if !errors.As(err, &ee) {
			t.Fatalf("KeyFor of an erased subject (%d) = %v, want *ErasedError", i, err)
		}
	}
	keys := map[[KeySize]byte]bool{}
	for i, r := range results {
		if r[0].err != nil || r[1].err != nil {
			t.Fatalf("subject %d: %v, %v", i, r[0].err, r[1].err)
		}
		if r[0].key != r[1].key || r[0].kid != r[1].kid {
			t.Fatalf("subject %d got two keys", i)
		}
		keys[r[0].key] = true
	}
	if len(keys) != subjects {
		t.Fatalf("%d distinct keys for %d subjects", len(keys), subjects)
	}
	s.Close()
	s = open(t, path)
	for i, r := range results {
		kid, k, err := s.KeyFor(ctx, fmt.Sprintf("s%d@e1", i))
		if err != nil || *k.b != r[0].key || kid != r[0].kid {
			t.Fatalf("subject %d after reopening: %v (same key: %v)", i, err, err == nil && *k.b == r[0].key)
		}
	}
}

// raw opens the file apart from the Store, as another reader would.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// boundTo returns the subject a key's row is bound to ("" when none).
func boundTo(t *testing.T, db *sql.DB, kid int64) string {
	t.Helper()
	var sub sql.NullString
	if err := db.QueryRow(`SELECT subject FROM keys WHERE kid = ?`, kid).Scan(&sub); err != nil {
		t.Fatalf("key %d: %v", kid, err)
	}
	return sub.String
}

// A key is committed to the file, with the rest of its batch, before it is
// handed out; it is bound in the file later, by the background goroutine.
func TestPoolKeyStoredBeforeHandedOut(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	kid, k, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	db := raw(t, path)
	var stored []byte
	var n int
	if err := db.QueryRow(`SELECT key FROM keys WHERE kid = ?`, kid).Scan(&stored); err != nil || !bytes.Equal(stored, k.b[:]) {
		t.Fatalf("the key handed out is not committed: %v", err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM keys`).Scan(&n); err != nil || n < lowWater {
		t.Fatalf("%d keys in the file (%v), want a batch of at least %d", n, err, lowWater)
	}
	for deadline := time.Now().Add(time.Minute); boundTo(t, db, kid) != "s1@e1"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the binding was never written")
		}
	}
}

// Close writes the bindings and deletes the keys never handed out.
func TestCloseFlushesAndDropsThePool(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	kids := map[int64]string{}
	for i := range 3 {
		sub := fmt.Sprintf("s%d@e1", i)
		kid, _, err := s.KeyFor(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		kids[kid] = sub
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := raw(t, path)
	var n, unbound int
	if err := db.QueryRow(`SELECT count(*), count(*) - count(subject) FROM keys`).Scan(&n, &unbound); err != nil {
		t.Fatal(err)
	}
	if n != len(kids) || unbound != 0 {
		t.Errorf("after Close: %d keys, %d unbound; want %d, all bound", n, unbound, len(kids))
	}
	for kid, sub := range kids {
		if got := boundTo(t, db, kid); got != sub {
			t.Errorf("key %d bound to %q, want %q", kid, got, sub)
		}
	}
}

// What a crash leaves: a key handed out whose binding was not written, and
// the pool's keys, stored, bound to no one. None of them is handed out
// again: the subject gets a second key, another subject a key never seen.
func TestPoolKeysNeverHandedOutTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	kid, k, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	first := *k.b
	if err := s.CloseUnflushed(); err != nil {
		t.Fatal(err)
	}
	db := raw(t, path)
	// The background flush may have run before the "crash": lose it.
	if _, err := db.Exec(`UPDATE keys SET subject = NULL WHERE kid = ?`, kid); err != nil {
		t.Fatal(err)
	}
	var left int64
	if err := db.QueryRow(`SELECT max(kid) FROM keys`).Scan(&left); err != nil || left <= kid {
		t.Fatalf("the pool's keys are gone after the crash (max kid %d, %v)", left, err)
	}
	s = open(t, path)
	kid2, k2, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	kid3, k3, err := s.KeyFor(ctx, "s2@e1")
	if err != nil {
		t.Fatal(err)
	}
	if kid2 <= left || kid3 <= left || *k2.b == first || *k3.b == first {
		t.Errorf("a key of the earlier life was handed out again: kids %d, %d (earlier up to %d)", kid2, kid3, left)
	}
	// The lost binding's key still opens what it sealed.
	if got, err := s.KeyByID(ctx, kid); err != nil || *got.b != first {
		t.Errorf("KeyByID of the key whose binding was lost: %v", err)
	}
}

// Complete destroys the kids the log names (here one whose binding was
// lost), never a key of another subject nor one of the pool, and records
// the erasure as complete.
func TestComplete(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	lost, lostKey, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.KeyFor(ctx, "s2@e1")
	if err != nil {
		t.Fatal(err)
	}
	secret := *lostKey.b
	s.Close()
	if _, err := raw(t, path).Exec(`UPDATE keys SET subject = NULL WHERE kid = ?`, lost); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	second, _, err := s.KeyFor(ctx, "s1@e1") // a second key: its first binding was lost
	if err != nil || second == lost {
		t.Fatalf("KeyFor after the lost binding: %d %v", second, err)
	}
	if err := s.Complete(ctx, "s1@e1", []int64{lost}); !errors.Is(err, ErrNotErased) {
		t.Errorf("Complete before Erase: %v, want ErrNotErased", err)
	}
	if err := s.Erase(ctx, "s1@e1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByID(ctx, second); !errors.Is(err, ErrErased) {
		t.Errorf("the bound key after Erase: %v, want ErrErased", err)
	}
	if _, err := s.KeyByID(ctx, lost); err != nil {
		t.Errorf("Erase alone reached the key whose binding was lost: %v", err)
	}
	if done, err := s.Completed(ctx, "s1@e1"); err != nil || done {
		t.Errorf("Completed before Complete: %v %v", done, err)
	}
	s.mu.Lock()
	pool := s.pool[0].kid
	s.mu.Unlock()
	if err := s.Complete(ctx, "s1@e1", []int64{lost, other, pool}); err != nil {
		t.Fatal(err)
	}
	var ee *ErasedError
	if _, err := s.KeyByID(ctx, lost); !errors.As(err, &ee) || ee.Subject != "s1@e1" {
		t.Errorf("the key named by the log after Complete: %v, want *ErasedError of s1@e1", err)
	}
	if _, err := s.KeyByID(ctx, other); err != nil {
		t.Errorf("Complete destroyed another subject's key: %v", err)
	}
	if _, _, err := s.KeyFor(ctx, "s3@e1"); err != nil {
		t.Fatal(err)
	}
	if k, err := s.KeyByID(ctx, pool); err != nil || k.b == nil {
		t.Errorf("Complete destroyed a key of the pool: %v", err)
	}
	if done, err := s.Completed(ctx, "s1@e1"); err != nil || !done {
		t.Errorf("Completed after Complete: %v %v", done, err)
	}
	s.Close()
	for _, name := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, secret[:16]) {
			t.Errorf("%s still holds the destroyed key", filepath.Base(name))
		}
	}
}

// A version 1 file keeps its keys and tombstones: the keys open by
// subject (version 1 envelopes name no kid) and are the subjects' keys
// from then on; a tombstone stays a complete erasure.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	db := raw(t, path)
	key := bytes.Repeat([]byte{7}, KeySize)
	erasedAt := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, q := range []string{
		migrations[0][0],
		`PRAGMA user_version = 1`,
		fmt.Sprintf(`INSERT INTO keys (subject, key, created_at) VALUES ('kept@e1', x'%x', 1)`, key),
		fmt.Sprintf(`INSERT INTO keys (subject, key, created_at, erased_at) VALUES ('gone@e1', NULL, 1, %d)`, erasedAt.UnixMilli()),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := open(t, path)
	if k, err := s.Key(ctx, "kept@e1"); err != nil || !bytes.Equal(k.b[:], key) {
		t.Fatalf("a version 1 key after the migration: %v", err)
	}
	kid, k, err := s.KeyFor(ctx, "kept@e1")
	if err != nil || !bytes.Equal(k.b[:], key) {
		t.Fatalf("KeyFor of a version 1 subject: %v", err)
	}
	if k, err := s.KeyByID(ctx, kid); err != nil || !bytes.Equal(k.b[:], key) {
		t.Errorf("KeyByID of a version 1 key: %v", err)
	}
	var ee *ErasedError
	if _, _, err := s.KeyFor(ctx, "gone@e1"); !errors.As(err, &ee) || !ee.At.Equal(erasedAt) {
		t.Errorf("KeyFor of a version 1 tombstone: %v", err)
	}
	if done, err := s.Completed(ctx, "gone@e1"); err != nil || !done {
		t.Errorf("a version 1 erasure is not complete: %v %v", done, err)
	}
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version %d %v", v, err)
	}
}
