package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeFile writes content to a file in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// problems returns the ValidationErrors in err, failing the test for any
// other error.
func problems(t *testing.T, err error) ValidationErrors {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("error is %T, not ValidationErrors: %v", err, err)
	}
	return ve
}

func TestLoadPrecedence(t *testing.T) {
	const file = `
listen: file:1
data_dir: /file
database: postgres://file/db
region: eu-west-1
regions: [eu-west-1, eu-central-1]
account_id: "111111111111"
log:
  level: warn
`
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags map[string]string
		want  func(*Config)
	}{
		{
			name: "defaults only",
			want: func(*Config) {},
		},
		{
			name: "file over defaults",
			file: file,
			want: func(c *Config) {
				c.Listen = "file:1"
				c.DataDir = "/file"
				c.Database = "postgres://file/db"
				c.Region = "eu-west-1"
				c.Regions = []string{"eu-west-1", "eu-central-1"}
				c.AccountID = "111111111111"
				c.Log.Level = "warn"
			},
		},
		{
			name: "environment over file",
			file: file,
			env: map[string]string{
				"COGNATE_LISTEN":       "env:2",
				"COGNATE_DATABASE_URL": "postgresql://env/db",
				"COGNATE_REGIONS":      " us-west-2 ,, us-east-1 ",
				"COGNATE_LOG_LEVEL":    "",
			},
			want: func(c *Config) {
				c.Listen = "env:2"
				c.DataDir = "/file"
				c.Database = "postgresql://env/db"
				c.Region = "eu-west-1"
				c.Regions = []string{"us-west-2", "us-east-1"}
				c.AccountID = "111111111111"
				c.Log.Level = "warn"
			},
		},
		{
			name: "flags over environment",
			file: file,
			env:  map[string]string{"COGNATE_LISTEN": "env:2", "COGNATE_DATA_DIR": "/env"},
			flags: map[string]string{
				"listen":   "127.0.0.1:0",
				"database": "sqlite",
			},
			want: func(c *Config) {
				c.Listen = "127.0.0.1:0"
				c.DataDir = "/env"
				c.Database = "sqlite"
				c.Region = "eu-west-1"
				c.Regions = []string{"eu-west-1", "eu-central-1"}
				c.AccountID = "111111111111"
				c.Log.Level = "warn"
			},
		},
		{
			name: "every environment variable",
			env: map[string]string{
				"COGNATE_LISTEN":                          ":8080",
				"COGNATE_DATA_DIR":                        "/var/lib/cognate",
				"COGNATE_DATABASE_URL":                    "postgres://u@h/db",
				"COGNATE_SQLITE_SYNCHRONOUS":              "NORMAL",
				"COGNATE_REGION":                          "ap-southeast-2",
				"COGNATE_REGIONS":                         "ap-southeast-2",
				"COGNATE_ACCOUNT_ID":                      "123456789012",
				"COGNATE_ACCESS_KEY_ID":                   "AKIAEXAMPLE234567",
				"COGNATE_SECRET_ACCESS_KEY":               "secretsecretsecretsecret",
				"COGNATE_ACCEPT_ANY_SIGNATURE":            "true",
				"COGNATE_MAX_BODY_BYTES":                  "2048",
				"COGNATE_SHUTDOWN_TIMEOUT":                "5s",
				"COGNATE_LOG_LEVEL":                       "debug",
				"COGNATE_LOG_FORMAT":                      "text",
				"COGNATE_RATE_LIMITS_ENABLED":             "false",
				"COGNATE_CONSOLE_ENABLED":                 "false",
				"COGNATE_PASSWORD_HASHING_MEMORY_KIB":     "65536",
				"COGNATE_PASSWORD_HASHING_ITERATIONS":     "3",
				"COGNATE_PASSWORD_HASHING_PARALLELISM":    "2",
				"COGNATE_CHANGE_LOG_RETENTION":            "720h",
				"COGNATE_CHANGE_LOG_COMPACTION_INTERVAL":  "10m",
				"COGNATE_USER_IMPORT_MAX_CSV_BYTES":       "2097152",
				"COGNATE_USER_IMPORT_MAX_USERS_PER_FILE":  "1000000",
				"COGNATE_USER_IMPORT_UPLOAD_URL_VALIDITY": "15m",
				"COGNATE_STS_MODE":                        "endpoint",
				"COGNATE_STS_ENDPOINT":                    "https://sts.example.com",
				"COGNATE_STS_REGION":                      "eu-west-1",
				"COGNATE_STS_MAX_SESSION_DURATION":        "2h",
			},
			want: func(c *Config) {
				*c = Config{
					Listen:             ":8080",
					DataDir:            "/var/lib/cognate",
					Database:           "postgres://u@h/db",
					SQLite:             SQLiteConfig{Synchronous: "NORMAL"},
					Region:             "ap-southeast-2",
					Regions:            []string{"ap-southeast-2"},
					AccountID:          "123456789012",
					Admin:              AdminConfig{AccessKeyID: "AKIAEXAMPLE234567", SecretAccessKey: "secretsecretsecretsecret"},
					AcceptAnySignature: true,
					MaxBodyBytes:       2048,
					ShutdownTimeout:    Duration(5 * time.Second),
					Log:                LogConfig{Level: "debug", Format: "text"},
					PasswordHashing:    PasswordHashingConfig{MemoryKiB: 65536, Iterations: 3, Parallelism: 2},
					RateLimits:         withProtection(RateLimitsConfig{Enabled: boolPtr(false), Scale: 1}),
					ChangeLog:          ChangeLogConfig{Retention: Duration(720 * time.Hour), CompactionInterval: Duration(10 * time.Minute)},
					UserImport:         UserImportConfig{MaxCSVBytes: 2 << 20, MaxUsersPerFile: 1_000_000, UploadURLValidity: Duration(15 * time.Minute)},
					STS:                STSConfig{Mode: STSModeEndpoint, Endpoint: "https://sts.example.com", Region: "eu-west-1", MaxSessionDuration: Duration(2 * time.Hour)},
					HostedUI:           HostedUIConfig{DomainPattern: "{prefix}.auth.{region}.localhost", PublicForm: "path"},
					Console:            ConsoleConfig{Enabled: boolPtr(false)},
					Triggers:           TriggersConfig{Timeout: Duration(DefaultTriggerTimeout), Attempts: DefaultTriggerAttempts, MaxResponseBytes: DefaultTriggerMaxResponseBytes},
					Replication:        ReplicationConfig{StreamReplicas: 1, DefaultPoolRegions: PoolRegionsAll},
				}
			},
		},
		{
			name: "every file key",
			file: `
listen: "[::1]:9229"
data_dir: data
database: sqlite
sqlite: {synchronous: EXTRA}
region: us-gov-west-1
regions: []
account_id: "123456789012"
admin:
  access_key_id: AKIAEXAMPLE234567
  secret_access_key: secretsecretsecretsecret
accept_any_signature: yes
max_body_bytes: 67108864
shutdown_timeout: 1m30s
log: {level: error, format: json}
password_hashing: {memory_kib: 32768, iterations: 4, parallelism: 1}
rate_limits: {enabled: true, scale: 0.5, categories: {UserAuthentication: 500, UserList: 2.5}}
change_log: {retention: 48h, compaction_interval: 30m}
user_import: {max_csv_bytes: 1048576, max_users_per_file: 1000000, upload_url_validity: 2h}
console: {enabled: true}
sts:
  mode: aws
  region: us-west-2
  max_session_duration: 1h
  trusted_issuers:
    - {issuer: "https://idp.example.com", audiences: [app], roles: ["arn:aws:iam::123456789012:role/App*"]}
`,
			want: func(c *Config) {
				*c = Config{
					Listen:             "[::1]:9229",
					DataDir:            "data",
					Database:           "sqlite",
					SQLite:             SQLiteConfig{Synchronous: "EXTRA"},
					Region:             "us-gov-west-1",
					Regions:            []string{},
					AccountID:          "123456789012",
					Admin:              AdminConfig{AccessKeyID: "AKIAEXAMPLE234567", SecretAccessKey: "secretsecretsecretsecret"},
					AcceptAnySignature: true,
					MaxBodyBytes:       64 << 20,
					ShutdownTimeout:    Duration(90 * time.Second),
					Log:                LogConfig{Level: "error", Format: "json"},
					PasswordHashing:    PasswordHashingConfig{MemoryKiB: 32768, Iterations: 4, Parallelism: 1},
					RateLimits: withProtection(RateLimitsConfig{Enabled: boolPtr(true), Scale: 0.5,
						Categories: map[string]float64{"UserAuthentication": 500, "UserList": 2.5}}),
					ChangeLog:  ChangeLogConfig{Retention: Duration(48 * time.Hour), CompactionInterval: Duration(30 * time.Minute)},
					UserImport: UserImportConfig{MaxCSVBytes: 1 << 20, MaxUsersPerFile: 1_000_000, UploadURLValidity: Duration(2 * time.Hour)},
					STS: STSConfig{Mode: STSModeAWS, Region: "us-west-2", MaxSessionDuration: Duration(time.Hour),
						TrustedIssuers: []TrustedIssuerConfig{{Issuer: "https://idp.example.com", Audiences: []string{"app"},
							Roles: []string{"arn:aws:iam::123456789012:role/App*"}}}},
					HostedUI:    HostedUIConfig{DomainPattern: "{prefix}.auth.{region}.localhost", PublicForm: "path"},
					Console:     ConsoleConfig{Enabled: boolPtr(true)},
					Triggers:    TriggersConfig{Timeout: Duration(DefaultTriggerTimeout), Attempts: DefaultTriggerAttempts, MaxResponseBytes: DefaultTriggerMaxResponseBytes},
					Replication: ReplicationConfig{StreamReplicas: 1, DefaultPoolRegions: PoolRegionsAll},
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env), Flags: tc.flags}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			got, warnings, err := Load(src)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			want := Default()
			tc.want(&want)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadJSONFile(t *testing.T) {
	path := writeFile(t, "cognate.json", "{\n\t\"listen\": \"127.0.0.1:1\",\n\t\"log\": {\"level\": \"debug\"},\n\t\"regions\": [\"us-east-1\"]\n}\n")
	got, _, err := Load(Sources{File: path})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Listen = "127.0.0.1:1"
	want.Log.Level = "debug"
	want.Regions = []string{"us-east-1"}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags map[string]string
		want  ValidationErrors
	}{
		{
			name: "unknown keys at every level",
			file: "listen: localhost:1\nlisten_addr: x\nlog:\n  level: info\n  colour: red\nsqlite:\n  journal: wal\n",
			want: ValidationErrors{
				"listen_addr: unknown key (line 2)",
				"log.colour: unknown key (line 5)",
				"sqlite.journal: unknown key (line 7)",
			},
		},
		{
			name: "unknown keys in a list of blocks",
			file: "sts:\n  trusted_issuers:\n    - {issuer: 'https://idp.example.com', audience: [a]}\n    - x\n",
			want: ValidationErrors{
				`sts.trusted_issuers[0].audience: unknown key (line 3); did you mean "sts.trusted_issuers[0].audiences"?`,
				"sts.trusted_issuers[1]: must be a mapping of keys (line 4)",
				"sts.trusted_issuers[1].issuer: required",
			},
		},
		{
			name: "values of the wrong type",
			file: "max_body_bytes: big\naccept_any_signature: maybe\nregions: us-east-1\nshutdown_timeout: soon\nlog: debug\nlisten: [a, b]\n",
			want: ValidationErrors{
				"max_body_bytes: must be an integer (line 1)",
				"accept_any_signature: must be true or false (line 2)",
				"regions: must be a list of strings (line 3)",
				`shutdown_timeout: must be a duration like "30s" or "1m30s" (line 4)`,
				"log: must be a mapping of keys (line 5)",
				"listen: must be a string (line 6)",
			},
		},
		{
			name: "repeated key",
			file: "listen: a:1\nlog: {level: info}\nlisten: b:2\n",
			want: ValidationErrors{"listen: repeated key (lines 1 and 3)"},
		},
		{
			name: "not a mapping",
			file: "- listen\n",
			want: ValidationErrors{"config file: must be a mapping of keys (line 1)"},
		},
		{
			name: "two documents",
			file: "listen: a:1\n---\nlisten: b:2\n",
			want: ValidationErrors{"config file: must hold exactly one document"},
		},
		{
			name: "syntax error",
			file: "listen: [a\n",
			want: ValidationErrors{"config file: line 1: did not find expected ',' or ']'"},
		},
		{
			name: "file problems and validation problems together",
			file: "colour: red\naccount_id: 42\n",
			want: ValidationErrors{
				"colour: unknown key (line 1)",
				"account_id: must be 12 digits",
			},
		},
		{
			name: "environment values that do not parse",
			env: map[string]string{
				"COGNATE_ACCEPT_ANY_SIGNATURE": "maybe",
				"COGNATE_MAX_BODY_BYTES":       "1MiB",
				"COGNATE_SHUTDOWN_TIMEOUT":     "30",
			},
			want: ValidationErrors{
				"accept_any_signature: COGNATE_ACCEPT_ANY_SIGNATURE: must be true or false",
				"max_body_bytes: COGNATE_MAX_BODY_BYTES: must be an integer",
				`shutdown_timeout: COGNATE_SHUTDOWN_TIMEOUT: must be a duration like "30s" or "1m30s"`,
			},
		},
		{
			name:  "flags",
			flags: map[string]string{"colour": "red", "max_body_bytes": "x", "listen": "nope"},
			want: ValidationErrors{
				"colour: cannot be set by a flag",
				"max_body_bytes: flag: must be an integer",
				"listen: must be host:port",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env), Flags: tc.flags}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			cfg, _, err := Load(src)
			if cfg != nil {
				t.Errorf("Load returned a config with errors")
			}
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadEmptyFiles(t *testing.T) {
	for _, content := range []string{"", "\n# nothing yet\n", "~\n", "{}\n"} {
		got, _, err := Load(Sources{File: writeFile(t, "cognate.yaml", content)})
		if err != nil {
			t.Fatalf("Load(%q): %v", content, err)
		}
		want := Default()
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("Load(%q) (-want +got):\n%s", content, diff)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(Sources{File: filepath.Join(t.TempDir(), "missing.yaml")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load: %v, want fs.ErrNotExist", err)
	}
}

func TestEnvVars(t *testing.T) {
	got := EnvVars()
	for key, env := range map[string]string{
		"listen":                  "COGNATE_LISTEN",
		"data_dir":                "COGNATE_DATA_DIR",
		"database":                "COGNATE_DATABASE_URL",
		"region":                  "COGNATE_REGION",
		"regions":                 "COGNATE_REGIONS",
		"account_id":              "COGNATE_ACCOUNT_ID",
		"admin.access_key_id":     "COGNATE_ACCESS_KEY_ID",
		"admin.secret_access_key": "COGNATE_SECRET_ACCESS_KEY",
		"accept_any_signature":    "COGNATE_ACCEPT_ANY_SIGNATURE",
	} {
		if got[key] != env {
			t.Errorf("EnvVars()[%q] = %q, want %q", key, got[key], env)
		}
	}
}

func TestEncryptionKeysPreviousFromEnv(t *testing.T) {
	env := map[string]string{
		"COGNATE_ENCRYPTION_KEY":           "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"COGNATE_ENCRYPTION_KEYS_PREVIOUS": " ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA= ,,YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=",
	}
	c, _, err := Load(Sources{Env: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []Secret{"ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=", "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="}
	if diff := cmp.Diff(want, c.EncryptionKeysPrevious); diff != "" {
		t.Errorf("EncryptionKeysPrevious (-want +got):\n%s", diff)
	}
}
