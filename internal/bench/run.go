package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/srp/srpclient"
)

// Target is an endpoint to drive and the credentials that sign its admin
// calls.
type Target struct {
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	// PoolID names an existing pool to use (one LoadUsers filled); the
	// bench then neither creates nor deletes the pool, only its own app
	// client and the users its scenarios create. "" creates a pool.
	PoolID string
	// ServerPID, when not zero, is the server's process ID on this
	// machine: the report then holds its resident memory and, per
	// scenario and concurrency, its CPU time and the bench's (Linux).
	ServerPID int
	// MetricsURL is where the server exports its metrics (cognate's
	// /metrics): the report then holds, per scenario and concurrency, the
	// server's own handling time of each operation, read from its
	// request-duration histogram before and after the timed window. ""
	// leaves it out, as does an endpoint that does not export cognate's
	// histogram there.
	MetricsURL string
}

// Options configure Run.
type Options struct {
	Target Target
	// Compare, when its Endpoint is set, is driven with the same
	// scenarios after Target, and the report gives the ratio of rates.
	Compare Target
	// Concurrency lists the numbers of concurrent workers to run each
	// scenario at.
	Concurrency []int
	// Duration is how long each scenario runs at each concurrency.
	Duration time.Duration
	// MaxOps bounds each scenario at each concurrency in count.
	MaxOps int64
	// Users is how many users the pool holds before the scenarios run.
	Users int
	// LoadConcurrency is how many concurrent calls bring the pool to Users
	// through the API.
	LoadConcurrency int
	// LoadTimeout bounds that in time.
	LoadTimeout time.Duration
	// Scenarios to run, by name; empty runs all.
	Scenarios []string
	// Seed seeds the workers' choices of users.
	Seed uint64
	// BoundTime is how long each bound is measured, in each of three
	// rounds (the best counts); 0 skips the bounds.
	BoundTime time.Duration
	// PasswordHashing are the argon2id parameters of the argon2id bound:
	// the server's (its password_hashing configuration); the zero value
	// means password.DefaultParams.
	PasswordHashing password.Params
	// Progress receives the live progress line; nil for none.
	Progress io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run measures the bounds, then runs every scenario at every concurrency
// against opts.Target (and opts.Compare), and returns the report. It
// deletes what it created on the targets, also when it fails.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rep := &Report{
		Version: ReportVersion, Started: now().UTC(),
		Machine: Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)},
		Settings: Settings{
			Concurrency: opts.Concurrency, DurationSeconds: opts.Duration.Seconds(), MaxOps: opts.MaxOps,
			Users: opts.Users, Scenarios: opts.scenarioNames(), Seed: opts.Seed, BoundSeconds: opts.BoundTime.Seconds(),
		},
	}
	rep.Machine.CPUList, _ = cpuList(0)
	p := newProgress(opts.Progress)
	defer p.done()
	if opts.BoundTime > 0 {
		bounds, err := measureBounds(ctx, opts, p)
		if err != nil {
			return nil, err
		}
		rep.Bounds = bounds
	}
	targets := []struct {
		name string
		t    Target
	}{{"target", opts.Target}}
	if opts.Compare.Endpoint != "" {
		targets = append(targets, struct {
			name string
			t    Target
		}{"compare", opts.Compare})
	}
	for i, tg := range targets {
		// The bounds are this machine's cryptography at the server's
		// parameters: they bound cognate, not another implementation.
		bounds := rep.Bounds
		if i > 0 {
			bounds = nil
		}
		tr, err := runTarget(ctx, opts, tg.name, tg.t, bounds, p)
		if tr != nil {
			rep.Targets = append(rep.Targets, *tr)
		}
		if err != nil {
			return rep, fmt.Errorf("%s %s: %w", tg.name, tg.t.Endpoint, err)
		}
	}
	rep.compare()
	rep.Finished = now().UTC()
	return rep, nil
}

