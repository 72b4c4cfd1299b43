package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
)

const (
	sv4AKID   = "AKIDEXAMPLE"
	sv4Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	sv4Token  = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN//////////wEaDEXAMPLE"
	sv4Body   = `{"UserPoolId":"us-east-1_EXAMPLE","Username":"alice"}`
	sv4Target = "AWSCognitoIdentityProviderService.AdminGetUser"
)

var sv4Now = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// sv4Client describes a request as an SDK client would build and sign it.
type sv4Client struct {
	url      string // default https://cognito-idp.<region>.amazonaws.com/
	region   string // default us-east-1
	service  string // default cognito-idp
	akid     string // default sv4AKID
	secret   string // default sv4Secret
	token    string // session token; none when empty
	at       time.Time
	body     string // default sv4Body
	target   string // default sv4Target
	extra    http.Header
	sign     func(*http.Request) // runs after the headers are set, before signing
	unsigned http.Header         // added after signing, as a transport or proxy would
}

// sv4SignedRequest signs the described request with the SDK's v4 signer, writes
// it to the wire and reads it back, so the test sees what a server sees.
func sv4SignedRequest(t testing.TB, c sv4Client) (*http.Request, []byte) {
	t.Helper()
	if c.region == "" {
		c.region = "us-east-1"
	}
	if c.service == "" {
		c.service = sv4IDP
	}
	if c.url == "" {
		c.url = "https://" + c.service + "." + c.region + ".amazonaws.com/"
	}
	if c.akid == "" {
		c.akid = sv4AKID
	}
	if c.secret == "" {
		c.secret = sv4Secret
	}
	if c.at.IsZero() {
		c.at = sv4Now
	}
	if c.body == "" {
		c.body = sv4Body
	}
	if c.target == "" {
		c.target = sv4Target
	}
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", c.target)
	req.Header.Set("Amz-Sdk-Invocation-Id", "5c1b6f4e-8c39-4a43-9a59-3b2c5f0b9d11")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 api/cognitoidentityprovider#1.51.0")
	for k, vs := range c.extra {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.sign != nil {
		c.sign(req)
	}
	sum := sha256.Sum256([]byte(c.body))
	creds := aws.Credentials{AccessKeyID: c.akid, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), c.service, c.region, c.at); err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.unsigned {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return sv4ToServer(t, req)
}

// sv4ToServer writes a client request to the wire and parses it as a server.
func sv4ToServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	sreq, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(sreq.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sreq, body
}

const (
	sv4IDP      = "cognito-idp"
	sv4Identity = "cognito-identity"
)

func sv4Verifier() *SigV4Verifier {
	return &SigV4Verifier{
		Lookup: func(id string) (string, bool) {
			if id == sv4AKID {
				return sv4Secret, true
			}
			return "", false
		},
		Services: []string{sv4IDP, sv4Identity},
		Now:      func() time.Time { return sv4Now },
	}
}

// sv4ErrView is the part of a *cognito.Error the wire carries.
type sv4ErrView struct {
	Code    string
	Status  int
	Message string
}

func sv4View(e *cognito.Error) *sv4ErrView {
	if e == nil {
		return nil
	}
	return &sv4ErrView{Code: e.Code, Status: e.Status, Message: e.Message}
}

func sv4SetAuth(value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", value) }
}

// sv4ReplaceInAuth edits the signed request's Authorization header.
func sv4ReplaceInAuth(old, new string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
}

const (
	sv4Mismatch    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	sv4InvalidSig  = cognito.CodeInvalidSignatureException
	sv4Incomplete  = cognito.CodeIncompleteSignatureException
	sv4UnknownKey  = cognito.CodeUnrecognizedClientException
	sv4MissingAuth = cognito.CodeMissingAuthenticationTokenException
)

func TestSigV4Verify(t *testing.T) {
	type tc struct {
		name     string
		client   sv4Client
		verifier func(*SigV4Verifier) // adjusts sv4Verifier()
		tamper   func(r *http.Request, body *[]byte)
		want     SigV4Scope
		wantErr  *sv4ErrView
		contains string // when set, wantErr.Message need only contain it
	}
	scope := func(region, service string, at time.Time) SigV4Scope {
		return SigV4Scope{AccessKeyID: sv4AKID, Region: region, Service: service, Date: at}
	}
	errOf := func(code, msg string) *sv4ErrView {
		return &sv4ErrView{Code: code, Status: cognito.StatusFor(code), Message: msg}
	}
	cases := []tc{
		{name: "valid us-east-1 cognito-idp",
			want: scope("us-east-1", sv4IDP, sv4Now)},
		{name: "valid eu-central-2 cognito-identity",
			client: sv4Client{region: "eu-central-2", service: sv4Identity, target: "AWSCognitoIdentityService.ListIdentityPools"},
			want:   scope("eu-central-2", sv4Identity, sv4Now)},
		{name: "valid us-gov-west-1 on a local port",
			client: sv4Client{region: "us-gov-west-1", url: "http://127.0.0.1:9229/"},
			want:   scope("us-gov-west-1", sv4IDP, sv4Now)},
		{name: "valid ap-southeast-2 with session token",
			client: sv4Client{region: "ap-southeast-2", token: sv4Token},
			want:   scope("ap-southeast-2", sv4IDP, sv4Now)},
		{name: "valid with path, query and repeated header",
			client: sv4Client{url: "http://localhost:9229/some%20path/x?b=2&a=1&a=0",
				extra: http.Header{"X-Custom": {"one", "two  spaced"}}},
			want: scope("us-east-1", sv4IDP, sv4Now)},
		{name: "valid without spaces after commas",
			tamper: func(r *http.Request, _ *[]byte) {
				r.Header.Set("Authorization", strings.ReplaceAll(r.Header.Get("Authorization"), ", ", ","))
			},
			want: scope("us-east-1", sv4IDP, sv4Now)},
		{name: "valid with extra whitespace around parameters",
			tamper: func(r *http.Request, _ *[]byte) {
				a := strings.ReplaceAll(r.Header.Get("Authorization"), ", ", " ,\t ")
				r.Header.Set("Authorization", strings.Replace(a, "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256   ", 1))
			},
			want: scope("us-east-1", sv4IDP, sv4Now)},
		{name: "valid with headers added after signing",
			client: sv4Client{unsigned: http.Header{"Accept-Encoding": {"gzip"}, "X-Amzn-Trace-Id": {"Root=1-abc"}}},
			want:   scope("us-east-1", sv4IDP, sv4Now)},
		{name: "valid 4 minutes old",
			client: sv4Client{at: sv4Now.Add(-4 * time.Minute)},
			want:   scope("us-east-1", sv4IDP, sv4Now.Add(-4*time.Minute))},
		{name: "valid with signed matching X-Amz-Content-Sha256",
			client: sv4Client{sign: func(r *http.Request) {
				sum := sha256.Sum256([]byte(sv4Body))
				r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			}},
			want: scope("us-east-1", sv4IDP, sv4Now)},
		{name: "valid with custom skew",
			client:   sv4Client{at: sv4Now.Add(-10 * time.Minute)},
			verifier: func(v *SigV4Verifier) { v.MaxSkew = 15 * time.Minute },
			want:     scope("us-east-1", sv4IDP, sv4Now.Add(-10*time.Minute))},

		{name: "body tampered",
			tamper:  func(_ *http.Request, b *[]byte) { *b = []byte(strings.Replace(string(*b), "alice", "mallory", 1)) },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "X-Amz-Target changed",
			tamper: func(r *http.Request, _ *[]byte) {
				r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
			},
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "signed header removed",
			tamper:  func(r *http.Request, _ *[]byte) { r.Header.Del("Amz-Sdk-Invocation-Id") },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "host changed",
			tamper:  func(r *http.Request, _ *[]byte) { r.Host = "cognito-idp.us-west-2.amazonaws.com" },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "query changed",
			client:  sv4Client{url: "http://localhost:9229/?a=1"},
			tamper:  func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "a=2" },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "wrong secret",
			client:  sv4Client{secret: "not-the-secret"},
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "signature altered",
			tamper: func(r *http.Request, _ *[]byte) {
				a := r.Header.Get("Authorization")
				last := a[len(a)-1]
				flip := byte('0')
				if last == '0' {
					flip = '1'
				}
				r.Header.Set("Authorization", a[:len(a)-1]+string(flip))
			},
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "session token changed",
			client:  sv4Client{token: sv4Token},
			tamper:  func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Security-Token", sv4Token+"x") },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "signed X-Amz-Content-Sha256 does not match body",
			client: sv4Client{sign: func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			}},
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "SignedHeaders lists a header the signer never signs",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("SignedHeaders=", "SignedHeaders=user-agent;")(r) },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "SignedHeaders lists authorization",
			tamper: func(r *http.Request, _ *[]byte) {
				sv4ReplaceInAuth("SignedHeaders=", "SignedHeaders=authorization;")(r)
			},
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "SignedHeaders omits a signed header",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("amz-sdk-request;", "")(r) },
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "SignedHeaders omits x-amz-target",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth(";x-amz-target,", ",")(r) },
			wantErr: errOf(sv4InvalidSig, "There were headers present in the request which were not signed: x-amz-target")},
		// Before X-Amz-Target had to be signed, this request passed: the
		// verifier re-signed only the headers the client listed.
		{name: "X-Amz-Target added after signing",
			client: sv4Client{
				sign:     func(r *http.Request) { r.Header.Del("X-Amz-Target") },
				unsigned: http.Header{"X-Amz-Target": {"AWSCognitoIdentityProviderService.AdminDeleteUser"}},
			},
			wantErr: errOf(sv4InvalidSig, "There were headers present in the request which were not signed: x-amz-target")},
		{name: "x-amz- headers added after signing, named in order",
			client: sv4Client{unsigned: http.Header{
				"X-Amz-Security-Token": {sv4Token},
				"X-Amz-Content-Sha256": {strings.Repeat("0", 64)},
				"X-Amz-User-Agent":     {"aws-sdk-js/3"},
			}},
			wantErr: errOf(sv4InvalidSig, "There were headers present in the request which were not signed: "+
				"x-amz-content-sha256, x-amz-security-token, x-amz-user-agent")},
		{name: "valid with X-Amz-Cf-Id added by CloudFront",
			client: sv4Client{unsigned: http.Header{"X-Amz-Cf-Id": {"4Gm0yT4bf3Y3SgsmZ0mSYdn9k4CNuoHhTUnhHkbyN3Ek3UOGE2BvCg=="}}},
			want:   scope("us-east-1", sv4IDP, sv4Now)},
		{name: "x-amz-date not signed",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth(";x-amz-date;", ";")(r) },
			wantErr: errOf(sv4InvalidSig, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")},
		{name: "Date header signed instead of X-Amz-Date",
			tamper: func(r *http.Request, _ *[]byte) {
				r.Header.Set("Date", r.Header.Get("X-Amz-Date"))
				r.Header.Del("X-Amz-Date")
				sv4ReplaceInAuth(";x-amz-date;", ";date;")(r)
			},
			wantErr: errOf(sv4InvalidSig, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")},
		{name: "host and x-amz-date not signed: host first",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth(";host;x-amz-date;", ";")(r) },
			wantErr: errOf(sv4InvalidSig, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")},
		{name: "Date header instead of X-Amz-Date cannot be re-signed",
			tamper: func(r *http.Request, _ *[]byte) {
				r.Header.Set("Date", r.Header.Get("X-Amz-Date"))
				r.Header.Del("X-Amz-Date")
			},
			wantErr: errOf(sv4InvalidSig, sv4Mismatch)},
		{name: "host not signed",
			tamper: func(r *http.Request, _ *[]byte) {
				a := r.Header.Get("Authorization")
				a = strings.Replace(a, ";host;", ";", 1)
				r.Header.Set("Authorization", a)
			},
			wantErr: errOf(sv4InvalidSig, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")},
		{name: "unknown key",
			client:  sv4Client{akid: "AKIDUNKNOWN"},
			wantErr: errOf(sv4UnknownKey, "The security token included in the request is invalid.")},
		{name: "nil Lookup knows no key",
			verifier: func(v *SigV4Verifier) { v.Lookup = nil },
			wantErr:  errOf(sv4UnknownKey, "The security token included in the request is invalid.")},

		{name: "no Authorization header",
			tamper:  func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") },
			wantErr: errOf(sv4MissingAuth, "Missing Authentication Token")},
		{name: "blank Authorization header",
			tamper:  func(r *http.Request, _ *[]byte) { r.Header.Set("Authorization", "   ") },
			wantErr: errOf(sv4MissingAuth, "Missing Authentication Token")},
		{name: "garbage header",
			tamper:  func(r *http.Request, _ *[]byte) { sv4SetAuth("Bearer abc.def")(r) },
			wantErr: errOf(sv4Incomplete, "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'.")},
		{name: "token without scheme",
			tamper: func(r *http.Request, _ *[]byte) { sv4SetAuth("eyJhbGciOiJIUzI1NiJ9")(r) },
			wantErr: errOf(sv4Incomplete, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "+
				"Authorization header requires 'SignedHeaders' parameter. Authorization=eyJhbGciOiJIUzI1NiJ9")},
		{name: "algorithm only, no date",
			tamper: func(r *http.Request, _ *[]byte) {
				r.Header.Del("X-Amz-Date")
				sv4SetAuth("AWS4-HMAC-SHA256")(r)
			},
			wantErr: errOf(sv4Incomplete, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "+
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "+
				"Authorization=AWS4-HMAC-SHA256")},
		{name: "missing Signature",
			tamper: func(r *http.Request, _ *[]byte) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			},
			wantErr:  errOf(sv4Incomplete, ""),
			contains: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/cognito-idp/aws4_request, SignedHeaders="},
		{name: "empty SignedHeaders",
			tamper: func(r *http.Request, _ *[]byte) {
				sv4SetAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/cognito-idp/aws4_request, SignedHeaders=, Signature=00")(r)
			},
			wantErr:  errOf(sv4Incomplete, ""),
			contains: "Authorization header requires 'SignedHeaders' parameter. Authorization=",
		},
		{name: "missing date",
			tamper:   func(r *http.Request, _ *[]byte) { r.Header.Del("X-Amz-Date") },
			wantErr:  errOf(sv4Incomplete, ""),
			contains: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=",
		},
		{name: "malformed date",
			tamper:  func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "2025-03-14T15:09:26Z") },
			wantErr: errOf(sv4Incomplete, "Date must be in ISO-8601 'basic format'. Got '2025-03-14T15:09:26Z'. See http://en.wikipedia.org/wiki/ISO_8601")},
		{name: "unsupported algorithm",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")(r) },
			wantErr: errOf(sv4Incomplete, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now).")},
		{name: "credential with four elements",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("/us-east-1", "")(r) },
			wantErr: errOf(sv4Incomplete, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20250314/cognito-idp/aws4_request'")},
		{name: "credential trailing slash ignored",
			tamper: func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("aws4_request", "aws4_request/")(r) },
			want:   scope("us-east-1", sv4IDP, sv4Now)},

		{name: "stale date",
			client:  sv4Client{at: sv4Now.Add(-6 * time.Minute)},
			wantErr: errOf(sv4InvalidSig, "Signature expired: 20250314T150326Z is now earlier than 20250314T150426Z (20250314T150926Z - 5 min.)")},
		{name: "future date",
			client:  sv4Client{at: sv4Now.Add(6 * time.Minute)},
			wantErr: errOf(sv4InvalidSig, "Signature not yet current: 20250314T151526Z is still later than 20250314T151426Z (20250314T150926Z + 5 min.)")},
		{name: "stale date with custom skew",
			client:   sv4Client{at: sv4Now.Add(-16 * time.Minute)},
			verifier: func(v *SigV4Verifier) { v.MaxSkew = 15 * time.Minute },
			wantErr:  errOf(sv4InvalidSig, "Signature expired: 20250314T145326Z is now earlier than 20250314T145426Z (20250314T150926Z - 15 min.)")},
		{name: "wrong service scope",
			client:  sv4Client{service: "s3"},
			wantErr: errOf(sv4InvalidSig, "Credential should be scoped to correct service: 'cognito-idp' or 'cognito-identity'.")},
		{name: "wrong service scope, one service",
			client:   sv4Client{service: "cognito-identity"},
			verifier: func(v *SigV4Verifier) { v.Services = []string{sv4IDP} },
			wantErr:  errOf(sv4InvalidSig, "Credential should be scoped to correct service: 'cognito-idp'.")},
		{name: "bad region",
			client:  sv4Client{region: "useast1"},
			wantErr: errOf(sv4InvalidSig, "Credential should be scoped to a valid region, not 'useast1'.")},
		{name: "bad region with upper case",
			client:  sv4Client{region: "US-EAST-1"},
			wantErr: errOf(sv4InvalidSig, "Credential should be scoped to a valid region, not 'US-EAST-1'.")},
		{name: "empty region",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("/us-east-1/", "//")(r) },
			wantErr: errOf(sv4InvalidSig, "Credential should be scoped to a valid region, not ''.")},
		{name: "bad terminator",
			tamper:  func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("aws4_request", "aws5_request")(r) },
			wantErr: errOf(sv4InvalidSig, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.")},
		{name: "scope date differs from X-Amz-Date",
			tamper: func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("/20250314/", "/20250313/")(r) },
			wantErr: errOf(sv4InvalidSig, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "+
				"'20250313' != '20250314', from '20250314T150926Z'.")},
		{name: "several scope faults at once",
			client: sv4Client{region: "moon", service: "s3"},
			tamper: func(r *http.Request, _ *[]byte) { sv4ReplaceInAuth("aws4_request", "x")(r) },
			wantErr: errOf(sv4InvalidSig, "Credential should be scoped to a valid region, not 'moon'. "+
				"Credential should be scoped to correct service: 'cognito-idp' or 'cognito-identity'. "+
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'x'.")},

		{name: "accept-any: bad signature accepted",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true },
			client:   sv4Client{secret: "whatever"},
			tamper:   func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Target", "changed") },
			want:     scope("us-east-1", sv4IDP, sv4Now)},
		{name: "accept-any: unknown key and nil Lookup accepted",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true; v.Lookup = nil },
			client:   sv4Client{akid: "AKIDANYTHING", region: "eu-west-3", service: sv4Identity},
			want:     SigV4Scope{AccessKeyID: "AKIDANYTHING", Region: "eu-west-3", Service: sv4Identity, Date: sv4Now}},
		{name: "accept-any: stale date accepted",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true },
			client:   sv4Client{at: sv4Now.Add(-48 * time.Hour)},
			want:     scope("us-east-1", sv4IDP, sv4Now.Add(-48*time.Hour))},
		{name: "accept-any: Date header in RFC 1123 form",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true },
			tamper: func(r *http.Request, _ *[]byte) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Date", sv4Now.Format(http.TimeFormat))
			},
			want: scope("us-east-1", sv4IDP, sv4Now)},
		{name: "accept-any: missing header rejected",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true },
			tamper:   func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") },
			wantErr:  errOf(sv4MissingAuth, "Missing Authentication Token")},
		{name: "accept-any: malformed header rejected",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true },
			tamper: func(r *http.Request, _ *[]byte) {
				sv4SetAuth("AWS4-HMAC-SHA256 Credential=AKID/20250314/us-east-1/cognito-idp/aws4_request")(r)
			},
			wantErr: errOf(sv4Incomplete, "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "+
				"Authorization=AWS4-HMAC-SHA256 Credential=AKID/20250314/us-east-1/cognito-idp/aws4_request")},
		{name: "accept-any: wrong service still rejected",
			verifier: func(v *SigV4Verifier) { v.AcceptAnySignature = true },
			client:   sv4Client{service: "dynamodb"},
			wantErr:  errOf(sv4InvalidSig, "Credential should be scoped to correct service: 'cognito-idp' or 'cognito-identity'.")},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := sv4SignedRequest(t, c.client)
			if c.tamper != nil {
				c.tamper(r, &body)
			}
			v := sv4Verifier()
			if c.verifier != nil {
				c.verifier(v)
			}
			before := r.Header.Clone()
			got, gotErr := v.Verify(r, body)

			if diff := cmp.Diff(before, r.Header); diff != "" {
				t.Errorf("Verify changed the request headers (-before +after):\n%s", diff)
			}
			if gotErr != nil && strings.Contains(gotErr.Error(), sv4Secret) {
				t.Errorf("error reveals the secret: %v", gotErr)
			}
			if c.wantErr == nil {
				if gotErr != nil {
					t.Fatalf("Verify() error = %v, want none", gotErr)
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("Verify() scope (-want +got):\n%s", diff)
				}
				return
			}
			if gotErr == nil {
				t.Fatalf("Verify() = %+v, want error %+v", got, c.wantErr)
			}
			if diff := cmp.Diff(SigV4Scope{}, got); diff != "" {
				t.Errorf("Verify() returned a scope with its error (-want +got):\n%s", diff)
			}
			want := *c.wantErr
			gotView := sv4View(gotErr)
			if c.contains != "" {
				if !strings.Contains(gotView.Message, c.contains) {
					t.Errorf("message %q does not contain %q", gotView.Message, c.contains)
				}
				want.Message = gotView.Message
			}
			if diff := cmp.Diff(&want, gotView); diff != "" {
				t.Errorf("Verify() error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSigV4WireHeaders checks that the header set the signer signs for an
// SDK-style JSON request includes content-length, which the verifier has to
// reproduce from the Content-Length header.
func TestSigV4WireHeaders(t *testing.T) {
	r, body := sv4SignedRequest(t, sv4Client{})
	auth, err := parseSigV4Authorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	want := "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target"
	if auth.signedHeaders != want {
		t.Fatalf("SignedHeaders = %q, want %q", auth.signedHeaders, want)
	}
	if _, err := sv4Verifier().Verify(r, body); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
}

// TestSigV4InProcessRequest checks a request handed to the verifier as
// httptest builds it, without a trip over the wire: no Content-Length header,
// only the ContentLength field, and a URL that carries scheme and host.
func TestSigV4InProcessRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "http://localhost:9229/", strings.NewReader(sv4Body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", sv4Target)
	sum := sha256.Sum256([]byte(sv4Body))
	creds := aws.Credentials{AccessKeyID: sv4AKID, SecretAccessKey: sv4Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), sv4IDP, "us-east-1", sv4Now); err != nil {
		t.Fatal(err)
	}
	if r.Header.Get("Content-Length") != "" || r.ContentLength <= 0 {
		t.Fatalf("test request has Content-Length header %q, ContentLength %d", r.Header.Get("Content-Length"), r.ContentLength)
	}
	got, err := sv4Verifier().Verify(r, []byte(sv4Body))
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	want := SigV4Scope{AccessKeyID: sv4AKID, Region: "us-east-1", Service: sv4IDP, Date: sv4Now}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verify() scope (-want +got):\n%s", diff)
	}
}

