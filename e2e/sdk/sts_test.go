package sdk

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cidp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cidptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts/local"
)

const stsReaderRole = "arn:aws:iam::" + accountID + ":role/Reader"

// stsEnv is a cognate serving its own STS, which trusts a test issuer.
type stsEnv struct {
	URL    string
	Store  storage.Store
	STS    *local.Service
	Issuer *webIdentityIssuer
	Clock  *testClock
}

// startSTS serves cognate on db with its STS trusting a fresh test
// issuer for the audience "sts-app" and the roles of the account.
func startSTS(t testing.TB, db migratingStore) *stsEnv {
	t.Helper()
	migrated(t, db)
	e := &stsEnv{Store: db, Issuer: newWebIdentityIssuer(t), Clock: newTestClock()}
	var err error
	e.STS, err = local.New(local.Options{
		Store: db, Key: encryptionKey, AccountID: accountID, Clock: e.Clock.Now,
		Issuers: []local.TrustedIssuer{{URL: e.Issuer.URL, Audiences: []string{"sts-app"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.URL = serveAPI(t, db, directory.Options{}, nil, ratelimit.Off(), ratelimit.Unprotected(), func(_ string, o *api.Options) {
		o.STS = e.STS
	})
	return e
}

// stsClient returns an STS client for e with the given credentials (nil:
// anonymous, as AssumeRoleWithWebIdentity needs none).
func (e *stsEnv) stsClient(creds aws.CredentialsProvider) *sts.Client {
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	return sts.New(sts.Options{BaseEndpoint: aws.String(e.URL), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 8})
}

func tempCreds(c *ststypes.Credentials) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// startSTSBench is startSTS on SQLite for a benchmark.
func startSTSBench(b *testing.B) *stsEnv { return startSTS(b, openBackend(b, "sqlite")) }

func (e *stsEnv) assume(t *testing.T, token string, mod func(*sts.AssumeRoleWithWebIdentityInput)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	t.Helper()
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(stsReaderRole), RoleSessionName: aws.String("alice-session"), WebIdentityToken: aws.String(token),
	}
	if mod != nil {
		mod(in)
	}
	return e.stsClient(nil).AssumeRoleWithWebIdentity(context.Background(), in)
}

func TestSTSAssumeRoleWithWebIdentity(t *testing.T) {
	backendsSTS(t, func(t *testing.T, e *stsEnv) {
		ctx := context.Background()
		tok := e.Issuer.token(t, map[string]any{
			tagsClaimName: map[string]any{"principal_tags": map[string][]string{"department": {"research"}}},
		})
		out, err := e.assume(t, tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantARN := "arn:aws:sts::" + accountID + ":assumed-role/Reader/alice-session"
		if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
			t.Errorf("assumed role ARN %q, want %q", got, wantARN)
		}
		if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":alice-session") {
			t.Errorf("assumed role ID %q", id)
		}
		if aws.ToString(out.SubjectFromWebIdentityToken) != "alice" || aws.ToString(out.Audience) != "sts-app" {
			t.Errorf("subject %q, audience %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience))
		}
		if p := aws.ToString(out.Provider); p != strings.TrimPrefix(e.Issuer.URL, "http://") {
			t.Errorf("provider %q", p)
		}
		c := out.Credentials
		if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.SecretAccessKey)) != 40 || aws.ToString(c.SessionToken) == "" {
			t.Errorf("credentials %q / %d-character secret / token %q", aws.ToString(c.AccessKeyId), len(aws.ToString(c.SecretAccessKey)), aws.ToString(c.SessionToken))
		}
		if want := e.Clock.Now().Add(time.Hour).UTC(); !aws.ToTime(c.Expiration).Equal(want) {
			t.Errorf("expiration %v, want one hour from now, %v", aws.ToTime(c.Expiration), want)
		}

		// The minted credentials sign GetCallerIdentity.
		who, err := e.stsClient(tempCreds(c)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(who.Arn) != wantARN || aws.ToString(who.Account) != accountID ||
			aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
			t.Errorf("GetCallerIdentity: %q %q %q", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
		}

		// The session carries the token's principal tags and its subject.
		sess, err := e.STS.Session(ctx, aws.ToString(c.AccessKeyId))
		if err != nil {
			t.Fatal(err)
		}
		if sess.Tags["department"] != "research" || len(sess.Tags) != 1 || sess.Subject != "alice" || sess.Issuer != e.Issuer.URL {
			t.Errorf("session: tags %v, subject %q, issuer %q", sess.Tags, sess.Subject, sess.Issuer)
		}

		// DurationSeconds is honoured within STS's bounds.
		long, err := e.assume(t, tok, func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(7200) })
		if err != nil {
			t.Fatal(err)
		}
		if want := e.Clock.Now().Add(2 * time.Hour).UTC(); !aws.ToTime(long.Credentials.Expiration).Equal(want) {
			t.Errorf("expiration %v, want %v", aws.ToTime(long.Credentials.Expiration), want)
		}
		for _, d := range []int32{899, 43201} {
			_, err := e.assume(t, tok, func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(d) })
			wantSTSError(t, err, "ValidationError", "durationSeconds")
		}
	})
}

const tagsClaimName = "https://aws.amazon.com/tags"

// backendsSTS runs f once per storage backend with a fresh stsEnv.
func backendsSTS(t *testing.T, f func(t *testing.T, e *stsEnv)) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) { f(t, startSTS(t, openBackend(t, name))) })
	}
}