func (o *Options) check() error {
	var errs []error
	if o.Target.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: required"))
	}
	if len(o.Concurrency) == 0 {
		errs = append(errs, errors.New("concurrency: at least one level"))
	}
	for _, c := range o.Concurrency {
		if c < 1 || c > 1024 {
			errs = append(errs, fmt.Errorf("concurrency: %d is not between 1 and 1024", c))
		}
	}
	if o.Duration <= 0 || o.Duration > 24*time.Hour {
		errs = append(errs, fmt.Errorf("duration: %v is not between 0 and 24h", o.Duration))
	}
	if o.MaxOps <= 0 {
		errs = append(errs, errors.New("max-ops: must be positive"))
	}
	if o.Users < 1 || o.Users > 100_000_000 {
		errs = append(errs, fmt.Errorf("users: %d is not between 1 and 100,000,000", o.Users))
	}
	if o.LoadConcurrency < 1 {
		o.LoadConcurrency = 1
	}
	if o.LoadTimeout <= 0 {
		o.LoadTimeout = time.Hour
	}
	for _, s := range o.Scenarios {
		if _, ok := scenarioByName(s); !ok {
			errs = append(errs, fmt.Errorf("scenarios: unknown scenario %q", s))
		}
	}
	return errors.Join(errs...)
}

func (o *Options) scenarioNames() []string {
	if len(o.Scenarios) == 0 {
		return ScenarioNames()
	}
	return o.Scenarios
}

// parallelisms are the goroutine counts the bounds are measured at: each
// concurrency level capped at the number of CPUs.
func (o *Options) parallelisms() []int {
	var ps []int
	for _, c := range o.Concurrency {
		p := min(c, runtime.NumCPU())
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// boundRounds is how many times each bound is measured; the best round
// counts. A bound is the least time the work takes: a round that another
// process slowed down says nothing about it.
const boundRounds = 3

func measureBounds(ctx context.Context, opts Options, p *progress) ([]Bound, error) {
	var out []Bound
	for _, par := range opts.parallelisms() {
		best := map[string]Bound{}
		for round := range boundRounds {
			for _, name := range boundNames {
				p.set(fmt.Sprintf("bound %s on %d goroutines, round %d of %d", name, par, round+1, boundRounds), nil)
				b, err := measureBound(ctx, name, par, opts.BoundTime, opts.PasswordHashing)
				if err != nil {
					return nil, err
				}
				if b.OpsPerSecond > best[name].OpsPerSecond {
					best[name] = b
				}
			}
		}
		for _, name := range boundNames {
			out = append(out, best[name])
		}
	}
	return out, nil
}

// target is one endpoint during a run.
type target struct {
	name    string
	cfg     Target
	c       *cip.Client
	retries atomic.Int64
	// retryMu guards retrySamples, the first few retried errors.
	retryMu      sync.Mutex
	retrySamples []string

	poolID, clientID string
	ownPool          bool
	users            int
	runID            string
	seq              atomic.Int64
	srp              *srpclient.Cache
	timer            *serverTimer
	preloadTime      time.Duration
	preloaded        int
	// around measures the bounds around each timed window; nil when the
	// run has no bounds (skipped, or the compared endpoint).
	around *aroundBounds

	// createdMu guards created: the users the scenarios made in a pool
	// the bench does not own, deleted at the end.
	createdMu sync.Mutex
	created   []string

	// devices is the pool of the device-srp-auth scenario (device.go).
	devices devicePool
	// oauth is what the OAuth scenarios use in the pool (oauth.go), and
	// httpTransport their connections to the endpoint.
	oauth         oauthApp
	httpTransport *http.Transport
}

// newUserName is a fresh username for a user a scenario creates.
func (t *target) newUserName(kind string) string {
	name := fmt.Sprintf("bench-%s-%s-%d", kind, t.runID, t.seq.Add(1))
	if !t.ownPool {
		t.createdMu.Lock()
		t.created = append(t.created, name)
		t.createdMu.Unlock()
	}
	return name
}

// countingRetryer is the SDK's standard retryer, which retries transport
// errors (such as the response on a reused connection that the SDK now
// and then fails to read) and 5xx answers, counting its retries. It never
// retries throttling: a throttled bench measures the server's rate limits,
// not its speed, and that must show as errors.
type countingRetryer struct {
	aws.RetryerV2
	t *target
}

func (r countingRetryer) IsErrorRetryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "TooManyRequestsException" || ae.ErrorCode() == "ThrottlingException") {
		return false
	}
	if r.RetryerV2.IsErrorRetryable(err) {
		r.t.retries.Add(1)
		r.t.retryMu.Lock()
		if msg := errorText(err); len(r.t.retrySamples) < maxErrorSamples && !slices.Contains(r.t.retrySamples, msg) {
			r.t.retrySamples = append(r.t.retrySamples, msg)
		}
		r.t.retryMu.Unlock()
		return true
	}
	return false
}

