package browsertest

import (
	"bytes"
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
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"
)

// SAMLIdP is a SAML 2.0 identity provider from crewjam/saml's samlidp,
// served in the test process: its users, the service providers it knows
// (by their metadata) and IdP-initiated shortcuts are set through its
// administrative API.
type SAMLIdP struct {
	URL string
	// Server is the IdP; Key and Cert are its signing key and
	// certificate, for a test that starts a second IdP with them.
	Server *samlidp.Server
	Key    *rsa.PrivateKey
	Cert   *x509.Certificate
}

// StartSAMLIdP starts an IdP with a new key and a self-signed certificate
// valid for a day either side of now.
func StartSAMLIdP(t TB) *SAMLIdP {
	t.Helper()
	p := &SAMLIdP{}
	var err error
	if p.Key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.Key.PublicKey, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	p.URL = ts.URL
	u, _ := url.Parse(ts.URL)
	if p.Server, err = samlidp.New(samlidp.Options{URL: *u, Key: p.Key, Certificate: p.Cert, Store: &samlidp.MemoryStore{}}); err != nil {
		t.Fatal(err)
	}
	h = p.Server
	return p
}

// put sends body to the IdP's administrative path.
func (p *SAMLIdP) put(t TB, path string, body []byte) {
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

// SAMLUser is a user of the IdP.
type SAMLUser struct {
	Name, Password, Email, GivenName, Surname, CommonName string
	Groups                                                []string
}

// AddUser adds u to the IdP.
func (p *SAMLIdP) AddUser(t TB, u SAMLUser) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"password": u.Password, "email": u.Email, "given_name": u.GivenName,
		"surname": u.Surname, "common_name": u.CommonName, "groups": u.Groups})
	p.put(t, "/users/"+u.Name, b)
}

// AddService registers a service provider's metadata under id.
func (p *SAMLIdP) AddService(t TB, id string, md *saml.EntityDescriptor) {
	t.Helper()
	b, err := xml.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	p.put(t, "/services/"+id, b)
}

// AddShortcut makes /login/<name> an IdP-initiated sign-in at the service
// provider entityID with relayState.
func (p *SAMLIdP) AddShortcut(t TB, name, entityID, relayState string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"name": name, "service_provider": entityID, "relay_state": relayState})
	p.put(t, "/shortcuts/"+name, b)
}

// Metadata is the IdP's metadata document.
func (p *SAMLIdP) Metadata() *saml.EntityDescriptor {
	return p.Server.IDP.Metadata()
}

// The attribute names samlidp sends (their OIDs, as the LDAP profile
// names them).
const (
	SAMLMail        = "urn:oid:0.9.2342.19200300.100.1.3"
	SAMLCommonName  = "urn:oid:2.5.4.3"
	SAMLGivenName   = "urn:oid:2.5.4.42"
	SAMLSurname     = "urn:oid:2.5.4.4"
	SAMLAffiliation = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
)

var samlFormValue = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// PostedForm reads the SAMLResponse and RelayState of the IdP's
// auto-posting form.
func PostedForm(t TB, page []byte) (samlResponse, relayState string) {
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

// Respond signs the user in at the IdP with the AuthnRequest authn (its
// XML), as the login form posts it, and returns the IdP's response.
func (p *SAMLIdP) Respond(t TB, authn []byte, relayState string, u SAMLUser) string {
	t.Helper()
	form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(authn)}, "RelayState": {relayState},
		"user": {u.Name}, "password": {u.Password}}
	resp, err := http.PostForm(p.URL+"/sso", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	sr, _ := PostedForm(t, page)
	return sr
}

// Initiate signs the user in at the IdP's shortcut (IdP-initiated) and
// returns the response and RelayState it posts.
func (p *SAMLIdP) Initiate(t TB, shortcut string, u SAMLUser) (string, string) {
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
	return PostedForm(t, page)
}