// wantSTSError fails t unless err is an API error with code whose
// message contains msgPart.
func wantSTSError(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msgPart) {
		t.Errorf("got %s: %s; want %s with %q", ae.ErrorCode(), ae.ErrorMessage(), code, msgPart)
	}
}

func TestSTSRefusesBadWebIdentityTokens(t *testing.T) {
	backendsSTS(t, func(t *testing.T, e *stsEnv) {
		otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		other := newWebIdentityIssuer(t)
		cases := []struct {
			name  string
			token string
			role  string
			check func(t *testing.T, err error)
		}{
			{"expired", e.Issuer.token(t, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}), stsReaderRole, func(t *testing.T, err error) {
				var x *ststypes.ExpiredTokenException
				if !errors.As(err, &x) {
					t.Fatalf("got %v, want ExpiredTokenException", err)
				}
			}},
			{"forged signature", e.Issuer.tokenSignedBy(t, newSigner(t, otherKey, "test-key-1"), nil), stsReaderRole, wantInvalidIdentityToken},
			{"unknown key", e.Issuer.tokenSignedBy(t, newSigner(t, otherKey, "another-key"), nil), stsReaderRole, wantInvalidIdentityToken},
			{"wrong audience", e.Issuer.token(t, map[string]any{"aud": "another-app"}), stsReaderRole, wantInvalidIdentityToken},
			{"untrusted issuer", other.token(t, nil), stsReaderRole, wantInvalidIdentityToken},
			{"issuer claim of the trusted issuer, signed by another", other.tokenSignedBy(t, other.signer, map[string]any{"iss": e.Issuer.URL}), stsReaderRole, wantInvalidIdentityToken},
			{"no subject", e.Issuer.token(t, map[string]any{"sub": nil}), stsReaderRole, wantInvalidIdentityToken},
			{"not a JWT", "not-a-jwt", stsReaderRole, wantInvalidIdentityToken},
			{"role of another account", e.Issuer.token(t, nil), "arn:aws:iam::210987654321:role/Reader", func(t *testing.T, err error) {
				wantSTSError(t, err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
			}},
			{"malformed role ARN", e.Issuer.token(t, nil), "arn:aws:iam::123:user/someone-else", func(t *testing.T, err error) {
				wantSTSError(t, err, "ValidationError", "ARN is invalid")
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.assume(t, tc.token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.RoleArn = aws.String(tc.role) })
				tc.check(t, err)
			})
		}
		_, err = e.assume(t, e.Issuer.token(t, nil), func(in *sts.AssumeRoleWithWebIdentityInput) { in.RoleSessionName = aws.String("no spaces allowed") })
		wantSTSError(t, err, "ValidationError", "roleSessionName")
		items, err := e.Store.ListItems(context.Background(), storage.ListItemsInput{Kind: local.ItemKind, Limit: 10})
		if err != nil || len(items) != 0 {
			t.Errorf("refused requests stored %d credentials (%v)", len(items), err)
		}
	})
}

