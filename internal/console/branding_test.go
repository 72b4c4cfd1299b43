package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/color"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// postAsset posts the branding page's image form with the operator's
// session.
func (e *env) postAsset(t *testing.T, path string, fields map[string]string, file []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fields["csrf"] = e.csrf
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		f, err := w.CreateFormFile("asset_file", "image")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(file)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "http://localhost:9229"+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(e.session)
	rec := httptest.NewRecorder()
	e.c.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
	return rec
}

// TestBranding previews, saves, resets and deletes an app client's managed
// login style through the console's branding page, reading each result
// back through the engine: every setting the form shows lands at its
// place in the settings document, a preview saves nothing and its frame is
// the hosted sign-in page wearing what was typed, images upload with
// Cognito's types and limits, and the reset and the deletion ask for
// their box to be ticked.
func TestBranding(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("branded")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		cl, err := e.pools.CreateUserPoolClient(ctx, c, &idp.CreateUserPoolClientRequest{UserPoolId: &poolID, ClientName: cognito.Ptr("web")})
		if err != nil {
			t.Fatal(err)
		}
		clientID := cognito.Deref(cl.UserPoolClient.ClientId)
		path := "/console/pools/" + poolID + "/clients/" + clientID + "/branding"
		style := func() *idp.ManagedLoginBrandingType {
			out, err := e.pools.DescribeManagedLoginBrandingByClient(ctx, c, &idp.DescribeManagedLoginBrandingByClientRequest{UserPoolId: &poolID, ClientId: &clientID, ReturnMergedResources: cognito.Ptr(true)})
			if err != nil {
				return nil
			}
			return out.ManagedLoginBranding
		}
		settings := func() map[string]any {
			t.Helper()
			var m map[string]any
			if err := json.Unmarshal(style().Settings, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		// The page starts from the defaults a new style gets.
		rec := e.do(t, http.MethodGet, path, nil)
		if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `id="button_background" name="button_background" value="1765c0ff"`) ||
			!strings.Contains(body, `id="branding-frame-light" sandbox="allow-same-origin"`) {
			t.Fatalf("the branding page: %d\n%s", rec.Code, body)
		}
		form := url.Values{"scheme": {"DARK"}, "spacing": {"COMPACT"}, "page_background": {"102030ff"}, "button_background": {"aa0000ff"}, "button_text": {"ffffffff"},
			"dark_page_background": {"000000ff"}, "dark_button_background": {"33cc33ff"}, "dark_button_text": {"111111ff"},
			"form_horizontal": {"END"}, "form_vertical": {"START"}, "form_logo_location": {"CENTER"},
			"header_enabled": {"1"}, "header_logo": {"1"}, "header_logo_location": {"CENTER"}, "header_background": {"223344ff"}, "dark_header_background": {"556677ff"},
			"footer_enabled": {"1"}, "footer_logo_location": {"END"}, "footer_border": {"abcdef12"},
			"secondary_text": {"0000aaff"}, "input_border": {"444444ff"}, "link_text": {"0a0b0cff"}, "error_background": {"ffeeeeff"},
			"button_active_background": {"502080ff"}, "dark_button_disabled_border": {"969696ff"}, "secondary_active_text": {"402000ff"},
			"placeholder_text": {"207020ff"}, "divider": {"d02020ff"}, "description_text": {"6a1b9aff"},
			"method_first": {"USERNAME_PASSWORD"}, "provider_order": {" Beta,Alpha , "}, "display_graphics": {"1"}, "provider_icons": {"1"}}
		form.Set("nav", "preview")
		rec = e.do(t, http.MethodPost, path, form)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || style() != nil || !strings.Contains(body, `value="aa0000ff"`) {
			t.Fatalf("preview: %d, style %+v\n%s", rec.Code, style(), body)
		}
		// The frame's address carries what was typed; the frame is the
		// hosted sign-in page in that mode, under its own strict policy.
		frame := func(mode string) string {
			i := strings.Index(body, `id="branding-frame-`+mode+`" sandbox="allow-same-origin" src="`)
			if i < 0 {
				t.Fatalf("no %s frame:\n%s", mode, body)
			}
			rest := body[i+len(`id="branding-frame-`+mode+`" sandbox="allow-same-origin" src="`):]
			src := strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
			rec := e.do(t, http.MethodGet, src, nil)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'self'") ||
				!strings.Contains(rec.Header().Get("Content-Security-Policy"), "form-action 'none'") || rec.Header().Get("X-Frame-Options") != "SAMEORIGIN" {
				t.Fatalf("the %s frame: %d %v\n%s", mode, rec.Code, rec.Header(), rec.Body)
			}
			return rec.Body.String()
		}
		for mode, want := range map[string][]string{
			"light": {"button { background: #aa0000ff", "html { background: #102030ff", `class="page-header bar-CENTER"`, `id="page-footer"`, ".page-header { background-color: #223344ff", `id="signin-form"`},
			"dark":  {"button { background: #33cc33ff", "html { background: #000000ff", ".page-header { background-color: #556677ff"},
		} {
			page := frame(mode)
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("the %s frame lacks %q:\n%s", mode, w, page)
				}
			}
		}
		if rec := e.do(t, http.MethodGet, path+"/frame?mode=light&button_background="+url.QueryEscape("red;}*{x:y"), nil); rec.Code != http.StatusBadRequest {
			t.Errorf("a frame of something else than colours: %d", rec.Code)
		}
		// The console's pages may frame their own origin only; its other
		// pages still refuse every frame.
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("the branding page's CSP: %s", csp)
		}
		for _, tc := range []struct{ field, value string }{{"button_background", "red"}, {"dark_button_text", "12345"}, {"form_horizontal", "LEFT"}, {"header_logo_location", "<b>x</b>"},
			{"method_first", "PASSKEY"}, {"provider_order", "Alpha, " + strings.Repeat("x", 33)}} {
			bad := url.Values{"nav": {"save"}}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set(tc.field, tc.value)
			rec := e.do(t, http.MethodPost, path, bad)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-`+tc.field+`"`) || strings.Contains(rec.Body.String(), "<b>x") || style() != nil {
				t.Errorf("%s %q: %d\n%s", tc.field, tc.value, rec.Code, rec.Body)
			}
		}
		form.Set("nav", "save")
		if rec := e.do(t, http.MethodPost, path, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		s := settings()
		for path, want := range map[string]any{
			"categories.global.colorSchemeMode":                           "DARK",
			"categories.global.spacingDensity":                            "COMPACT",
			"categories.form.location.horizontal":                         "END",
			"categories.form.location.vertical":                           "START",
			"components.form.logo.location":                               "CENTER",
			"categories.global.pageHeader.enabled":                        true,
			"components.pageHeader.logo.enabled":                          true,
			"components.pageHeader.logo.location":                         "CENTER",
			"components.pageHeader.lightMode.background.color":            "223344ff",
			"components.pageHeader.darkMode.background.color":             "556677ff",
			"categories.global.pageFooter.enabled":                        true,
			"components.pageFooter.logo.enabled":                          false,
			"components.pageFooter.logo.location":                         "END",
			"components.pageFooter.lightMode.borderColor":                 "abcdef12",
			"components.pageBackground.lightMode.color":                   "102030ff",
			"components.pageBackground.darkMode.color":                    "000000ff",
			"components.pageBackground.image.enabled":                     false,
			"components.primaryButton.lightMode.defaults.backgroundColor": "aa0000ff",
			"components.primaryButton.darkMode.defaults.textColor":        "111111ff",
			"components.secondaryButton.lightMode.defaults.textColor":     "0000aaff",
			"componentClasses.input.lightMode.defaults.borderColor":       "444444ff",
			"componentClasses.link.lightMode.defaults.textColor":          "0a0b0cff",
			"components.alert.lightMode.error.backgroundColor":            "ffeeeeff",
			"components.primaryButton.lightMode.hover.backgroundColor":    "0c3d75ff",    // left empty: the default kept
			"categories.auth.federation.interfaceStyle":                   "BUTTON_LIST", // not on the form: kept
			"components.primaryButton.lightMode.active.backgroundColor":   "502080ff",
			"components.primaryButton.darkMode.disabled.borderColor":      "969696ff",
			"components.secondaryButton.lightMode.active.textColor":       "402000ff",
			"componentClasses.input.lightMode.placeholderColor":           "207020ff",
			"componentClasses.divider.lightMode.borderColor":              "d02020ff",
			"components.pageText.lightMode.descriptionColor":              "6a1b9aff",
			"categories.form.displayGraphics":                             true,
			"componentClasses.idpButtons.icons.enabled":                   true,
		} {
			if got := dig(s, strings.Split(path, ".")); got != want {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}
		if diff := cmp.Diff([]any{"Beta", "Alpha"}, dig(s, []string{"categories", "auth", "federation", "order"})); diff != "" {
			t.Errorf("federation order (-want +got):\n%s", diff)
		}
		wantOrder := []any{[]any{map[string]any{"display": "INPUT", "type": "USERNAME_PASSWORD"}, map[string]any{"display": "BUTTON", "type": "FEDERATED"}}}
		if diff := cmp.Diff(wantOrder, dig(s, []string{"categories", "auth", "authMethodOrder"})); diff != "" {
			t.Errorf("sign-in methods' order (-want +got):\n%s", diff)
		}
		// The form shows what was saved.
		if body := e.do(t, http.MethodGet, path, nil).Body.String(); !strings.Contains(body, `id="provider_order" name="provider_order" value="Beta, Alpha"`) ||
			!strings.Contains(body, `<option selected>USERNAME_PASSWORD</option>`) || !strings.Contains(body, `id="display_graphics" checked`) {
			t.Errorf("the saved sign-in methods and graphics are not on the form:\n%s", body)
		}
		form.Set("button_background", "00aa00ff")
		if rec := e.do(t, http.MethodPost, path, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save again: %d\n%s", rec.Code, rec.Body)
		}
		if got := dig(settings(), []string{"components", "primaryButton", "lightMode", "defaults", "backgroundColor"}); got != "00aa00ff" {
			t.Errorf("after the second save the button is %v", got)
		}

		// Images: Cognito's types per category, its size limit, one per
		// category and mode, each shown in the frame where the style says.
		logo := pngImage(t, color.RGBA{R: 200, A: 255})
		assets := path + "/assets"
		for _, tc := range []struct {
			name   string
			fields map[string]string
			file   []byte
			field  string
		}{
			{"no file", map[string]string{"asset_category": "FORM_LOGO", "asset_mode": "LIGHT"}, nil, "asset_file"},
			{"not an image", map[string]string{"asset_category": "FORM_LOGO", "asset_mode": "LIGHT"}, []byte("GIF89a not one of them"), "asset_file"},
			{"a PNG favicon", map[string]string{"asset_category": "FAVICON_ICO", "asset_mode": "LIGHT"}, logo, "asset_file"},
			{"too large", map[string]string{"asset_category": "PAGE_BACKGROUND", "asset_mode": "LIGHT"}, append(bytes.Clone(logo), make([]byte, maxAsset)...), "asset_file"},
			{"an unknown place", map[string]string{"asset_category": "EMAIL_GRAPHIC<x>", "asset_mode": "LIGHT"}, logo, "asset_category"},
			{"an unknown mode", map[string]string{"asset_category": "FORM_LOGO", "asset_mode": "PURPLE"}, logo, "asset_mode"},
		} {
			rec := e.postAsset(t, assets, tc.fields, tc.file)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-`+tc.field+`"`) || len(style().Assets) != 0 {
				t.Errorf("%s: %d, %d assets\n%s", tc.name, rec.Code, len(style().Assets), rec.Body)
			}
		}
		if rec := e.postAsset(t, assets, map[string]string{"asset_category": "PAGE_HEADER_LOGO", "asset_mode": "DARK"}, logo); rec.Code != http.StatusSeeOther {
			t.Fatalf("upload the header logo: %d\n%s", rec.Code, rec.Body)
		}
		ico := []byte{0, 0, 1, 0, 1, 0, 1, 1}
		if rec := e.postAsset(t, assets, map[string]string{"asset_category": "FAVICON_ICO", "asset_mode": "LIGHT"}, ico); rec.Code != http.StatusSeeOther {
			t.Fatalf("upload the favicon: %d\n%s", rec.Code, rec.Body)
		}
		if got := style().Assets; len(got) != 2 || !bytes.Equal(got[0].Bytes, logo) || cognito.Deref(got[0].Extension) != "PNG" || cognito.Deref(got[1].Extension) != "ICO" {
			t.Fatalf("the style's assets: %+v", got)
		}
		body = e.do(t, http.MethodGet, path, nil).Body.String()
		if !strings.Contains(body, `id="asset-PAGE_HEADER_LOGO-DARK"`) || !strings.Contains(body, `id="asset-FAVICON_ICO-LIGHT"`) {
			t.Errorf("the page does not list the images:\n%s", body)
		}
		if rec := e.do(t, http.MethodGet, path+"/asset?category=PAGE_HEADER_LOGO&mode=DARK", nil); rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), logo) || rec.Header().Get("Content-Type") != "image/png" {
			t.Errorf("the header logo: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		if !strings.Contains(frame("dark"), `id="page-header-logo" src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(logo)) {
			t.Errorf("the dark frame does not show the header logo")
		}

		// Reset and delete ask for their box.
		if rec := e.do(t, http.MethodPost, path, url.Values{"nav": {"reset"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-confirm_reset"`) {
			t.Errorf("reset without its box: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"nav": {"reset"}, "confirm": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("reset: %d\n%s", rec.Code, rec.Body)
		}
		if got := dig(settings(), []string{"components", "primaryButton", "lightMode", "defaults", "backgroundColor"}); got != "1765c0ff" || len(style().Assets) != 0 {
			t.Errorf("after the reset the button is %v and the style has %d images", got, len(style().Assets))
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"nav": {"delete"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-confirm"`) || style() == nil {
			t.Errorf("delete without its box: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"nav": {"delete"}, "confirm": {"1"}}); rec.Code != http.StatusSeeOther || style() != nil {
			t.Errorf("delete: %d, style %+v", rec.Code, style())
		}
	})
}
