package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// TB is the part of testing.TB the harness uses; *testing.T has it.
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Failed() bool
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

const (
	// KeyID and Secret are the access key cognate is started with and
	// the admin clients sign with.
	KeyID  = "AKIABROWSERTEST00001"
	Secret = "browser-secret-browser-secret-browser-se"

	// BrowserTimeout bounds one scenario's work in the browser, Chromium's
	// start included.
	BrowserTimeout = time.Minute
)

// RequireTool finds the first of names on the PATH. Where CI runs, a
// missing tool fails the test; elsewhere the test skips with one loud line.
func RequireTool(t TB, names ...string) string {
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

// Chromium returns Chromium's path (Debian names it chromium, others
// chromium-browser), as RequireTool finds it.
func Chromium(t TB) string {
	t.Helper()
	return RequireTool(t, "chromium", "chromium-browser")
}

// The cognate binary, built by the first test that starts cognate.
var (
	buildOnce sync.Once
	buildDir  string
	binary    string
	buildErr  error
)

// Binary builds cognate once per test binary and returns its path.
func Binary(t TB) string {
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

// RemoveBinary removes the binary Binary built; a test package's TestMain
// calls it after the tests ran.
func RemoveBinary() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// StartCognate runs cognate (built by Binary) on a free loopback port with
// the data directory dataDir and extra environment variables (COGNATE_…),
// and returns it with an admin client signing with KeyID. It stops when
// the test ends, and writes its log to the test's when the test failed.
func StartCognate(t TB, dataDir string, env ...string) (*proc.Server, *cip.Client) {
	t.Helper()
	bin := Binary(t)
	env = append([]string{"COGNATE_ACCESS_KEY_ID=" + KeyID, "COGNATE_SECRET_ACCESS_KEY=" + Secret}, env...)
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
	return srv, cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(KeyID, Secret, ""),
	})
}

// NewBrowser starts a headless Chromium with a fresh profile and returns
// a context for driving one tab of it, bounded by timeout. What the page
// writes to its console, its uncaught exceptions and the browser's own
// log (where a refused CORS check is explained) go to the test log.
func NewBrowser(t TB, chromium string, timeout time.Duration) context.Context {
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
	// A JavaScript dialog (alert, confirm, prompt, or a question before
	// unloading) would block every command after it until the tab's
	// deadline. No page of cognate opens one, so one is a failure: say
	// so, and dismiss it so that the scenario goes on to report the rest.
	dialogs := chromedp.Events(tab, page.JavascriptDialogOpening)
	dialogsDone := make(chan struct{})
	go func() {
		defer close(dialogsDone)
		for d, err := range dialogs {
			if err != nil {
				return
			}
			t.Errorf("the page at %s opened a JavaScript %s dialog: %q", d.URL, d.Type, d.Message)
			if _, err := chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}); err != nil {
				t.Logf("dismiss the dialog: %v", err)
			}
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
		<-done
		<-dialogsDone
	})
	return tab
}

// CreateUser creates a user in pool through the admin API with a verified
// email address: confirmed with a permanent password, or invited with
// password as its temporary one.
func CreateUser(t TB, admin *cip.Client, pool, username, password, email string, permanent bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
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
		if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: aws.String(pool), Username: aws.String(username), Password: aws.String(password), Permanent: true,
		}); err != nil {
			t.Fatal(err)
		}
	}
}
