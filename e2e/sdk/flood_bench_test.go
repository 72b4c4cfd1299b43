package sdk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/password"
)

// Shape of the flood benchmark. Every client has a loopback address of its
// own (127.0.0.0/8 is all loopback on Linux): the server sees each as a
// distinct client, as it would see distinct hosts, with no proxy header.
const (
	floodPhase         = 15 * time.Second // each measured phase
	floodWarmUp        = 2 * time.Second  // before each phase, not measured
	floodLegitClients  = 8                // addresses that sign in legitimately
	floodLegitShare    = 0.25             // their total rate, as a share of the hashing capacity
	floodFloodClients  = 8                // addresses that flood
	floodFactor        = 10               // the flood's total rate, in hashing capacities
	floodMaxInFlight   = 256              // per flooding address; beyond it a flood request is not sent
	floodLegitPassword = "Legit-Passw0rd!"
)

// BenchmarkSignInUnderFlood measures legitimate USER_PASSWORD_AUTH
// sign-ins, on the server's defaults (protective limits on, Cognito's
// quotas off), alone and while other clients send wrong passwords at ten
// times the rate the machine can hash. It first measures the hashing
// capacity (argon2id verifications a second with GOMAXPROCS at once).
// Then, for a phase each, 8 legitimate addresses sign in (right passwords,
// 8 users) at a quarter of that capacity in total, open loop; in the
// second phase 8 more addresses also send wrong passwords for names that
// do not exist (each costs a hash like a real user's) at 10 times the
// capacity in total, open loop. It reports the legitimate sign-ins'
// throughput and median latency in each phase and their ratios
// (kept-throughput, latency-ratio), and what became of the flood. It runs
// once whatever -benchtime says, takes about 40 seconds, uses loopback
// only, and asserts nothing about speed: docs/performance.md records it.
//
//	go test ./e2e/sdk -run '^$' -bench SignInUnderFlood -benchtime 1x
func BenchmarkSignInUnderFlood(b *testing.B) {
	if b.N > 1 {
		b.Skip("runs once")
	}
	for i := range floodLegitClients + floodFloodClients {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: clientIP(i)})
		if err != nil {
			b.Skipf("cannot use loopback address %v: %v", clientIP(i), err)
		}
		ln.Close()
	}
	db := migrated(b, openBackend(b, "sqlite"))
	url := serveLimited(b, db, directory.Options{}, nil, nil, nil) // nil: the API handler's defaults
	admin := (&env{URL: url}).client("us-east-1")
	ctx := context.Background()

	pool, err := admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("flood")})
	if err != nil {
		b.Fatal(err)
	}
	app, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"), ExplicitAuthFlows: signInFlows,
	})
	if err != nil {
		b.Fatal(err)
	}
	clientID := app.UserPoolClient.ClientId
	for u := range floodLegitClients {
		name := fmt.Sprintf("legit-%d", u)
		if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
			UserPoolId: pool.UserPool.Id, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: pool.UserPool.Id, Username: aws.String(name), Password: aws.String(floodLegitPassword), Permanent: true,
		}); err != nil {
			b.Fatal(err)
		}
	}

	capacity := hashingCapacity(b)
	legitRate := floodLegitShare * capacity
	floodRate := floodFactor * capacity
	b.Logf("hashing capacity %.1f/s (GOMAXPROCS %d); legitimate sign-ins at %.1f/s from %d addresses; flood at %.0f/s from %d addresses",
		capacity, runtime.GOMAXPROCS(0), legitRate, floodLegitClients, floodRate, floodFloodClients)

	signIn := func(c *cip.Client, user, password string) error {
		_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
		})
		return err
	}
	legitClients := make([]*cip.Client, floodLegitClients)
	for i := range legitClients {
		legitClients[i] = clientFrom(url, clientIP(i))
	}
	floodClients := make([]*cip.Client, floodFloodClients)
	for i := range floodClients {
		floodClients[i] = clientFrom(url, clientIP(floodLegitClients+i))
	}

	alone := runFloodPhase(b, "alone", legitRate, 0, legitClients, floodClients, signIn)
	flooded := runFloodPhase(b, "flooded", legitRate, floodRate, legitClients, floodClients, signIn)

	b.ReportMetric(capacity, "hash/s")
	b.ReportMetric(alone.throughput(), "legit/s-alone")
	b.ReportMetric(flooded.throughput(), "legit/s-flood")
	b.ReportMetric(alone.median().Seconds()*1000, "legit-p50-ms-alone")
	b.ReportMetric(flooded.median().Seconds()*1000, "legit-p50-ms-flood")
	b.ReportMetric(flooded.throughput()/alone.throughput(), "kept-throughput")
	b.ReportMetric(flooded.median().Seconds()/alone.median().Seconds(), "latency-ratio")
	b.ReportMetric(float64(flooded.floodSent)/floodPhase.Seconds(), "flood-sent/s")
	b.ReportMetric(float64(flooded.floodAnswered)/floodPhase.Seconds(), "flood-hashed/s")
	b.ReportMetric(float64(flooded.floodThrottled)/floodPhase.Seconds(), "flood-throttled/s")
	for _, p := range []floodResult{alone, flooded} {
		b.Logf("%s: %d legitimate sign-ins of %d sent (%.2f/s), %d failed, median %v, p90 %v; flood sent %d (%d not sent: %d in flight), answered %d, throttled %d, other errors %d",
			p.name, p.legitOK, p.legitSent, p.throughput(), p.legitFailed, p.median().Round(time.Millisecond), p.percentile(0.9).Round(time.Millisecond),
			p.floodSent, p.floodSkipped, floodMaxInFlight, p.floodAnswered, p.floodThrottled, p.floodOther)
		if p.firstErr != nil {
			b.Logf("%s: first legitimate failure: %v", p.name, p.firstErr)
		}
	}
}

