package triggers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
	"github.com/cognate-dev/cognate/e2e/lambdafn/rie"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/triggers"
)

const (
	testARN    = "arn:aws:lambda:us-east-1:123456789012:function:pre-auth"
	testSecret = "webhook-secret-of-the-tests"
)

// observed collects what an Invoker reports.
type observed struct {
	mu   sync.Mutex
	outs []string
}

func (o *observed) observe(trigger, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outs = append(o.outs, trigger+":"+outcome)
}

func (o *observed) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.outs) == 0 {
		return ""
	}
	return o.outs[len(o.outs)-1]
}

// transportCase reaches the test function one way: through the Invoke API
// of the Runtime Interface Emulator, or behind the webhook.
type transportCase struct {
	name string
	// start returns the transport and the file the function records
	// events in; slow is how long the slow… users make it wait.
	start func(t *testing.T, record string, slow time.Duration) triggers.Transport
}

var transports = []transportCase{
	{"lambda-rie", func(t *testing.T, record string, slow time.Duration) triggers.Transport {
		url := rie.Start(t, fn.RecordEnv+"="+record, "FN_SLOW="+slow.String())
		lt, err := triggers.NewLambda(context.Background(), triggers.LambdaConfig{
			Region: "us-east-1", Endpoint: url, FunctionName: rie.FunctionName,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		})
		if err != nil {
			t.Fatal(err)
		}
		return lt
	}},
	{"webhook", func(t *testing.T, record string, slow time.Duration) triggers.Transport {
		// The handler runs in this process: its environment is the test's.
		t.Setenv(fn.RecordEnv, record)
		t.Setenv("FN_SLOW", slow.String())
		srv := httptest.NewServer(triggers.WebhookHandler([]byte(testSecret), lambda.NewHandler(fn.Handle)))
		t.Cleanup(srv.Close)
		wt, err := triggers.NewWebhook(triggers.WebhookConfig{URL: srv.URL, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		return wt
	}},
}

// lastRecorded returns the last event the function recorded in path.
func lastRecorded(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	var last []byte
	for sc.Scan() {
		last = append([]byte(nil), sc.Bytes()...)
	}
	return last
}

func preAuthEvent(user string) *events.CognitoEventUserPoolsPreAuthentication {
	return &events.CognitoEventUserPoolsPreAuthentication{
		CognitoEventUserPoolsHeader: triggers.Header("1", "PreAuthentication_Authentication", "us-east-1", "us-east-1_Abc", "client1", user),
		Request: events.CognitoEventUserPoolsPreAuthenticationRequest{
			UserAttributes: map[string]string{"sub": "0000-1111", "email": "a@example.com"},
			ValidationData: map[string]string{"k": "v"},
		},
	}
}

// TestInvokeTable runs the failure table of an invocation on each
// transport: the function's answer, its error, an answer that is not an
// event, of the wrong types or too large, and one that comes too late.
func TestInvokeTable(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "events.jsonl")
			transport := tr.start(t, record, time.Second)
			obs := &observed{}
			invoker := func(timeout time.Duration) *triggers.Invoker {
				iv, err := triggers.New(triggers.Options{
					Routes:  []triggers.Route{{Pattern: "arn:aws:lambda:*:123456789012:function:*", Transport: transport}},
					Timeout: timeout, Observe: obs.observe,
				})
				if err != nil {
					t.Fatal(err)
				}
				return iv
			}
			// Cognito's 5 seconds for every case but the slow one, whose
			// attempts are short to keep it short: the huge answer takes
			// a moment to make and carry, more under load, and an attempt
			// that ran out of time would be tried again and end as a
			// timeout instead of the invalid answer it checks.
			iv, hurried := invoker(0), invoker(400*time.Millisecond)
			cases := []struct {
				user, code, msg, outcome string
			}{
				{"alice", "", "", triggers.OutcomeSuccess},
				{"deny1", cognito.CodeUserLambdaValidationException, "PreAuthentication failed with error Denied by the test function.", triggers.OutcomeFunctionError},
				{"string1", cognito.CodeInvalidLambdaResponseException, "Unrecognizable lambda output", triggers.OutcomeInvalidResponse},
				{"wrongtype1", cognito.CodeInvalidLambdaResponseException, "Unrecognizable lambda output", triggers.OutcomeInvalidResponse},
				{"huge1", cognito.CodeInvalidLambdaResponseException, "Unrecognizable lambda output", triggers.OutcomeInvalidResponse},
				{"slow1", cognito.CodeUnexpectedLambdaException, "PreAuthentication invocation failed due to error Socket timeout while invoking Lambda function.", triggers.OutcomeTimeout},
			}
			for _, tc := range cases {
				t.Run(tc.user, func(t *testing.T) {
					in := preAuthEvent(tc.user)
					var out events.CognitoEventUserPoolsPreAuthentication
					iv := iv
					if tc.outcome == triggers.OutcomeTimeout {
						iv = hurried
					}
					err := iv.Invoke(context.Background(), triggers.PreAuthentication, testARN, in, &out)
					if got := obs.last(); got != "PreAuthentication:"+tc.outcome {
						t.Errorf("observed %q, want outcome %s", got, tc.outcome)
					}
					// The function received the event field by field as
					// sent, whatever it answered.
					var got events.CognitoEventUserPoolsPreAuthentication
					if err := json.Unmarshal(lastRecorded(t, record), &got); err != nil {
						t.Fatal(err)
					}
					if d := cmp.Diff(*in, got); d != "" {
						t.Errorf("event received (-sent +received):\n%s", d)
					}
					if tc.code == "" {
						if err != nil {
							t.Fatal(err)
						}
						if d := cmp.Diff(*in, out); d != "" {
							t.Errorf("answer (-want +got):\n%s", d)
						}
						return
					}
					var ce *cognito.Error
					if !errors.As(err, &ce) || ce.Code != tc.code || ce.Message != tc.msg {
						t.Fatalf("err = %v, want %s %q", err, tc.code, tc.msg)
					}
					if d := cmp.Diff(events.CognitoEventUserPoolsPreAuthentication{}, out); d != "" {
						t.Errorf("out written on failure:\n%s", d)
					}
				})
			}
		})
	}
}

