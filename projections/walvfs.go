package projections

import (
	"github.com/ncruces/go-sqlite3/vfs"
)

// writerVFS is the VFS of the write connection (see writer): the operating
// system's, except that the writes of a commit to the WAL reach the OS as
// one write instead of two per page (a frame header, then the page). At
// the head of the store every event changes two or three pages, and those
// system calls were the largest part of what a live event cost.
//
// The gathered bytes must reach the OS before the commit is published to
// other connections (the queries read the WAL through their own files).
// SQLite publishes a commit's frames right after writing them, calling
// the VFS in between only to sync the WAL, and only with
// synchronous=FULL: so the writer runs with FULL, and here a sync of the
// WAL writes what was gathered without asking the disk to sync. What is
// durable stays what synchronous=NORMAL gives every other connection of
// the read models: the WAL is synced by the checkpoints (which the writer
// never runs, see openWriter), a power loss may lose the last
// transactions, never half of one, and a crash of the process loses
// nothing that was committed.
const writerVFS = "candor-projections-writer"

func init() { vfs.Register(writerVFS, gatherWALVFS{vfs.Find("")}) }

// gatherWALVFS wraps the OS VFS and, of the files it opens, the WAL only.
type gatherWALVFS struct{ vfs.VFS }

func (g gatherWALVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	var (
		f   vfs.File
		err error
	)
	if fv, ok := g.VFS.(vfs.VFSFilename); ok {
		f, flags, err = fv.OpenFilename(name, flags)
	} else {
		f, flags, err = g.VFS.Open(name.String(), flags)
	}
	if err != nil || flags&vfs.OPEN_WAL == 0 {
		return f, flags, err
	}
	return &gatheredWAL{File: f}, flags, nil
}

// maxGathered bounds what a gatheredWAL holds: the pages of a large commit
// (catching up) go in pieces of this size.
const maxGathered = 1 << 20

// gatheredWAL holds consecutive writes in buf, to be written at off.
type gatheredWAL struct {
	vfs.File
	buf []byte
	off int64
}

var _ vfs.FileUnwrap = (*gatheredWAL)(nil)

func (f *gatheredWAL) Unwrap() vfs.File { return f.File }

func (f *gatheredWAL) WriteAt(p []byte, off int64) (int, error) {
	if len(f.buf) == 0 || off != f.off+int64(len(f.buf)) || len(f.buf)+len(p) > maxGathered {
		if err := f.flush(); err != nil {
			return 0, err
		}
		if len(p) >= maxGathered {
			return f.File.WriteAt(p, off)
		}
		if f.buf == nil {
			f.buf = make([]byte, 0, maxGathered)
		}
		f.off = off
	}
	f.buf = append(f.buf, p...)
	return len(p), nil
}

// flush writes what was gathered. On failure the bytes are dropped: SQLite
// fails the transaction that wrote them, with the OS VFS's error.
func (f *gatheredWAL) flush() error {
	if len(f.buf) == 0 {
		return nil
	}
	_, err := f.File.WriteAt(f.buf, f.off)
	f.buf = f.buf[:0]
	return err
}

// Sync writes what was gathered, and no more: see writerVFS.
func (f *gatheredWAL) Sync(vfs.SyncFlag) error { return f.flush() }

func (f *gatheredWAL) ReadAt(p []byte, off int64) (int, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *gatheredWAL) Size() (int64, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.Size()
}

func (f *gatheredWAL) Truncate(size int64) error {
	if err := f.flush(); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *gatheredWAL) Close() error {
	err := f.flush()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}
