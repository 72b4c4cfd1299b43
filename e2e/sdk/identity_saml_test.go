package sdk

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
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/identitypool"
)

// awsIdP is a SAML identity provider (crewjam/saml's samlidp, in the test
// process) set up for AWS federation: it knows the relying party
// https://signin.aws.amazon.com/saml (or another audience) and signs users
// in there IdP-initiated, through a shortcut per audience.
type awsIdP struct {
	URL string
	srv *samlidp.Server
}

func startAWSIdP(t *testing.T, audiences ...string) *awsIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	p := &awsIdP{URL: ts.URL}
	if p.srv, err = samlidp.New(samlidp.Options{URL: *u, Key: key, Certificate: cert, Store: &samlidp.MemoryStore{}}); err != nil {
		t.Fatal(err)
	}
	h = p.srv
	p.put(t, "/users/ada", map[string]any{"password": "analytical", "email": "ada@corp.example", "common_name": "Ada Lovelace", "groups": []string{"staff"}})
	for i, aud := range audiences {
		acs, _ := url.Parse(aud)
		md, err := xml.Marshal((&saml.ServiceProvider{EntityID: aud, AcsURL: *acs, AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding}}).Metadata())
		if err != nil {
			t.Fatal(err)
		}
		id := string(rune('a' + i))
		req, _ := http.NewRequest(http.MethodPut, p.URL+"/services/"+id, bytes.NewReader(md))
		p.do(t, req)
		p.put(t, "/shortcuts/"+id, map[string]any{"name": id, "service_provider": aud})
	}
	return p
}

func (p *awsIdP) put(t *testing.T, path string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPut, p.URL+path, bytes.NewReader(b))
	p.do(t, req)
}

func (p *awsIdP) do(t *testing.T, req *http.Request) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
}

var samlResponseField = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)

// assertion signs ada in at the IdP and returns the SAMLResponse it posts
// to the i-th audience: what an app passes as the login.
func (p *awsIdP) assertion(t *testing.T, i int) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(p.URL+"/login", url.Values{"user": {"ada"}, "password": {"analytical"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = client.Get(p.URL + "/login/" + string(rune('a'+i))); err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := samlResponseField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("the IdP posted no SAMLResponse: %s", page)
	}
	return html.UnescapeString(string(m[1]))
}

// TestIdentitySAMLProvider trades SAML assertions for credentials: the
// identity pool names a SAML provider by its IAM ARN, the configuration
// holds its metadata (as IAM does), and the Logins value is the base64
// SAMLResponse the IdP posted for AWS's audience. GetId,
// GetCredentialsForIdentity and GetOpenIdToken take it (the same
// assertion, several times, as Cognito takes it); an assertion for
// another audience, one whose signature was removed or whose NameID was
// changed, and a provider the configuration does not know are refused.
func TestIdentitySAMLProvider(t *testing.T) {
	const other = "https://other.example/saml"
	idp := startAWSIdP(t, identitypool.DefaultSAMLAudience, other)
	const arn = "arn:aws:iam::123456789012:saml-provider/Corp"
	const unknown = "arn:aws:iam::123456789012:saml-provider/Unknown"
	identityBackends(t, idOptions{saml: map[string]identitypool.SAMLProvider{"Corp": {MetadataURL: idp.URL + "/metadata"}}}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		pool := createIdentityPool(t, e, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("saml"), SamlProviderARNs: []string{arn, unknown}})
		logins := map[string]string{arn: idp.assertion(t, 0)}
		got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		creds, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: got.IdentityId, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(creds.Credentials.AccessKeyId) == "" || aws.ToString(creds.IdentityId) != aws.ToString(got.IdentityId) {
			t.Fatalf("credentials %+v", creds)
		}
		amr := claimList(e.sts.last(t).Claims["amr"])
		if !cmp.Equal(amr, []string{"authenticated", arn, arn + ":ada@corp.example"}) {
			t.Fatalf("amr = %v", amr)
		}
		if _, err := e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: got.IdentityId, Logins: logins}); err != nil {
			t.Fatal(err)
		}
		// A second assertion for the same user finds the same identity.
		again, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{arn: idp.assertion(t, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(again.IdentityId) != aws.ToString(got.IdentityId) {
			t.Errorf("a second assertion: identity %s, want %s", aws.ToString(again.IdentityId), aws.ToString(got.IdentityId))
		}

		tamper := func(sr string, fn func(resp *etree.Element)) string {
			raw, _ := base64.StdEncoding.DecodeString(sr)
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(raw); err != nil {
				t.Fatal(err)
			}
			fn(doc.Root())
			b, _ := doc.WriteToBytes()
			return base64.StdEncoding.EncodeToString(b)
		}
		refused := []struct {
			name, login, code, msg string
		}{
			{"an assertion for another audience", idp.assertion(t, 1), "NotAuthorizedException", "Invalid login token. Couldn't verify the SAML assertion."},
			{"an unsigned assertion", tamper(idp.assertion(t, 0), func(r *etree.Element) {
				for _, s := range r.FindElements(".//Signature") {
					s.Parent().RemoveChild(s)
				}
			}), "NotAuthorizedException", "Invalid login token. Couldn't verify the SAML assertion."},
			{"a changed NameID", tamper(idp.assertion(t, 0), func(r *etree.Element) {
				r.FindElement(".//Subject/NameID").SetText("root@corp.example")
			}), "NotAuthorizedException", "Invalid login token. Couldn't verify the SAML assertion."},
			{"not base64", "<Response/>", "NotAuthorizedException", "Invalid login token. Couldn't verify the SAML assertion."},
		}
		for _, tc := range refused {
			_, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{arn: tc.login}})
			wantAPIError(t, err, tc.code, tc.msg)
			t.Logf("refused: %s", tc.name)
		}
		_, err = e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{unknown: idp.assertion(t, 0)}})
		wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", "The SAML provider Unknown is not configured on this server.")
	})
}
