package config

import (
	"log/slog"
	"os"
	"strings"
)

// HostedUIConfig says where the hosted UI and the OAuth 2.0 endpoints of
// the pools' domains are served (docs/hosted-ui.md).
type HostedUIConfig struct {
	// DomainPattern is the host a prefix domain is served at, with
	// {prefix} as its first label and {region} at most once:
	// "{prefix}.auth.{region}.example.com". The default,
	// "{prefix}.auth.{region}.localhost", is a name browsers resolve to
	// the loopback address.
	DomainPattern string `yaml:"domain_pattern"`
	// PublicForm is how discovery documents name a prefix domain's
	// endpoints: "path" (<issuer base URL>/_domain/<prefix>, which needs no
	// DNS) or "host" (the domain_pattern host, with the issuer base URL's
	// scheme and port).
	PublicForm string `yaml:"public_form"`
}

// TLSConfig makes the server serve HTTPS itself (docs/operations.md,
// "TLS"): both files, or neither for plain HTTP.
type TLSConfig struct {
	// CertFile is a PEM file with the certificate chain, leaf first.
	CertFile string `yaml:"cert_file,omitempty"`
	// KeyFile is the PEM file of the certificate's private key.
	KeyFile string `yaml:"key_file,omitempty"`
}

const defaultDomainPattern = "{prefix}.auth.{region}.localhost"

func (c *HostedUIConfig) applyDefaults() {
	setDefault(&c.DomainPattern, defaultDomainPattern)
	setDefault(&c.PublicForm, "path")
}

func (c *HostedUIConfig) validate(add func(key, format string, args ...any)) {
	p := c.DomainPattern
	valid := strings.HasPrefix(p, "{prefix}.") && strings.Count(p, "{prefix}") == 1 && strings.Count(p, "{region}") <= 1
	rest := strings.ReplaceAll(strings.TrimPrefix(p, "{prefix}."), "{region}", "r")
	for _, l := range strings.Split(rest, ".") {
		valid = valid && l != "" && !strings.ContainsAny(l, "{}:/ _")
	}
	if !valid || strings.ToLower(p) != p {
		add("hosted_ui.domain_pattern", "must be a lower-case host name that starts with {prefix}. and holds {region} at most once, not %q", p)
	}
	if c.PublicForm != "path" && c.PublicForm != "host" {
		add("hosted_ui.public_form", "must be path or host, not %q", c.PublicForm)
	}
}

func (c *TLSConfig) validate(add func(key, format string, args ...any)) {
	if (c.CertFile == "") != (c.KeyFile == "") {
		add("tls", "needs both cert_file and key_file, or neither")
		return
	}
	for key, f := range map[string]string{"tls.cert_file": c.CertFile, "tls.key_file": c.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			add(key, "cannot read %q", f)
		}
	}
}

// On reports whether the server serves HTTPS.
func (c TLSConfig) On() bool { return c.CertFile != "" }

func (c HostedUIConfig) logValue() slog.Value {
	return slog.GroupValue(slog.String("domain_pattern", c.DomainPattern), slog.String("public_form", c.PublicForm))
}

func (c TLSConfig) logValue() slog.Value {
	return slog.GroupValue(slog.String("cert_file", c.CertFile), slog.String("key_file", c.KeyFile))
}

// hostedUISettings are the hosted-UI and TLS keys the environment (and
// flags) can set.
var hostedUISettings = []setting{
	{"hosted_ui.domain_pattern", "COGNATE_HOSTED_UI_DOMAIN_PATTERN", func(c *Config, s string) error { c.HostedUI.DomainPattern = s; return nil }},
	{"hosted_ui.public_form", "COGNATE_HOSTED_UI_PUBLIC_FORM", func(c *Config, s string) error { c.HostedUI.PublicForm = s; return nil }},
	{"tls.cert_file", "COGNATE_TLS_CERT_FILE", func(c *Config, s string) error { c.TLS.CertFile = s; return nil }},
	{"tls.key_file", "COGNATE_TLS_KEY_FILE", func(c *Config, s string) error { c.TLS.KeyFile = s; return nil }},
}
