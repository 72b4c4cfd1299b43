package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// File names under the data directory.
const (
	// SQLiteFile is the SQLite database file inside DataDir.
	SQLiteFile = "cognate.db"
	// AdminCredentialsFile holds the generated admin key pair inside DataDir.
	AdminCredentialsFile = "admin-credentials.json"
)

// Backend names, as Config.Backend returns them.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Config is the complete configuration of a cognate server. The yaml tags
// are the key names of the config file; Load fills it from defaults, the
// file, the environment and flags, in that order of precedence.
type Config struct {
	// Listen is the host:port the HTTP server binds.
	Listen string `yaml:"listen"`
	// DataDir holds the SQLite database and the generated admin key pair.
	DataDir string `yaml:"data_dir"`
	// Database is "sqlite" or a postgres:// (postgresql://) connection URL.
	Database string `yaml:"database"`
	// SQLite tunes the SQLite backend.
	SQLite SQLiteConfig `yaml:"sqlite"`
	// Region is this server's own region: the origin region written to the
	// change log and the region of pools created here.
	Region string `yaml:"region"`
	// Regions lists the regions the server accepts in request signatures
	// and IDs; empty accepts any valid region name.
	Regions []string `yaml:"regions"`
	// AccountID is the 12-digit AWS account ID used in ARNs.
	AccountID string `yaml:"account_id"`
	// Admin is the key pair that signs IAM-authorized requests. When it is
	// not configured, cmd/cognate generates one under DataDir.
	Admin AdminConfig `yaml:"admin"`
	// AcceptAnySignature skips SigV4 verification. Development only.
	AcceptAnySignature bool `yaml:"accept_any_signature"`
	// MaxBodyBytes caps the size of a request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds how long requests in flight may run after a
	// shutdown signal.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// Log configures the JSON (or text) log on stderr.
	Log LogConfig `yaml:"log"`
	// Messaging selects the real email and SMS senders; nothing set means
	// the development outbox.
	Messaging MessagingConfig `yaml:"messaging,omitempty"`
	// PasswordHashing sets the argon2id cost of new password hashes.
	PasswordHashing PasswordHashingConfig `yaml:"password_hashing"`
	// IssuerBaseURL is the base of token issuers: a pool's iss claim is
	// IssuerBaseURL/<pool ID>. Empty means the URL the server listens on.
	IssuerBaseURL string `yaml:"issuer_base_url,omitempty"`
	// EncryptionKey (32 bytes, base64) encrypts signing keys and SRP
	// verifiers at rest. Empty means a key generated into
	// DataDir/encryption.key. It is never stored in the database.
	EncryptionKey Secret `yaml:"encryption_key,omitempty"`
	// EncryptionKeysPrevious (each 32 bytes, base64) are earlier encryption
	// keys, still accepted for reading while a key rotation re-seals what
	// they sealed with the current key. They are never stored either.
	EncryptionKeysPrevious []Secret `yaml:"encryption_keys_previous,omitempty"`
	// RateLimits sets the request-rate limits.
	RateLimits RateLimitsConfig `yaml:"rate_limits,omitempty"`
	// PprofListen is a loopback host:port on which the server also serves
	// Go's runtime profiles (net/http/pprof, under /debug/pprof/), for
	// finding where a running server spends its time. Empty (the default)
	// serves none.
	PprofListen string `yaml:"pprof_listen,omitempty"`
	// CORS says which browser applications on other origins may call the
	// API; by default any may, as with Cognito.
	CORS CORSConfig `yaml:"cors,omitempty"`
	// IdentityPools configures identity pools: the OpenID Connect
	// providers they may name.
	IdentityPools IdentityPoolsConfig `yaml:"identity_pools,omitempty"`
	// ChangeLog says how long the change log keeps superseded states and
	// tombstones.
	ChangeLog ChangeLogConfig `yaml:"change_log"`
	// UserImport configures user import jobs: the largest CSV and how long
	// an upload URL is valid.
	UserImport UserImportConfig `yaml:"user_import"`
	// STS says where identity pools get temporary credentials, and what
	// cognate's own STS trusts.
	STS STSConfig `yaml:"sts"`
	// HostedUI says where the pools' domains (hosted UI and OAuth 2.0
	// endpoints) are served.
	HostedUI HostedUIConfig `yaml:"hosted_ui"`
	// Console configures the admin console under /console/.
	Console ConsoleConfig `yaml:"console"`
	// Federation configures sign-in through the pools' identity
	// providers.
	Federation FederationConfig `yaml:"federation,omitempty"`
	// TLS makes the server serve HTTPS with a certificate and key.
	TLS TLSConfig `yaml:"tls,omitempty"`
	// Triggers says how the functions of the pools' Lambda triggers are
	// reached, and Cognito's timeout and retries.
	Triggers TriggersConfig `yaml:"triggers"`
	// Replication is the topology of active/active replication between
	// regions; off unless replication.nats_url is set.
	Replication ReplicationConfig `yaml:"replication"`
	// LogDelivery lists the destinations of the pools' exported logs.
	LogDelivery LogDeliveryConfig `yaml:"log_delivery,omitempty"`
	// ThreatProtection configures the breached-password list.
	ThreatProtection ThreatProtectionConfig `yaml:"threat_protection,omitempty"`
}

