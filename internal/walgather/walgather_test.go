package walgather

import (
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"
)

// fakeFile records the writes that reach it; failWrite fails them, or
// only those longer than failOver when it is set.
type fakeFile struct {
	vfs.File  // nil: methods not overridden are not called
	data      []byte
	writes    []string // "len@off"
	syncs     int
	failWrite error
	failOver  int
}

func (f *fakeFile) WriteAt(p []byte, off int64) (int, error) {
	if f.failWrite != nil && (f.failOver == 0 || len(p) > f.failOver) {
		return 0, f.failWrite
	}
	f.writes = append(f.writes, fmt.Sprintf("%d@%d", len(p), off))
	if end := int(off) + len(p); end > len(f.data) {
		f.data = append(f.data, make([]byte, end-len(f.data))...)
	}
	copy(f.data[off:], p)
	return len(p), nil
}

func (f *fakeFile) ReadAt(p []byte, off int64) (int, error) {
	return copy(p, f.data[off:]), nil
}

func (f *fakeFile) Sync(vfs.SyncFlag) error { f.syncs++; return nil }
func (f *fakeFile) Size() (int64, error)    { return int64(len(f.data)), nil }
func (f *fakeFile) Truncate(n int64) error  { f.data = f.data[:n]; return nil }
func (f *fakeFile) Close() error            { return nil }

func TestGatherFile(t *testing.T) {
	type op struct {
		kind string // write, read, sync, size, truncate, close
		off  int64
		n    int
	}
	tests := []struct {
		name   string
		ops    []op
		writes []string // what reaches the OS file, in order
	}{
		{"frames gathered until sync", []op{{"write", 32, 24}, {"write", 56, 4096}, {"write", 4152, 24}, {"write", 4176, 4096}, {"sync", 0, 0}},
			[]string{"8240@32"}},
		{"nothing before sync", []op{{"write", 0, 24}, {"write", 24, 4096}},
			nil},
		{"a gap writes what came before", []op{{"write", 0, 24}, {"write", 24, 100}, {"write", 1000, 10}, {"sync", 0, 0}},
			[]string{"124@0", "10@1000"}},
		{"a rewrite of an earlier frame", []op{{"write", 100, 50}, {"write", 100, 50}, {"sync", 0, 0}},
			[]string{"50@100", "50@100"}},
		{"read sees the writes", []op{{"write", 0, 64}, {"read", 0, 64}},
			[]string{"64@0"}},
		{"size sees the writes", []op{{"write", 0, 64}, {"size", 0, 0}},
			[]string{"64@0"}},
		{"truncate after the writes", []op{{"write", 0, 64}, {"truncate", 0, 0}},
			[]string{"64@0"}},
		{"close writes", []op{{"write", 0, 64}, {"close", 0, 0}},
			[]string{"64@0"}},
		{"gathering is bounded", []op{{"write", 0, maxGather - 10}, {"write", maxGather - 10, 20}, {"sync", 0, 0}},
			[]string{fmt.Sprintf("%d@0", maxGather-10), fmt.Sprintf("20@%d", maxGather-10)}},
		{"a big write goes through", []op{{"write", 0, 10}, {"write", 10, maxGather}},
			[]string{"10@0", fmt.Sprintf("%d@10", maxGather)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			disk := &fakeFile{}
			f := &gatherFile{File: disk}
			var want []byte // what the file holds, as written
			for i, o := range tc.ops {
				var err error
				switch o.kind {
				case "write":
					p := make([]byte, o.n)
					for j := range p {
						p[j] = byte(i + 1)
					}
					if end := int(o.off) + o.n; end > len(want) {
						want = append(want, make([]byte, end-len(want))...)
					}
					copy(want[o.off:], p)
					_, err = f.WriteAt(p, o.off)
				case "read":
					p := make([]byte, o.n)
					if _, err = f.ReadAt(p, o.off); err == nil && !slices.Equal(p, want[o.off:o.off+int64(o.n)]) {
						t.Errorf("read %d@%d does not see the writes", o.n, o.off)
					}
				case "sync":
					err = f.Sync(vfs.SYNC_NORMAL)
				case "size":
					var n int64
					if n, err = f.Size(); err == nil && n != int64(len(want)) {
						t.Errorf("Size = %d, want %d", n, len(want))
					}
				case "truncate":
					err = f.Truncate(int64(len(want)))
				case "close":
					err = f.Close()
				}
				if err != nil {
					t.Fatalf("op %d (%s): %v", i, o.kind, err)
				}
			}
			if !slices.Equal(disk.writes, tc.writes) {
				t.Errorf("writes reaching the file = %v, want %v", disk.writes, tc.writes)
			}
			if len(tc.writes) > 0 && !slices.Equal(disk.data, want) {
				t.Error("file contents differ from what was written")
			}
		})
	}
}

