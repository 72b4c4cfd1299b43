package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cputime"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// These benchmarks measure the server's side of the two most frequent
// reads, GetUser (access token) and AdminGetUser (SigV4), by calling
// ServeHTTP on a prepared request: no network and no SDK client, so the
// figures are the edge, the engines and the store alone. The end-to-end
// figures, client included, are e2e/sdk's BenchmarkSignInGetUser and
// BenchmarkAdminGetUser.

// readBench is an API handler with the sign-in engine on a fresh SQLite
// store, holding one pool, one app client and one confirmed user.
type readBench struct {
	h        *Handler
	poolID   string
	clientID string
	token    string
}

const (
	readBenchUser     = "bench-user"
	readBenchPassword = "Sign-in-Passw0rd"
)

func newReadBench(tb testing.TB) *readBench { return newReadBenchOn(tb, nil) }

// newReadBenchOn is newReadBench with the engines on wrap(store) when wrap
// is not nil.
func newReadBenchOn(tb testing.TB, wrap func(storage.Store) storage.Store) *readBench {
	tb.Helper()
	ctx := context.Background()
	sq, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sq.Close() })
	if _, err := sq.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	var db storage.Store = sq
	if wrap != nil {
		db = wrap(sq)
	}
	key := bytes.Repeat([]byte{0x5e}, seal.KeySize)
	tok, err := tokens.New(tokens.Options{Store: db, IssuerBaseURL: "http://localhost:9229", KeyEncryptionKey: seal.DeriveKey(key, "token-signing-keys")})
	if err != nil {
		tb.Fatal(err)
	}
	pools := userpool.New(db, userpool.Options{AccountID: "123456789012"})
	users := directory.New(db, pools, directory.Options{IssuerBaseURL: "http://localhost:9229"})
	auth, err := authflow.New(authflow.Options{Pools: pools, Users: users, Tokens: tok, Store: db, Key: key})
	if err != nil {
		tb.Fatal(err)
	}
	// The request-rate limits are off, as on a server under cognate bench
	// (docs/bench.md).
	h := NewHandler(Options{Pools: pools, Users: users, Auth: auth, AccountID: "123456789012", Credentials: map[string]string{testKeyID: testSecret}, RateLimits: ratelimit.Off(), Protection: ratelimit.Unprotected()})

	rb := &readBench{h: h}
	var pool struct{ UserPool struct{ Id string } }
	rb.call(tb, "CreateUserPool", `{"PoolName":"bench"}`, &pool)
	rb.poolID = pool.UserPool.Id
	var client struct{ UserPoolClient struct{ ClientId string } }
	rb.call(tb, "CreateUserPoolClient", `{"UserPoolId":"`+rb.poolID+`","ClientName":"app","ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]}`, &client)
	rb.clientID = client.UserPoolClient.ClientId
	rb.token = rb.user(tb, readBenchUser)
	return rb
}

// user creates a confirmed user with readBenchPassword and signs it in,
// returning its access token.
func (rb *readBench) user(tb testing.TB, username string) string {
	tb.Helper()
	rb.call(tb, "AdminCreateUser", `{"UserPoolId":"`+rb.poolID+`","Username":"`+username+`","MessageAction":"SUPPRESS",`+
		`"UserAttributes":[{"Name":"email","Value":"`+username+`@example.com"},{"Name":"name","Value":"Bench"}]}`, nil)
	rb.call(tb, "AdminSetUserPassword", `{"UserPoolId":"`+rb.poolID+`","Username":"`+username+`","Password":"`+readBenchPassword+`","Permanent":true}`, nil)
	var signIn struct{ AuthenticationResult struct{ AccessToken string } }
	rb.call(tb, "InitiateAuth", `{"ClientId":"`+rb.clientID+`","AuthFlow":"USER_PASSWORD_AUTH",`+
		`"AuthParameters":{"USERNAME":"`+username+`","PASSWORD":"`+readBenchPassword+`"}}`, &signIn)
	if signIn.AuthenticationResult.AccessToken == "" {
		tb.Fatal("InitiateAuth answered no access token")
	}
	return signIn.AuthenticationResult.AccessToken
}

// call serves one signed request for operation and decodes its answer into
// out, failing on any error.
func (rb *readBench) call(tb testing.TB, operation, body string, out any) {
	tb.Helper()
	w := httptest.NewRecorder()
	rb.h.ServeHTTP(w, signedRequest(tb, "AWSCognitoIdentityProviderService."+operation, body))
	if w.Code != http.StatusOK {
		tb.Fatalf("%s: %d %s", operation, w.Code, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			tb.Fatalf("%s: %v", operation, err)
		}
	}
}

// getUser serves an unsigned GetUser with token and returns the answer's
// status and body.
func (rb *readBench) getUser(token string) (int, string) {
	r := httptest.NewRequest(http.MethodPost, "http://localhost:9229/", strings.NewReader(`{"AccessToken":"`+token+`"}`))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
	w := httptest.NewRecorder()
	rb.h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// serve replays req (whose body is body) against the handler and checks
// that the answer names the bench user.
func (rb *readBench) serve(b *testing.B, req *http.Request, body string) {
	r := req.Clone(req.Context())
	r.Body = httpBody(body)
	w := httptest.NewRecorder()
	rb.h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"Username":"`+readBenchUser+`"`) {
		b.Fatalf("%d %s", w.Code, w.Body)
	}
}

func httpBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkServeGetUser is the server's side of GetUser: the access token
// verified and its family's revocation looked up, the pool, user and app
// client read, and the answer encoded.
func BenchmarkServeGetUser(b *testing.B) {
	rb := newReadBench(b)
	body := `{"AccessToken":"` + rb.token + `"}`
	req := httptest.NewRequest(http.MethodPost, "http://localhost:9229/", nil)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
	b.ReportAllocs()
	start, _ := cputime.Process()
	for b.Loop() {
		rb.serve(b, req, body)
	}
	cputime.Report(b, start, b.N)
}

// BenchmarkServeAdminGetUser is the server's side of AdminGetUser: the
// SigV4 signature checked, the pool read and the user found by username.
// The request is signed once and replayed, which the signature's
// five-minute window allows.
func BenchmarkServeAdminGetUser(b *testing.B) {
	rb := newReadBench(b)
	body := `{"UserPoolId":"` + rb.poolID + `","Username":"` + readBenchUser + `"}`
	req := signedRequest(b, "AWSCognitoIdentityProviderService.AdminGetUser", body)
	b.ReportAllocs()
	start, _ := cputime.Process()
	for b.Loop() {
		rb.serve(b, req, body)
	}
	cputime.Report(b, start, b.N)
}
