package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestSettingsFormsRefused posts every form of the pool settings screens
// (pool, more settings, risk configuration, app clients, resource servers,
// domains, branding, the classic hosted UI's CSS and logo) without a
// session, with another session's CSRF token and cross-site: each is
// refused before it reaches an engine, and the pool is unchanged.
func TestSettingsFormsRefused(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("guarded")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		cl, err := e.pools.CreateUserPoolClient(ctx, c, &idp.CreateUserPoolClientRequest{UserPoolId: &poolID, ClientName: cognito.Ptr("web")})
		if err != nil {
			t.Fatal(err)
		}
		clientPath := "/console/pools/" + poolID + "/clients/" + cognito.Deref(cl.UserPoolClient.ClientId)
		posts := []struct {
			path string
			form url.Values
		}{
			{"/console/pools/" + poolID + "/edit", url.Values{"pool_name": {"forged"}, "mfa": {"OFF"}}},
			{"/console/pools/" + poolID + "/clients", url.Values{"client_name": {"forged"}}},
			{clientPath + "/save", url.Values{"client_name": {"forged"}}},
			{clientPath + "/delete", url.Values{"confirm": {"web"}}},
			{clientPath + "/branding", url.Values{"nav": {"save"}, "scheme": {"LIGHT"}, "page_background": {"000000ff"}, "button_background": {"000000ff"}, "button_text": {"ffffffff"},
				"header_enabled": {"1"}, "header_background": {"000000ff"}, "footer_enabled": {"1"}, "link_text": {"000000ff"}}},
			{clientPath + "/branding", url.Values{"nav": {"delete"}, "confirm": {"1"}}},
			{clientPath + "/branding/assets", url.Values{"asset_category": {"FORM_LOGO"}, "asset_mode": {"LIGHT"}}},
			{"/console/pools/" + poolID + "/resource-servers", url.Values{"identifier": {"forged"}, "name": {"forged"}}},
			{"/console/pools/" + poolID + "/domains", url.Values{"action": {"create"}, "domain": {"forged-domain"}}},
			{"/console/pools/" + poolID + "/settings", url.Values{"section": {"sms"}, "sns_caller_arn": {"arn:aws:iam::123456789012:role/forged"}}},
			{"/console/pools/" + poolID + "/risk", url.Values{"ip_blocked": {"192.0.2.0/24"}, "ato_enabled": {"1"}, "notify_source_arn": {"arn:aws:ses:us-east-1:123456789012:identity/forged@example.com"},
				"notify_block_subject": {"forged"}, "notify_block_text": {"forged text"}}},
			{clientPath + "/ui-customization", url.Values{"css": {".banner-customizable { color: red; }"}}},
		}
		_, otherCSRF := e.signIn(t, "other-operator")
		refused := map[string]int{}
		for _, p := range posts {
			for _, tc := range []struct {
				name   string
				mutate func(req *http.Request, form url.Values)
				want   int
			}{
				{"no session", func(req *http.Request, _ url.Values) {
					if req != nil {
						req.Header.Del("Cookie")
					}
				}, http.StatusUnauthorized},
				{"another session's CSRF token", func(_ *http.Request, form url.Values) {
					if form != nil {
						form.Set("csrf", otherCSRF)
					}
				}, http.StatusForbidden},
				{"no CSRF token", func(_ *http.Request, form url.Values) {
					if form != nil {
						form.Del("csrf")
					}
				}, http.StatusForbidden},
				{"cross-site", func(req *http.Request, _ url.Values) {
					if req != nil {
						req.Header.Set("Sec-Fetch-Site", "cross-site")
					}
				}, http.StatusForbidden},
				{"another origin", func(req *http.Request, _ url.Values) {
					if req != nil {
						req.Header.Set("Origin", "https://evil.example")
					}
				}, http.StatusForbidden},
			} {
				form := url.Values{"csrf": {e.csrf}}
				for k, v := range p.form {
					form[k] = v
				}
				// The form's changes first, then the request's headers.
				tc.mutate(nil, form)
				req := httptest.NewRequest(http.MethodPost, "http://localhost:9229"+p.path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(e.session)
				tc.mutate(req, nil)
				rec := httptest.NewRecorder()
				e.c.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
				if rec.Code != tc.want {
					t.Errorf("POST %s, %s: %d, want %d", p.path, tc.name, rec.Code, tc.want)
				} else {
					refused[tc.name]++
				}
			}
		}
		d, err := e.pools.DescribeUserPool(ctx, c, &idp.DescribeUserPoolRequest{UserPoolId: &poolID})
		if err != nil {
			t.Fatal(err)
		}
		list, _ := e.pools.ListUserPoolClients(ctx, c, &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60))})
		rs, _ := e.pools.ListResourceServers(ctx, c, &idp.ListResourceServersRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(50))})
		if cognito.Deref(d.UserPool.Name) != "guarded" || cognito.Deref(d.UserPool.Domain) != "" || len(list.UserPoolClients) != 1 || d.UserPool.SmsConfiguration != nil ||
			cognito.Deref(list.UserPoolClients[0].ClientName) != "web" || len(rs.ResourceServers) != 0 {
			t.Errorf("a refused post changed the pool: name %q, domain %q, clients %+v, resource servers %d",
				cognito.Deref(d.UserPool.Name), cognito.Deref(d.UserPool.Domain), list.UserPoolClients, len(rs.ResourceServers))
		}
		t.Logf("settings forms refused: %v", refused)
	})
}

// TestSettingsMarkup sends markup in the names the settings screens show
// back: app client and resource server names are refused as the API
// refuses them, and a scope name, which may hold it, is shown escaped;
// the form shown again with the refused value escapes it too.
func TestSettingsMarkup(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("markup")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		payload := `<script>document.title='pwned'</script>`
		raw, escaped := "<script>", "&lt;script&gt;"
		counts := map[string]int{}
		check := func(what string, rec *httptest.ResponseRecorder, status int) {
			t.Helper()
			body := rec.Body.String()
			if rec.Code != status || strings.Contains(body, raw) || !strings.Contains(body, escaped) {
				t.Errorf("%s: %d (want %d), raw markup %v, escaped %v", what, rec.Code, status, strings.Contains(body, raw), strings.Contains(body, escaped))
				return
			}
			counts[what]++
		}
		check("client name", e.do(t, http.MethodPost, "/console/pools/"+poolID+"/clients", url.Values{"client_name": {payload}}), http.StatusBadRequest)
		check("resource server name", e.do(t, http.MethodPost, "/console/pools/"+poolID+"/resource-servers",
			url.Values{"identifier": {"api"}, "name": {payload}, "scopes": {"read"}}), http.StatusBadRequest)
		scope := `<script>x`
		if rec := e.do(t, http.MethodPost, "/console/pools/"+poolID+"/resource-servers", url.Values{"identifier": {"api"}, "name": {"API"}, "scopes": {scope + " " + payload}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("a scope named %s: %d\n%s", scope, rec.Code, rec.Body)
		}
		check("scope name and description (list)", e.do(t, http.MethodGet, "/console/pools/"+poolID+"/resource-servers", nil), http.StatusOK)
		check("scope name and description (page)", e.do(t, http.MethodGet, "/console/pools/"+poolID+"/resource-servers/api", nil), http.StatusOK)
		t.Logf("markup refused or shown escaped: %v", counts)
	})
}