func wantInvalidIdentityToken(t *testing.T, err error) {
	t.Helper()
	var x *ststypes.InvalidIdentityTokenException
	if !errors.As(err, &x) {
		t.Fatalf("got %v, want InvalidIdentityTokenException", err)
	}
}

func TestSTSGetCallerIdentityChecksTheCredentials(t *testing.T) {
	backendsSTS(t, func(t *testing.T, e *stsEnv) {
		ctx := context.Background()
		out, err := e.assume(t, e.Issuer.token(t, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		akid, secret, token := aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)
		call := func(id, key, tok string) error {
			_, err := e.stsClient(credentials.NewStaticCredentialsProvider(id, key, tok)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}
		wantSTSError(t, call(akid, secret, ""), "InvalidClientTokenId", "security token included in the request is invalid")
		wantSTSError(t, call(akid, secret, token[:len(token)-4]+"AAAA"), "InvalidClientTokenId", "invalid")
		wantSTSError(t, call(akid, "wrong"+secret[5:], token), "SignatureDoesNotMatch", "signature")
		wantSTSError(t, call("ASIAAAAAAAAAAAAAAAAA", secret, token), "InvalidClientTokenId", "invalid")

		// The admin key is the account's root.
		who, err := e.stsClient(credentials.NewStaticCredentialsProvider(keyID, secretKey(), "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(who.Arn) != "arn:aws:iam::"+accountID+":root" {
			t.Errorf("admin caller %q", aws.ToString(who.Arn))
		}

		// Temporary credentials authorize nothing on the Cognito APIs.
		idp := cidp.New(cidp.Options{BaseEndpoint: aws.String(e.URL), Region: "us-east-1", Credentials: tempCreds(c)})
		_, err = idp.ListUserPools(ctx, &cidp.ListUserPoolsInput{MaxResults: aws.Int32(10)})
		wantSTSError(t, err, "UnrecognizedClientException", "security token")
		_, err = idp.CreateUserPool(ctx, &cidp.CreateUserPoolInput{PoolName: aws.String("not-allowed")})
		wantSTSError(t, err, "UnrecognizedClientException", "security token")
		_, err = idp.AdminCreateUser(ctx, &cidp.AdminCreateUserInput{UserPoolId: aws.String("us-east-1_abcdefghi"), Username: aws.String("x"),
			MessageAction: cidptypes.MessageActionTypeSuppress})
		wantSTSError(t, err, "UnrecognizedClientException", "security token")
		ident := cip.New(cip.Options{BaseEndpoint: aws.String(e.URL), Region: "us-east-1", Credentials: tempCreds(c)})
		_, err = ident.ListIdentityPools(ctx, &cip.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
		wantSTSError(t, err, "UnrecognizedClientException", "security token")

		// An hour later they have expired.
		e.Clock.advance(time.Hour)
		wantSTSError(t, call(akid, secret, token), "ExpiredToken", "expired")
		// And once swept, they are gone from the store.
		e.Clock.advance(time.Hour + time.Second)
		if _, err := e.STS.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.GetItem(ctx, local.ItemKind, akid); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("expired credentials still stored: %v", err)
		}
		wantSTSError(t, call(akid, secret, token), "InvalidClientTokenId", "invalid")
	})
}

func secretKey() string { return secret }

// TestSTSMalformedRequests sends what no SDK sends: each gets STS's XML
// error with its status, never a 500.
func TestSTSMalformedRequests(t *testing.T) {
	e := startSTS(t, openBackend(t, "sqlite"))
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name, method, query, contentType, body string
		status                                 int
		code                                   string
	}{
		{"no action", "POST", "", form, "Version=2011-06-15", 400, "MissingAction"},
		{"unknown action", "POST", "", form, "Action=Nope&Version=2011-06-15", 400, "InvalidAction"},
		{"other version", "POST", "", form, "Action=GetCallerIdentity&Version=2099-01-01", 400, "InvalidAction"},
		{"unimplemented action", "POST", "", form, "Action=AssumeRole&Version=2011-06-15", 400, "InvalidAction"},
		{"bad escape", "POST", "", form, "Action=GetCallerIdentity&x=%zz", 400, "MalformedQueryString"},
		{"repeated parameter", "POST", "", form, "Action=GetCallerIdentity&Action=GetCallerIdentity", 400, "MalformedQueryString"},
		{"unsigned GetCallerIdentity", "POST", "", form, "Action=GetCallerIdentity&Version=2011-06-15", 403, "MissingAuthenticationToken"},
		{"GET, unsigned", "GET", "Action=GetCallerIdentity&Version=2011-06-15", "", "", 403, "MissingAuthenticationToken"},
		{"no parameters", "POST", "", form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15", 400, "ValidationError"},
		{"duration not a number", "POST", "", form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + url.QueryEscape(stsReaderRole) +
			"&RoleSessionName=ab&WebIdentityToken=abcd&DurationSeconds=lots", 400, "ValidationError"},
		{"duration zero", "POST", "", form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + url.QueryEscape(stsReaderRole) +
			"&RoleSessionName=ab&WebIdentityToken=abcd&DurationSeconds=0", 400, "ValidationError"},
		{"token of garbage", "POST", "", form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + url.QueryEscape(stsReaderRole) +
			"&RoleSessionName=ab&WebIdentityToken=" + url.QueryEscape("a.\xff\xfe.c"), 400, "InvalidIdentityToken"},
		{"body too large", "POST", "", form, "Action=GetCallerIdentity&x=" + strings.Repeat("a", api.DefaultMaxBodyBytes), 413, "RequestEntityTooLarge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.URL+"/?"+tc.query, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), "<Code>"+tc.code+"</Code>") ||
				!strings.Contains(string(body), `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
				t.Errorf("status %d, %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}

// TestSTSCredentialsAtRest dumps the whole database after minting
// credentials: neither the secret access key nor the session token is in
// it, in the clear or base64-decoded.
func TestSTSCredentialsAtRest(t *testing.T) {
	for _, backend := range backendNames {
		t.Run(backend, func(t *testing.T) {
			db, dump := openDumpable(t, backend)
			e := startSTS(t, db)
			out, err := e.assume(t, e.Issuer.token(t, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			d := dump()
			if !strings.Contains(d, aws.ToString(out.Credentials.AccessKeyId)) {
				t.Fatal("the dump does not hold the credentials at all")
			}
			for name, v := range map[string]string{"secret access key": aws.ToString(out.Credentials.SecretAccessKey), "session token": aws.ToString(out.Credentials.SessionToken)} {
				if strings.Contains(d, v) || strings.Contains(d, v[:20]) {
					t.Errorf("the dump holds the %s", name)
				}
			}
		})
	}
}

// TestSTSWithAWSCLI runs `aws sts get-caller-identity --endpoint-url`
// with minted credentials.
func TestSTSWithAWSCLI(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is required where CI runs (scripts/install-test-deps.sh installs it)")
		}
		t.Skip("the AWS CLI is not installed (scripts/install-test-deps.sh installs it)")
	}
	e := startSTS(t, openBackend(t, "sqlite"))
	out, err := e.assume(t, e.Issuer.token(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(awsPath, "sts", "get-caller-identity", "--endpoint-url", e.URL, "--region", "us-east-1", "--output", "text",
		"--query", "Arn")
	cmd.Env = []string{
		"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=" + aws.ToString(out.Credentials.AccessKeyId),
		"AWS_SECRET_ACCESS_KEY=" + aws.ToString(out.Credentials.SecretAccessKey),
		"AWS_SESSION_TOKEN=" + aws.ToString(out.Credentials.SessionToken),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, got)
	}
	if want := "arn:aws:sts::" + accountID + ":assumed-role/Reader/alice-session"; strings.TrimSpace(string(got)) != want {
		t.Errorf("aws sts get-caller-identity: %q, want %q", got, want)
	}
}
