package sdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/e2e/internal/harness"
	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/identitypool"
	cogoidc "github.com/cognate-dev/cognate/internal/oidc"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/sts"
	"github.com/cognate-dev/cognate/internal/sts/local"
)

// idEnv is a running cognate with identity pools, and the clients a test
// of them needs.
type idEnv struct {
	URL string
	// idp is the user-pools client, ids the identity-pools client signed
	// with the admin key, pub the identity-pools client of an app, which
	// signs nothing.
	idp *cip.Client
	ids *ci.Client
	pub *ci.Client
	// sts is the Security Token Service the identity pools call, unless
	// they call cognate's own (ownSTS).
	sts *verifyingSTS
	// ownSTS is cognate's own STS, served at URL, when idOptions.ownSTS.
	ownSTS *local.Service
}

// idOptions adjusts a test server.
type idOptions struct {
	clock *testClock
	// oidc maps OpenID Connect provider names to what they stand for,
	// given the server's URL.
	oidc func(url string) map[string]identitypool.OIDCProvider
	// saml maps SAML provider names to what they stand for.
	saml map[string]identitypool.SAMLProvider
	// ownSTS serves cognate's own STS and has the identity pools get
	// their credentials from it, as a server does by default.
	ownSTS bool
}

// identityBackends runs f once per storage backend against a server with
// identity pools.
func identityBackends(t *testing.T, o idOptions, f func(t *testing.T, e *idEnv)) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) { f(t, serveIdentity(t, migrated(t, openBackend(t, name)), o)) })
	}
}

// serveIdentity wires the engines on db as cmd/cognate does, identity
// pools included, with a verifyingSTS as the Security Token Service.
func serveIdentity(tb testing.TB, db migratingStore, o idOptions) *idEnv {
	tb.Helper()
	srv := harness.NewServer()
	url := srv.URL
	var clock func() time.Time
	if o.clock != nil {
		clock = o.clock.Now
	}
	en := harness.Wire(tb, db, harness.Options{URL: url, Key: encryptionKey, AccountID: accountID, Clock: clock})
	tok, pools, users, auth := en.Tokens, en.Pools, en.Users, en.Auth
	stsv := &verifyingSTS{issuer: url + identitypool.IdentityIssuerPath, clock: clock}
	var providers map[string]identitypool.OIDCProvider
	if o.oidc != nil {
		providers = o.oidc(url)
	}
	var issuer sts.Issuer = stsv
	var own *local.Service
	if o.ownSTS {
		var err error
		own, err = local.New(local.Options{Store: db, Key: encryptionKey, AccountID: accountID, Clock: clock,
			Issuers: []local.TrustedIssuer{{URL: identitypool.IssuerURL(url), KeySet: identitypool.KeySet{Tokens: tok},
				Trusts: local.IdentityPoolTrust(func(ctx context.Context, poolID string) (string, error) {
					return identitypool.UnauthenticatedRole(ctx, db, poolID)
				})}}})
		if err != nil {
			tb.Fatal(err)
		}
		issuer = own
	}
	ids := identitypool.New(db, identitypool.Options{
		AccountID: accountID, Clock: clock, Tokens: tok, Pools: pools, Users: users, IssuerBaseURL: url,
		Credentials: issuer, Revocation: auth, OpenIDConnectProviders: providers, SAMLProviders: o.saml,
	})
	mux := http.NewServeMux()
	mux.Handle("GET /{pool}/.well-known/", cogoidc.NewWellKnownHandler(tok, url, en.PoolExists))
	mux.Handle("GET "+identitypool.IdentityIssuerPath+"/.well-known/", cogoidc.NewIdentityWellKnownHandler(ids))
	mux.Handle("/", api.NewHandler(api.Options{Pools: pools, Users: users, Auth: auth, Identities: ids, STS: own, AccountID: accountID,
		Credentials: map[string]string{keyID: secret}, RateLimits: ratelimit.Off(), Protection: ratelimit.Unprotected()}))
	srv.Serve(tb, db, mux)
	e := &idEnv{URL: url, sts: stsv, ownSTS: own}
	e.idp = harness.Client(url, "us-east-1", keyID, secret, 8)
	e.ids = identityClient(url, credentials.NewStaticCredentialsProvider(keyID, secret, ""))
	e.pub = identityClient(url, aws.AnonymousCredentials{})
	return e
}

