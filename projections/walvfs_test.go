package projections

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/ncruces/go-sqlite3/vfs"
)

// memFile is a vfs.File in memory that records the writes it gets.
type memFile struct {
	vfs.File // not called
	data     []byte
	writes   []int64 // offsets, one per write
	syncs    int
	failNext error
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := m.failNext; err != nil {
		m.failNext = nil
		return 0, err
	}
	m.writes = append(m.writes, off)
	if end := int(off) + len(p); end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	copy(m.data[off:], p)
	return len(p), nil
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) { return copy(p, m.data[off:]), nil }
func (m *memFile) Sync(vfs.SyncFlag) error                 { m.syncs++; return nil }
func (m *memFile) Size() (int64, error)                    { return int64(len(m.data)), nil }
func (m *memFile) Truncate(size int64) error               { m.data = m.data[:size]; return nil }
func (m *memFile) Close() error                            { return nil }

func TestGatheredWAL(t *testing.T) {
	page := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	type step func(t *testing.T, f *gatheredWAL, m *memFile)
	write := func(b byte, n int, off int64) step {
		return func(t *testing.T, f *gatheredWAL, _ *memFile) {
			if k, err := f.WriteAt(page(b, n), off); err != nil || k != n {
				t.Fatalf("WriteAt(%d bytes at %d) = %d, %v", n, off, k, err)
			}
		}
	}
	wrote := func(offs ...int64) step {
		return func(t *testing.T, _ *gatheredWAL, m *memFile) {
			if !slices.Equal(m.writes, offs) {
				t.Fatalf("writes at %v, want %v", m.writes, offs)
			}
		}
	}
	do := func(name string, fn func(f *gatheredWAL) error) step {
		return func(t *testing.T, f *gatheredWAL, _ *memFile) {
			if err := fn(f); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	syncIt := do("Sync", func(f *gatheredWAL) error { return f.Sync(vfs.SYNC_FULL) })
	for _, tc := range []struct {
		name  string
		steps []step
		want  []byte
	}{
		{"a commit's frames reach the file in one write, at its sync", []step{
			write('h', 24, 32), write('p', 100, 56), write('H', 24, 156), write('P', 100, 180),
			wrote(), syncIt, wrote(32),
		}, append(append(append(append(make([]byte, 32), page('h', 24)...), page('p', 100)...), page('H', 24)...), page('P', 100)...)},
		{"a write elsewhere writes what was gathered first", []step{
			write('a', 10, 0), write('b', 10, 10), write('c', 5, 100), wrote(0), syncIt, wrote(0, 100),
		}, append(append(append(page('a', 10), page('b', 10)...), make([]byte, 80)...), page('c', 5)...)},
		{"reading, sizing and truncating see what was written", []step{
			write('a', 10, 0),
			func(t *testing.T, f *gatheredWAL, _ *memFile) {
				p := make([]byte, 10)
				if _, err := f.ReadAt(p, 0); err != nil || !bytes.Equal(p, page('a', 10)) {
					t.Fatalf("ReadAt = %q, %v", p, err)
				}
			},
			write('b', 10, 10),
			func(t *testing.T, f *gatheredWAL, _ *memFile) {
				if n, err := f.Size(); err != nil || n != 20 {
					t.Fatalf("Size = %d, %v; want 20", n, err)
				}
			},
			write('c', 10, 20),
			do("Truncate", func(f *gatheredWAL) error { return f.Truncate(25) }),
			wrote(0, 10, 20),
		}, append(append(page('a', 10), page('b', 10)...), page('c', 5)...)},
		{"a write as large as the buffer goes straight to the file", []step{
			write('a', 10, 0), write('b', maxGathered, 10), wrote(0, 10), syncIt, wrote(0, 10),
		}, append(page('a', 10), page('b', maxGathered)...)},
		{"closing writes what was gathered", []step{
			write('a', 10, 0), do("Close", func(f *gatheredWAL) error { return f.Close() }), wrote(0),
		}, page('a', 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &memFile{}
			f := &gatheredWAL{File: m}
			for _, s := range tc.steps {
				s(t, f, m)
			}
			if !bytes.Equal(m.data, tc.want) {
				t.Errorf("file holds %q, want %q", m.data, tc.want)
			}
			if m.syncs != 0 {
				t.Errorf("%d syncs of the file: the WAL is synced by the checkpoints", m.syncs)
			}
		})
	}
}

// A failed write of what was gathered fails the call that flushed it (SQLite
// then fails the transaction), and the bytes are not written later.
func TestGatheredWALWriteFailure(t *testing.T) {
	full := errors.New("disk full")
	m := &memFile{}
	f := &gatheredWAL{File: m}
	if _, err := f.WriteAt([]byte("frame"), 0); err != nil {
		t.Fatal(err)
	}
	m.failNext = full
	if err := f.Sync(vfs.SYNC_NORMAL); !errors.Is(err, full) {
		t.Fatalf("Sync = %v, want the write's error", err)
	}
	if err := f.Sync(vfs.SYNC_NORMAL); err != nil || len(m.writes) != 0 {
		t.Fatalf("second Sync = %v with writes at %v: the failed bytes were kept", err, m.writes)
	}
}
