package api

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/ratelimit"
)

const idpTarget = "AWSCognitoIdentityProviderService."

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// limitedHandler returns a handler whose limiter runs on its own clock
// with the given rates.
func limitedHandler(t *testing.T, rates map[ratelimit.Category]float64) (*Handler, *testClock) {
	t.Helper()
	clock := &testClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	limits, err := ratelimit.New(ratelimit.Config{Rates: rates, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return newTestHandler(t, func(o *Options) { o.RateLimits = limits }), clock
}

// send serves one request and returns the status, the error type header
// and the decoded body.
func send(t *testing.T, h *Handler, r *http.Request) (int, string, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return rec.Code, rec.Header().Get("x-amzn-ErrorType"), body
}

// createPool creates a pool through h and returns its ID.
func createPool(t *testing.T, h *Handler, name string) string {
	t.Helper()
	code, _, body := send(t, h, signedRequest(t, idpTarget+"CreateUserPool", `{"PoolName":"`+name+`"}`))
	if code != 200 {
		t.Fatalf("CreateUserPool: %d %v", code, body)
	}
	return body["UserPool"].(map[string]any)["Id"].(string)
}

// outcome is what a client sees of one answer.
type outcome struct {
	Status  int
	Header  string
	Type    string
	Message string
}

func outcomeOf(code int, header string, body map[string]any) outcome {
	o := outcome{Status: code, Header: header}
	o.Type, _ = body["__type"].(string)
	o.Message, _ = body["message"].(string)
	return o
}

var (
	answered  = outcome{Status: 200}
	throttled = outcome{Status: 400, Header: "TooManyRequestsException", Type: "TooManyRequestsException", Message: "Rate exceeded"}
)

// TestFloodIsThrottled floods ListUsers on one pool past a limit of 3 a
// second: the fourth request is TooManyRequestsException, while another
// category of the same pool, and the same category of another pool, still
// answer, and the pool answers again once a second has passed.
func TestFloodIsThrottled(t *testing.T) {
	h, clock := limitedHandler(t, map[ratelimit.Category]float64{ratelimit.UserList: 3})
	a, b := createPool(t, h, "a"), createPool(t, h, "b")
	listUsers := func(pool string) *http.Request {
		return signedRequest(t, idpTarget+"ListUsers", `{"UserPoolId":"`+pool+`"}`)
	}
	steps := []struct {
		name string
		req  func() *http.Request
		want outcome
	}{
		{"1st ListUsers", func() *http.Request { return listUsers(a) }, answered},
		{"2nd ListUsers", func() *http.Request { return listUsers(a) }, answered},
		{"3rd ListUsers", func() *http.Request { return listUsers(a) }, answered},
		{"4th ListUsers", func() *http.Request { return listUsers(a) }, throttled},
		{"ListUsersInGroup shares UserList", func() *http.Request {
			return signedRequest(t, idpTarget+"ListUsersInGroup", `{"UserPoolId":"`+a+`","GroupName":"g"}`)
		}, throttled},
		{"UserPoolRead of the same pool", func() *http.Request {
			return signedRequest(t, idpTarget+"DescribeUserPool", `{"UserPoolId":"`+a+`"}`)
		}, answered},
		{"UserList of another pool", func() *http.Request { return listUsers(b) }, answered},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, outcomeOf(send(t, h, s.req()))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
	clock.Advance(time.Second)
	if diff := cmp.Diff(answered, outcomeOf(send(t, h, listUsers(a)))); diff != "" {
		t.Errorf("a second later (-want +got):\n%s", diff)
	}
}

// TestThrottleComesBeforeAuthorization floods an IAM-authorized operation
// with unsigned requests: once over the limit they are refused for the
// rate, without the signature being looked at.
func TestThrottleComesBeforeAuthorization(t *testing.T) {
	h, _ := limitedHandler(t, map[ratelimit.Category]float64{ratelimit.UserRead: 2})
	unsigned := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"UserPoolId":"us-east-1_aaaaaaaaa","Username":"u"}`))
		r.Header.Set("X-Amz-Target", idpTarget+"AdminGetUser")
		return r
	}
	var got []string
	for range 4 {
		_, typ, _ := send(t, h, unsigned())
		got = append(got, typ)
	}
	want := []string{"MissingAuthenticationTokenException", "MissingAuthenticationTokenException", "TooManyRequestsException", "TooManyRequestsException"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error types (-want +got):\n%s", diff)
	}
}

// TestRateLimitsOff checks that an explicit ratelimit.Off admits a flood.
func TestRateLimitsOff(t *testing.T) {
	h := newTestHandler(t, func(o *Options) { o.RateLimits = ratelimit.Off() })
	for i := range 40 { // UserPoolRead's default is 15 a second
		if code, typ, _ := send(t, h, signedRequest(t, idpTarget+"ListUserPools", `{"MaxResults":10}`)); code != 200 {
			t.Fatalf("request %d: %d %s", i, code, typ)
		}
	}
}

// TestDefaultRateLimits checks that a handler without RateLimits applies
// Cognito's default quotas: 15 UserPoolRead requests a second.
func TestDefaultRateLimits(t *testing.T) {
	clock := &testClock{now: time.Now()}
	h := newTestHandler(t, func(o *Options) { o.Clock = clock.Now })
	var got []int
	for range 16 {
		code, _, _ := send(t, h, signedRequest(t, idpTarget+"ListUserPools", `{"MaxResults":10}`))
		got = append(got, code)
	}
	want := []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// unsignedJWT returns a token-shaped string with the given claims; its
// signature is junk, as the key never checks it.
func unsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

func TestLimitKey(t *testing.T) {
	h := newTestHandler(t, func(o *Options) { o.RateLimits = ratelimit.Off() })
	pool := createPool(t, h, "p")
	code, _, body := send(t, h, signedRequest(t, idpTarget+"CreateUserPoolClient", `{"UserPoolId":"`+pool+`","ClientName":"c"}`))
	if code != 200 {
		t.Fatalf("CreateUserPoolClient: %d %v", code, body)
	}
	client := body["UserPoolClient"].(map[string]any)["ClientId"].(string)

	unsigned := func(body string) *http.Request {
		return httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	}
	cases := []struct {
		name string
		req  *http.Request
		want string
	}{
		{"UserPoolId", unsigned(`{"UserPoolId":"eu-west-1_abc","ClientId":"` + client + `"}`), "eu-west-1_abc"},
		{"ResourceArn", unsigned(`{"ResourceArn":"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_xyz"}`), "us-east-1_xyz"},
		{"AccessToken issuer", unsigned(`{"AccessToken":"` + unsignedJWT(`{"iss":"http://localhost:9229/us-west-2_tok"}`) + `"}`), "us-west-2_tok"},
		{"ClientId", unsigned(`{"ClientId":"` + client + `","AuthFlow":"USER_PASSWORD_AUTH"}`), pool},
		{"ClientId again, from the cache", unsigned(`{"ClientId":"` + client + `"}`), pool},
		{"signature scope", signedRequest(t, idpTarget+"CreateUserPool", `{"PoolName":"x"}`), "region:us-east-1"},
		{"unknown ClientId", unsigned(`{"ClientId":"nosuchclient"}`), ""},
		{"malformed UserPoolId", unsigned(`{"UserPoolId":"not a pool"}`), ""},
		{"issuer without a pool", unsigned(`{"AccessToken":"` + unsignedJWT(`{"iss":"https://example.com/"}`) + `"}`), ""},
		{"not a token", unsigned(`{"AccessToken":"a.b"}`), ""},
		{"not JSON", unsigned(`{"UserPoolId":`), ""},
		{"nothing", unsigned(`{}`), ""},
	}
	for _, tc := range cases {
		body := readBody(t, tc.req)
		if got := h.limitKey(tc.req.Context(), tc.req, body); got != tc.want {
			t.Errorf("%s: key %q, want %q", tc.name, got, tc.want)
		}
	}
}

func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = http.NoBody
	return b
}

// TestEveryServedOperationHasACategory keeps the quota table complete:
// an operation cognate serves is limited, and every operation the table
// names is one of the model's.
func TestEveryServedOperationHasACategory(t *testing.T) {
	for name := range idpHandlers(nil, nil) {
		if _, ok := ratelimit.CategoryOf(name); !ok {
			t.Errorf("%s is served but in no quota category", name)
		}
	}
	model := map[string]bool{}
	for _, op := range idp.Operations {
		model[op.Name] = true
	}
	for _, c := range ratelimit.Categories() {
		documented, assigned := ratelimit.Operations(c)
		for _, name := range append(documented, assigned...) {
			if !model[name] {
				t.Errorf("%s lists %s, which the user-pool model lacks", c, name)
			}
		}
	}
	if cognito.StatusFor(cognito.CodeTooManyRequestsException) != http.StatusBadRequest {
		t.Error("TooManyRequestsException is not HTTP 400")
	}
}
