package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestIdentityProviders creates a Google provider through the console's
// forms (a missing secret refused next to its field first), checks that
// its page never shows the secret, edits it with the secret left empty
// (kept) and deletes it once its name is typed, reading each result back
// through the engine.
func TestIdentityProviders(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("federated")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		base := "/console/pools/" + poolID + "/identity-providers"
		if rec := e.do(t, http.MethodGet, base+"?type=Google", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="create-idp"`) {
			t.Fatalf("the Google form: %d\n%s", rec.Code, rec.Body)
		}
		form := url.Values{"type": {"Google"}, "client_id": {"web.apps.example"}, "authorize_scopes": {"openid email"},
			"mapping": {"email=email\nname=name"}, "identifiers": {"example.com"}}
		if rec := e.do(t, http.MethodPost, base, form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-client_secret"`) {
			t.Errorf("without a secret: %d\n%s", rec.Code, rec.Body)
		}
		secret := "google-secret-never-shown"
		form.Set("client_secret", secret)
		rec := e.do(t, http.MethodPost, base, form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", rec.Code, rec.Body)
		}
		page := rec.Header().Get("Location")
		page = page[:strings.Index(page, "?")]
		desc, err := e.pools.DescribeIdentityProvider(ctx, c, &idp.DescribeIdentityProviderRequest{UserPoolId: &poolID, ProviderName: cognito.Ptr("Google")})
		if err != nil {
			t.Fatal(err)
		}
		p := desc.IdentityProvider
		got := map[string]any{"id": p.ProviderDetails["client_id"], "secret": p.ProviderDetails["client_secret"], "scopes": p.ProviderDetails["authorize_scopes"],
			"mapping": p.AttributeMapping, "identifiers": p.IdpIdentifiers}
		want := map[string]any{"id": "web.apps.example", "secret": secret, "scopes": "openid email",
			"mapping": map[string]string{"email": "email", "name": "name", "username": "sub"}, "identifiers": []string{"example.com"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DescribeIdentityProvider (-entered +got):\n%s", diff)
		}
		rec = e.do(t, http.MethodGet, page, nil)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), secret) || !strings.Contains(rec.Body.String(), "set (not shown)") {
			t.Errorf("the provider's page: %d, shows the secret: %v\n%s", rec.Code, strings.Contains(rec.Body.String(), secret), rec.Body)
		}
		// Saved with the secret left empty: the secret is kept.
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"save"}, "client_id": {"web2.apps.example"}, "authorize_scopes": {"openid"},
			"mapping": {"email=email"}, "identifiers": {""}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		if desc, err = e.pools.DescribeIdentityProvider(ctx, c, &idp.DescribeIdentityProviderRequest{UserPoolId: &poolID, ProviderName: cognito.Ptr("Google")}); err != nil {
			t.Fatal(err)
		}
		if d := desc.IdentityProvider.ProviderDetails; d["client_id"] != "web2.apps.example" || d["client_secret"] != secret || d["authorize_scopes"] != "openid" ||
			desc.IdentityProvider.AttributeMapping["name"] != "" || len(desc.IdentityProvider.IdpIdentifiers) != 0 {
			t.Errorf("after the edit: %+v", desc.IdentityProvider)
		}
		// A mapping the engine refuses is shown with its message, nothing changed.
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"save"}, "client_id": {"x"}, "authorize_scopes": {"openid"}, "mapping": {"sub=sub"}}); rec.Code != http.StatusBadRequest ||
			!strings.Contains(rec.Body.String(), "InvalidParameterException") {
			t.Errorf("mapping sub: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"delete"}, "confirm": {"google"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-confirm"`) {
			t.Errorf("delete with the wrong name: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"delete"}, "confirm": {"Google"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", rec.Code, rec.Body)
		}
		_, err = e.pools.DescribeIdentityProvider(ctx, c, &idp.DescribeIdentityProviderRequest{UserPoolId: &poolID, ProviderName: cognito.Ptr("Google")})
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != "ResourceNotFoundException" {
			t.Errorf("after the deletion: %v", err)
		}
	})
}