// TestSigV4RotatedSecret checks that a secret changed under the same access
// key takes effect at once: no derived key outlives its secret.
func TestSigV4RotatedSecret(t *testing.T) {
	secret := sv4Secret
	v := sv4Verifier()
	v.Lookup = func(string) (string, bool) { return secret, true }

	r, body := sv4SignedRequest(t, sv4Client{})
	if _, err := v.Verify(r, body); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	secret = "rotated-secret"
	r, body = sv4SignedRequest(t, sv4Client{})
	if _, err := v.Verify(r, body); err == nil || err.Code != sv4InvalidSig {
		t.Fatalf("old secret after rotation: error = %v, want %s", err, sv4InvalidSig)
	}
	r, body = sv4SignedRequest(t, sv4Client{secret: "rotated-secret"})
	if _, err := v.Verify(r, body); err != nil {
		t.Fatalf("new secret after rotation: %v", err)
	}
}

// TestSigV4EmptyServices checks that a verifier with no services accepts none.
func TestSigV4EmptyServices(t *testing.T) {
	v := sv4Verifier()
	v.Services = nil
	r, body := sv4SignedRequest(t, sv4Client{})
	_, err := v.Verify(r, body)
	want := &sv4ErrView{Code: sv4InvalidSig, Status: 400, Message: "Credential should be scoped to correct service: ''."}
	if diff := cmp.Diff(want, sv4View(err)); diff != "" {
		t.Fatalf("Verify() error (-want +got):\n%s", diff)
	}
}

