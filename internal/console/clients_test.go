package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestAppClients creates, edits, rotates the secret of and deletes an app
// client through the console's forms, reading the result back through the
// engine: the secret appears once, in the answer that made it.
func TestAppClients(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("apps")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		base := "/console/pools/" + poolID + "/clients"
		form := url.Values{"client_name": {"backend"}, "generate_secret": {"1"}, "auth_flow": {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			"access_validity": {"60"}, "access_unit": {"minutes"}, "id_validity": {"60"}, "id_unit": {"minutes"},
			"refresh_validity": {"30"}, "refresh_unit": {"days"}, "auth_session_validity": {"3"}, "prevent_user_existence": {"ENABLED"}}

		// Refused settings keep what was typed, with the message next to
		// the field.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("callback_urls", "http://example.com/cb")
		bad.Set("oauth_flow", "code")
		bad.Set("scopes", "openid")
		rec := e.do(t, http.MethodPost, base, bad)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-CallbackURLs"`) || !strings.Contains(rec.Body.String(), "http://example.com/cb") {
			t.Errorf("a plain-HTTP callback: %d\n%s", rec.Code, rec.Body)
		}
		bad.Set("callback_urls", "")
		bad.Set("access_validity", "soon")
		if rec := e.do(t, http.MethodPost, base, bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-AccessTokenValidity"`) {
			t.Errorf("a validity that is not a number: %d\n%s", rec.Code, rec.Body)
		}
		if list, _ := e.pools.ListUserPoolClients(ctx, c, &idp.ListUserPoolClientsRequest{UserPoolId: &poolID, MaxResults: cognito.Ptr(int32(60))}); len(list.UserPoolClients) != 0 {
			t.Fatalf("refused forms made clients %+v", list.UserPoolClients)
		}

		rec = e.do(t, http.MethodPost, base, form)
		if rec.Code != http.StatusCreated {
			t.Fatalf("create: %d\n%s", rec.Code, rec.Body)
		}
		clientID := regexp.MustCompile(`<code id="client-id">([^<]+)</code>`).FindStringSubmatch(rec.Body.String())
		shown := regexp.MustCompile(`id="new-secret" readonly value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
		if clientID == nil || shown == nil {
			t.Fatalf("the created client's page shows no ID or secret:\n%s", rec.Body)
		}
		desc, err := e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID[1]})
		if err != nil {
			t.Fatal(err)
		}
		secret := cognito.Deref(desc.UserPoolClient.ClientSecret)
		if shown[1] != secret {
			t.Errorf("the page showed %q, the client's secret is %q", shown[1], secret)
		}
		page := base + "/" + clientID[1]
		rec = e.do(t, http.MethodGet, page, nil)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), secret) || !strings.Contains(rec.Body.String(), `id="secret-masked"`) {
			t.Errorf("the client's page again: %d, secret shown %v", rec.Code, strings.Contains(rec.Body.String(), secret))
		}

		// Edit every setting of the form.
		edit := url.Values{"client_name": {"backend-2"}, "auth_flow": {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			"access_validity": {"2"}, "access_unit": {"hours"}, "id_validity": {"30"}, "id_unit": {"minutes"},
			"refresh_validity": {"10"}, "refresh_unit": {"days"}, "auth_session_validity": {"5"},
			"read_attrs": {"email, name"}, "write_attrs": {"name"}, "callback_urls": {"https://app.example.com/cb\nhttp://localhost:3000/cb"},
			"default_redirect": {"https://app.example.com/cb"}, "logout_urls": {"https://app.example.com/bye"},
			"oauth_flow": {"code"}, "scopes": {"openid email"}, "provider": {"COGNITO"}, "prevent_user_existence": {"LEGACY"}}
		if rec := e.do(t, http.MethodPost, page+"/save", edit); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		desc, err = e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID[1]})
		if err != nil {
			t.Fatal(err)
		}
		cl := desc.UserPoolClient
		got := map[string]any{"name": cognito.Deref(cl.ClientName), "flows": cl.ExplicitAuthFlows, "access": cognito.Deref(cl.AccessTokenValidity),
			"units": *cl.TokenValidityUnits, "id": cognito.Deref(cl.IdTokenValidity), "refresh": cognito.Deref(cl.RefreshTokenValidity),
			"session": cognito.Deref(cl.AuthSessionValidity), "read": cl.ReadAttributes, "write": cl.WriteAttributes,
			"callbacks": cl.CallbackURLs, "default": cognito.Deref(cl.DefaultRedirectURI), "logouts": cl.LogoutURLs,
			"oauth": cl.AllowedOAuthFlows, "scopes": cl.AllowedOAuthScopes, "providers": cl.SupportedIdentityProviders,
			"prevent": *cl.PreventUserExistenceErrors, "revocation": cognito.Deref(cl.EnableTokenRevocation), "secret": cognito.Deref(cl.ClientSecret)}
		want := map[string]any{"name": "backend-2", "flows": []idp.ExplicitAuthFlowsType{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"}, "access": int32(2),
			"units": idp.TokenValidityUnitsType{AccessToken: cognito.Ptr(idp.TimeUnitsType("hours")), IdToken: cognito.Ptr(idp.TimeUnitsType("minutes")), RefreshToken: cognito.Ptr(idp.TimeUnitsType("days"))},
			"id":    int32(30), "refresh": int32(10), "session": int32(5), "read": []string{"email", "name"}, "write": []string{"name"},
			"callbacks": []string{"http://localhost:3000/cb", "https://app.example.com/cb"}, "default": "https://app.example.com/cb", "logouts": []string{"https://app.example.com/bye"},
			"oauth": []idp.OAuthFlowType{"code"}, "scopes": []string{"email", "openid"}, "providers": []string{"COGNITO"},
			"prevent": idp.PreventUserExistenceErrorTypes("LEGACY"), "revocation": false, "secret": secret}
		if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmpopts.SortSlices(func(a, b idp.ExplicitAuthFlowsType) bool { return a < b })); diff != "" {
			t.Errorf("after save (-want +got):\n%s", diff)
		}

		// Rotation: a second secret, shown once; then the first deleted.
		rec = e.do(t, http.MethodPost, page+"/add-secret", url.Values{})
		added := regexp.MustCompile(`id="new-secret" readonly value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
		if rec.Code != http.StatusOK || added == nil || added[1] == secret {
			t.Fatalf("add a secret: %d\n%s", rec.Code, rec.Body)
		}
		secrets, err := e.pools.ListUserPoolClientSecrets(ctx, c, &idp.ListUserPoolClientSecretsRequest{UserPoolId: &poolID, ClientId: &clientID[1]})
		if err != nil || len(secrets.ClientSecrets) != 2 {
			t.Fatalf("secrets after adding one: %v %+v", err, secrets)
		}
		if rec := e.do(t, http.MethodPost, page+"/add-secret", url.Values{}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "LimitExceededException") {
			t.Errorf("a third secret: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page+"/delete-secret", url.Values{"secret_id": {cognito.Deref(secrets.ClientSecrets[0].ClientSecretId)}}); rec.Code != http.StatusBadRequest ||
			!strings.Contains(rec.Body.String(), `id="error-secret_confirm"`) {
			t.Errorf("delete a secret without its box: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page+"/delete-secret", url.Values{"secret_id": {cognito.Deref(secrets.ClientSecrets[0].ClientSecretId)}, "confirm": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete the first secret: %d\n%s", rec.Code, rec.Body)
		}
		desc, _ = e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID[1]})
		if got := cognito.Deref(desc.UserPoolClient.ClientSecret); got != added[1] {
			t.Errorf("after rotation the client's secret is %q, want the added %q", got, added[1])
		}
		if rec := e.do(t, http.MethodGet, page, nil); strings.Contains(rec.Body.String(), added[1]) {
			t.Error("the added secret is shown again")
		}

		// Deletion asks for the name.
		if rec := e.do(t, http.MethodPost, page+"/delete", url.Values{"confirm": {"backend"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-confirm"`) {
			t.Errorf("delete with the wrong name: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page+"/delete", url.Values{"confirm": {"backend-2"}, "csrf": {"forged"}}); rec.Code != http.StatusForbidden {
			t.Errorf("delete with another CSRF token: %d", rec.Code)
		}
		if rec := e.do(t, http.MethodPost, page+"/delete", url.Values{"confirm": {"backend-2"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", rec.Code, rec.Body)
		}
		if _, err := e.pools.DescribeUserPoolClient(ctx, c, &idp.DescribeUserPoolClientRequest{UserPoolId: &poolID, ClientId: &clientID[1]}); !errors.Is(err, cognito.ResourceNotFoundException("")) {
			t.Errorf("after delete: %v", err)
		}
	})
}
