package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/bench"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/srp"
)

const benchUsage = `usage: cognate bench [flags]
       cognate bench --load-users N [--pool ID] [--data-dir DIR | --database URL | --config FILE]

The first form drives a Cognito-compatible endpoint through the AWS SDK for
Go v2. It measures on this machine the work that bounds each scenario
(argon2id, the SRP server step, RS256), creates a pool named
cognate-bench-… with an app client, brings it to --users users through the
API, runs each scenario at each concurrency for --duration, prints
throughput, p50/p95/p99 latency and errors per scenario (and each rate as a
ratio to its bound), and deletes the pool. With --compare it does the same
on a second endpoint and prints the ratio of rates. With --server-pid (Linux)
it also reads the server's CPU time and its own over each run, and reports
the server's CPU per iteration: what to compare with the bound when the bench
shares the server's cores.

Turn the server's request-rate limits off (COGNATE_RATE_LIMITS_ENABLED=false)
or raise them before measuring it: a throttled call counts as an error.

The second form is the bulk path to large pools, for load tests only: it
writes --load-users confirmed users (password ` + bench.Password + `, one shared
argon2id hash) straight into the store of a stopped local server (an idle
one too on PostgreSQL; a running server keeps a SQLite data directory to
itself), in transactions of 1,000, and prints the pool ID to pass to --pool.

scenarios:
`

// benchFlags are the flags of cognate bench.
type benchFlags struct {
	fs *flag.FlagSet

	endpoint, region, keyID, secret, pool *string
	metricsURL                            *string
	serverPID, compareServerPID           *int
	compare, compareRegion, compareKeyID  *string
	compareSecret, comparePool            *string
	concurrency, scenarios                *string
	duration, loadTimeout, boundTime      *time.Duration
	users, loadConcurrency, loadUsers     *int
	maxOps                                *int64
	seed                                  *uint64
	jsonOut, quiet                        *bool
	argon2id                              *string
	dataDir, database, configFile         *string
}

func newBenchFlags(output io.Writer) *benchFlags {
	fs := flag.NewFlagSet("cognate bench", flag.ContinueOnError)
	fs.SetOutput(output)
	f := &benchFlags{fs: fs}
	f.endpoint = fs.String("endpoint", "http://localhost:9229", "`URL` of the endpoint to measure")
	f.region = fs.String("region", "us-east-1", "region to sign requests for")
	f.keyID = fs.String("access-key-id", "",
		"access key ID that signs admin calls (default $COGNATE_ACCESS_KEY_ID, else $AWS_ACCESS_KEY_ID)")
	f.secret = fs.String("secret-access-key", "",
		"its secret (default $COGNATE_SECRET_ACCESS_KEY, else $AWS_SECRET_ACCESS_KEY)")
	f.pool = fs.String("pool", "", "`ID` of an existing pool to use instead of creating one (one --load-users filled); the bench then deletes only its app client and the users it created")
	f.serverPID = fs.Int("server-pid", 0, "process `ID` of the server on this machine (Linux): the report then holds its resident memory and, per scenario and concurrency, its CPU time and the bench's per iteration, its iterations per CPU-second and a CPU-based ratio to the bound")
	f.metricsURL = fs.String("metrics-url", "", "`URL` of the server's metrics, for its own handling time of each operation per scenario and concurrency (default: the endpoint's /metrics; \"none\" for none); the --compare endpoint's /metrics is tried too")
	f.compare = fs.String("compare", "", "`URL` of a second endpoint to run the same scenarios on, e.g. cognito-local (scripts/cognito-local.sh)")
	f.compareRegion = fs.String("compare-region", "us-east-1", "region to sign requests to --compare for")
	f.compareKeyID = fs.String("compare-access-key-id", "bench", "access key ID for --compare")
	f.compareSecret = fs.String("compare-secret-access-key", "bench", "secret access key for --compare")
	f.comparePool = fs.String("compare-pool", "", "`ID` of an existing pool on --compare")
	f.compareServerPID = fs.Int("compare-server-pid", 0, "process `ID` of the --compare server on this machine, as --server-pid (for cognito-local, the PID of scripts/cognito-local.sh, which execs node): the comparison then holds the ratio of server CPU per iteration")
	f.concurrency = fs.String("concurrency", "1,8,32", "comma-separated `list` of concurrent workers to run each scenario at")
	f.duration = fs.Duration("duration", 10*time.Second, "how long each scenario runs at each concurrency")
	f.maxOps = fs.Int64("max-ops", 1_000_000, "most iterations of a scenario at one concurrency")
	f.users = fs.Int("users", 1000, "users the pool holds before the scenarios; missing ones are created through the API (SignUp and AdminConfirmSignUp, one argon2id hash each)")
	f.loadConcurrency = fs.Int("load-concurrency", 8, "concurrent calls that create the --users")
	f.loadTimeout = fs.Duration("load-timeout", time.Hour, "most time creating the --users may take")
	f.scenarios = fs.String("scenarios", strings.Join(bench.ScenarioNames(), ","), "comma-separated `list` of scenarios to run")
	f.seed = fs.Uint64("seed", 1, "seed of the workers' choice of users")
	f.boundTime = fs.Duration("bound-time", time.Second, "how long to measure each bound in each of 3 rounds at the start (the best round counts), and each term of a scenario's bound once right before and once right after each timed window (its ratios use those); 0 skips the bounds")
	f.argon2id = fs.String("argon2id", "m=19456,t=2,p=1", "argon2id `parameters` the measured server hashes passwords with (its password_hashing settings), for the argon2id bound")
	f.jsonOut = fs.Bool("json", false, "print the report as JSON instead of tables")
	f.quiet = fs.Bool("quiet", false, "no live progress line on stderr")
	f.loadUsers = fs.Int("load-users", 0, "bulk-load this many users into the local store instead of running the bench (see above)")
	f.dataDir = fs.String("data-dir", "", "with --load-users: the server's data directory (as serve takes it)")
	f.database = fs.String("database", "", `with --load-users: "sqlite" or the server's postgres:// URL`)
	f.configFile = fs.String("config", "", "with --load-users: the server's config `file`")
	fs.Usage = func() {
		fmt.Fprint(output, benchUsage)
		fmt.Fprint(output, bench.ScenarioHelp())
		fmt.Fprint(output, "\nflags:\n")
		fs.PrintDefaults()
	}
	return f
}

