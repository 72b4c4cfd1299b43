package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// STS modes: where identity pools get temporary credentials.
const (
	STSModeLocal    = "local"
	STSModeAWS      = "aws"
	STSModeEndpoint = "endpoint"
)

// Bounds of sts.max_session_duration, STS's own.
const (
	MinSTSSessionDuration = 15 * time.Minute
	MaxSTSSessionDuration = 12 * time.Hour
)

// STSConfig says where the temporary credentials of identity pools come
// from, and what cognate's own STS trusts (docs/identity-pools.md).
type STSConfig struct {
	// Mode is "local" (cognate's own STS, the default), "aws" (AWS STS)
	// or "endpoint" (any STS-compatible URL, Endpoint).
	Mode string `yaml:"mode"`
	// Endpoint is the STS-compatible URL of mode "endpoint".
	Endpoint string `yaml:"endpoint,omitempty"`
	// Region is the region whose STS a delegated call goes to (and signs
	// for); empty means the server's region.
	Region string `yaml:"region,omitempty"`
	// MaxSessionDuration bounds the DurationSeconds cognate's own STS
	// grants.
	MaxSessionDuration Duration `yaml:"max_session_duration"`
	// TrustedIssuers are the issuers of web identity tokens that cognate's
	// own STS accepts besides cognate's identity issuer, which it always
	// trusts (an entry with that issuer's URL narrows what it may do).
	TrustedIssuers []TrustedIssuerConfig `yaml:"trusted_issuers,omitempty"`
}

// TrustedIssuerConfig is one issuer cognate's own STS trusts.
type TrustedIssuerConfig struct {
	// Issuer is the issuer URL, as the tokens' iss claim names it; its
	// discovery document is at Issuer/.well-known/openid-configuration.
	Issuer string `yaml:"issuer"`
	// Audiences are the aud values accepted; empty accepts any.
	Audiences []string `yaml:"audiences,omitempty"`
	// Roles are the role ARNs its tokens may assume ('*' matches any
	// run of characters); empty means any role of account_id.
	Roles []string `yaml:"roles,omitempty"`
}

var roleARNPatternConfig = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|\*):role/.+$`)

func (s *STSConfig) applyDefaults() {
	setDefault(&s.Mode, STSModeLocal)
	setDefault(&s.MaxSessionDuration, Duration(MaxSTSSessionDuration))
}

func (s *STSConfig) validate(add func(key, format string, args ...any)) {
	switch s.Mode {
	case STSModeLocal, STSModeAWS:
		if s.Endpoint != "" {
			add("sts.endpoint", "is only for mode %q", STSModeEndpoint)
		}
	case STSModeEndpoint:
		u, err := url.Parse(s.Endpoint)
		if s.Endpoint == "" {
			add("sts.endpoint", "required with mode %q", STSModeEndpoint)
		} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			add("sts.endpoint", "must be an http(s) URL without a query or fragment")
		}
	default:
		add("sts.mode", "must be local, aws or endpoint, not %q", s.Mode)
	}
	if s.Region != "" && !regionPattern.MatchString(s.Region) {
		add("sts.region", "%q is not a valid region name", s.Region)
	}
	if d := s.MaxSessionDuration.Duration(); d < MinSTSSessionDuration || d > MaxSTSSessionDuration {
		add("sts.max_session_duration", "must be between 15m and 12h")
	}
	seen := map[string]int{}
	for i, ti := range s.TrustedIssuers {
		key := "sts.trusted_issuers[" + strconv.Itoa(i) + "]"
		u, err := url.Parse(ti.Issuer)
		switch {
		case ti.Issuer == "":
			add(key+".issuer", "required")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			add(key+".issuer", "must be an http(s) URL without a query or fragment")
		}
		if first, dup := seen[ti.Issuer]; dup && ti.Issuer != "" {
			add(key+".issuer", "is the issuer of sts.trusted_issuers[%d]", first)
		}
		seen[ti.Issuer] = i
		for j, a := range ti.Audiences {
			if a == "" || slices.Index(ti.Audiences, a) < j {
				add(fmt.Sprintf("%s.audiences[%d]", key, j), "must be a non-empty audience listed once")
			}
		}
		for j, r := range ti.Roles {
			if !roleARNPatternConfig.MatchString(r) {
				add(fmt.Sprintf("%s.roles[%d]", key, j), "%q is not a role ARN (arn:aws:iam::<account>:role/<name>, where * matches anything)", r)
			}
		}
	}
}

// logValue returns the block for Config.LogValue.
func (s STSConfig) logValue() slog.Value {
	issuers := make([]string, len(s.TrustedIssuers))
	for i, ti := range s.TrustedIssuers {
		issuers[i] = ti.Issuer
	}
	return slog.GroupValue(
		slog.String("mode", s.Mode),
		slog.String("endpoint", s.Endpoint),
		slog.String("region", s.Region),
		slog.String("max_session_duration", s.MaxSessionDuration.String()),
		slog.String("trusted_issuers", strings.Join(issuers, ",")))
}

// stsSettings are the STS keys the environment (and flags) can set.
var stsSettings = []setting{
	{"sts.mode", "COGNATE_STS_MODE", setString(func(c *Config) *string { return &c.STS.Mode })},
	{"sts.endpoint", "COGNATE_STS_ENDPOINT", setString(func(c *Config) *string { return &c.STS.Endpoint })},
	{"sts.region", "COGNATE_STS_REGION", setString(func(c *Config) *string { return &c.STS.Region })},
	{"sts.max_session_duration", "COGNATE_STS_MAX_SESSION_DURATION", setDuration(func(c *Config) *Duration { return &c.STS.MaxSessionDuration })},
}
