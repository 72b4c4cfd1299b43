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

// TestDomains adds a prefix and a custom domain to a pool through the
// console's domains page, changes the managed login version of one and
// deletes both after each is typed, reading each result back through the
// engine.
func TestDomains(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := cognito.Caller{Region: testRegion}
		pool, err := e.pools.CreateUserPool(ctx, c, &idp.CreateUserPoolRequest{PoolName: cognito.Ptr("domains")})
		if err != nil {
			t.Fatal(err)
		}
		poolID := cognito.Deref(pool.UserPool.Id)
		path := "/console/pools/" + poolID + "/domains"
		describe := func(name string) *idp.DomainDescriptionType {
			t.Helper()
			out, err := e.pools.DescribeUserPoolDomain(ctx, c, &idp.DescribeUserPoolDomainRequest{Domain: &name})
			if err != nil {
				t.Fatal(err)
			}
			if out.DomainDescription == nil || cognito.Deref(out.DomainDescription.UserPoolId) == "" {
				return nil
			}
			return out.DomainDescription
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"action": {"create"}, "domain": {"my-aws-login"}, "version": {"2"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-Domain"`) {
			t.Errorf("a prefix with aws in it: %d\n%s", rec.Code, rec.Body)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"action": {"create"}, "domain": {"console-domains"}, "version": {"2"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create a prefix domain: %d\n%s", rec.Code, rec.Body)
		}
		cert := "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
		if rec := e.do(t, http.MethodPost, path, url.Values{"action": {"create"}, "domain": {"auth.example.com"}, "certificate": {cert}, "version": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create a custom domain: %d\n%s", rec.Code, rec.Body)
		}
		if d := describe("console-domains"); d == nil || cognito.Deref(d.ManagedLoginVersion) != 2 {
			t.Errorf("the prefix domain: %+v", d)
		}
		if d := describe("auth.example.com"); d == nil || cognito.Deref(d.CustomDomainConfig.CertificateArn) != cert {
			t.Errorf("the custom domain: %+v", d)
		}
		rec := e.do(t, http.MethodGet, path, nil)
		if body := rec.Body.String(); !strings.Contains(body, `id="domain-prefix"`) || !strings.Contains(body, `id="domain-custom"`) || strings.Contains(body, `id="create-domain"`) {
			t.Errorf("the domains page with both:\n%s", body)
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"action": {"version"}, "domain": {"console-domains"}, "version": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("set the version: %d\n%s", rec.Code, rec.Body)
		}
		if d := describe("console-domains"); cognito.Deref(d.ManagedLoginVersion) != 1 {
			t.Errorf("the version after the change: %d", cognito.Deref(d.ManagedLoginVersion))
		}
		if rec := e.do(t, http.MethodPost, path, url.Values{"action": {"delete"}, "domain": {"console-domains"}, "confirm": {"console"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="error-confirm"`) {
			t.Errorf("delete with the wrong domain typed: %d\n%s", rec.Code, rec.Body)
		}
		for _, name := range []string{"console-domains", "auth.example.com"} {
			if rec := e.do(t, http.MethodPost, path, url.Values{"action": {"delete"}, "domain": {name}, "confirm": {name}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("delete %s: %d\n%s", name, rec.Code, rec.Body)
			}
			if d := describe(name); d != nil {
				t.Errorf("%s after the deletion: %+v", name, d)
			}
		}
	})
}
