package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testSecret     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testDBPassword = "hunter2hunter2"
)

func secretConfig() Config {
	c := Default()
	c.Admin = AdminConfig{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret}
	c.Database = "postgres://cognate:" + testDBPassword + "@db.internal:5432/cognate?sslmode=require"
	return c
}

// TestSecretsNeverShow formats, logs and marshals a configuration every
// way a caller might and checks that neither secret appears.
func TestSecretsNeverShow(t *testing.T) {
	c := secretConfig()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "secret", c.Admin.SecretAccessKey)
	var textLogged bytes.Buffer
	slog.New(slog.NewTextHandler(&textLogged, nil)).Info("config", "config", &c)
	jsonBytes, err := json.Marshal(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":          c.String(),
		"%v":              fmt.Sprintf("%v", c),
		"%+v":             fmt.Sprintf("%+v", c),
		"%#v":             fmt.Sprintf("%#v", c),
		"%s pointer":      fmt.Sprintf("%s", &c),
		"%v admin":        fmt.Sprintf("%v", c.Admin),
		"%#v admin":       fmt.Sprintf("%#v", c.Admin),
		"%x secret":       fmt.Sprintf("%x", c.Admin.SecretAccessKey),
		"%q secret":       fmt.Sprintf("%q", c.Admin.SecretAccessKey),
		"json admin":      string(jsonBytes),
		"slog json":       logged.String(),
		"slog text":       textLogged.String(),
		"Redacted %+v":    fmt.Sprintf("%+v", c.Redacted()),
		"Redacted.Reveal": c.Redacted().Admin.SecretAccessKey.Reveal() + " " + c.Redacted().Database,
	}
	for name, out := range outputs {
		if strings.Contains(out, testSecret) || strings.Contains(out, testDBPassword) {
			t.Errorf("%s shows a secret:\n%s", name, out)
		}
	}
	if c.Admin.SecretAccessKey.Reveal() != testSecret {
		t.Errorf("Reveal() = %q, want the secret", c.Admin.SecretAccessKey.Reveal())
	}
}

func TestString(t *testing.T) {
	want := `listen: localhost:9229
data_dir: ./cognate-data
database: postgres://cognate:REDACTED@db.internal:5432/cognate?sslmode=require
sqlite:
    synchronous: FULL
region: us-east-1
regions: []
account_id: "000000000000"
admin:
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key: REDACTED
accept_any_signature: false
max_body_bytes: 1048576
shutdown_timeout: 30s
log:
    level: info
    format: json
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
	if diff := cmp.Diff(want, secretConfig().String()); diff != "" {
		t.Errorf("String() (-want +got):\n%s", diff)
	}
}

func TestLogValue(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("", "config", secretConfig())
	want := `{"config":{"listen":"localhost:9229","data_dir":"./cognate-data",` +
		`"database":"postgres://cognate:REDACTED@db.internal:5432/cognate?sslmode=require",` +
		`"sqlite":{"synchronous":"FULL"},"region":"us-east-1","regions":null,"account_id":"000000000000",` +
		`"admin":{"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"REDACTED"},` +
		`"accept_any_signature":false,"max_body_bytes":1048576,"shutdown_timeout":"30s",` +
		`"log":{"level":"info","format":"json"},"password_hashing":{"memory_kib":19456,"iterations":2,"parallelism":1},"issuer_base_url":"","encryption_key":"","encryption_keys_previous":0,` +
		`"rate_limits":{"enabled":true,"quotas":false,"scale":1,` +
		`"per_user":{"enabled":true,"rate":10,"burst":10},"per_address":{"enabled":true,"rate":100,"burst":200}},"pprof_listen":"","cors":{"allowed_origins":["*"]},` +
		`"change_log":{"retention":"168h0m0s","compaction_interval":"1h0m0s"},` +
		`"user_import":{"max_csv_bytes":104857600,"max_users_per_file":500000,"upload_url_validity":"1h0m0s"},` +
		`"sts":{"mode":"local","endpoint":"","region":"","max_session_duration":"12h0m0s","trusted_issuers":""},` +
		`"hosted_ui":{"domain_pattern":"{prefix}.auth.{region}.localhost","public_form":"path"},"console":{"enabled":true},"tls":{"cert_file":"","key_file":""},` +
		`"triggers":{"timeout":"5s","attempts":3,"max_response_bytes":6291456},` +
		`"replication":{"nats_url":"","peers":"","embedded_listen":"","stream_replicas":1,"default_pool_regions":"all"}}}` + "\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestRedactDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite":                                "sqlite",
		"":                                      "",
		"postgres://u@h/db":                     "postgres://u@h/db",
		"postgres://u:p@h/db":                   "postgres://u:REDACTED@h/db",
		"postgres://h/db?user=u&password=p&x=1": "postgres://h/db?password=REDACTED&user=u&x=1",
		"postgres://u:p%40ss@h/db?sslmode=verify": "postgres://u:REDACTED@h/db?sslmode=verify",
		"postgres://u:p@[bad":                     "REDACTED",
	} {
		if got := redactDatabase(in); got != want {
			t.Errorf("redactDatabase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretStrings(t *testing.T) {
	if got := Secret("").String(); got != "" {
		t.Errorf(`Secret("").String() = %q, want ""`, got)
	}
	if got := Secret("x").String(); got != "REDACTED" {
		t.Errorf(`Secret("x").String() = %q, want "REDACTED"`, got)
	}
}

func TestEncryptionKeyNeverShows(t *testing.T) {
	c := Default()
	const key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	c.EncryptionKey = key
	const previous = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	c.EncryptionKeysPrevious = []Secret{previous}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c)
	for _, out := range []string{logged.String(), c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(out, key) || strings.Contains(out, previous) {
			t.Errorf("an encryption key shows in %s", out)
		}
	}
	if got, ok, err := c.EncryptionKeyBytes(); err != nil || !ok || string(got) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("EncryptionKeyBytes = %q, %v, %v", got, ok, err)
	}
	if got, err := c.EncryptionKeysPreviousBytes(); err != nil || len(got) != 1 || string(got[0]) != "fedcba9876543210fedcba9876543210" {
		t.Errorf("EncryptionKeysPreviousBytes = %q, %v", got, err)
	}
	if c.EncryptionKeysPrevious[0] != previous {
		t.Error("redacting changed the configuration")
	}
}
