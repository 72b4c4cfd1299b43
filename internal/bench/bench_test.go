package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPercentile(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{"p50 of 100", lat, 0.50, 50 * time.Millisecond},
		{"p95 of 100", lat, 0.95, 95 * time.Millisecond},
		{"p99 of 100", lat, 0.99, 99 * time.Millisecond},
		{"one sample", lat[:1], 0.99, time.Millisecond},
		{"p50 of 3", lat[:3], 0.50, 2 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.lat, tc.q); got != tc.want {
				t.Errorf("percentile = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOpStats(t *testing.T) {
	var s opStats
	for i := range 10 {
		s.record(time.Duration(10-i)*time.Millisecond, nil)
	}
	for range 5 {
		s.record(time.Second, errors.New("boom"))
	}
	var other opStats
	other.record(time.Millisecond, errors.New("bang"))
	s.merge(&other)
	got := s.result("op", 2*time.Second)
	want := OpResult{Operation: "op", Figures: Figures{Count: 10, Errors: 6, OpsPerSecond: 5, P50Ms: 5, P95Ms: 10, P99Ms: 10, MaxMs: 10,
		ErrorSamples: []string{"boom", "bang"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestBoundTerms(t *testing.T) {
	bounds := map[string]Bound{
		BoundArgon2id:  {OpsPerSecond: 50},   // 20 ms
		BoundRS256Sign: {OpsPerSecond: 1000}, // 1 ms
	}
	tests := []struct {
		terms    boundTerms
		wantName string
		wantRate float64
		wantOK   bool
	}{
		{boundTerms{BoundArgon2id: 1, BoundRS256Sign: 2}, "argon2id + 2×rs256-sign", 1 / 0.022, true},
		{boundTerms{BoundRS256Sign: 2}, "2×rs256-sign", 500, true},
		{boundTerms{BoundSRPServerStep: 1}, "srp-server-step", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.wantName, func(t *testing.T) {
			if got := tc.terms.String(); got != tc.wantName {
				t.Errorf("String = %q, want %q", got, tc.wantName)
			}
			rate, ok := tc.terms.rate(bounds)
			if ok != tc.wantOK || math.Abs(rate-tc.wantRate) > 1e-9 {
				t.Errorf("rate = %v, %v; want %v, %v", rate, ok, tc.wantRate, tc.wantOK)
			}
		})
	}
}

func TestCheckListUsers(t *testing.T) {
	user := func(email string) types.UserType {
		return types.UserType{Username: aws.String("u"), Attributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}}
	}
	many := make([]types.UserType, 61)
	for i := range many {
		many[i] = user("bench-user-0000000@bench.example.com")
	}
	tests := []struct {
		name    string
		users   []types.UserType
		prefix  string
		wantErr bool
	}{
		{"a page", many[:60], "", false},
		{"matching prefix", []types.UserType{user("bench-user-0001234@x")}, "bench-user-00012", false},
		{"no users", nil, "", true},
		{"past the limit", many, "", true},
		{"filter ignored", []types.UserType{user("bench-user-0001234@x"), user("bench-user-0009999@x")}, "bench-user-00012", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkListUsers(tc.users, tc.prefix, 100); (err != nil) != tc.wantErr {
				t.Errorf("checkListUsers = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	r := &Report{Targets: []TargetReport{
		{Name: "target", Results: []Result{
			{Scenario: "get-user", Concurrency: 1, Figures: Figures{OpsPerSecond: 100, P50Ms: 1}},
			{Scenario: "user-srp-auth", Concurrency: 1, Figures: Figures{OpsPerSecond: 50}},
			{Scenario: "list-users", Concurrency: 1, Figures: Figures{OpsPerSecond: 40}},
		}},
		{Name: "compare", Results: []Result{
			{Scenario: "get-user", Concurrency: 1, Figures: Figures{OpsPerSecond: 25, P50Ms: 4}},
			{Scenario: "user-srp-auth", Skipped: "unsupported"},
			{Scenario: "list-users", Concurrency: 1, Figures: Figures{OpsPerSecond: 10, Errors: 2}},
		}},
	}}
	r.compare()
	want := []Comparison{
		{Scenario: "get-user", Concurrency: 1, Target: 100, Compare: 25, Ratio: 4, TargetP50Ms: 1, CompareP50Ms: 4},
		{Scenario: "user-srp-auth", Concurrency: 1, Target: 50, CompareSkipped: "unsupported"},
		{Scenario: "list-users", Concurrency: 1, Target: 40, Compare: 10, CompareSkipped: "errors in a run: no ratio"},
	}
	if diff := cmp.Diff(want, r.Comparison); diff != "" {
		t.Errorf("comparison (-want +got):\n%s", diff)
	}
}

func TestOptionsCheck(t *testing.T) {
	ok := Options{Target: Target{Endpoint: "http://127.0.0.1:1"}, Concurrency: []int{1}, Duration: time.Second, MaxOps: 1, Users: 1}
	if err := ok.check(); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	bad := Options{Concurrency: []int{0}, Duration: -1, Users: 0, Scenarios: []string{"nap"}}
	want := "endpoint: required\nconcurrency: 0 is not between 1 and 1024\nduration: -1ns is not between 0 and 24h\n" +
		"max-ops: must be positive\nusers: 0 is not between 1 and 100,000,000\nscenarios: unknown scenario \"nap\""
	if err := bad.check(); err == nil || err.Error() != want {
		t.Errorf("check = %v, want\n%s", err, want)
	}
}

func TestParseProcStat(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 1234 and 567 in each line.
	tail := " S 1 1 1 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 12 0 100 123456 789 18446744073709551615\n"
	tests := []struct {
		name      string
		stat      string
		wantUtime uint64
		wantStime uint64
		wantErr   bool
	}{
		{name: "plain", stat: "4242 (cognate)" + tail, wantUtime: 1234, wantStime: 567},
		{name: "spaces in the command name", stat: "4242 (node  main worker)" + tail, wantUtime: 1234, wantStime: 567},
		{name: "parentheses in the command name", stat: "4242 (a) (b) 5 6)" + tail, wantUtime: 1234, wantStime: 567},
		{name: "a closing parenthesis then digits", stat: "4242 () 1 2 3 4 5 6 7 8 9 10 11 12 13)" + tail, wantUtime: 1234, wantStime: 567},
		{name: "empty command name", stat: "4242 ()" + tail, wantUtime: 1234, wantStime: 567},
		{name: "no command name", stat: "4242 cognate" + tail, wantErr: true},
		{name: "truncated", stat: "4242 (cognate) S 1 1 1 0 -1 4194560 100 0 0 0 1234", wantErr: true},
		{name: "not a number", stat: "4242 (cognate) S 1 1 1 0 -1 4194560 100 0 0 0 12x4 567 0\n", wantErr: true},
		{name: "empty", stat: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, s, err := parseProcStat([]byte(tc.stat))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseProcStat = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && (u != tc.wantUtime || s != tc.wantStime) {
				t.Errorf("parseProcStat = %d, %d; want %d, %d", u, s, tc.wantUtime, tc.wantStime)
			}
		})
	}
}

func TestParseAuxvClockTicks(t *testing.T) {
	auxv := func(wordSize int, order binary.AppendByteOrder, words ...uint64) []byte {
		var b []byte
		for _, w := range words {
			if wordSize == 4 {
				b = order.AppendUint32(b, uint32(w))
			} else {
				b = order.AppendUint64(b, w)
			}
		}
		return b
	}
	tests := []struct {
		name     string
		b        []byte
		wordSize int
		order    binary.ByteOrder
		want     int64
		wantOK   bool
	}{
		{"64-bit little-endian", auxv(8, binary.LittleEndian, 33, 0x7f00, 6, 4096, 17, 100, 0, 0), 8, binary.LittleEndian, 100, true},
		{"64-bit big-endian", auxv(8, binary.BigEndian, 6, 65536, 17, 250, 0, 0), 8, binary.BigEndian, 250, true},
		{"32-bit", auxv(4, binary.LittleEndian, 6, 4096, 17, 1024, 0, 0), 4, binary.LittleEndian, 1024, true},
		{"after AT_NULL", auxv(8, binary.LittleEndian, 6, 4096, 0, 0, 17, 100), 8, binary.LittleEndian, 0, false},
		{"missing", auxv(8, binary.LittleEndian, 6, 4096, 0, 0), 8, binary.LittleEndian, 0, false},
		{"zero", auxv(8, binary.LittleEndian, 17, 0, 0, 0), 8, binary.LittleEndian, 0, false},
		{"truncated", auxv(8, binary.LittleEndian, 17, 100)[:12], 8, binary.LittleEndian, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseAuxvClockTicks(tc.b, tc.wordSize, tc.order)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("parseAuxvClockTicks = %d, %v; want %d, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestProcessCPU reads this process's CPU time by its process ID and as
// self, where /proc exists.
func TestProcessCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		if _, err := processCPU(os.Getpid()); err == nil {
			t.Errorf("processCPU without /proc: no error")
		}
		return
	}
	if hz := clockTicks(); hz < 1 {
		t.Errorf("clockTicks = %d", hz)
	}
	for _, pid := range []int{0, os.Getpid()} {
		if d, err := processCPU(pid); err != nil || d < 0 {
			t.Errorf("processCPU(%d) = %v, %v; want a CPU time", pid, d, err)
		}
	}
	if _, err := processCPU(-1); err == nil {
		t.Errorf("processCPU(-1): no error")
	}
}

func TestTicksToDuration(t *testing.T) {
	tests := []struct {
		ticks uint64
		hz    int64
		want  time.Duration
	}{
		{0, 100, 0},
		{1, 100, 10 * time.Millisecond},
		{12345, 100, 123450 * time.Millisecond},
		{3, 1000, 3 * time.Millisecond},
		{1, 3, time.Second / 3},
		{7, 3, 2*time.Second + time.Second/3},
	}
	for _, tc := range tests {
		if got := ticksToDuration(tc.ticks, tc.hz); got != tc.want {
			t.Errorf("ticksToDuration(%d, %d) = %v, want %v", tc.ticks, tc.hz, got, tc.want)
		}
	}
}

func TestSetCPU(t *testing.T) {
	at := func(server, client time.Duration) cpuSample { return cpuSample{server: server, client: client} }
	tests := []struct {
		name       string
		count      int64
		start, end cpuSample
		boundNs    float64
		want       Result
	}{
		{
			name: "argon2id sign-in", count: 100, start: at(10*time.Second, 3*time.Second), end: at(12*time.Second, 3500*time.Millisecond),
			boundNs: 16e6, // 16 ms of bound per iteration, 20 ms of server CPU
			want: Result{Figures: Figures{Count: 100}, ServerCPUSeconds: 2, ClientCPUSeconds: 0.5, ServerCPUUsPerOp: 20000, ClientCPUUsPerOp: 5000,
				ServerOpsPerCPUSecond: 50, BoundCPUUsPerOp: 16000, OfBoundCPU: 0.8},
		},
		{
			name: "no bound", count: 400, start: at(0, 0), end: at(time.Second, 2*time.Second),
			want: Result{Figures: Figures{Count: 400}, ServerCPUSeconds: 1, ClientCPUSeconds: 2, ServerCPUUsPerOp: 2500, ClientCPUUsPerOp: 5000, ServerOpsPerCPUSecond: 400},
		},
		{
			name: "less than a tick", count: 3, start: at(time.Second, 0), end: at(time.Second, 10*time.Millisecond), boundNs: 1e6,
			want: Result{Figures: Figures{Count: 3}, ClientCPUSeconds: 0.01,
				CPUNote: fmt.Sprintf("the server used less than one clock tick (1/%d s) of CPU in the window: run longer", clockTicks())},
		},
		{
			name: "no success", start: at(0, 0), end: at(time.Second, time.Second), boundNs: 1e6,
			want: Result{ServerCPUSeconds: 1, ClientCPUSeconds: 1, CPUNote: "no successful iteration"},
		},
		{
			name: "unreadable", count: 5, start: at(0, 0), end: cpuSample{err: errors.New("server pid 7: gone")}, boundNs: 1e6,
			want: Result{Figures: Figures{Count: 5}, CPUNote: "CPU time not read: server pid 7: gone"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Result{Figures: Figures{Count: tc.count}}
			r.setCPU(tc.start, tc.end)
			r.setBoundCPU(tc.boundNs)
			if diff := cmp.Diff(tc.want, r, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("CPU figures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBoundTermsCPU(t *testing.T) {
	// Measured on 2 goroutines: 40 argon2id in 1 s (50 ms of CPU each, 40/s
	// in all) and 4,000 signatures in 2 s (1 ms each).
	bounds := map[string]Bound{
		BoundArgon2id:  {Parallelism: 2, Ops: 40, Seconds: 1, OpsPerSecond: 40, NsPerOp: 50e6},
		BoundRS256Sign: {Parallelism: 2, Ops: 4000, Seconds: 2, OpsPerSecond: 2000, NsPerOp: 1e6},
	}
	terms := boundTerms{BoundArgon2id: 1, BoundRS256Sign: 2}
	ns, ok := terms.cpuNs(bounds)
	if !ok || ns != 52e6 {
		t.Errorf("cpuNs = %v, %v; want 52 ms", ns, ok)
	}
	// The rate and the CPU time per operation describe the same
	// measurement: at 2 goroutines, rate × CPU per operation is 2 CPUs.
	rate, _ := terms.rate(bounds)
	if got := rate * ns / 1e9; math.Abs(got-2) > 1e-9 {
		t.Errorf("rate × CPU per op = %v CPUs, want 2", got)
	}
	if _, ok := (boundTerms{BoundSRPServerStep: 1}).cpuNs(bounds); ok {
		t.Errorf("cpuNs of an unmeasured bound: ok")
	}
	// Where the process's CPU time was read, it is what counts: here the
	// machine was busy and the signatures took twice their CPU in wall time.
	bounds[BoundRS256Sign] = Bound{Parallelism: 2, Ops: 4000, Seconds: 4, OpsPerSecond: 1000, NsPerOp: 2e6, CPUNsPerOp: 1e6}
	bounds[BoundArgon2id] = Bound{Parallelism: 2, Ops: 40, Seconds: 1, OpsPerSecond: 40, NsPerOp: 50e6, CPUNsPerOp: 45e6}
	if ns, ok := terms.cpuNs(bounds); !ok || ns != 47e6 {
		t.Errorf("cpuNs with CPU times = %v, %v; want 47 ms", ns, ok)
	}
}

func TestCompareCPU(t *testing.T) {
	r := &Report{Targets: []TargetReport{
		{Name: "target", Results: []Result{
			{Scenario: "get-user", Concurrency: 1, Figures: Figures{OpsPerSecond: 100}, ServerCPUUsPerOp: 200},
			{Scenario: "admin-get-user", Concurrency: 1, Figures: Figures{OpsPerSecond: 100}, ServerCPUUsPerOp: 300},
		}},
		{Name: "compare", Results: []Result{
			{Scenario: "get-user", Concurrency: 1, Figures: Figures{OpsPerSecond: 50}, ServerCPUUsPerOp: 900},
			{Scenario: "admin-get-user", Concurrency: 1, Figures: Figures{OpsPerSecond: 50}},
		}},
	}}
	r.compare()
	want := []Comparison{
		{Scenario: "get-user", Concurrency: 1, Target: 100, Compare: 50, Ratio: 2,
			TargetServerCPUUsPerOp: 200, CompareServerCPUUsPerOp: 900, ServerCPURatio: 4.5},
		{Scenario: "admin-get-user", Concurrency: 1, Target: 100, Compare: 50, Ratio: 2, TargetServerCPUUsPerOp: 300},
	}
	if diff := cmp.Diff(want, r.Comparison); diff != "" {
		t.Errorf("comparison (-want +got):\n%s", diff)
	}
}

// TestWriteTableCPU checks that the CPU figures get their own table per
// target, with a legend, and that the comparison gains the servers' CPU per
// iteration and its ratio.
func TestWriteTableCPU(t *testing.T) {
	r := &Report{
		Targets: []TargetReport{
			{Name: "target", Server: &ServerReport{PID: 4242, ClockTicksPerSecond: 100}, Results: []Result{
				{Scenario: "user-password-auth", Concurrency: 4, Figures: Figures{Count: 300, OpsPerSecond: 100}, Bound: "argon2id + 2×rs256-sign",
					BoundOpsPerSecond: 125, OfBound: 0.8, ServerCPUSeconds: 6, ClientCPUSeconds: 1.5, ServerCPUUsPerOp: 20000,
					ClientCPUUsPerOp: 5000, ServerOpsPerCPUSecond: 50, BoundCPUUsPerOp: 16000, OfBoundCPU: 0.8},
				{Scenario: "admin-get-user", Concurrency: 4, Figures: Figures{Count: 2, OpsPerSecond: 1}, CPUNote: "the server used less than one clock tick (1/100 s) of CPU in the window: run longer"},
			}},
			{Name: "compare", Server: &ServerReport{PID: 4343, ClockTicksPerSecond: 100}, Results: []Result{
				{Scenario: "user-password-auth", Concurrency: 4, Figures: Figures{Count: 150, OpsPerSecond: 50}, ServerCPUSeconds: 6, ClientCPUSeconds: 1,
					ServerCPUUsPerOp: 40000, ClientCPUUsPerOp: 6666.7, ServerOpsPerCPUSecond: 25},
				{Scenario: "admin-get-user", Concurrency: 4, Figures: Figures{Count: 2, OpsPerSecond: 1}, CPUNote: "the server used less than one clock tick (1/100 s) of CPU in the window: run longer"},
			}},
		},
	}
	r.compare()
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CPU in each timed window, server pid 4242 and this bench, from /proc at 100 ticks/s:",
		"CPU in each timed window, server pid 4343 and this bench, from /proc at 100 ticks/s:",
		"server µs/op  server ops/CPU-s  bench µs/op  bound µs/op  of bound (CPU)",
		"user-password-auth     4       20000.0              50.0       5000.0      16000.0            0.80",
		"admin-get-user     4  ",
		"run longer",
		"of bound (CPU): bound µs/op over server µs/op",
		"target server µs/op  compare server µs/op  CPU ratio",
		"CPU ratio: compare server µs/op over target server µs/op",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "of bound (CPU): bound µs/op over server µs/op"); n != 1 {
		t.Errorf("the CPU legend shows %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "this bench's own process") {
		t.Errorf("table says the server is the bench's process:\n%s", out)
	}
	if len(r.Comparison) != 2 || r.Comparison[0].ServerCPURatio != 2 {
		t.Errorf("comparison %+v, want a CPU ratio of 2 for user-password-auth", r.Comparison)
	}
}

func TestParseForm(t *testing.T) {
	page := `<!doctype html><html><body>
<form method="post" action="/other"><input type="hidden" name="x" value="no"></form>
<form method="post" action="/_domain/d/login" id="signin-form" novalidate>
<input type="hidden" name="_csrf" value="a&amp;b">
<input type="hidden" name="client_id" value="c1"/>
<input id="username" name="username" type="text">
</form>
<input type="hidden" name="after" value="no">
</body></html>`
	action, fields, err := parseForm(strings.NewReader(page), "signin-form")
	if err != nil {
		t.Fatal(err)
	}
	if action != "/_domain/d/login" {
		t.Errorf("action %q", action)
	}
	want := map[string][]string{"_csrf": {"a&b"}, "client_id": {"c1"}}
	if diff := cmp.Diff(want, map[string][]string(fields)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if _, _, err := parseForm(strings.NewReader(page), "missing"); err == nil {
		t.Error("a page without the form: no error")
	}
}

func TestPooledBounds(t *testing.T) {
	// Before the window: 40 argon2id in 1 s on 2 goroutines at 45 ms of
	// CPU each; after it: 60 in 2 s at 60 ms each. Pooled: 100 in 3 s,
	// (40×45 + 60×60) / 100 = 54 ms of CPU each.
	around := []Bound{
		{Name: BoundArgon2id, Parallelism: 2, Ops: 40, Seconds: 1, CPUNsPerOp: 45e6, When: WhenBefore},
		{Name: BoundRS256Sign, Parallelism: 2, Ops: 1000, Seconds: 1, CPUNsPerOp: 1e6, When: WhenBefore},
		{Name: BoundArgon2id, Parallelism: 2, Ops: 60, Seconds: 2, CPUNsPerOp: 60e6, When: WhenAfter},
		{Name: BoundRS256Sign, Parallelism: 2, Ops: 1000, Seconds: 1, When: WhenAfter}, // CPU not read
	}
	got := pooledBounds(around)
	want := map[string]Bound{
		BoundArgon2id:  {Name: BoundArgon2id, Parallelism: 2, Ops: 100, Seconds: 3, OpsPerSecond: 100.0 / 3, NsPerOp: 60e6, CPUNsPerOp: 54e6},
		BoundRS256Sign: {Name: BoundRS256Sign, Parallelism: 2, Ops: 2000, Seconds: 2, OpsPerSecond: 1000, NsPerOp: 2e6},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("pooled bounds (-want +got):\n%s", diff)
	}
}

func TestResultSetBounds(t *testing.T) {
	terms := boundTerms{BoundSRPServerStep: 1, BoundRS256Sign: 2}
	// At the start of the run the SRP step took 3 ms of CPU and a signature
	// 1 ms; around the window the machine ran slower: 4 ms and 1.25 ms.
	start := map[string]Bound{
		BoundSRPServerStep: {Name: BoundSRPServerStep, Parallelism: 1, Ops: 300, Seconds: 1, OpsPerSecond: 300, NsPerOp: 3.33e6, CPUNsPerOp: 3e6},
		BoundRS256Sign:     {Name: BoundRS256Sign, Parallelism: 1, Ops: 1000, Seconds: 1, OpsPerSecond: 1000, NsPerOp: 1e6, CPUNsPerOp: 1e6},
		BoundArgon2id:      {Name: BoundArgon2id, Parallelism: 1, Ops: 40, Seconds: 1, OpsPerSecond: 40, NsPerOp: 25e6, CPUNsPerOp: 25e6},
	}
	around := []Bound{
		{Name: BoundSRPServerStep, Parallelism: 1, Ops: 250, Seconds: 1, CPUNsPerOp: 4e6, When: WhenBefore},
		{Name: BoundRS256Sign, Parallelism: 1, Ops: 800, Seconds: 1, CPUNsPerOp: 1.25e6, When: WhenBefore},
		{Name: BoundSRPServerStep, Parallelism: 1, Ops: 250, Seconds: 1, CPUNsPerOp: 4e6, When: WhenAfter},
		{Name: BoundRS256Sign, Parallelism: 1, Ops: 800, Seconds: 1, CPUNsPerOp: 1.25e6, When: WhenAfter},
	}
	tests := []struct {
		name   string
		around []Bound
		want   Result
	}{
		{
			// 10 ms of server CPU per sign-in: 6.5 ms of bound around the
			// window, 5 ms at the start.
			name: "measured around the window", around: around,
			want: Result{Figures: Figures{OpsPerSecond: 100}, ServerCPUUsPerOp: 10000,
				Bound: "srp-server-step + 2×rs256-sign", BoundNote: "note", BoundsAround: around,
				BoundOpsPerSecond: 1 / (1.0/250 + 2.0/800), OfBound: 100 * (1.0/250 + 2.0/800),
				BoundCPUUsPerOp: 6500, OfBoundCPU: 0.65, StartBoundCPUUsPerOp: 5000, OfStartBoundCPU: 0.5},
		},
		{
			// Without bounds around the window, those of the start count,
			// as before.
			name: "start only",
			want: Result{Figures: Figures{OpsPerSecond: 100}, ServerCPUUsPerOp: 10000,
				Bound: "srp-server-step + 2×rs256-sign", BoundNote: "note",
				BoundOpsPerSecond: 1 / (1.0/300 + 2.0/1000), OfBound: 100 * (1.0/300 + 2.0/1000),
				BoundCPUUsPerOp: 5000, OfBoundCPU: 0.5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Result{Figures: Figures{OpsPerSecond: 100}, ServerCPUUsPerOp: 10000}
			r.setBounds(terms, "note", tc.around, start)
			if diff := cmp.Diff(tc.want, r, cmpopts.EquateApprox(1e-9, 1e-9), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("bound figures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAroundBoundsReuse(t *testing.T) {
	now := time.Unix(1000, 0)
	var measured []string
	a := &aroundBounds{
		measure: func(_ context.Context, name string, par int) (Bound, error) {
			measured = append(measured, fmt.Sprintf("%s/%d", name, par))
			return Bound{Name: name, Parallelism: par, Ops: int64(len(measured)), Seconds: 1}, nil
		},
		now: func() time.Time { return now },
	}
	ctx := context.Background()
	p := newProgress(nil)
	srpTerms := boundTerms{BoundSRPServerStep: 1, BoundRS256Sign: 2}
	step := func(terms boundTerms, par int) []string {
		t.Helper()
		b, err := a.before(ctx, terms, par, p, "x")
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Second) // the window
		c, err := a.after(ctx, terms, par, p, "x")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range append(b, c...) {
			got = append(got, fmt.Sprintf("%s %s#%d", x.When, x.Name, x.Ops))
		}
		return got
	}
	// The first window measures both terms before and after.
	if diff := cmp.Diff([]string{"before srp-server-step#1", "before rs256-sign#2", "after srp-server-step#3", "after rs256-sign#4"}, step(srpTerms, 1)); diff != "" {
		t.Errorf("first window (-want +got):\n%s", diff)
	}
	// The next window at once, at the same parallelism: what the last
	// after measured is this one's before; the signature again.
	now = now.Add(time.Second)
	if diff := cmp.Diff([]string{"before argon2id#5", "before rs256-sign#4", "after argon2id#6", "after rs256-sign#7"},
		step(boundTerms{BoundArgon2id: 1, BoundRS256Sign: 2}, 1)); diff != "" {
		t.Errorf("next window (-want +got):\n%s", diff)
	}
	// Another parallelism: nothing reused.
	if diff := cmp.Diff([]string{"before rs256-sign#8", "after rs256-sign#9"}, step(boundTerms{BoundRS256Sign: 2}, 2)); diff != "" {
		t.Errorf("other parallelism (-want +got):\n%s", diff)
	}
	// Too long since the last after: measured again.
	now = now.Add(aroundReuse + time.Second)
	if diff := cmp.Diff([]string{"before rs256-sign#10", "after rs256-sign#11"}, step(boundTerms{BoundRS256Sign: 2}, 2)); diff != "" {
		t.Errorf("after a pause (-want +got):\n%s", diff)
	}
}
