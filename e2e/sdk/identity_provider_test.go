package sdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
)

// newAppleKey returns a Sign in with Apple key as Apple hands it out (a
// PEM PKCS #8 EC key, the .p8 file) and its base64 body.
func newAppleKey(t *testing.T) (pemText, body string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), base64.StdEncoding.EncodeToString(der)
}

// samlIdPMetadata returns the metadata document of a crewjam/saml identity
// provider at base, with a fresh key and certificate.
func samlIdPMetadata(t *testing.T, base string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	mustURL := func(s string) url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return *u
	}
	idp := saml.IdentityProvider{
		Key: key, Certificate: cert,
		MetadataURL: mustURL(base + "/metadata"), SSOURL: mustURL(base + "/sso"), LogoutURL: mustURL(base + "/slo"),
	}
	raw, err := xml.Marshal(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestIdentityProviders runs the identity-provider operations through the
// SDK: each provider type's details as Cognito checks and shows them, an
// OIDC provider's endpoints discovered at another pool of this server
// acting as the upstream provider, secrets shown as Cognito shows them
// (Apple's private key never), identifiers, listing, update and delete, and
// the app clients' SupportedIdentityProviders checked against them.
func TestIdentityProviders(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("idp")})
		create := func(name string, typ types.IdentityProviderTypeType, details map[string]string, mapping map[string]string, ids ...string) (*types.IdentityProviderType, error) {
			out, err := c.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
				UserPoolId: pool.Id, ProviderName: aws.String(name), ProviderType: typ,
				ProviderDetails: details, AttributeMapping: mapping, IdpIdentifiers: ids,
			})
			if err != nil {
				return nil, err
			}
			return out.IdentityProvider, nil
		}

		// Google: Cognito's endpoints are added, the secret shown.
		g, err := create("Google", types.IdentityProviderTypeTypeGoogle,
			map[string]string{"client_id": "1example.apps.googleusercontent.com", "client_secret": "google-secret", "authorize_scopes": "email profile openid"},
			map[string]string{"email": "email"})
		if err != nil {
			t.Fatal(err)
		}
		wantGoogle := map[string]string{
			"attributes_url": "https://people.googleapis.com/v1/people/me?personFields=", "attributes_url_add_attributes": "true",
			"authorize_scopes": "email profile openid", "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
			"client_id": "1example.apps.googleusercontent.com", "client_secret": "google-secret",
			"oidc_issuer": "https://accounts.google.com", "token_request_method": "POST", "token_url": "https://www.googleapis.com/oauth2/v4/token",
		}
		if diff := cmp.Diff(wantGoogle, g.ProviderDetails); diff != "" {
			t.Errorf("Google details (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"email": "email", "username": "sub"}, g.AttributeMapping); diff != "" {
			t.Errorf("Google mapping (-want +got):\n%s", diff)
		}
		if g.CreationDate == nil || g.LastModifiedDate == nil || aws.ToString(g.UserPoolId) != aws.ToString(pool.Id) {
			t.Errorf("Google provider: %+v", g)
		}

		// Facebook: the api_version goes into the URLs.
		fb, err := create("Facebook", types.IdentityProviderTypeTypeFacebook,
			map[string]string{"client_id": "fb", "client_secret": "fb-secret", "authorize_scopes": "public_profile, email", "api_version": "v17.0"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{
			"authorize_url": "https://www.facebook.com/v17.0/dialog/oauth", "token_url": "https://graph.facebook.com/v17.0/oauth/access_token",
			"attributes_url": "https://graph.facebook.com/v17.0/me?fields=", "token_request_method": "GET", "attributes_url_add_attributes": "true",
		} {
			if fb.ProviderDetails[k] != v {
				t.Errorf("Facebook %s = %q, want %q", k, fb.ProviderDetails[k], v)
			}
		}
		if fb.AttributeMapping["username"] != "id" {
			t.Errorf("Facebook username mapping = %q, want id", fb.AttributeMapping["username"])
		}

		// Sign in with Apple: the private key is never returned, and a
		// described provider sent back keeps it.
		applePEM, _ := newAppleKey(t)
		apple, err := create("SignInWithApple", types.IdentityProviderTypeTypeSignInWithApple,
			map[string]string{"client_id": "com.example.app", "team_id": "TEAM123456", "key_id": "KEY1234567", "private_key": applePEM, "authorize_scopes": "email name"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := apple.ProviderDetails["private_key"]; ok {
			t.Error("Apple's private key is returned")
		}
		if apple.ProviderDetails["authorize_url"] != "https://appleid.apple.com/auth/authorize" || apple.ProviderDetails["oidc_issuer"] != "https://appleid.apple.com" {
			t.Errorf("Apple details: %v", apple.ProviderDetails)
		}
		up, err := c.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{
			UserPoolId: pool.Id, ProviderName: aws.String("SignInWithApple"), ProviderDetails: apple.ProviderDetails,
		})
		if err != nil {
			t.Fatalf("update with the described details: %v", err)
		}
		if diff := cmp.Diff(apple.ProviderDetails, up.IdentityProvider.ProviderDetails); diff != "" {
			t.Errorf("Apple details after update (-want +got):\n%s", diff)
		}

		// OIDC: the endpoints the request leaves out are discovered at
		// the issuer, here another pool of this server.
		upstream := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("upstream")})
		issuer := e.URL + "/" + aws.ToString(upstream.Id)
		disc, err := oidc.NewProvider(ctx, issuer)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			UserInfo string `json:"userinfo_endpoint"`
			JWKS     string `json:"jwks_uri"`
		}
		if err := disc.Claims(&doc); err != nil {
			t.Fatal(err)
		}
		o, err := create("Upstream", types.IdentityProviderTypeTypeOidc,
			map[string]string{"client_id": "up-client", "client_secret": "up-secret", "oidc_issuer": issuer, "authorize_scopes": "openid email", "attributes_request_method": "GET"},
			map[string]string{"email": "email", "email_verified": "email_verified"}, "upstream.example.com", "Up")
		if err != nil {
			t.Fatal(err)
		}
		wantOIDC := map[string]string{
			"client_id": "up-client", "client_secret": "up-secret", "oidc_issuer": issuer, "authorize_scopes": "openid email",
			"attributes_request_method": "GET", "attributes_url_add_attributes": "false",
			"authorize_url": disc.Endpoint().AuthURL, "token_url": disc.Endpoint().TokenURL, "attributes_url": doc.UserInfo, "jwks_uri": doc.JWKS,
		}
		if diff := cmp.Diff(wantOIDC, o.ProviderDetails); diff != "" {
			t.Errorf("OIDC details (-want +got):\n%s", diff)
		}

		// SAML: metadata from crewjam/saml's identity provider.
		meta := samlIdPMetadata(t, "https://idp.example.com/saml")
		sp, err := create("Corp", types.IdentityProviderTypeTypeSaml,
			map[string]string{"MetadataFile": meta, "IDPSignout": "true", "RequestSigningAlgorithm": "rsa-sha256"},
			map[string]string{"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}, "corp.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if sp.ProviderDetails["SSORedirectBindingURI"] != "https://idp.example.com/saml/sso" || sp.ProviderDetails["SLORedirectBindingURI"] != "https://idp.example.com/saml/slo" {
			t.Errorf("SAML details: SSO %q, SLO %q", sp.ProviderDetails["SSORedirectBindingURI"], sp.ProviderDetails["SLORedirectBindingURI"])
		}
		if _, ok := sp.AttributeMapping["username"]; ok {
			t.Errorf("SAML mapping has a username default: %v", sp.AttributeMapping)
		}

		// What Cognito refuses.
		for _, tc := range []struct {
			name, provider string
			typ            types.IdentityProviderTypeType
			details        map[string]string
			mapping        map[string]string
			ids            []string
			code, msg      string
		}{
			{"duplicate name", "Google", types.IdentityProviderTypeTypeGoogle, map[string]string{"client_id": "x", "client_secret": "y", "authorize_scopes": "openid"}, nil, nil,
				"DuplicateProviderException", "A provider with the name Google already exists in this user pool."},
			{"social name not its type", "MyGoogle", types.IdentityProviderTypeTypeGoogle, map[string]string{"client_id": "x", "client_secret": "y", "authorize_scopes": "openid"}, nil, nil,
				"InvalidParameterException", "Provider name MyGoogle is not valid for provider type Google: it must be Google."},
			{"missing secret", "LoginWithAmazon", types.IdentityProviderTypeTypeLoginWithAmazon, map[string]string{"client_id": "x", "authorize_scopes": "profile"}, nil, nil,
				"InvalidParameterException", "client_secret is required for provider type LoginWithAmazon."},
			{"unknown key", "LoginWithAmazon", types.IdentityProviderTypeTypeLoginWithAmazon, map[string]string{"client_id": "x", "client_secret": "y", "authorize_scopes": "profile", "team_id": "z"}, nil, nil,
				"InvalidParameterException", "team_id is not a valid provider details key for provider type LoginWithAmazon."},
			{"bad Apple key", "SignInWithApple", types.IdentityProviderTypeTypeSignInWithApple, map[string]string{"client_id": "a", "team_id": "b", "key_id": "c", "private_key": "not a key", "authorize_scopes": "email"}, nil, nil,
				"InvalidParameterException", ""},
			{"OIDC without openid", "NoOpenID", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "email"}, nil, nil,
				"InvalidParameterException", "authorize_scopes of an OIDC provider must include openid."},
			{"OIDC issuer over plain HTTP", "Plain", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": "http://idp.example.com", "authorize_scopes": "openid"}, nil, nil,
				"InvalidParameterException", "oidc_issuer http://idp.example.com is not a valid HTTPS URL."},
			{"OIDC issuer without discovery", "Nowhere", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": e.URL + "/nowhere", "authorize_scopes": "openid"}, nil, nil,
				"InvalidParameterException", ""},
			{"OIDC bad request method", "Method", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "openid", "attributes_request_method": "PUT"}, nil, nil,
				"InvalidParameterException", "attributes_request_method must be GET or POST, not PUT."},
			{"SAML without metadata", "NoMeta", types.IdentityProviderTypeTypeSaml, map[string]string{"IDPSignout": "true"}, nil, nil,
				"InvalidParameterException", "Exactly one of MetadataFile and MetadataURL is required for provider type SAML."},
			{"SAML bad metadata", "BadMeta", types.IdentityProviderTypeTypeSaml, map[string]string{"MetadataFile": "<x/>"}, nil, nil,
				"InvalidParameterException", "The SAML metadata document is not valid: it needs an EntityDescriptor with an IDPSSODescriptor."},
			{"mapping to an unknown attribute", "Other", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "openid"}, map[string]string{"shoe_size": "shoe"}, nil,
				"InvalidParameterException", "Attribute shoe_size is not in the user pool's schema."},
			{"mapping to sub", "Other", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "openid"}, map[string]string{"sub": "sub"}, nil,
				"InvalidParameterException", "Attribute sub cannot be mapped: it is not mutable."},
			{"identifier of another provider", "Other", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "openid"}, nil, []string{"Up"},
				"InvalidParameterException", "Duplicate identifier Up: another identity provider of the user pool has it."},
			{"reserved name", "Cognito", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "openid"}, nil, nil,
				"InvalidParameterException", "Cognito is a reserved provider name."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := create(tc.provider, tc.typ, tc.details, tc.mapping, tc.ids...)
				wantAPIError(t, err, tc.code, tc.msg)
			})
		}

		// Identifiers find their provider.
		byID, err := c.GetIdentityProviderByIdentifier(ctx, &cip.GetIdentityProviderByIdentifierInput{UserPoolId: pool.Id, IdpIdentifier: aws.String("upstream.example.com")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(byID.IdentityProvider.ProviderName) != "Upstream" {
			t.Errorf("by identifier: %s", aws.ToString(byID.IdentityProvider.ProviderName))
		}
		_, err = c.GetIdentityProviderByIdentifier(ctx, &cip.GetIdentityProviderByIdentifierInput{UserPoolId: pool.Id, IdpIdentifier: aws.String("nobody")})
		wantAPIError(t, err, "ResourceNotFoundException", "")

		// Listing, a page at a time, by name.
		var names []string
		var next *string
		for {
			page, err := c.ListIdentityProviders(ctx, &cip.ListIdentityProvidersInput{UserPoolId: pool.Id, MaxResults: aws.Int32(2), NextToken: next})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Providers {
				names = append(names, aws.ToString(p.ProviderName)+":"+string(p.ProviderType))
			}
			if next = page.NextToken; next == nil {
				break
			}
		}
		want := []string{"Corp:SAML", "Facebook:Facebook", "Google:Google", "SignInWithApple:SignInWithApple", "Upstream:OIDC"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("listed (-want +got):\n%s", diff)
		}

		// Update: members left out keep their values; identifiers move.
		u2, err := c.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{
			UserPoolId: pool.Id, ProviderName: aws.String("Upstream"), IdpIdentifiers: []string{"Up2"},
			AttributeMapping: map[string]string{"name": "name"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantOIDC, u2.IdentityProvider.ProviderDetails); diff != "" {
			t.Errorf("OIDC details after update (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"name": "name", "username": "sub"}, u2.IdentityProvider.AttributeMapping); diff != "" {
			t.Errorf("OIDC mapping after update (-want +got):\n%s", diff)
		}
		if _, err := create("Other", types.IdentityProviderTypeTypeOidc, map[string]string{"client_id": "x", "oidc_issuer": issuer, "authorize_scopes": "openid"}, nil, "Up"); err != nil {
			t.Errorf("an identifier given up is free: %v", err)
		}

		// App clients name the pool's providers.
		cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId: pool.Id, ClientName: aws.String("web"), SupportedIdentityProviders: []string{"COGNITO", "Google", "Upstream"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"COGNITO", "Google", "Upstream"}, cl.UserPoolClient.SupportedIdentityProviders); diff != "" {
			t.Errorf("client providers (-want +got):\n%s", diff)
		}
		_, err = c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId: pool.Id, ClientName: aws.String("web2"), SupportedIdentityProviders: []string{"COGNITO", "LoginWithAmazon"},
		})
		wantAPIError(t, err, "InvalidParameterException", "The provider LoginWithAmazon does not exist for User Pool "+aws.ToString(pool.Id))

		// Delete.
		if _, err := c.DeleteIdentityProvider(ctx, &cip.DeleteIdentityProviderInput{UserPoolId: pool.Id, ProviderName: aws.String("Facebook")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: pool.Id, ProviderName: aws.String("Facebook")})
		wantAPIError(t, err, "ResourceNotFoundException", "Identity provider Facebook does not exist.")
		_, err = c.DeleteIdentityProvider(ctx, &cip.DeleteIdentityProviderInput{UserPoolId: pool.Id, ProviderName: aws.String("Facebook")})
		wantAPIError(t, err, "ResourceNotFoundException", "Identity provider Facebook does not exist.")
		// Another pool does not see them.
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("other")})
		_, err = c.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: other.Id, ProviderName: aws.String("Google")})
		wantAPIError(t, err, "ResourceNotFoundException", "Identity provider Google does not exist.")
	})
}

