package config

import (
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/weborigin"
)

// CORSConfig says which browser applications may call the API from other
// origins (docs/configuration.md, "Browser applications and CORS").
type CORSConfig struct {
	// AllowedOrigins lists the origins (scheme://host[:port], as browsers
	// send them in the Origin header) allowed to call the API; empty, or
	// "*", allows any origin, as Cognito does.
	AllowedOrigins []string `yaml:"allowed_origins,omitempty"`
}

func (c *CORSConfig) validate(add func(key, format string, args ...any)) {
	seen := map[string]int{}
	for i, o := range c.AllowedOrigins {
		key := "cors.allowed_origins[" + strconv.Itoa(i) + "]"
		if o == "*" {
			if len(c.AllowedOrigins) > 1 {
				add(key, `"*" allows any origin and cannot be listed with others`)
			}
			continue
		}
		n, ok := weborigin.Canonical(o)
		if !ok {
			add(key, "%q is not an origin: it must be http:// or https:// and a host, with an optional port and nothing after it (no path, not even a final slash)", o)
			continue
		}
		if first, dup := seen[n]; dup {
			add(key, "%q is the same origin as cors.allowed_origins[%d]", o, first)
			continue
		}
		seen[n] = i
	}
}

// logValue returns the block for Config.LogValue.
func (c CORSConfig) logValue() slog.Value {
	origins := c.AllowedOrigins
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	return slog.GroupValue(slog.Any("allowed_origins", slices.Clone(origins)))
}

// corsSettings are the CORS keys the environment (and flags) can set.
var corsSettings = []setting{
	{"cors.allowed_origins", "COGNATE_CORS_ALLOWED_ORIGINS", func(c *Config, s string) error {
		c.CORS.AllowedOrigins = nil
		for o := range strings.SplitSeq(s, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORS.AllowedOrigins = append(c.CORS.AllowedOrigins, o)
			}
		}
		return nil
	}},
}