// TestSigV4DefaultClock checks the zero Now and MaxSkew: a request signed
// just now passes.
func TestSigV4DefaultClock(t *testing.T) {
	v := sv4Verifier()
	v.Now = nil
	at := time.Now().UTC().Truncate(time.Second)
	r, body := sv4SignedRequest(t, sv4Client{at: at})
	got, err := v.Verify(r, body)
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	if !got.Date.Equal(at) {
		t.Fatalf("Date = %v, want %v", got.Date, at)
	}
}

func FuzzSigV4Header(f *testing.F) {
	r, _ := sv4SignedRequest(f, sv4Client{})
	f.Add(r.Header.Get("Authorization"))
	f.Add("")
	f.Add("AWS4-HMAC-SHA256")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/cognito-idp/aws4_request, SignedHeaders=content-length;host;user-agent;x-amz-date, Signature=ff")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-east-1/cognito-idp/aws4_request/, SignedHeaders=;;;, Signature==")
	f.Add("Bearer x,=,==,a=b=c")
	f.Add("AWS4-HMAC-SHA256 \t Credential=////, SignedHeaders=HOST, Signature=\x00")

	f.Fuzz(func(t *testing.T, header string) {
		for _, acceptAny := range []bool{false, true} {
			r, body := sv4SignedRequest(t, sv4Client{})
			r.Header.Set("Authorization", header)
			v := sv4Verifier()
			v.AcceptAnySignature = acceptAny
			scope, err := v.Verify(r, body)
			if err == nil {
				if scope.AccessKeyID == "" && scope.Region == "" {
					t.Fatalf("success with an empty scope for %q", header)
				}
				continue
			}
			if err.Status != http.StatusBadRequest && err.Status != http.StatusForbidden {
				t.Fatalf("status %d for %q: %v", err.Status, header, err)
			}
			if err.Message == "" || err.Code == "" {
				t.Fatalf("empty code or message for %q: %+v", header, err)
			}
			if strings.Contains(err.Message, sv4Secret) {
				t.Fatalf("message reveals the secret: %q", err.Message)
			}
		}
	})
}

