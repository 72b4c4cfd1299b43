package config

import (
	"errors"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// RateLimitsConfig sets the request-rate limits (docs/rate-limits.md):
// the protective limits per user and per client address on the operations
// anyone may call, on by default, and the emulation of Cognito's
// per-category quotas, which is opt-in.
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
	// PerUser limits the requests about one user (sign-in, sign-up,
	// recovery) by whoever sends them.
	PerUser RateConfig `yaml:"per_user,omitempty"`
	// PerAddress limits the unauthenticated and token-authorized requests
	// of one client address.
	PerAddress RateConfig `yaml:"per_address,omitempty"`
	// TrustedProxies are the addresses and CIDR prefixes of the proxies
	// whose X-Forwarded-For and Forwarded headers name the client.
	TrustedProxies []string `yaml:"trusted_proxies,omitempty"`
}

// RateConfig is one protective limit: a token bucket per key.
type RateConfig struct {
	// Enabled turns the limit on; unset means on.
	Enabled *bool `yaml:"enabled,omitempty"`
	// Rate is the requests a second each key gets back.
	Rate float64 `yaml:"rate,omitempty"`
	// Burst is the requests a key may send at once.
	Burst float64 `yaml:"burst,omitempty"`
}

// Limit returns the limit as the protective limits take it: the zero Rate
// when the limit, or every limit, is off.
func (r RateLimitsConfig) Limit(c RateConfig) ratelimit.Rate {
	if !r.On() || (c.Enabled != nil && !*c.Enabled) {
		return ratelimit.Rate{}
	}
	return ratelimit.Rate{PerSecond: c.Rate, Burst: c.Burst}
}

func (c *RateConfig) applyDefaults(d ratelimit.Rate) {
	if c.Enabled == nil {
		on := true
		c.Enabled = &on
	}
	setDefault(&c.Rate, d.PerSecond)
	setDefault(&c.Burst, d.Burst)
}

func (c RateConfig) validate(key string, add func(key, format string, args ...any)) {
	if !positive(c.Rate) {
		add(key+".rate", "must be a positive number of requests per second")
	}
	if !(c.Burst >= 1) || math.IsInf(c.Burst, 0) {
		add(key+".burst", "must be a number of requests of at least 1")
	}
}

func (c RateConfig) logValue() slog.Value {
	return slog.GroupValue(slog.Bool("enabled", c.Enabled == nil || *c.Enabled), slog.Float64("rate", c.Rate), slog.Float64("burst", c.Burst))
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
	r.PerUser.applyDefaults(ratelimit.DefaultPerUser)
	r.PerAddress.applyDefaults(ratelimit.DefaultPerAddress)
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
	r.PerUser.validate("rate_limits.per_user", add)
	r.PerAddress.validate("rate_limits.per_address", add)
	for i, p := range r.TrustedProxies {
		if _, err := ratelimit.ParseTrustedProxies([]string{p}); err != nil {
			add("rate_limits.trusted_proxies["+strconv.Itoa(i)+"]", "%q is not an address or a CIDR prefix", p)
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
	attrs = append(attrs, slog.Attr{Key: "per_user", Value: r.PerUser.logValue()}, slog.Attr{Key: "per_address", Value: r.PerAddress.logValue()})
	if len(r.TrustedProxies) > 0 {
		attrs = append(attrs, slog.Any("trusted_proxies", r.TrustedProxies))
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
	{"rate_limits.per_user.enabled", "COGNATE_RATE_LIMITS_PER_USER_ENABLED", setBoolPtr(func(c *Config) **bool { return &c.RateLimits.PerUser.Enabled })},
	{"rate_limits.per_address.enabled", "COGNATE_RATE_LIMITS_PER_ADDRESS_ENABLED", setBoolPtr(func(c *Config) **bool { return &c.RateLimits.PerAddress.Enabled })},
	{"rate_limits.trusted_proxies", "COGNATE_RATE_LIMITS_TRUSTED_PROXIES", func(c *Config, s string) error {
		c.RateLimits.TrustedProxies = nil
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.RateLimits.TrustedProxies = append(c.RateLimits.TrustedProxies, p)
			}
		}
		return nil
	}},
}

func setBoolPtr(field func(*Config) **bool) func(*Config, string) error {
	return func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		*field(c) = &b
		return nil
	}
}
