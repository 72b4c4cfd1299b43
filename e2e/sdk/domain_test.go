package sdk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var domainVersionPattern = regexp.MustCompile(`^\d{14}$`)

func TestUserPoolDomains(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("domains")})
		created, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("my-login")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(created.ManagedLoginVersion) != 1 || created.CloudFrontDomain != nil {
			t.Errorf("CreateUserPoolDomain = version %d, CloudFrontDomain %v", aws.ToInt32(created.ManagedLoginVersion), created.CloudFrontDomain)
		}
		d, err := c.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("my-login")})
		if err != nil {
			t.Fatal(err)
		}
		desc := d.DomainDescription
		want := &types.DomainDescriptionType{
			UserPoolId: pool.Id, AWSAccountId: aws.String(accountID), Domain: aws.String("my-login"),
			S3Bucket: aws.String("aws-cognito-prod-iad-assets"), Status: types.DomainStatusTypeActive, ManagedLoginVersion: aws.Int32(1),
		}
		if diff := cmp.Diff(want, desc, cmpOpts, cmpopts.IgnoreFields(types.DomainDescriptionType{}, "CloudFrontDistribution", "Version")); diff != "" {
			t.Errorf("description (-want +got):\n%s", diff)
		}
		if !regexp.MustCompile(`^d[0-9a-z]{13}\.cloudfront\.net$`).MatchString(aws.ToString(desc.CloudFrontDistribution)) ||
			!domainVersionPattern.MatchString(aws.ToString(desc.Version)) {
			t.Errorf("CloudFrontDistribution %q, Version %q", aws.ToString(desc.CloudFrontDistribution), aws.ToString(desc.Version))
		}

		// One prefix domain per pool; one pool per domain.
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("second-login")})
		wantAPIError(t, err, "InvalidParameterException", "User pool already has a domain configured.")
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("domains-other")})
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("my-login")})
		wantAPIError(t, err, "InvalidParameterException", "Domain already associated with another user pool.")
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("my-aws-login")})
		wantAPIError(t, err, "InvalidParameterException", "Domain cannot contain reserved word: aws")
		if _, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("awsome-login")}); err != nil {
			t.Errorf("a word merely containing aws: %v", err)
		}
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("Upper")})
		wantAPIError(t, err, "InvalidParameterException", "")
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String("us-east-1_Nope12345"), Domain: aws.String("orphan")})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_Nope12345 does not exist.")
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("fresh"), ManagedLoginVersion: aws.Int32(3)})
		wantAPIError(t, err, "InvalidParameterException", "")

		// Unknown domains, and domains of another region, describe as {}.
		for _, tc := range []struct {
			name   string
			client *cip.Client
			domain string
		}{
			{"unknown", c, "nobody-has-this"},
			{"other region", e.client("us-west-2"), "my-login"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out, err := tc.client.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(tc.domain)})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(&types.DomainDescriptionType{}, out.DomainDescription, cmpOpts); diff != "" {
					t.Errorf("description (-want +got):\n%s", diff)
				}
			})
		}

		// Update the managed login version.
		up, err := c.UpdateUserPoolDomain(ctx, &cip.UpdateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("my-login"), ManagedLoginVersion: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(up.ManagedLoginVersion) != 2 {
			t.Errorf("updated version %d", aws.ToInt32(up.ManagedLoginVersion))
		}
		d, err = c.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("my-login")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(d.DomainDescription.ManagedLoginVersion) != 2 {
			t.Errorf("described version %d after update", aws.ToInt32(d.DomainDescription.ManagedLoginVersion))
		}
		_, err = c.UpdateUserPoolDomain(ctx, &cip.UpdateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("my-login"), ManagedLoginVersion: aws.Int32(1)})
		wantAPIError(t, err, "InvalidParameterException", "No such domain or user pool exists.")

		// Delete: only by the owning pool.
		_, err = c.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("my-login")})
		wantAPIError(t, err, "InvalidParameterException", "No such domain or user pool exists.")
		if _, err := c.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("my-login")}); err != nil {
			t.Fatal(err)
		}
		d, err = c.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("my-login")})
		if err != nil || aws.ToString(d.DomainDescription.UserPoolId) != "" {
			t.Errorf("describe after delete: %+v %v", d.DomainDescription, err)
		}
		_, err = c.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("my-login")})
		wantAPIError(t, err, "InvalidParameterException", "No such domain or user pool exists.")
		// The name is free again, and the pool may take another.
		if _, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("my-new-login")}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUserPoolDomainTier(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		lite := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("lite"), UserPoolTier: types.UserPoolTierTypeLite})
		_, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: lite.Id, Domain: aws.String("lite-login"), ManagedLoginVersion: aws.Int32(2)})
		var tier *types.FeatureUnavailableInTierException
		if !errors.As(err, &tier) {
			t.Fatalf("managed login on LITE: %v, want FeatureUnavailableInTierException", err)
		}
		wantAPIError(t, err, "FeatureUnavailableInTierException", "The following feature is not available for the LITE pricing tier configured: Managed Login Version 2")
		if _, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: lite.Id, Domain: aws.String("lite-login")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.UpdateUserPoolDomain(ctx, &cip.UpdateUserPoolDomainInput{UserPoolId: lite.Id, Domain: aws.String("lite-login"), ManagedLoginVersion: aws.Int32(2)})
		wantAPIError(t, err, "FeatureUnavailableInTierException", "")
	})
}

