package console

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// postMultipart posts fields and, when logo is not nil, the file logo as
// a multipart form with the operator's session.
func (e *env) postMultipart(t *testing.T, path string, fields map[string]string, logo []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		fields["csrf"] = e.csrf
	}
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if logo != nil {
		f, err := w.CreateFormFile("logo", "logo.png")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(logo)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "http://localhost:9229"+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(e.session)
	rec := httptest.NewRecorder()
	e.c.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
	return rec
}

// pngImage is a small PNG image of colour c.
func pngImage(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := range 4 {
		for y := range 4 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUICustomization saves an app client's classic hosted UI CSS and
// logo on both stores (a multipart form with the logo's file), reads them
// back with GetUICustomization, keeps the logo when only the CSS changes,
// refuses what SetUICustomization refuses next to its field with nothing
// changed, refuses a multipart form without this session's CSRF token,
// and removes the logo.
func TestUICustomization(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("classic")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		cl, err := e.pools.CreateUserPoolClient(ctx, c, &idp.CreateUserPoolClientRequest{UserPoolId: &poolID, ClientName: cognito.Ptr("web")})
		if err != nil {
			t.Fatal(err)
		}
		clientID := cognito.Deref(cl.UserPoolClient.ClientId)
		path := "/console/pools/" + poolID + "/clients/" + clientID + "/ui-customization"
		if rec := e.do(t, http.MethodGet, path, nil); rec.Code != http.StatusOK {
			t.Fatalf("GET: %d\n%s", rec.Code, rec.Body)
		}
		logo := pngImage(t, color.RGBA{200, 20, 20, 255})
		css := ".banner-customizable { background-color: #123456; }"
		rec := e.postMultipart(t, path, map[string]string{"target": clientID, "css": css, "logo_action": "replace"}, logo)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-domain"`) {
			t.Errorf("without a domain: %d\n%s", rec.Code, rec.Body)
		}
		if _, err := e.pools.CreateUserPoolDomain(ctx, c, &idp.CreateUserPoolDomainRequest{UserPoolId: &poolID, Domain: cognito.Ptr("classic-" + strings.ToLower(poolID[len(poolID)-6:]))}); err != nil {
			t.Fatal(err)
		}
		if rec := e.postMultipart(t, path, map[string]string{"target": clientID, "css": css, "logo_action": "replace"}, logo); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		check := func(wantCSS string, wantLogo []byte) {
			t.Helper()
			out, err := e.pools.GetUICustomization(ctx, c, &idp.GetUICustomizationRequest{UserPoolId: &poolID, ClientId: &clientID})
			if err != nil {
				t.Fatal(err)
			}
			if got := cognito.Deref(out.UICustomization.CSS); got != wantCSS || cognito.Deref(out.UICustomization.ClientId) != clientID {
				t.Errorf("GetUICustomization: CSS %q of %q, want %q", got, cognito.Deref(out.UICustomization.ClientId), wantCSS)
			}
			got, err := e.pools.UICustomizationLogo(ctx, c, poolID, clientID)
			if err != nil || !bytes.Equal(got, wantLogo) {
				t.Errorf("the logo: %d bytes (%v), want %d", len(got), err, len(wantLogo))
			}
		}
		check(css, logo)
		rec = e.do(t, http.MethodGet, path+"/logo", nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || !bytes.Equal(rec.Body.Bytes(), logo) {
			t.Errorf("the logo served: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		if body := e.do(t, http.MethodGet, path, nil).Body.String(); !strings.Contains(body, `id="current-logo"`) || !strings.Contains(body, "background-color: #123456;") {
			t.Errorf("the page after saving:\n%s", body)
		}
		// Only the CSS: the logo stays.
		css2 := ".submitButton-customizable { background-color: #654321; }"
		if rec := e.postMultipart(t, path, map[string]string{"target": clientID, "css": css2, "logo_action": "keep"}, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("save the CSS: %d\n%s", rec.Code, rec.Body)
		}
		check(css2, logo)
		// Refused: markup in the CSS, a class Cognito does not allow, a
		// file that is no image; each next to its field, nothing changed.
		for _, tc := range []struct {
			fields map[string]string
			file   []byte
			field  string
		}{
			{map[string]string{"target": clientID, "css": "</style><script>alert(1)</script>", "logo_action": "keep"}, nil, "CSS"},
			{map[string]string{"target": clientID, "css": "body { color: red; }", "logo_action": "keep"}, nil, "CSS"},
			{map[string]string{"target": clientID, "css": css, "logo_action": "replace"}, []byte("<svg onload=alert(1)>"), "image"},
			{map[string]string{"target": clientID, "css": css, "logo_action": "replace"}, nil, "logo"},
		} {
			rec := e.postMultipart(t, path, tc.fields, tc.file)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, `id="error-`+tc.field+`"`) || strings.Contains(body, "<script>alert(1)") {
				t.Errorf("%q: %d, want an error next to %s, escaped\n%s", tc.fields["css"], rec.Code, tc.field, body)
			}
		}
		check(css2, logo)
		// A multipart form with another session's token changes nothing.
		_, other := e.signIn(t, "other-operator")
		if rec := e.postMultipart(t, path, map[string]string{"csrf": other, "target": clientID, "css": "", "logo_action": "remove"}, nil); rec.Code != http.StatusForbidden {
			t.Errorf("another session's CSRF token: %d", rec.Code)
		}
		check(css2, logo)
		// The logo removed.
		if rec := e.postMultipart(t, path, map[string]string{"target": clientID, "css": css2, "logo_action": "remove"}, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("remove the logo: %d\n%s", rec.Code, rec.Body)
		}
		check(css2, nil)
		if rec := e.do(t, http.MethodGet, path+"/logo", nil); rec.Code != http.StatusNotFound {
			t.Errorf("the logo after its removal: %d", rec.Code)
		}
	})
}
