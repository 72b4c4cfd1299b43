package console

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/bench"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// BenchmarkUsersPagePrefix measures the server's time for the console's
// users page with a username prefix filter (the page a search by prefix
// answers: ListUsers with username ^= "…", 60 users, rendered), one page
// at a time, and reports its p50 and p99 in milliseconds per page.
//
// With COGNATE_BENCH_CONSOLE_DATA_DIR set to a stopped server's data
// directory filled by `cognate bench --load-users 1000000 --data-dir DIR`
// and COGNATE_BENCH_CONSOLE_POOL to the pool ID it printed, it measures
// that pool (docs/performance.md records a run on 1,000,000 users);
// otherwise it loads COGNATE_BENCH_CONSOLE_USERS users (10,000 unless
// set) into a temporary SQLite store first. The prefixes are those of
// bench.UserName without its last two digits, each matching 100 users, at
// random through the pool.
func BenchmarkUsersPagePrefix(b *testing.B) {
	ctx := context.Background()
	dir, poolID := os.Getenv("COGNATE_BENCH_CONSOLE_DATA_DIR"), os.Getenv("COGNATE_BENCH_CONSOLE_POOL")
	users := 10000
	if n, err := strconv.Atoi(os.Getenv("COGNATE_BENCH_CONSOLE_USERS")); err == nil && n > 0 {
		users = n
	}
	fresh := dir == ""
	if fresh {
		dir = b.TempDir()
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "cognate.db"), sqlite.Options{Region: testRegion})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if fresh {
		res, err := bench.LoadUsers(ctx, bench.LoadOptions{Store: db, Region: testRegion, AccountID: "123456789012", Users: users})
		if err != nil {
			b.Fatal(err)
		}
		poolID = res.PoolID
	}
	count, err := directory.CountUsers(ctx, db, poolID)
	if err != nil {
		b.Fatal(err)
	}
	users = int(count)

	key := bytes.Repeat([]byte{7}, seal.KeySize)
	verifiers, err := srp.NewVerifiers(key)
	if err != nil {
		b.Fatal(err)
	}
	pools := userpool.New(db, userpool.Options{AccountID: "123456789012"})
	dirSvc := directory.New(db, pools, directory.Options{SRPVerifiers: verifiers,
		Sender: messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})})
	tok, err := tokens.New(tokens.Options{Store: db, IssuerBaseURL: "http://localhost:9229", KeyEncryptionKey: seal.DeriveKey(key, "token-signing-keys")})
	if err != nil {
		b.Fatal(err)
	}
	auth, err := authflow.New(authflow.Options{Pools: pools, Users: dirSvc, Tokens: tok, Store: db, Key: key})
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{Pools: pools, Users: dirSvc, Auth: auth, Region: testRegion, BaseURL: "http://localhost:9229",
		IssuerBaseURL: "http://localhost:9229", Transport: HandlerTransport{Handler: http.NotFoundHandler()},
		Key: seal.DeriveKey(key, "console"), PoolBase: func(context.Context, string) (string, error) { return "", nil }})
	if err != nil {
		b.Fatal(err)
	}
	// An operator's session, as the sign-in makes it (the administrators'
	// pool is made in the store if it has none).
	caller := cognito.Caller{Region: testRegion}
	admin, err := EnsureAdminPool(ctx, pools, caller, "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.findAdmin(ctx, true); err != nil {
		b.Fatal(err)
	}
	operator := "bench-operator-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	out, err := dirSvc.AdminCreateUser(ctx, caller, &idp.AdminCreateUserRequest{UserPoolId: &admin.PoolID, Username: &operator,
		MessageAction: cognito.Ptr(idp.MessageActionType("SUPPRESS")), TemporaryPassword: cognito.Ptr("Temporary-Password-1")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = dirSvc.AdminDeleteUser(context.Background(), caller, &idp.AdminDeleteUserRequest{UserPoolId: &admin.PoolID, Username: &operator})
	})
	var sub string
	for _, a := range out.User.Attributes {
		if cognito.Deref(a.Name) == "sub" {
			sub = cognito.Deref(a.Value)
		}
	}
	rec := httptest.NewRecorder()
	c.setSealed(rec, sessionCookie, purposeSession, session{Sub: sub, Username: operator, CSRF: randomToken(), Expires: time.Now().Add(time.Hour).Unix()}, time.Hour)
	cookie := rec.Result().Cookies()[0]
	handler := c.Wrap(http.NotFoundHandler())

	rng := rand.New(rand.NewPCG(1, 2))
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		name := bench.UserName(rng.IntN(users))
		prefix := name[:len(name)-2]
		req := httptest.NewRequest(http.MethodGet, "http://localhost:9229/console/pools/"+poolID+"/users?prefix="+prefix, nil)
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), ">"+prefix) {
			b.Fatalf("users page with prefix %s: %d\n%s", prefix, w.Code, w.Body)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	at := func(q float64) float64 {
		return float64(times[min(len(times)-1, int(q*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms/page")
	b.ReportMetric(at(0.99), "p99-ms/page")
	b.ReportMetric(float64(users), "users")
}
