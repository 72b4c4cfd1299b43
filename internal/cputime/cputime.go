//go:build unix

// Package cputime reads the CPU time the running process has used, for
// benchmarks that report CPU per operation beside wall time: on a loaded
// machine it varies less, since it leaves out the time spent waiting for a
// core.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time (user and system, every thread's) the
// process has used, and false where it cannot be read.
func Process() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
