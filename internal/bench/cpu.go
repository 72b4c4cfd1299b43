package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CPU accounting. With the server's process ID (Linux), runLevel reads the
// server's CPU time and the bench's own at the start and the end of each
// timed window, from /proc/PID/stat and /proc/self/stat: utime + stime,
// every thread of the process, in clock ticks. The server's CPU per
// successful iteration is then comparable with the bound's CPU per
// operation even when the load generator takes part of the same cores,
// which caps the rate-based ratio.

// atClkTck is AT_CLKTCK, the auxiliary vector entry that holds the clock
// tick rate the kernel reports times in (sysconf(_SC_CLK_TCK)).
const atClkTck = 17

// defaultClockTicks is USER_HZ on every Linux architecture Go supports;
// clockTicks falls back to it when the auxiliary vector cannot be read.
const defaultClockTicks = 100

// clockTicks is the number of clock ticks per second that /proc/PID/stat
// counts in, read once from /proc/self/auxv.
var clockTicks = sync.OnceValue(func() int64 {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return defaultClockTicks
	}
	if hz, ok := parseAuxvClockTicks(b, strconv.IntSize/8, binary.NativeEndian); ok {
		return hz
	}
	return defaultClockTicks
})

// parseAuxvClockTicks finds AT_CLKTCK in an auxiliary vector: pairs of
// words (type, value) of wordSize bytes, ending with AT_NULL.
func parseAuxvClockTicks(b []byte, wordSize int, order binary.ByteOrder) (int64, bool) {
	word := func(p []byte) uint64 {
		if wordSize == 4 {
			return uint64(order.Uint32(p))
		}
		return order.Uint64(p)
	}
	for len(b) >= 2*wordSize {
		typ, val := word(b), word(b[wordSize:])
		b = b[2*wordSize:]
		switch {
		case typ == 0:
			return 0, false
		case typ == atClkTck && val > 0 && val <= 1_000_000:
			return int64(val), true
		}
	}
	return 0, false
}

// parseProcStat returns utime and stime, in clock ticks, from the content
// of /proc/PID/stat. The second field, the command name in parentheses,
// may itself hold spaces and parentheses: the fields that follow start
// after its last ')'.
func parseProcStat(b []byte) (utime, stime uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || !bytes.Contains(b[:i], []byte(" (")) {
		return 0, 0, errors.New("no command name in parentheses")
	}
	// Fields 3 (state) on; utime and stime are fields 14 and 15.
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	if utime, err = strconv.ParseUint(string(f[11]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("utime: %w", err)
	}
	if stime, err = strconv.ParseUint(string(f[12]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("stime: %w", err)
	}
	return utime, stime, nil
}

// processCPU returns the CPU time (user and system, all threads) process
// pid has used since it started; pid 0 is this process.
func processCPU(pid int) (time.Duration, error) {
	path := "/proc/self/stat"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	u, s, err := parseProcStat(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return ticksToDuration(u+s, clockTicks()), nil
}

func ticksToDuration(ticks uint64, hz int64) time.Duration {
	sec, rem := int64(ticks)/hz, int64(ticks)%hz
	return time.Duration(sec)*time.Second + time.Duration(rem)*time.Second/time.Duration(hz)
}

// cpuSample is the server's and the bench's CPU time at one instant.
type cpuSample struct {
	server, client time.Duration
	err            error
}

// sampleCPU reads the server's CPU time (pid) and the bench's own.
func sampleCPU(pid int) cpuSample {
	var s cpuSample
	var err1, err2 error
	s.server, err1 = processCPU(pid)
	s.client, err2 = processCPU(0)
	if err1 != nil {
		err1 = fmt.Errorf("server pid %d: %w", pid, err1)
	}
	s.err = errors.Join(err1, err2)
	return s
}

// setCPU fills r's CPU figures from the samples taken at the start and the
// end of its timed window.
func (r *Result) setCPU(start, end cpuSample) {
	if err := errors.Join(start.err, end.err); err != nil {
		r.CPUNote = "CPU time not read: " + err.Error()
		return
	}
	server, client := end.server-start.server, end.client-start.client
	r.ServerCPUSeconds, r.ClientCPUSeconds = server.Seconds(), client.Seconds()
	switch {
	case r.Count == 0:
		r.CPUNote = "no successful iteration"
		return
	case server <= 0:
		r.CPUNote = fmt.Sprintf("the server used less than one clock tick (1/%d s) of CPU in the window: run longer", clockTicks())
		return
	}
	n := float64(r.Count)
	r.ServerCPUUsPerOp = float64(server.Nanoseconds()) / 1000 / n
	r.ClientCPUUsPerOp = float64(client.Nanoseconds()) / 1000 / n
	r.ServerOpsPerCPUSecond = n / server.Seconds()
}

// setBoundCPU fills r's CPU-based ratio to its bound from boundNs, the
// bound's CPU time per operation: how much of the server's CPU per
// iteration the bounding work accounts for at least.
func (r *Result) setBoundCPU(boundNs float64) {
	if boundNs <= 0 || r.ServerCPUUsPerOp <= 0 {
		return
	}
	r.BoundCPUUsPerOp = boundNs / 1000
	r.OfBoundCPU = r.BoundCPUUsPerOp / r.ServerCPUUsPerOp
}

// cpuList reads the CPUs process pid (0: this one) may run on, as the
// kernel lists them in the Cpus_allowed_list line of /proc/PID/status
// ("0-1", "1", "0,2-3"): what taskset or a cgroup's cpuset gave it.
func cpuList(pid int) (string, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("Cpus_allowed_list:")); ok {
			return string(bytes.TrimSpace(rest)), nil
		}
	}
	return "", fmt.Errorf("%s: no Cpus_allowed_list", path)
}

// parseCPUList returns the CPUs a CPU list ("0-1", "1", "0,2-3") names.
func parseCPUList(s string) (map[int]bool, error) {
	out := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("CPU list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("CPU list %q: %w", s, err)
			}
		}
		if a < 0 || b < a || b-a > 1<<16 {
			return nil, fmt.Errorf("CPU list %q: bad range %q", s, part)
		}
		for c := a; c <= b; c++ {
			out[c] = true
		}
	}
	return out, nil
}

// sharedCPUs reports whether two CPU lists name a CPU in common.
func sharedCPUs(a, b string) (bool, error) {
	x, err := parseCPUList(a)
	if err != nil {
		return false, err
	}
	y, err := parseCPUList(b)
	if err != nil {
		return false, err
	}
	for c := range x {
		if y[c] {
			return true, nil
		}
	}
	return false, nil
}

// serverCPUs reads the CPUs the server pid may run on and whether this
// process may run on one of them too ("" and false when either cannot be
// read).
func serverCPUs(pid int) (string, bool) {
	server, err := cpuList(pid)
	if err != nil {
		return "", false
	}
	own, err := cpuList(0)
	if err != nil {
		return server, false
	}
	shared, err := sharedCPUs(server, own)
	return server, shared && err == nil
}
