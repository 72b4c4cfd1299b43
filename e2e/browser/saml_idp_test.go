package browser

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/crewjam/saml"

	"github.com/cognate-dev/cognate/e2e/internal/browsertest"
)

// poolSP is the service provider a pool is to SAML providers, as the IdP
// is told of it: entity ID urn:amazon:cognito:sp:<pool>, the ACS URL
// (HTTP-POST) and single logout URL (HTTP-Redirect) of the domain at base,
// and the pool's signing certificate from GetSigningCertificate. With
// encrypt, the certificate is offered for encryption too.
func poolSP(t *testing.T, c *cognate, poolID, base string, encrypt bool, extraACS ...string) *saml.EntityDescriptor {
	t.Helper()
	out, err := c.admin.GetSigningCertificate(context.Background(), &cip.GetSigningCertificateInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(aws.ToString(out.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	acs, _ := url.Parse(base + "/saml2/idpresponse")
	slo, _ := url.Parse(base + "/saml2/logout")
	sp := &saml.ServiceProvider{EntityID: "urn:amazon:cognito:sp:" + poolID, Certificate: cert, AcsURL: *acs, SloURL: *slo,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding}, LogoutBindings: []string{saml.HTTPRedirectBinding},
		SignatureMethod: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
	md := sp.Metadata()
	sso := &md.SPSSODescriptors[0]
	// The IdP checks the signature of a request that comes signed (the
	// pool's redirect), but its own login form posts the request back
	// without it: the metadata does not say that every request is signed.
	sso.AuthnRequestsSigned = aws.Bool(false)
	if !encrypt {
		var keep []saml.KeyDescriptor
		for _, kd := range sso.KeyDescriptors {
			if kd.Use != "encryption" {
				keep = append(keep, kd)
			}
		}
		sso.KeyDescriptors = keep
	}
	for i, loc := range extraACS {
		sso.AssertionConsumerServices = append(sso.AssertionConsumerServices, saml.IndexedEndpoint{
			Binding: saml.HTTPPostBinding, Location: loc, Index: len(sso.AssertionConsumerServices) + 1 + i})
	}
	return md
}

// createSAMLProvider adds the IdP as the SAML provider name of pool, with
// details added to its MetadataURL.
func createSAMLProvider(t *testing.T, c *cognate, poolID, name string, idp *samlIdP, details map[string]string, identifiers ...string) {
	t.Helper()
	d := map[string]string{"MetadataURL": idp.URL + "/metadata"}
	for k, v := range details {
		d[k] = v
	}
	if _, err := c.admin.CreateIdentityProvider(context.Background(), &cip.CreateIdentityProviderInput{
		UserPoolId: aws.String(poolID), ProviderName: aws.String(name), ProviderType: types.IdentityProviderTypeTypeSaml,
		ProviderDetails: d, IdpIdentifiers: identifiers,
		AttributeMapping: map[string]string{
			"email": samlMail, "name": samlCommonName, "given_name": samlGivenName, "family_name": samlSurname,
			"custom:groups": samlAffiliation,
		},
	}); err != nil {
		t.Fatal(err)
	}
}

// The attribute names samlidp sends.
const (
	samlMail        = browsertest.SAMLMail
	samlCommonName  = browsertest.SAMLCommonName
	samlGivenName   = browsertest.SAMLGivenName
	samlSurname     = browsertest.SAMLSurname
	samlAffiliation = browsertest.SAMLAffiliation
)

// addGroupsAttribute adds custom:groups to the pool, for the IdP's
// multi-valued eduPersonAffiliation.
func addGroupsAttribute(t *testing.T, c *cognate, poolID string) {
	t.Helper()
	if _, err := c.admin.AddCustomAttributes(context.Background(), &cip.AddCustomAttributesInput{
		UserPoolId: aws.String(poolID), CustomAttributes: []types.SchemaAttributeType{{
			Name: aws.String("groups"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(true)}},
	}); err != nil {
		t.Fatal(err)
	}
}
