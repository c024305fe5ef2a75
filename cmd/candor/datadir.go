package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/candor-ledger/candor/internal/fileperm"
)

// lockName is the lock file of a data directory.
const lockName = "candor.lock"

// errDataDirInUse: another process holds the data directory.
var errDataDirInUse = errors.New("data directory in use")

// holdDataDir makes dir private (created 0700, or tightened, which notice
// is told) and takes its lock for the life of the process: two processes
// on one directory (a server and an offline rebuild, two servers) would
// each change files the other is reading. The lock is an flock(2) on
// dir/candor.lock, which the system releases when the process ends,
// however it ends: a kill -9 leaves nothing to clean up. The file says
// who holds it, for the refusal of the next one.
func holdDataDir(dir, command string, notice func(string)) (release func(), err error) {
	said, err := fileperm.PrivateDir(dir)
	if err != nil {
		return nil, err
	}
	if said != "" {
		notice(said)
	}
	path := filepath.Join(dir, lockName)
	if err := fileperm.Private(path); err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	lock := flock.New(path, flock.SetPermissions(fileperm.FileMode))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if !ok {
		holder := "another candor process"
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			holder += " (" + strings.TrimSpace(strings.ReplaceAll(string(b), "\n", ", ")) + ")"
		}
		return nil, fmt.Errorf("%w: %s is used by %s: stop it first, or give this command another --data", errDataDirInUse, dir, holder)
	}
	// Who holds it, written through a handle of its own: the lock's is
	// read-only.
	who := "pid " + strconv.Itoa(os.Getpid()) + "\ncandor " + command + "\nsince " + time.Now().UTC().Format(time.RFC3339) + "\n"
	if err := os.WriteFile(path, []byte(who), fileperm.FileMode); err != nil {
		_ = lock.Unlock()
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	return func() { _ = lock.Unlock() }, nil
}
