//go:build unix

package projections

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFilesArePrivate: readmodels.db, its log and its shared memory are
// 0600 under the usual umask (022, which leaves SQLite's own files 0644).
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	e, path := openEngine(t, newFakeStore(), Options{})
	if _, err := e.Lag(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3 {
		t.Fatalf("%d files beside the read models, want the database, its log and shared memory", len(entries))
	}
	for _, en := range entries {
		fi, err := en.Info()
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s is %v, want 0600", en.Name(), m)
		}
	}
}
