package console

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// pageSource is the page's markup in tab.
func pageSource(t *testing.T, tab context.Context) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refusedForms posts each form of a console section as an attacker
// would: without a session, with another operator's CSRF token, without
// a token, and cross-site with the operator's own session and token. It
// returns how many it tried, each refused (the caller checks that
// nothing was written).
func refusedForms(t *testing.T, c *cognate, tab context.Context, otherCSRF string, forms map[string]url.Values) map[string]int {
	t.Helper()
	session := consoleSession(t, c, tab)
	csrf, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS(`input[name=csrf]`)))
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, cookie, token string, header map[string]string) int {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("csrf", token)
		req, _ := http.NewRequest(http.MethodPost, c.URL+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "cognate_console", Value: cookie})
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	refused := map[string]int{}
	for path, form := range forms {
		cases := []struct {
			name, cookie, token string
			header              map[string]string
			want                int
		}{
			{"no session", "", csrf, nil, http.StatusUnauthorized},
			{"another session's CSRF token", session, otherCSRF, nil, http.StatusForbidden},
			{"no CSRF token", session, "", nil, http.StatusForbidden},
			{"cross-site post", session, csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"cross-site post", session, csrf, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		}
		for _, tc := range cases {
			if got := post(path, form, tc.cookie, tc.token, tc.header); got != tc.want {
				t.Errorf("POST %s with %s: %d, want %d", path, tc.name, got, tc.want)
			} else {
				refused[tc.name]++
			}
		}
	}
	return refused
}

// consoleSession is the operator's session cookie in tab's browser.
func consoleSession(t *testing.T, c *cognate, tab context.Context) string {
	t.Helper()
	var session string
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{c.URL + "/console/"}})
		if err != nil {
			return err
		}
		for _, ck := range res.Cookies {
			if ck.Name == "cognate_console" {
				session = ck.Value
			}
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if session == "" {
		t.Fatal("no console session cookie in the browser")
	}
	return session
}

