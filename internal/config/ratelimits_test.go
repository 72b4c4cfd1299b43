package config

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/ratelimit"
)

func boolPtr(b bool) *bool { return &b }

func TestRateLimitsLoad(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want RateLimitsConfig
	}{
		{"defaults", "", nil, withProtection(RateLimitsConfig{Enabled: boolPtr(true), Scale: 1})},
		{"empty block", "rate_limits:\n", nil, withProtection(RateLimitsConfig{Enabled: boolPtr(true), Scale: 1})},
		{"off in the file", "rate_limits: {enabled: false}\n", nil, withProtection(RateLimitsConfig{Enabled: boolPtr(false), Scale: 1})},
		{"off in the environment", "rate_limits: {enabled: true}\n", map[string]string{"COGNATE_RATE_LIMITS_ENABLED": "false"},
			withProtection(RateLimitsConfig{Enabled: boolPtr(false), Scale: 1})},
		{"on in the environment", "rate_limits: {enabled: false}\n", map[string]string{"COGNATE_RATE_LIMITS_ENABLED": "1"},
			withProtection(RateLimitsConfig{Enabled: boolPtr(true), Scale: 1})},
		{"protective limits", "rate_limits:\n  per_user: {rate: 2, burst: 4}\n  per_address: {enabled: false}\n  trusted_proxies: [10.0.0.0/8, \"::1\"]\n", nil,
			RateLimitsConfig{Enabled: boolPtr(true), Scale: 1, PerUser: RateConfig{Enabled: boolPtr(true), Rate: 2, Burst: 4},
				PerAddress: RateConfig{Enabled: boolPtr(false), Rate: 100, Burst: 200}, TrustedProxies: []string{"10.0.0.0/8", "::1"}}},
		{"protective limits in the environment", "", map[string]string{"COGNATE_RATE_LIMITS_PER_USER_ENABLED": "false",
			"COGNATE_RATE_LIMITS_PER_ADDRESS_ENABLED": "0", "COGNATE_RATE_LIMITS_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"},
			RateLimitsConfig{Enabled: boolPtr(true), Scale: 1, PerUser: RateConfig{Enabled: boolPtr(false), Rate: 10, Burst: 10},
				PerAddress: RateConfig{Enabled: boolPtr(false), Rate: 100, Burst: 200}, TrustedProxies: []string{"127.0.0.1", "10.0.0.0/8"}}},
		{"quotas on in the file", "rate_limits: {quotas: true}\n", nil, withProtection(RateLimitsConfig{Enabled: boolPtr(true), Quotas: true, Scale: 1})},
		{"quotas on in the environment", "", map[string]string{"COGNATE_RATE_LIMITS_QUOTAS": "true"},
			withProtection(RateLimitsConfig{Enabled: boolPtr(true), Quotas: true, Scale: 1})},
		{"scale and categories", "rate_limits:\n  scale: 2\n  categories:\n    UserCreation: 100\n    ClientAuthentication: 0.5\n", nil,
			withProtection(RateLimitsConfig{Enabled: boolPtr(true), Scale: 2, Categories: map[string]float64{"UserCreation": 100, "ClientAuthentication": 0.5}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env)}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			got, _, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.RateLimits); diff != "" {
				t.Errorf("rate_limits (-want +got):\n%s", diff)
			}
			if got.RateLimits.On() != *tc.want.Enabled {
				t.Errorf("On() = %v, want %v", got.RateLimits.On(), *tc.want.Enabled)
			}
		})
	}
	for _, tc := range []struct {
		c    RateLimitsConfig
		want bool
	}{
		{RateLimitsConfig{}, false},
		{RateLimitsConfig{Quotas: true}, true},
		{RateLimitsConfig{Enabled: boolPtr(false), Quotas: true}, false},
	} {
		if got := tc.c.QuotasOn(); got != tc.want {
			t.Errorf("%+v: QuotasOn() = %v, want %v", tc.c, got, tc.want)
		}
	}
	if !(RateLimitsConfig{}).On() {
		t.Error("an unset enabled is not on")
	}
}

func TestRateLimitsProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want ValidationErrors
	}{
		{
			name: "values of the wrong type",
			file: "rate_limits:\n  enabled: sometimes\n  scale: lots\n  categories: [UserList]\n  quotas: 3\n",
			want: ValidationErrors{
				"rate_limits.enabled: must be true or false (line 2)",
				"rate_limits.scale: must be a number (line 3)",
				"rate_limits.categories: must be a mapping of keys to numbers (line 4)",
				"rate_limits.quotas: must be true or false (line 5)",
			},
		},
		{
			name: "unknown key",
			file: "rate_limits: {enable: false}\n",
			want: ValidationErrors{`rate_limits.enable: unknown key (line 1); did you mean "rate_limits.enabled"?`},
		},
		{
			name: "bad rates",
			file: "rate_limits:\n  scale: -1\n  categories: {UserList: 0, UserRead: -3, UserSomething: 5, UserToken: .inf}\n",
			want: ValidationErrors{
				"rate_limits.scale: must be a positive number",
				"rate_limits.categories.UserList: must be a positive number of requests per second",
				"rate_limits.categories.UserRead: must be a positive number of requests per second",
				"rate_limits.categories.UserSomething: not a quota category (see docs/rate-limits.md)",
				"rate_limits.categories.UserToken: must be a positive number of requests per second",
			},
		},
		{
			// A 0 written out is refused, not read as "unset" and replaced
			// by the default (scale 0 used to become 1 silently).
			name: "zero written out",
			file: "rate_limits:\n  scale: 0\n  per_user: {rate: 0, burst: 0}\n  per_address: {rate: 0.0}\n",
			want: ValidationErrors{
				"rate_limits.scale: must be a positive number, not 0 (leave the key out for the default; to turn a limit off, set its enabled: false)",
				"rate_limits.per_user.rate: must be a positive number of requests per second, not 0 (leave the key out for the default; to turn a limit off, set its enabled: false)",
				"rate_limits.per_user.burst: must be a number of requests of at least 1, not 0 (leave the key out for the default; to turn a limit off, set its enabled: false)",
				"rate_limits.per_address.rate: must be a positive number of requests per second, not 0 (leave the key out for the default; to turn a limit off, set its enabled: false)",
			},
		},
		{
			name: "environment value that does not parse",
			env:  map[string]string{"COGNATE_RATE_LIMITS_ENABLED": "nah"},
			want: ValidationErrors{"rate_limits.enabled: COGNATE_RATE_LIMITS_ENABLED: must be true or false"},
		},
		{
			name: "bad protective limits",
			file: "rate_limits:\n  per_user: {rate: -1, burst: 0.5}\n  per_address: {rate: .nan, burst: .inf}\n  trusted_proxies: [10.0.0.0/8, proxy.internal, 10.0.0.0/40]\n",
			want: ValidationErrors{
				"rate_limits.per_user.rate: must be a positive number of requests per second",
				"rate_limits.per_user.burst: must be a number of requests of at least 1",
				"rate_limits.per_address.rate: must be a positive number of requests per second",
				"rate_limits.per_address.burst: must be a number of requests of at least 1",
				`rate_limits.trusted_proxies[1]: "proxy.internal" is not an address or a CIDR prefix`,
				`rate_limits.trusted_proxies[2]: "10.0.0.0/40" is not an address or a CIDR prefix`,
			},
		},
		{
			name: "protective limits of the wrong type",
			file: "rate_limits:\n  per_user: 10\n  per_address: {enabled: maybe}\n  trusted_proxies: 127.0.0.1\n",
			want: ValidationErrors{
				"rate_limits.per_user: must be a mapping of keys (line 2)",
				"rate_limits.per_address.enabled: must be true or false (line 3)",
				"rate_limits.trusted_proxies: must be a list of strings (line 4)",
			},
		},
		{
			name: "per-user switch in the environment that does not parse",
			env:  map[string]string{"COGNATE_RATE_LIMITS_PER_USER_ENABLED": "often"},
			want: ValidationErrors{"rate_limits.per_user.enabled: COGNATE_RATE_LIMITS_PER_USER_ENABLED: must be true or false"},
		},
		{
			name: "quotas in the environment that do not parse",
			env:  map[string]string{"COGNATE_RATE_LIMITS_QUOTAS": "maybe"},
			want: ValidationErrors{"rate_limits.quotas: COGNATE_RATE_LIMITS_QUOTAS: must be true or false"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Sources{Env: envMap(tc.env)}
			if tc.file != "" {
				src.File = writeFile(t, "cognate.yaml", tc.file)
			}
			cfg, _, err := Load(src)
			if cfg != nil {
				t.Error("Load returned a config with errors")
			}
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateLimitsValidateNaN(t *testing.T) {
	c := Default()
	c.RateLimits.Scale = math.NaN()
	c.RateLimits.Categories = map[string]float64{"UserList": math.Inf(1)}
	want := ValidationErrors{
		"rate_limits.scale: must be a positive number",
		"rate_limits.categories.UserList: must be a positive number of requests per second",
	}
	if diff := cmp.Diff(want, problems(t, c.Validate())); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestRateLimitsEnvVar(t *testing.T) {
	if got := EnvVars()["rate_limits.enabled"]; got != "COGNATE_RATE_LIMITS_ENABLED" {
		t.Errorf("EnvVars()[rate_limits.enabled] = %q", got)
	}
	if got := EnvVars()["rate_limits.quotas"]; got != "COGNATE_RATE_LIMITS_QUOTAS" {
		t.Errorf("EnvVars()[rate_limits.quotas] = %q", got)
	}
}

// withProtection is r with the protective limits' defaults, as Load
// fills them in.
func withProtection(r RateLimitsConfig) RateLimitsConfig {
	r.PerUser.applyDefaults(ratelimit.DefaultPerUser)
	r.PerAddress.applyDefaults(ratelimit.DefaultPerAddress)
	return r
}