// TestSigningCertificate checks GetSigningCertificate: a certificate of
// the pool's SAML service provider, the same at every call, one per pool.
func TestSigningCertificate(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("cert")})
		first, err := c.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: pool.Id})
		if err != nil {
			t.Fatal(err)
		}
		der, err := base64.StdEncoding.DecodeString(aws.ToString(first.Certificate))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Subject.CommonName != "urn:amazon:cognito:sp:"+aws.ToString(pool.Id) || cert.NotAfter.Before(time.Now().AddDate(9, 0, 0)) {
			t.Errorf("certificate: %s until %s", cert.Subject, cert.NotAfter)
		}
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			t.Errorf("not self-signed: %v", err)
		}
		again, err := c.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: pool.Id})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(again.Certificate) != aws.ToString(first.Certificate) {
			t.Error("the certificate changed between calls")
		}
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("cert2")})
		o, err := c.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: other.Id})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(o.Certificate) == aws.ToString(first.Certificate) {
			t.Error("two pools share a certificate")
		}
		_, err = c.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: aws.String("us-east-1_Nope12345")})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_Nope12345 does not exist.")
	})
}

// identitiesOf returns the identities attribute of a user, decoded.
func identitiesOf(t *testing.T, c *cip.Client, pool *string, username string) []map[string]any {
	t.Helper()
	u, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(username)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range u.UserAttributes {
		if aws.ToString(a.Name) == "identities" {
			var out []map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(a.Value)), &out); err != nil {
				t.Fatalf("identities %q: %v", aws.ToString(a.Value), err)
			}
			return out
		}
	}
	return nil
}

