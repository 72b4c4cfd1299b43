package userpool

import (
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

func TestCheckPrefix(t *testing.T) {
	const invalid = "InvalidParameterException: The domain name contains an invalid character. Domain names can only contain lower-case letters, numbers, and hyphens."
	cases := []struct {
		domain, want string
	}{
		{"my-app", ""},
		{"a", ""},
		{"awsome-app", ""},
		{"myaws", ""},
		{strings.Repeat("a", 63), ""},
		{strings.Repeat("a", 64), invalid},
		{"My-App", invalid},
		{"my_app", invalid},
		{"-app", invalid},
		{"app-", invalid},
		{"auth.example.com", invalid},
		{"my-aws-app", "InvalidParameterException: Domain cannot contain reserved word: aws"},
		{"amazon", "InvalidParameterException: Domain cannot contain reserved word: amazon"},
		{"login-cognito", "InvalidParameterException: Domain cannot contain reserved word: cognito"},
	}
	for _, tc := range cases {
		t.Run(tc.domain, func(t *testing.T) {
			if got := appErrText(checkPrefix(tc.domain)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckCustomDomain(t *testing.T) {
	const cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
	const badCert = "InvalidParameterException: The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain."
	const notSub = "InvalidParameterException: Custom domain is not a valid subdomain"
	cases := []struct {
		domain, cert, want string
	}{
		{"auth.example.com", cert, ""},
		{"login.eu.example.co.uk", cert, ""},
		{"example", cert, notSub},
		{"auth..example.com", cert, notSub},
		{"Auth.Example.com", cert, notSub},
		{"auth.example.com", "arn:aws:acm:eu-west-1:123456789012:certificate/abc", badCert},
		{"auth.example.com", "arn:aws:iam::123456789012:server-certificate/abc", badCert},
	}
	for _, tc := range cases {
		t.Run(tc.domain+" "+tc.cert, func(t *testing.T) {
			err := checkCustomDomain(tc.domain, &idp.CustomDomainConfigType{CertificateArn: cognito.Ptr(tc.cert)})
			if got := appErrText(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestManagedLoginVersion(t *testing.T) {
	cases := []struct {
		name    string
		version int32
		tier    string
		want    string
	}{
		{"classic on lite", 1, "LITE", ""},
		{"managed login on essentials", 2, "ESSENTIALS", ""},
		{"managed login on lite", 2, "LITE", "FeatureUnavailableInTierException: The following feature is not available for the LITE pricing tier configured: Managed Login Version 2"},
		{"unknown version", 3, "PLUS", "InvalidParameterException: ManagedLoginVersion 3 is not valid; use 1 (hosted UI classic) or 2 (managed login)."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := managedLoginVersion(tc.version, &idp.UserPoolType{UserPoolTier: cognito.Ptr(idp.UserPoolTierType(tc.tier))})
			if got := appErrText(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDomainDescriptionNames(t *testing.T) {
	if got := assetBucket("us-east-1"); got != "aws-cognito-prod-iad-assets" {
		t.Errorf("assetBucket(us-east-1) = %q", got)
	}
	if got := assetBucket("xx-test-9"); got != "aws-cognito-prod-xx-test-9-assets" {
		t.Errorf("assetBucket of an unknown region = %q", got)
	}
	a, b := prefixCloudFrontDomain("us-east-1"), prefixCloudFrontDomain("us-west-2")
	if a == b || a != prefixCloudFrontDomain("us-east-1") || !strings.HasSuffix(a, ".cloudfront.net") || len(a) != len("d")+13+len(".cloudfront.net") {
		t.Errorf("prefix distributions %q and %q", a, b)
	}
	if c := newCloudFrontDomain(); !strings.HasPrefix(c, "d") || !strings.HasSuffix(c, ".cloudfront.net") {
		t.Errorf("custom distribution %q", c)
	}
}
