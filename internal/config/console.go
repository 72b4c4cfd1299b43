package config

import "log/slog"

// ConsoleConfig configures the admin console served under /console/
// (docs/console.md).
type ConsoleConfig struct {
	// Enabled serves the console and creates the administrators' pool on
	// start; true by default. Off, /console/ is not served and no pool is
	// created.
	Enabled *bool `yaml:"enabled,omitempty"`
}

// On reports whether the console is served.
func (c ConsoleConfig) On() bool { return c.Enabled == nil || *c.Enabled }

func (c *ConsoleConfig) applyDefaults() {
	if c.Enabled == nil {
		on := true
		c.Enabled = &on
	}
}

func (c ConsoleConfig) logValue() slog.Value {
	return slog.GroupValue(slog.Bool("enabled", c.On()))
}

// consoleSettings are the console keys the environment (and flags) can
// set.
var consoleSettings = []setting{
	{"console.enabled", "COGNATE_CONSOLE_ENABLED", setBoolPtr(func(c *Config) **bool { return &c.Console.Enabled })},
}
