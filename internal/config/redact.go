package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"

	"go.yaml.in/yaml/v3"
)

// redacted replaces a secret wherever a configuration is shown.
const redacted = "REDACTED"

// Secret is a string that does not show itself. Printing it with fmt,
// logging it with slog and marshalling it to YAML or JSON all give
// "REDACTED" (or "" when it is empty); Reveal returns the value.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML hides the value from YAML.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON hides the value from JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Redacted returns a copy of c that is safe to show: the admin secret, the
// SMTP password, the SMS webhook secret, the encryption key and any password in the database
// URL are replaced by "REDACTED".
func (c Config) Redacted() Config {
	r := c
	r.Regions = slices.Clone(c.Regions)
	r.CORS.AllowedOrigins = slices.Clone(c.CORS.AllowedOrigins)
	r.IdentityPools = c.IdentityPools.clone()
	r.Federation = c.Federation.clone()
	if r.Admin.SecretAccessKey != "" {
		r.Admin.SecretAccessKey = redacted
	}
	r.Database = redactDatabase(c.Database)
	r.Replication.Peers = slices.Clone(c.Replication.Peers)
	r.Replication.NATSURL = redactURL(c.Replication.NATSURL)
	r.Messaging = c.Messaging.redacted()
	r.Triggers = c.Triggers.redacted()
	r.LogDelivery = c.LogDelivery.redacted()
	if r.EncryptionKey != "" {
		r.EncryptionKey = redacted
	}
	r.EncryptionKeysPrevious = nil
	for range c.EncryptionKeysPrevious {
		r.EncryptionKeysPrevious = append(r.EncryptionKeysPrevious, redacted)
	}
	return r
}

// redactDatabase hides the password of a connection URL, whether it is in
// the user info or in a password query parameter. A value that does not
// parse as a URL is hidden whole, since it is not clear where a password
// would be.
func redactDatabase(s string) string {
	if s == "" || s == BackendSQLite {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return redacted
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", redacted)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// String returns the redacted configuration as YAML, in the shape of a
// config file.
func (c Config) String() string {
	b, err := yaml.Marshal(c.Redacted())
	if err != nil {
		return fmt.Sprintf("config: %v", err)
	}
	return string(b)
}

// plainConfig has Config's fields without its methods, so that GoString
// can format one without calling itself.
type plainConfig Config

// GoString formats the redacted configuration for %#v.
func (c Config) GoString() string { return fmt.Sprintf("%#v", plainConfig(c.Redacted())) }

// LogValue logs the redacted configuration as a group.
func (c Config) LogValue() slog.Value {
	r := c.Redacted()
	return slog.GroupValue(
		slog.String("listen", r.Listen),
		slog.String("data_dir", r.DataDir),
		slog.String("database", r.Database),
		slog.Group("sqlite", slog.String("synchronous", r.SQLite.Synchronous)),
		slog.String("region", r.Region),
		slog.Any("regions", r.Regions),
		slog.String("account_id", r.AccountID),
		slog.Group("admin",
			slog.String("access_key_id", r.Admin.AccessKeyID),
			slog.String("secret_access_key", r.Admin.SecretAccessKey.String())),
		slog.Bool("accept_any_signature", r.AcceptAnySignature),
		slog.Int64("max_body_bytes", r.MaxBodyBytes),
		slog.String("shutdown_timeout", r.ShutdownTimeout.String()),
		slog.Group("log", slog.String("level", r.Log.Level), slog.String("format", r.Log.Format)),
		slog.Attr{Key: "messaging", Value: r.Messaging.logValue()},
		slog.Group("password_hashing", slog.Any("memory_kib", r.PasswordHashing.MemoryKiB),
			slog.Any("iterations", r.PasswordHashing.Iterations), slog.Any("parallelism", r.PasswordHashing.Parallelism)),
		slog.String("issuer_base_url", r.IssuerBaseURL),
		slog.String("encryption_key", r.EncryptionKey.String()),
		slog.Int("encryption_keys_previous", len(r.EncryptionKeysPrevious)),
		slog.Attr{Key: "rate_limits", Value: r.RateLimits.logValue()},
		slog.String("pprof_listen", r.PprofListen),
		slog.Attr{Key: "cors", Value: r.CORS.logValue()},
		slog.Attr{Key: "identity_pools", Value: r.IdentityPools.logValue()},
		slog.Attr{Key: "change_log", Value: r.ChangeLog.logValue()},
		slog.Attr{Key: "user_import", Value: r.UserImport.logValue()},
		slog.Attr{Key: "sts", Value: r.STS.logValue()},
		slog.Attr{Key: "hosted_ui", Value: r.HostedUI.logValue()},
		slog.Attr{Key: "console", Value: r.Console.logValue()},
		slog.Attr{Key: "federation", Value: r.Federation.logValue()},
		slog.Attr{Key: "tls", Value: r.TLS.logValue()},
		slog.Attr{Key: "triggers", Value: r.Triggers.logValue()},
		slog.Attr{Key: "replication", Value: r.Replication.logValue()},
		slog.Attr{Key: "log_delivery", Value: r.LogDelivery.logValue()},
		slog.Attr{Key: "threat_protection", Value: r.ThreatProtection.logValue()},
	)
}