// clientIP is the loopback address of the i-th client, from 127.0.0.2.
func clientIP(i int) net.IP { return net.IPv4(127, 0, 1+byte(i/250), 2+byte(i%250)) }

// clientFrom returns a user-pools client whose connections come from ip,
// with the SDK's retries off: a throttled or failed call counts as such.
func clientFrom(url string, ip net.IP) *cip.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: floodMaxInFlight, IdleConnTimeout: time.Minute}
	return cip.New(cip.Options{
		BaseEndpoint:     aws.String(url),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		HTTPClient:       &http.Client{Transport: tr, Timeout: time.Minute},
		RetryMaxAttempts: 1,
	})
}

// hashingCapacity measures argon2id verifications a second at the
// server's parameters with GOMAXPROCS of them at once, for two seconds.
func hashingCapacity(b *testing.B) float64 {
	h := password.Default()
	hash := h.Dummy()
	var n atomic.Int64
	deadline := time.Now().Add(2 * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if _, err := h.Verify(context.Background(), hash, "Legit-Passw0rd!"); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// floodResult is what one phase measured.
type floodResult struct {
	name                                      string
	legitSent, legitOK, legitFailed           int
	latencies                                 []time.Duration
	floodSent, floodSkipped                   int
	floodAnswered, floodThrottled, floodOther int
	firstErr                                  error
}

func (r floodResult) throughput() float64 { return float64(r.legitOK) / floodPhase.Seconds() }
func (r floodResult) median() time.Duration {
	return r.percentile(0.5)
}

func (r floodResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))]
}

// runFloodPhase sends legitimate sign-ins at legitRate (spread over the
// legitimate clients, each on a fixed schedule that does not wait for
// answers) and, when floodRate is not zero, wrong passwords at floodRate
// spread over the flooding clients, for a warm-up and then floodPhase. A
// legitimate sign-in counts when it was sent during the phase and
// succeeded before the phase's end.
func runFloodPhase(b *testing.B, name string, legitRate, floodRate float64, legit, flood []*cip.Client,
	signIn func(c *cip.Client, user, password string) error) floodResult {
	var (
		mu  sync.Mutex
		res = floodResult{name: name}
	)
	start := time.Now()
	measureFrom := start.Add(floodWarmUp)
	end := measureFrom.Add(floodPhase)
	var wg sync.WaitGroup
	schedule := func(rate float64, n int, each func(i, seq int, measured bool)) {
		if rate <= 0 {
			return
		}
		interval := time.Duration(float64(time.Second) * float64(n) / rate)
		for i := range n {
			wg.Go(func() {
				// Spread the clients' ticks over one interval.
				next := start.Add(interval * time.Duration(i) / time.Duration(n))
				for seq := 0; next.Before(end); seq++ {
					time.Sleep(time.Until(next))
					each(i, seq, !next.Before(measureFrom))
					next = next.Add(interval)
				}
			})
		}
	}
	schedule(legitRate, len(legit), func(i, _ int, measured bool) {
		wg.Go(func() {
			t0 := time.Now()
			err := signIn(legit[i], fmt.Sprintf("legit-%d", i), floodLegitPassword)
			elapsed := time.Since(t0)
			if !measured {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			res.legitSent++
			switch {
			case err != nil:
				res.legitFailed++
				if res.firstErr == nil {
					res.firstErr = err
				}
			case time.Now().After(end):
				// Answered too late to count in the phase.
			default:
				res.legitOK++
				res.latencies = append(res.latencies, elapsed)
			}
		})
	})
	inFlight := make([]atomic.Int32, len(flood))
	schedule(floodRate, len(flood), func(i, seq int, measured bool) {
		if inFlight[i].Load() >= floodMaxInFlight {
			if measured {
				mu.Lock()
				res.floodSkipped++
				mu.Unlock()
			}
			return
		}
		inFlight[i].Add(1)
		wg.Go(func() {
			defer inFlight[i].Add(-1)
			err := signIn(flood[i], fmt.Sprintf("flood-%d-%d", i, seq), "Wrong-Passw0rd!")
			if !measured {
				return
			}
			var tooMany *types.TooManyRequestsException
			var notFound *types.UserNotFoundException
			var notAuthorized *types.NotAuthorizedException
			mu.Lock()
			defer mu.Unlock()
			res.floodSent++
			switch {
			case errors.As(err, &tooMany):
				res.floodThrottled++
			case errors.As(err, &notFound), errors.As(err, &notAuthorized):
				res.floodAnswered++
			default:
				res.floodOther++
			}
		})
	})
	wg.Wait()
	return res
}
