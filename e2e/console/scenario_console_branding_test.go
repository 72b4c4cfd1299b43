package console

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
)

// framePixels screenshots the element id (a preview's frame) until at
// least min of its pixels are each colour of want, or five seconds pass;
// it returns how many pixels of each colour it found last.
func framePixels(t *testing.T, tab context.Context, id string, min int, want ...color.RGBA) []int {
	t.Helper()
	counts := make([]int, len(want))
	for range 50 {
		shot, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("screenshot %s: %v", id, err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		clear(counts)
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				for i, w := range want {
					if near(r>>8, w.R) && near(g>>8, w.G) && near(bl>>8, w.B) {
						counts[i]++
					}
				}
			}
		}
		done := true
		for _, n := range counts {
			done = done && n >= min
		}
		if done {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return counts
}

// near says a screenshot's channel is the colour's, give or take the
// rounding of the compositor.
func near(got uint32, want uint8) bool { return int(got)-int(want) <= 3 && int(want)-int(got) <= 3 }

// TestConsoleManagedLoginPreview edits an app client's managed login style
// in Chromium with the header, the footer, the other components' colours
// and an uploaded header logo; the console's preview frames are the
// hosted UI's sign-in page wearing the typed colours in light and dark
// mode (read from the pixels the browser drew in the frames) before
// anything is saved; the saved style is read back through the AWS SDK,
// and the client's real managed login page wears it, while still
// refusing every frame. The new forms are refused without a session, with
// another operator's CSRF token and from another site, counted.
func TestConsoleManagedLoginPreview(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	poolID, clientID, prefix, callback := managedLoginClient(t, c, "previewed")
	client := "/console/pools/" + poolID + "/clients/" + clientID

	// Typed, previewed, not saved.
	lightPage, lightHeader := color.RGBA{0x20, 0x40, 0xa0, 255}, color.RGBA{0xf0, 0xa0, 0x00, 255}
	darkPage, darkHeader := color.RGBA{0x10, 0xa0, 0x40, 255}, color.RGBA{0x60, 0x10, 0x60, 255}
	browse(t, tab, c, client+"/branding", "branding")
	submit(t, tab, "the preview", setValue("page_background", "2040a0ff"), setValue("dark_page_background", "10a040ff"),
		chromedp.Click(chromedp.ID("header_enabled")), chromedp.Click(chromedp.ID("header_logo")), setValue("header_logo_location", "CENTER"),
		setValue("header_background", "f0a000ff"), setValue("dark_header_background", "601060ff"),
		chromedp.Click(chromedp.ID("footer_enabled")), setValue("footer_background", "f0a000ff"), setValue("dark_footer_background", "601060ff"),
		setValue("button_background", "c01010ff"), setValue("link_text", "0a3d0aff"), setValue("form_vertical", "START"),
		chromedp.Click(chromedp.ID("preview-branding")))
	if n := framePixels(t, tab, "branding-frame-light", 2000, lightPage, lightHeader); n[0] < 2000 || n[1] < 2000 {
		t.Errorf("the light preview shows %d pixels of the page background and %d of the header, want the typed colours", n[0], n[1])
	}
	if n := framePixels(t, tab, "branding-frame-dark", 2000, darkPage, darkHeader); n[0] < 2000 || n[1] < 2000 {
		t.Errorf("the dark preview shows %d pixels of the page background and %d of the header, want the typed colours", n[0], n[1])
	}
	if _, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID}); err == nil {
		t.Error("a preview saved a style")
	}
	if err := chromedp.Do(tab, nextPage("#style-id", chromedp.Click(chromedp.ID("save-branding")))); err != nil {
		t.Fatalf("save: %v\n%s", err, pageText(tab))
	}

	// The header logo, uploaded as a file for both modes.
	img := image.NewRGBA(image.Rect(0, 0, 60, 20))
	logoColor := color.RGBA{255, 0, 255, 255}
	for x := range 60 {
		for y := range 20 {
			img.Set(x, y, logoColor)
		}
	}
	var logo bytes.Buffer
	if err := png.Encode(&logo, img); err != nil {
		t.Fatal(err)
	}
	logoFile := filepath.Join(t.TempDir(), "header.png")
	if err := os.WriteFile(logoFile, logo.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	submit(t, tab, "the header logo", setValue("asset_category", "PAGE_HEADER_LOGO"), setValue("asset_mode", "DYNAMIC"),
		chromedp.SetUploadFiles(chromedp.ID("asset_file"), []string{logoFile}), chromedp.Click(chromedp.ID("save-asset")))
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("asset-PAGE_HEADER_LOGO-DYNAMIC"))); err != nil {
		t.Fatalf("the uploaded logo is not listed: %v\n%s", err, pageText(tab))
	}
	if n := framePixels(t, tab, "branding-frame-light", 1000, logoColor, lightHeader); n[0] < 1000 || n[1] < 1000 {
		t.Errorf("the saved style's preview shows %d pixels of the header logo and %d of the header", n[0], n[1])
	}
	consoleScreenshot(t, tab, "console-branding-preview", false)
	fitsPhone(t, tab, "the branding page")

	out, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID, ReturnMergedResources: true})
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]any
	if err := out.ManagedLoginBranding.Settings.UnmarshalSmithyDocument(&settings); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var v any = settings
		for _, p := range strings.Split(path, ".") {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	for path, want := range map[string]any{
		"categories.global.pageHeader.enabled":               true,
		"categories.global.pageFooter.enabled":               true,
		"components.pageHeader.logo.enabled":                 true,
		"components.pageHeader.logo.location":                "CENTER",
		"components.pageHeader.lightMode.background.color":   "f0a000ff",
		"components.pageHeader.darkMode.background.color":    "601060ff",
		"components.pageFooter.lightMode.background.color":   "f0a000ff",
		"componentClasses.link.lightMode.defaults.textColor": "0a3d0aff",
		"categories.form.location.vertical":                  "START",
	} {
		if got := get(path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	if a := out.ManagedLoginBranding.Assets; len(a) != 1 || a[0].Category != types.AssetCategoryTypePageHeaderLogo || a[0].ColorMode != types.ColorSchemeModeTypeDynamic ||
		a[0].Extension != types.AssetExtensionTypePng || !bytes.Equal(a[0].Bytes, logo.Bytes()) {
		t.Errorf("the style's assets: %+v", a)
	}

	// The client's managed login page wears the style.
	signIn := c.URL + "/_domain/" + prefix + "/login?" + url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {callback}}.Encode()
	if err := chromedp.Do(tab, chromedp.Navigate(signIn), chromedp.WaitVisible(chromedp.ID("page-header")), chromedp.WaitVisible(chromedp.ID("page-footer"))); err != nil {
		t.Fatalf("the managed login page: %v\n%s", err, pageText(tab))
	}
	for _, tc := range []struct{ id, property, want string }{
		{"page-header", "backgroundColor", "rgb(240, 160, 0)"},
		{"page-footer", "backgroundColor", "rgb(240, 160, 0)"},
		{"page-header", "textAlign", "center"},
		{"signin", "backgroundColor", "rgb(192, 16, 16)"},
		{"forgot-link", "color", "rgb(10, 61, 10)"},
	} {
		if got := waitComputed(t, tab, tc.id, tc.property, tc.want); got != tc.want {
			t.Errorf("the sign-in page's %s %s is %s, want %s", tc.id, tc.property, got, tc.want)
		}
	}
	if w, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.getElementById('page-header-logo').naturalWidth`)); err != nil || w != 60 {
		t.Errorf("the sign-in page's header logo is %d pixels wide (%v), want 60", w, err)
	}
	resp, err := http.Get(signIn)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the hosted page's CSP no longer refuses frames: %s", csp)
	}

	// The new forms, refused and counted.
	browse(t, tab, c, client+"/branding", "branding")
	refused := refusedForms(t, c, tab, otherOperatorCSRF(t, c), map[string]url.Values{
		client + "/branding":        {"nav": {"save"}, "header_enabled": {"1"}, "header_background": {"000000ff"}, "link_text": {"000000ff"}},
		client + "/branding/assets": {"asset_category": {"FORM_LOGO"}, "asset_mode": {"LIGHT"}},
	})
	if after, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil ||
		len(after.ManagedLoginBranding.Assets) != 1 {
		t.Errorf("a refused form changed the style: %v", err)
	}
	t.Logf("managed login branding forms refused: %v", refused)
}

// fitsPhone checks that the page in tab needs no sideways scrolling at a
// phone's width (390 CSS pixels).
func fitsPhone(t *testing.T, tab context.Context, what string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 800)); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(1024, 768)); err != nil {
			t.Error(err)
		}
	}()
	w, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || w > 390 {
		t.Errorf("%s at a phone's width: %d CSS pixels wide (%v), want 390 at most", what, w, err)
	}
}
