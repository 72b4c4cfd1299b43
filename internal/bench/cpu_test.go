package bench

import (
	"os"
	"runtime"
	"testing"
)

func TestSharedCPUs(t *testing.T) {
	tests := []struct {
		a, b   string
		shared bool
	}{
		{"0", "1", false},
		{"0-1", "1", true},
		{"0,2-3", "1", false},
		{"0,2-3", "4-7,3", true},
		{"5", "0-7", true},
	}
	for _, tt := range tests {
		got, err := sharedCPUs(tt.a, tt.b)
		if err != nil || got != tt.shared {
			t.Errorf("sharedCPUs(%q, %q) = %v, %v; want %v", tt.a, tt.b, got, err, tt.shared)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "1-x", "-1"} {
		if _, err := parseCPUList(bad); err == nil {
			t.Errorf("parseCPUList(%q) took it", bad)
		}
	}
}

// TestOwnCPUList reads this process's CPU list, which names as many CPUs
// as Go found it may run on, and finds it shared with itself.
func TestOwnCPUList(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	list, err := cpuList(0)
	if err != nil {
		t.Fatal(err)
	}
	cpus, err := parseCPUList(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) != runtime.NumCPU() {
		t.Errorf("CPU list %q names %d CPUs, runtime.NumCPU() = %d", list, len(cpus), runtime.NumCPU())
	}
	if got, shared := serverCPUs(os.Getpid()); got != list || !shared {
		t.Errorf("serverCPUs(own pid) = %q, %v; want %q, true", got, shared, list)
	}
}
