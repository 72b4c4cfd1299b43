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
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"

	"github.com/cognate-dev/cognate/e2e/proc"
)

const (
	keyID  = "AKIABROWSERTEST00001"
	secret = "browser-secret-browser-secret-browser-se"

	// libraryBundle is the browser build of amazon-cognito-identity-js,
	// installed by npm from package.json.
	libraryBundle = "node_modules/amazon-cognito-identity-js/dist/amazon-cognito-identity.min.js"
	// browserTimeout bounds one scenario's work in the browser, Chromium's
	// start included.
	browserTimeout = time.Minute
)

//go:embed app.html
var appHTML []byte

// requireTool finds the first of names on the PATH. Where CI runs, a
// missing tool fails the test; elsewhere the test skips with one loud line.
func requireTool(t *testing.T, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required for the browser tests (scripts/install-test-deps.sh installs it)", names[0])
	}
	t.Skipf("browser test SKIPPED: %s is not installed (scripts/install-test-deps.sh installs it)", names[0])
	return ""
}

// requireBrowser skips a browser test under -short and returns Chromium's
// path, with the library bundle installed.
func requireBrowser(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow; skipped under -short")
	}
	chromium := requireTool(t, "chromium", "chromium-browser")
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

// The cognate binary, built by the first test that starts cognate.
var (
	buildOnce sync.Once
	buildDir  string
	binary    string
	buildErr  error
)

// TestMain removes the cognate binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
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
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "cognate-browser-"); buildErr == nil {
			binary, buildErr = proc.Build(buildDir)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// startCognateIn is startCognate with the data directory dataDir.
func startCognateIn(t *testing.T, dataDir string, env ...string) *cognate {
	t.Helper()
	bin := cognateBinary(t)
	env = append([]string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret}, env...)
	srv, err := proc.Start(bin, env, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("stopping cognate: %v", err)
		}
		if t.Failed() {
			t.Logf("cognate log:\n%s", srv.Stderr.String())
		}
	})
	return &cognate{Server: srv, admin: cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})}
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
// a context for driving one tab of it, bounded by browserTimeout. What the
// page writes to its console, its uncaught exceptions and the browser's
// own log (where a refused CORS check is explained) go to the test log.
func newBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	return newBrowserFor(t, chromium, browserTimeout)
}

// newBrowserFor is newBrowser bounded by timeout, for a scenario longer
// than one sign-in.
func newBrowserFor(t *testing.T, chromium string, timeout time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1024, 768),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf), chromedp.WithErrorf(t.Logf))
	// Start the browser now, so that a missing or broken Chromium fails
	// here rather than in the first action.
	if err := chromedp.Do(tab); err != nil {
		cancelTab()
		cancelAlloc()
		cancel()
		t.Fatalf("start Chromium: %v", err)
	}
	console := chromedp.Console(tab)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			t.Logf("browser %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
		<-done
	})
	return tab
}

// newUserIn creates a user in pool through the admin API: confirmed with
// a permanent password, or invited with password as its temporary one.
func (c *cognate) newUserIn(t *testing.T, pool, username, password, email string, permanent bool) user {
	t.Helper()
	ctx := context.Background()
	if _, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(pool), Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String(password),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if permanent {
		if _, err := c.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: aws.String(pool), Username: aws.String(username), Password: aws.String(password), Permanent: true,
		}); err != nil {
			t.Fatal(err)
		}
	}
	return user{PoolID: pool, Username: username, Password: password, Email: email}
}