func TestUICustomization(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("ui")})
		web := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("web")})
		mobile := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("mobile")})
		const css = ".banner-customizable { background-color: #123456; }"

		_, err := c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, CSS: aws.String(css)})
		wantAPIError(t, err, "InvalidParameterException", "A domain must be associated with this user pool.")
		if _, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("ui-login")}); err != nil {
			t.Fatal(err)
		}

		// Nothing set yet.
		got, err := c.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: pool.Id, ClientId: web.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&types.UICustomizationType{UserPoolId: pool.Id, ClientId: web.ClientId}, got.UICustomization, cmpOpts); diff != "" {
			t.Errorf("before any customization (-want +got):\n%s", diff)
		}

		// The pool default applies to every client without its own.
		png := []byte("\x89PNG\r\n\x1a\nnot really an image")
		set, err := c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, ClientId: aws.String("ALL"), CSS: aws.String(css), ImageFile: png})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(set.UICustomization.CSS) != css || aws.ToString(set.UICustomization.ClientId) != "ALL" || set.UICustomization.CSSVersion == nil ||
			set.UICustomization.CreationDate == nil || set.UICustomization.LastModifiedDate == nil {
			t.Errorf("SetUICustomization = %+v", set.UICustomization)
		}
		got, err = c.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: pool.Id, ClientId: web.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(got.UICustomization.CSS) != css || aws.ToString(got.UICustomization.ClientId) != "ALL" {
			t.Errorf("client falls back to %+v", got.UICustomization)
		}
		// The logo is served, publicly, at ImageUrl.
		logoURL := aws.ToString(set.UICustomization.ImageUrl)
		if !strings.HasPrefix(logoURL, e.URL+"/"+aws.ToString(pool.Id)+"/ui-customization/ALL/") || !strings.HasSuffix(logoURL, "/logo.png") {
			t.Errorf("SetUICustomization's ImageUrl = %q", logoURL)
		}
		if got := aws.ToString(got.UICustomization.ImageUrl); got != logoURL {
			t.Errorf("GetUICustomization's ImageUrl = %q, want %q", got, logoURL)
		}
		wantLogo(t, logoURL, "image/png", png)

		// A client's own customization wins for that client only.
		const mobileCSS = ".submitButton-customizable { font-size: 14px; }"
		if _, err := c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, ClientId: mobile.ClientId, CSS: aws.String(mobileCSS)}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			client       *string
			css, applies string
		}{
			{mobile.ClientId, mobileCSS, aws.ToString(mobile.ClientId)},
			{web.ClientId, css, "ALL"},
			{nil, css, "ALL"},
		} {
			got, err := c.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: pool.Id, ClientId: tc.client})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(got.UICustomization.CSS) != tc.css || aws.ToString(got.UICustomization.ClientId) != tc.applies {
				t.Errorf("client %s: got %+v", aws.ToString(tc.client), got.UICustomization)
			}
			// The client's own customization has no logo; the pool's has.
			if has := got.UICustomization.ImageUrl != nil; has != (tc.applies == "ALL") {
				t.Errorf("client %s: ImageUrl %q", aws.ToString(tc.client), aws.ToString(got.UICustomization.ImageUrl))
			}
		}

		// Another logo has another URL, and the former one serves nothing
		// (it was cacheable for good); without a logo there is no URL.
		jpeg := []byte("\xff\xd8\xff\xe0 a JPEG's first bytes")
		set, err = c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, CSS: aws.String(css), ImageFile: jpeg})
		if err != nil {
			t.Fatal(err)
		}
		jpegURL := aws.ToString(set.UICustomization.ImageUrl)
		if jpegURL == logoURL || !strings.HasSuffix(jpegURL, "/logo.jpg") {
			t.Errorf("ImageUrl of a JPEG logo = %q (the PNG's was %q)", jpegURL, logoURL)
		}
		wantLogo(t, jpegURL, "image/jpeg", jpeg)
		wantNoLogo(t, logoURL)
		wantNoLogo(t, strings.TrimSuffix(jpegURL, ".jpg")+".png")
		wantNoLogo(t, strings.Replace(jpegURL, "/ALL/", "/"+aws.ToString(mobile.ClientId)+"/", 1))
		wantNoLogo(t, strings.Replace(jpegURL, aws.ToString(pool.Id), "us-east-1_nosuchpoo", 1))
		set, err = c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, CSS: aws.String(css)})
		if err != nil {
			t.Fatal(err)
		}
		if set.UICustomization.ImageUrl != nil {
			t.Errorf("ImageUrl %q without a logo", aws.ToString(set.UICustomization.ImageUrl))
		}
		wantNoLogo(t, jpegURL)

		// Only the customizable classes, and only for clients of the pool.
		_, err = c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, CSS: aws.String("body { color: red; }")})
		wantAPIError(t, err, "InvalidParameterException", "The CSS class body is not in the list of allowed classes.")
		_, err = c.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: pool.Id, ClientId: aws.String("nosuchclient0000000000000a"), CSS: aws.String(css)})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")
		_, err = c.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: pool.Id, ClientId: aws.String("nosuchclient0000000000000a")})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")
		_, err = e.client("us-west-2").GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: pool.Id})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool "+aws.ToString(pool.Id)+" does not exist.")

		// Deleting a client deletes its customization.
		if _, err := c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: pool.Id, ClientId: mobile.ClientId}); err != nil {
			t.Fatal(err)
		}
		n, err := e.Store.CountItems(ctx, "ui_customization", aws.ToString(pool.Id))
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d UI customizations after deleting the client, want 1 (the pool default)", n)
		}
	})
}

