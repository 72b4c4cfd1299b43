package oauth

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/dbdump"
	"github.com/cognate-dev/cognate/e2e/internal/harness"
	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
	"github.com/cognate-dev/cognate/internal/userpool"
)

const (
	accountID = "123456789012"
	keyID     = "AKIAE2EOAUTHKEY00001"
	secretKey = "oauth-secret-oauth-secret-oauth-secret-0"
	region    = "us-east-1"
	callback  = "https://app.example.com/callback"
	signOut   = "https://app.example.com/signed-out"
	username  = "alice"
	password  = "Correct-Horse-Battery-1"
	email     = "alice@example.com"
)

var encryptionKey = bytes.Repeat([]byte{0x6f}, 32)

// env is one running cognate wired as cmd/cognate wires it.
type env struct {
	URL   string
	Store storage.Store
	IDP   *cip.Client
	Clock *testClock
	// Dump reads every row of every table of the store, as a copy of the
	// database would (dbdump).
	Dump func() (string, error)
	// Outbox holds the messages the engine sent.
	Outbox *messaging.Outbox
}

type testClock struct {
	start  time.Time
	offset atomic.Int64
}

func (c *testClock) Now() time.Time          { return c.start.Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

type migratingStore = harness.Store

// backends runs f once per storage backend: SQLite always, PostgreSQL
// when COGNATE_TEST_POSTGRES_DSN is set (required in CI).
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { f(t, start(t, name)) })
	}
}

// open opens a fresh, migrated store of the named backend, and returns it
// with the reader of its raw rows.
func open(tb testing.TB, name string) (migratingStore, func() (string, error)) {
	tb.Helper()
	// With the read cache of pools, clients and domains, as a server runs.
	db, where := harness.OpenStore(tb, name, region, func() string { return storagetest.PostgresSchema(tb) }, true)
	dump := func() (string, error) { return dbdump.SQLite(where) }
	if name == "postgres" {
		dump = func() (string, error) { return dbdump.Postgres(where) }
	}
	return harness.Migrate(tb, db), dump
}

// start serves cognate on a fresh store of the named backend.
func start(tb testing.TB, backend string) *env {
	tb.Helper()
	return startWith(tb, backend, nil)
}

// startWith is start with configure, when not nil, called to complete the
// user-pool engine's options (the social providers' endpoints).
func startWith(tb testing.TB, backend string, configure func(*userpool.Options)) *env {
	tb.Helper()
	db, dump := open(tb, backend)
	clock := &testClock{start: time.Now().Truncate(time.Second)}
	srv := harness.NewServer()
	base := srv.URL
	var popts userpool.Options
	if configure != nil {
		configure(&popts)
	}
	outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	en := harness.Wire(tb, db, harness.Options{URL: base, Key: encryptionKey, AccountID: accountID, Clock: clock.Now,
		Pools: popts, Users: directory.Options{Sender: outbox}})
	ui := en.HostedUI(tb)
	mux := http.NewServeMux()
	mux.Handle("GET /{pool}/.well-known/", ui.WellKnown(en.Tokens, en.PoolExists))
	mux.Handle("/", api.NewHandler(api.Options{Pools: en.Pools, Users: en.Users, Auth: en.Auth, AccountID: accountID,
		Credentials: map[string]string{keyID: secretKey}, RateLimits: ratelimit.Off(), Protection: ratelimit.Unprotected()}))
	srv.Serve(tb, db, ui.Wrap(mux))
	idpClient := harness.Client(base, region, keyID, secretKey, 8)
	return &env{URL: base, Store: db, IDP: idpClient, Clock: clock, Dump: dump, Outbox: outbox}
}

// app is a pool with a domain, a confidential app client for the code flow
// and a confirmed user.
type app struct {
	Pool, Prefix, ClientID, ClientSecret string
	// Domain is the base URL of the pool's domain (the path form).
	Domain string
	// Issuer is the pool's token issuer.
	Issuer string
}

// clientSpec tunes the app client newApp creates.
type clientSpec struct {
	public          bool
	flows           []types.OAuthFlowType
	scopes          []string
	preventExisting bool
	// choice makes the domain managed login's (ManagedLoginVersion 2), the
	// pool's first factors the password, an email code and a passkey, and
	// lets the client use USER_AUTH: choice-based sign-in on the pages.
	choice bool
	// threat makes the pool PLUS with threat protection ENFORCED.
	threat bool
}

