//go:build unix

package fileperm

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// Whatever the umask, what is created is private; what exists loses group
// and others' access and keeps its owner's.
func TestPrivate(t *testing.T) {
	old := syscall.Umask(0) // the most permissive: nothing is taken away
	t.Cleanup(func() { syscall.Umask(old) })
	base := t.TempDir()

	dir := filepath.Join(base, "a", "data")
	if notice, err := PrivateDir(dir); err != nil || notice != "" {
		t.Fatalf("PrivateDir(new) = %q, %v", notice, err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("new data directory %v, want 0700", m)
	}
	loose := filepath.Join(base, "loose")
	if err := os.Mkdir(loose, 0o755); err != nil {
		t.Fatal(err)
	}
	if notice, err := PrivateDir(loose); err != nil || !strings.Contains(notice, "was 0755") || !strings.Contains(notice, "made it") {
		t.Fatalf("PrivateDir(0755) = %q, %v; want it tightened, and said", notice, err)
	}
	if m := mode(t, loose); m != 0o700 {
		t.Errorf("tightened data directory %v, want 0700", m)
	}

	db := filepath.Join(dir, "events.db")
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrepareSQLite(db); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s: %v, want 0600", filepath.Base(p), m)
		}
	}
	if b, _ := os.ReadFile(db + "-wal"); string(b) != "frames" {
		t.Errorf("an existing log was changed: %q", b)
	}
	ro := filepath.Join(dir, "ro.db")
	if err := os.WriteFile(ro, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := PrepareSQLite(ro); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, ro); m != 0o400 {
		t.Errorf("read-only file: %v, want 0400 (still read-only, private)", m)
	}
}

func TestSQLitePath(t *testing.T) {
	for in, want := range map[string]string{
		"/d/events.db":                     "/d/events.db",
		"rel.db":                           "rel.db",
		"file:/d/x.db?_pragma=foo(1)":      "/d/x.db",
		"file:///d/x.db?vfs=y":             "/d/x.db",
		"file:/d/x.db?mode=ro":             "",
		"file:mem?mode=memory&cache=share": "",
		":memory:":                         "",
		"":                                 "",
	} {
		got, ok := sqlitePath(in)
		if got != want || ok != (want != "") {
			t.Errorf("sqlitePath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestModeOf(t *testing.T) {
	for in, want := range map[string]string{
		"/d/events.db":         "modeof=/d/events.db",
		"/a b/x&y=z#?%+.db":    "modeof=/a%20b/x%26y%3Dz%23%3F%25%2B.db",
		"rel/read-models_1.db": "modeof=rel/read-models_1.db",
	} {
		if got := ModeOf(in); got != want {
			t.Errorf("ModeOf(%q) = %q, want %q", in, got, want)
		}
	}
}
