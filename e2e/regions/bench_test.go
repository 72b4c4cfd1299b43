package regions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
)

// The replication benchmark's workload (docs/performance.md).
const (
	// steadyRate and steadyWrites are the steady load the lag is measured
	// under: writes per second in the first region, and how many.
	steadyRate   = 50
	steadyWrites = 500
	// backlogWrites is how many writes wait in the first region while NATS
	// is down, for the catch-up.
	backlogWrites = 1000
	// burstWrites and burstClients are the closed-loop write burst whose
	// throughput is compared with and without replication.
	burstWrites  = 1000
	burstClients = 4
)

// BenchmarkReplication measures, on two regions (SQLite stores) over one
// embedded NATS server: the replication lag of AdminCreateUser at a steady
// load (p50, p99: from the write's answer in the first region until the
// user is read in the second); the catch-up rate after a partition (the
// entries of a backlog written while NATS was down, applied per second in
// the second region once NATS is back); and the write throughput of a
// closed-loop burst with replication and without it (a region with no
// NATS). It runs its workload once, whatever b.N: run it with
//
//	go test ./e2e/regions/ -run '^$' -bench BenchmarkReplication -benchtime 1x
func BenchmarkReplication(b *testing.B) {
	ctx := context.Background()
	natsDir := b.TempDir()
	nats, err := replication.StartEmbedded("127.0.0.1:0", natsDir)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { nats.Close() }()
	u, err := url.Parse(nats.URL())
	if err != nil {
		b.Fatal(err)
	}
	bin, err := proc.Build(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	a := startRegion(b, bin, nats.URL(), regions[0], b.TempDir(), "sqlite")
	defer a.stop(b)
	r2 := startRegion(b, bin, nats.URL(), regions[1], b.TempDir(), "sqlite")
	defer r2.stop(b)
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	eventually(b, "the pool in the second region", func() error {
		_, err := r2.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
		return err
	})
	create := func(r *region, pool, name string) error {
		_, err := r.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(name),
			MessageAction: types.MessageActionTypeSuppress})
		return err
	}
	// seen polls the second region until the user is there, and returns
	// when it was first read.
	seen := func(name string) (time.Time, error) {
		deadline := time.Now().Add(converge)
		for {
			_, err := r2.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)})
			if err == nil {
				return time.Now(), nil
			}
			var nf *types.UserNotFoundException
			if !errors.As(err, &nf) {
				return time.Time{}, err
			}
			if time.Now().After(deadline) {
				return time.Time{}, fmt.Errorf("%s not replicated within %v", name, converge)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.ResetTimer()

	// 1. Lag at a steady load: the writer paces the writes; the reader
	// takes them in order (a region applies a peer's stream in order) and
	// polls the second region for each.
	type acked struct {
		name string
		at   time.Time
	}
	ackc := make(chan acked, steadyWrites)
	var lags []time.Duration
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for w := range ackc {
			if readErr != nil {
				continue
			}
			at, err := seen(w.name)
			if err != nil {
				readErr = err
				continue
			}
			lags = append(lags, at.Sub(w.at))
		}
	})
	tick := time.NewTicker(time.Second / steadyRate)
	start := time.Now()
	for i := range steadyWrites {
		<-tick.C
		name := fmt.Sprintf("steady-%d", i)
		if err := create(a, poolID, name); err != nil {
			b.Fatal(err)
		}
		ackc <- acked{name, time.Now()}
	}
	tick.Stop()
	steadyTook := time.Since(start)
	close(ackc)
	wg.Wait()
	if readErr != nil {
		b.Fatal(readErr)
	}
	slices.Sort(lags)
	p50, p99 := lags[len(lags)/2], lags[len(lags)*99/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "lag-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "lag-p99-ms")
	b.Logf("steady load: %d writes in %v (%.1f/s); lag p50 %v, p99 %v, max %v", steadyWrites, steadyTook.Round(time.Millisecond),
		float64(steadyWrites)/steadyTook.Seconds(), p50, p99, lags[len(lags)-1])

	// 2. Catch-up after a partition: NATS stops, the first region writes
	// a backlog, NATS comes back on its address and streams.
	appliedBefore, err := metric(r2, "cognate_replication_applied_total")
	if err != nil {
		b.Fatal(err)
	}
	nats.Close()
	for i := range backlogWrites {
		if err := create(a, poolID, fmt.Sprintf("backlog-%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	nats, err = replication.StartEmbedded(u.Host, natsDir)
	if err != nil {
		b.Fatal(err)
	}
	back := time.Now()
	first, err := seen("backlog-0")
	if err != nil {
		b.Fatal(err)
	}
	last, err := seen(fmt.Sprintf("backlog-%d", backlogWrites-1))
	if err != nil {
		b.Fatal(err)
	}
	appliedAfter, err := metric(r2, "cognate_replication_applied_total")
	if err != nil {
		b.Fatal(err)
	}
	entries := appliedAfter - appliedBefore
	rate := entries / last.Sub(first).Seconds()
	b.ReportMetric(rate, "catchup-entries/s")
	b.Logf("catch-up: %.0f entries (%d writes) applied in %v after the first, %v after NATS was back: %.0f entries/s",
		entries, backlogWrites, last.Sub(first).Round(time.Millisecond), last.Sub(back).Round(time.Millisecond), rate)

	// 3. The write cost of replication: the same closed-loop burst on
	// the first region (replicating to the second) and on a region
	// without replication.
	burst := func(r *region, pool, prefix string) float64 {
		next := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		start := time.Now()
		for range burstClients {
			wg.Go(func() {
				for i := range next {
					if err := create(r, pool, fmt.Sprintf("%s-%d", prefix, i)); err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
				}
			})
		}
		for i := range burstWrites {
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			b.Fatal(firstErr)
		}
		return burstWrites / time.Since(start).Seconds()
	}
	with := burst(a, poolID, "burst")
	alone := startAlone(b, bin, b.TempDir())
	defer alone.stop(b)
	alonePool, err := alone.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	without := burst(alone, aws.ToString(alonePool.UserPool.Id), "burst")
	b.ReportMetric(with, "writes/s-replicated")
	b.ReportMetric(without, "writes/s-alone")
	b.Logf("write burst (%d AdminCreateUser, %d clients): %.0f/s replicating, %.0f/s without replication (%.0f %% of it)",
		burstWrites, burstClients, with, without, 100*with/without)
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// startAlone starts a region without replication on a fresh SQLite store.
func startAlone(t testing.TB, bin, dir string) *region {
	t.Helper()
	s, err := proc.Start(bin, []string{
		"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret,
		"COGNATE_DATABASE_URL=sqlite", "COGNATE_RATE_LIMITS_ENABLED=false",
		"COGNATE_REGION=" + regions[0], "COGNATE_ENCRYPTION_KEY=" + encKey, "COGNATE_ISSUER_BASE_URL=" + issuer,
		"COGNATE_PASSWORD_HASHING_MEMORY_KIB=8192", "COGNATE_PASSWORD_HASHING_ITERATIONS=1",
	}, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	if err != nil {
		t.Fatalf("start a region without replication: %v", err)
	}
	return &region{name: "alone", dir: dir, database: "sqlite", srv: s, c: cip.New(cip.Options{
		BaseEndpoint: aws.String(s.URL), Region: regions[0],
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 5,
	})}
}