func newTarget(name string, cfg Target, conns int) *target {
	t := &target{name: name, cfg: cfg, srp: srpclient.NewCache()}
	t.httpTransport = http.DefaultTransport.(*http.Transport).Clone()
	t.httpTransport.MaxIdleConns = conns + 8
	t.httpTransport.MaxIdleConnsPerHost = conns + 8
	httpClient := bufferingClient{awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = conns + 8
		tr.MaxIdleConnsPerHost = conns + 8
	})}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	t.c = cip.New(cip.Options{
		BaseEndpoint: aws.String(cfg.Endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		HTTPClient:   httpClient,
		Retryer:      countingRetryer{RetryerV2: retry.NewStandard(), t: t},
	})
	return t
}

// bufferingClient reads each response body whole as soon as the headers
// arrive, then hands the SDK a copy. Left to read the body itself, the SDK
// now and then finds the connection closed under it ("use of closed
// network connection" on a 200 answer, aws/aws-sdk-go-v2#1825), which a
// wrapper reading at once never sees; the answers are small.
type bufferingClient struct{ c aws.HTTPClient }

// maxBody bounds what bufferingClient reads of one answer.
const maxBody = 64 << 20

func (b bufferingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// runTarget sets the target up, runs the scenarios on it and cleans up.
func runTarget(ctx context.Context, opts Options, name string, cfg Target, bounds []Bound, p *progress) (*TargetReport, error) {
	t := newTarget(name, cfg, slices.Max(opts.Concurrency))
	t.runID = strconv.FormatInt(time.Now().UnixMilli(), 36)
	tr := &TargetReport{Name: name, Endpoint: cfg.Endpoint}
	if cfg.ServerPID != 0 {
		tr.Server = &ServerReport{PID: cfg.ServerPID, ClockTicksPerSecond: clockTicks(), BenchProcess: cfg.ServerPID == os.Getpid()}
		tr.Server.IdleRSSBytes, _ = readRSS(cfg.ServerPID)
		tr.Server.CPUList, tr.Server.SharesBenchCPUs = serverCPUs(cfg.ServerPID)
	}
	defer func() {
		p.set(name+": cleaning up", nil)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		if err := t.teardown(cctx); err != nil {
			tr.CleanupError = err.Error()
		}
	}()
	if err := t.setup(ctx, opts, p); err != nil {
		return tr, err
	}
	if cfg.MetricsURL != "" {
		t.timer, tr.ServerTimeNote = newServerTimer(ctx, cfg.MetricsURL)
	}
	tr.PoolID = t.poolID
	tr.Users = t.users
	tr.PreloadSeconds = t.preloadTime.Seconds()
	tr.PreloadedUsers = t.preloaded
	if tr.Server != nil {
		tr.Server.LoadedRSSBytes, _ = readRSS(cfg.ServerPID)
	}
	if len(bounds) > 0 {
		t.around = newAroundBounds(opts)
	}
	byPar := map[int]map[string]Bound{}
	for _, b := range bounds {
		if byPar[b.Parallelism] == nil {
			byPar[b.Parallelism] = map[string]Bound{}
		}
		byPar[b.Parallelism][b.Name] = b
	}
	for _, sname := range opts.scenarioNames() {
		s, _ := scenarioByName(sname)
		if reason := t.probe(ctx, s); reason != "" {
			tr.Results = append(tr.Results, Result{Scenario: s.name, Skipped: reason})
			continue
		}
		for _, c := range opts.Concurrency {
			r, err := t.runLevel(ctx, opts, s, c, p)
			if err != nil {
				return tr, err
			}
			if s.bound != nil && len(bounds) > 0 {
				r.setBounds(s.bound, s.boundNote, r.BoundsAround, byPar[min(c, runtime.NumCPU())])
			}
			tr.Results = append(tr.Results, r)
		}
	}
	tr.Retries = t.retries.Load()
	t.retryMu.Lock()
	tr.RetrySamples = slices.Clone(t.retrySamples)
	t.retryMu.Unlock()
	if tr.Server != nil {
		tr.Server.RSSBytes, tr.Server.PeakRSSBytes = readRSS(cfg.ServerPID)
	}
	return tr, nil
}

// probe runs one iteration of s and returns why s cannot run on the
// target ("" when it can): the compared endpoint may not support every
// operation.
func (t *target) probe(ctx context.Context, s scenario) string {
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	it, err := s.worker(pctx, t, rng)
	if err == nil {
		err = it(pctx, func(op string, f func() error) error { return f() })
	}
	if err != nil {
		return "unsupported by this endpoint: " + errorText(err)
	}
	return ""
}

// levelResult accumulates one scenario run's stats from the workers.
type levelResult struct {
	mu   sync.Mutex
	iter opStats
	ops  map[string]*opStats
	// order lists op names as first seen.
	order []string
}

// runLevel runs scenario s with c workers for opts.Duration (and at most
// opts.MaxOps iterations).
func (t *target) runLevel(ctx context.Context, opts Options, s scenario, c int, p *progress) (Result, error) {
	label := fmt.Sprintf("%s: %s ×%d", t.name, s.name, c)
	p.set(label+" preparing", nil)
	its := make([]iteration, c)
	rngs := make([]*rand.Rand, c)
	for i := range c {
		rngs[i] = rand.New(rand.NewPCG(opts.Seed, uint64(c)<<32|uint64(i)))
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		it, err := s.worker(wctx, t, rngs[i])
		cancel()
		if err != nil {
			return Result{}, fmt.Errorf("%s: prepare worker %d: %w", s.name, i, err)
		}
		its[i] = it
	}
	// The bounds right before the window, after the workers' preparation.
	par := min(c, runtime.NumCPU())
	var around []Bound
	if t.around != nil && s.bound != nil {
		bs, err := t.around.before(ctx, s.bound, par, p, label)
		if err != nil {
			return Result{}, err
		}
		around = bs
	}
	lr := &levelResult{ops: map[string]*opStats{}}
	var started, okCount, errCount atomic.Int64
	retriesBefore := t.retries.Load()
	var timesBefore durationScrape
	var timesErr error
	if t.timer != nil {
		timesBefore, timesErr = t.timer.scrape(ctx)
	}
	var cpuStart cpuSample
	if t.cfg.ServerPID != 0 {
		cpuStart = sampleCPU(t.cfg.ServerPID)
	}
	start := time.Now()
	deadline := start.Add(opts.Duration)
	lctx, cancel := context.WithDeadline(ctx, deadline.Add(time.Minute))
	defer cancel()
	p.set(label, func() string {
		el := time.Since(start)
		return fmt.Sprintf("%s %4.1fs/%v  %d ok  %d errors  %.1f/s", label, el.Seconds(), opts.Duration,
			okCount.Load(), errCount.Load(), float64(okCount.Load())/el.Seconds())
	})
	var wg sync.WaitGroup
	for i := range c {
		wg.Go(func() {
			var iter opStats
			ops := map[string]*opStats{}
			var order []string
			callFn := func(op string, f func() error) error {
				st := ops[op]
				if st == nil {
					st = &opStats{}
					ops[op] = st
					order = append(order, op)
				}
				t0 := time.Now()
				err := f()
				st.record(time.Since(t0), err)
				return err
			}
			for lctx.Err() == nil && time.Now().Before(deadline) && started.Add(1) <= opts.MaxOps {
				t0 := time.Now()
				err := its[i](lctx, callFn)
				iter.record(time.Since(t0), err)
				if err != nil {
					errCount.Add(1)
				} else {
					okCount.Add(1)
				}
			}
			lr.mu.Lock()
			defer lr.mu.Unlock()
			lr.iter.merge(&iter)
			for _, op := range order {
				if lr.ops[op] == nil {
					lr.ops[op] = &opStats{}
					lr.order = append(lr.order, op)
				}
				lr.ops[op].merge(ops[op])
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var cpuEnd cpuSample
	if t.cfg.ServerPID != 0 {
		cpuEnd = sampleCPU(t.cfg.ServerPID)
	}
	var timesAfter durationScrape
	if t.timer != nil && timesErr == nil {
		// The server records a request's time after its answer is
		// written: give the window's last answers a moment to be counted.
		time.Sleep(afterWindowPause)
		timesAfter, timesErr = t.timer.scrape(ctx)
	}
	p.set(label+" done", nil)
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if t.around != nil && s.bound != nil {
		bs, err := t.around.after(ctx, s.bound, par, p, label)
		if err != nil {
			return Result{}, err
		}
		around = append(around, bs...)
	}
	it := lr.iter.result(s.name, elapsed)
	r := Result{
		Scenario: s.name, Concurrency: c, Seconds: elapsed.Seconds(),
		Figures: it.Figures, Retries: t.retries.Load() - retriesBefore,
		BoundsAround: around,
	}
	if t.cfg.ServerPID != 0 {
		r.setCPU(cpuStart, cpuEnd)
	}
	if t.timer != nil {
		if timesErr == nil {
			r.ServerTimes, timesErr = serverTimes(timesBefore, timesAfter)
		}
		if timesErr != nil {
			r.ServerTimeNote = "server handling time unavailable: " + timesErr.Error()
		} else if len(r.ServerTimes) == 0 && s.serverTimeNote != "" {
			r.ServerTimeNote = s.serverTimeNote
		}
	}
	if len(lr.order) > 1 || (len(lr.order) == 1 && s.name == ScenarioMix) {
		slices.Sort(lr.order)
		for _, op := range lr.order {
			r.Operations = append(r.Operations, lr.ops[op].result(op, elapsed))
		}
	}
	return r, nil
}

// setup creates the pool (or opens the given one), the app client, and
// brings the pool to opts.Users users.
func (t *target) setup(ctx context.Context, opts Options, p *progress) error {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if t.cfg.PoolID == "" {
		out, err := t.c.CreateUserPool(sctx, &cip.CreateUserPoolInput{
			PoolName: aws.String("cognate-bench-" + t.runID),
			Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
				MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
			}},
		})
		if err != nil {
			return fmt.Errorf("create user pool: %w", err)
		}
		t.poolID, t.ownPool = aws.ToString(out.UserPool.Id), true
	} else {
		t.poolID = t.cfg.PoolID
	}
	out, err := t.c.CreateUserPoolClient(sctx, &cip.CreateUserPoolClientInput{
		UserPoolId: &t.poolID, ClientName: aws.String("cognate-bench-" + t.runID),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
		},
	})
	if err != nil {
		return fmt.Errorf("create app client: %w", err)
	}
	t.clientID = aws.ToString(out.UserPoolClient.ClientId)
	return t.preload(ctx, opts, p)
}

// preload brings the pool to opts.Users users named UserName(0) … through
// the API: SignUp and AdminConfirmSignUp for each missing one (one
// argon2id hash each). Users that exist already (in a pool LoadUsers
// filled) are kept.
func (t *target) preload(ctx context.Context, opts Options, p *progress) error {
	start := time.Now()
	defer func() { t.preloadTime = time.Since(start) }()
	lctx, cancel := context.WithTimeout(ctx, opts.LoadTimeout)
	defer cancel()
	// Users 0 … have consecutive names: find the first missing one.
	first := 0
	if !t.ownPool {
		lo, hi := 0, opts.Users // users [0, lo) exist; user hi does not (or is past the end)
		for lo < hi {
			mid := (lo + hi) / 2
			_, err := t.c.AdminGetUser(lctx, &cip.AdminGetUserInput{UserPoolId: &t.poolID, Username: aws.String(UserName(mid))})
			var nf *types.UserNotFoundException
			switch {
			case err == nil:
				lo = mid + 1
			case errors.As(err, &nf):
				hi = mid
			default:
				return fmt.Errorf("look for preloaded users: %w", err)
			}
		}
		first = lo
	}
	t.users = first
	var next, done atomic.Int64
	next.Store(int64(first))
	var firstErr error
	var errOnce sync.Once
	p.set(t.name+": preloading users", func() string {
		return fmt.Sprintf("%s: preloading users %d/%d (%.0f/s)", t.name, int64(first)+done.Load(), opts.Users,
			float64(done.Load())/time.Since(start).Seconds())
	})
	var wg sync.WaitGroup
	for range opts.LoadConcurrency {
		wg.Go(func() {
			for lctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= opts.Users {
					return
				}
				if err := t.createUser(lctx, i); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("preload user %d: %w", i, err) })
					cancel()
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	p.set(t.name+": preloaded", nil)
	if firstErr != nil {
		return firstErr
	}
	if err := lctx.Err(); err != nil {
		return fmt.Errorf("preload %d users: %w", opts.Users, err)
	}
	t.users = opts.Users
	t.preloaded = opts.Users - first
	return nil
}

func (t *target) createUser(ctx context.Context, i int) error {
	name := UserName(i)
	_, err := t.c.SignUp(ctx, &cip.SignUpInput{
		ClientId: &t.clientID, Username: &name, Password: aws.String(Password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(UserEmail(i))}},
	})
	if err != nil {
		return err
	}
	_, err = t.c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &t.poolID, Username: &name})
	return err
}

// teardown deletes the pool the bench created, or else its app client and
// the users its scenarios created.
func (t *target) teardown(ctx context.Context) error {
	if err := t.deleteDevicePool(ctx); err != nil {
		return err
	}
	if t.poolID == "" {
		return nil
	}
	if err := t.deleteOAuthApp(ctx); err != nil {
		return err
	}
	if t.ownPool {
		_, err := t.c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: &t.poolID})
		if err != nil {
			return fmt.Errorf("delete user pool %s: %w", t.poolID, err)
		}
		return nil
	}
	var errs []error
	if t.clientID != "" {
		if _, err := t.c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: &t.poolID, ClientId: &t.clientID}); err != nil {
			errs = append(errs, fmt.Errorf("delete app client: %w", err))
		}
	}
	t.createdMu.Lock()
	created := slices.Clone(t.created)
	t.createdMu.Unlock()
	for _, name := range created {
		_, err := t.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &t.poolID, Username: aws.String(name)})
		var nf *types.UserNotFoundException
		if err != nil && !errors.As(err, &nf) {
			errs = append(errs, fmt.Errorf("delete user %s: %w", name, err))
			if len(errs) > 3 || ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}
