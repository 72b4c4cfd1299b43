package browser

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/beevik/etree"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"
	dsig "github.com/russellhaering/goxmldsig"
)

// samlFlow is a sign-in the pool started at its SAML provider, seen from
// a client that follows no redirects: its cookies (the binding cookie),
// the RelayState and the ID of the AuthnRequest.
type samlFlow struct {
	client            *http.Client
	relayState, reqID string
	authn             []byte
}

var authnID = regexp.MustCompile(`\sID="([^"]+)"`)

// startSAMLFlow asks the pool's authorize endpoint for a sign-in at
// provider and reads the redirect to the IdP.
func startSAMLFlow(t *testing.T, c *cognate, f *federation, provider string) *samlFlow {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	fl := &samlFlow{client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	q := url.Values{"response_type": {"code"}, "client_id": {f.ClientID}, "redirect_uri": {f.Origin + "/callback"},
		"scope": {"openid"}, "state": {"app-state"}, "identity_provider": {provider}}
	resp, err := fl.client.Get(f.base(c) + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize answered %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	fl.relayState = loc.Query().Get("RelayState")
	deflated, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	if fl.authn, err = io.ReadAll(flate.NewReader(bytes.NewReader(deflated))); err != nil {
		t.Fatal(err)
	}
	m := authnID.FindSubmatch(fl.authn)
	if fl.relayState == "" || m == nil {
		t.Fatalf("no RelayState or request ID in %s", loc)
	}
	fl.reqID = string(m[1])
	return fl
}

// craftedAuthn is an AuthnRequest as another service provider (entityID,
// acs) would send it, carrying the ID id, issued at issued.
func craftedAuthn(t *testing.T, idp *samlIdP, entityID, acs, id string, issued time.Time) []byte {
	t.Helper()
	u, _ := url.Parse(acs)
	sp := &saml.ServiceProvider{EntityID: entityID, AcsURL: *u, IDPMetadata: idp.Server.IDP.Metadata(), Clock: dsig.NewFakeClockAt(issued)}
	req, err := sp.MakeAuthenticationRequest(idp.URL+"/sso", saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	req.ID = id
	doc := etree.NewDocument()
	doc.SetRoot(req.Element())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// samlOutcome is what the pool answered a posted response with: a code
// or an error at the app's callback, or a status of its own.
type samlOutcome struct {
	Code, Error string
	Status      int
}

func (o samlOutcome) String() string {
	switch {
	case o.Code != "":
		return "signed in"
	case o.Error != "":
		return "refused: error=" + o.Error + " at the app's callback"
	}
	return "refused: " + http.StatusText(o.Status)
}

// post sends a SAML response with relayState to the pool's ACS URL as
// the browser would (with fl's cookies, when fl is not nil).
func postSAML(t *testing.T, c *cognate, f *federation, fl *samlFlow, samlResponse, relayState string) samlOutcome {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if fl != nil {
		client = fl.client
	}
	resp, err := client.PostForm(f.base(c)+"/saml2/idpresponse", url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relayState}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	out := samlOutcome{Status: resp.StatusCode}
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusFound && strings.HasPrefix(loc, f.Origin+"/callback?") {
		u, _ := url.Parse(loc)
		out.Code, out.Error = u.Query().Get("code"), u.Query().Get("error")
	}
	return out
}

// signedInAs redeems the outcome's code and reads the ID token's
// cognito:username (verified with go-oidc).
func signedInAs(t *testing.T, c *cognate, f *federation, o samlOutcome) string {
	t.Helper()
	ctx := context.Background()
	tok, err := f.oauth2Config(f.base(c)).Exchange(ctx, o.Code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	p, err := oidc.NewProvider(ctx, c.URL+"/"+f.PoolID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: f.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Username string `json:"cognito:username"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims.Username
}

// tamper decodes a response, changes it with fn, and encodes it again.
func tamper(t *testing.T, samlResponse string, fn func(resp, assertion *etree.Element)) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	a := doc.Root().FindElement("./Assertion")
	if a == nil {
		t.Fatalf("no assertion in %s", raw)
	}
	fn(doc.Root(), a)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// removeSignatures takes every XML signature out of el.
func removeSignatures(el *etree.Element) {
	for _, s := range el.FindElements(".//Signature") {
		s.Parent().RemoveChild(s)
	}
}

// unsignResponse takes the Response's own signature away, so that only
// the assertion's signature vouches for it (as IdPs that sign only the
// assertion send it): the wrapping cases attack that signature.
func unsignResponse(resp *etree.Element) {
	if s := resp.FindElement("./Signature"); s != nil {
		resp.RemoveChild(s)
	}
}

// setNameID replaces the text of the assertion's NameID.
func setNameID(a *etree.Element, v string) {
	n := a.FindElement(".//Subject/NameID")
	n.SetText(v)
}

// TestFederationSAMLHostile posts hostile SAML responses to a pool's ACS
// URL, each made by the real IdP of the test for a sign-in the pool
// started (so that nothing but the flaw differs from a good one): an
// expired assertion, a replayed one, one for another audience, another
// recipient or another pool, an answer to another request, an unsigned
// one, signature-wrapping variants (a wrapped assertion, a moved
// signature, a changed attribute under the signature) and a comment in
// the NameID. Every case is refused (the comment, which the signature
// does not cover, changes nobody: the whole NameID is read), the refusals
// are counted in the output, and good responses of the same kinds sign in.
func TestFederationSAMLHostile(t *testing.T) {
	c := startCognate(t)
	idp := startSAMLIdP(t)
	f := setUpSAML(t, c, "saml-hostile", idp, map[string]string{"IDPInit": "true"})
	other := setUpSAML(t, c, "saml-other", idp, nil)
	acs := f.base(c) + "/saml2/idpresponse"
	entity := "urn:amazon:cognito:sp:" + f.PoolID
	elsewhere := "https://elsewhere.example/saml2/idpresponse"
	idp.AddService(t, f.PoolID, poolSP(t, c, f.PoolID, f.base(c), false, elsewhere))
	foreign := "urn:amazon:cognito:sp:us-east-1_Foreign000"
	u, _ := url.Parse(acs)
	idp.AddService(t, "foreign", (&saml.ServiceProvider{EntityID: foreign, AcsURL: *u,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding}}).Metadata())
	ada := samlUser{Name: "ada", Password: "analytical", Email: "ada@corp.example", CommonName: "Ada Lovelace", Groups: []string{"staff"}}
	eve := samlUser{Name: "eve", Password: "eavesdrop", Email: "ada@corp.example.evil.example", CommonName: "Eve"}
	idp.AddUser(t, ada)
	idp.AddUser(t, eve)
	authorize := url.Values{"client_id": {f.ClientID}, "redirect_uri": {f.Origin + "/callback"}, "response_type": {"code"},
		"scope": {"openid"}, "identity_provider": {samlName}}
	idp.AddShortcut(t, "hostile", entity, authorize.Encode())
	otherAuthorize := url.Values{"client_id": {other.ClientID}, "redirect_uri": {other.Origin + "/callback"}, "response_type": {"code"},
		"scope": {"openid"}, "identity_provider": {samlName}}
	idp.AddShortcut(t, "other", "urn:amazon:cognito:sp:"+other.PoolID, otherAuthorize.Encode())

	// An IdP two hours behind: its assertions expired long ago. It shares
	// the first's URL, keys, users and service providers.
	late := func() string {
		iu, _ := url.Parse(idp.URL)
		srv, err := samlidp.New(samlidp.Options{URL: *iu, Key: idp.Key, Certificate: idp.Cert, Store: idp.Server.Store,
			Clock: dsig.NewFakeClockAt(time.Now().Add(-2 * time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		return ts.URL
	}()

	// Good responses sign in: SP-initiated, and IdP-initiated once.
	fl := startSAMLFlow(t, c, f, samlName)
	good := postSAML(t, c, f, fl, idp.Respond(t, fl.authn, fl.relayState, ada), fl.relayState)
	if good.Code == "" {
		t.Fatalf("a good SP-initiated response: %v", good)
	}
	if got := signedInAs(t, c, f, good); got != samlName+"_"+ada.Email {
		t.Fatalf("signed in as %q", got)
	}
	initiated, initiatedRelay := idp.Initiate(t, "hostile", ada)
	if o := postSAML(t, c, f, nil, initiated, initiatedRelay); o.Code == "" {
		t.Fatalf("a good IdP-initiated response: %v", o)
	} else if got := signedInAs(t, c, f, o); got != samlName+"_"+ada.Email {
		t.Fatalf("IdP-initiated: signed in as %q", got)
	}

	// A response whose assertion alone is signed signs in too: the
	// wrapping cases below attack that signature, not the Response's.
	{
		fl := startSAMLFlow(t, c, f, samlName)
		sr := tamper(t, idp.Respond(t, fl.authn, fl.relayState, ada), func(resp, a *etree.Element) { unsignResponse(resp) })
		if o := postSAML(t, c, f, fl, sr, fl.relayState); o.Code == "" {
			t.Fatalf("a good response with only the assertion signed: %v", o)
		}
	}

	refused := 0
	t.Cleanup(func() { t.Logf("hostile SAML responses refused: %d", refused) })
	check := func(name string, o samlOutcome) {
		t.Helper()
		if o.Code != "" {
			t.Errorf("%s: %v", name, o)
			return
		}
		refused++
		t.Logf("%-58s %v", name, o)
	}
	// respond is the IdP's good response to a new sign-in of the pool,
	// and the flow it answers.
	respond := func(u samlUser) (*samlFlow, string) {
		fl := startSAMLFlow(t, c, f, samlName)
		return fl, idp.Respond(t, fl.authn, fl.relayState, u)
	}

	{
		fl := startSAMLFlow(t, c, f, samlName)
		authn := craftedAuthn(t, idp, entity, acs, fl.reqID, time.Now().Add(-2*time.Hour))
		form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(authn)}, "RelayState": {fl.relayState},
			"user": {ada.Name}, "password": {ada.Password}}
		resp, err := http.PostForm(late+"/sso", form)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sr, _ := postedForm(t, page)
		check("expired assertion (issued two hours ago)", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	check("replayed IdP-initiated assertion", postSAML(t, c, f, nil, initiated, initiatedRelay))
	{
		sr, relay := idp.Initiate(t, "other", ada)
		check("IdP-initiated at a provider without IDPInit", postSAML(t, c, other, nil, sr, relay))
	}
	{
		fl := startSAMLFlow(t, c, f, samlName)
		sr := idp.Respond(t, craftedAuthn(t, idp, foreign, acs, fl.reqID, time.Now()), fl.relayState, ada)
		check("assertion for another audience", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl := startSAMLFlow(t, c, f, samlName)
		sr := idp.Respond(t, craftedAuthn(t, idp, entity, elsewhere, fl.reqID, time.Now()), fl.relayState, ada)
		check("assertion for another recipient (ACS URL)", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl := startSAMLFlow(t, c, f, samlName)
		sr := idp.Respond(t, craftedAuthn(t, idp, "urn:amazon:cognito:sp:"+other.PoolID, other.base(c)+"/saml2/idpresponse", fl.reqID, time.Now()), fl.relayState, ada)
		check("assertion for another pool (its audience and ACS)", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		ofl := startSAMLFlow(t, c, other, samlName)
		sr := idp.Respond(t, ofl.authn, ofl.relayState, ada)
		fl := startSAMLFlow(t, c, f, samlName)
		check("another pool's own response, with this pool's state", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		_, sr := respond(ada)
		fl := startSAMLFlow(t, c, f, samlName)
		check("answer to another request (InResponseTo)", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl, sr := respond(ada)
		sr = tamper(t, sr, func(resp, a *etree.Element) { removeSignatures(resp) })
		check("unsigned response and assertion", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl, sr := respond(eve)
		sr = tamper(t, sr, func(resp, a *etree.Element) {
			unsignResponse(resp)
			evil := a.Copy()
			removeSignatures(evil)
			evil.CreateAttr("ID", "evil-assertion")
			setNameID(evil, ada.Email)
			resp.InsertChildAt(a.Index(), evil)
		})
		check("wrapping: a forged assertion before the signed one", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl, sr := respond(eve)
		sr = tamper(t, sr, func(resp, a *etree.Element) {
			unsignResponse(resp)
			evil := a.Copy()
			removeSignatures(evil)
			evil.CreateAttr("ID", "evil-assertion")
			setNameID(evil, ada.Email)
			resp.RemoveChild(a)
			adv := evil.CreateElement("saml:Advice")
			adv.AddChild(a)
			resp.AddChild(evil)
		})
		check("wrapping: the signed assertion inside a forged one", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl, sr := respond(eve)
		sr = tamper(t, sr, func(resp, a *etree.Element) {
			unsignResponse(resp)
			sig := a.FindElement("./Signature")
			a.RemoveChild(sig)
			resp.InsertChildAt(1, sig)
			setNameID(a, ada.Email)
		})
		check("wrapping: the signature moved out, the NameID changed", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl, sr := respond(ada)
		sr = tamper(t, sr, func(resp, a *etree.Element) {
			unsignResponse(resp)
			for _, v := range a.FindElements(".//AttributeValue") {
				if v.Text() == "Ada Lovelace" {
					v.SetText("Mallory")
				}
			}
		})
		check("an attribute changed under the signature", postSAML(t, c, f, fl, sr, fl.relayState))
	}
	{
		fl := startSAMLFlow(t, c, f, samlName)
		check("no RelayState", postSAML(t, c, f, fl, idp.Respond(t, fl.authn, fl.relayState, ada), ""))
	}
	{
		fl := startSAMLFlow(t, c, f, samlName)
		sr := idp.Respond(t, fl.authn, fl.relayState, ada)
		check("the sign-in's state without its browser's cookie", postSAML(t, c, f, nil, sr, fl.relayState))
	}

	// Comment injection: eve's NameID is ada's address with a suffix; a
	// comment after ada's part (which the signature does not cover) must
	// not make a parser that stops at it read ada's address.
	{
		fl, sr := respond(eve)
		sr = tamper(t, sr, func(resp, a *etree.Element) {
			n := a.FindElement(".//Subject/NameID")
			n.SetText(ada.Email)
			n.CreateComment("")
			n.CreateText(strings.TrimPrefix(eve.Email, ada.Email))
		})
		o := postSAML(t, c, f, fl, sr, fl.relayState)
		if o.Code == "" {
			refused++
			t.Logf("%-58s %v", "comment injection in the NameID", o)
		} else if got := signedInAs(t, c, f, o); got != samlName+"_"+eve.Email {
			t.Errorf("comment injection signed in as %q", got)
		} else {
			refused++
			t.Logf("%-58s %s", "comment injection in the NameID", "no takeover: signed in as the whole NameID, "+got)
		}
	}

	{
		resp, err := http.Get(f.base(c) + "/saml2/logout?" + url.Values{"SAMLResponse": {"bm90IGEgcmVzcG9uc2U="}, "RelayState": {"unknown"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		check("a LogoutResponse with an unknown RelayState", samlOutcome{Status: resp.StatusCode})
	}

	// No refused response made a user: the pool has ada's only.
	users, err := c.admin.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: aws.String(f.PoolID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Users {
		if name := aws.ToString(u.Username); name != samlName+"_"+ada.Email && name != samlName+"_"+eve.Email {
			t.Errorf("a refused response made user %s", name)
		}
	}
}

// TestFederationSAMLEncrypted signs in through a SAML provider with
// EncryptedResponses: DescribeIdentityProvider shows the certificate to
// encrypt to (the pool's, as GetSigningCertificate returns it), an
// assertion the IdP encrypted to it signs in, and one the IdP sends in
// the clear is refused.
func TestFederationSAMLEncrypted(t *testing.T) {
	c := startCognate(t)
	idp := startSAMLIdP(t)
	f := setUpSAML(t, c, "saml-sealed", idp, map[string]string{"EncryptedResponses": "true"})
	ctx := context.Background()
	ada := samlUser{Name: "ada", Password: "analytical", Email: "ada@corp.example", CommonName: "Ada Lovelace"}
	idp.AddUser(t, ada)
	desc, err := c.admin.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: aws.String(f.PoolID), ProviderName: aws.String(samlName)})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := c.admin.GetSigningCertificate(ctx, &cip.GetSigningCertificateInput{UserPoolId: aws.String(f.PoolID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.IdentityProvider.ProviderDetails["ActiveEncryptionCertificate"]; got == "" || got != aws.ToString(cert.Certificate) {
		t.Errorf("ActiveEncryptionCertificate %q, want the pool's certificate", got)
	}
	encrypted := func(sr string) bool {
		raw, err := base64.StdEncoding.DecodeString(sr)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(raw, []byte("EncryptedAssertion"))
	}

	fl := startSAMLFlow(t, c, f, samlName)
	sr := idp.Respond(t, fl.authn, fl.relayState, ada)
	if !encrypted(sr) {
		t.Fatal("the IdP did not encrypt the assertion")
	}
	o := postSAML(t, c, f, fl, sr, fl.relayState)
	if o.Code == "" {
		t.Fatalf("an encrypted assertion: %v", o)
	}
	if got := signedInAs(t, c, f, o); got != samlName+"_"+ada.Email {
		t.Errorf("signed in as %q", got)
	}

	// The IdP, told the pool takes no encryption, sends the assertion in
	// the clear: refused.
	idp.AddService(t, f.PoolID, poolSP(t, c, f.PoolID, f.base(c), false))
	fl = startSAMLFlow(t, c, f, samlName)
	sr = idp.Respond(t, fl.authn, fl.relayState, ada)
	if encrypted(sr) {
		t.Fatal("the IdP still encrypted the assertion")
	}
	if o := postSAML(t, c, f, fl, sr, fl.relayState); o.Code != "" || o.Error != "invalid_request" {
		t.Errorf("an assertion in the clear to a provider with EncryptedResponses: %v", o)
	} else {
		t.Logf("an assertion in the clear to a provider with EncryptedResponses: %v", o)
	}
}