func TestCustomDomain(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("custom-domain")})
		cert := &types.CustomDomainConfigType{CertificateArn: aws.String("arn:aws:acm:us-east-1:" + accountID + ":certificate/0e5b2c4e-1111-2222-3333-444455556666")}
		out, err := c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("auth.example.com"), CustomDomainConfig: cert})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.CloudFrontDomain) == "" {
			t.Error("a custom domain has no CloudFrontDomain")
		}
		d, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pool.Id})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.UserPool.CustomDomain) != "auth.example.com" {
			t.Errorf("CustomDomain = %q", aws.ToString(d.UserPool.CustomDomain))
		}
		// A dotted name without a certificate is not a prefix domain.
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.Id, Domain: aws.String("not.a.prefix")})
		wantAPIError(t, err, "InvalidParameterException", "The domain name contains an invalid character. Domain names can only contain lower-case letters, numbers, and hyphens.")
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("other")})
		_, err = c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: other.Id, Domain: aws.String("bad..example.com"), CustomDomainConfig: cert})
		wantAPIError(t, err, "InvalidParameterException", "Custom domain is not a valid subdomain")
	})
}

// wantLogo fetches a logo's URL as a browser or a CDN would and checks
// that it is the image img of media type typ, public and cacheable.
func wantLogo(t *testing.T, url, typ string, img []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, img) {
		t.Fatalf("GET %s: %s, %d bytes, want the %d bytes of the logo", url, resp.Status, len(body), len(img))
	}
	for k, want := range map[string]string{"Content-Type": typ, "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("GET %s: %s %q, want %q", url, k, got, want)
		}
	}
}

// wantNoLogo checks that url serves no image.
func wantNoLogo(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Errorf("GET %s: %s %s, want 404", url, resp.Status, resp.Header.Get("Content-Type"))
	}
}
