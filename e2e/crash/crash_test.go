// Package crash kills a real cognate process under a write load, again and
// again, and checks after each restart that every write the client saw
// acknowledged is there and that no write is half done.
package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

const (
	keyID  = "AKIACRASHTESTKEY0001"
	secret = "crash-secret-crash-secret-crash-secret-x"
	cycles = 20
	// minAcked is how many writes of each kind (pool creations, tag
	// updates) the server must acknowledge in every cycle before it is
	// killed: a cycle in which nothing was acknowledged would check
	// nothing.
	minAcked = 10
	// ackDeadline bounds the wait for minAcked writes; a server that
	// acknowledges nothing for this long fails the test.
	ackDeadline = time.Minute
)

// buildCognate builds the server binary once for the test.
func buildCognate(t testing.TB) string {
	t.Helper()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// startCognate starts the binary on dataDir and returns the process and its
// URL once it prints that it is listening.
func startCognate(t testing.TB, bin, dataDir string) (*exec.Cmd, string) {
	t.Helper()
	// The load writes as fast as the server takes it (CreateUserPool and
	// TagResource, around a thousand a second), far past Cognito's default
	// quotas of 15 a second; the test is about durability, so the rate
	// limits are off.
	s, err := proc.Start(bin, []string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret, "COGNATE_DATABASE_URL=sqlite",
		"COGNATE_RATE_LIMITS_ENABLED=false"},
		"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	return s.Cmd, s.URL
}

// client returns an SDK client with the SDK's default retries, which absorb
// the SDK transport's occasional failure to read a 200 response on a reused
// connection (see e2e/sdk). A retried write that had already landed only
// adds a write the ledger does not count; the ledger only needs every
// acknowledged write to be present.
func client(url string) *cip.Client {
	return cip.New(cip.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		// More attempts than the default 3 (see e2e/sdk's client): a
		// run of that transport failure must not fail the crash test.
		RetryMaxAttempts: 8,
	})
}

// ledger records what the server acknowledged.
type ledger struct {
	mu sync.Mutex
	// pools are the IDs of acknowledged CreateUserPool calls.
	pools []string
	// counter is the highest acknowledged value of the "n" tag on the
	// shared pool.
	counter int
	// verified counts the pools already described completely.
	verified int
}

func TestKillUnderWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow; skipped under -short")
	}
	bin := buildCognate(t)
	dataDir := t.TempDir()
	led := &ledger{}
	var shared *string

	for cycle := range cycles {
		cmd, url := startCognate(t, bin, dataDir)
		c := client(url)
		ctx := context.Background()

		verify(t, ctx, c, led, shared, cycle)
		if shared == nil {
			out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("shared")})
			if err != nil {
				t.Fatal(err)
			}
			shared = out.UserPool.Id
			led.pools = append(led.pools, *shared)
		}

		// Write until killed: two writers, creates and tag updates.
		loadCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		// created and tagged count this cycle's acknowledged writes.
		var created, tagged atomic.Int64
		arn := "arn:aws:cognito-idp:us-east-1:000000000000:userpool/" + *shared
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; loadCtx.Err() == nil && i < 10000; i++ {
					if w == 0 {
						out, err := c.CreateUserPool(loadCtx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("c%d-%d", cycle, i))})
						if err == nil {
							led.mu.Lock()
							led.pools = append(led.pools, *out.UserPool.Id)
							led.mu.Unlock()
							created.Add(1)
						}
						continue
					}
					led.mu.Lock()
					next := led.counter + 1
					led.mu.Unlock()
					_, err := c.TagResource(loadCtx, &cip.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"n": strconv.Itoa(next)}})
					if err == nil {
						led.mu.Lock()
						if next > led.counter {
							led.counter = next
						}
						led.mu.Unlock()
						tagged.Add(1)
					}
				}
			}()
		}
		// The kill comes at a random moment once each writer has had at
		// least minAcked writes acknowledged.
		for deadline := time.Now().Add(ackDeadline); created.Load() < minAcked || tagged.Load() < minAcked; {
			if time.Now().After(deadline) {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				stop()
				wg.Wait()
				t.Fatalf("cycle %d: %d pool creations and %d tag updates acknowledged in %v, want at least %d of each",
					cycle, created.Load(), tagged.Load(), ackDeadline, minAcked)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(350)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		stop()
		wg.Wait()
		if created.Load() < minAcked || tagged.Load() < minAcked {
			t.Fatalf("cycle %d: %d pool creations and %d tag updates acknowledged, want at least %d of each", cycle, created.Load(), tagged.Load(), minAcked)
		}
		t.Logf("cycle %d: %d pool creations and %d tag updates acknowledged", cycle, created.Load(), tagged.Load())
	}
	cmd, url := startCognate(t, bin, dataDir)
	verify(t, context.Background(), client(url), led, shared, cycles)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	checkChangeLog(t, filepath.Join(dataDir, "cognate.db"), len(led.pools))
	t.Logf("%d cycles, %d acknowledged pools, tag counter %d", cycles, len(led.pools), led.counter)
}