// TestSigV4ReplayAsAnotherOperation checks, through the handler, that a
// signature that does not cover X-Amz-Target cannot be replayed as another
// operation: a DescribeUserPool request signed without its target, sent
// again as DeleteUserPool, is refused and the pool survives. Before the
// target had to be signed, the replay deleted the pool.
func TestSigV4ReplayAsAnotherOperation(t *testing.T) {
	h := newTestHandler(t)
	serve := func(r *http.Request) (int, wireError) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var we wireError
		if rec.Code != http.StatusOK {
			if err := json.Unmarshal(rec.Body.Bytes(), &we); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
		}
		return rec.Code, we
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedRequest(t, "AWSCognitoIdentityProviderService.CreateUserPool", `{"PoolName":"replay"}`))
	var created struct{ UserPool struct{ Id string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.UserPool.Id == "" {
		t.Fatalf("CreateUserPool: %d %s", rec.Code, rec.Body)
	}
	body := `{"UserPoolId":"` + created.UserPool.Id + `"}`

	// Signed without X-Amz-Target, which is set afterwards.
	captured := signedRequest(t, "", body)
	for _, target := range []string{"DescribeUserPool", "DeleteUserPool"} {
		r := captured.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(body))
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+target)
		code, we := serve(r)
		want := wireError{Type: "InvalidSignatureException", Message: "There were headers present in the request which were not signed: x-amz-target"}
		if code != http.StatusBadRequest || we != want {
			t.Errorf("%s with an unsigned target: %d %+v, want 400 %+v", target, code, we, want)
		}
	}
	if code, we := serve(signedRequest(t, "AWSCognitoIdentityProviderService.DescribeUserPool", body)); code != http.StatusOK {
		t.Fatalf("the pool is gone after the replay: %d %+v", code, we)
	}
}
