package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTriggersLoad(t *testing.T) {
	file := writeFile(t, "cognate.yaml", `triggers:
  timeout: 2s
  attempts: 1
  lambda:
    endpoint: http://127.0.0.1:3001
  routes:
    - arn: "arn:aws:lambda:*:*:function:local-*"
      endpoint: http://127.0.0.1:9000
      function_name: function
    - arn: arn:aws:lambda:us-east-1:123456789012:function:pre-token
      webhook_url: https://hooks.example.com/cognito
      webhook_secret: a-secret-of-the-webhook
`)
	got, _, err := Load(Sources{File: file})
	if err != nil {
		t.Fatal(err)
	}
	want := TriggersConfig{
		Timeout: Duration(2 * time.Second), Attempts: 1, MaxResponseBytes: DefaultTriggerMaxResponseBytes,
		Lambda: AWSEndpointConfig{Endpoint: "http://127.0.0.1:3001"},
		Routes: []TriggerRouteConfig{
			{ARN: "arn:aws:lambda:*:*:function:local-*", Endpoint: "http://127.0.0.1:9000", FunctionName: "function"},
			{ARN: "arn:aws:lambda:us-east-1:123456789012:function:pre-token", WebhookURL: "https://hooks.example.com/cognito", WebhookSecret: "a-secret-of-the-webhook"},
		},
	}
	if diff := cmp.Diff(want, got.Triggers); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
	if s := got.String(); strings.Contains(s, "a-secret-of-the-webhook") || !strings.Contains(s, "webhook_secret: REDACTED") {
		t.Errorf("String() shows the webhook secret, or not its place:\n%s", s)
	}
}

func TestTriggersProblems(t *testing.T) {
	file := writeFile(t, "cognate.yaml", `triggers:
  timeout: 20m
  attempts: 11
  lambda:
    endpoint: ftp://x
  routes:
    - endpoint: http://127.0.0.1:9000
    - arn: "arn[:*"
      webhook_url: http://hooks.example.com/x
      webhook_secret: short
      function_name: f
    - arn: a
    - arn: b
      endpoint: http://127.0.0.1:1
      webhook_url: https://h.example.com
`)
	cfg, _, err := Load(Sources{File: file})
	if cfg != nil {
		t.Error("Load returned a config with errors")
	}
	want := ValidationErrors{
		"triggers.timeout: must be between 1ms and 15m",
		"triggers.attempts: must be between 1 and 10",
		`triggers.lambda.endpoint: "ftp://x" is not an http(s) URL`,
		"triggers.routes[0].arn: required",
		`triggers.routes[1].arn: "arn[:*" is not a valid pattern`,
		"triggers.routes[1].webhook_url: must be an https URL (http is allowed only toward localhost)",
		"triggers.routes[1].webhook_secret: must be at least 16 characters",
		"triggers.routes[1]: function_name and region apply only with endpoint",
		"triggers.routes[2]: one of endpoint or webhook_url is required",
		"triggers.routes[3]: endpoint and webhook_url cannot both be set",
	}
	if diff := cmp.Diff(want, problems(t, err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
