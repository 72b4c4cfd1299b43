package main

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// TestServeRateLimits serves with a UserPoolRead quota of one request
// every thousand seconds: with the quotas turned on, the second
// ListUserPools is throttled, however slow the machine. The quotas are off
// unless turned on, and COGNATE_RATE_LIMITS_ENABLED=false lifts them.
func TestServeRateLimits(t *testing.T) {
	quotas := writeFile(t, "cognate.yaml", "rate_limits: {quotas: true, categories: {UserPoolRead: 0.001}}\n")
	noQuotas := writeFile(t, "cognate.yaml", "rate_limits: {categories: {UserPoolRead: 0.001}}\n")
	cases := []struct {
		name          string
		file          string
		env           map[string]string
		wantThrottled bool
	}{
		{"configured quota", quotas, nil, true},
		{"quotas turned on in the environment", noQuotas, map[string]string{"COGNATE_RATE_LIMITS_QUOTAS": "true"}, true},
		{"quotas not turned on", noQuotas, nil, false},
		{"limits off in the environment", quotas, map[string]string{"COGNATE_RATE_LIMITS_ENABLED": "false"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServe(t, tc.env, "--config", tc.file, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
			c := cip.New(cip.Options{
				BaseEndpoint:     aws.String(s.url),
				Region:           "us-east-1",
				Credentials:      credentials.NewStaticCredentialsProvider(s.keyID, s.secret, ""),
				RetryMaxAttempts: 1, // the SDK would retry the throttled request
			})
			list := func() error {
				_, err := c.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
				return err
			}
			if err := list(); err != nil {
				t.Fatalf("first ListUserPools: %v", err)
			}
			err := list()
			var tooMany *types.TooManyRequestsException
			if got := errors.As(err, &tooMany); got != tc.wantThrottled {
				t.Errorf("second ListUserPools: %v; throttled = %v, want %v", err, got, tc.wantThrottled)
			}
		})
	}
}

func TestRateLimiter(t *testing.T) {
	off := false
	l, err := rateLimiter(config.RateLimitsConfig{Enabled: &off, Quotas: true})
	if err != nil || l.Enabled() {
		t.Errorf("enabled: false gave %v, %v; want a limiter that is off", l, err)
	}
	l, err = rateLimiter(config.RateLimitsConfig{})
	if err != nil || l.Enabled() {
		t.Errorf("the defaults gave %v, %v; want a limiter that is off", l, err)
	}
	l, err = rateLimiter(config.RateLimitsConfig{Quotas: true, Scale: 2, Categories: map[string]float64{"UserList": 7}})
	if err != nil {
		t.Fatal(err)
	}
	if got := [2]float64{l.Rate(ratelimit.UserList), l.Rate(ratelimit.UserRead)}; got != [2]float64{7, 240} {
		t.Errorf("rates of UserList and UserRead = %v, want [7 240]", got)
	}
}

func TestProtectiveLimits(t *testing.T) {
	on, off := true, false
	rl := config.RateLimitsConfig{
		PerUser:        config.RateConfig{Enabled: &on, Rate: 2, Burst: 3},
		PerAddress:     config.RateConfig{Enabled: &off, Rate: 100, Burst: 200},
		TrustedProxies: []string{"127.0.0.1"},
	}
	g, proxies, err := protectiveLimits(rl)
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for range 4 {
		got = append(got, g.AllowUser("us-east-1_p", "alice"))
	}
	if want := []bool{true, true, true, false}; !slices.Equal(got, want) {
		t.Errorf("per user: %v, want %v", got, want)
	}
	for i := range 300 {
		if !g.AllowAddress(netip.MustParseAddr("192.0.2.1")) {
			t.Fatalf("per address, turned off, refused request %d", i+1)
		}
	}
	if !proxies.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Error("127.0.0.1 is not trusted")
	}
	rl.Enabled = &off
	if g, _, _ = protectiveLimits(rl); !g.AllowUser("us-east-1_p", "alice") || !g.AllowUser("us-east-1_p", "alice") ||
		!g.AllowUser("us-east-1_p", "alice") || !g.AllowUser("us-east-1_p", "alice") {
		t.Error("rate_limits.enabled: false left the per-user limit on")
	}
}
