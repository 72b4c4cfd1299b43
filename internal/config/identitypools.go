package config

import (
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// IdentityPoolsConfig configures identity pools (docs/identity-pools.md).
type IdentityPoolsConfig struct {
	// OpenIDConnectProviders says what each OpenID Connect provider an
	// identity pool may name stands for, by provider name: the part of its
	// IAM ARN (arn:aws:iam::<account>:oidc-provider/<name>) after
	// "oidc-provider/", which is also the Logins key of its tokens. IAM
	// holds this for AWS; cognate holds it here.
	OpenIDConnectProviders map[string]OIDCProviderConfig `yaml:"openid_connect_providers,omitempty"`
	// SAMLProviders says what each SAML provider an identity pool may name
	// stands for, by provider name: the part of its IAM ARN
	// (arn:aws:iam::<account>:saml-provider/<name>) after "saml-provider/".
	// IAM holds the provider's metadata for AWS; cognate holds it here.
	SAMLProviders map[string]SAMLProviderConfig `yaml:"saml_providers,omitempty"`
}

// SAMLProviderConfig is one SAML provider of identity pools.
type SAMLProviderConfig struct {
	// MetadataFile is the path of the IdP's metadata document, read at
	// start; MetadataURL is where it is read at each login. Exactly one
	// is set.
	MetadataFile string `yaml:"metadata_file,omitempty"`
	MetadataURL  string `yaml:"metadata_url,omitempty"`
	// Audience is the audience, Destination and Recipient the assertions
	// name; empty means https://signin.aws.amazon.com/saml, AWS's.
	Audience string `yaml:"audience,omitempty"`
}

// OIDCProviderConfig is one OpenID Connect provider.
type OIDCProviderConfig struct {
	// Issuer is the issuer URL its tokens carry, whose discovery document
	// and JWKS verify them; empty means "https://" + the provider name.
	Issuer string `yaml:"issuer,omitempty"`
	// ClientIDs are the audiences (IAM's client ID list) accepted.
	ClientIDs []string `yaml:"client_ids"`
}

func (c *IdentityPoolsConfig) validate(add func(key, format string, args ...any)) {
	for _, name := range slices.Sorted(mapKeys(c.OpenIDConnectProviders)) {
		p := c.OpenIDConnectProviders[name]
		key := "identity_pools.openid_connect_providers." + name
		if name == "" || strings.Contains(name, "://") || strings.ContainsAny(name, " \t") {
			add(key, "the name is the issuer's host and path, without a scheme (accounts.example.com/tenant)")
		}
		if p.Issuer != "" {
			u, err := url.Parse(p.Issuer)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				add(key+".issuer", "must be an http(s) URL without a query or fragment, not %q", p.Issuer)
			}
		}
		if len(p.ClientIDs) == 0 || slices.Contains(p.ClientIDs, "") {
			add(key+".client_ids", "lists the audiences accepted: at least one, none empty")
		}
	}
	for _, name := range slices.Sorted(mapKeys(c.SAMLProviders)) {
		p := c.SAMLProviders[name]
		key := "identity_pools.saml_providers." + name
		if name == "" || strings.ContainsAny(name, "/ \t") {
			add(key, "the name is the part of the provider's ARN after saml-provider/")
		}
		if (p.MetadataFile == "") == (p.MetadataURL == "") {
			add(key, "exactly one of metadata_file and metadata_url is required")
		}
		if p.MetadataURL != "" {
			u, err := url.Parse(p.MetadataURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				add(key+".metadata_url", "must be an http(s) URL, not %q", p.MetadataURL)
			}
		}
		if p.Audience != "" && strings.TrimSpace(p.Audience) != p.Audience {
			add(key+".audience", "must not start or end with spaces")
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// logValue returns the block for Config.LogValue.
func (c IdentityPoolsConfig) logValue() slog.Value {
	var attrs []slog.Attr
	for _, name := range slices.Sorted(mapKeys(c.OpenIDConnectProviders)) {
		p := c.OpenIDConnectProviders[name]
		attrs = append(attrs, slog.Group(name, slog.String("issuer", p.Issuer), slog.Any("client_ids", slices.Clone(p.ClientIDs))))
	}
	var saml []slog.Attr
	for _, name := range slices.Sorted(mapKeys(c.SAMLProviders)) {
		p := c.SAMLProviders[name]
		saml = append(saml, slog.Group(name, slog.String("metadata_file", p.MetadataFile), slog.String("metadata_url", p.MetadataURL), slog.String("audience", p.Audience)))
	}
	if len(saml) == 0 {
		return slog.GroupValue(slog.Attr{Key: "openid_connect_providers", Value: slog.GroupValue(attrs...)})
	}
	return slog.GroupValue(slog.Attr{Key: "openid_connect_providers", Value: slog.GroupValue(attrs...)},
		slog.Attr{Key: "saml_providers", Value: slog.GroupValue(saml...)})
}

// clone returns a deep copy.
func (c IdentityPoolsConfig) clone() IdentityPoolsConfig {
	out := c
	if c.OpenIDConnectProviders != nil {
		out.OpenIDConnectProviders = map[string]OIDCProviderConfig{}
		for k, v := range c.OpenIDConnectProviders {
			v.ClientIDs = slices.Clone(v.ClientIDs)
			out.OpenIDConnectProviders[k] = v
		}
	}
	if c.SAMLProviders != nil {
		out.SAMLProviders = maps.Clone(c.SAMLProviders)
	}
	return out
}