// newApp creates a pool with domain prefix, an app client and the user
// alice, through the API.
func newApp(tb testing.TB, e *env, prefix string, spec clientSpec) *app {
	tb.Helper()
	ctx := context.Background()
	poolIn := &cip.CreateUserPoolInput{PoolName: aws.String("hosted-" + prefix),
		AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypeEmail}}
	domainIn := &cip.CreateUserPoolDomainInput{Domain: aws.String(prefix)}
	if spec.choice {
		poolIn.UserPoolTier = types.UserPoolTierTypeEssentials
		poolIn.Policies = &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "WEB_AUTHN"}}}
		domainIn.ManagedLoginVersion = aws.Int32(2)
	}
	if spec.threat {
		poolIn.UserPoolTier = types.UserPoolTierTypePlus
		poolIn.UserPoolAddOns = &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced}
	}
	pool, err := e.IDP.CreateUserPool(ctx, poolIn)
	if err != nil {
		tb.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	domainIn.UserPoolId = aws.String(poolID)
	if _, err := e.IDP.CreateUserPoolDomain(ctx, domainIn); err != nil {
		tb.Fatal(err)
	}
	if len(spec.flows) == 0 {
		spec.flows = []types.OAuthFlowType{types.OAuthFlowTypeCode, types.OAuthFlowTypeImplicit}
	}
	if len(spec.scopes) == 0 {
		spec.scopes = []string{"openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"}
	}
	in := &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("web"), GenerateSecret: !spec.public,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: spec.flows, AllowedOAuthScopes: spec.scopes,
		SupportedIdentityProviders: []string{"COGNITO"},
	}
	if spec.flows[0] != types.OAuthFlowTypeClientCredentials {
		in.CallbackURLs = []string{callback, "http://localhost:3000/cb"}
		in.LogoutURLs = []string{signOut}
	}
	if spec.preventExisting {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
	}
	if spec.choice {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
	}
	cl, err := e.IDP.CreateUserPoolClient(ctx, in)
	if err != nil {
		tb.Fatal(err)
	}
	a := &app{Pool: poolID, Prefix: prefix, ClientID: aws.ToString(cl.UserPoolClient.ClientId),
		ClientSecret: aws.ToString(cl.UserPoolClient.ClientSecret), Domain: e.URL + "/_domain/" + prefix, Issuer: e.URL + "/" + poolID}
	if spec.flows[0] == types.OAuthFlowTypeClientCredentials {
		return a
	}
	if _, err := e.IDP.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: aws.String("Alice Example")}, {Name: aws.String("phone_number"), Value: aws.String("+15555550100")}}}); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.IDP.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(username),
		Password: aws.String(password), Permanent: true}); err != nil {
		tb.Fatal(err)
	}
	return a
}

// browser is an HTTP client with a cookie jar that stops at any redirect
// that leaves cognate (to the app's callback or sign-out URL), as a
// browser's next request would go elsewhere.
type browser struct {
	c    *http.Client
	base string
}

func newBrowser(tb testing.TB, e *env) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	b := &browser{base: e.URL}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), e.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// page is a page the browser got: its final URL, status and body.
type page struct {
	URL    *url.URL
	Status int
	Body   string
	// Location is where a redirect that left cognate points ("" for none).
	Location string
}

func (b *browser) do(tb testing.TB, req *http.Request) *page {
	tb.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := &page{URL: res.Request.URL, Status: res.StatusCode, Body: string(body)}
	if res.StatusCode/100 == 3 {
		p.Location = res.Header.Get("Location")
	}
	return p
}

func (b *browser) get(tb testing.TB, u string) *page {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b.do(tb, req)
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenIn   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// submit fills the first form of p with fields (over its hidden fields)
// and posts it, as a browser would.
func (b *browser) submit(tb testing.TB, p *page, fields map[string]string) *page {
	tb.Helper()
	m := formAction.FindStringSubmatch(p.Body)
	if m == nil {
		tb.Fatalf("no form on %s (status %d):\n%s", p.URL, p.Status, p.Body)
	}
	form := url.Values{}
	for _, h := range hiddenIn.FindAllStringSubmatch(p.Body, -1) {
		form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	for k, v := range fields {
		form.Set(k, v)
	}
	action, err := p.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(tb, req)
}

// signIn opens authURL and signs in with the sign-in page; it returns
// where cognate sent the browser back to the app.
func (b *browser) signIn(tb testing.TB, authURL, user, pass string) *url.URL {
	tb.Helper()
	login := b.get(tb, authURL)
	if login.Status != http.StatusOK || !strings.Contains(login.Body, `id="signin-form"`) {
		tb.Fatalf("authorize: got %d at %s, not the sign-in page:\n%s", login.Status, login.URL, login.Body)
	}
	done := b.submit(tb, login, map[string]string{"username": user, "password": pass})
	return callbackOf(tb, done)
}

// callbackOf returns the redirect back to the app that p is.
func callbackOf(tb testing.TB, p *page) *url.URL {
	tb.Helper()
	if p.Location == "" {
		tb.Fatalf("no redirect to the app: %d at %s:\n%s", p.Status, p.URL, p.Body)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// errorBody is an OAuth JSON error.
type errorBody struct {
	Error string `json:"error"`
}