func identityClient(url string, creds aws.CredentialsProvider) *ci.Client {
	return ci.New(ci.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 8})
}

// stsCall is one AssumeRoleWithWebIdentity a verifyingSTS answered: the
// request and the claims of its verified web identity token.
type stsCall struct {
	sts.WebIdentityRequest
	Claims map[string]any
}

// verifyingSTS stands in for a Security Token Service as AWS runs it: it
// verifies the web identity token through the identity issuer's discovery
// document and JWKS (fetched over HTTP from the server, as AWS fetches
// them from a registered OpenID Connect provider), and mints credentials
// only for a token it verified. It remembers the calls it answered.
type verifyingSTS struct {
	issuer string
	clock  func() time.Time
	// mu guards calls and n.
	mu    sync.Mutex
	calls []stsCall
	n     int
}

func (v *verifyingSTS) AssumeRoleWithWebIdentity(ctx context.Context, r sts.WebIdentityRequest) (sts.Credentials, error) {
	p, err := oidc.NewProvider(ctx, v.issuer)
	if err != nil {
		return sts.Credentials{}, fmt.Errorf("discovery: %w", err)
	}
	conf := &oidc.Config{SkipClientIDCheck: true}
	if v.clock != nil {
		conf.Now = v.clock
	}
	idt, err := p.Verifier(conf).Verify(ctx, r.WebIdentityToken)
	if err != nil {
		return sts.Credentials{}, deniedError{err}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return sts.Credentials{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	v.calls = append(v.calls, stsCall{WebIdentityRequest: r, Claims: claims})
	now := time.Now()
	if v.clock != nil {
		now = v.clock()
	}
	return sts.Credentials{
		AccessKeyID: fmt.Sprintf("ASIATEST%012d", v.n), SecretAccessKey: "secret", SessionToken: "session",
		Expiration: now.Add(r.Duration).Truncate(time.Second),
	}, nil
}

// last returns the last call answered.
func (v *verifyingSTS) last(t *testing.T) stsCall {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.calls) == 0 {
		t.Fatal("the STS was not called")
	}
	return v.calls[len(v.calls)-1]
}

// deniedError is the refusal of a token, coded as STS codes it.
type deniedError struct{ err error }

func (d deniedError) Error() string     { return "AccessDenied: " + d.err.Error() }
func (d deniedError) ErrorCode() string { return "AccessDenied" }

// userPoolApp is a user pool with an app client and a user that signs in
// with a password.
type userPoolApp struct {
	PoolID, ClientID, Provider string
}

// newUserPoolApp creates a user pool and an app client allowing admin
// password sign-in.
func newUserPoolApp(t *testing.T, e *idEnv, name string) userPoolApp {
	t.Helper()
	ctx := context.Background()
	p := createPool(t, e.idp, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
	cl, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: p.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	return userPoolApp{PoolID: *p.Id, ClientID: *cl.UserPoolClient.ClientId, Provider: "cognito-idp.us-east-1.amazonaws.com/" + *p.Id}
}

// newUser creates a confirmed user with a permanent password and returns
// its sub.
func (a userPoolApp) newUser(t *testing.T, e *idEnv, username string, attrs ...types.AttributeType) string {
	t.Helper()
	ctx := context.Background()
	groupCreateUser(t, e.idp, &a.PoolID, username, attrs...)
	if _, err := e.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &a.PoolID, Username: &username, Password: aws.String("Passw0rd!x"), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	return userSub(t, e.idp, &a.PoolID, username)
}

// signIn returns the user's ID token.
func (a userPoolApp) signIn(t *testing.T, e *idEnv, username string) string {
	t.Helper()
	res, err := e.idp.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: &a.PoolID, ClientId: &a.ClientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": "Passw0rd!x"},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", username, err)
	}
	return *res.AuthenticationResult.IdToken
}

// signInTokens returns the user's ID and refresh tokens.
func (a userPoolApp) signInTokens(t *testing.T, e *idEnv, username string) (id, refresh, access string) {
	t.Helper()
	res, err := e.idp.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: &a.PoolID, ClientId: &a.ClientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": "Passw0rd!x"},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", username, err)
	}
	r := res.AuthenticationResult
	return *r.IdToken, *r.RefreshToken, *r.AccessToken
}

// jwtClaims returns the claims of a JWT, unverified.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode token payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
