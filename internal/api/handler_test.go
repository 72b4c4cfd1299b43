package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const (
	testKeyID  = "AKIATESTTESTTEST0001"
	testSecret = "testsecrettestsecrettestsecrettestsecret"
)

// newTestHandler returns an API handler on a fresh SQLite store.
func newTestHandler(t testing.TB, edit ...func(*Options)) *Handler {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pools := userpool.New(db, userpool.Options{AccountID: "123456789012"})
	opts := Options{
		Pools:        pools,
		Users:        directory.New(db, pools, directory.Options{}),
		AccountID:    "123456789012",
		Credentials:  map[string]string{testKeyID: testSecret},
		MaxBodyBytes: 4096,
	}
	for _, e := range edit {
		e(&opts)
	}
	return NewHandler(opts)
}

// signedRequest builds a request for target with body, signed as the AWS SDK
// signs it for region us-east-1.
func signedRequest(t testing.TB, target, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://localhost:9229/", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	service := serviceIDP
	if strings.HasPrefix(target, "AWSCognitoIdentityService.") {
		service = serviceIdentity
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

type wireError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func TestMalformedInput(t *testing.T) {
	// Room for the too-many-attributes body, and no quotas: the table
	// creates more pools than CreateUserPool's quota admits at once.
	h := newTestHandler(t, func(o *Options) { o.MaxBodyBytes, o.RateLimits = 1<<16, ratelimit.Off() })
	const create = "AWSCognitoIdentityProviderService.CreateUserPool"
	const describe = "AWSCognitoIdentityProviderService.DescribeUserPool"
	long := strings.Repeat("a", 129)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(t, create, `{"PoolName":"malformed"}`))
	var created struct{ UserPool struct{ Id string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.UserPool.Id == "" {
		t.Fatalf("CreateUserPool: %d %s", rec.Code, rec.Body)
	}
	poolID := created.UserPool.Id
	manyAttrs := strings.TrimSuffix(strings.Repeat(`{"Name":"name","Value":"x"},`, 1025), ",")
	cases := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantType   string
		wantInMsg  string
	}{
		{"unknown operation", func() *http.Request { return signedRequest(t, "AWSCognitoIdentityProviderService.Nope", `{}`) }, 400, "UnknownOperationException", "Nope"},
		{"missing target", func() *http.Request { return signedRequest(t, "", `{}`) }, 400, "UnknownOperationException", ""},
		{"wrong service prefix", func() *http.Request { return signedRequest(t, "DynamoDB_20120810.ListTables", `{}`) }, 400, "UnknownOperationException", ""},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }, 400, "UnknownOperationException", ""},
		{"malformed JSON", func() *http.Request { return signedRequest(t, create, `{"PoolName":`) }, 400, "SerializationException", ""},
		{"not an object", func() *http.Request { return signedRequest(t, create, `[1,2]`) }, 400, "SerializationException", ""},
		{"trailing data", func() *http.Request { return signedRequest(t, create, `{"PoolName":"a"} {}`) }, 400, "SerializationException", ""},
		{"wrong type", func() *http.Request { return signedRequest(t, create, `{"PoolName":5}`) }, 400, "SerializationException", "PoolName"},
		{"wrong nested type", func() *http.Request {
			return signedRequest(t, create, `{"PoolName":"a","Policies":{"PasswordPolicy":{"MinimumLength":"eight"}}}`)
		}, 400, "SerializationException", "MinimumLength"},
		{"missing required", func() *http.Request { return signedRequest(t, create, `{}`) }, 400, "InvalidParameterException", "Value null at 'poolName' failed to satisfy constraint: Member must not be null"},
		{"null required", func() *http.Request { return signedRequest(t, create, `{"PoolName":null}`) }, 400, "InvalidParameterException", "'poolName'"},
		{"too long", func() *http.Request { return signedRequest(t, create, `{"PoolName":"`+long+`"}`) }, 400, "InvalidParameterException", "Member must have length less than or equal to 128"},
		{"pattern", func() *http.Request { return signedRequest(t, describe, `{"UserPoolId":"not an id"}`) }, 400, "InvalidParameterException", "at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"unknown enum", func() *http.Request { return signedRequest(t, create, `{"PoolName":"a","MfaConfiguration":"MAYBE"}`) }, 400, "InvalidParameterException", "Member must satisfy enum value set: [OFF, ON, OPTIONAL]"},
		{"range", func() *http.Request {
			return signedRequest(t, create, `{"PoolName":"a","Policies":{"PasswordPolicy":{"MinimumLength":2}}}`)
		}, 400, "InvalidParameterException", "policies.passwordPolicy.minimumLength"},
		{"oversized body", func() *http.Request {
			return signedRequest(t, create, `{"PoolName":"`+strings.Repeat("x", 70000)+`"}`)
		}, 413, "RequestEntityTooLargeException", ""},
		{"oversized body without length", func() *http.Request {
			r := signedRequest(t, create, `{"PoolName":"`+strings.Repeat("x", 70000)+`"}`)
			r.ContentLength = -1
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"PoolName":"` + strings.Repeat("x", 70000) + `"}`)))
			return r
		}, 413, "RequestEntityTooLargeException", ""},
		{"unsigned IAM operation", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"PoolName":"a"}`))
			r.Header.Set("X-Amz-Target", create)
			return r
		}, 403, "MissingAuthenticationTokenException", ""},
		{"tampered body", func() *http.Request {
			r := signedRequest(t, create, `{"PoolName":"a"}`)
			r.Body = io.NopCloser(strings.NewReader(`{"PoolName":"b"}`))
			return r
		}, 400, "InvalidSignatureException", ""},
		{"invalid UTF-8", func() *http.Request { return signedRequest(t, create, "{\"PoolName\":\"a\xffb\"}") }, 400, "SerializationException", "The request body is not valid UTF-8 (at byte 14)."},
		{"truncated UTF-8", func() *http.Request { return signedRequest(t, create, "{\"PoolName\":\"\xc3\"}") }, 400, "SerializationException", "not valid UTF-8 (at byte 13)"},
		{"invalid UTF-8 in a member name", func() *http.Request { return signedRequest(t, create, "{\"Pool\xedName\":\"a\"}") }, 400, "SerializationException", "not valid UTF-8 (at byte 6)"},
		{"lone high surrogate escape", func() *http.Request { return signedRequest(t, create, `{"PoolName":"a\ud800"}`) }, 400, "SerializationException", "unpaired UTF-16 surrogate escape (at byte 14)"},
		{"lone low surrogate escape", func() *http.Request { return signedRequest(t, create, `{"PoolName":"\uDC00a"}`) }, 400, "SerializationException", "unpaired UTF-16 surrogate escape (at byte 13)"},
		{"reversed surrogate escapes", func() *http.Request { return signedRequest(t, create, `{"PoolName":"\udc00\ud800"}`) }, 400, "SerializationException", "unpaired"},
		{"surrogate pair escape", func() *http.Request { return signedRequest(t, create, `{"PoolName":"\ud83d\ude00"}`) }, 400, "InvalidParameterException", "Value '😀' at 'poolName'"},
		{"escaped backslash before u", func() *http.Request { return signedRequest(t, create, `{"PoolName":"a\\ud800"}`) }, 400, "InvalidParameterException", "at 'poolName'"},
		{"NUL in a patterned member", func() *http.Request { return signedRequest(t, describe, `{"UserPoolId":"us-east-1_abc\u0000"}`) }, 400, "InvalidParameterException", "at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"NUL in a username", func() *http.Request {
			return signedRequest(t, "AWSCognitoIdentityProviderService.AdminGetUser", `{"UserPoolId":"us-east-1_abc","Username":"a\u0000"}`)
		}, 400, "InvalidParameterException", "Value at 'username' failed to satisfy constraint"},
		{"NUL in a ListUsers filter", func() *http.Request {
			return signedRequest(t, "AWSCognitoIdentityProviderService.ListUsers", `{"UserPoolId":"`+poolID+`","Filter":"email = \"a\u0000\""}`)
		}, 400, "InvalidParameterException", "Value at 'filter' failed to satisfy constraint: Member must not contain null characters or invalid UTF-8"},
		{"NUL in an attribute value", func() *http.Request {
			return signedRequest(t, "AWSCognitoIdentityProviderService.AdminCreateUser", `{"UserPoolId":"`+poolID+`","Username":"bob","UserAttributes":[{"Name":"name","Value":"\u0000"}]}`)
		}, 400, "InvalidParameterException", "Attributes did not conform to the schema: name: Attribute value must not contain null characters or invalid UTF-8."},
		{"too many attributes", func() *http.Request {
			return signedRequest(t, "AWSCognitoIdentityProviderService.AdminCreateUser", `{"UserPoolId":"`+poolID+`","Username":"bob","UserAttributes":[`+manyAttrs+`]}`)
		}, 400, "InvalidParameterException", "1 validation error detected: Value at 'userAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req())
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			var we wireError
			if err := json.Unmarshal(rec.Body.Bytes(), &we); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			if we.Type != tc.wantType {
				t.Errorf("__type = %q, want %q (message %q)", we.Type, tc.wantType, we.Message)
			}
			if !strings.Contains(we.Message, tc.wantInMsg) {
				t.Errorf("message %q does not contain %q", we.Message, tc.wantInMsg)
			}
			if got := rec.Header().Get("x-amzn-ErrorType"); got != tc.wantType {
				t.Errorf("x-amzn-ErrorType = %q, want %q", got, tc.wantType)
			}
			if rec.Header().Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId header")
			}
		})
	}
}

