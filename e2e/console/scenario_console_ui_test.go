package console

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
)

// waitComputed polls a computed style property of the element id until
// it is want (a stylesheet loads after the page), and returns the last
// value read.
func waitComputed(t *testing.T, tab context.Context, id, property, want string) string {
	t.Helper()
	return waitEval(t, tab, `getComputedStyle(document.getElementById(`+"`"+id+"`"+`)).`+property, want)
}

// waitEval evaluates the JavaScript expression (a string) until it is
// want or five seconds pass, and returns what it found last ("" while it
// fails, as on a frame still loading).
func waitEval(t *testing.T, tab context.Context, expression, want string) string {
	t.Helper()
	var got string
	for range 50 {
		var err error
		if got, err = chromedp.Run(tab, chromedp.Evaluate[string](expression)); err == nil && got == want {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}

// TestConsoleHostedUIStyles sets an app client's classic hosted UI CSS
// and logo in Chromium (the logo uploaded as a file), reads them back
// through the AWS SDK (GetUICustomization) and opens the client's classic
// sign-in page, which wears them; then sets the dark mode colours and the
// form's place of its managed login style, shown in the preview and read
// back with DescribeManagedLoginBrandingByClient. The new forms are
// refused without a session, with another operator's CSRF token and from
// another site, counted.
func TestConsoleHostedUIStyles(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	created, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("styled")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(created.UserPool.Id)
	callback := "http://localhost:3000/callback"
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, CallbackURLs: []string{callback}, SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	prefix := "styled-" + strings.ToLower(poolID[len(poolID)-8:])
	if _, err := c.admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: &poolID, Domain: &prefix, ManagedLoginVersion: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 24, 12))
	for x := range 24 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var logo bytes.Buffer
	if err := png.Encode(&logo, img); err != nil {
		t.Fatal(err)
	}
	logoFile := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(logoFile, logo.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	client := "/console/pools/" + poolID + "/clients/" + clientID
	browse(t, tab, c, client, "ui-customization-link")
	clickTo(t, tab, "ui-customization-link", "ui-customization")
	css := ".banner-customizable { background-color: #123456; }\n.submitButton-customizable { background-color: #0a7a30; }"
	submit(t, tab, "the classic CSS and logo", setValue("ui-css", css), chromedp.Click(chromedp.ID("logo-replace")),
		chromedp.SetUploadFiles(chromedp.ID("ui-logo"), []string{logoFile}), chromedp.Click(chromedp.ID("save-ui-customization")))
	ui, err := c.admin.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	// cognate's GetUICustomization answers no ImageUrl: the logo is
	// checked where it is shown, in the console and on the sign-in page.
	if aws.ToString(ui.UICustomization.CSS) != css || aws.ToString(ui.UICustomization.ClientId) != clientID {
		t.Errorf("GetUICustomization after the form: %+v", ui.UICustomization)
	}
	consoleLogo := func(when string) {
		t.Helper()
		var w int
		for range 50 {
			if w, err = chromedp.Run(tab, chromedp.Evaluate[int](`(() => { const i = document.getElementById('current-logo'); return i && i.complete ? i.naturalWidth : -1 })()`)); err != nil || w == 24 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if w != 24 {
			t.Errorf("%s: the console's logo is %d pixels wide (%v), want the uploaded 24", when, w, err)
		}
	}
	consoleLogo("after the upload")
	consoleScreenshot(t, tab, "console-ui-customization", false)
	// The classic sign-in page wears them.
	signIn := c.URL + "/_domain/" + prefix + "/login?" + url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {callback}}.Encode()
	if err := chromedp.Do(tab, chromedp.Navigate(signIn), chromedp.WaitVisible(chromedp.ID("banner"))); err != nil {
		t.Fatalf("the classic sign-in page: %v\n%s", err, pageText(tab))
	}
	if bg := waitComputed(t, tab, "banner", "backgroundColor", "rgb(18, 52, 86)"); bg != "rgb(18, 52, 86)" {
		t.Errorf("the sign-in page's banner is %s, want the console's CSS rgb(18, 52, 86)", bg)
	}
	if w, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.getElementById('logo').naturalWidth`)); err != nil || w != 24 {
		t.Errorf("the sign-in page's logo is %d pixels wide (%v), want 24", w, err)
	}
	// Only the CSS changes: the logo stays.
	browse(t, tab, c, client+"/ui-customization", "ui-customization")
	submit(t, tab, "the CSS only", setValue("ui-css", ".banner-customizable { background-color: #654321; }"), chromedp.Click(chromedp.ID("save-ui-customization")))
	if ui, err := c.admin.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil ||
		aws.ToString(ui.UICustomization.CSS) != ".banner-customizable { background-color: #654321; }" {
		t.Errorf("after saving the CSS only: %v %+v", err, ui.UICustomization)
	}
	consoleLogo("after saving the CSS only")

	// The managed login style's dark mode colours and the form's place.
	browse(t, tab, c, client+"/branding", "branding")
	if err := chromedp.Do(tab, setValue("dark_page_background", "101010ff"), setValue("dark_button_background", "33cc33ff"), setValue("dark_button_text", "000000ff"),
		setValue("form_horizontal", "END"), setValue("form_vertical", "START"), nextPageReady(`#dark_button_background[value="33cc33ff"]`, chromedp.Click(chromedp.ID("preview-branding"))), chromedp.WaitVisible(chromedp.ID("branding-frame-dark"))); err != nil {
		t.Fatalf("preview: %v\n%s", err, pageText(tab))
	}
	// The dark preview is the hosted sign-in page, drawn in the typed
	// colours.
	if n := framePixels(t, tab, "branding-frame-dark", 2000, color.RGBA{0x33, 0xcc, 0x33, 255}, color.RGBA{0x10, 0x10, 0x10, 255}); n[0] < 2000 || n[1] < 2000 {
		t.Errorf("the dark preview shows %d pixels of the button and %d of the page background, want the typed colours", n[0], n[1])
	}
	consoleScreenshot(t, tab, "console-branding", false)
	if err := chromedp.Do(tab, nextPage("#style-id", chromedp.Click(chromedp.ID("save-branding")))); err != nil {
		t.Fatalf("save: %v\n%s", err, pageText(tab))
	}
	out, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]any
	if err := out.ManagedLoginBranding.Settings.UnmarshalSmithyDocument(&settings); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = settings
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"components", "pageBackground", "darkMode", "color"}, "101010ff"},
		{[]string{"components", "primaryButton", "darkMode", "defaults", "backgroundColor"}, "33cc33ff"},
		{[]string{"components", "primaryButton", "darkMode", "defaults", "textColor"}, "000000ff"},
		{[]string{"categories", "form", "location", "horizontal"}, "END"},
		{[]string{"categories", "form", "location", "vertical"}, "START"},
	} {
		if got := get(tc.path...); got != tc.want {
			t.Errorf("%s: %v, want %s", strings.Join(tc.path, "."), got, tc.want)
		}
	}

	refused := consoleRefusals(t, c, tab, client+"/ui-customization", `#ui-customization input[name=csrf]`, []consoleForm{
		{client + "/ui-customization", url.Values{"target": {clientID}, "css": {""}, "logo_action": {"remove"}}},
		{client + "/branding", url.Values{"nav": {"delete"}, "confirm": {"1"}}},
	})
	if ui, err := c.admin.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil || aws.ToString(ui.UICustomization.CSS) == "" {
		t.Errorf("a refused form removed the CSS: %v", err)
	}
	if _, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil {
		t.Errorf("a refused form deleted the style: %v", err)
	}
	browse(t, tab, c, client+"/ui-customization", "ui-customization")
	consoleLogo("after the refused forms")
	t.Logf("console hosted UI styles: refused %v", refused)
}
