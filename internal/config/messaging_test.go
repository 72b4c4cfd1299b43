package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testSMTPPassword  = "smtp-password-never-shown"
	testWebhookSecret = "webhook-secret-never-shown"
)

func TestMessagingLoad(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want MessagingConfig
	}{
		{
			name: "nothing configured",
			want: MessagingConfig{},
		},
		{
			name: "every file key",
			file: `
messaging:
  smtp:
    host: mail.example.com
    port: 2525
    username: relay
    password: ` + testSMTPPassword + `
    from: Example <no-reply@example.com>
    tls: tls
    timeout: 3s
  ses: {region: eu-west-1, endpoint: "https://email.eu-west-1.amazonaws.com"}
  sns: {region: eu-central-1, endpoint: "http://localhost:4566"}
  sms_webhook:
    url: https://sms.example.com/hook
    secret: ` + testWebhookSecret + `
  outbox: {listen: "127.0.0.1:9230", unsafe_serve_to_anyone: true}
`,
			want: MessagingConfig{
				SMTP: SMTPConfig{Host: "mail.example.com", Port: 2525, Username: "relay", Password: testSMTPPassword,
					From: "Example <no-reply@example.com>", TLS: "tls", Timeout: Duration(3 * time.Second)},
				SES:        AWSEndpointConfig{Region: "eu-west-1", Endpoint: "https://email.eu-west-1.amazonaws.com"},
				SNS:        AWSEndpointConfig{Region: "eu-central-1", Endpoint: "http://localhost:4566"},
				SMSWebhook: WebhookConfig{URL: "https://sms.example.com/hook", Secret: testWebhookSecret},
				Outbox:     OutboxConfig{Listen: "127.0.0.1:9230", UnsafeServeToAnyone: true},
			},
		},
		{
			name: "every environment variable",
			env: map[string]string{
				"COGNATE_SMTP_HOST":                     "mail.example.com",
				"COGNATE_SMTP_PORT":                     "2525",
				"COGNATE_SMTP_USERNAME":                 "relay",
				"COGNATE_SMTP_PASSWORD":                 testSMTPPassword,
				"COGNATE_SMTP_FROM":                     "no-reply@example.com",
				"COGNATE_SMTP_TLS":                      "tls",
				"COGNATE_SMTP_TIMEOUT":                  "1m",
				"COGNATE_SES_REGION":                    "us-west-2",
				"COGNATE_SES_ENDPOINT":                  "https://ses.internal",
				"COGNATE_SNS_REGION":                    "us-west-1",
				"COGNATE_SNS_ENDPOINT":                  "https://sns.internal",
				"COGNATE_SMS_WEBHOOK_URL":               "http://127.0.0.1:8080/sms",
				"COGNATE_SMS_WEBHOOK_SECRET":            testWebhookSecret,
				"COGNATE_OUTBOX_LISTEN":                 "[::1]:0",
				"COGNATE_OUTBOX_UNSAFE_SERVE_TO_ANYONE": "false",
			},
			want: MessagingConfig{
				SMTP: SMTPConfig{Host: "mail.example.com", Port: 2525, Username: "relay", Password: testSMTPPassword,
					From: "no-reply@example.com", TLS: "tls", Timeout: Duration(time.Minute)},
				SES:        AWSEndpointConfig{Region: "us-west-2", Endpoint: "https://ses.internal"},
				SNS:        AWSEndpointConfig{Region: "us-west-1", Endpoint: "https://sns.internal"},
				SMSWebhook: WebhookConfig{URL: "http://127.0.0.1:8080/sms", Secret: testWebhookSecret},
				Outbox:     OutboxConfig{Listen: "[::1]:0"},
			},
		},
		{
			name: "SMTP defaults: STARTTLS on 587",
			file: "messaging:\n  smtp: {host: mail.example.com, from: a@example.com}\n",
			want: MessagingConfig{SMTP: SMTPConfig{Host: "mail.example.com", Port: 587, From: "a@example.com", TLS: "starttls", Timeout: Duration(10 * time.Second)}},
		},
		{
			name: "SMTP defaults: implicit TLS on 465",
			file: "messaging:\n  smtp: {host: mail.example.com, from: a@example.com, tls: tls}\n",
			want: MessagingConfig{SMTP: SMTPConfig{Host: "mail.example.com", Port: 465, From: "a@example.com", TLS: "tls", Timeout: Duration(10 * time.Second)}},
		},
		{
			name: "SMTP defaults: clear text on 25",
			env:  map[string]string{"COGNATE_SMTP_HOST": "localhost", "COGNATE_SMTP_FROM": "a@example.com", "COGNATE_SMTP_TLS": "none"},
			want: MessagingConfig{SMTP: SMTPConfig{Host: "localhost", Port: 25, From: "a@example.com", TLS: "none", Timeout: Duration(10 * time.Second)}},
		},
		{
			name: "environment over file",
			file: "messaging:\n  ses: {region: eu-west-1}\n",
			env:  map[string]string{"COGNATE_SES_REGION": "eu-north-1"},
			want: MessagingConfig{SES: AWSEndpointConfig{Region: "eu-north-1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env)}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			got, _, err := Load(src)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tc.want, got.Messaging); diff != "" {
				t.Errorf("messaging (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMessagingLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want ValidationErrors
	}{
		{
			name: "unknown and mistyped keys",
			file: "messaging:\n  smtp:\n    hostname: x\n    port: many\n  ses: eu-west-1\n  pigeon: {}\n",
			want: ValidationErrors{
				"messaging.smtp.hostname: unknown key (line 3)",
				"messaging.smtp.port: must be an integer (line 4)",
				"messaging.ses: must be a mapping of keys (line 5)",
				"messaging.pigeon: unknown key (line 6)",
			},
		},
		{
			name: "environment values that do not parse",
			env: map[string]string{
				"COGNATE_SMTP_HOST": "mail.example.com", "COGNATE_SMTP_FROM": "a@example.com",
				"COGNATE_SMTP_PORT": "smtp", "COGNATE_SMTP_TIMEOUT": "10",
			},
			want: ValidationErrors{
				"messaging.smtp.port: COGNATE_SMTP_PORT: must be an integer",
				`messaging.smtp.timeout: COGNATE_SMTP_TIMEOUT: must be a duration like "30s" or "1m30s"`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env)}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			_, _, err := Load(src)
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMessagingValidate(t *testing.T) {
	smtp := func(change func(*SMTPConfig)) func(*Config) {
		return func(c *Config) {
			c.Messaging.SMTP = SMTPConfig{Host: "mail.example.com", Port: 587, From: "no-reply@example.com", TLS: "starttls", Timeout: Duration(time.Second)}
			change(&c.Messaging.SMTP)
		}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   ValidationErrors
	}{
		{name: "nothing configured", change: func(*Config) {}},
		{
			name: "everything valid",
			change: func(c *Config) {
				smtp(func(s *SMTPConfig) { s.Username, s.Password = "u", "p" })(c)
				c.Messaging.SES = AWSEndpointConfig{Region: "eu-west-1"}
				c.Messaging.SNS = AWSEndpointConfig{Region: "us-east-1", Endpoint: "http://localhost:4566"}
				c.Messaging.SMSWebhook = WebhookConfig{URL: "https://sms.example.com/hook", Secret: testWebhookSecret}
			},
		},
		{
			name:   "password in clear text toward localhost",
			change: smtp(func(s *SMTPConfig) { s.Host, s.TLS, s.Username, s.Password = "127.0.0.1", "none", "u", "p" }),
		},
		{
			name: "webhook over http toward localhost",
			change: func(c *Config) {
				c.Messaging.SMSWebhook = WebhookConfig{URL: "http://localhost:9000/", Secret: testWebhookSecret}
			},
		},
		{
			name: "SMTP block without host or from",
			change: func(c *Config) {
				c.Messaging.SMTP = SMTPConfig{Port: 587, TLS: "starttls", Timeout: Duration(time.Second)}
			},
			want: ValidationErrors{"messaging.smtp.host: required", "messaging.smtp.from: required"},
		},
		{
			name: "SMTP values",
			change: smtp(func(s *SMTPConfig) {
				s.Port, s.From, s.Username, s.TLS, s.Timeout = 70000, "no-reply", "u", "ssl", 0
			}),
			want: ValidationErrors{
				"messaging.smtp.port: must be between 1 and 65535",
				`messaging.smtp.from: "no-reply" is not an email address`,
				"messaging.smtp: username and password must be set together",
				`messaging.smtp.tls: must be none, starttls or tls, not "ssl"`,
				"messaging.smtp.timeout: must be positive",
			},
		},
		{
			name:   "password in clear text toward another host",
			change: smtp(func(s *SMTPConfig) { s.TLS, s.Username, s.Password = "none", "u", "p" }),
			want:   ValidationErrors{"messaging.smtp.tls: none would send the password in clear text; allowed only toward localhost"},
		},
		{
			name: "SES and SNS",
			change: func(c *Config) {
				c.Messaging.SES = AWSEndpointConfig{Endpoint: "http://localhost:4566"}
				c.Messaging.SNS = AWSEndpointConfig{Region: "Europe", Endpoint: "localhost:4566"}
			},
			want: ValidationErrors{
				"messaging.ses.region: required",
				`messaging.sns.region: "Europe" is not a valid region name`,
				"messaging.sns.endpoint: must be an http or https URL",
			},
		},
		{
			name:   "webhook without url, short secret",
			change: func(c *Config) { c.Messaging.SMSWebhook = WebhookConfig{Secret: "short"} },
			want: ValidationErrors{
				"messaging.sms_webhook.url: required",
				"messaging.sms_webhook.secret: must be at least 16 characters",
			},
		},
		{
			name: "webhook over http to another host",
			change: func(c *Config) {
				c.Messaging.SMSWebhook = WebhookConfig{URL: "http://sms.example.com/hook", Secret: testWebhookSecret}
			},
			want: ValidationErrors{"messaging.sms_webhook.url: must be https (http only toward localhost)"},
		},
		{
			name: "webhook URL not absolute",
			change: func(c *Config) {
				c.Messaging.SMSWebhook = WebhookConfig{URL: "sms.example.com/hook", Secret: testWebhookSecret}
			},
			want: ValidationErrors{"messaging.sms_webhook.url: must be an absolute URL"},
		},
		{
			name:   "outbox on a loopback listener",
			change: func(c *Config) { c.Messaging.Outbox.Listen = "localhost:9230" },
		},
		{
			name:   "outbox listener not host:port",
			change: func(c *Config) { c.Messaging.Outbox.Listen = "9230" },
			want:   ValidationErrors{"messaging.outbox.listen: must be host:port"},
		},
		{
			name:   "outbox on a public listener",
			change: func(c *Config) { c.Messaging.Outbox.Listen = "0.0.0.0:9230" },
			want: ValidationErrors{"messaging.outbox.listen: must be a loopback address (localhost, 127.0.0.1 or [::1]): " +
				"the outbox holds reset codes and temporary passwords (messaging.outbox.unsafe_serve_to_anyone allows any address)"},
		},
		{
			name: "outbox on a public listener, explicitly unsafe",
			change: func(c *Config) {
				c.Messaging.Outbox = OutboxConfig{Listen: "0.0.0.0:9230", UnsafeServeToAnyone: true}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			before := c
			if diff := cmp.Diff(tc.want, problems(t, c.Validate())); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, c); diff != "" {
				t.Errorf("Validate changed the config (-before +after):\n%s", diff)
			}
		})
	}
}

func messagingConfig() Config {
	c := Default()
	c.Messaging = MessagingConfig{
		SMTP: SMTPConfig{Host: "mail.example.com", Port: 587, Username: "relay", Password: testSMTPPassword,
			From: "no-reply@example.com", TLS: "starttls", Timeout: Duration(10 * time.Second)},
		SES:        AWSEndpointConfig{Region: "eu-west-1"},
		SMSWebhook: WebhookConfig{URL: "https://sms.example.com/hook", Secret: testWebhookSecret},
	}
	return c
}

func TestMessagingSecretsNeverShow(t *testing.T) {
	c := messagingConfig()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "messaging", c.Messaging)
	outputs := map[string]string{
		"String":           c.String(),
		"%v":               fmt.Sprintf("%v", c),
		"%#v":              fmt.Sprintf("%#v", c),
		"%v messaging":     fmt.Sprintf("%v", c.Messaging),
		"%+v smtp":         fmt.Sprintf("%+v", c.Messaging.SMTP),
		"%#v webhook":      fmt.Sprintf("%#v", c.Messaging.SMSWebhook),
		"slog":             logged.String(),
		"Redacted.Reveal":  c.Redacted().Messaging.SMTP.Password.Reveal() + c.Redacted().Messaging.SMSWebhook.Secret.Reveal(),
		"Messaging.String": c.Messaging.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, testSMTPPassword) || strings.Contains(out, testWebhookSecret) {
			t.Errorf("%s shows a secret:\n%s", name, out)
		}
	}
	if c.Messaging.SMTP.Password.Reveal() != testSMTPPassword {
		t.Errorf("Redacted changed the original")
	}
}

func TestMessagingString(t *testing.T) {
	want := `listen: localhost:9229
data_dir: ./cognate-data
database: sqlite
sqlite:
    synchronous: FULL
region: us-east-1
regions: []
account_id: "000000000000"
admin:
    access_key_id: ""
    secret_access_key: ""
accept_any_signature: false
max_body_bytes: 1048576
shutdown_timeout: 30s
log:
    level: info
    format: json
messaging:
    smtp:
        host: mail.example.com
        port: 587
        username: relay
        password: REDACTED
        from: no-reply@example.com
        tls: starttls
        timeout: 10s
    ses:
        region: eu-west-1
        endpoint: ""
    sms_webhook:
        url: https://sms.example.com/hook
        secret: REDACTED
password_hashing:
    memory_kib: 19456
    iterations: 2
    parallelism: 1
rate_limits:
    enabled: true
    scale: 1
    per_user:
        enabled: true
        rate: 10
        burst: 10
    per_address:
        enabled: true
        rate: 100
        burst: 200
change_log:
    retention: 168h0m0s
    compaction_interval: 1h0m0s
user_import:
    max_csv_bytes: 104857600
    max_users_per_file: 500000
    upload_url_validity: 1h0m0s
sts:
    mode: local
    max_session_duration: 12h0m0s
hosted_ui:
    domain_pattern: '{prefix}.auth.{region}.localhost'
    public_form: path
console:
    enabled: true
triggers:
    timeout: 5s
    attempts: 3
    max_response_bytes: 6291456
    routes: []
replication:
    nats_url: ""
    peers: []
    embedded_listen: ""
    stream_replicas: 1
    default_pool_regions: all
`
	if diff := cmp.Diff(want, messagingConfig().String()); diff != "" {
		t.Errorf("String() (-want +got):\n%s", diff)
	}
	if got, want := messagingConfig().Messaging.String(), "smtp (mail.example.com:587, starttls), ses (eu-west-1), sms_webhook"; got != want {
		t.Errorf("Messaging.String() = %q, want %q", got, want)
	}
}

func TestMessagingLogValue(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("", "messaging", messagingConfig().Messaging.logValue(), "none", MessagingConfig{}.logValue())
	for _, want := range []string{
		`"messaging":{"smtp":{"host":"mail.example.com","port":587,"username":"relay","password":"REDACTED","from":"no-reply@example.com","tls":"starttls","timeout":"10s"},` +
			`"ses":{"region":"eu-west-1","endpoint":""},"sms_webhook":{"url":"https://sms.example.com/hook","secret":"REDACTED"}}`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %s\nlacks %s", buf.String(), want)
		}
	}
	if strings.Contains(buf.String(), `"none"`) {
		t.Errorf("an empty messaging block is logged: %s", buf.String())
	}
}

func TestMessagingEnvVars(t *testing.T) {
	got := EnvVars()
	for key, env := range map[string]string{
		"messaging.smtp.host":                     "COGNATE_SMTP_HOST",
		"messaging.smtp.port":                     "COGNATE_SMTP_PORT",
		"messaging.smtp.username":                 "COGNATE_SMTP_USERNAME",
		"messaging.smtp.password":                 "COGNATE_SMTP_PASSWORD",
		"messaging.smtp.from":                     "COGNATE_SMTP_FROM",
		"messaging.smtp.tls":                      "COGNATE_SMTP_TLS",
		"messaging.smtp.timeout":                  "COGNATE_SMTP_TIMEOUT",
		"messaging.ses.region":                    "COGNATE_SES_REGION",
		"messaging.ses.endpoint":                  "COGNATE_SES_ENDPOINT",
		"messaging.sns.region":                    "COGNATE_SNS_REGION",
		"messaging.sns.endpoint":                  "COGNATE_SNS_ENDPOINT",
		"messaging.sms_webhook.url":               "COGNATE_SMS_WEBHOOK_URL",
		"messaging.sms_webhook.secret":            "COGNATE_SMS_WEBHOOK_SECRET",
		"messaging.outbox.listen":                 "COGNATE_OUTBOX_LISTEN",
		"messaging.outbox.unsafe_serve_to_anyone": "COGNATE_OUTBOX_UNSAFE_SERVE_TO_ANYONE",
	} {
		if got[key] != env {
			t.Errorf("EnvVars()[%q] = %q, want %q", key, got[key], env)
		}
	}
}