// PasswordHashingConfig is the argon2id cost of new password hashes.
type PasswordHashingConfig struct {
	// MemoryKiB is the memory of one hash in KiB.
	MemoryKiB uint32 `yaml:"memory_kib"`
	// Iterations is the number of passes.
	Iterations uint32 `yaml:"iterations"`
	// Parallelism is the number of lanes.
	Parallelism uint8 `yaml:"parallelism"`
}

// EncryptionKeyFile is the generated encryption key's file under DataDir.
const EncryptionKeyFile = "encryption.key"

// EncryptionKeyPath returns the path of the generated encryption key.
func (c *Config) EncryptionKeyPath() string { return filepath.Join(c.DataDir, EncryptionKeyFile) }

// EncryptionKeyBytes decodes EncryptionKey; ok is false when it is unset.
func (c *Config) EncryptionKeyBytes() (key []byte, ok bool, err error) {
	if c.EncryptionKey == "" {
		return nil, false, nil
	}
	key, err = decodeEncryptionKey(c.EncryptionKey)
	return key, true, err
}

// EncryptionKeysPreviousBytes decodes EncryptionKeysPrevious, in order.
func (c *Config) EncryptionKeysPreviousBytes() ([][]byte, error) {
	var keys [][]byte
	for i, s := range c.EncryptionKeysPrevious {
		key, err := decodeEncryptionKey(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

func decodeEncryptionKey(s Secret) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(string(s))
	if err != nil || len(key) != 32 {
		return nil, errors.New("must be 32 bytes in standard base64")
	}
	return key, nil
}

// SQLiteConfig tunes the SQLite backend.
type SQLiteConfig struct {
	// Synchronous is the PRAGMA synchronous mode: FULL, NORMAL or EXTRA.
	Synchronous string `yaml:"synchronous"`
}

// AdminConfig is an AWS-style access key pair.
type AdminConfig struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey Secret `yaml:"secret_access_key"`
}

// IsZero reports whether neither half of the key pair is set.
func (a AdminConfig) IsZero() bool { return a.AccessKeyID == "" && a.SecretAccessKey == "" }

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or text.
	Format string `yaml:"format"`
}

// SlogLevel returns the slog level named by Level; it assumes Level is
// valid and falls back to info otherwise.
func (l LogConfig) SlogLevel() slog.Level {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		return slog.LevelInfo
	}
	return lv
}

