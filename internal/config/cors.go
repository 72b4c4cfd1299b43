package config

import (
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
		n, ok := canonicalOrigin(o)
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

// canonicalOrigin returns the origin s as browsers serialize it (scheme
// and host in lower case, no default port), and whether s is an origin.
func canonicalOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	if !validHostname(u.Hostname()) {
		return "", false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return "", false
		}
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	host = strings.TrimSuffix(host, map[string]string{"https": ":443", "http": ":80"}[scheme])
	return scheme + "://" + host, true
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

// validHostname reports whether h is a DNS name (letters, digits, hyphens
// and dots) or an IP address: what a browser puts in an Origin.
func validHostname(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || strings.Trim(h, ".") != h || strings.Contains(h, "..") {
		return false
	}
	for _, c := range []byte(h) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
