package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHelpListsEveryCommand guards that cognate --help, -h and help name
// every command, each with its one line.
func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}} {
		code, stdout, _ := runCmd(t, nil, args...)
		if code != exitOK {
			t.Errorf("%v: exit code %d", args, code)
		}
		for _, c := range commands {
			line := "  " + c.name + strings.Repeat(" ", max(2, 17-len(c.name))) + c.summary + "\n"
			if !strings.Contains(stdout, line) {
				t.Errorf("%v: the command list lacks %q:\n%s", args, line, stdout)
			}
		}
	}
	want := []string{"serve", "migrate", "config validate", "config print", "issuer show", "issuer set", "replication status", "replication reseed", "replication conflicts", "bench", "console add-admin", "version"}
	var got []string
	for _, c := range commands {
		got = append(got, c.name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

// TestConfigPrint guards that config print shows the effective
// configuration with secrets redacted and, after each value, where it came
// from.
func TestConfigPrint(t *testing.T) {
	file := writeFile(t, "cognate.yaml", `listen: 0.0.0.0:9229
regions: [us-east-1, eu-west-1]
admin:
  access_key_id: AKIAIOSFODNN7EXAMPLE
  secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
rate_limits:
  categories: {UserList: 3}
`)
	env := map[string]string{
		"COGNATE_LOG_LEVEL":      "debug",
		"COGNATE_DATABASE_URL":   "postgres://cognate:hunter2@db.internal:5432/cognate?sslmode=disable",
		"COGNATE_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	}
	code, stdout, stderr := runCmd(t, env, "config", "print", "--config", file, "--data-dir", "/var/lib/cognate")
	if code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	want := `# the effective configuration; secrets REDACTED; keys not shown are unset
listen: 0.0.0.0:9229 # file (line 1)
data_dir: /var/lib/cognate # flag
database: postgres://cognate:REDACTED@db.internal:5432/cognate?sslmode=disable # environment COGNATE_DATABASE_URL
sqlite:
  synchronous: FULL # default
region: us-east-1 # default
regions: # file (line 2)
  - us-east-1
  - eu-west-1
account_id: "000000000000" # default
admin:
  access_key_id: AKIAIOSFODNN7EXAMPLE # file (line 4)
  secret_access_key: REDACTED # file (line 5)
accept_any_signature: false # default
max_body_bytes: 1048576 # default
shutdown_timeout: 30s # default
log:
  level: debug # environment COGNATE_LOG_LEVEL
  format: json # default
password_hashing:
  memory_kib: 19456 # default
  iterations: 2 # default
  parallelism: 1 # default
encryption_key: REDACTED # environment COGNATE_ENCRYPTION_KEY
rate_limits:
  enabled: true # default
  scale: 1 # default
  categories: # file (line 7)
    UserList: 3
  per_user:
    enabled: true # default
    rate: 10 # default
    burst: 10 # default
  per_address:
    enabled: true # default
    rate: 100 # default
    burst: 200 # default
change_log:
  retention: 168h0m0s # default
  compaction_interval: 1h0m0s # default
user_import:
  max_csv_bytes: 104857600 # default
  max_users_per_file: 500000 # default
  upload_url_validity: 1h0m0s # default
sts:
  mode: local # default
  max_session_duration: 12h0m0s # default
hosted_ui:
  domain_pattern: '{prefix}.auth.{region}.localhost' # default
  public_form: path # default
console:
  enabled: true # default
triggers:
  timeout: 5s # default
  attempts: 3 # default
  max_response_bytes: 6291456 # default
  routes: [] # default
replication:
  nats_url: "" # default
  peers: [] # default
  embedded_listen: "" # default
  stream_replicas: 1 # default
  default_pool_regions: all # default
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("config print (-want +got):\n%s", diff)
	}
	for _, secret := range []string{"hunter2", "wJalrXUtnFEMI", "AAECAwQF"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("config print shows a secret (%s)", secret)
		}
	}
	// A configuration with problems is reported as validate reports it.
	code, stdout, stderr = runCmd(t, nil, "config", "print", "--listen", "nowhere")
	if code != exitError || stdout != "" || stderr != "invalid configuration:\n  listen: must be host:port\n" {
		t.Errorf("bad config: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestConfigValidateCatchesWhatServeRefuses guards that config validate
// reports a PostgreSQL URL that does not parse as a connection string and
// a data directory serve cannot write, which it used to pass, and that it
// changes nothing in the data directory it probes.
func TestConfigValidateCatchesWhatServeRefuses(t *testing.T) {
	dir := t.TempDir()
	aFile := filepath.Join(dir, "a-file")
	if err := os.WriteFile(aFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "data")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	key := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	looseKey := filepath.Join(dir, "loose")
	if err := os.Mkdir(looseKey, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(looseKey, "encryption.key"), make([]byte, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "existing writable data directory",
			args:       []string{"--data-dir", existing},
			wantStdout: "config ok\n",
		},
		{
			name:       "data directory serve would create",
			args:       []string{"--data-dir", filepath.Join(existing, "new", "deeper")},
			wantStdout: "config ok\n",
		},
		{
			name:       "a file where the data directory should be",
			args:       []string{"--data-dir", aFile},
			wantCode:   exitError,
			wantStderr: "invalid configuration:\n  data_dir: " + aFile + " is not a directory\n",
		},
		{
			name:       "a data directory under a file",
			args:       []string{"--data-dir", filepath.Join(aFile, "data")},
			wantCode:   exitError,
			wantStderr: "invalid configuration:\n  data_dir: cannot create " + filepath.Join(aFile, "data") + ": " + aFile + " is not a directory\n",
		},
		{
			name:     "generated encryption key others may read",
			args:     []string{"--data-dir", looseKey},
			wantCode: exitError,
			wantStderr: "invalid configuration:\n  encryption_key (not set, so the key in " + filepath.Join(looseKey, "encryption.key") + "): encryption key file " +
				filepath.Join(looseKey, "encryption.key") + " has mode 0644, so users other than its owner can read it; run chmod 600 on it (and check who may have read it) before starting again\n",
		},
		{
			name: "postgres URL that is not a connection string",
			args: []string{"--data-dir", existing, "--database", "postgres://cognate:hunter2@db.internal/cognate?sslmode=bogus"},
			env: map[string]string{"COGNATE_ENCRYPTION_KEY": key,
				"COGNATE_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "COGNATE_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
			wantCode: exitError,
			wantStderr: "invalid configuration:\n  database: not a PostgreSQL connection URL: " +
				"cannot parse `postgres://cognate:xxxxx@db.internal/cognate?sslmode=bogus`: failed to configure TLS (sslmode is invalid)\n",
		},
		{
			// With a key pair and an encryption key configured, a server on
			// PostgreSQL writes nothing under data_dir.
			name: "postgres needs no data directory",
			args: []string{"--data-dir", aFile, "--database", "postgres://cognate@db.internal:5432/cognate"},
			env: map[string]string{"COGNATE_ENCRYPTION_KEY": key,
				"COGNATE_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "COGNATE_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
			wantStdout: "config ok\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.env, append([]string{"config", "validate"}, tc.args...)...)
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
	// The probe leaves nothing behind, and creates no directory.
	entries, err := os.ReadDir(existing)
	if err != nil || len(entries) != 0 {
		t.Errorf("the data directory holds %v (%v), want nothing", entries, err)
	}
}

// TestServeScreenIssuer guards that the start-up screen shows the bound
// address and the token issuer, and warns when the issuer is a loopback
// URL while the server listens beyond loopback.
func TestServeScreenIssuer(t *testing.T) {
	t.Run("wildcard listener, loopback issuer", func(t *testing.T) {
		s := startServe(t, nil, "--listen", "0.0.0.0:0", "--data-dir", t.TempDir())
		port := strings.TrimPrefix(s.url, "http://localhost:")
		for _, want := range []string{
			"  bound to    0.0.0.0:" + port,
			"  issuer      http://localhost:" + port + "/<pool ID>",
			"  warning     the token issuer http://localhost:" + port + " is a loopback address, but the server listens on 0.0.0.0:" + port +
				": clients on other machines cannot reach it to fetch the signing keys; set issuer_base_url to the URL they use",
		} {
			if !slicesContains(s.screen, want) {
				t.Errorf("screen lacks %q:\n%s", want, strings.Join(s.screen, "\n"))
			}
		}
	})
	t.Run("wildcard listener, public issuer", func(t *testing.T) {
		s := startServe(t, map[string]string{"COGNATE_ISSUER_BASE_URL": "https://id.example.com"}, "--listen", "0.0.0.0:0", "--data-dir", t.TempDir())
		if want := "  issuer      https://id.example.com/<pool ID>"; !slicesContains(s.screen, want) {
			t.Errorf("screen lacks %q:\n%s", want, strings.Join(s.screen, "\n"))
		}
		if screen := strings.Join(s.screen, "\n"); strings.Contains(screen, "warning") {
			t.Errorf("screen warns:\n%s", screen)
		}
	})
}
