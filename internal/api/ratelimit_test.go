package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// forgedRequest is signedRequest with the signature replaced by another
// of the same shape: the header names the admin's access key and a valid
// scope, but the signature is wrong.
func forgedRequest(t *testing.T, target, body string) *http.Request {
	t.Helper()
	r := signedRequest(t, target, body)
	auth := r.Header.Get("Authorization")
	i := strings.LastIndex(auth, "Signature=") + len("Signature=")
	r.Header.Set("Authorization", auth[:i]+strings.Repeat("0", len(auth)-i))
	return r
}

// TestFloodWithoutValidSignatureSpendsNoQuota floods IAM-authorized
// operations with requests that are unsigned, or carry the admin's access
// key with a forged signature, far past the quota, and then sends the
// admin's signed requests: these are answered, since only verified
// requests count, per access key. Before quotas were counted after
// authentication, the flood used up the admin's quota (issue 9, defect 4).
func TestFloodWithoutValidSignatureSpendsNoQuota(t *testing.T) {
	cases := []struct {
		name, op, body string
		rates          map[ratelimit.Category]float64
		bad            func(t *testing.T, target, body string) *http.Request
		badType        string
	}{
		{"unsigned ListUsers", "ListUsers", `{"UserPoolId":"POOL"}`,
			map[ratelimit.Category]float64{ratelimit.UserList: 2}, unsignedRequest, "MissingAuthenticationTokenException"},
		{"forged ListUserPools", "ListUserPools", `{"MaxResults":10}`,
			map[ratelimit.Category]float64{ratelimit.UserPoolRead: 2}, forgedRequest, "InvalidSignatureException"},
		{"forged CreateUserPool", "CreateUserPool", `{"PoolName":"flood"}`,
			map[ratelimit.Category]float64{ratelimit.UserPoolUpdate: 3}, forgedRequest, "InvalidSignatureException"},
		{"unsigned CreateUserPool", "CreateUserPool", `{"PoolName":"flood"}`,
			map[ratelimit.Category]float64{ratelimit.UserPoolUpdate: 3}, unsignedRequest, "MissingAuthenticationTokenException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := limitedHandler(t, tc.rates)
			pool := createPool(t, h, "p") // the pool's own quota starts full: CreateUserPool counts per region
			body := strings.ReplaceAll(tc.body, "POOL", pool)
			for i := range 20 {
				if _, typ, _ := send(t, h, tc.bad(t, idpTarget+tc.op, body)); typ != tc.badType {
					t.Fatalf("bad request %d: %s, want %s", i+1, typ, tc.badType)
				}
			}
			if tc.op == "CreateUserPool" {
				// The pool created above spent one of the region's tokens.
				if diff := cmp.Diff(answered, outcomeOf(send(t, h, signedRequest(t, idpTarget+tc.op, body)))); diff != "" {
					t.Errorf("signed request after the flood (-want +got):\n%s", diff)
				}
				return
			}
			for i := range 2 {
				if diff := cmp.Diff(answered, outcomeOf(send(t, h, signedRequest(t, idpTarget+tc.op, body)))); diff != "" {
					t.Errorf("signed request %d after the flood (-want +got):\n%s", i+1, diff)
				}
			}
			if diff := cmp.Diff(throttled, outcomeOf(send(t, h, signedRequest(t, idpTarget+tc.op, body)))); diff != "" {
				t.Errorf("signed request past the quota (-want +got):\n%s", diff)
			}
		})
	}
}

// unsignedRequest is a request for target with no Authorization header.
func unsignedRequest(t *testing.T, target, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", target)
	return r
}

// TestQuotasPerAccessKey checks that two access keys have a quota each.
func TestQuotasPerAccessKey(t *testing.T) {
	clock := &testClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	limits, err := ratelimit.New(ratelimit.Config{Rates: map[ratelimit.Category]float64{ratelimit.UserPoolRead: 1}, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHandler(t, func(o *Options) {
		o.RateLimits = limits
		o.Credentials = map[string]string{testKeyID: testSecret, "AKIAOTHERKEY00000001": "other-secret"}
	})
	list := `{"MaxResults":10}`
	if diff := cmp.Diff(answered, outcomeOf(send(t, h, signedRequest(t, idpTarget+"ListUserPools", list)))); diff != "" {
		t.Errorf("first key (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(throttled, outcomeOf(send(t, h, signedRequest(t, idpTarget+"ListUserPools", list)))); diff != "" {
		t.Errorf("first key again (-want +got):\n%s", diff)
	}
	other := httptest.NewRequest(http.MethodPost, "http://localhost:9229/", strings.NewReader(list))
	other.Header.Set("Content-Type", contentType)
	other.Header.Set("X-Amz-Target", idpTarget+"ListUserPools")
	sum := sha256.Sum256([]byte(list))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAOTHERKEY00000001", SecretAccessKey: "other-secret"},
		other, hex.EncodeToString(sum[:]), serviceIDP, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(answered, outcomeOf(send(t, h, other))); diff != "" {
		t.Errorf("second key (-want +got):\n%s", diff)
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

// TestNoQuotasByDefault checks that a handler without RateLimits emulates
// no quota: 40 ListUserPools at one instant (Cognito's UserPoolRead quota
// is 15 a second) are all answered.
func TestNoQuotasByDefault(t *testing.T) {
	clock := &testClock{now: time.Now()}
	h := newTestHandler(t, func(o *Options) { o.Clock = clock.Now })
	for i := range 40 {
		if code, typ, _ := send(t, h, signedRequest(t, idpTarget+"ListUserPools", `{"MaxResults":10}`)); code != 200 {
			t.Fatalf("request %d: %d %s", i+1, code, typ)
		}
	}
}

// TestUnauthenticatedQuotaKey checks that SignUp, which names only an app
// client, counts against the client's pool: a flood on one pool's client
// leaves another pool's sign-ups alone.
func TestUnauthenticatedQuotaKey(t *testing.T) {
	h, _ := limitedHandler(t, map[ratelimit.Category]float64{ratelimit.UserCreation: 1})
	client := func(pool string) string {
		code, _, body := send(t, h, signedRequest(t, idpTarget+"CreateUserPoolClient", `{"UserPoolId":"`+pool+`","ClientName":"c","ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]}`))
		if code != 200 {
			t.Fatalf("CreateUserPoolClient: %d %v", code, body)
		}
		return body["UserPoolClient"].(map[string]any)["ClientId"].(string)
	}
	a, b := client(createPool(t, h, "a")), client(createPool(t, h, "b"))
	signUp := func(c, name string) string {
		_, typ, _ := send(t, h, unsignedRequest(t, idpTarget+"SignUp",
			`{"ClientId":"`+c+`","Username":"`+name+`","Password":"Passw0rd!Passw0rd"}`))
		return typ
	}
	got := []string{signUp(a, "u1"), signUp(a, "u2"), signUp(b, "u3")}
	want := []string{"", "TooManyRequestsException", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error types (-want +got):\n%s", diff)
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
	// The provisioned limits are in no category in the guide: they set
	// the quotas rather than spend them.
	uncounted := map[string]bool{"GetProvisionedLimit": true, "UpdateProvisionedLimit": true}
	for name := range idpHandlers(nil, nil, nil, nil, nil) {
		if _, ok := ratelimit.CategoryOf(name); !ok && !uncounted[name] {
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
