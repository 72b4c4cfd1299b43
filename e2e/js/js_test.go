package js

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/proc"
)

const (
	keyID  = "AKIAJSCLIENTTEST0001"
	secret = "js-client-secret-js-client-secret-js-cli"
)

// requireTool finds a command the test needs. Where CI runs, a missing
// tool fails the test; elsewhere the test skips with one loud line.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required for the JavaScript client test", name)
	}
	t.Skipf("JavaScript client test SKIPPED: %s is not installed", name)
	return ""
}

// installLibrary installs the libraries package.json pins next to the
// scripts (node_modules is not committed), unless each is there at its
// pinned version.
func installLibrary(t *testing.T) {
	t.Helper()
	if installed(t) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, "npm"), "install", "--no-audit", "--no-fund", "--no-package-lock")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
}

// installed reports whether every dependency of package.json is in
// node_modules at the version it pins.
func installed(t *testing.T) bool {
	t.Helper()
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	raw, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	for name, version := range pkg.Dependencies {
		var dep struct {
			Version string `json:"version"`
		}
		raw, err := os.ReadFile("node_modules/" + name + "/package.json")
		if err != nil || json.Unmarshal(raw, &dep) != nil || dep.Version != version {
			return false
		}
	}
	return true
}

func TestAmazonCognitoIdentityJS(t *testing.T) {
	node := requireTool(t, "node")
	installLibrary(t)
	srv, c := startCognate(t, nil)
	ctx := context.Background()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("js"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
	})
	if err != nil {
		t.Fatal(err)
	}
	client := browserClient(t, c, pool.UserPool.Id)

	steps, order := runScript(t, node, srv, "flow.js",
		"COGNATE_ENDPOINT="+srv.URL,
		"POOL_ID="+aws.ToString(pool.UserPool.Id),
		"CLIENT_ID="+client,
		"USERNAME=ada", "EMAIL=ada@example.com",
		"PASSWORD=Correct-Horse-1", "NEW_PASSWORD=Battery-Staple-2")
	want := []string{"signUp", "confirmRegistration", "authenticateUser", "refreshSession", "getUserAttributes",
		"changePassword", "authenticateUser(new password)", "authenticateUser(old password)", "globalSignOut",
		"getUserAttributes(after sign-out)", "done"}
	wantSteps(t, order, want)
	checkSteps(t, steps, []stepCheck{
		{"signUp", "userConfirmed", false},
		{"signUp", "medium", "EMAIL"},
		{"confirmRegistration", "result", "SUCCESS"},
		{"authenticateUser", "tokenUse", "access"},
		{"authenticateUser", "idEmail", "ada@example.com"},
		{"refreshSession", "sameSub", true},
		{"getUserAttributes", "email", "ada@example.com"},
		{"changePassword", "result", "SUCCESS"},
		{"getUserAttributes(after sign-out)", "error", "NotAuthorizedException: Access Token has been revoked"},
	})
	if sub, _ := steps["authenticateUser"]["sub"].(string); sub == "" || sub != steps["signUp"]["userSub"] {
		t.Errorf("the token's sub %q is not the signed-up user's %v", sub, steps["signUp"]["userSub"])
	}
}

// startCognate builds cognate and serves it on a free loopback port with
// a fresh data directory and the tests' admin key, env added to its
// environment and args to serve's flags. It returns the server, stopped
// when t ends, and a user-pools client signed with the admin key.
func startCognate(t *testing.T, env []string, args ...string) (*proc.Server, *cip.Client) {
	t.Helper()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proc.Start(bin, append([]string{"COGNATE_ACCESS_KEY_ID=" + keyID, "COGNATE_SECRET_ACCESS_KEY=" + secret}, env...),
		append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv, cip.New(cip.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
}

// browserClient creates in pool the app client the scripts sign in with:
// no secret, SRP and refresh-token sign-in, as a single-page app has. It
// returns the client's ID.
func browserClient(t *testing.T, c *cip.Client, pool *string) string {
	t.Helper()
	out, err := c.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{
		UserPoolId: pool, ClientName: aws.String("browser"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UserPoolClient.ClientId)
}

// createUser creates a confirmed user in pool with a permanent password,
// as an administrator does, sending no message.
func createUser(t *testing.T, c *cip.Client, pool *string, username, password string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: pool, Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: pool, Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// stepCheck is a field of a step a script reported and the value it must
// have.
type stepCheck struct {
	step, field string
	want        any
}

// checkSteps reports each check whose field has another value.
func checkSteps(t *testing.T, steps map[string]map[string]any, checks []stepCheck) {
	t.Helper()
	for _, ch := range checks {
		if got := steps[ch.step][ch.field]; got != ch.want {
			t.Errorf("%s.%s = %v, want %v", ch.step, ch.field, got, ch.want)
		}
	}
}

// wantSteps stops the test unless the script reported exactly the steps
// of want, in order.
func wantSteps(t *testing.T, order, want []string) {
	t.Helper()
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("steps = %v, want %v", order, want)
	}
}

// runScript runs script with node, its environment env on top of this
// process's, and returns the steps it reported (one JSON line each, with
// its name under "step"), by name and in order. It fails the test, with
// the script's output and cognate's log, when the script exits non-zero.
func runScript(t *testing.T, node string, srv *proc.Server, script string, env ...string) (map[string]map[string]any, []string) {
	t.Helper()
	run := exec.Command(node, script)
	run.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	steps := map[string]map[string]any{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		name, _ := line["step"].(string)
		steps[name] = line
		order = append(order, name)
	}
	if err != nil {
		t.Fatalf("%s: %v\nsteps: %s\nstdout:\n%s\nstderr:\n%s\ncognate log:\n%s", script, err, strings.Join(order, ", "), out, stderr.String(), srv.Stderr.String())
	}
	t.Logf("%s reported:\n%s", script, out)
	return steps, order
}
