package browser

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"
)

// samlIdP is a SAML 2.0 identity provider from crewjam/saml's samlidp,
// served in the test process: its users, the service providers it knows
// (by their metadata) and IdP-initiated shortcuts are set through its
// administrative API.
type samlIdP struct {
	URL  string
	srv  *samlidp.Server
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func startSAMLIdP(t *testing.T) *samlIdP {
	t.Helper()
	p := &samlIdP{}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	if p.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	p.URL = ts.URL
	u, _ := url.Parse(ts.URL)
	if p.srv, err = samlidp.New(samlidp.Options{URL: *u, Key: p.key, Certificate: p.cert, Store: &samlidp.MemoryStore{}}); err != nil {
		t.Fatal(err)
	}
	h = p.srv
	return p
}

// put sends v as JSON to the IdP's administrative path.
func (p *samlIdP) put(t *testing.T, path string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, p.URL+path, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT %s: %s %s", path, resp.Status, b)
	}
}

// samlUser is a user of the IdP.
type samlUser struct {
	Name, Password, Email, GivenName, Surname, CommonName string
	Groups                                                []string
}

func (p *samlIdP) addUser(t *testing.T, u samlUser) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"password": u.Password, "email": u.Email, "given_name": u.GivenName,
		"surname": u.Surname, "common_name": u.CommonName, "groups": u.Groups})
	p.put(t, "/users/"+u.Name, b)
}

// addService registers a service provider's metadata under id.
func (p *samlIdP) addService(t *testing.T, id string, md *saml.EntityDescriptor) {
	t.Helper()
	b, err := xml.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	p.put(t, "/services/"+id, b)
}

// addShortcut makes /login/<name> an IdP-initiated sign-in at the service
// provider entityID with relayState.
func (p *samlIdP) addShortcut(t *testing.T, name, entityID, relayState string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"name": name, "service_provider": entityID, "relay_state": relayState})
	p.put(t, "/shortcuts/"+name, b)
}

// metadata is the IdP's metadata document.
func (p *samlIdP) metadata(t *testing.T) *saml.EntityDescriptor {
	t.Helper()
	md := p.srv.IDP.Metadata()
	return md
}

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

// The attribute names samlidp sends (their OIDs, as the LDAP profile
// names them).
const (
	samlMail        = "urn:oid:0.9.2342.19200300.100.1.3"
	samlCommonName  = "urn:oid:2.5.4.3"
	samlGivenName   = "urn:oid:2.5.4.42"
	samlSurname     = "urn:oid:2.5.4.4"
	samlAffiliation = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
)

var samlFormValue = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// postedForm reads the SAMLResponse and RelayState of the IdP's
// auto-posting form.
func postedForm(t *testing.T, page []byte) (samlResponse, relayState string) {
	t.Helper()
	for _, m := range samlFormValue.FindAllSubmatch(page, -1) {
		v := html.UnescapeString(string(m[2]))
		if string(m[1]) == "SAMLResponse" {
			samlResponse = v
		} else {
			relayState = v
		}
	}
	if samlResponse == "" {
		t.Fatalf("the IdP answered no SAMLResponse: %s", page)
	}
	return samlResponse, relayState
}

// respond signs the user in at the IdP with the AuthnRequest authn (its
// XML), as the login form posts it, and returns the IdP's response.
func (p *samlIdP) respond(t *testing.T, authn []byte, relayState string, u samlUser) string {
	t.Helper()
	form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(authn)}, "RelayState": {relayState},
		"user": {u.Name}, "password": {u.Password}}
	resp, err := http.PostForm(p.URL+"/sso", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	sr, _ := postedForm(t, page)
	return sr
}

// initiate signs the user in at the IdP's shortcut (IdP-initiated) and
// returns the response and RelayState it posts.
func (p *samlIdP) initiate(t *testing.T, shortcut string, u samlUser) (string, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(p.URL+"/login", url.Values{"user": {u.Name}, "password": {u.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("IdP login: %s", resp.Status)
	}
	if resp, err = client.Get(p.URL + "/login/" + shortcut); err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return postedForm(t, page)
}

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
