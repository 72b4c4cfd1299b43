package browser

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
)

// TestHostedUIManagedLoginComponents sets a managed login style's
// component settings through the SDK and reads in Chromium what the
// pages draw of them: the sign-in methods in the style's order (the
// username and password form first, then the divider, then the identity
// provider buttons in the style's federation order, each with the
// IDP_BUTTON_ICON), the primary button's active and disabled colours,
// the identity provider buttons' pressed colours (secondaryButton) and
// colours when pointed at (idpButton), the divider's and the
// placeholder's colours, and on the password reset page the
// PASSWORD_GRAPHIC and the description's pageText colour.
func TestHostedUIManagedLoginComponents(t *testing.T) {
	chromium := requireChromium(t)
	c := startCognate(t)
	a := newSelfServiceApp(t, c, "hosted-components", 2)
	ctx := context.Background()
	for _, name := range []string{"Alpha", "Beta"} {
		if _, err := c.admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
			UserPoolId: aws.String(a.PoolID), ProviderName: aws.String(name), ProviderType: types.IdentityProviderTypeTypeOidc,
			ProviderDetails: map[string]string{"client_id": "rp-" + name, "client_secret": "s", "oidc_issuer": c.URL + "/" + a.PoolID, "authorize_scopes": "openid"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: aws.String(a.PoolID), ClientId: aws.String(a.ClientID), ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO", "Alpha", "Beta"},
		CallbackURLs: []string{a.Callback.URL},
	}); err != nil {
		t.Fatal(err)
	}
	light := func(m map[string]any) map[string]any { return map[string]any{"lightMode": m} }
	settings := map[string]any{
		"categories": map[string]any{
			"global": map[string]any{"colorSchemeMode": "LIGHT"},
			"form":   map[string]any{"displayGraphics": true},
			"auth": map[string]any{
				"authMethodOrder": []any{
					[]any{map[string]any{"display": "INPUT", "type": "USERNAME_PASSWORD"}},
					[]any{map[string]any{"display": "BUTTON", "type": "FEDERATED"}},
				},
				"federation": map[string]any{"interfaceStyle": "BUTTON_LIST", "order": []any{"Beta", "Alpha"}},
			},
		},
		"components": map[string]any{
			"primaryButton": light(map[string]any{
				"defaults": map[string]any{"backgroundColor": "0a5c36ff", "textColor": "ffffffff"},
				"active":   map[string]any{"backgroundColor": "502080ff", "textColor": "fafa00ff"},
				"disabled": map[string]any{"backgroundColor": "c8c8c8ff", "borderColor": "969696ff"},
			}),
			"secondaryButton": light(map[string]any{
				"active": map[string]any{"backgroundColor": "ffe0b0ff", "borderColor": "804000ff", "textColor": "402000ff"},
			}),
			"pageText":  light(map[string]any{"descriptionColor": "6a1b9aff"}),
			"idpButton": map[string]any{"standard": light(map[string]any{"hover": map[string]any{"backgroundColor": "b0e0ffff"}})},
		},
		"componentClasses": map[string]any{
			"divider":    light(map[string]any{"borderColor": "d02020ff"}),
			"input":      light(map[string]any{"placeholderColor": "207020ff"}),
			"idpButtons": map[string]any{"icons": map[string]any{"enabled": true}},
		},
	}
	if _, err := c.admin.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(a.PoolID), ClientId: aws.String(a.ClientID),
		Settings: document.NewLazyDocument(settings),
		Assets: []types.AssetType{
			{Category: types.AssetCategoryTypeIdpButtonIcon, ColorMode: types.ColorSchemeModeTypeLight, Extension: types.AssetExtensionTypePng, Bytes: logoPNG(t)},
			{Category: types.AssetCategoryTypePasswordGraphic, ColorMode: types.ColorSchemeModeTypeLight, Extension: types.AssetExtensionTypePng, Bytes: logoPNG(t)},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(a.PoolID), Username: aws.String("ada"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("ada@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(a.PoolID), Username: aws.String("ada"),
		Password: aws.String("Analytical-1843"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, chromium)
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/login")),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
	); err != nil {
		t.Fatalf("sign-in page: %v", err)
	}
	a.shot(t, tab, "signin-managed-login-components")

	// The sign-in methods in the style's order, in the document (and so
	// in the focus order), not only on the screen.
	order, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#signin-form, #divider, #providers, .provider-button')).map(e => e.id)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"signin-form", "divider", "providers", "provider-Beta", "provider-Alpha"}; !slices.Equal(order, want) {
		t.Errorf("sign-in methods in the order %v, want %v", order, want)
	}
	// Each provider button shows the IDP_BUTTON_ICON, decoded.
	icons, err := chromedp.Run(tab, chromedp.Evaluate[[]int](
		`Promise.all(Array.from(document.querySelectorAll('.provider-button')).map(b => { const i = b.querySelector('img.provider-icon'); return i ? i.decode().then(() => i.naturalWidth) : 0 }))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(icons, []int{120, 120}) {
		t.Errorf("provider icons' widths %v, want the 120-pixel icon in both buttons", icons)
	}

	for _, tc := range []struct {
		what, selector, pseudo, property, want string
		states                                 []string
	}{
		{"divider line", "#divider", "::before", "border-top-color", "rgb(208, 32, 32)", nil},
		{"placeholder", "#username", "::placeholder", "color", "rgb(32, 112, 32)", nil},
		{"primary button", "#signin", "", "background-color", "rgb(10, 92, 54)", nil},
		{"active primary button", "#signin", "", "background-color", "rgb(80, 32, 128)", []string{"active"}},
		{"active primary button's text", "#signin", "", "color", "rgb(250, 250, 0)", []string{"active"}},
		{"active provider button", "#provider-Alpha", "", "background-color", "rgb(255, 224, 176)", []string{"active"}},
		{"active provider button's border", "#provider-Alpha", "", "border-top-color", "rgb(128, 64, 0)", []string{"active"}},
		{"provider button pointed at (idpButton)", "#provider-Beta", "", "background-color", "rgb(176, 224, 255)", []string{"hover"}},
	} {
		if tc.states != nil {
			if err := forcePseudoState(tab, tc.selector, tc.states...); err != nil {
				t.Fatal(err)
			}
		}
		got, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.querySelector(%s), %s).getPropertyValue(%s)`,
			jsString(tc.selector), jsString(tc.pseudo), jsString(tc.property))))
		if err != nil || got != tc.want {
			t.Errorf("%s: %s = %q, %v; want %q", tc.what, tc.property, got, err, tc.want)
		}
		if tc.states != nil {
			if err := forcePseudoState(tab, tc.selector); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A disabled button wears the disabled colours, pointed at or not.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById('signin').disabled = true`)); err != nil {
		t.Fatal(err)
	}
	if err := forcePseudoState(tab, "#signin", "hover"); err != nil {
		t.Fatal(err)
	}
	for property, want := range map[string]string{"background-color": "rgb(200, 200, 200)", "border-top-color": "rgb(150, 150, 150)"} {
		if got, err := computed(tab, "signin", property); err != nil || got != want {
			t.Errorf("disabled button: %s = %q, %v; want %q", property, got, err, want)
		}
	}

	// The password reset page shows the PASSWORD_GRAPHIC and its
	// description in the pageText colour.
	if err := chromedp.Do(tab,
		chromedp.Navigate(a.pageURL("/forgotPassword")),
		chromedp.WaitVisible(chromedp.ID("forgot-form")),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		nextPage("#reset-form", chromedp.Click(chromedp.ID("send-code"))),
	); err != nil {
		t.Fatalf("password reset page: %v", err)
	}
	if w, err := chromedp.Run(tab, chromedp.Evaluate[int](`(() => { const g = document.getElementById('graphic'); return g ? g.decode().then(() => g.naturalWidth) : 0 })()`,
		chromedp.EvalAwaitPromise)); err != nil || w != 120 {
		t.Errorf("PASSWORD_GRAPHIC width %d, %v; want the 120-pixel graphic", w, err)
	}
	if alt := attr(t, tab, "graphic", "alt"); alt != "" {
		t.Errorf("the graphic's alt text %q; a decorative image has none", alt)
	}
	if got, err := computed(tab, "explain", "color"); err != nil || got != "rgb(106, 27, 154)" {
		t.Errorf("description colour %q, %v; want the pageText description colour", got, err)
	}
	a.shot(t, tab, "reset-managed-login-graphic")
}

// forcePseudoState makes the browser compute the style of the element
// selector names as if it were in states (active, hover, focus, …); no
// states ends the forcing.
func forcePseudoState(tab context.Context, selector string, states ...string) error {
	if _, err := chromedp.Call(tab, dom.Enable, dom.EnableParams{}); err != nil {
		return err
	}
	if _, err := chromedp.Call(tab, css.Enable, cdp.Empty{}); err != nil {
		return err
	}
	doc, err := chromedp.Call(tab, dom.GetDocument, dom.GetDocumentParams{})
	if err != nil {
		return err
	}
	n, err := chromedp.Call(tab, dom.QuerySelector, dom.QuerySelectorParams{NodeID: doc.Root.NodeID, Selector: selector})
	if err != nil {
		return fmt.Errorf("find %s: %w", selector, err)
	}
	if states == nil {
		states = []string{}
	}
	_, err = chromedp.Call(tab, css.ForcePseudoState, css.ForcePseudoStateParams{NodeID: n.NodeID, ForcedPseudoClasses: states})
	return err
}
