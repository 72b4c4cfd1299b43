package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// syncBuffer is a bytes.Buffer that a running command and a test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCmd runs a command that ends by itself and returns its exit code and
// output.
func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, envMap(env), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil, "version")
	if code != 0 || stdout != "cognate v0.1.0-dev\n" || stderr != "" {
		t.Errorf("version: code %d, stdout %q, stderr %q; want 0, %q, nothing", code, stdout, stderr, "cognate v0.1.0-dev\n")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := writeFile(t, "bad.yaml", `listen: nowhere
database: mysql://localhost/cognate
account_id: "42"
regions: [us-east-1, moon-1]
admin:
  access_key_id: AKIAIOSFODNN7EXAMPLE
log:
  level: loud
  colour: red
`)
	good := writeFile(t, "good.yaml", "listen: 127.0.0.1:9000\nregion: eu-west-1\n")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "defaults",
			args:       []string{"config", "validate"},
			wantStdout: "config ok\n",
		},
		{
			name:       "good file",
			args:       []string{"config", "validate", "--config", good},
			wantStdout: "config ok\n",
		},
		{
			name:     "bad file reports every problem",
			args:     []string{"config", "validate", "--config", bad},
			wantCode: 1,
			wantStderr: `invalid configuration:
  log.colour: unknown key (line 9)
  listen: must be host:port
  database: must be "sqlite" or a postgres:// URL
  regions[1]: "moon-1" is not a valid region name
  account_id: must be 12 digits
  admin: access_key_id and secret_access_key must be set together
  log.level: must be debug, info, warn or error, not "loud"
`,
		},
		{
			name:     "environment and flags over the file",
			args:     []string{"config", "validate", "--config", good, "--listen", "bad", "--database", "sqlite"},
			env:      map[string]string{"COGNATE_REGION": "moon-1", "COGNATE_ACCEPT_ANY_SIGNATURE": "sure"},
			wantCode: 1,
			wantStderr: `invalid configuration:
  accept_any_signature: COGNATE_ACCEPT_ANY_SIGNATURE: must be true or false
  listen: must be host:port
  region: "moon-1" is not a valid region name
`,
		},
		{
			name:       "missing file",
			args:       []string{"config", "validate", "--config", "/nonexistent/cognate.yaml"},
			wantCode:   1,
			wantStderr: "cognate: read config file: open /nonexistent/cognate.yaml: no such file or directory\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantStdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStderr, stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a substring
		wantStderr string // a substring
	}{
		{name: "help", args: []string{"help"}, wantStdout: "config validate  load the configuration"},
		{name: "-h", args: []string{"-h"}, wantStdout: "  config print     print the effective configuration"},
		{name: "--help", args: []string{"--help"}, wantStdout: "  serve            run the server (the default command)"},
		{name: "serve -h", args: []string{"serve", "-h"}, wantStderr: "-config file"},
		{name: "serve --help", args: []string{"serve", "--help"}, wantStderr: "usage: cognate serve [flags]\n\nRun the server (the default command).\n\nflags:\n"},
		{name: "help for one command", args: []string{"help", "config", "print"}, wantStderr: "usage: cognate config print [flags]\n\nPrint the effective configuration"},
		{name: "config validate -h", args: []string{"config", "validate", "-h"}, wantStderr: "-database string"},
		{name: "issuer set -h", args: []string{"issuer", "set", "-h"}, wantStderr: "usage: cognate issuer set URL [flags]\n"},
		{name: "version -h", args: []string{"version", "-h"}, wantStderr: "usage: cognate version\n\nPrint the version.\n"},
		{name: "unknown command", args: []string{"start"}, wantCode: 2, wantStderr: `cognate: unknown command "start"`},
		{name: "misspelt command", args: []string{"serv"}, wantCode: 2, wantStderr: `cognate: unknown command "serv"; did you mean "serve"?`},
		{name: "misspelt sub-command", args: []string{"config", "valdiate"}, wantCode: 2, wantStderr: `cognate: unknown command "config valdiate"; did you mean "config validate"?`},
		{name: "misspelt flag", args: []string{"serve", "--lisen", "x"}, wantCode: 2, wantStderr: "cognate serve: did you mean --listen?\n"},
		{name: "misspelt flag of config validate", args: []string{"config", "validate", "--data-dri", "x"}, wantCode: 2, wantStderr: "cognate config validate: did you mean --data-dir?\n"},
		{name: "config without validate", args: []string{"config"}, wantCode: 2, wantStderr: `unknown command "config"`},
		{name: "unknown flag", args: []string{"--port", "1"}, wantCode: 2, wantStderr: "flag provided but not defined: -port"},
		{name: "flag without value", args: []string{"migrate", "--listen"}, wantCode: 2, wantStderr: "flag needs an argument: -listen"},
		{name: "extra argument", args: []string{"config", "validate", "cognate.yaml"}, wantCode: 2, wantStderr: `unexpected argument "cognate.yaml"`},
		{name: "version with an argument", args: []string{"version", "x"}, wantCode: 2, wantStderr: `unexpected argument "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}

// serveProc is an in-process "cognate serve".
type serveProc struct {
	url, keyID, secret string
	screen             []string
	stderr             *syncBuffer
	stop               context.CancelFunc
	done               chan struct{} // closed when serve returns
	code               int           // serve's exit code, once done is closed
}

var (
	listeningLine = regexp.MustCompile(`^  listening   (http://\S+)$`)
	accessKeyLine = regexp.MustCompile(`^  access key  (\S+)   secret  (\S+)   \((.+)\)$`)
	keyOnlyLine   = regexp.MustCompile(`^  access key  (\S+)   \((secret in (.+)|.+)\)$`)
)

// readSecret reads the admin secret from the credentials file at path.
func readSecret(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Secret string `json:"secret_access_key"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Secret == "" {
		t.Fatalf("%s holds no secret (%v)", path, err)
	}
	return f.Secret
}

// startServe runs serve with args and env until the test ends, and
// returns once the start-up screen is complete.
func startServe(t *testing.T, env map[string]string, args ...string) *serveProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &serveProc{stderr: &syncBuffer{}, stop: cancel, done: make(chan struct{})}
	go func() {
		s.code = run(ctx, append([]string{"serve"}, args...), envMap(env), pw, s.stderr)
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.shutdown() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before its screen was complete; stderr:\n%s", s.stderr.String())
			}
			s.screen = append(s.screen, line)
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				s.url = m[1]
			}
			if m := accessKeyLine.FindStringSubmatch(line); m != nil {
				s.keyID, s.secret = m[1], m[2]
			} else if m := keyOnlyLine.FindStringSubmatch(line); m != nil {
				// The screen shows the secret only when it generates it:
				// read it where the operator would.
				s.keyID, s.secret = m[1], env["COGNATE_SECRET_ACCESS_KEY"]
				if m[3] != "" {
					s.secret = readSecret(t, m[3])
				}
			}
			if strings.HasPrefix(line, "  try ") {
				go io.Copy(io.Discard, pr)
				return s
			}
		case <-timeout:
			t.Fatalf("serve printed no screen within 60s; stderr:\n%s", s.stderr.String())
		}
	}
}

// shutdown stops the server and returns its exit code.
func (s *serveProc) shutdown() int {
	s.stop()
	<-s.done
	return s.code
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startServe(t, nil, "--listen", "127.0.0.1:0", "--data-dir", dataDir)

	credsPath := filepath.Join(dataDir, config.AdminCredentialsFile)
	tryLine := "  try         AWS_ACCESS_KEY_ID=" + s.keyID +
		` AWS_SECRET_ACCESS_KEY="$(sed -n 's/.*"secret_access_key": *"\(.*\)".*/\1/p' ` + credsPath + `)"` +
		" aws cognito-idp list-user-pools --max-results 10 --endpoint-url " + s.url + " --region us-east-1"
	wantScreen := []string{
		"cognate v0.1.0-dev ready",
		"  listening   " + s.url,
		"  bound to    " + strings.TrimPrefix(s.url, "http://"),
		"  issuer      " + s.url + "/<pool ID>",
		"  store       sqlite (" + filepath.Join(dataDir, "cognate.db") + ")",
		"  access key  " + s.keyID + "   secret  " + s.secret + "   (generated into " + credsPath + "; shown this once)",
		"  outbox      " + s.url + "/_cognate/messages   (no mail or SMS sender: codes readable from this machine, or signed with the admin key pair)",
		"  console     " + s.url + "/console/   (operators: cognate console add-admin)",
		tryLine,
	}
	if diff := cmp.Diff(wantScreen, s.screen); diff != "" {
		t.Errorf("screen (-want +got):\n%s", diff)
	}
	if got := readSecret(t, credsPath); got != s.secret {
		t.Errorf("the screen shows secret %q, the file holds %q", s.secret, got)
	}
	checkTryLine(t, tryLine, s.secret)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*$`).MatchString(s.url) {
		t.Errorf("listening on %q, want the bound port", s.url)
	}
	fi, err := os.Stat(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", credsPath, fi.Mode())
	}

	for path, want := range map[string]string{"/health": `{"status":"ok"}`, "/ready": `{"status":"ready"}`} {
		if code, body := get(t, s.url+path); code != 200 || strings.TrimSpace(body) != want {
			t.Errorf("GET %s: %d %s, want 200 %s", path, code, body, want)
		}
	}

	// The printed key pair signs requests.
	c := cip.New(cip.Options{
		BaseEndpoint: aws.String(s.url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
	})
	fresh, err := c.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	if err != nil {
		t.Fatalf("ListUserPools with the printed key pair: %v", err)
	}
	// A fresh install holds no pool, as a fresh account's Cognito: the
	// console's administrators' pool comes with its first operator.
	if len(fresh.UserPools) != 0 {
		t.Errorf("a fresh server lists %d pools, the first %s", len(fresh.UserPools), aws.ToString(fresh.UserPools[0].Name))
	}
	if _, body := get(t, s.url+"/metrics"); !strings.Contains(body, `cognate_requests_total{operation="ListUserPools",`) {
		t.Errorf("metrics lack the ListUserPools request:\n%s", body)
	}

	// An invitation reaches the development outbox, served beside the API.
	pool, err := c.CreateUserPool(context.Background(), &cip.CreateUserPoolInput{PoolName: aws.String("outbox")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{
		UserPoolId: pool.UserPool.Id, Username: aws.String("ada"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("ada@example.com")}},
	}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, s.url+"/_cognate/messages?to=ada@example.com"); code != 200 || !strings.Contains(body, "ada") {
		t.Errorf("outbox: %d %s", code, body)
	}

	// Each pool publishes its discovery document; the issuer defaults to
	// the URL the server listens on.
	poolID := aws.ToString(pool.UserPool.Id)
	code, body := get(t, s.url+"/"+poolID+"/.well-known/openid-configuration")
	if want := `"issuer":"` + s.url + "/" + poolID + `"`; code != 200 || !strings.Contains(body, want) {
		t.Errorf("discovery: %d %s, want %s", code, body, want)
	}
	if code, _ := get(t, s.url+"/"+poolID+"/.well-known/jwks.json"); code != 200 {
		t.Errorf("JWKS: %d", code)
	}
	// The classic hosted UI's logo is served under the issuer, at the
	// ImageUrl GetUICustomization answers.
	if _, err := c.CreateUserPoolDomain(context.Background(), &cip.CreateUserPoolDomainInput{UserPoolId: pool.UserPool.Id, Domain: aws.String("serve-test")}); err != nil {
		t.Fatal(err)
	}
	logo := []byte("\x89PNG\r\n\x1a\na logo")
	if _, err := c.SetUICustomization(context.Background(), &cip.SetUICustomizationInput{UserPoolId: pool.UserPool.Id, ImageFile: logo}); err != nil {
		t.Fatal(err)
	}
	ui, err := c.GetUICustomization(context.Background(), &cip.GetUICustomizationInput{UserPoolId: pool.UserPool.Id})
	if err != nil {
		t.Fatal(err)
	}
	logoURL := aws.ToString(ui.UICustomization.ImageUrl)
	if !strings.HasPrefix(logoURL, s.url+"/"+poolID+"/ui-customization/ALL/") {
		t.Errorf("ImageUrl %q, want one under %s", logoURL, s.url+"/"+poolID)
	}
	if code, body := get(t, logoURL); code != 200 || body != string(logo) {
		t.Errorf("GET the logo: %d %q", code, body)
	}

	if code := s.shutdown(); code != 0 {
		t.Errorf("serve exited %d after shutdown, want 0; stderr:\n%s", code, s.stderr.String())
	}
	logs := s.stderr.String()
	if strings.Contains(logs, s.secret) {
		t.Errorf("the log shows the admin secret:\n%s", logs)
	}
	for _, want := range []string{`"msg":"generated admin credentials"`, `"msg":"listening"`, `"msg":"shut down"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}

	// A second start reuses the key pair, and shows where the secret is,
	// never the secret: standard output is often kept.
	again := startServe(t, nil, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	if again.keyID != s.keyID || again.secret != s.secret {
		t.Errorf("second start uses key %s, want the first start's %s", again.keyID, s.keyID)
	}
	if want := "  access key  " + s.keyID + "   (secret in " + credsPath + ")"; !slicesContains(again.screen, want) {
		t.Errorf("second screen lacks %q:\n%s", want, strings.Join(again.screen, "\n"))
	}
	if screen := strings.Join(again.screen, "\n"); strings.Contains(screen, s.secret) {
		t.Errorf("second start printed the secret:\n%s", screen)
	}
	if strings.Contains(again.stderr.String(), "generated admin credentials") {
		t.Errorf("second start generated credentials again")
	}
}

// checkTryLine runs the screen's try line in a POSIX shell, with aws
// standing in for the AWS CLI, and checks that the secret it passes is
// the admin secret.
func checkTryLine(t *testing.T, line, secret string) {
	t.Helper()
	cmdline := strings.TrimPrefix(line, "  try         ")
	out, err := exec.Command("sh", "-c", `aws() { printf '%s' "$AWS_SECRET_ACCESS_KEY"; }; `+cmdline).Output()
	if err != nil {
		t.Fatalf("sh -c %s: %v", cmdline, err)
	}
	if string(out) != secret {
		t.Errorf("the try line passes secret %q, want %q", out, secret)
	}
}

func TestServeWithConfiguredCredentials(t *testing.T) {
	const keyID, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	dataDir := t.TempDir()
	s := startServe(t, map[string]string{
		"COGNATE_ACCESS_KEY_ID":        keyID,
		"COGNATE_SECRET_ACCESS_KEY":    secret,
		"COGNATE_ACCEPT_ANY_SIGNATURE": "true",
	}, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	want := "  access key  " + keyID + "   (from the environment)"
	if !slicesContains(s.screen, want) {
		t.Errorf("screen lacks %q:\n%s", want, strings.Join(s.screen, "\n"))
	}
	screen := strings.Join(s.screen, "\n")
	if strings.Contains(screen, secret) {
		t.Errorf("the screen shows the configured secret:\n%s", screen)
	}
	if !strings.Contains(screen, `AWS_SECRET_ACCESS_KEY="$COGNATE_SECRET_ACCESS_KEY" aws cognito-idp`) {
		t.Errorf("the try line does not read the secret from the environment:\n%s", screen)
	}
	if want := "  warning     accept_any_signature is on: any signature is accepted (development only)"; !slicesContains(s.screen, want) {
		t.Errorf("screen lacks the accept_any_signature warning:\n%s", strings.Join(s.screen, "\n"))
	}
	if _, err := os.Stat(filepath.Join(dataDir, config.AdminCredentialsFile)); !os.IsNotExist(err) {
		t.Errorf("configured credentials, yet %s was written (%v)", config.AdminCredentialsFile, err)
	}
	if code := s.shutdown(); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestServeConfigFileCredentials checks that a secret from the
// configuration file is never printed either.
func TestServeConfigFileCredentials(t *testing.T) {
	const keyID, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	file := writeFile(t, "cognate.yaml", "admin:\n  access_key_id: "+keyID+"\n  secret_access_key: "+secret+"\n")
	s := startServe(t, nil, "--config", file, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if want := "  access key  " + keyID + "   (from the configuration file)"; !slicesContains(s.screen, want) {
		t.Errorf("screen lacks %q:\n%s", want, strings.Join(s.screen, "\n"))
	}
	if screen := strings.Join(s.screen, "\n"); strings.Contains(screen, secret) {
		t.Errorf("the screen shows the configured secret:\n%s", screen)
	}
	if logs := s.stderr.String(); strings.Contains(logs, secret) {
		t.Errorf("the log shows the configured secret:\n%s", logs)
	}
}

func slicesContains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestServeErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{
			name:       "invalid configuration",
			args:       []string{"--listen", "nowhere", "--database", "mysql://x"},
			wantCode:   1,
			wantStderr: "invalid configuration:\n  listen: must be host:port\n  database: must be \"sqlite\" or a postgres:// URL\n",
		},
		{
			name:       "address in use",
			args:       []string{"--listen", busy.Addr().String(), "--data-dir", t.TempDir()},
			wantCode:   1,
			wantStderr: `"msg":"cognate stopped","error":"listen on ` + busy.Addr().String(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := runCmd(t, nil, "migrate", "--data-dir", dataDir)
	first := regexp.MustCompile(`^applied ([1-9][0-9]*) migrations? to sqlite \(` + regexp.QuoteMeta(filepath.Join(dataDir, "cognate.db")) + `\)\n$`)
	if code != 0 || !first.MatchString(stdout) {
		t.Fatalf("first migrate: code %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(t, nil, "migrate", "--data-dir", dataDir)
	if want := "applied 0 migrations to sqlite (" + filepath.Join(dataDir, "cognate.db") + ")\n"; code != 0 || stdout != want {
		t.Errorf("second migrate: code %d, stdout %q, want 0, %q", code, stdout, want)
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestMigratePostgres runs migrate against PostgreSQL in a fresh schema
// when COGNATE_TEST_POSTGRES_DSN names a server (required in CI).
func TestMigratePostgres(t *testing.T) {
	dsn := storagetest.PostgresSchema(t)

	code, stdout, stderr := runCmd(t, map[string]string{"COGNATE_DATABASE_URL": dsn}, "migrate")
	if code != 0 || !regexp.MustCompile(`^applied [1-9][0-9]* migrations? to postgres \(`).MatchString(stdout) {
		t.Fatalf("migrate: code %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if want := "to postgres (" + postgresTarget(dsn) + ")\n"; !strings.HasSuffix(stdout, want) {
		t.Errorf("stdout %q does not end with %q", stdout, want)
	}
}

func TestEndpointURL(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234}
	for listen, want := range map[string]string{
		"localhost:9229": "http://localhost:41234",
		"127.0.0.1:0":    "http://127.0.0.1:41234",
		":9229":          "http://localhost:41234",
		"0.0.0.0:9229":   "http://localhost:41234",
		"[::]:9229":      "http://localhost:41234",
		"[::1]:0":        "http://[::1]:41234",
		"auth.example:0": "http://auth.example:41234",
	} {
		if got := endpointURL(listen, bound); got != want {
			t.Errorf("endpointURL(%q) = %q, want %q", listen, got, want)
		}
	}
}

func TestPostgresTarget(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://user:hunter2@db.example:5432/cognate?sslmode=require": "db.example:5432/cognate",
		"postgresql://db.example/cognate":                                 "db.example/cognate",
		"postgres:///cognate?host=/var/run/postgresql&password=hunter2":   "/var/run/postgresql/cognate",
		"postgres://user:hunter2@db.example":                              "db.example/",
	} {
		if got := postgresTarget(dsn); got != want {
			t.Errorf("postgresTarget(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"has space": "'has space'",
		"it's$HOME": `'it'\''s$HOME'`,
		"":          "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOutboxHiddenWithRealSenders checks that the development outbox is not
// served once a real email sender is configured: codes stay private.
func TestOutboxHiddenWithRealSenders(t *testing.T) {
	s := startServe(t, map[string]string{"COGNATE_SMTP_HOST": "127.0.0.1", "COGNATE_SMTP_FROM": "no-reply@example.com", "COGNATE_SMTP_TLS": "none"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if code, body := get(t, s.url+"/_cognate/messages"); code == 200 {
		t.Errorf("the outbox is served with SMTP configured: %s", body)
	}
	if code := s.shutdown(); code != 0 {
		t.Errorf("serve exited %d; stderr:\n%s", code, s.stderr.String())
	}
}
