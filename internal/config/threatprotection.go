package config

import "log/slog"

// ThreatProtectionConfig configures what threat protection consults
// (docs/threat-protection.md).
type ThreatProtectionConfig struct {
	// BreachedPasswords is the list the compromised-credentials checks
	// look passwords up in; neither key set means no list, and no check.
	BreachedPasswords BreachedPasswordsConfig `yaml:"breached_passwords,omitempty"`
	// GeoIPDatabase is the path of a MaxMind-format City database
	// (GeoLite2-City.mmdb or the like) that places client addresses: the
	// impossible-travel signal and the city and country of sign-in
	// events. Empty turns both off. A file that cannot be opened stops
	// the server at start.
	GeoIPDatabase string `yaml:"geoip_database,omitempty"`
}

// BreachedPasswordsConfig is a breached-password list: a local file of
// SHA-1 digests or 5-digit prefixes, or a k-anonymity range API, not both.
type BreachedPasswordsConfig struct {
	// File holds one SHA-1 digest (40 hex digits, ":count" allowed) or
	// 5-hex-digit prefix a line.
	File string `yaml:"file,omitempty"`
	// RangeAPIURL is the base URL of a range API in Pwned Passwords' form
	// (GET <url>/<5 hex digits>); only the prefix is sent.
	RangeAPIURL string `yaml:"range_api_url,omitempty"`
}

func (c *ThreatProtectionConfig) validate(add func(key, format string, args ...any)) {
	b := c.BreachedPasswords
	if b.File != "" && b.RangeAPIURL != "" {
		add("threat_protection.breached_passwords", "set file or range_api_url, not both")
	}
	if b.RangeAPIURL != "" {
		if err := checkWebhookURL(b.RangeAPIURL); err != nil {
			add("threat_protection.breached_passwords.range_api_url", "%v", err)
		}
	}
}

// logValue returns the block for Config.LogValue.
func (c ThreatProtectionConfig) logValue() slog.Value {
	if c == (ThreatProtectionConfig{}) {
		return slog.GroupValue()
	}
	return slog.GroupValue(slog.Group("breached_passwords",
		slog.String("file", c.BreachedPasswords.File), slog.String("range_api_url", c.BreachedPasswords.RangeAPIURL)),
		slog.String("geoip_database", c.GeoIPDatabase))
}
