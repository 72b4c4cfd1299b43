package triggers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/e2e/internal/harness"
	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
	"github.com/cognate-dev/cognate/e2e/lambdafn/rie"
	"github.com/cognate-dev/cognate/internal/api"
	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
	"github.com/cognate-dev/cognate/internal/triggers"
)

const (
	accountID     = "123456789012"
	keyID         = "AKIAE2ETESTKEY000001"
	secret        = "e2e-secret-e2e-secret-e2e-secret-e2e-sec"
	webhookSecret = "the-webhook-secret-of-the-tests"
	// functionARN is the ARN pattern of the tests' functions, which one
	// route reaches; unreachableARN names a function nothing serves.
	functionARN    = "arn:aws:lambda:us-east-1:123456789012:function:"
	unreachableARN = "arn:aws:lambda:us-east-1:123456789012:function:nowhere"
)

var encryptionKey = bytes.Repeat([]byte{0x5e}, 32)

// env is a cognate server whose triggers reach the test function, and
// what a test reads of it.
type env struct {
	URL    string
	Store  storage.Store
	record string
	obs    *observed
	// outbox holds the messages the directory sent (confirmation codes).
	outbox *messaging.Outbox
}

// observed keeps the outcomes the invoker reports, as /metrics counts
// them.
type observed struct{ outcomes chan string }

func (o *observed) observe(trigger, outcome string, _ time.Duration) {
	select {
	case o.outcomes <- trigger + ":" + outcome:
	default:
	}
}

// transport reaches the test function one way.
type transport string

const (
	viaLambda  transport = "lambda-rie"
	viaWebhook transport = "webhook"
)

// backends are the stores every test runs on: SQLite, and PostgreSQL when
// COGNATE_TEST_POSTGRES_DSN is set.
func backends(t *testing.T) []string {
	if os.Getenv("COGNATE_TEST_POSTGRES_DSN") == "" {
		return []string{"sqlite"}
	}
	return []string{"sqlite", "postgres"}
}

func openStore(t testing.TB, name string) storage.Store {
	t.Helper()
	db, _ := harness.OpenStore(t, name, "us-east-1", func() string { return storagetest.PostgresSchema(t) }, false)
	return harness.Migrate(t, db)
}

// start serves cognate on a fresh store of backend, its triggers reaching
// the test function through tr, each attempt bounded by timeout.
func start(t testing.TB, backend string, tr transport, timeout time.Duration) *env {
	t.Helper()
	return startWith(t, backend, tr, timeout, nil)
}

// startHurried is start with attempts of half a second, for the case of a
// function that answers too late: three attempts of Cognito's 5 seconds
// would make it long. The other cases of a failure table run on an env
// with Cognito's 5 seconds: a function's huge answer takes a moment to
// make and carry, more on a loaded machine, and an attempt that ran out of
// time would be tried again and end as a timeout instead of the answer
// the case checks.
func startHurried(t testing.TB, backend string, tr transport) *env {
	t.Helper()
	return start(t, backend, tr, 500*time.Millisecond)
}

// startWith is start with kms generating the data keys of the custom
// senders' codes.
func startWith(t testing.TB, backend string, tr transport, timeout time.Duration, kms *triggers.KMS) *env {
	t.Helper()
	record := filepath.Join(t.TempDir(), "events.jsonl")
	var route triggers.Transport
	switch tr {
	case viaLambda:
		url := rie.Start(t, fn.RecordEnv+"="+record)
		lt, err := triggers.NewLambda(context.Background(), triggers.LambdaConfig{
			Region: "us-east-1", Endpoint: url, FunctionName: rie.FunctionName,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		})
		if err != nil {
			t.Fatal(err)
		}
		route = lt
	case viaWebhook:
		t.Setenv(fn.RecordEnv, record)
		t.Setenv("FN_SLOW", "2s")
		srv := httptest.NewServer(triggers.WebhookHandler([]byte(webhookSecret), lambda.NewHandler(fn.Handle)))
		t.Cleanup(srv.Close)
		wt, err := triggers.NewWebhook(triggers.WebhookConfig{URL: srv.URL, Secret: webhookSecret})
		if err != nil {
			t.Fatal(err)
		}
		route = wt
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	nowhere, err := triggers.NewLambda(context.Background(), triggers.LambdaConfig{
		Region: "us-east-1", Endpoint: closedURL, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	obs := &observed{outcomes: make(chan string, 64)}
	inv, err := triggers.New(triggers.Options{
		Routes: []triggers.Route{
			{Pattern: unreachableARN, Transport: nowhere},
			{Pattern: functionARN + "*", Transport: route},
		},
		Timeout: timeout, Observe: obs.observe, KMS: kms,
	})
	if err != nil {
		t.Fatal(err)
	}
	db := openStore(t, backend)
	outbox := messaging.NewOutbox(messaging.OutboxOptions{})
	srv := harness.NewServer()
	url := srv.URL
	en := harness.Wire(t, db, harness.Options{URL: url, Key: encryptionKey, AccountID: accountID,
		Users: directory.Options{Sender: outbox, Triggers: inv}, Auth: func(o *authflow.Options) { o.Triggers = inv }})
	// The hosted UI and the OAuth endpoints, for the tokens they issue.
	ui := en.HostedUI(t)
	mux := http.NewServeMux()
	mux.Handle("/", api.NewHandler(api.Options{Pools: en.Pools, Users: en.Users, Auth: en.Auth, AccountID: accountID, Credentials: map[string]string{keyID: secret},
		// The limits are off: the benchmarks sign one user in flat out from
		// one address, which is what they measure.
		RateLimits: ratelimit.Off(), Protection: ratelimit.Unprotected()}))
	srv.Serve(t, db, ui.Wrap(mux))
	return &env{URL: url, Store: db, record: record, obs: obs, outbox: outbox}
}

func (e *env) client() *cip.Client {
	return harness.Client(e.URL, "us-east-1", keyID, secret, 1)
}

// pool creates a pool with lc, an app client for password sign-in, and
// returns their IDs.
func (e *env) pool(t testing.TB, lc *types.LambdaConfigType) (poolID, clientID string) {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("triggers"), LambdaConfig: lc})
	if err != nil {
		t.Fatal(err)
	}
	poolID = *p.UserPool.Id
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	return poolID, *cl.UserPoolClient.ClientId
}

const password = "Correct-Horse-9"

// user creates a confirmed user with a permanent password and returns its
// sub.
func (e *env) user(t testing.TB, poolID, name string) string {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	out, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(name + "@example.com")},
			{Name: aws.String("given_name"), Value: aws.String("Given")},
			{Name: aws.String("family_name"), Value: aws.String("Family")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range out.User.Attributes {
		if *a.Name == "sub" {
			return *a.Value
		}
	}
	t.Fatal("no sub")
	return ""
}

// events returns the events the function received since the last call,
// each with its triggerSource.
func (e *env) events(t *testing.T) []recorded {
	t.Helper()
	f, err := os.Open(e.record)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []recorded
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var h struct {
			TriggerSource string `json:"triggerSource"`
		}
		raw := append([]byte(nil), sc.Bytes()...)
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		out = append(out, recorded{source: h.TriggerSource, raw: raw})
	}
	if err := os.Truncate(e.record, 0); err != nil {
		t.Fatal(err)
	}
	return out
}

type recorded struct {
	source string
	raw    []byte
}

// claims decodes a JWT's claim set (its signature is checked by the token
// tests; here only what it says matters).
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