// verify checks that every acknowledged write survived: every acknowledged
// pool is listed, the ones acknowledged since the last check describe
// completely, and the shared pool's tag is at least the last acknowledged
// value.
func verify(t *testing.T, ctx context.Context, c *cip.Client, led *ledger, shared *string, cycle int) {
	t.Helper()
	led.mu.Lock()
	defer led.mu.Unlock()
	listed := map[string]bool{}
	pg := cip.NewListUserPoolsPaginator(c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("cycle %d: list pools: %v", cycle, err)
		}
		for _, p := range out.UserPools {
			listed[aws.ToString(p.Id)] = true
		}
	}
	for i, id := range led.pools {
		if !listed[id] {
			t.Fatalf("cycle %d: acknowledged pool %s is gone", cycle, id)
		}
		if i < led.verified {
			continue
		}
		out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
		var rnf *types.ResourceNotFoundException
		if errors.As(err, &rnf) {
			t.Fatalf("cycle %d: acknowledged pool %s is gone", cycle, id)
		}
		if err != nil {
			t.Fatalf("cycle %d: describe %s: %v", cycle, id, err)
		}
		if out.UserPool.Policies == nil || len(out.UserPool.SchemaAttributes) == 0 {
			t.Fatalf("cycle %d: pool %s is incomplete: %+v", cycle, id, out.UserPool)
		}
	}
	led.verified = len(led.pools)
	if shared != nil {
		out, err := c.ListTagsForResource(ctx, &cip.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:cognito-idp:us-east-1:000000000000:userpool/" + *shared)})
		if err != nil {
			t.Fatalf("cycle %d: list tags: %v", cycle, err)
		}
		n, _ := strconv.Atoi(out.Tags["n"])
		if n < led.counter {
			t.Fatalf("cycle %d: tag n = %d, but %d was acknowledged", cycle, n, led.counter)
		}
		// A write that landed without its acknowledgement counts from now on.
		led.counter = n
	}
}

// checkChangeLog opens the store and checks that every pool has exactly one
// create entry and that the log's sequence has no duplicates.
func checkChangeLog(t *testing.T, path string, acked int) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	creates := map[string]int{}
	var last int64
	for {
		changes, err := db.Changes(ctx, last, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) == 0 {
			break
		}
		for _, ch := range changes {
			if ch.Seq <= last {
				t.Fatalf("change log sequence not increasing: %d after %d", ch.Seq, last)
			}
			last = ch.Seq
			if ch.Entity == storage.EntityUserPool && ch.Kind == storage.ChangeCreate {
				creates[ch.Key]++
			}
		}
	}
	pools, err := db.ListUserPools(ctx, storage.ListUserPoolsInput{Region: "us-east-1", Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) < acked {
		t.Fatalf("%d pools stored, %d acknowledged", len(pools), acked)
	}
	for _, p := range pools {
		if creates[p.ID] != 1 {
			t.Errorf("pool %s has %d create entries in the change log", p.ID, creates[p.ID])
		}
	}
	if len(creates) != len(pools) {
		t.Errorf("change log has creates for %d pools, store has %d", len(creates), len(pools))
	}
}