func TestSuccessCarriesRequestID(t *testing.T) {
	h := newTestHandler(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(t, "AWSCognitoIdentityProviderService.ListUserPools", `{"MaxResults":10}`))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("x-amzn-RequestId") == "" || rec.Header().Get("Content-Type") != contentType {
		t.Errorf("headers = %v", rec.Header())
	}
	if got := strings.TrimSpace(rec.Body.String()); got != `{"UserPools":[]}` {
		t.Errorf("body = %s", got)
	}
}

// FuzzDecode feeds arbitrary bodies to every operation: the handler must
// answer with a 2xx or 4xx and a well-formed body, never a 5xx or a panic.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{`{}`, `{"PoolName":"a"}`, `{"PoolName":5}`, `[`, `null`, `{"MaxResults":-1}`,
		`{"UserPoolId":"us-east-1_abcdefghi"}`, `{"Policies":{"PasswordPolicy":{"MinimumLength":1e400}}}`, "\xff\xfe",
		// Text no store keeps, and escapes encoding/json would replace.
		"{\"PoolName\":\"a\xffb\"}", "{\"PoolName\":\"\xc3\"}", `{"PoolName":"a\u0000"}`, `{"PoolName":"\ud800"}`,
		`{"PoolName":"\udc00\ud800"}`, `{"PoolName":"\\ud800"}`, `{"PoolName":"\ud83d\ude00"}`, `{"PoolName":"\`,
		`{"UserPoolId":"us-east-1_abcdefghi","Username":"a\u0000"}`,
		`{"UserPoolId":"us-east-1_abcdefghi","Filter":"email = \"\u0000\""}`,
		`{"UserPoolId":"us-east-1_abcdefghi","Username":"u","UserAttributes":[{"Name":"email","Value":"a\u0000@b.c"}]}`,
		`{"UserPoolId":"us-east-1_abcdefghi","Username":"u","UserAttributes":[` + strings.TrimSuffix(strings.Repeat(`{"Name":"name","Value":"x"},`, 1025), ",") + `]}`} {
		f.Add("CreateUserPool", seed)
		f.Add("DescribeUserPool", seed)
		f.Add("ListUserPools", seed)
		f.Add("UpdateUserPool", seed)
		f.Add("AdminGetUser", seed)
		f.Add("AdminCreateUser", seed)
		f.Add("ListUsers", seed)
	}
	// The fuzzer sends far more requests than the default quotas admit;
	// throttled requests would never reach the decoder, so limits are off.
	h := newTestHandler(f, func(o *Options) { o.AcceptAnySignature, o.RateLimits = true, ratelimit.Off() })
	f.Fuzz(func(t *testing.T, op, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body)))
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
		r.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKeyID+"/"+time.Now().UTC().Format("20060102")+"/us-east-1/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %s %q: %s", rec.Code, op, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON body %q", rec.Body)
		}
	})
}

func TestRegionLimits(t *testing.T) {
	h := newTestHandler(t, func(o *Options) { o.Regions = []string{"eu-west-1"} })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(t, "AWSCognitoIdentityProviderService.ListUserPools", `{"MaxResults":10}`))
	var we wireError
	_ = json.Unmarshal(rec.Body.Bytes(), &we)
	if rec.Code != 400 || we.Type != "InvalidSignatureException" {
		t.Errorf("us-east-1 request on a eu-west-1 server: %d %s %s", rec.Code, we.Type, we.Message)
	}
}

func TestPublicOperationNeedsNoSignature(t *testing.T) {
	h := newTestHandler(t)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"UserPoolId":"us-east-1_abc","Username":"u","EventId":"e","FeedbackToken":"t","FeedbackValue":"Valid"}`))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.UpdateAuthEventFeedback")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var we wireError
	_ = json.Unmarshal(rec.Body.Bytes(), &we)
	if we.Type != "ResourceNotFoundException" {
		t.Errorf("unsigned UpdateAuthEventFeedback reached %s (%s), want the engine's answer for a pool that does not exist", we.Type, we.Message)
	}
}

