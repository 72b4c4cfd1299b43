package config

import (
	"log/slog"
	"time"
)

// ChangeLogConfig says how long the change log keeps what no consumer
// needs any more (docs/security.md, "The change log").
type ChangeLogConfig struct {
	// Retention is how long a superseded state, a delete entry and a purge
	// entry stay in the change log before compaction removes them: the
	// time a consumer of the log (replication, event hooks) may fall
	// behind and still see every change. The newest state of a live record
	// stays whatever its age.
	Retention Duration `yaml:"retention"`
	// CompactionInterval is how often the server compacts the log.
	CompactionInterval Duration `yaml:"compaction_interval"`
}

// Bounds of the change-log settings.
const (
	MinChangeLogRetention   = time.Minute
	MaxChangeLogRetention   = 10 * 365 * 24 * time.Hour
	MinChangeLogCompaction  = time.Minute
	MaxChangeLogCompaction  = 24 * time.Hour
	defaultChangeLogRetain  = 7 * 24 * time.Hour
	defaultChangeLogCompact = time.Hour
)

func (c *ChangeLogConfig) applyDefaults() {
	setDefault(&c.Retention, Duration(defaultChangeLogRetain))
	setDefault(&c.CompactionInterval, Duration(defaultChangeLogCompact))
}

func (c *ChangeLogConfig) validate(add func(key, format string, args ...any)) {
	if r := c.Retention.Duration(); r < MinChangeLogRetention || r > MaxChangeLogRetention {
		add("change_log.retention", "must be between 1m and 87600h (ten years)")
	}
	if i := c.CompactionInterval.Duration(); i < MinChangeLogCompaction || i > MaxChangeLogCompaction {
		add("change_log.compaction_interval", "must be between 1m and 24h")
	}
}

// logValue returns the block for Config.LogValue.
func (c ChangeLogConfig) logValue() slog.Value {
	return slog.GroupValue(
		slog.String("retention", c.Retention.String()),
		slog.String("compaction_interval", c.CompactionInterval.String()))
}

// changeLogSettings are the change-log keys the environment (and flags)
// can set.
var changeLogSettings = []setting{
	{"change_log.retention", "COGNATE_CHANGE_LOG_RETENTION", setDuration(func(c *Config) *Duration { return &c.ChangeLog.Retention })},
	{"change_log.compaction_interval", "COGNATE_CHANGE_LOG_COMPACTION_INTERVAL", setDuration(func(c *Config) *Duration { return &c.ChangeLog.CompactionInterval })},
}

func setDuration(field func(*Config) *Duration) func(*Config, string) error {
	return func(c *Config, s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return errDuration
		}
		*field(c) = d
		return nil
	}
}
