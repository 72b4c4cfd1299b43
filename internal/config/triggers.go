package config

import (
	"log/slog"
	"net/url"
	"path"
	"strconv"
	"time"
)

// TriggersConfig says how cognate reaches the Lambda functions a user
// pool's LambdaConfig names (docs/triggers.md). Functions no route matches
// are invoked through the AWS Lambda Invoke API, configured as every AWS
// SDK is (the default credential chain; AWS_REGION; AWS_ENDPOINT_URL_LAMBDA
// for the endpoint), with lambda's keys overriding it.
type TriggersConfig struct {
	// Timeout bounds each attempt of an invocation; Cognito's is 5s.
	Timeout Duration `yaml:"timeout"`
	// Attempts is how many times an invocation that times out or cannot
	// reach its function is tried; Cognito's is 3.
	Attempts int `yaml:"attempts"`
	// MaxResponseBytes bounds a function's answer; a larger one is an
	// InvalidLambdaResponseException.
	MaxResponseBytes int `yaml:"max_response_bytes"`
	// Lambda overrides the region and endpoint of the Invoke API.
	Lambda AWSEndpointConfig `yaml:"lambda,omitempty"`
	// KMS overrides the region and endpoint of AWS KMS, which generates
	// the data keys of the codes custom sender functions receive.
	KMS AWSEndpointConfig `yaml:"kms,omitempty"`
	// Routes reach the functions whose ARN matches a pattern another way:
	// an Invoke API at another endpoint, or an HTTPS webhook. The first
	// matching route wins.
	Routes []TriggerRouteConfig `yaml:"routes"`
}

// TriggerRouteConfig reaches the functions whose ARN matches ARN (a
// pattern: * matches any run of characters), either through the
// Invoke API at Endpoint or through a webhook at WebhookURL; exactly one.
type TriggerRouteConfig struct {
	// ARN is the function ARN or ARN pattern.
	ARN string `yaml:"arn"`
	// Endpoint is an Invoke API URL (a runtime emulator, sam local
	// start-lambda, LocalStack).
	Endpoint string `yaml:"endpoint,omitempty"`
	// FunctionName, with Endpoint, is the name invoked in place of the
	// ARN ("function" for AWS's Runtime Interface Emulator).
	FunctionName string `yaml:"function_name,omitempty"`
	// Region, with Endpoint, is the region requests are signed for.
	Region string `yaml:"region,omitempty"`
	// WebhookURL receives the event as JSON, signed (https, or http
	// toward localhost).
	WebhookURL string `yaml:"webhook_url,omitempty"`
	// WebhookSecret keys the webhook's HMAC-SHA256 signature.
	WebhookSecret Secret `yaml:"webhook_secret,omitempty"`
}

// Trigger defaults and limits.
const (
	DefaultTriggerTimeout          = 5 * time.Second
	DefaultTriggerAttempts         = 3
	DefaultTriggerMaxResponseBytes = 6 << 20
	maxTriggerAttempts             = 10
	maxTriggerTimeout              = 15 * time.Minute
)

func (t *TriggersConfig) applyDefaults() {
	setDefault(&t.Timeout, Duration(DefaultTriggerTimeout))
	setDefault(&t.Attempts, DefaultTriggerAttempts)
	setDefault(&t.MaxResponseBytes, DefaultTriggerMaxResponseBytes)
}

// validate adds a problem, prefixed with its key path, for every invalid
// key.
func (t *TriggersConfig) validate(add func(key, format string, args ...any)) {
	if t.Timeout < 0 || time.Duration(t.Timeout) > maxTriggerTimeout {
		add("triggers.timeout", "must be between 1ms and 15m")
	}
	if t.Attempts < 0 || t.Attempts > maxTriggerAttempts {
		add("triggers.attempts", "must be between 1 and %d", maxTriggerAttempts)
	}
	if t.MaxResponseBytes < 0 {
		add("triggers.max_response_bytes", "must be positive")
	}
	if e := t.Lambda.Endpoint; e != "" {
		if u, err := url.Parse(e); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			add("triggers.lambda.endpoint", "%q is not an http(s) URL", e)
		}
	}
	if e := t.KMS.Endpoint; e != "" {
		if u, err := url.Parse(e); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			add("triggers.kms.endpoint", "%q is not an http(s) URL", e)
		}
	}
	for i, r := range t.Routes {
		key := "triggers.routes[" + strconv.Itoa(i) + "]"
		if r.ARN == "" {
			add(key+".arn", "required")
		} else if _, err := path.Match(r.ARN, ""); err != nil {
			add(key+".arn", "%q is not a valid pattern", r.ARN)
		}
		switch {
		case r.Endpoint != "" && r.WebhookURL != "":
			add(key, "endpoint and webhook_url cannot both be set")
		case r.Endpoint != "":
			if u, err := url.Parse(r.Endpoint); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				add(key+".endpoint", "%q is not an http(s) URL", r.Endpoint)
			}
			if r.WebhookSecret != "" {
				add(key+".webhook_secret", "only with webhook_url")
			}
		case r.WebhookURL != "":
			if !validWebhookURL(r.WebhookURL) {
				add(key+".webhook_url", "must be an https URL (http is allowed only toward localhost)")
			}
			if len(r.WebhookSecret) < MinWebhookSecret {
				add(key+".webhook_secret", "must be at least %d characters", MinWebhookSecret)
			}
			if r.FunctionName != "" || r.Region != "" {
				add(key, "function_name and region apply only with endpoint")
			}
		default:
			add(key, "one of endpoint or webhook_url is required")
		}
	}
}

// validWebhookURL reports whether u is https, or http toward a loopback
// host.
func validWebhookURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	return p.Scheme == "https" || (p.Scheme == "http" && isLoopback(p.Hostname()))
}

// redacted returns t with its secrets replaced by "REDACTED".
func (t TriggersConfig) redacted() TriggersConfig {
	if len(t.Routes) == 0 {
		return t
	}
	routes := make([]TriggerRouteConfig, len(t.Routes))
	for i, r := range t.Routes {
		if r.WebhookSecret != "" {
			r.WebhookSecret = redacted
		}
		routes[i] = r
	}
	t.Routes = routes
	return t
}

// logValue is the block for Config.LogValue.
func (t TriggersConfig) logValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("timeout", t.Timeout.String()), slog.Int("attempts", t.Attempts),
		slog.Int("max_response_bytes", t.MaxResponseBytes),
	}
	if t.Lambda.Enabled() {
		attrs = append(attrs, slog.Group("lambda", slog.String("region", t.Lambda.Region), slog.String("endpoint", t.Lambda.Endpoint)))
	}
	if t.KMS.Enabled() {
		attrs = append(attrs, slog.Group("kms", slog.String("region", t.KMS.Region), slog.String("endpoint", t.KMS.Endpoint)))
	}
	for i, r := range t.Routes {
		attrs = append(attrs, slog.Group("routes["+strconv.Itoa(i)+"]",
			slog.String("arn", r.ARN), slog.String("endpoint", r.Endpoint), slog.String("function_name", r.FunctionName),
			slog.String("webhook_url", r.WebhookURL), slog.String("webhook_secret", r.WebhookSecret.String())))
	}
	return slog.GroupValue(attrs...)
}
