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

// TestResourceServers creates, edits and deletes a resource server with an
// identifier that is a URL (slashes in the page's path) through the
// console's forms, reading each result back through the engine.
func TestResourceServers(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("apis")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		base := "/console/pools/" + poolID + "/resource-servers"
		id := "https://api.example.com"
		if rec := e.do(t, http.MethodPost, base, url.Values{"identifier": {id}, "name": {"API"}, "scopes": {"bad/scope reads"}}); rec.Code != http.StatusBadRequest ||
			!strings.Contains(rec.Body.String(), `id="error-Scopes"`) {
			t.Errorf("a scope name with a slash: %d\n%s", rec.Code, rec.Body)
		}
		rec := e.do(t, http.MethodPost, base, url.Values{"identifier": {id}, "name": {"API"}, "scopes": {"read Read things\nwrite Write things"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", rec.Code, rec.Body)
		}
		page := rec.Header().Get("Location")
		page = page[:strings.Index(page, "?")]
		if rec := e.do(t, http.MethodGet, page, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Read things") {
			t.Fatalf("the server's page %s: %d\n%s", page, rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"save"}, "name": {"The API"}, "scopes": {"read Read all\nadmin Administer"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", rec.Code, rec.Body)
		}
		desc, err := e.pools.DescribeResourceServer(ctx, c, &idp.DescribeResourceServerRequest{UserPoolId: &poolID, Identifier: &id})
		if err != nil {
			t.Fatal(err)
		}
		want := []idp.ResourceServerScopeType{{ScopeName: cognito.Ptr("read"), ScopeDescription: cognito.Ptr("Read all")}, {ScopeName: cognito.Ptr("admin"), ScopeDescription: cognito.Ptr("Administer")}}
		if diff := cmp.Diff(want, desc.ResourceServer.Scopes); diff != "" || cognito.Deref(desc.ResourceServer.Name) != "The API" {
			t.Errorf("after save, name %q, scopes (-want +got):\n%s", cognito.Deref(desc.ResourceServer.Name), diff)
		}
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"delete"}, "confirm": {"API"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-confirm"`) {
			t.Errorf("delete with the wrong identifier: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, page, url.Values{"action": {"delete"}, "confirm": {id}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", rec.Code, rec.Body)
		}
		if _, err := e.pools.DescribeResourceServer(ctx, c, &idp.DescribeResourceServerRequest{UserPoolId: &poolID, Identifier: &id}); !errors.Is(err, cognito.ResourceNotFoundException("")) {
			t.Errorf("after delete: %v", err)
		}
	})
}
