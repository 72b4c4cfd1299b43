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
// (pool, app clients, resource servers, domains, branding) without a
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
			{clientPath + "/branding", url.Values{"nav": {"save"}, "scheme": {"LIGHT"}, "page_background": {"000000ff"}, "button_background": {"000000ff"}, "button_text": {"ffffffff"}}},
			{"/console/pools/" + poolID + "/resource-servers", url.Values{"identifier": {"forged"}, "name": {"forged"}}},
			{"/console/pools/" + poolID + "/domains", url.Values{"action": {"create"}, "domain": {"forged-domain"}}},
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
		if cognito.Deref(d.UserPool.Name) != "guarded" || cognito.Deref(d.UserPool.Domain) != "" || len(list.UserPoolClients) != 1 ||
			cognito.Deref(list.UserPoolClients[0].ClientName) != "web" || len(rs.ResourceServers) != 0 {
			t.Errorf("a refused post changed the pool: name %q, domain %q, clients %+v, resource servers %d",
				cognito.Deref(d.UserPool.Name), cognito.Deref(d.UserPool.Domain), list.UserPoolClients, len(rs.ResourceServers))
		}
		t.Logf("settings forms refused: %v", refused)
	})
}
