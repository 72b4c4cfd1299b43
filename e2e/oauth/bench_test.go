package oauth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"

	"github.com/cognate-dev/cognate/internal/cputime"
)

// The benchmarks measure whole round trips to a pool domain's endpoints
// over HTTP, and in the same run the cryptography that bounds them
// (BenchmarkBoundRS256Sign, declared first so that it runs first). Each
// scenario reports the cost of its bound (bound-ns/op) and its rate as a
// fraction of the bound's rate (of-bound), and the same in CPU time
// (cpu-ns/op, of-bound-cpu: the process's CPU per operation, client and
// server together, which a loaded machine disturbs less than wall time).
// Nothing here asserts a speed.
//
//	COGNATE_TEST_POSTGRES_DSN=... go test ./e2e/oauth -run '^$' -bench . -benchtime 3s -count 3

// rs256Runs holds the ns/op and CPU ns/op of every run of
// BenchmarkBoundRS256Sign.
var rs256Runs struct {
	sync.Mutex
	ns, cpu []float64
}

// BenchmarkBoundRS256Sign is one RS256 signature: RSA 2048 PKCS #1 v1.5
// over a SHA-256 digest of a token-sized input.
func BenchmarkBoundRS256Sign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(strings.Repeat("x", 1200))
	b.ReportAllocs()
	cpu0, _ := cputime.Process()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
	cpu1, ok := cputime.Process()
	cputime.Report(b, cpu0, b.N)
	rs256Runs.Lock()
	rs256Runs.ns = append(rs256Runs.ns, float64(b.Elapsed().Nanoseconds())/float64(b.N))
	if ok {
		rs256Runs.cpu = append(rs256Runs.cpu, float64(cpu1-cpu0)/float64(b.N))
	}
	rs256Runs.Unlock()
}

// reportBound reports bound-ns/op (signatures times the median RS256
// signature of this run) and of-bound, or nothing when the bound has not
// run.
func reportBound(b *testing.B, signatures int, cpu0 time.Duration) {
	cputime.Report(b, cpu0, b.N)
	cpu1, cpuOK := cputime.Process()
	rs256Runs.Lock()
	runs, cpuRuns := slices.Clone(rs256Runs.ns), slices.Clone(rs256Runs.cpu)
	rs256Runs.Unlock()
	if len(runs) == 0 || b.N == 0 {
		b.Log("BoundRS256Sign not measured in this run: run it too for of-bound")
		return
	}
	median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	bound := float64(signatures) * median(runs)
	b.ReportMetric(bound, "bound-ns/op")
	b.ReportMetric(bound/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "of-bound")
	if cpuOK && len(cpuRuns) > 0 {
		b.ReportMetric(float64(signatures)*median(cpuRuns)/(float64(cpu1-cpu0)/float64(b.N)), "of-bound-cpu")
	}
}

func benchBackends(b *testing.B, f func(b *testing.B, e *env)) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) { f(b, start(b, name)) })
	}
}

// BenchmarkClientCredentials issues client-credentials access tokens at
// the token endpoint, one request after another over a kept-alive
// connection, with HTTP Basic client authentication. Its bound is one
// RS256 signature.
func BenchmarkClientCredentials(b *testing.B) {
	benchBackends(b, func(b *testing.B, e *env) {
		ctx := b.Context()
		pool, err := e.IDP.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.IDP.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.UserPool.Id, Domain: aws.String("bench-cc")}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.IDP.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: pool.UserPool.Id, Identifier: aws.String("api"),
			Name: aws.String("api"), Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}}}); err != nil {
			b.Fatal(err)
		}
		cl, err := e.IDP.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("worker"),
			GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"api/read"}})
		if err != nil {
			b.Fatal(err)
		}
		body := url.Values{"grant_type": {"client_credentials"}, "scope": {"api/read"}}.Encode()
		tokenURL := e.URL + "/_domain/bench-cc/oauth2/token"
		id, secret := aws.ToString(cl.UserPoolClient.ClientId), aws.ToString(cl.UserPoolClient.ClientSecret)
		post := func() {
			req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("token: %d", res.StatusCode)
			}
		}
		post()
		b.ReportAllocs()
		cpu0, _ := cputime.Process()
		for b.Loop() {
			post()
		}
		reportBound(b, 1, cpu0)
	})
}

// BenchmarkCodeFlow runs the authorization-code flow end to end for a
// user with a hosted-UI session: GET /oauth2/authorize with the session
// cookie (answered with a redirect carrying a code), then the token
// exchange with the PKCE verifier (an access, an ID and a refresh token).
// Its bound is two RS256 signatures.
func BenchmarkCodeFlow(b *testing.B) {
	benchBackends(b, func(b *testing.B, e *env) {
		ctx := b.Context()
		a := newApp(b, e, "bench-code", clientSpec{})
		br := newBrowser(b, e)
		cfg := &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: callback, Scopes: []string{"openid", "email"},
			Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize", TokenURL: a.Domain + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
		br.signIn(b, cfg.AuthCodeURL("s"), username, password)
		verifier := oauth2.GenerateVerifier()
		authURL := cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))
		flow := func() {
			res, err := br.c.Get(authURL)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			loc, err := url.Parse(res.Header.Get("Location"))
			if err != nil || loc.Query().Get("code") == "" {
				b.Fatalf("authorize: %d %q", res.StatusCode, res.Header.Get("Location"))
			}
			if _, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
				b.Fatal(err)
			}
		}
		flow()
		b.ReportAllocs()
		cpu0, _ := cputime.Process()
		for b.Loop() {
			flow()
		}
		reportBound(b, 2, cpu0)
	})
}
