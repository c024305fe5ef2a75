//go:build unix

package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/candor-ledger/candor/eventstore"
)

// TestFilesArePrivate: the database, its log and its shared memory are
// 0600 under the usual umask (022, which leaves SQLite's own files 0644),
// and stay so when the store is opened again.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	for round := range 2 {
		s, path := openTemp(t)
		if round == 1 {
			// Files left 0644 by an earlier build are tightened.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			if s, err = Open(t.Context(), path); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
		}
		if _, err := s.Append(t.Context(), "perm", eventstore.Any(), newEvent(t, "perm.checked")); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < 3 {
			t.Fatalf("round %d: %d files beside the store, want the database, its log and shared memory", round, len(entries))
		}
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("round %d: %s is %v, want 0600", round, e.Name(), m)
			}
		}
	}
}
