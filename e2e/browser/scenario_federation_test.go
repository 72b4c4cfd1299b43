package browser

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// federation is a pool (the app's, behind hostedApp) that signs users in
// through an upstream OpenID Connect provider: a second pool of the same
// cognate, with a domain and an app client whose callback is the first
// pool's /oauth2/idpresponse.
type federation struct {
	*hostedApp
	UpstreamPool, UpstreamClient string
}

// idpName is the upstream's name in the app's pool.
const idpName = "Upstream"

// setUpFederation makes the app's pool (domain down) and the upstream pool
// (domain up), the upstream's OIDC provider in the app's pool with an
// attribute mapping, and lists it among the app client's providers.
func setUpFederation(t *testing.T, c *cognate, down, up string) *federation {
	t.Helper()
	ctx := context.Background()
	f := &federation{hostedApp: serveHostedApp(t, c, down)}
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("upstream")})
	if err != nil {
		t.Fatal(err)
	}
	f.UpstreamPool = aws.ToString(pool.UserPool.Id)
	if _, err := c.admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: pool.UserPool.Id, Domain: aws.String(up)}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("broker"), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO"},
		CallbackURLs: []string{c.URL + "/_domain/" + down + "/oauth2/idpresponse"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.UpstreamClient = aws.ToString(cl.UserPoolClient.ClientId)
	if _, err := c.admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
		UserPoolId: aws.String(f.PoolID), ProviderName: aws.String(idpName), ProviderType: types.IdentityProviderTypeTypeOidc,
		ProviderDetails: map[string]string{
			"client_id": f.UpstreamClient, "client_secret": aws.ToString(cl.UserPoolClient.ClientSecret),
			"oidc_issuer": c.URL + "/" + f.UpstreamPool, "authorize_scopes": "openid email profile", "attributes_request_method": "GET",
		},
		AttributeMapping: map[string]string{"email": "email", "email_verified": "email_verified", "name": "name"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: aws.String(f.PoolID), ClientId: aws.String(f.ClientID),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO", idpName},
		CallbackURLs: []string{f.Origin + "/callback"}, LogoutURLs: []string{f.Origin + "/signed-out"},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// base is the app pool's domain in the path form: the form whose URL the
// upstream calls back (the domain's public URL), so the browser keeps the
// same cookies on the way out and back.
func (f *federation) base(c *cognate) string { return c.URL + "/_domain/" + f.Prefix }

// signInThrough runs the code flow with PKCE in tab from the app pool's
// authorize endpoint (with extra parameters), through whatever the pages
// ask (fill, when not nil, runs on the upstream's sign-in page), to the
// app's callback; it exchanges the code and verifies the ID token with
// go-oidc, and returns its claims.
func (f *federation) signInThrough(t *testing.T, c *cognate, tab context.Context, state string, fill func() error, extra ...oauth2.AuthCodeOption) map[string]any {
	t.Helper()
	cfg := f.oauth2Config(f.base(c))
	verifier := oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, extra...)
	if err := chromedp.Do(tab, chromedp.Navigate(cfg.AuthCodeURL(state, opts...))); err != nil {
		t.Fatal(err)
	}
	if fill != nil {
		if err := fill(); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("callback"))); err != nil {
		t.Fatalf("no callback: %v", err)
	}
	q := f.lastCallback(t)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	ctx := context.Background()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
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
		t.Fatalf("verify the ID token: %v", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// logout ends the app pool's hosted-UI session in tab.
func (f *federation) logout(t *testing.T, c *cognate, tab context.Context) {
	t.Helper()
	u := f.base(c) + "/logout?" + url.Values{"client_id": {f.ClientID}, "logout_uri": {f.Origin + "/signed-out"}}.Encode()
	if err := chromedp.Do(tab, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("signed-out"))); err != nil {
		t.Fatalf("logout: %v", err)
	}
}

// TestFederationOIDC signs users in through an upstream OpenID Connect
// provider in Chromium: the provider's button on the sign-in page, the
// upstream's own sign-in page, and back to the app with a code whose ID
// token go-oidc verifies. The first sign-in makes the federated user
// <provider>_<sub> (EXTERNAL_PROVIDER) with the mapped attributes, its
// identities claim and the provider's group; a later one, straight to
// the provider with identity_provider, writes the attributes again from
// the upstream. A user linked to a native user with AdminLinkProviderForUser
// signs in as that user; unlinked with AdminDisableProviderForUser, the
// next sign-in makes a federated user of its own.
func TestFederationOIDC(t *testing.T) {
	chromium := requireBrowser(t)
	c := startCognate(t)
	f := setUpFederation(t, c, "fed-down", "fed-up")
	ctx := context.Background()
	ada := c.newUserIn(t, f.UpstreamPool, "ada", "Ada-Lovelace-1815", "ada@example.com", true)
	adaUp, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.UpstreamPool), Username: aws.String("ada")})
	if err != nil {
		t.Fatal(err)
	}
	adaSub := userAttr(adaUp.UserAttributes, "sub")
	tab := newBrowser(t, chromium)

	upstreamSignIn := func(u user) func() error {
		return func() error {
			if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("provider-"+idpName))); err != nil {
				return err
			}
			screenshot(t, tab, "federation-sign-in")
			if err := chromedp.Do(tab, nextPage("#signin-form", chromedp.Click(chromedp.ID("provider-"+idpName)))); err != nil {
				return err
			}
			return signInHosted(tab, u.Username, u.Password)
		}
	}
	claims := f.signInThrough(t, c, tab, "first", upstreamSignIn(ada))
	wantName := idpName + "_" + adaSub
	if claims["cognito:username"] != wantName || claims["email"] != "ada@example.com" || claims["email_verified"] != true {
		t.Errorf("first sign-in claims: %v", claims)
	}
	ids, _ := claims["identities"].([]any)
	if len(ids) != 1 {
		t.Fatalf("identities claim: %v", claims["identities"])
	}
	if id, _ := ids[0].(map[string]any); id["userId"] != adaSub || id["providerName"] != idpName || id["providerType"] != "OIDC" || id["primary"] != "true" {
		t.Errorf("identity: %v", id)
	}
	groups, _ := claims["cognito:groups"].([]any)
	if !slices.Contains(groups, any(f.PoolID+"_"+idpName)) {
		t.Errorf("cognito:groups %v, want the provider's group", groups)
	}
	got, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.PoolID), Username: aws.String(wantName)})
	if err != nil {
		t.Fatal(err)
	}
	if got.UserStatus != types.UserStatusTypeExternalProvider {
		t.Errorf("federated user status %s", got.UserStatus)
	}

	// The upstream changes ada's email and name; the next sign-in, sent
	// straight to the provider (the upstream's session still holds),
	// brings them.
	if _, err := c.admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(f.UpstreamPool), Username: aws.String("ada"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("countess@example.com")}, {Name: aws.String("name"), Value: aws.String("Ada King")}},
	}); err != nil {
		t.Fatal(err)
	}
	f.logout(t, c, tab)
	claims = f.signInThrough(t, c, tab, "again", nil, oauth2.SetAuthURLParam("identity_provider", idpName))
	if claims["cognito:username"] != wantName || claims["email"] != "countess@example.com" || claims["name"] != "Ada King" {
		t.Errorf("second sign-in claims: %v", claims)
	}

	// Linking: bob of the upstream is linked to grace, a user of the
	// app's pool, before he ever signs in; he signs in as grace.
	bob := c.newUserIn(t, f.UpstreamPool, "bob", "Bob-Builder-1999", "bob@example.com", true)
	bobUp, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.UpstreamPool), Username: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	bobSub := userAttr(bobUp.UserAttributes, "sub")
	c.newUserIn(t, f.PoolID, "grace", "Grace-Hopper-1906", "grace@example.com", true)
	if _, err := c.admin.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{
		UserPoolId:      aws.String(f.PoolID),
		DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String("grace")},
		SourceUser:      &types.ProviderUserIdentifierType{ProviderName: aws.String(idpName), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(bobSub)},
	}); err != nil {
		t.Fatal(err)
	}
	bobTab := newBrowser(t, chromium)
	tab = bobTab
	claims = f.signInThrough(t, c, bobTab, "linked", upstreamSignIn(bob))
	if claims["cognito:username"] != "grace" || claims["email"] != "grace@example.com" {
		t.Errorf("linked sign-in claims: %v", claims)
	}

	// Unlinked, bob's next sign-in makes his own federated user.
	if _, err := c.admin.AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{
		UserPoolId: aws.String(f.PoolID),
		User:       &types.ProviderUserIdentifierType{ProviderName: aws.String(idpName), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(bobSub)},
	}); err != nil {
		t.Fatal(err)
	}
	f.logout(t, c, bobTab)
	claims = f.signInThrough(t, c, bobTab, "unlinked", nil, oauth2.SetAuthURLParam("identity_provider", idpName))
	if claims["cognito:username"] != idpName+"_"+bobSub || claims["email"] != "bob@example.com" {
		t.Errorf("unlinked sign-in claims: %v", claims)
	}
}

// userAttr is the value of the attribute name among attrs.
func userAttr(attrs []types.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}
