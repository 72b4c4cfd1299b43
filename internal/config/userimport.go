package config

import (
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"time"
)

// UserImportConfig configures user import jobs (docs/import.md).
type UserImportConfig struct {
	// MaxCSVBytes is the largest CSV file a job's pre-signed upload URL
	// takes.
	MaxCSVBytes int64 `yaml:"max_csv_bytes"`
	// MaxUsersPerFile is the most users (rows after the header) one
	// job's file may hold; a file with more fails its job before any row
	// is imported.
	MaxUsersPerFile int64 `yaml:"max_users_per_file"`
	// UploadURLValidity is how long a pre-signed upload URL is valid after
	// CreateUserImportJob or DescribeUserImportJob handed it out.
	UploadURLValidity Duration `yaml:"upload_url_validity"`
	// S3, when its bucket is set, takes the CSV uploads of new jobs in an
	// S3-compatible bucket: PreSignedUrl is then a pre-signed S3 PUT.
	S3 UserImportS3Config `yaml:"s3,omitempty"`
}

// UserImportS3Config is the bucket of import uploads. Credentials (and a
// region not given) come from the AWS SDK's default chain.
type UserImportS3Config struct {
	Bucket string `yaml:"bucket,omitempty"`
	// KeyPrefix starts each job's key: <prefix><pool id>/<job id>.csv.
	KeyPrefix string `yaml:"key_prefix,omitempty"`
	Region    string `yaml:"region,omitempty"`
	// Endpoint replaces AWS's (an S3-compatible server).
	Endpoint string `yaml:"endpoint,omitempty"`
	// PathStyle puts the bucket in the URL's path, as most S3-compatible
	// servers want.
	PathStyle bool `yaml:"path_style,omitempty"`
}

// Bounds and defaults of the user-import settings.
const (
	MinImportCSVBytes           = 1 << 10
	MaxImportCSVBytes           = 16 << 30
	defaultImportCSVBytes       = 100 << 20
	MinImportUsersPerFile       = 1
	MaxImportUsersPerFile       = 100_000_000
	defaultImportUsersPerFile   = 500_000
	MinImportUploadURLValidity  = time.Minute
	MaxImportUploadURLValidity  = 24 * time.Hour
	defaultImportUploadValidity = time.Hour
)

func (c *UserImportConfig) applyDefaults() {
	setDefault(&c.MaxCSVBytes, defaultImportCSVBytes)
	setDefault(&c.MaxUsersPerFile, defaultImportUsersPerFile)
	setDefault(&c.UploadURLValidity, Duration(defaultImportUploadValidity))
}

func (c *UserImportConfig) validate(add func(key, format string, args ...any)) {
	if c.MaxCSVBytes < MinImportCSVBytes || c.MaxCSVBytes > MaxImportCSVBytes {
		add("user_import.max_csv_bytes", "must be between %d and %d", MinImportCSVBytes, MaxImportCSVBytes)
	}
	if c.MaxUsersPerFile < MinImportUsersPerFile || c.MaxUsersPerFile > MaxImportUsersPerFile {
		add("user_import.max_users_per_file", "must be between %d and %d", MinImportUsersPerFile, MaxImportUsersPerFile)
	}
	if v := c.UploadURLValidity.Duration(); v < MinImportUploadURLValidity || v > MaxImportUploadURLValidity {
		add("user_import.upload_url_validity", "must be between 1m and 24h")
	}
	if b := c.S3; b != (UserImportS3Config{}) {
		if b.Bucket == "" {
			add("user_import.s3.bucket", "required when another key of user_import.s3 is set")
		}
		if b.Region != "" && !regionPattern.MatchString(b.Region) {
			add("user_import.s3.region", "%q is not a valid region name", b.Region)
		}
		if b.Endpoint != "" {
			if u, err := url.Parse(b.Endpoint); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				add("user_import.s3.endpoint", "must be an http or https URL")
			}
		}
	}
}

func (c UserImportConfig) logValue() slog.Value {
	attrs := []slog.Attr{
		slog.Int64("max_csv_bytes", c.MaxCSVBytes),
		slog.Int64("max_users_per_file", c.MaxUsersPerFile),
		slog.String("upload_url_validity", c.UploadURLValidity.String()),
	}
	if c.S3.Bucket != "" {
		attrs = append(attrs, slog.Group("s3", slog.String("bucket", c.S3.Bucket), slog.String("endpoint", c.S3.Endpoint)))
	}
	return slog.GroupValue(attrs...)
}

// userImportSettings are the user-import keys the environment (and flags)
// can set.
var userImportSettings = []setting{
	{"user_import.max_csv_bytes", "COGNATE_USER_IMPORT_MAX_CSV_BYTES", func(c *Config, s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("must be an integer")
		}
		c.UserImport.MaxCSVBytes = n
		return nil
	}},
	{"user_import.max_users_per_file", "COGNATE_USER_IMPORT_MAX_USERS_PER_FILE", func(c *Config, s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("must be an integer")
		}
		c.UserImport.MaxUsersPerFile = n
		return nil
	}},
	{"user_import.upload_url_validity", "COGNATE_USER_IMPORT_UPLOAD_URL_VALIDITY", setDuration(func(c *Config) *Duration { return &c.UserImport.UploadURLValidity })},
}
