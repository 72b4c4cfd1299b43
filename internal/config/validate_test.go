package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   ValidationErrors
	}{
		{name: "defaults", change: func(*Config) {}},
		{
			name: "valid non-defaults",
			change: func(c *Config) {
				c.Listen = ":0"
				c.Database = "postgresql://user:pw@db.internal:5432/cognate?sslmode=require"
				c.SQLite.Synchronous = "NORMAL"
				c.Region = "cn-northwest-1"
				c.Regions = []string{"us-east-1", "us-isob-east-1", "eu-central-2"}
				c.Admin = AdminConfig{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
				c.MaxBodyBytes = MinBodyBytes
				c.Log = LogConfig{Level: "error", Format: "text"}
			},
		},
		{
			name:   "listen without a port",
			change: func(c *Config) { c.Listen = "localhost" },
			want:   ValidationErrors{"listen: must be host:port"},
		},
		{
			name:   "listen with a port out of range",
			change: func(c *Config) { c.Listen = "localhost:65536" },
			want:   ValidationErrors{"listen: must be host:port"},
		},
		{
			name:   "listen with a named port",
			change: func(c *Config) { c.Listen = "localhost:http" },
			want:   ValidationErrors{"listen: must be host:port"},
		},
		{
			name:   "pprof on a loopback address",
			change: func(c *Config) { c.PprofListen = "127.0.0.1:6060" },
			want:   nil,
		},
		{
			name:   "pprof on the IPv6 loopback",
			change: func(c *Config) { c.PprofListen = "[::1]:0" },
			want:   nil,
		},
		{
			name:   "pprof without a port",
			change: func(c *Config) { c.PprofListen = "localhost" },
			want:   ValidationErrors{"pprof_listen: must be host:port"},
		},
		{
			name:   "pprof on every interface",
			change: func(c *Config) { c.PprofListen = ":6060" },
			want:   ValidationErrors{"pprof_listen: must be a loopback address (localhost, 127.0.0.1 or [::1]): profiles are for the machine's own operators"},
		},
		{
			name:   "pprof on a public address",
			change: func(c *Config) { c.PprofListen = "0.0.0.0:6060" },
			want:   ValidationErrors{"pprof_listen: must be a loopback address (localhost, 127.0.0.1 or [::1]): profiles are for the machine's own operators"},
		},
		{
			name:   "issuer base URL",
			change: func(c *Config) { c.IssuerBaseURL = "ftp://auth.example.com/" },
			want:   ValidationErrors{"issuer_base_url: must be an http(s) URL without a query, fragment or trailing slash"},
		},
		{
			// docs/tokens.md: iss is compared as an exact string, so a
			// trailing slash is refused rather than dropped.
			name:   "issuer base URL with a trailing slash",
			change: func(c *Config) { c.IssuerBaseURL = "https://auth.example.com/" },
			want:   ValidationErrors{"issuer_base_url: must be an http(s) URL without a query, fragment or trailing slash"},
		},
		{
			// docs/srp.md and docs/configuration.md: the key is base64 only;
			// 64 hex digits (openssl rand -hex 32) are refused.
			name:   "encryption key in hex",
			change: func(c *Config) { c.EncryptionKey = Secret(strings.Repeat("0f", 32)) },
			want:   ValidationErrors{"encryption_key: must be 32 bytes in standard base64"},
		},
		{
			name:   "encryption key",
			change: func(c *Config) { c.EncryptionKey = "c2hvcnQ=" },
			want:   ValidationErrors{"encryption_key: must be 32 bytes in standard base64"},
		},
		{
			name: "previous encryption keys",
			change: func(c *Config) {
				c.EncryptionKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
				c.EncryptionKeysPrevious = []Secret{"c2hvcnQ=", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
					"ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="}
			},
			want: ValidationErrors{
				"encryption_keys_previous[0]: must be 32 bytes in standard base64",
				"encryption_keys_previous[1]: is encryption_key itself; list only earlier keys",
				"encryption_keys_previous[3]: is listed twice",
			},
		},
		{
			name:   "database mysql",
			change: func(c *Config) { c.Database = "mysql://localhost/cognate" },
			want:   ValidationErrors{`database: must be "sqlite" or a postgres:// URL`},
		},
		{
			name:   "database keyword DSN",
			change: func(c *Config) { c.Database = "host=localhost dbname=cognate" },
			want:   ValidationErrors{`database: must be "sqlite" or a postgres:// URL`},
		},
		{
			name:   "sqlite synchronous",
			change: func(c *Config) { c.SQLite.Synchronous = "off" },
			want:   ValidationErrors{`sqlite.synchronous: must be FULL, NORMAL or EXTRA, not "off"`},
		},
		{
			name:   "region",
			change: func(c *Config) { c.Region = "US-EAST-1" },
			want:   ValidationErrors{`region: "US-EAST-1" is not a valid region name`},
		},
		{
			name:   "regions",
			change: func(c *Config) { c.Regions = []string{"us-east-1", "moon-1", "us-west-2", "us-east-1"} },
			want: ValidationErrors{
				`regions[1]: "moon-1" is not a valid region name`,
				`regions[3]: "us-east-1" is listed twice`,
			},
		},
		{
			name:   "account id",
			change: func(c *Config) { c.AccountID = "12345678901a" },
			want:   ValidationErrors{"account_id: must be 12 digits"},
		},
		{
			name:   "admin key id alone",
			change: func(c *Config) { c.Admin.AccessKeyID = "AKIAIOSFODNN7EXAMPLE" },
			want:   ValidationErrors{"admin: access_key_id and secret_access_key must be set together"},
		},
		{
			name:   "admin secret alone",
			change: func(c *Config) { c.Admin.SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
			want:   ValidationErrors{"admin: access_key_id and secret_access_key must be set together"},
		},
		{
			name: "admin pair malformed",
			change: func(c *Config) {
				c.Admin = AdminConfig{AccessKeyID: "test", SecretAccessKey: "has a space in it, sadly"}
			},
			want: ValidationErrors{
				"admin.access_key_id: must be 16 to 128 characters of A-Z and 0-9",
				"admin.secret_access_key: must be 16 to 128 printable characters without spaces",
			},
		},
		{
			name:   "max body bytes too small",
			change: func(c *Config) { c.MaxBodyBytes = 1023 },
			want:   ValidationErrors{"max_body_bytes: must be between 1024 and 67108864"},
		},
		{
			name:   "max body bytes too large",
			change: func(c *Config) { c.MaxBodyBytes = 64<<20 + 1 },
			want:   ValidationErrors{"max_body_bytes: must be between 1024 and 67108864"},
		},
		{
			name:   "shutdown timeout",
			change: func(c *Config) { c.ShutdownTimeout = -1 },
			want:   ValidationErrors{"shutdown_timeout: must be positive"},
		},
		{
			name:   "log",
			change: func(c *Config) { c.Log = LogConfig{Level: "trace", Format: "logfmt"} },
			want: ValidationErrors{
				`log.level: must be debug, info, warn or error, not "trace"`,
				`log.format: must be json or text, not "logfmt"`,
			},
		},
		{
			name:   "zero config reports every field",
			change: func(c *Config) { *c = Config{} },
			want: ValidationErrors{
				"listen: must be host:port",
				"data_dir: required",
				`database: must be "sqlite" or a postgres:// URL`,
				`sqlite.synchronous: must be FULL, NORMAL or EXTRA, not ""`,
				`region: "" is not a valid region name`,
				"account_id: must be 12 digits",
				"max_body_bytes: must be between 1024 and 67108864",
				"shutdown_timeout: must be positive",
				`log.level: must be debug, info, warn or error, not ""`,
				`log.format: must be json or text, not ""`,
				"rate_limits.scale: must be a positive number",
				"rate_limits.per_user.rate: must be a positive number of requests per second",
				"rate_limits.per_user.burst: must be a number of requests of at least 1",
				"rate_limits.per_address.rate: must be a positive number of requests per second",
				"rate_limits.per_address.burst: must be a number of requests of at least 1",
				"change_log.retention: must be between 1m and 87600h (ten years)",
				"change_log.compaction_interval: must be between 1m and 24h",
				"user_import.max_csv_bytes: must be between 1024 and 17179869184",
				"user_import.max_users_per_file: must be between 1 and 100000000",
				"user_import.upload_url_validity: must be between 1m and 24h",
				`sts.mode: must be local, aws or endpoint, not ""`,
				"sts.max_session_duration: must be between 15m and 12h",
				`hosted_ui.domain_pattern: must be a lower-case host name that starts with {prefix}. and holds {region} at most once, not ""`,
				`hosted_ui.public_form: must be path or host, not ""`,
				"password_hashing: needs memory_kib from 1024 (and 8 per lane) to 4194304, and iterations and parallelism of at least 1",
			},
		},
		{
			name: "hosted UI and TLS",
			change: func(c *Config) {
				c.HostedUI = HostedUIConfig{DomainPattern: "auth.{prefix}.example.com", PublicForm: "dns"}
				c.TLS = TLSConfig{CertFile: "cert.pem"}
			},
			want: ValidationErrors{
				`hosted_ui.domain_pattern: must be a lower-case host name that starts with {prefix}. and holds {region} at most once, not "auth.{prefix}.example.com"`,
				`hosted_ui.public_form: must be path or host, not "dns"`,
				"tls: needs both cert_file and key_file, or neither",
			},
		},
		{
			name: "federation endpoints",
			change: func(c *Config) {
				c.Federation = FederationConfig{Endpoints: map[string]map[string]string{
					"Google":   {"token_url": "https://idp.example.com/token", "jwks_uri": "ftp://idp.example.com/keys"},
					"Facebook": {"oidc_issuer": "https://idp.example.com"},
					"Twitter":  {"token_url": "https://idp.example.com/token"},
				}}
			},
			want: ValidationErrors{
				`federation.endpoints.Facebook.oidc_issuer: is not an endpoint of Facebook: use one of [authorize_url token_url attributes_url]`,
				`federation.endpoints.Google.jwks_uri: must be an http(s) URL without a fragment, not "ftp://idp.example.com/keys"`,
				"federation.endpoints.Twitter: is not a social provider type: use Google, Facebook, LoginWithAmazon or SignInWithApple",
			},
		},
		{
			name: "change log bounds",
			change: func(c *Config) {
				c.ChangeLog = ChangeLogConfig{Retention: Duration(30 * time.Second), CompactionInterval: Duration(25 * time.Hour)}
			},
			want: ValidationErrors{
				"change_log.retention: must be between 1m and 87600h (ten years)",
				"change_log.compaction_interval: must be between 1m and 24h",
			},
		},
		{
			name: "user import bounds",
			change: func(c *Config) {
				c.UserImport = UserImportConfig{MaxCSVBytes: 1023, MaxUsersPerFile: 100_000_001, UploadURLValidity: Duration(25 * time.Hour)}
			},
			want: ValidationErrors{
				"user_import.max_csv_bytes: must be between 1024 and 17179869184",
				"user_import.max_users_per_file: must be between 1 and 100000000",
				"user_import.upload_url_validity: must be between 1m and 24h",
			},
		},
		{
			name: "change log at its bounds",
			change: func(c *Config) {
				c.ChangeLog = ChangeLogConfig{Retention: Duration(MaxChangeLogRetention), CompactionInterval: Duration(time.Minute)}
			},
		},
		{
			name: "sts",
			change: func(c *Config) {
				c.STS = STSConfig{Mode: STSModeEndpoint, Region: "nowhere", MaxSessionDuration: Duration(13 * time.Hour),
					TrustedIssuers: []TrustedIssuerConfig{
						{Issuer: "ftp://idp.example.com", Audiences: []string{"a", "a"}, Roles: []string{"arn:aws:iam::123456789012:user/x"}},
						{Issuer: "https://idp.example.com"}, {Issuer: "https://idp.example.com"}, {},
					}}
			},
			want: ValidationErrors{
				`sts.endpoint: required with mode "endpoint"`,
				`sts.region: "nowhere" is not a valid region name`,
				"sts.max_session_duration: must be between 15m and 12h",
				"sts.trusted_issuers[0].issuer: must be an http(s) URL without a query or fragment",
				"sts.trusted_issuers[0].audiences[1]: must be a non-empty audience listed once",
				`sts.trusted_issuers[0].roles[0]: "arn:aws:iam::123456789012:user/x" is not a role ARN (arn:aws:iam::<account>:role/<name>, where * matches anything)`,
				"sts.trusted_issuers[2].issuer: is the issuer of sts.trusted_issuers[1]",
				"sts.trusted_issuers[3].issuer: required",
			},
		},
		{
			name: "sts endpoint only for its mode",
			change: func(c *Config) {
				c.STS.Mode, c.STS.Endpoint = STSModeAWS, "https://sts.example.com"
			},
			want: ValidationErrors{`sts.endpoint: is only for mode "endpoint"`},
		},
		{
			name: "password hashing",
			change: func(c *Config) {
				c.PasswordHashing = PasswordHashingConfig{MemoryKiB: 512, Iterations: 2, Parallelism: 1}
			},
			want: ValidationErrors{"password_hashing: needs memory_kib from 1024 (and 8 per lane) to 4194304, and iterations and parallelism of at least 1"},
		},
		{
			name: "log delivery destinations",
			change: func(c *Config) {
				c.LogDelivery.Destinations = []LogDestinationConfig{
					{ARN: "arn:aws:logs:us-east-1:123456789012:log-group:a", File: "/var/log/a.jsonl"},
					{ARN: "arn:aws:logs:us-east-1:123456789012:log-group:a", Stdout: true},
					{ARN: "arn:aws:sqs:us-east-1:123456789012:q", Stdout: true, File: "/tmp/b"},
					{ARN: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s", Webhook: WebhookConfig{URL: "http://logs.example.com", Secret: "short"}},
				}
			},
			want: ValidationErrors{
				`log_delivery.destinations[1].arn: "arn:aws:logs:us-east-1:123456789012:log-group:a" is also log_delivery.destinations[0]`,
				`log_delivery.destinations[2].arn: "arn:aws:sqs:us-east-1:123456789012:q" is not the ARN of a CloudWatch Logs log group, an S3 bucket or a Firehose stream`,
				"log_delivery.destinations[2]: needs exactly one of file, stdout and webhook",
				"log_delivery.destinations[3].webhook.url: must be https (http only toward localhost)",
				"log_delivery.destinations[3].webhook.secret: must be at least 16 characters",
			},
		},
		{
			name: "log delivery through the AWS SDK",
			change: func(c *Config) {
				c.LogDelivery.CloudWatchLogs = AWSLogServiceConfig{Region: "Europe", Endpoint: "ftp://logs"}
				c.LogDelivery.Firehose = AWSLogServiceConfig{FlushInterval: Duration(time.Hour)}
				c.LogDelivery.S3 = S3LogConfig{PathStyle: true}
				c.LogDelivery.MaxAttempts = 11
			},
			want: ValidationErrors{
				`log_delivery.cloudwatch_logs.region: "Europe" is not a valid region name`,
				"log_delivery.cloudwatch_logs.endpoint: must be an http or https URL",
				"log_delivery.firehose.flush_interval: must be between 0 and 15m",
				"log_delivery.firehose: set enabled, region or endpoint to turn the service on",
				"log_delivery.s3: set enabled, region or endpoint to turn the service on",
				"log_delivery.max_attempts: must be between 1 and 10 (0 for the default, 5)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			before := c
			before.Regions = slices.Clone(c.Regions)
			err := c.Validate()
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, c); diff != "" {
				t.Errorf("Validate changed the config (-before +after):\n%s", diff)
			}
		})
	}
}

func TestValidationErrorsMessage(t *testing.T) {
	err := error(ValidationErrors{"listen: must be host:port", "account_id: must be 12 digits"})
	want := "listen: must be host:port\naccount_id: must be 12 digits"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestBackend(t *testing.T) {
	for db, want := range map[string]string{
		"sqlite":                   BackendSQLite,
		"postgres://h/db":          BackendPostgres,
		"postgresql://u:p@h:1/db":  BackendPostgres,
		"postgres:///db?host=/run": BackendPostgres,
		"SQLite":                   "",
		"mysql://h/db":             "",
		"":                         "",
	} {
		c := Config{Database: db}
		if got := c.Backend(); got != want {
			t.Errorf("Backend() for %q = %q, want %q", db, got, want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		if got := (LogConfig{Level: level}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", level, got, want)
		}
	}
}
