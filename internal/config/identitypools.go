package config

import (
	"log/slog"
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
	return slog.GroupValue(slog.Attr{Key: "openid_connect_providers", Value: slog.GroupValue(attrs...)})
}

// clone returns a deep copy.
func (c IdentityPoolsConfig) clone() IdentityPoolsConfig {
	if c.OpenIDConnectProviders == nil {
		return c
	}
	out := IdentityPoolsConfig{OpenIDConnectProviders: map[string]OIDCProviderConfig{}}
	for k, v := range c.OpenIDConnectProviders {
		v.ClientIDs = slices.Clone(v.ClientIDs)
		out.OpenIDConnectProviders[k] = v
	}
	return out
}
