package oidc

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/userpool"
)

// TestBrandingPreview draws a style with a header, a footer, a logo, a
// favicon and a page background image in each mode: the page is the
// sign-in template with the mode's colours and the images as data: URLs,
// its stylesheet is the one the CSP's hash allows, and nothing else may
// load or be sent.
func TestBrandingPreview(t *testing.T) {
	var settings map[string]any
	if err := json.Unmarshal([]byte(`{"categories":{"global":{"colorSchemeMode":"LIGHT","pageHeader":{"enabled":true},"pageFooter":{"enabled":true}}},
		"components":{"pageHeader":{"logo":{"enabled":true,"location":"CENTER"},"lightMode":{"background":{"color":"112233ff"}},"darkMode":{"background":{"color":"445566ff"}}},
		"pageFooter":{"logo":{"enabled":false,"location":"END"}},"pageBackground":{"image":{"enabled":true},"lightMode":{"color":"abcdefff"},"darkMode":{"color":"010203ff"}},
		"favicon":{"enabledTypes":["ICO"]},
		"primaryButton":{"lightMode":{"defaults":{"backgroundColor":"aa0000ff"}},"darkMode":{"defaults":{"backgroundColor":"00aa00ff"}}}}}`), &settings); err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\nlogo")
	assets := []userpool.BrandingAsset{
		{Category: "PAGE_HEADER_LOGO", ColorMode: "LIGHT", Extension: "PNG", Bytes: png},
		{Category: "PAGE_BACKGROUND", ColorMode: "DARK", Extension: "PNG", Bytes: []byte("\x89PNG\r\n\x1a\ndark")},
		{Category: "FAVICON_ICO", ColorMode: "LIGHT", Extension: "ICO", Bytes: []byte{0, 0, 1, 0, 9}},
	}
	for _, tc := range []struct {
		name         string
		dark         bool
		want, absent []string
	}{
		{"light", false, []string{"button { background: #aa0000ff }", ".page-header { background-color: #112233ff }", "html { background: #abcdefff }",
			`class="page-header bar-CENTER"`, `id="page-header-logo" src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png), `id="page-footer"`,
			`<link rel="icon" href="data:image/x-icon;base64,`, `id="signin-form"`, `Continue with Google`},
			[]string{"#00aa00ff", "page-footer-logo", "/static/style.css", "branding.css"}},
		{"dark", true, []string{"button { background: #00aa00ff }", ".page-header { background-color: #445566ff }",
			`html { background-image: url("data:image/png;base64,` + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\ndark")) + `")`},
			[]string{"#aa0000ff", "#112233ff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			csp, err := RenderBrandingPreview(&b, BrandingPreview{Settings: settings, Assets: assets, Dark: tc.dark, Providers: []string{"Google"}})
			if err != nil {
				t.Fatal(err)
			}
			page := b.String()
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the preview lacks %q:\n%s", w, page)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(page, a) {
					t.Errorf("the preview holds %q", a)
				}
			}
			m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no style element:\n%s", page)
			}
			sum := sha256.Sum256([]byte(m[1]))
			wantCSP := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
			if csp != wantCSP {
				t.Errorf("CSP %q, want %q", csp, wantCSP)
			}
		})
	}
	// The caller's settings are untouched.
	if got := dig(settings, "categories", "global", "colorSchemeMode"); got != "LIGHT" {
		t.Errorf("the settings' scheme became %v", got)
	}
}
