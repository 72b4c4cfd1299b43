package browser

import (
	"context"
	_ "embed"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/internal/browsertest"
	"github.com/cognate-dev/cognate/e2e/proc"
)

const (
	keyID  = browsertest.KeyID
	secret = browsertest.Secret

	// libraryBundle is the browser build of amazon-cognito-identity-js,
	// installed by npm from package.json.
	libraryBundle = "node_modules/amazon-cognito-identity-js/dist/amazon-cognito-identity.min.js"
	// browserTimeout bounds one scenario's work in the browser, Chromium's
	// start included.
	browserTimeout = browsertest.BrowserTimeout
)

//go:embed app.html
var appHTML []byte

// The shared harness (e2e/internal/browsertest) under the names the
// scenarios use.
var (
	requireTool      = browsertest.RequireTool
	signInHosted     = browsertest.SignInHosted
	nextPage         = browsertest.NextPage
	nextPageReady    = browsertest.NextPageReady
	enterCode        = browsertest.EnterCode
	text             = browsertest.Text
	startSMTPCatcher = browsertest.StartSMTPCatcher
	startSAMLIdP     = browsertest.StartSAMLIdP
	postedForm       = browsertest.PostedForm
)

type (
	smtpCatcher = browsertest.SMTPCatcher
	samlIdP     = browsertest.SAMLIdP
	samlUser    = browsertest.SAMLUser
)

// requireChromium skips a browser test under -short and returns Chromium's
// path.
func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow; skipped under -short")
	}
	return browsertest.Chromium(t)
}

// requireBrowser is requireChromium with the library bundle installed.
func requireBrowser(t *testing.T) string {
	t.Helper()
	chromium := requireChromium(t)
	installLibrary(t)
	return chromium
}

// installLibrary installs the pinned amazon-cognito-identity-js next to
// the tests (node_modules is not committed).
func installLibrary(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(libraryBundle); err == nil {
		return
	}
	npm := requireTool(t, "npm")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-package-lock").CombinedOutput()
	if err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
	if _, err := os.Stat(libraryBundle); err != nil {
		t.Fatalf("npm installed no browser bundle: %v", err)
	}
}

// TestMain removes the cognate binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.RemoveBinary()
	os.Exit(code)
}

// cognate is a running cognate process with an admin client for it.
type cognate struct {
	*proc.Server
	admin *cip.Client
}

// startCognate builds cognate once per test binary and runs it on a free
// loopback port, with extra environment variables (COGNATE_…).
func startCognate(t *testing.T, env ...string) *cognate {
	t.Helper()
	return startCognateIn(t, t.TempDir(), env...)
}

// cognateBinary builds cognate once per test binary and returns its path.
func cognateBinary(t *testing.T) string {
	t.Helper()
	return browsertest.Binary(t)
}

// startCognateIn is startCognate with the data directory dataDir.
func startCognateIn(t *testing.T, dataDir string, env ...string) *cognate {
	t.Helper()
	srv, admin := browsertest.StartCognate(t, dataDir, env...)
	return &cognate{Server: srv, admin: admin}
}

// user is a confirmed user in a pool with an app client that signs in
// with SRP, as a single-page app's pool is set up.
type user struct {
	PoolID, ClientID          string
	Username, Password, Email string
	Sub                       string
}

// newUser creates a pool, a public app client allowing USER_SRP_AUTH and a
// confirmed user with a permanent password, through the admin API.
func (c *cognate) newUser(t *testing.T, username, password, email string) user {
	t.Helper()
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("browser")})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("spa"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: pool.UserPool.Id, Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: aws.String("Ada Lovelace")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: pool.UserPool.Id, Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	u := user{PoolID: aws.ToString(pool.UserPool.Id), ClientID: aws.ToString(client.UserPoolClient.ClientId),
		Username: username, Password: password, Email: email}
	for _, a := range created.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			u.Sub = aws.ToString(a.Value)
		}
	}
	if u.Sub == "" {
		t.Fatal("AdminCreateUser answered no sub")
	}
	return u
}

// exchange is one request that reached the API through an apiProxy, and
// the status and CORS header it was answered with.
type exchange struct {
	Method, Origin, Target string
	Status                 int
	AllowOrigin            string
}

// apiProxy stands in front of cognate on an address of its own and
// records what the browser sent, so that a scenario can tell a preflight
// refused from a request never made. It passes every request and answer
// through unchanged.
type apiProxy struct {
	URL string

	// mu guards log.
	mu  sync.Mutex
	log []exchange
}

// newAPIProxy starts a recording reverse proxy to the cognate at target.
func newAPIProxy(t *testing.T, target string) *apiProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &apiProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		p.mu.Lock()
		defer p.mu.Unlock()
		p.log = append(p.log, exchange{Method: r.Method, Origin: r.Header.Get("Origin"), Target: r.Header.Get("X-Amz-Target"),
			Status: resp.StatusCode, AllowOrigin: resp.Header.Get("Access-Control-Allow-Origin")})
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// exchanges returns what the proxy has passed so far.
func (p *apiProxy) exchanges() []exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]exchange(nil), p.log...)
}

// app is a single-page app's origin: an httptest server, distinct from
// cognate's origin by its port, serving app.html and the library bundle.
type app struct {
	// Origin is the app's origin, as the browser sends it in Origin.
	Origin string
}

// serveApp starts an app origin.
func serveApp(t *testing.T) *app {
	t.Helper()
	bundle, err := os.ReadFile(libraryBundle)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(appHTML)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /amazon-cognito-identity.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(bundle)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &app{Origin: srv.URL}
}

// page returns the URL of the app's page, set up to sign u in at the
// Cognito endpoint.
func (a *app) page(endpoint string, u user) string {
	q := url.Values{"endpoint": {endpoint}, "poolId": {u.PoolID}, "clientId": {u.ClientID}}
	return a.Origin + "/?" + q.Encode()
}

// newBrowser starts a headless Chromium with a fresh profile and returns
// a context for driving one tab of it, bounded by browserTimeout.
func newBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	return browsertest.NewBrowser(t, chromium, browserTimeout)
}

// newBrowserFor is newBrowser bounded by timeout, for a scenario longer
// than one sign-in.
func newBrowserFor(t *testing.T, chromium string, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.NewBrowser(t, chromium, timeout)
}

// newUserIn creates a user in pool through the admin API: confirmed with
// a permanent password, or invited with password as its temporary one.
func (c *cognate) newUserIn(t *testing.T, pool, username, password, email string, permanent bool) user {
	t.Helper()
	browsertest.CreateUser(t, c.admin, pool, username, password, email, permanent)
	return user{PoolID: pool, Username: username, Password: password, Email: email}
}