// TestGatherFileError: a write that fails when gathered bytes reach the OS
// fails the sync, with the OS VFS's own error (its SQLite code), and is
// not tried again.
func TestGatherFileError(t *testing.T) {
	full := vfs.SystemError(syscall.ENOSPC, sqlite3.FULL)
	disk := &fakeFile{failWrite: full}
	f := &gatherFile{File: disk}
	if _, err := f.WriteAt(make([]byte, 100), 0); err != nil {
		t.Fatalf("gathered write: %v", err)
	}
	if err := f.Sync(vfs.SYNC_NORMAL); err != full {
		t.Fatalf("Sync = %v, want the write's error as is", err)
	}
	if disk.syncs != 0 {
		t.Error("synced after a failed write")
	}
	disk.failWrite = nil
	if err := f.Sync(vfs.SYNC_NORMAL); err != nil || len(disk.writes) != 0 || disk.syncs != 1 {
		t.Fatalf("Sync after the failure = %v with writes %v; want a sync alone", err, disk.writes)
	}
}

// TestGatherFileZeroFill: a write past the end of the WAL file takes zeros
// up to a multiple of the chunk along, so that the next commits overwrite;
// never over what the file holds, never into the caller's memory.
func TestGatherFileZeroFill(t *testing.T) {
	const chunk = 4096
	type write struct {
		off int64
		n   int
	}
	tests := []struct {
		name     string
		before   int // bytes the file holds already
		failOver int // writes longer than this fail with a full disk
		writes   []write
		want     []string
		size     int
	}{
		{"first commit", 0, 0, []write{{0, 32}}, []string{"4096@0"}, chunk},
		{"within the zeros", 0, 0, []write{{0, 32}, {chunk / 2, 100}}, []string{"4096@0", "100@2048"}, chunk},
		{"past the zeros", 0, 0, []write{{0, 32}, {chunk - 10, 100}}, []string{"4096@0", fmt.Sprintf("%d@%d", chunk+10, chunk-10)}, 2 * chunk},
		{"file longer already", 3 * chunk, 0, []write{{0, 32}}, []string{"32@0"}, 3 * chunk},
		{"full disk", 0, 500, []write{{0, 100}}, []string{"100@0"}, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			disk := &fakeFile{data: make([]byte, tc.before), failOver: tc.failOver}
			if tc.failOver > 0 {
				disk.failWrite = vfs.SystemError(syscall.ENOSPC, sqlite3.FULL)
			}
			f := &gatherFile{File: disk, chunk: chunk}
			want := slices.Clone(disk.data)
			for i, w := range tc.writes {
				p := make([]byte, w.n)
				for j := range p {
					p[j] = byte(i + 1)
				}
				if end := int(w.off) + w.n; end > len(want) {
					want = append(want, make([]byte, end-len(want))...)
				}
				copy(want[w.off:], p)
				if _, err := f.WriteAt(p, w.off); err != nil {
					t.Fatal(err)
				}
				if err := f.Sync(vfs.SYNC_NORMAL); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(disk.writes, tc.want) {
				t.Errorf("writes = %v, want %v", disk.writes, tc.want)
			}
			if len(disk.data) != tc.size {
				t.Errorf("file size = %d, want %d", len(disk.data), tc.size)
			}
			want = append(want, make([]byte, max(len(disk.data)-len(want), 0))...)
			if !slices.Equal(disk.data, want) {
				t.Error("file holds other than the writes followed by zeros")
			}
		})
	}

	t.Run("caller's memory", func(t *testing.T) {
		disk := &fakeFile{}
		f := &gatherFile{File: disk, chunk: chunk}
		const n = maxGather + 100 // written at once, with zeros after it
		mem := make([]byte, n+chunk)
		for i := range mem {
			mem[i] = 0xAA
		}
		if _, err := f.WriteAt(mem[:n], 0); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(disk.writes, []string{fmt.Sprintf("%d@0", maxGather+chunk)}) {
			t.Errorf("writes = %v", disk.writes)
		}
		for i, b := range mem[n:] {
			if b != 0xAA {
				t.Fatalf("byte %d past the write overwritten", i)
			}
		}
	})
}

// TestNoDiskSync: with NoDiskSync, a sync writes what was gathered, in one
// write, and does not sync the file; a failed write fails the sync and is
// not tried again.
func TestNoDiskSync(t *testing.T) {
	disk := &fakeFile{}
	f := &gatherFile{File: disk, noDiskSync: true}
	for _, w := range []struct {
		off int64
		n   int
	}{{32, 24}, {56, 100}, {156, 24}, {180, 100}} { // two frames
		if _, err := f.WriteAt(make([]byte, w.n), w.off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(vfs.SYNC_FULL); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(disk.writes, []string{"248@32"}) || disk.syncs != 0 {
		t.Fatalf("writes %v and %d syncs; want what was gathered written and no sync", disk.writes, disk.syncs)
	}
	full := vfs.SystemError(syscall.ENOSPC, sqlite3.FULL)
	disk.failWrite = full
	if _, err := f.WriteAt(make([]byte, 10), 1000); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(vfs.SYNC_FULL); err != full {
		t.Fatalf("Sync = %v, want the write's error", err)
	}
	disk.failWrite = nil
	if err := f.Sync(vfs.SYNC_FULL); err != nil || len(disk.writes) != 1 || disk.syncs != 0 {
		t.Fatalf("Sync after the failure = %v, writes %v, %d syncs; want nothing", err, disk.writes, disk.syncs)
	}
}
