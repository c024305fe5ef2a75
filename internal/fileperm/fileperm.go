// Package fileperm keeps Candor's files private to the user that runs it:
// the data directory is 0700 and every file of the stores (the database,
// its write-ahead log and shared memory) 0600. They hold every fact of
// every engagement, personal data and the hashes of the bearer tokens.
//
// SQLite (through github.com/ncruces/go-sqlite3's VFS) creates its files
// 0666 less the umask, 0644 usually: the files are created here first,
// empty, with the right mode, which SQLite then takes as they are (an
// empty file is a new database, an empty log or shared memory one that was
// never written). Files that exist already are tightened: group and others
// lose their access, the owner keeps what it has (a file made read-only
// stays read-only).
package fileperm

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// The modes of what Candor creates.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// PrivateDir creates dir (and its parents) with DirMode, or tightens an
// existing one to DirMode's bits at most. When it found the directory open
// to others, notice says so, and whether it could tighten it: a directory
// the process does not own (a mount point) stays as it is, its files are
// private all the same.
func PrivateDir(dir string) (notice string, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, DirMode); err != nil {
			return "", fmt.Errorf("data directory: %w", err)
		}
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("data directory: %s is not a directory", dir)
	}
	was := fi.Mode().Perm()
	if was&^DirMode == 0 {
		return "", nil
	}
	if err := os.Chmod(dir, was&DirMode); err != nil {
		return fmt.Sprintf("data directory %s is %04o, open to other users, and could not be made %04o (%v); its files are %04o all the same",
			dir, uint32(was), uint32(was&DirMode), err, uint32(FileMode)), nil
	}
	return fmt.Sprintf("data directory %s was %04o, open to other users; made it %04o", dir, uint32(was), uint32(was&DirMode)), nil
}

// PrepareSQLite makes the database named by name (a path or a "file:"
// URI) and its -wal and -shm files private: missing ones are created
// empty with FileMode, existing ones lose group and others' access. A
// database opened read-only or in memory is left alone.
func PrepareSQLite(name string) error {
	path, ok := sqlitePath(name)
	if !ok {
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := private(p); err != nil {
			return err
		}
	}
	return nil
}

// Private creates the file at path, empty, with FileMode, or tightens the
// file there.
func Private(path string) error { return private(path) }

func private(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
		if errors.Is(err, fs.ErrExist) {
			return private(path) // created meanwhile: tighten it
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		return f.Close()
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode().Perm()&^FileMode == 0:
		return nil // SQLite reports a directory where a file should be
	}
	if err := os.Chmod(path, fi.Mode().Perm()&FileMode); err != nil {
		return fmt.Errorf("make %s private (it is %04o): %w", path, uint32(fi.Mode().Perm()), err)
	}
	return nil
}

// sqlitePath is the file a SQLite name opens, when it is one that may be
// created and written.
func sqlitePath(name string) (string, bool) {
	if name == "" || name == ":memory:" {
		return "", false
	}
	if !strings.HasPrefix(name, "file:") {
		return name, true
	}
	u, err := url.Parse(name)
	if err != nil {
		return "", false
	}
	switch u.Query().Get("mode") {
	case "ro", "memory":
		return "", false
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if p == "" || p == ":memory:" {
		return "", false
	}
	return p, true
}

// ModeOf is the URI parameter ("modeof=<path>", escaped) by which SQLite
// gives every file it creates for the database at path (its log, again
// after it deleted it) the database file's mode and owner.
func ModeOf(path string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString("modeof=")
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '.', c == '_', c == '-', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