// TestConsoleIdentityProviders adds an OpenID Connect provider (another
// pool of the same cognate as its issuer), a SAML provider from an
// uploaded metadata file and Google in the console, edits the SAML
// provider to read its metadata from a URL, offers the providers to an app
// client on its hosted-UI screen and deletes one after its name is typed;
// each result is read back through the AWS SDK (DescribeIdentityProvider,
// DescribeUserPoolClient). Secrets are never on a page after saving;
// markup in provider names, attribute mappings and identifiers is shown
// escaped, and the section's forms refuse requests without a session,
// with another operator's CSRF token and cross-site.
func TestConsoleIdentityProviders(t *testing.T) {
	// Parallel with the console's other slow sections: the package's
	// tests share one time budget.
	t.Parallel()
	c, tab := consoleOperator(t)
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("federated")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	web, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{"https://app.example.com/cb"}, SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	webID := aws.ToString(web.UserPoolClient.ClientId)
	// The OpenID Connect provider: another pool of this cognate.
	up, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("upstream")})
	if err != nil {
		t.Fatal(err)
	}
	upID := aws.ToString(up.UserPool.Id)
	issuer := c.URL + "/" + upID
	oidcSecret := "oidc-secret-shown-only-once-1234567890"

	describe := func(name string) *types.IdentityProviderType {
		t.Helper()
		out, err := c.admin.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: &poolID, ProviderName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeIdentityProvider %s: %v", name, err)
		}
		return out.IdentityProvider
	}

	// OIDC: a scope list without openid is refused next to its field first.
	browse(t, tab, c, "/console/pools/"+poolID, "identity-providers-link")
	if err := chromedp.Do(tab, nextPage("#add-idp-OIDC", chromedp.Click(chromedp.ID("identity-providers-link"))),
		nextPage("#create-idp", chromedp.Click(chromedp.ID("add-idp-OIDC"))),
		setValue("idp_name", "Corp"), setValue("idp_client_id", "corp-client"), setValue("idp_client_secret", oidcSecret),
		setValue("idp_oidc_issuer", issuer), setValue("idp_authorize_scopes", "email"),
		setValue("idp_mapping", "email=email\nname=name"), setValue("idp_identifiers", "corp.example"),
		nextPage("#error-authorize_scopes", chromedp.Click(chromedp.ID("create-idp-submit")))); err != nil {
		t.Fatalf("an OIDC provider without openid: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "create the OIDC provider", setValue("idp_client_secret", oidcSecret), setValue("idp_authorize_scopes", "openid email"),
		chromedp.Click(chromedp.ID("create-idp-submit")))
	if src := pageSource(t, tab); strings.Contains(src, oidcSecret) {
		t.Error("the provider's page shows its client secret")
	}
	consoleScreenshot(t, tab, "console-identity-provider", false)
	corp := describe("Corp")
	got := map[string]any{"type": corp.ProviderType, "client_id": corp.ProviderDetails["client_id"], "client_secret": corp.ProviderDetails["client_secret"],
		"oidc_issuer": corp.ProviderDetails["oidc_issuer"], "authorize_scopes": corp.ProviderDetails["authorize_scopes"],
		"mapping": corp.AttributeMapping, "identifiers": corp.IdpIdentifiers, "token_url": corp.ProviderDetails["token_url"] != ""}
	want := map[string]any{"type": types.IdentityProviderTypeTypeOidc, "client_id": "corp-client", "client_secret": oidcSecret,
		"oidc_issuer": issuer, "authorize_scopes": "openid email",
		"mapping": map[string]string{"email": "email", "name": "name", "username": "sub"}, "identifiers": []string{"corp.example"}, "token_url": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the OIDC provider (-entered +got):\n%s", diff)
	}
	// Saved again with the secret left empty: the secret is kept.
	submit(t, tab, "edit the OIDC provider", setValue("idp_authorize_scopes", "openid email profile"), chromedp.Click(chromedp.ID("save-idp")))
	if corp = describe("Corp"); corp.ProviderDetails["client_secret"] != oidcSecret || corp.ProviderDetails["authorize_scopes"] != "openid email profile" {
		t.Errorf("after the edit: secret kept %v, scopes %q", corp.ProviderDetails["client_secret"] == oidcSecret, corp.ProviderDetails["authorize_scopes"])
	}

	// SAML from an uploaded metadata file.
	idp := startSAMLIdP(t)
	md, err := xml.MarshalIndent(idp.Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	mdFile := filepath.Join(t.TempDir(), "idp-metadata.xml")
	if err := os.WriteFile(mdFile, md, 0o600); err != nil {
		t.Fatal(err)
	}
	browse(t, tab, c, "/console/pools/"+poolID+"/identity-providers?type=SAML", "create-idp")
	submit(t, tab, "create the SAML provider", setValue("idp_name", "Okta"), chromedp.SetUploadFiles(chromedp.ID("idp_metadata_upload"), []string{mdFile}),
		chromedp.Click(chromedp.ID("idp_IDPSignout")), chromedp.Click(chromedp.ID("idp_RequestSigningAlgorithm")),
		setValue("idp_mapping", "email="+samlMail), chromedp.Click(chromedp.ID("create-idp-submit")))
	okta := describe("Okta")
	got = map[string]any{"type": okta.ProviderType, "file": okta.ProviderDetails["MetadataFile"], "signout": okta.ProviderDetails["IDPSignout"],
		"init": okta.ProviderDetails["IDPInit"], "signing": okta.ProviderDetails["RequestSigningAlgorithm"], "sso": okta.ProviderDetails["SSORedirectBindingURI"] != "",
		"mapping": okta.AttributeMapping}
	want = map[string]any{"type": types.IdentityProviderTypeTypeSaml, "file": strings.TrimSpace(string(md)), "signout": "true", "init": "false",
		"signing": "rsa-sha256", "sso": true, "mapping": map[string]string{"email": samlMail}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the SAML provider (-entered +got):\n%s", diff)
	}
	// Saved with nothing changed, it keeps its document; then from a URL.
	submit(t, tab, "save the SAML provider unchanged", chromedp.Click(chromedp.ID("save-idp")))
	if okta = describe("Okta"); okta.ProviderDetails["MetadataFile"] != strings.TrimSpace(string(md)) || okta.ProviderDetails["IDPSignout"] != "true" {
		t.Errorf("saved unchanged, the SAML provider lost its document or settings: %v", okta.ProviderDetails["IDPSignout"])
	}
	submit(t, tab, "the SAML provider from a URL", setValue("idp_MetadataURL", idp.URL+"/metadata"), chromedp.Click(chromedp.ID("idp_IDPInit")),
		chromedp.Click(chromedp.ID("save-idp")))
	if okta = describe("Okta"); okta.ProviderDetails["MetadataURL"] != idp.URL+"/metadata" || okta.ProviderDetails["IDPInit"] != "true" {
		t.Errorf("the SAML provider from a URL: %+v", okta.ProviderDetails)
	}

	// Google, whose name is its type.
	googleSecret := "google-secret-shown-only-once-0987654321"
	browse(t, tab, c, "/console/pools/"+poolID+"/identity-providers?type=Google", "create-idp")
	submit(t, tab, "create Google", setValue("idp_client_id", "123.apps.googleusercontent.com"), setValue("idp_client_secret", googleSecret),
		setValue("idp_authorize_scopes", "profile email openid"), setValue("idp_mapping", "email=email"), chromedp.Click(chromedp.ID("create-idp-submit")))
	google := describe("Google")
	if google.ProviderType != types.IdentityProviderTypeTypeGoogle || google.ProviderDetails["client_id"] != "123.apps.googleusercontent.com" ||
		google.ProviderDetails["client_secret"] != googleSecret || google.ProviderDetails["authorize_scopes"] != "profile email openid" {
		t.Errorf("Google: %+v", google.ProviderDetails)
	}
	if strings.Contains(pageSource(t, tab), googleSecret) {
		t.Error("Google's page shows its secret")
	}
	browse(t, tab, c, "/console/pools/"+poolID+"/identity-providers", "identity-providers")
	consoleScreenshot(t, tab, "console-identity-providers", false)

	// The app client offers Corp and Google on its hosted-UI screen.
	browse(t, tab, c, "/console/pools/"+poolID+"/clients/"+webID+"/hosted-ui", "provider_Corp")
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("provider_Corp")), chromedp.Click(chromedp.ID("provider_Google")),
		nextPage(`#provider_Corp:checked`, chromedp.Click(chromedp.ID("save-hosted-ui")))); err != nil {
		t.Fatalf("choose providers for the app client: %v\n%s", err, pageText(tab))
	}
	// The boxes were ticked before the save's answer came back, so wait
	// for the save itself (the next page load would abort it otherwise).
	waitFor(t, "the app client's identity providers saved", func() error {
		cl, err := c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &webID})
		if err != nil {
			return err
		}
		providers := slices.Sorted(slices.Values(cl.UserPoolClient.SupportedIdentityProviders))
		if diff := cmp.Diff([]string{"COGNITO", "Corp", "Google"}, providers); diff != "" {
			return fmt.Errorf("SupportedIdentityProviders (-chosen +got):\n%s", diff)
		}
		return nil
	})
	browse(t, tab, c, "/console/pools/"+poolID+"/identity-providers/Corp", "idp-clients")
	if got := text(t, tab, "idp-clients"); !strings.Contains(got, "web") {
		t.Errorf("Corp's page lists the clients %q, want web", got)
	}

	// Markup in a provider's name, its attribute mapping and identifiers.
	markupName := `<img/src=x/onerror=alert(1)>`
	payload := `<script>document.title='pwned'</script>`
	if _, err := c.admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: &poolID, ProviderName: aws.String(markupName),
		ProviderType: types.IdentityProviderTypeTypeSaml, ProviderDetails: map[string]string{"MetadataURL": idp.URL + "/metadata"},
		AttributeMapping: map[string]string{"name": payload, "email": `"><img src=x onerror=document.title='pwned'>`}}); err != nil {
		t.Fatal(err)
	}
	escaped := 0
	for _, path := range []string{"/console/pools/" + poolID + "/identity-providers", "/console/pools/" + poolID + "/identity-providers/" + url.PathEscape(markupName),
		"/console/pools/" + poolID + "/clients/" + webID + "/hosted-ui", "/console/pools/" + poolID + "/clients/" + webID} {
		if markupOnPage(t, tab, c.URL+path) {
			t.Errorf("%s: markup ran or was rendered", path)
		} else {
			escaped++
		}
	}

	// The section's forms, as an attacker would send them.
	browse(t, tab, c, "/console/pools/"+poolID+"/identity-providers/Corp", "delete-idp")
	refused := refusedForms(t, c, tab, otherOperatorCSRF(t, c), map[string]url.Values{
		"/console/pools/" + poolID + "/identity-providers":      {"type": {"Google"}, "client_id": {"x"}, "client_secret": {"y"}, "authorize_scopes": {"openid"}},
		"/console/pools/" + poolID + "/identity-providers/Corp": {"action": {"delete"}, "confirm": {"Corp"}},
	})
	describe("Corp")
	t.Logf("identity providers: refused %v; %d pages with markup in provider names and attribute mappings shown escaped", refused, escaped)

	// Delete Corp once its name is typed.
	browse(t, tab, c, "/console/pools/"+poolID+"/identity-providers/Corp", "delete-idp")
	if err := chromedp.Do(tab, setValue("confirm-delete", "corp"), nextPage("#error-confirm", chromedp.Click(chromedp.ID("delete-idp-submit")))); err != nil {
		t.Fatalf("delete with the wrong name: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "delete Corp", setValue("confirm-delete", "Corp"), chromedp.Click(chromedp.ID("delete-idp-submit")))
	_, err = c.admin.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: &poolID, ProviderName: aws.String("Corp")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeIdentityProvider after the deletion: %v", err)
	}
}