// TestUnreachable: a function nothing serves is UnexpectedLambdaException
// after every attempt; so is an ARN no route reaches.
func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	lt, err := triggers.NewLambda(context.Background(), triggers.LambdaConfig{
		Region: "us-east-1", Endpoint: url,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	obs := &observed{}
	iv, err := triggers.New(triggers.Options{Lambda: lt, Routes: []triggers.Route{{Pattern: "arn:aws:lambda:*:*:function:hooked", Transport: lt}}, Observe: obs.observe})
	if err != nil {
		t.Fatal(err)
	}
	err = iv.Invoke(context.Background(), triggers.PreTokenGeneration, testARN, preAuthEvent("x"), nil)
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != cognito.CodeUnexpectedLambdaException || !strings.HasPrefix(ce.Message, "PreTokenGeneration invocation failed due to error ") {
		t.Fatalf("err = %v", err)
	}
	if got := obs.last(); got != "PreTokenGeneration:"+triggers.OutcomeUnreachable {
		t.Errorf("observed %q", got)
	}
	none, err := triggers.New(triggers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = none.Invoke(context.Background(), triggers.PreSignUp, testARN, preAuthEvent("x"), nil)
	if !errors.As(err, &ce) || ce.Message != "PreSignUp invocation failed due to error ResourceNotFoundException." {
		t.Fatalf("err = %v", err)
	}
}

// TestWebhookRetries: 5xx and 429 are tried again, up to Attempts; a
// malformed body is InvalidLambdaResponseException; a receiver refuses a
// request whose signature does not verify.
func TestWebhookRetries(t *testing.T) {
	var calls atomic.Int32
	var failFirst atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch r.URL.Path {
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/flaky":
			if n <= failFirst.Load() {
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Write([]byte(`{"version":"1"}`))
		case "/malformed":
			w.Write([]byte(`{"version":"1",`))
		case "/gone":
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	mk := func(path string) triggers.Transport {
		wt, err := triggers.NewWebhook(triggers.WebhookConfig{URL: srv.URL + path, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		return wt
	}
	iv, err := triggers.New(triggers.Options{Routes: []triggers.Route{
		{Pattern: "*:down", Transport: mk("/down")},
		{Pattern: "*:flaky", Transport: mk("/flaky")},
		{Pattern: "*:malformed", Transport: mk("/malformed")},
		{Pattern: "*:gone", Transport: mk("/gone")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		fn    string
		calls int32
		code  string
		msg   string
	}{
		{"down", 3, cognito.CodeUnexpectedLambdaException, "PostAuthentication invocation failed due to error ServiceException."},
		{"flaky", 2, "", ""},
		{"malformed", 1, cognito.CodeInvalidLambdaResponseException, "Unrecognizable lambda output"},
		{"gone", 1, cognito.CodeUnexpectedLambdaException, "PostAuthentication invocation failed due to error ResourceNotFoundException."},
	}
	for _, tc := range cases {
		t.Run(tc.fn, func(t *testing.T) {
			calls.Store(0)
			failFirst.Store(1)
			var out map[string]any
			err := iv.Invoke(context.Background(), triggers.PostAuthentication, "arn:aws:lambda:us-east-1:1:function:"+tc.fn, map[string]string{"version": "1"}, &out)
			if got := calls.Load(); got != tc.calls {
				t.Errorf("calls = %d, want %d", got, tc.calls)
			}
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != tc.code || ce.Message != tc.msg {
				t.Fatalf("err = %v, want %s %q", err, tc.code, tc.msg)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	secret := []byte(testSecret)
	body := []byte(`{"version":"1"}`)
	now := time.Unix(1_800_000_000, 0)
	sig := triggers.SignWebhook(secret, now, body)
	cases := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		at     time.Time
		want   bool
	}{
		{"valid", secret, body, sig, now, true},
		{"other body", secret, []byte(`{"version":"2"}`), sig, now, false},
		{"other secret", []byte("another-secret-of-16"), body, sig, now, false},
		{"stale", secret, body, sig, now.Add(6 * time.Minute), false},
		{"future", secret, body, sig, now.Add(-6 * time.Minute), false},
		{"garbled", secret, body, "t=1,sha256=zz", now, false},
		{"empty", secret, body, "", now, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := triggers.VerifyWebhookSignature(tc.secret, tc.body, tc.header, tc.at, triggers.DefaultSignatureTolerance); got != tc.want {
				t.Errorf("verify = %v, want %v", got, tc.want)
			}
		})
	}
	// The receiver refuses an unsigned request before running the
	// function.
	srv := httptest.NewServer(triggers.WebhookHandler(secret, lambda.NewHandler(func(context.Context, json.RawMessage) (any, error) {
		t.Error("function ran for an unsigned request")
		return nil, nil
	})))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", resp.StatusCode)
	}
	if _, err := triggers.NewWebhook(triggers.WebhookConfig{URL: "http://example.com/hook", Secret: testSecret}); err == nil {
		t.Error("plain http to a remote host accepted")
	}
	if _, err := triggers.NewWebhook(triggers.WebhookConfig{URL: "https://example.com/hook", Secret: "short"}); err == nil {
		t.Error("short secret accepted")
	}
}

// TestLambdaEndpointFromEnvironment: with no endpoint configured, the
// Invoke API client takes AWS_ENDPOINT_URL_LAMBDA, as every AWS SDK does,
// so that the variable alone points cognate at a local runtime.
func TestLambdaEndpointFromEnvironment(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", rie.Start(t))
	lt, err := triggers.NewLambda(context.Background(), triggers.LambdaConfig{
		Region: "us-east-1", FunctionName: rie.FunctionName,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	iv, err := triggers.New(triggers.Options{Lambda: lt})
	if err != nil {
		t.Fatal(err)
	}
	in := preAuthEvent("alice")
	var out events.CognitoEventUserPoolsPreAuthentication
	if err := iv.Invoke(context.Background(), triggers.PreAuthentication, testARN, in, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(*in, out); d != "" {
		t.Errorf("answer (-want +got):\n%s", d)
	}
}
