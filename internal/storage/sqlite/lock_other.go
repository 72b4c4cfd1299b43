//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package sqlite

import (
	"fmt"
	"os"
	"runtime"
)

// lockFile fails: this platform offers no lock cognate uses, and a store
// that cannot keep a second process out is not opened.
func lockFile(*os.File) error {
	return fmt.Errorf("locking files is not supported on %s", runtime.GOOS)
}