// runBench is `cognate bench`.
func runBench(ctx context.Context, e env, args []string) int {
	f := newBenchFlags(e.stderr)
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "cognate bench: unexpected argument %q\n", f.fs.Arg(0))
		return exitUsage
	}
	// The key pair comes from the environment when no flag sets it (never
	// as a flag default, which -h would print).
	firstEnv := func(names ...string) string {
		for _, n := range names {
			if v := e.getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	if *f.keyID == "" {
		*f.keyID = firstEnv("COGNATE_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")
	}
	if *f.secret == "" {
		*f.secret = firstEnv("COGNATE_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")
	}
	if *f.loadUsers != 0 {
		return runBenchLoad(ctx, e, f)
	}
	conc, err := parseInts(*f.concurrency)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: --concurrency: %v\n", err)
		return exitUsage
	}
	var scenarios []string
	for s := range strings.SplitSeq(*f.scenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			scenarios = append(scenarios, s)
		}
	}
	metricsURL, compareMetricsURL := *f.metricsURL, ""
	switch metricsURL {
	case "none":
		metricsURL = ""
	case "":
		metricsURL = metricsURLOf(*f.endpoint)
		compareMetricsURL = metricsURLOf(*f.compare)
	}
	opts := bench.Options{
		Target: bench.Target{Endpoint: *f.endpoint, Region: *f.region, AccessKeyID: *f.keyID, SecretAccessKey: *f.secret,
			PoolID: *f.pool, ServerPID: *f.serverPID, MetricsURL: metricsURL},
		Compare: bench.Target{Endpoint: *f.compare, Region: *f.compareRegion, AccessKeyID: *f.compareKeyID,
			SecretAccessKey: *f.compareSecret, PoolID: *f.comparePool, ServerPID: *f.compareServerPID, MetricsURL: compareMetricsURL},
		Concurrency: conc, Duration: *f.duration, MaxOps: *f.maxOps, Users: *f.users,
		LoadConcurrency: *f.loadConcurrency, LoadTimeout: *f.loadTimeout,
		Scenarios: scenarios, Seed: *f.seed, BoundTime: *f.boundTime,
	}
	h, err := parseArgon2id(*f.argon2id)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: --argon2id: %v\n", err)
		return exitUsage
	}
	opts.PasswordHashing = h
	if !*f.quiet {
		opts.Progress = e.stderr
	}
	if opts.Target.AccessKeyID == "" || opts.Target.SecretAccessKey == "" {
		fmt.Fprintln(e.stderr, "cognate bench: no credentials: set --access-key-id and --secret-access-key (or COGNATE_ACCESS_KEY_ID and COGNATE_SECRET_ACCESS_KEY) to the server's admin key pair")
		return exitUsage
	}
	rep, err := bench.Run(ctx, opts)
	if rep != nil {
		if *f.jsonOut {
			rep.WriteJSON(e.stdout)
		} else {
			rep.WriteTable(e.stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: %v\n", err)
		return exitError
	}
	return exitOK
}

// metricsURLOf is where a cognate server at endpoint serves its metrics:
// /metrics beside the API ("" for no endpoint).
func metricsURLOf(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	return strings.TrimSuffix(endpoint, "/") + "/metrics"
}

// runBenchLoad is `cognate bench --load-users N`: it opens the store the
// server's configuration names and bulk-loads test users.
func runBenchLoad(ctx context.Context, e env, f *benchFlags) int {
	src := config.Sources{File: *f.configFile, Env: e.getenv, Flags: map[string]string{}}
	if *f.dataDir != "" {
		src.Flags["data_dir"] = *f.dataDir
	}
	if *f.database != "" {
		src.Flags["database"] = *f.database
	}
	cfg, _, err := config.Load(src)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: configuration: %v\n", err)
		return exitError
	}
	// The users' shared hash gets the server's parameters.
	if err := passwordParams(cfg.PasswordHashing).Validate(); err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: password_hashing: %v\n", err)
		return exitError
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: %v\n", err)
		return exitError
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: migrate %s: %v\n", desc, err)
		return exitError
	}
	log := newLogger(cfg.Log, io.Discard)
	keys, err := encryptionKeys(cfg, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: %v\n", err)
		return exitError
	}
	// The loader seals SRP verifiers: with a key the store does not know,
	// the servers could not open them.
	if err := checkKeys(ctx, st, keys, log); err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: %v\n", err)
		return exitError
	}
	verifiers, err := srp.NewVerifiers(keys.master, keys.previous...)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: %v\n", err)
		return exitError
	}
	opts := bench.LoadOptions{
		Store: st, Region: cfg.Region, AccountID: cfg.AccountID, PoolID: *f.pool, Users: *f.loadUsers,
		SRPVerifiers:    verifiers,
		PasswordHashing: passwordParams(cfg.PasswordHashing),
	}
	if !*f.quiet {
		opts.Progress = e.stderr
	}
	res, err := bench.LoadUsers(ctx, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "cognate bench: load users into %s: %v\n", desc, err)
		return exitError
	}
	if *f.jsonOut {
		fmt.Fprintf(e.stdout, `{"pool_id":%q,"existing":%d,"created":%d,"seconds":%.3f}`+"\n", res.PoolID, res.Existing, res.Created, res.Seconds)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "pool %s: %d users (%d were there, %d created in %.1fs, %.0f/s) in %s\n",
		res.PoolID, res.Existing+res.Created, res.Existing, res.Created, res.Seconds, float64(res.Created)/math.Max(res.Seconds, 1e-9), desc)
	return exitOK
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseArgon2id parses argon2id parameters written as in a PHC hash:
// m=<KiB>,t=<iterations>,p=<lanes>.
func parseArgon2id(s string) (password.Params, error) {
	var h password.Params
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || seen[k] {
			return h, fmt.Errorf("%q is not m=<KiB>,t=<iterations>,p=<lanes>", s)
		}
		seen[k] = true
		switch k {
		case "m":
			h.MemoryKiB = uint32(n)
		case "t":
			h.Iterations = uint32(n)
		case "p":
			if n > 255 {
				return h, fmt.Errorf("p=%d is more than 255 lanes", n)
			}
			h.Parallelism = uint8(n)
		default:
			return h, fmt.Errorf("%q is not m=<KiB>,t=<iterations>,p=<lanes>", s)
		}
	}
	if len(seen) != 3 {
		return h, fmt.Errorf("%q is not m=<KiB>,t=<iterations>,p=<lanes>", s)
	}
	return h, h.Validate()
}
