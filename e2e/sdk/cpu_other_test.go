//go:build !unix

package sdk

import (
	"testing"
	"time"
)

// reportCPU reports nothing where the process's CPU time is not read.
func reportCPU(*testing.B, time.Duration) {}

func cpuTime() time.Duration { return 0 }