// Default returns the configuration a server runs with when nothing is
// configured.
func Default() Config {
	on := true
	return Config{
		Listen:          "localhost:9229",
		DataDir:         "./cognate-data",
		Database:        BackendSQLite,
		SQLite:          SQLiteConfig{Synchronous: "FULL"},
		Region:          "us-east-1",
		AccountID:       "000000000000",
		MaxBodyBytes:    1 << 20,
		ShutdownTimeout: Duration(30 * time.Second),
		Log:             LogConfig{Level: "info", Format: "json"},
		RateLimits: RateLimitsConfig{Enabled: &on, Scale: 1,
			PerUser:    RateConfig{Enabled: &on, Rate: ratelimit.DefaultPerUser.PerSecond, Burst: ratelimit.DefaultPerUser.Burst},
			PerAddress: RateConfig{Enabled: &on, Rate: ratelimit.DefaultPerAddress.PerSecond, Burst: ratelimit.DefaultPerAddress.Burst}},
		PasswordHashing: PasswordHashingConfig{MemoryKiB: 19456, Iterations: 2, Parallelism: 1},
		ChangeLog:       ChangeLogConfig{Retention: Duration(defaultChangeLogRetain), CompactionInterval: Duration(defaultChangeLogCompact)},
		UserImport:      UserImportConfig{MaxCSVBytes: defaultImportCSVBytes, MaxUsersPerFile: defaultImportUsersPerFile, UploadURLValidity: Duration(defaultImportUploadValidity)},
		STS:             STSConfig{Mode: STSModeLocal, MaxSessionDuration: Duration(MaxSTSSessionDuration)},
		HostedUI:        HostedUIConfig{DomainPattern: defaultDomainPattern, PublicForm: "path"},
		Console:         ConsoleConfig{Enabled: &on},
		Triggers: TriggersConfig{Timeout: Duration(DefaultTriggerTimeout), Attempts: DefaultTriggerAttempts,
			MaxResponseBytes: DefaultTriggerMaxResponseBytes},
		Replication: ReplicationConfig{StreamReplicas: 1, DefaultPoolRegions: PoolRegionsAll},
	}
}

// applyDefaults fills every unset (zero) field from Default. It is its own
// step so that the file, the environment and flags only ever say what they
// set, and a value of zero means "the default".
func (c *Config) applyDefaults() {
	d := Default()
	setDefault(&c.Listen, d.Listen)
	setDefault(&c.DataDir, d.DataDir)
	setDefault(&c.Database, d.Database)
	setDefault(&c.SQLite.Synchronous, d.SQLite.Synchronous)
	setDefault(&c.Region, d.Region)
	setDefault(&c.AccountID, d.AccountID)
	setDefault(&c.MaxBodyBytes, d.MaxBodyBytes)
	setDefault(&c.ShutdownTimeout, d.ShutdownTimeout)
	setDefault(&c.Log.Level, d.Log.Level)
	setDefault(&c.Log.Format, d.Log.Format)
	setDefault(&c.PasswordHashing.MemoryKiB, d.PasswordHashing.MemoryKiB)
	setDefault(&c.PasswordHashing.Iterations, d.PasswordHashing.Iterations)
	setDefault(&c.PasswordHashing.Parallelism, d.PasswordHashing.Parallelism)
	c.Messaging.applyDefaults()
	c.RateLimits.applyDefaults()
	c.ChangeLog.applyDefaults()
	c.UserImport.applyDefaults()
	c.STS.applyDefaults()
	c.HostedUI.applyDefaults()
	c.Console.applyDefaults()
	c.Triggers.applyDefaults()
	c.Replication.applyDefaults()
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// Backend returns BackendSQLite or BackendPostgres for the configured
// Database, or "" when Database is neither.
func (c *Config) Backend() string {
	if c.Database == BackendSQLite {
		return BackendSQLite
	}
	u, err := url.Parse(c.Database)
	if err != nil {
		return ""
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		return BackendPostgres
	}
	return ""
}

// SQLitePath is the path of the SQLite database file.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, SQLiteFile) }

// AdminCredentialsPath is the path of the generated admin key pair.
func (c *Config) AdminCredentialsPath() string {
	return filepath.Join(c.DataDir, AdminCredentialsFile)
}

// Duration is a time.Duration written as a Go duration string ("30s",
// "1m30s") in the config file.
type Duration time.Duration

// UnmarshalYAML parses a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return errDuration
	}
	*d = v
	return nil
}

var errDuration = fmt.Errorf(`must be a duration like "30s" or "1m30s"`)

func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	return Duration(v), err
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String returns the duration as time.Duration formats it.
func (d Duration) String() string { return time.Duration(d).String() }