// TestLinkProviderForUser links external identities to a user of the pool
// and unlinks them, with the exceptions Cognito answers.
func TestLinkProviderForUser(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("link")})
		if _, err := c.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
			UserPoolId: pool.Id, ProviderName: aws.String("Google"), ProviderType: types.IdentityProviderTypeTypeGoogle,
			ProviderDetails: map[string]string{"client_id": "g", "client_secret": "s", "authorize_scopes": "openid email"},
		}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"alice", "bob"} {
			if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.Id, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Fatal(err)
			}
		}
		// LimitExceededException is not retried: the SDK takes it for
		// throttling.
		link := func(dst string, src types.ProviderUserIdentifierType) error {
			_, err := c.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{
				UserPoolId:      pool.Id,
				DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String(dst)},
				SourceUser:      &src,
			}, noRetry)
			return err
		}
		google := func(attr, value string) types.ProviderUserIdentifierType {
			return types.ProviderUserIdentifierType{ProviderName: aws.String("Google"), ProviderAttributeName: aws.String(attr), ProviderAttributeValue: aws.String(value)}
		}
		if err := link("alice", google("Cognito_Subject", "1234567890")); err != nil {
			t.Fatal(err)
		}
		ids := identitiesOf(t, c, pool.Id, "alice")
		if len(ids) != 1 || ids[0]["userId"] != "1234567890" || ids[0]["providerName"] != "Google" || ids[0]["providerType"] != "Google" || ids[0]["primary"] != "false" {
			t.Errorf("alice's identities: %v", ids)
		}
		for _, tc := range []struct {
			name, dst string
			src       types.ProviderUserIdentifierType
			code, msg string
		}{
			{"already linked", "bob", google("Cognito_Subject", "1234567890"), "AliasExistsException", "The SourceUser is already linked to a user of the pool."},
			{"social attribute not the subject", "bob", google("email", "a@example.com"), "InvalidParameterException", "ProviderAttributeName of a Google SourceUser must be Cognito_Subject."},
			{"unknown provider", "bob", types.ProviderUserIdentifierType{ProviderName: aws.String("Facebook"), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String("1")},
				"ResourceNotFoundException", "Identity provider Facebook does not exist."},
			{"native source", "bob", types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String("alice")},
				"InvalidParameterException", "SourceUser must be a user of an external identity provider, not a user of the user pool."},
			{"no such destination", "carol", google("Cognito_Subject", "999"), "UserNotFoundException", "User does not exist."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, link(tc.dst, tc.src), tc.code, tc.msg)
			})
		}
		// Five identities at most.
		for i := range 4 {
			if err := link("alice", google("Cognito_Subject", "extra"+string(rune('a'+i)))); err != nil {
				t.Fatal(err)
			}
		}
		wantAPIError(t, link("alice", google("Cognito_Subject", "sixth")), "LimitExceededException", "A user can have at most 5 linked identities.")

		// Unlinking frees the identity for another user.
		if _, err := c.AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{UserPoolId: pool.Id, User: &types.ProviderUserIdentifierType{
			ProviderName: aws.String("Google"), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String("1234567890"),
		}}); err != nil {
			t.Fatal(err)
		}
		if ids := identitiesOf(t, c, pool.Id, "alice"); len(ids) != 4 || strings.Contains(ids[0]["userId"].(string), "1234567890") {
			t.Errorf("alice's identities after unlinking: %v", ids)
		}
		if err := link("bob", google("Cognito_Subject", "1234567890")); err != nil {
			t.Fatalf("link the freed identity: %v", err)
		}
		_, err := c.AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{UserPoolId: pool.Id, User: &types.ProviderUserIdentifierType{
			ProviderName: aws.String("Google"), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String("nobody"),
		}})
		wantAPIError(t, err, "UserNotFoundException", "User does not exist.")
	})
}
