package console

import (
	"context"
	"os"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/e2e/internal/browsertest"
	"github.com/cognate-dev/cognate/e2e/proc"
)

const (
	keyID  = browsertest.KeyID
	secret = browsertest.Secret

	// browserTimeout bounds one step of a scenario in the browser,
	// Chromium's start included.
	browserTimeout = browsertest.BrowserTimeout

	// samlMail is the attribute name of the email address samlidp sends.
	samlMail = browsertest.SAMLMail
)

// The shared harness (e2e/internal/browsertest) under the names the
// scenarios use.
var (
	signInHosted     = browsertest.SignInHosted
	nextPage         = browsertest.NextPage
	nextPageReady    = browsertest.NextPageReady
	enterCode        = browsertest.EnterCode
	text             = browsertest.Text
	startSMTPCatcher = browsertest.StartSMTPCatcher
	startSAMLIdP     = browsertest.StartSAMLIdP
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

// cognateBinary builds cognate once per test binary and returns its path.
func cognateBinary(t *testing.T) string {
	t.Helper()
	return browsertest.Binary(t)
}

// startCognateIn runs cognate on a free loopback port with the data
// directory dataDir and extra environment variables (COGNATE_…).
func startCognateIn(t *testing.T, dataDir string, env ...string) *cognate {
	t.Helper()
	srv, admin := browsertest.StartCognate(t, dataDir, env...)
	return &cognate{Server: srv, admin: admin}
}

// newBrowserFor starts a headless Chromium with a fresh profile and
// returns a context for driving one tab of it, bounded by timeout.
func newBrowserFor(t *testing.T, chromium string, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.NewBrowser(t, chromium, timeout)
}

// newUserIn creates a user in pool through the admin API: confirmed with
// a permanent password, or invited with password as its temporary one.
func (c *cognate) newUserIn(t *testing.T, pool, username, password, email string, permanent bool) {
	t.Helper()
	browsertest.CreateUser(t, c.admin, pool, username, password, email, permanent)
}
