package cputime

import (
	"runtime"
	"testing"
	"time"
)

// available reports whether this platform reads the process's CPU time.
func available() bool {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		return false
	}
	return true
}

func TestProcessGrows(t *testing.T) {
	start, ok := Process()
	if ok != available() {
		t.Fatalf("Process on %s: read %v, want %v", runtime.GOOS, ok, available())
	}
	if !ok {
		return
	}
	// Spin until the CPU time moves (it is counted in steps), for at most
	// ten seconds of wall time.
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for i := 0; time.Now().Before(deadline); i++ {
		x += i
		if now, _ := Process(); now > start {
			return
		}
	}
	t.Errorf("CPU time did not move in 10 s of spinning (%d)", x)
}

type metrics map[string]float64

func (m metrics) ReportMetric(v float64, unit string) { m[unit] = v }

func TestReport(t *testing.T) {
	m := metrics{}
	Report(m, 0, 0)
	if len(m) != 0 {
		t.Errorf("Report over no operations reported %v", m)
	}
	now, ok := Process()
	Report(m, now-time.Second, 4)
	if !ok {
		if len(m) != 0 {
			t.Errorf("Report without CPU time reported %v", m)
		}
		return
	}
	if got := m["cpu-ns/op"]; got < float64(time.Second)/4 {
		t.Errorf("cpu-ns/op = %v, want at least a quarter second", got)
	}
}
