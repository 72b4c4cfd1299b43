package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestBranding previews, saves, resets and deletes an app client's managed
// login style through the console's branding page, reading each result
// back through the engine; a preview saves nothing, and its stylesheet
// takes nothing but colours.
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
		form := url.Values{"scheme": {"DARK"}, "page_background": {"102030ff"}, "button_background": {"aa0000ff"}, "button_text": {"ffffffff"},
			"dark_page_background": {"000000ff"}, "dark_button_background": {"33cc33ff"}, "dark_button_text": {"111111ff"},
			"form_horizontal": {"RIGHT"}, "form_vertical": {"TOP"}}
		form.Set("nav", "preview")
		rec := e.do(t, http.MethodPost, path, form)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "preview.css?page=102030ff&amp;button=aa0000ff&amp;text=ffffffff") || style() != nil {
			t.Fatalf("preview: %d, style %+v\n%s", rec.Code, style(), rec.Body)
		}
		if rec := e.do(t, http.MethodGet, path+"/preview.css?button=aa0000ff&page=102030ff&text=ffffffff", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "background: #aa0000ff") {
			t.Errorf("the preview's stylesheet: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodGet, path+"/preview.css?button="+url.QueryEscape("red;}*{x:y")+"&page=102030ff&text=ffffffff", nil); rec.Code != http.StatusBadRequest {
			t.Errorf("a stylesheet of something else than colours: %d", rec.Code)
		}
		if rec := e.do(t, http.MethodGet, path+"/preview.css?mode=dark&button=33cc33ff&page=000000ff&text=111111ff", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), ".branding-preview-dark { background: #000000ff") {
			t.Errorf("the dark preview's stylesheet: %d\n%s", rec.Code, rec.Body)
		}
		for _, field := range []string{"button_background", "dark_button_text"} {
			bad := url.Values{"nav": {"save"}}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set(field, "red")
			if rec := e.do(t, http.MethodPost, path, bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-`+field+`"`) || style() != nil {
				t.Errorf("a colour that is not RRGGBBAA in %s: %d\n%s", field, rec.Code, rec.Body)
			}
		}
		form.Set("nav", "save")
		if rec := e.do(t, http.MethodPost, path, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		s := style()
		if s == nil {
			t.Fatal("no style after save")
		}
		var d brandingData
		d.settingsValues(s.Settings)
		if d.Scheme != "DARK" || d.PageBackground != "102030ff" || d.ButtonBackground != "aa0000ff" || d.ButtonText != "ffffffff" ||
			d.DarkPageBackground != "000000ff" || d.DarkButtonBackground != "33cc33ff" || d.DarkButtonText != "111111ff" || d.FormHorizontal != "RIGHT" || d.FormVertical != "TOP" {
			t.Errorf("the saved style: %+v", d)
		}
		form.Set("button_background", "00aa00ff")
		if rec := e.do(t, http.MethodPost, path, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save again: %d\n%s", rec.Code, rec.Body)
		}
		d = brandingData{}
		if d.settingsValues(style().Settings); d.ButtonBackground != "00aa00ff" {
			t.Errorf("after the second save the button is %s", d.ButtonBackground)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"nav": {"reset"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("reset: %d\n%s", rec.Code, rec.Body)
		}
		d = brandingData{}
		if d.settingsValues(style().Settings); d.ButtonBackground != "1765c0ff" {
			t.Errorf("after the reset the button is %s", d.ButtonBackground)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"nav": {"delete"}}); rec.Code != http.StatusSeeOther || style() != nil {
			t.Errorf("delete: %d, style %+v", rec.Code, style())
		}
	})
}
