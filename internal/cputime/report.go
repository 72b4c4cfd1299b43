package cputime

import "time"

// Report reports to a benchmark (a *testing.B) the process's CPU time per
// operation since start, over n operations, as cpu-ns/op; where the CPU
// time cannot be read it reports nothing.
func Report(b interface{ ReportMetric(float64, string) }, start time.Duration, n int) {
	now, ok := Process()
	if !ok || n <= 0 {
		return
	}
	b.ReportMetric(float64(now-start)/float64(n), "cpu-ns/op")
}
