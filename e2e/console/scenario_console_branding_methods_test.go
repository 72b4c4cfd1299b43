package console

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
)

// methodsOrder is the JavaScript that lists, in document order, the ids
// of the sign-in page's methods in doc: the form, the divider, the
// identity provider buttons.
const methodsOrder = `Array.from(%s.querySelectorAll('#signin-form, #divider, .provider-button')).map(e => e.id).join(' ')`

// waitOrder evaluates methodsOrder on doc until it is want or five
// seconds pass, and returns what it found last.
func waitOrder(t *testing.T, tab context.Context, doc, want string) string {
	t.Helper()
	return waitEval(t, tab, fmt.Sprintf(methodsOrder, doc), want)
}

// managedLoginClient creates a pool named name with OIDC identity
// providers named idps, an app client of the hosted UI that signs in
// with the pool's users and those providers, and a domain of managed
// login; it returns the pool's and the client's IDs, the domain's prefix
// and the client's callback URL.
func managedLoginClient(t *testing.T, c *cognate, name string, idps ...string) (poolID, clientID, prefix, callback string) {
	t.Helper()
	ctx := context.Background()
	created, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	poolID = aws.ToString(created.UserPool.Id)
	for _, idp := range idps {
		if _, err := c.admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
			UserPoolId: &poolID, ProviderName: aws.String(idp), ProviderType: types.IdentityProviderTypeTypeOidc,
			ProviderDetails: map[string]string{"client_id": "rp-" + idp, "client_secret": "s", "oidc_issuer": c.URL + "/" + poolID, "authorize_scopes": "openid"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	callback = "http://localhost:3000/callback"
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, CallbackURLs: []string{callback}, SupportedIdentityProviders: append([]string{"COGNITO"}, idps...)})
	if err != nil {
		t.Fatal(err)
	}
	clientID = aws.ToString(cl.UserPoolClient.ClientId)
	prefix = name + "-" + strings.ToLower(poolID[len(poolID)-8:])
	if _, err := c.admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: &poolID, Domain: &prefix, ManagedLoginVersion: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	return poolID, clientID, prefix, callback
}

// TestConsoleManagedLoginMethods sets in Chromium the sign-in methods of
// an app client's managed login style through the console's branding
// form: the username and password form drawn first, the identity
// provider buttons' order and the divider's colour, shown in the preview
// before they are saved; uploads a PASSWORD_GRAPHIC; reads the saved
// style back through the AWS SDK; and opens the client's managed login
// page, which draws the methods in that order.
func TestConsoleManagedLoginMethods(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	poolID, clientID, prefix, callback := managedLoginClient(t, c, "methods", "Alpha", "Beta")
	client := "/console/pools/" + poolID + "/clients/" + clientID
	const want = "signin-form divider provider-Beta provider-Alpha"

	browse(t, tab, c, client+"/branding", "branding")
	frame := `document.getElementById('branding-frame-light').contentDocument`
	if got := waitOrder(t, tab, frame, "provider-Alpha provider-Beta divider signin-form"); got != "provider-Alpha provider-Beta divider signin-form" {
		t.Errorf("the default style's preview draws %q, want the buttons first", got)
	}
	submit(t, tab, "the preview", setValue("method_first", "USERNAME_PASSWORD"), setValue("provider_order", "Beta, Alpha"),
		setValue("divider", "d02020ff"), chromedp.Click(chromedp.ID("preview-branding")))
	if got := waitOrder(t, tab, frame, want); got != want {
		t.Errorf("the preview draws %q, want %q", got, want)
	}
	if got, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(`+frame+`.getElementById('divider'), '::before').borderTopColor`)); err != nil || got != "rgb(208, 32, 32)" {
		t.Errorf("the preview's divider is %q (%v), want the typed colour", got, err)
	}
	if err := chromedp.Do(tab, nextPage("#style-id", chromedp.Click(chromedp.ID("save-branding")))); err != nil {
		t.Fatalf("save: %v\n%s", err, pageText(tab))
	}
	graphic := filepath.Join(t.TempDir(), "password.svg")
	if err := os.WriteFile(graphic, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#0a5c36"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	submit(t, tab, "the password graphic", setValue("asset_category", "PASSWORD_GRAPHIC"), setValue("asset_mode", "LIGHT"),
		chromedp.SetUploadFiles(chromedp.ID("asset_file"), []string{graphic}), chromedp.Click(chromedp.ID("save-asset")))
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("asset-PASSWORD_GRAPHIC-LIGHT"))); err != nil {
		t.Fatalf("the uploaded graphic is not listed: %v\n%s", err, pageText(tab))
	}

	out, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID, ReturnMergedResources: true})
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		Categories struct {
			Auth struct {
				AuthMethodOrder [][]struct{ Display, Type string } `json:"authMethodOrder"`
				Federation      struct{ Order []string }           `json:"federation"`
			} `json:"auth"`
			Form struct {
				DisplayGraphics bool `json:"displayGraphics"`
			} `json:"form"`
		} `json:"categories"`
		ComponentClasses struct {
			Divider struct {
				LightMode struct{ BorderColor string } `json:"lightMode"`
			} `json:"divider"`
		} `json:"componentClasses"`
	}
	if err := out.ManagedLoginBranding.Settings.UnmarshalSmithyDocument(&settings); err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, g := range settings.Categories.Auth.AuthMethodOrder {
		for _, m := range g {
			methods = append(methods, m.Type)
		}
	}
	if !slices.Equal(methods, []string{"USERNAME_PASSWORD", "FEDERATED"}) || !slices.Equal(settings.Categories.Auth.Federation.Order, []string{"Beta", "Alpha"}) ||
		!settings.Categories.Form.DisplayGraphics || settings.ComponentClasses.Divider.LightMode.BorderColor != "d02020ff" {
		t.Errorf("the saved style: methods %v, provider order %v, graphics %v, divider %q", methods, settings.Categories.Auth.Federation.Order,
			settings.Categories.Form.DisplayGraphics, settings.ComponentClasses.Divider.LightMode.BorderColor)
	}
	if a := out.ManagedLoginBranding.Assets; len(a) != 1 || a[0].Category != "PASSWORD_GRAPHIC" || a[0].Extension != "SVG" {
		t.Errorf("the style's assets: %+v", a)
	}

	// The client's managed login page draws the methods in that order.
	signIn := c.URL + "/_domain/" + prefix + "/login?" + url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {callback}}.Encode()
	if err := chromedp.Do(tab, chromedp.Navigate(signIn), chromedp.WaitVisible(chromedp.ID("signin-form"))); err != nil {
		t.Fatalf("the managed login page: %v\n%s", err, pageText(tab))
	}
	if got := waitOrder(t, tab, "document", want); got != want {
		t.Errorf("the sign-in page draws %q, want %q", got, want)
	}
}
