package config

import (
	"errors"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// RateLimitsConfig sets the request-rate limits (docs/rate-limits.md):
// the emulation of Cognito's per-category quotas, which is opt-in.
type RateLimitsConfig struct {
	// Enabled is the switch of every limit; unset means on. Off, nothing
	// is limited, whatever the other keys say.
	Enabled *bool `yaml:"enabled,omitempty"`
	// Quotas turns on the emulation of Cognito's per-category quotas, for
	// testing how an application handles throttling; off by default.
	Quotas bool `yaml:"quotas,omitempty"`
	// Scale multiplies every default quota; unset (zero) means 1.
	Scale float64 `yaml:"scale,omitempty"`
	// Categories sets a category's quota in requests per second, in place
	// of its scaled default.
	Categories map[string]float64 `yaml:"categories,omitempty"`
}

// On reports whether the limits are on.
func (r RateLimitsConfig) On() bool { return r.Enabled == nil || *r.Enabled }

// QuotasOn reports whether Cognito's quotas are emulated.
func (r RateLimitsConfig) QuotasOn() bool { return r.On() && r.Quotas }

func (r *RateLimitsConfig) applyDefaults() {
	if r.Enabled == nil {
		on := true
		r.Enabled = &on
	}
	setDefault(&r.Scale, 1)
}

func (r *RateLimitsConfig) validate(add func(key, format string, args ...any)) {
	if !positive(r.Scale) {
		add("rate_limits.scale", "must be a positive number")
	}
	for _, name := range slices.Sorted(maps.Keys(r.Categories)) {
		key := "rate_limits.categories." + name
		switch {
		case !ratelimit.Known(ratelimit.Category(name)):
			add(key, "not a quota category (see docs/rate-limits.md)")
		case !positive(r.Categories[name]):
			add(key, "must be a positive number of requests per second")
		}
	}
}

func positive(f float64) bool { return f > 0 && !math.IsInf(f, 0) }

// logValue returns the block for Config.LogValue.
func (r RateLimitsConfig) logValue() slog.Value {
	attrs := []slog.Attr{slog.Bool("enabled", r.On()), slog.Bool("quotas", r.Quotas), slog.Float64("scale", r.Scale)}
	if len(r.Categories) > 0 {
		var cats []slog.Attr
		for _, name := range slices.Sorted(maps.Keys(r.Categories)) {
			cats = append(cats, slog.Float64(name, r.Categories[name]))
		}
		attrs = append(attrs, slog.Attr{Key: "categories", Value: slog.GroupValue(cats...)})
	}
	return slog.GroupValue(attrs...)
}

// rateLimitSettings are the rate-limit keys the environment (and flags)
// can set.
var rateLimitSettings = []setting{
	{"rate_limits.enabled", "COGNATE_RATE_LIMITS_ENABLED", func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.RateLimits.Enabled = &b
		return nil
	}},
	{"rate_limits.quotas", "COGNATE_RATE_LIMITS_QUOTAS", func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.RateLimits.Quotas = b
		return nil
	}},
}
