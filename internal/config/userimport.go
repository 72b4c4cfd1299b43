package config

import (
	"errors"
	"log/slog"
	"strconv"
	"time"
)

// UserImportConfig configures user import jobs (docs/import.md).
type UserImportConfig struct {
	// MaxCSVBytes is the largest CSV file a job's pre-signed upload URL
	// takes.
	MaxCSVBytes int64 `yaml:"max_csv_bytes"`
	// UploadURLValidity is how long a pre-signed upload URL is valid after
	// CreateUserImportJob or DescribeUserImportJob handed it out.
	UploadURLValidity Duration `yaml:"upload_url_validity"`
}

// Bounds and defaults of the user-import settings.
const (
	MinImportCSVBytes           = 1 << 10
	MaxImportCSVBytes           = 16 << 30
	defaultImportCSVBytes       = 100 << 20
	MinImportUploadURLValidity  = time.Minute
	MaxImportUploadURLValidity  = 24 * time.Hour
	defaultImportUploadValidity = time.Hour
)

func (c *UserImportConfig) applyDefaults() {
	setDefault(&c.MaxCSVBytes, defaultImportCSVBytes)
	setDefault(&c.UploadURLValidity, Duration(defaultImportUploadValidity))
}

func (c *UserImportConfig) validate(add func(key, format string, args ...any)) {
	if c.MaxCSVBytes < MinImportCSVBytes || c.MaxCSVBytes > MaxImportCSVBytes {
		add("user_import.max_csv_bytes", "must be between %d and %d", MinImportCSVBytes, MaxImportCSVBytes)
	}
	if v := c.UploadURLValidity.Duration(); v < MinImportUploadURLValidity || v > MaxImportUploadURLValidity {
		add("user_import.upload_url_validity", "must be between 1m and 24h")
	}
}

func (c UserImportConfig) logValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("max_csv_bytes", c.MaxCSVBytes),
		slog.String("upload_url_validity", c.UploadURLValidity.String()))
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
	{"user_import.upload_url_validity", "COGNATE_USER_IMPORT_UPLOAD_URL_VALIDITY", setDuration(func(c *Config) *Duration { return &c.UserImport.UploadURLValidity })},
}