// TestUnknownPathsNotFound guards that the hosted UI's and the OAuth
// endpoints' paths, which cognate does not serve yet, answer 404 as
// docs/tokens.md says, rather than the JSON API's 400 "Only POST requests
// are accepted."; the API itself still answers at "/", and at any path when
// the request is an API call (POST with X-Amz-Target).
func TestUnknownPathsNotFound(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"GET authorize", httptest.NewRequest(http.MethodGet, "/oauth2/authorize?response_type=code&client_id=x", nil), 404, "404 page not found\n"},
		{"GET login", httptest.NewRequest(http.MethodGet, "/login?client_id=x", nil), 404, "404 page not found\n"},
		{"GET a pool's authorize", httptest.NewRequest(http.MethodGet, "/us-east-1_abc/authorize", nil), 404, "404 page not found\n"},
		{"GET a pool's userInfo", httptest.NewRequest(http.MethodGet, "/us-east-1_abc/userInfo", nil), 404, "404 page not found\n"},
		{"GET confirmUser", httptest.NewRequest(http.MethodGet, "/confirmUser?client_id=x&user_name=u&confirmation_code=1", nil), 404, "404 page not found\n"},
		{"POST token form", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader("grant_type=client_credentials"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), 404, "404 page not found\n"},
		{"GET the API root", httptest.NewRequest(http.MethodGet, "/", nil), 400,
			`{"__type":"UnknownOperationException","message":"Only POST requests are accepted."}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req)
			if rec.Code != tc.wantStatus || strings.TrimSpace(rec.Body.String()) != strings.TrimSpace(tc.wantBody) {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	// An API call at another path is still served (the signature covers
	// the path, so this one goes unchecked).
	h = newTestHandler(t, func(o *Options) { o.AcceptAnySignature = true })
	r := signedRequest(t, "AWSCognitoIdentityProviderService.ListUserPools", `{"MaxResults":1}`)
	r.URL.Path = "/prefix/"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Errorf("API call at /prefix/: %d %s", rec.Code, rec.Body)
	}
}
