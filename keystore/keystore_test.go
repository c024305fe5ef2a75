package keystore

import (
	"bytes"
	"context"
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
	k1, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	if *k1.b != *k2.b {
		t.Error("KeyFor made a second key for the same subject")
	}
	other, err := s.KeyFor(ctx, "s2@e1")
	if err != nil {
		t.Fatal(err)
	}
	if *other.b == *k1.b {
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
}

func TestEraseLeavesTombstone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	k, err := s.KeyFor(ctx, "s1@e1")
	if err != nil {
		t.Fatal(err)
	}
	secret := *k.b
	for i := range 20 { // neighbours on the same page
		if _, err := s.KeyFor(ctx, fmt.Sprintf("s%d@e2", i)); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	if err := s.Erase(ctx, "s1@e1", at); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		for name, get := range map[string]func(context.Context, string) (Key, error){"Key": s.Key, "KeyFor": s.KeyFor} {
			_, err := get(ctx, "s1@e1")
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
	if _, err := s.KeyFor(ctx, "never@seen"); !errors.Is(err, ErrErased) {
		t.Errorf("KeyFor after erasing an unknown subject: %v, want ErrErased", err)
	}
}

func TestLostStoreIsNotErasure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.db")
	s := open(t, path)
	if _, err := s.KeyFor(ctx, "s1@e1"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// The file is gone; a new, empty one knows nothing of the subject.
	s = open(t, path)
	_, err := s.Key(ctx, "s1@e1")
	if !errors.Is(err, ErrKeyMissing) || errors.Is(err, ErrErased) {
		t.Errorf("Key from a replaced store: %v, want ErrKeyMissing", err)
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if _, err := s.KeyFor(context.Background(), "a@b"); err != nil {
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
}

func TestInvalidSubject(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keys.db"))
	for _, sub := range []string{"", string(make([]byte, maxSubjectLen+1))} {
		if _, err := s.KeyFor(context.Background(), sub); !errors.Is(err, ErrInvalidSubject) {
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

// TestConcurrentCreations: creations that arrive together are committed
// together (more of them than one group holds, each subject asked for by
// two callers at once); each caller gets its subject's one key, and every
// key is in the file for a store opened afresh. An erased subject stays
// erased however many ask for it at once.
func TestConcurrentCreations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	s := open(t, path)
	if err := s.Erase(ctx, "gone@e1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	const subjects = 2*maxGroup + 7
	type got struct {
		key [KeySize]byte
		err error
	}
	results := make([][2]got, subjects)
	var erased [8]error
	var wg sync.WaitGroup
	for i := range subjects {
		for j := range 2 {
			wg.Go(func() {
				k, err := s.KeyFor(ctx, fmt.Sprintf("s%d@e1", i))
				if err == nil {
					results[i][j].key = *k.b
				}
				results[i][j].err = err
			})
		}
	}
	for i := range erased {
		wg.Go(func() { _, erased[i] = s.KeyFor(ctx, "gone@e1") })
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
		if r[0].key != r[1].key {
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
		k, err := s.Key(ctx, fmt.Sprintf("s%d@e1", i))
		if err != nil || *k.b != r[0].key {
			t.Fatalf("subject %d after reopening: %v (same key: %v)", i, err, err == nil && *k.b == r[0].key)
		}
	}
}
