package browser

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// samlName is the SAML provider's name in the app's pool.
const samlName = "Corp"

// setUpSAML makes the app's pool (domain prefix) with custom:groups, the
// IdP of the test as its SAML provider samlName (with the IdpIdentifier
// corp.example), the pool known to the IdP, and the provider listed by the
// app client.
func setUpSAML(t *testing.T, c *cognate, prefix string, idp *samlIdP, details map[string]string) *federation {
	t.Helper()
	ctx := context.Background()
	f := &federation{hostedApp: serveHostedApp(t, c, prefix)}
	addGroupsAttribute(t, c, f.PoolID)
	idp.AddService(t, f.PoolID, poolSP(t, c, f.PoolID, f.base(c), details["EncryptedResponses"] == "true"))
	createSAMLProvider(t, c, f.PoolID, samlName, idp, details, "corp.example")
	if _, err := c.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: aws.String(f.PoolID), ClientId: aws.String(f.ClientID),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO", samlName},
		CallbackURLs: []string{f.Origin + "/callback"}, LogoutURLs: []string{f.Origin + "/signed-out"},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// samlSignIn signs u in on the IdP's login form in tab.
func samlSignIn(tab context.Context, u samlUser) error {
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`input[name="user"]`))); err != nil {
		return err
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`input[name="user"]`), u.Name)); err != nil {
		return err
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), u.Password)); err != nil {
		return err
	}
	return chromedp.Do(tab, nextPageReady("body", chromedp.Click(chromedp.CSS(`input[type="submit"]`))))
}

// TestFederationSAML signs users in through a SAML 2.0 identity provider
// (crewjam/saml's samlidp, in the test process) in Chromium: the
// provider's button on the sign-in page, the IdP's login form, its
// response posted to /saml2/idpresponse, and back to the app with a code
// whose ID token go-oidc verifies. The first sign-in makes the user
// <provider>_<NameID> with the mapped attributes (a multi-valued attribute
// in brackets), the identities claim and the provider's group; the next,
// straight to the provider with identity_provider while the IdP's session
// holds, writes the attributes again; an identity linked to a native user
// signs in as that user, routed by its email domain (the sign-in page's
// corporate email field, which sends idp_identifier).
// Signing out at /logout signs out at the IdP too (single logout).
func TestFederationSAML(t *testing.T) {
	chromium := requireBrowser(t)
	c := startCognate(t)
	idp := startSAMLIdP(t)
	f := setUpSAML(t, c, "saml-down", idp, map[string]string{"RequestSigningAlgorithm": "rsa-sha256", "IDPSignout": "true"})
	ctx := context.Background()
	ada := samlUser{Name: "ada", Password: "analytical", Email: "ada@corp.example", GivenName: "Ada", Surname: "Lovelace",
		CommonName: "Ada Lovelace", Groups: []string{"staff", "admins"}}
	idp.AddUser(t, ada)
	tab := newBrowser(t, chromium)

	claims := f.signInThrough(t, c, tab, "first", func() error {
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("provider-"+samlName))); err != nil {
			return err
		}
		if err := chromedp.Do(tab, nextPage(`input[name="user"]`, chromedp.Click(chromedp.ID("provider-"+samlName)))); err != nil {
			return err
		}
		return samlSignIn(tab, ada)
	})
	wantName := samlName + "_" + ada.Email
	if claims["cognito:username"] != wantName || claims["email"] != ada.Email || claims["name"] != "Ada Lovelace" ||
		claims["given_name"] != "Ada" || claims["family_name"] != "Lovelace" || claims["custom:groups"] != "[staff, admins]" {
		t.Errorf("first sign-in claims: %v", claims)
	}
	ids, _ := claims["identities"].([]any)
	if len(ids) != 1 {
		t.Fatalf("identities claim: %v", claims["identities"])
	}
	if id, _ := ids[0].(map[string]any); id["userId"] != ada.Email || id["providerName"] != samlName || id["providerType"] != "SAML" || id["primary"] != "true" {
		t.Errorf("identity: %v", id)
	}
	groups, _ := claims["cognito:groups"].([]any)
	if !slices.Contains(groups, any(f.PoolID+"_"+samlName)) {
		t.Errorf("cognito:groups %v, want the provider's group", groups)
	}
	got, err := c.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.PoolID), Username: aws.String(wantName)})
	if err != nil {
		t.Fatal(err)
	}
	if got.UserStatus != types.UserStatusTypeExternalProvider {
		t.Errorf("federated user status %s", got.UserStatus)
	}

	// Single logout: /logout sends the browser to the IdP with a signed
	// LogoutRequest, whose LogoutResponse at /saml2/logout continues to
	// the app. The IdP's session is gone: the next sign-in, sent straight
	// to the provider, shows its login form again, and brings the names
	// the IdP changed meanwhile.
	ada.CommonName, ada.Surname, ada.Groups = "Ada King", "King", []string{"staff"}
	idp.AddUser(t, ada)
	f.logout(t, c, tab)
	claims = f.signInThrough(t, c, tab, "again", func() error { return samlSignIn(tab, ada) },
		oauth2.SetAuthURLParam("identity_provider", samlName))
	if claims["cognito:username"] != wantName || claims["name"] != "Ada King" || claims["family_name"] != "King" || claims["custom:groups"] != "staff" {
		t.Errorf("second sign-in claims: %v", claims)
	}

	// Linking: bob of the IdP is linked to grace, a user of the pool,
	// before he ever signs in; routed by his email domain, he signs in as
	// grace.
	bob := samlUser{Name: "bob", Password: "builder", Email: "bob@corp.example", GivenName: "Bob", Surname: "Builder", CommonName: "Bob Builder"}
	idp.AddUser(t, bob)
	c.newUserIn(t, f.PoolID, "grace", "Grace-Hopper-1906", "grace@example.com", true)
	if _, err := c.admin.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{
		UserPoolId:      aws.String(f.PoolID),
		DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String("grace")},
		SourceUser:      &types.ProviderUserIdentifierType{ProviderName: aws.String(samlName), ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(bob.Email)},
	}); err != nil {
		t.Fatal(err)
	}
	bobTab := newBrowser(t, chromium)
	claims = f.signInThrough(t, c, bobTab, "linked", func() error {
		// The sign-in page's corporate email field routes bob by his
		// address's domain, the provider's IdpIdentifier.
		if err := chromedp.Do(bobTab, chromedp.WaitVisible(chromedp.ID("idp-email"))); err != nil {
			return err
		}
		screenshot(t, bobTab, "federation-saml-corporate-email")
		if err := chromedp.Do(bobTab, chromedp.SendKeys(chromedp.ID("idp-email"), bob.Email)); err != nil {
			return err
		}
		if err := chromedp.Do(bobTab, nextPage(`input[name="user"]`, chromedp.Click(chromedp.ID("corporate-signin")))); err != nil {
			return err
		}
		return samlSignIn(bobTab, bob)
	})
	if claims["cognito:username"] != "grace" || claims["email"] != "grace@example.com" {
		t.Errorf("linked sign-in claims: %v", claims)
	}
}
