package sqlite

import (
	"net/url"
	"strings"

	"github.com/ncruces/go-sqlite3/vfs"
)

// walVFS is the name of the VFS of the write connection: the operating
// system's, except that appends to the write-ahead log are gathered and
// reach the OS in one write when SQLite syncs the log, instead of two
// writes (frame header, page) per page. Syscalls are dear here: a group
// commit of 64 streams wrote about 170 times; it now writes once.
//
// This is safe because the write connection runs with synchronous=FULL:
// SQLite syncs the log at every commit before it publishes the commit's
// frames to other connections, and the sync writes the gathered bytes
// first, so what another connection (or a recovery after kill -9) may read
// is on the OS as before. The connection's own reads, size queries and
// truncations of the log write the gathered bytes first too.
const walVFS = "candor-wal"

func init() { vfs.Register(walVFS, gatherVFS{vfs.Find("")}) }

// gatherVFS wraps the OS VFS; only WAL files are wrapped, the database
// file is the OS VFS's own (shared memory, locks, mmap).
type gatherVFS struct{ vfs.VFS }

func (g gatherVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
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
	return &gatherFile{File: f, chunk: walChunk}, flags, nil
}

const (
	// maxGather bounds the bytes a gatherFile holds: a bigger commit is
	// written in pieces of this size.
	maxGather = 1 << 20
	// walChunk is how far ahead the WAL file is zero-filled when a write
	// extends it. The WAL grows up to the checkpoint limit, then is
	// written again from its start; an fdatasync after a write past the
	// end of a file must also commit the file's new size and blocks, an
	// fdatasync after an overwrite need not, and costs about half as much
	// for a single small Append. Zeros past the last frame are what
	// SQLite meets in any WAL that started over: not a valid frame, the
	// end of the log.
	walChunk = 1 << 20
)

var zeros [walChunk]byte

// gatherFile holds consecutive writes in buf, to be written at off.
type gatherFile struct {
	vfs.File
	buf   []byte
	off   int64
	chunk int64 // zero-fill this far ahead of a write that extends the file (0: never)
	size  int64 // the file's size, as last known
}

var _ vfs.FileUnwrap = (*gatherFile)(nil)

func (f *gatherFile) Unwrap() vfs.File { return f.File }

func (f *gatherFile) WriteAt(p []byte, off int64) (int, error) {
	if len(f.buf) > 0 && off == f.off+int64(len(f.buf)) && len(f.buf)+len(p) <= maxGather {
		f.buf = append(f.buf, p...)
		return len(p), nil
	}
	if err := f.flush(); err != nil {
		return 0, err
	}
	if len(p) >= maxGather {
		if err := f.write(p, off); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	f.buf, f.off = append(f.buf, p...), off
	return len(p), nil
}

// flush writes what was gathered. The error is the OS VFS's own, unwrapped,
// so that SQLite reports its code (SQLITE_FULL for a full disk). Failed,
// the bytes are dropped: SQLite fails the transaction that wrote them.
func (f *gatherFile) flush() error {
	if len(f.buf) == 0 {
		return nil
	}
	err := f.write(f.buf, f.off)
	f.buf = f.buf[:0]
	return err
}

// write writes p at off. A write past the end of the file writes zeros
// after p up to a multiple of chunk, all at once; with no room for them
// (a full disk), p alone.
func (f *gatherFile) write(p []byte, off int64) error {
	end := off + int64(len(p))
	if f.chunk > 0 && end > f.size {
		// Ask the file: zeros go only past its real end, where nothing
		// can be overwritten, whatever another process did to it.
		if size, err := f.File.Size(); err == nil {
			f.size = size
		}
		if grown := (end + f.chunk - 1) / f.chunk * f.chunk; end > f.size && grown-end <= int64(len(zeros)) {
			// p[:len(p):len(p)]: never append into the caller's memory.
			if _, err := f.File.WriteAt(append(p[:len(p):len(p)], zeros[:grown-end]...), off); err == nil {
				f.size = grown
				return nil
			}
		}
	}
	if _, err := f.File.WriteAt(p, off); err != nil {
		return err
	}
	f.size = max(f.size, end)
	return nil
}

func (f *gatherFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *gatherFile) Sync(flags vfs.SyncFlag) error {
	if err := f.flush(); err != nil {
		return err
	}
	return f.File.Sync(flags)
}

func (f *gatherFile) Size() (int64, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.Size()
}

func (f *gatherFile) Truncate(size int64) error {
	if err := f.flush(); err != nil {
		return err
	}
	if err := f.File.Truncate(size); err != nil {
		return err
	}
	f.size = size
	return nil
}

func (f *gatherFile) Close() error {
	err := f.flush()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// withVFS returns path (a file name or a "file:" URI) as a URI that opens
// it with the VFS named name, unless it names a VFS already.
func withVFS(path, name string) string {
	if !strings.HasPrefix(path, "file:") {
		uri := "file:"
		if strings.HasPrefix(path, "/") {
			uri += "//" // an empty authority: the path may start with "//"
		}
		return uri + (&url.URL{Path: path}).EscapedPath() + "?vfs=" + name
	}
	uri, fragment, hasFragment := strings.Cut(path, "#")
	_, query, hasQuery := strings.Cut(uri, "?")
	if params, err := url.ParseQuery(query); err == nil && params.Has("vfs") {
		return path
	}
	switch {
	case !hasQuery:
		uri += "?"
	case query != "" && !strings.HasSuffix(query, "&"):
		uri += "&"
	}
	uri += "vfs=" + name
	if hasFragment {
		uri += "#" + fragment
	}
	return uri
}
