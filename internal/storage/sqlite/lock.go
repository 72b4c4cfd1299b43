package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// fileMode is the mode of every file of the store: the database, its WAL
// and shared-memory files and the lock file. They hold password hashes,
// sealed secrets and personal data, so only their owner may read them,
// whatever the data directory's mode and the process's umask.
const fileMode = 0o600

// errLocked is what lockFile returns when another holder has the lock.
var errLocked = errors.New("locked")

// dirLock is the exclusive lock a DB holds on "<path>.lock" for its life:
// SQLite's own locks let several processes share a file, but two cognate
// servers (or a server and `cognate migrate`) on one data directory would
// each keep state the other does not see (HLC clocks, caches), so the
// second is refused. The lock is an flock (LockFileEx on Windows): the
// kernel drops it when the process dies, even by SIGKILL, so a crash never
// leaves a stale lock. The file itself stays; removing it would let two
// processes lock two different files of one name.
type dirLock struct {
	f *os.File
}

// lockStore takes the lock of the database at path, or says clearly who
// holds it.
func lockStore(path string) (*dirLock, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("sqlite: %s is in use by another cognate process (it holds %s); "+
				"stop that process first, or give this one another data_dir", path, lockPath)
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", lockPath, err)
	}
	return &dirLock{f: f}, nil
}

// release drops the lock; it may be called more than once.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the lock
	l.f = nil
	return err
}

// prepareFiles makes the database file, before SQLite opens it, readable
// by its owner only: a new one is created empty with mode 0600, and an
// existing one (and a WAL or shared-memory file left by an earlier run)
// loses any group or other permission. SQLite creates the WAL and
// shared-memory files with the database file's mode, so they follow.
func prepareFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	if runtime.GOOS == "windows" {
		return nil // file modes do not describe access there
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("sqlite: restrict %s to its owner: %w", p, err)
			}
		}
	}
	return nil
}
