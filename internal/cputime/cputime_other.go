//go:build !unix

// Package cputime reads the CPU time the running process has used, for
// benchmarks that report CPU per operation beside wall time.
package cputime

import "time"

// Process returns false: the process's CPU time is not read here.
func Process() (time.Duration, bool) { return 0, false }
