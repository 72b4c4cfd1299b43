package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/bench"
)

// benchServeEnv serves with the request-rate limits off: a bench drives
// the server flat out, and throttled calls would count as errors.
var benchServeEnv = map[string]string{"COGNATE_RATE_LIMITS_ENABLED": "false"}

// runBenchJSON runs cognate bench with args and --json against s and
// decodes its report.
func runBenchJSON(t *testing.T, s *serveProc, args ...string) *bench.Report {
	t.Helper()
	args = append([]string{"bench", "--endpoint", s.url, "--access-key-id", s.keyID, "--secret-access-key", s.secret, "--json", "--quiet"}, args...)
	code, stdout, stderr := runCmd(t, nil, args...)
	if code != 0 {
		t.Fatalf("cognate %s: exit %d\nstderr:\n%s\nstdout:\n%s", strings.Join(args, " "), code, stderr, stdout)
	}
	var rep bench.Report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("report is not JSON of bench.Report: %v\n%s", err, stdout)
	}
	return &rep
}

// checkResults checks that every scenario ran at every concurrency with
// successes and no errors, and that each scenario of several calls breaks
// them down. It never looks at a speed.
func checkResults(t *testing.T, tr bench.TargetReport, scenarios []string, conc []int) {
	t.Helper()
	var got []string
	for _, r := range tr.Results {
		got = append(got, r.Scenario)
		if r.Skipped != "" {
			t.Errorf("%s skipped: %s", r.Scenario, r.Skipped)
			continue
		}
		if !slices.Contains(conc, r.Concurrency) {
			t.Errorf("%s ran at concurrency %d, want one of %v", r.Scenario, r.Concurrency, conc)
		}
		if r.Count == 0 || r.Errors != 0 {
			t.Errorf("%s ×%d: %d ok, %d errors %v; want successes and no errors", r.Scenario, r.Concurrency, r.Count, r.Errors, r.ErrorSamples)
		}
		if r.Seconds <= 0 || r.OpsPerSecond <= 0 || r.P50Ms <= 0 || r.P50Ms > r.P95Ms || r.P95Ms > r.P99Ms || r.P99Ms > r.MaxMs {
			t.Errorf("%s ×%d: figures out of order: %+v", r.Scenario, r.Concurrency, r)
		}
		wantOps := map[string][]string{
			bench.ScenarioSignUp:      {"AdminConfirmSignUp", "SignUp"},
			bench.ScenarioUserSRPAuth: {"InitiateAuth", "RespondToAuthChallenge", "client SRP math"},
			bench.ScenarioDeviceSRPAuth: {"InitiateAuth", "RespondToAuthChallenge DEVICE_PASSWORD_VERIFIER", "RespondToAuthChallenge DEVICE_SRP_AUTH",
				"RespondToAuthChallenge PASSWORD_VERIFIER", "client SRP math"},
			bench.ScenarioUserSRPTOTPAuth: {"InitiateAuth", "RespondToAuthChallenge PASSWORD_VERIFIER",
				"RespondToAuthChallenge SOFTWARE_TOKEN_MFA", "client SRP math"},
			bench.ScenarioCodeFlow: {"GET /oauth2/authorize", "POST /login", "POST /oauth2/token"},
		}[r.Scenario]
		var ops []string
		for _, op := range r.Operations {
			ops = append(ops, op.Operation)
			if op.Errors != 0 {
				t.Errorf("%s: %s had %d errors", r.Scenario, op.Operation, op.Errors)
			}
		}
		if wantOps != nil && !slices.Equal(ops, wantOps) {
			t.Errorf("%s broken down into %v, want %v", r.Scenario, ops, wantOps)
		}
		if r.Scenario == bench.ScenarioMix && len(ops) == 0 {
			t.Errorf("mix has no breakdown by operation")
		}
		wantBound := map[string]string{
			bench.ScenarioAdminCreateUser:  "argon2id",
			bench.ScenarioSignUp:           "argon2id",
			bench.ScenarioUserPasswordAuth: "argon2id + 2×rs256-sign",
			bench.ScenarioUserSRPAuth:      "srp-server-step + 2×rs256-sign",
			bench.ScenarioDeviceSRPAuth:    "2×srp-server-step + 2×rs256-sign",
			bench.ScenarioUserSRPTOTPAuth:  "srp-server-step + 2×rs256-sign",
			bench.ScenarioRefreshTokenAuth: "2×rs256-sign",
			bench.ScenarioClientCreds:      "rs256-sign",
			bench.ScenarioCodeFlow:         "argon2id + 2×rs256-sign",
			bench.ScenarioGetUser:          "rs256-verify",
		}[r.Scenario]
		if r.Bound != wantBound || (wantBound != "" && (r.BoundOpsPerSecond <= 0 || r.OfBound <= 0)) {
			t.Errorf("%s: bound %q at %v/s, %v of it; want %q measured", r.Scenario, r.Bound, r.BoundOpsPerSecond, r.OfBound, wantBound)
		}
	}
	var want []string
	for _, s := range scenarios {
		for range conc {
			want = append(want, s)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("scenarios run %v, want %v", got, want)
	}
}

// checkServerTimes checks that every scenario that ran has the server's
// own handling time of the operations it calls, read from the server's
// metrics, with quantiles in order within their buckets. It never looks at
// a speed.
func checkServerTimes(t *testing.T, tr bench.TargetReport) {
	t.Helper()
	if tr.ServerTimeNote != "" {
		t.Errorf("server time unavailable: %s", tr.ServerTimeNote)
	}
	for _, r := range tr.Results {
		if r.Skipped != "" {
			continue
		}
		if r.Scenario == bench.ScenarioClientCreds || r.Scenario == bench.ScenarioCodeFlow {
			// The hosted UI's and OAuth endpoints are not API operations:
			// the histogram has none of their requests, and the note says so.
			if len(r.ServerTimes) != 0 || !strings.Contains(r.ServerTimeNote, "OAuth endpoints are not in") {
				t.Errorf("%s ×%d: server times %+v, note %q; want none and the note", r.Scenario, r.Concurrency, r.ServerTimes, r.ServerTimeNote)
			}
			continue
		}
		if r.ServerTimeNote != "" {
			t.Errorf("%s ×%d: %s", r.Scenario, r.Concurrency, r.ServerTimeNote)
		}
		want := map[string][]string{
			bench.ScenarioAdminCreateUser:  {"AdminCreateUser"},
			bench.ScenarioSignUp:           {"AdminConfirmSignUp", "SignUp"},
			bench.ScenarioUserPasswordAuth: {"InitiateAuth"},
			bench.ScenarioUserSRPAuth:      {"InitiateAuth", "RespondToAuthChallenge"},
			bench.ScenarioRefreshTokenAuth: {"InitiateAuth"},
			bench.ScenarioGetUser:          {"GetUser"},
			bench.ScenarioAdminGetUser:     {"AdminGetUser"},
			bench.ScenarioListUsers:        {"ListUsers"},
			bench.ScenarioListUsersPrefix:  {"ListUsers"},
		}[r.Scenario]
		var got []string
		for _, st := range r.ServerTimes {
			got = append(got, st.Operation)
			if st.Count == 0 || st.P50Ms <= 0 || st.P50Ms > st.P99Ms || (st.P99LeMs > 0 && st.P99Ms > st.P99LeMs) ||
				(st.P50LeMs > 0 && st.P50Ms > st.P50LeMs) {
				t.Errorf("%s ×%d: server time out of order: %+v", r.Scenario, r.Concurrency, st)
			}
		}
		if want != nil && !slices.Equal(got, want) {
			t.Errorf("%s ×%d: server times of %v, want %v", r.Scenario, r.Concurrency, got, want)
		}
		if want == nil && len(got) == 0 {
			t.Errorf("%s ×%d: no server times", r.Scenario, r.Concurrency)
		}
		// Every request of the window is counted once; the requests of a
		// single-operation scenario are its iterations (errors included).
		if len(want) == 1 && len(r.ServerTimes) == 1 && r.ServerTimes[0].Count < uint64(r.Count) {
			t.Errorf("%s ×%d: the server counted %d requests, the bench %d iterations", r.Scenario, r.Concurrency, r.ServerTimes[0].Count, r.Count)
		}
	}
}

// checkCPU checks a target's CPU figures: with the server's process ID
// (cpu), on Linux every scenario that ran has them and they are positive,
// the CPU ratio to the bound is there exactly when the rate ratio is, and
// elsewhere each says why they are missing; without it, there are none. It
// never looks at a speed.
func checkCPU(t *testing.T, tr bench.TargetReport, cpu bool) {
	t.Helper()
	if !cpu {
		if tr.Server != nil {
			t.Errorf("%s: server figures %+v without --server-pid", tr.Name, tr.Server)
		}
		for _, r := range tr.Results {
			if r.ServerCPUSeconds != 0 || r.ClientCPUSeconds != 0 || r.ServerCPUUsPerOp != 0 || r.ClientCPUUsPerOp != 0 ||
				r.ServerOpsPerCPUSecond != 0 || r.BoundCPUUsPerOp != 0 || r.OfBoundCPU != 0 || r.CPUNote != "" {
				t.Errorf("%s ×%d: CPU figures without --server-pid: %+v", r.Scenario, r.Concurrency, r)
			}
		}
		return
	}
	s := tr.Server
	if s == nil || s.PID != os.Getpid() || !s.BenchProcess || s.ClockTicksPerSecond < 1 {
		t.Fatalf("%s: server %+v, want this process (the server runs in it) and the clock tick rate", tr.Name, s)
	}
	for _, r := range tr.Results {
		if r.Skipped != "" {
			continue
		}
		if runtime.GOOS != "linux" {
			if !strings.HasPrefix(r.CPUNote, "CPU time not read: ") || r.ServerCPUUsPerOp != 0 || r.OfBoundCPU != 0 {
				t.Errorf("%s ×%d: CPU figures without /proc: %+v", r.Scenario, r.Concurrency, r)
			}
			continue
		}
		if r.CPUNote != "" || r.ServerCPUSeconds <= 0 || r.ClientCPUSeconds <= 0 || r.ServerCPUUsPerOp <= 0 ||
			r.ClientCPUUsPerOp <= 0 || r.ServerOpsPerCPUSecond <= 0 {
			t.Errorf("%s ×%d: CPU figures not measured: %+v", r.Scenario, r.Concurrency, r)
		}
		if (r.OfBound > 0) != (r.OfBoundCPU > 0 && r.BoundCPUUsPerOp > 0) {
			t.Errorf("%s ×%d: of bound %v, of bound (CPU) %v at %v µs/op; want both or neither", r.Scenario, r.Concurrency, r.OfBound, r.OfBoundCPU, r.BoundCPUUsPerOp)
		}
		// A bounded scenario's bound terms were measured right before and
		// right after its window, and its ratio against the bounds of the
		// start of the run is kept beside.
		if r.Bound != "" {
			var when []string
			for _, b := range r.BoundsAround {
				when = append(when, b.When)
				if b.Ops <= 0 || b.Parallelism != min(r.Concurrency, runtime.NumCPU()) {
					t.Errorf("%s ×%d: bound around the window %+v", r.Scenario, r.Concurrency, b)
				}
			}
			if len(when) < 2 || when[0] != bench.WhenBefore || when[len(when)-1] != bench.WhenAfter {
				t.Errorf("%s ×%d: bounds measured %v, want before then after the window", r.Scenario, r.Concurrency, when)
			}
			if r.OfStartBoundCPU <= 0 || r.StartBoundCPUUsPerOp <= 0 {
				t.Errorf("%s ×%d: no ratio against the bounds of the start: %v at %v µs/op", r.Scenario, r.Concurrency, r.OfStartBoundCPU, r.StartBoundCPUUsPerOp)
			}
		}
	}
}

// TestBench runs a short bench of every scenario against an in-process
// server, then a bulk load into a stopped server's store and a bench of
// the loaded pool. It checks the report's shape and that nothing failed;
// it never asserts a speed.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every scenario for 2s")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startServe(t, benchServeEnv, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	// The server runs in this process: its CPU figures count the bench's
	// too, which the report says.
	pid := strconv.Itoa(os.Getpid())
	rep := runBenchJSON(t, s, "--duration", "2s", "--concurrency", "2", "--users", "12", "--bound-time", "100ms", "--server-pid", pid)

	if rep.Version != bench.ReportVersion || rep.Machine.CPUs < 1 || rep.Settings.Users != 12 || !slices.Equal(rep.Settings.Concurrency, []int{2}) {
		t.Errorf("report header %+v %+v", rep.Machine, rep.Settings)
	}
	var bounds []string
	for _, b := range rep.Bounds {
		bounds = append(bounds, b.Name)
		if b.Ops <= 0 || b.OpsPerSecond <= 0 || b.NsPerOp <= 0 {
			t.Errorf("bound %+v not measured", b)
		}
		// The bench's CPU per operation, read from /proc.
		if (b.CPUNsPerOp > 0) != (runtime.GOOS == "linux") {
			t.Errorf("bound %+v: CPU per operation measured %v, want %v", b, b.CPUNsPerOp > 0, runtime.GOOS == "linux")
		}
	}
	if want := []string{"argon2id", "srp-server-step", "rs256-sign", "rs256-verify"}; !slices.Equal(bounds, want) {
		t.Errorf("bounds %v, want %v", bounds, want)
	}
	if len(rep.Targets) != 1 {
		t.Fatalf("%d targets, want 1", len(rep.Targets))
	}
	tr := rep.Targets[0]
	if tr.Name != "target" || tr.Endpoint != s.url || tr.Users != 12 || tr.PreloadedUsers != 12 || tr.CleanupError != "" {
		t.Errorf("target %s %s: %d users, %d preloaded, cleanup %q", tr.Name, tr.Endpoint, tr.Users, tr.PreloadedUsers, tr.CleanupError)
	}
	checkResults(t, tr, bench.ScenarioNames(), []int{2})
	checkCPU(t, tr, true)
	checkServerTimes(t, tr)
	// The CPUs the bench and the server may run on: one process here, so
	// one list, shared.
	if rep.Machine.GOMAXPROCS != runtime.GOMAXPROCS(0) {
		t.Errorf("report's GOMAXPROCS %d, want %d", rep.Machine.GOMAXPROCS, runtime.GOMAXPROCS(0))
	}
	if runtime.GOOS == "linux" && (rep.Machine.CPUList == "" || tr.Server.CPUList != rep.Machine.CPUList || !tr.Server.SharesBenchCPUs) {
		t.Errorf("CPU lists: bench %q, server %q (shared %v); want one list, shared", rep.Machine.CPUList, tr.Server.CPUList, tr.Server.SharesBenchCPUs)
	}

	// The bench deleted the pool it created.
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(s.url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
	})
	ctx := context.Background()
	pools, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools.UserPools {
		t.Errorf("pool %s (%s) left behind", aws.ToString(p.Id), aws.ToString(p.Name))
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	// The bulk path: users written into the stopped server's store, then
	// signed in (with SRP too: the loader seals their verifiers with the
	// server's key) once it serves again.
	code, stdout, stderr := runCmd(t, benchServeEnv, "bench", "--load-users", "30", "--data-dir", dataDir, "--quiet")
	m := regexp.MustCompile(`^pool (\S+): 30 users \(0 were there, 30 created in `).FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("bench --load-users: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	poolID := m[1]
	if code, stdout, _ := runCmd(t, nil, "bench", "--load-users", "40", "--pool", poolID, "--data-dir", dataDir, "--quiet"); code != 0 || !strings.Contains(stdout, "40 users (30 were there, 10 created") {
		t.Fatalf("second load: exit %d, %s", code, stdout)
	}
	s = startServe(t, benchServeEnv, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	loaded := []string{bench.ScenarioUserPasswordAuth, bench.ScenarioUserSRPAuth, bench.ScenarioListUsersPrefix, bench.ScenarioAdminCreateUser,
		bench.ScenarioClientCreds, bench.ScenarioCodeFlow}
	rep = runBenchJSON(t, s, "--duration", "1s", "--concurrency", "1", "--users", "40", "--bound-time", "50ms",
		"--pool", poolID, "--scenarios", strings.Join(loaded, ","))
	tr = rep.Targets[0]
	if tr.PoolID != poolID || tr.Users != 40 || tr.PreloadedUsers != 0 || tr.CleanupError != "" {
		t.Errorf("loaded pool: %s with %d users, %d preloaded, cleanup %q; want %s, 40, 0", tr.PoolID, tr.Users, tr.PreloadedUsers, tr.CleanupError, poolID)
	}
	checkResults(t, tr, loaded, []int{1})
	checkCPU(t, tr, false)
	checkServerTimes(t, tr)

	// The bench kept the pool and its 40 users, and deleted its app client
	// and the users it created.
	c = cip.New(cip.Options{
		BaseEndpoint: aws.String(s.url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
	})
	desc, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	if n := desc.UserPool.EstimatedNumberOfUsers; n != 40 {
		t.Errorf("loaded pool holds %d users after the bench, want 40", n)
	}
	clients, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(clients.UserPoolClients) != 0 {
		t.Errorf("app clients left behind: %d", len(clients.UserPoolClients))
	}
	// And the domain and resource server of the OAuth scenarios.
	if d := aws.ToString(desc.UserPool.Domain); d != "" {
		t.Errorf("domain %q left behind", d)
	}
	servers, err := c.ListResourceServers(ctx, &cip.ListResourceServersInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(50)})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers.ResourceServers) != 0 {
		t.Errorf("resource servers left behind: %d", len(servers.ResourceServers))
	}
}

// TestBenchCompare runs two scenarios against one server and compares them
// with a second one: the comparison holds a ratio per scenario and
// concurrency, and the second endpoint is not rated against the bounds.
func TestBenchCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers for seconds")
	}
	a := startServe(t, benchServeEnv, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	b := startServe(t, benchServeEnv, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	scenarios := []string{bench.ScenarioRefreshTokenAuth, bench.ScenarioAdminGetUser}
	rep := runBenchJSON(t, a, "--duration", "1s", "--concurrency", "1,2", "--users", "3", "--bound-time", "50ms",
		"--scenarios", strings.Join(scenarios, ","),
		"--compare", b.url, "--compare-access-key-id", b.keyID, "--compare-secret-access-key", b.secret,
		"--server-pid", strconv.Itoa(os.Getpid()), "--compare-server-pid", strconv.Itoa(os.Getpid()))
	if len(rep.Targets) != 2 || rep.Targets[1].Name != "compare" || rep.Targets[1].Endpoint != b.url {
		t.Fatalf("targets %+v, want the target and the compared endpoint", rep.Targets)
	}
	checkResults(t, rep.Targets[0], scenarios, []int{1, 2})
	checkCPU(t, rep.Targets[0], true)
	checkCPU(t, rep.Targets[1], true)
	for _, r := range rep.Targets[1].Results {
		if r.Errors != 0 || r.Count == 0 || r.Skipped != "" {
			t.Errorf("compare %s ×%d: %d ok, %d errors, skipped %q", r.Scenario, r.Concurrency, r.Count, r.Errors, r.Skipped)
		}
		if r.Bound != "" || r.OfBound != 0 || r.OfBoundCPU != 0 || r.BoundCPUUsPerOp != 0 {
			t.Errorf("compare %s rated against the bound %q (%v, %v of its CPU)", r.Scenario, r.Bound, r.OfBound, r.OfBoundCPU)
		}
	}
	var got []string
	for _, c := range rep.Comparison {
		got = append(got, fmt.Sprintf("%s/%d", c.Scenario, c.Concurrency))
		if c.Ratio <= 0 || c.Target <= 0 || c.Compare <= 0 || c.CompareSkipped != "" {
			t.Errorf("comparison %+v: want a ratio of two rates", c)
		}
		// Both servers' CPU figures are there on Linux, and then their ratio.
		withCPU := runtime.GOOS == "linux"
		if (c.TargetServerCPUUsPerOp > 0) != withCPU || (c.CompareServerCPUUsPerOp > 0) != withCPU || (c.ServerCPURatio > 0) != withCPU {
			t.Errorf("comparison %+v: want the servers' CPU per iteration and their ratio: %v", c, withCPU)
		}
	}
	want := []string{"refresh-token-auth/1", "refresh-token-auth/2", "admin-get-user/1", "admin-get-user/2"}
	if !slices.Equal(got, want) {
		t.Errorf("compared %v, want %v", got, want)
	}
}

func TestBenchUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStderr []string
	}{
		{
			name: "help documents every flag and scenario",
			args: []string{"bench", "-h"},
			wantStderr: append([]string{"-endpoint URL", "-region", "-access-key-id", "-secret-access-key", "-concurrency list",
				"-duration", "-users", "-scenarios list", "-json", "-compare URL", "-compare-access-key-id",
				"-compare-secret-access-key", "-seed", "-load-users", "-pool ID", "-data-dir", "-database", "-max-ops",
				"-bound-time", "-server-pid ID", "-metrics-url URL", "-compare-server-pid ID", "-argon2id parameters",
				"COGNATE_RATE_LIMITS_ENABLED=false"}, bench.ScenarioNames()...),
		},
		{
			name: "the secret never shows as a default", args: []string{"bench", "-h"},
			env:        map[string]string{"COGNATE_SECRET_ACCESS_KEY": "do-not-print-this-secret"},
			wantStderr: []string{"-secret-access-key"},
		},
		{name: "no credentials", args: []string{"bench"}, wantCode: 2, wantStderr: []string{"no credentials"}},
		{name: "bad concurrency", args: []string{"bench", "--concurrency", "1,x"}, wantCode: 2, wantStderr: []string{`--concurrency: "x" is not a positive integer`}},
		{
			name: "unknown scenario", args: []string{"bench", "--access-key-id", "AKIAEXAMPLE000001", "--secret-access-key", "s", "--scenarios", "nap"},
			wantCode: 1, wantStderr: []string{`scenarios: unknown scenario "nap"`},
		},
		{name: "bad argon2id", args: []string{"bench", "--argon2id", "m=19456,t=2"}, wantCode: 2, wantStderr: []string{`--argon2id: "m=19456,t=2" is not m=<KiB>,t=<iterations>,p=<lanes>`}},
		{name: "extra argument", args: []string{"bench", "now"}, wantCode: 2, wantStderr: []string{`unexpected argument "now"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "do-not-print-this-secret") {
				t.Errorf("stderr shows the secret")
			}
		})
	}
}

// TestBenchTOTP runs the opt-in scenario of sign-ins with a TOTP second
// factor (USER_SRP_AUTH, PASSWORD_VERIFIER, SOFTWARE_TOKEN_MFA): it is not
// among the scenarios run when none are named, and named it runs without
// errors, its users' codes each accepted once. It never asserts a speed.
func TestBenchTOTP(t *testing.T) {
	if testing.Short() {
		t.Skip("enrols a worker's users with software tokens")
	}
	if slices.Contains(bench.ScenarioNames(), bench.ScenarioUserSRPTOTPAuth) {
		t.Errorf("%s runs when no scenario is named", bench.ScenarioUserSRPTOTPAuth)
	}
	s := startServe(t, benchServeEnv, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"))
	rep := runBenchJSON(t, s, "--duration", "1s", "--concurrency", "1", "--users", "2", "--bound-time", "50ms",
		"--scenarios", bench.ScenarioUserSRPTOTPAuth)
	tr := rep.Targets[0]
	checkResults(t, tr, []string{bench.ScenarioUserSRPTOTPAuth}, []int{1})
	checkServerTimes(t, tr)
	if tr.CleanupError != "" {
		t.Errorf("cleanup: %s", tr.CleanupError)
	}
}
