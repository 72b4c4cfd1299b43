package console

import (
	"context"
	"errors"
	"image/color"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// consoleOperator starts cognate (with the extra environment variables
// env) with an operator added by the CLI and signs them in to the console
// in a browser of their own.
func consoleOperator(t *testing.T, env ...string) (*cognate, context.Context) {
	t.Helper()
	chromium := requireChromium(t)
	dataDir := t.TempDir()
	temp := addAdmin(t, dataDir, "operator", "operator@example.com")
	c := startCognateIn(t, dataDir, env...)
	tab := newBrowserFor(t, chromium, 4*browserTimeout)
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/")); err != nil {
		t.Fatal(err)
	}
	if err := signInHosted(tab, "operator", temp); err != nil {
		t.Fatal(err)
	}
	if err := newPassword(tab, "Operator-Password-1"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("create-pool"))); err != nil {
		t.Fatalf("the console after sign-in: %v\n%s", err, pageText(tab))
	}
	return c, tab
}

// markupOnPage counts what markup in user-controlled values made of the
// page at path: a changed title, script elements, images in main.
func markupOnPage(t *testing.T, tab context.Context, url string) bool {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(tab, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('script').length + document.querySelectorAll('main img').length`))
	if err != nil {
		t.Fatal(err)
	}
	return title == "pwned" || n != 0
}

// TestConsoleAppClients creates an app client with a secret in the
// console, which shows the secret once; edits its settings (a refused
// callback URL first, its message next to the field); rotates the secret;
// deletes the client after its name is typed; and reads each result back
// through the AWS SDK.
func TestConsoleAppClients(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("clients-made")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)

	// Create, with a secret.
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID), nextPage("#create-client", chromedp.Click(chromedp.ID("clients-link"))),
		setValue("client_name", "server"), chromedp.Click(chromedp.ID("generate_secret")), chromedp.Click(chromedp.ID("auth_flow_ALLOW_USER_PASSWORD_AUTH")),
		nextPage("#new-secret", chromedp.Click(chromedp.ID("create-client-submit")))); err != nil {
		t.Fatalf("create an app client: %v\n%s", err, pageText(tab))
	}
	shown, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("new-secret")))
	if err != nil {
		t.Fatal(err)
	}
	clientID := text(t, tab, "client-id")
	desc, err := c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	if secret := aws.ToString(desc.UserPoolClient.ClientSecret); secret == "" || secret != shown {
		t.Errorf("the console showed the secret %q, DescribeUserPoolClient answers %q", shown, secret)
	}
	if diff := cmp.Diff([]types.ExplicitAuthFlowsType{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}, desc.UserPoolClient.ExplicitAuthFlows,
		cmpopts.SortSlices(func(a, b types.ExplicitAuthFlowsType) bool { return a < b })); diff != "" {
		t.Errorf("ExplicitAuthFlows (-entered +got):\n%s", diff)
	}
	clientPage := c.URL + "/console/pools/" + poolID + "/clients/" + clientID
	if err := chromedp.Do(tab, chromedp.Navigate(clientPage), chromedp.WaitVisible(chromedp.ID("secret-masked"))); err != nil {
		t.Fatalf("the client's page: %v\n%s", err, pageText(tab))
	}
	source, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(source, shown) {
		t.Error("the client's page shows the secret again")
	}

	// Edit: a refused callback URL, then every setting.
	if err := chromedp.Do(tab, setValue("callback_urls", "http://example.com/cb"), chromedp.Click(chromedp.ID("oauth_flow_code")),
		setValue("scopes", "openid email"), chromedp.Click(chromedp.ID("provider_COGNITO")),
		nextPage("#error-CallbackURLs", chromedp.Click(chromedp.ID("save-client")))); err != nil {
		t.Fatalf("a plain-HTTP callback URL: %v\n%s", err, pageText(tab))
	}
	if err := chromedp.Do(tab, setValue("client_name", "server-2"), setValue("callback_urls", "https://app.example.com/cb"),
		setValue("logout_urls", "https://app.example.com/bye"), setValue("read_attrs", "email, name"), setValue("write_attrs", "name"),
		setValue("access_validity", "2"), chromedp.SetValue(chromedp.ID("access_unit"), "hours"), setValue("refresh_validity", "7"),
		chromedp.Click(chromedp.ID("prevent_legacy")),
		nextPage("#notice", chromedp.Click(chromedp.ID("save-client")))); err != nil {
		t.Fatalf("save the app client: %v\n%s", err, pageText(tab))
	}
	if desc, err = c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil {
		t.Fatal(err)
	}
	cl := desc.UserPoolClient
	got := map[string]any{"name": aws.ToString(cl.ClientName), "callbacks": cl.CallbackURLs, "logouts": cl.LogoutURLs,
		"read": cl.ReadAttributes, "write": cl.WriteAttributes, "access": aws.ToInt32(cl.AccessTokenValidity), "accessUnit": cl.TokenValidityUnits.AccessToken,
		"refresh": cl.RefreshTokenValidity, "prevent": cl.PreventUserExistenceErrors, "oauth": cl.AllowedOAuthFlows,
		"scopes": cl.AllowedOAuthScopes, "providers": cl.SupportedIdentityProviders, "oauthOn": aws.ToBool(cl.AllowedOAuthFlowsUserPoolClient),
		"secret": aws.ToString(cl.ClientSecret)}
	want := map[string]any{"name": "server-2", "callbacks": []string{"https://app.example.com/cb"}, "logouts": []string{"https://app.example.com/bye"},
		"read": []string{"email", "name"}, "write": []string{"name"}, "access": int32(2), "accessUnit": types.TimeUnitsTypeHours,
		"refresh": int32(7), "prevent": types.PreventUserExistenceErrorTypesLegacy, "oauth": []types.OAuthFlowType{"code"},
		"scopes": []string{"email", "openid"}, "providers": []string{"COGNITO"}, "oauthOn": true, "secret": shown}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("DescribeUserPoolClient after the edit (-entered +got):\n%s", diff)
	}

	// Rotate the secret: add one (shown once), delete the first.
	if err := chromedp.Do(tab, nextPage("#new-secret", chromedp.Click(chromedp.ID("add-secret-submit")))); err != nil {
		t.Fatalf("add a secret: %v\n%s", err, pageText(tab))
	}
	added, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("new-secret")))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := c.admin.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil || len(secrets.ClientSecrets) != 2 || added == shown {
		t.Fatalf("after adding a secret: %v, %d secrets, added %q (first %q)", err, len(secrets.ClientSecrets), added, shown)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#secrets .confirm-delete-secret`)),
		nextPageReady("body", chromedp.Click(chromedp.CSS(`#secrets .delete-secret`))), chromedp.WaitNotPresent(chromedp.CSS(`#secrets .delete-secret`))); err != nil {
		t.Fatalf("delete the first secret: %v\n%s", err, pageText(tab))
	}
	if secrets, err = c.admin.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil || len(secrets.ClientSecrets) != 1 {
		t.Fatalf("after deleting a secret: %v %+v", err, secrets)
	}
	if desc, err = c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil || aws.ToString(desc.UserPoolClient.ClientSecret) != added {
		t.Errorf("after rotation the client's secret is not the added one (%v)", err)
	}

	// Markup in a callback URL is shown escaped on the client's pages.
	markup := `https://app.example.com/cb?x=<script>document.title='pwned'</script><img/src=x/onerror=document.title='pwned'>`
	odd, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("odd"),
		CallbackURLs: []string{markup}, AllowedOAuthFlows: []types.OAuthFlowType{"code"}, AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes: []string{"openid"}, SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	escaped := 0
	for _, path := range []string{"/console/pools/" + poolID + "/clients/" + aws.ToString(odd.UserPoolClient.ClientId),
		"/console/pools/" + poolID + "/clients/" + aws.ToString(odd.UserPoolClient.ClientId) + "/hosted-ui", "/console/pools/" + poolID + "/clients"} {
		if markupOnPage(t, tab, c.URL+path) {
			t.Errorf("%s: markup ran or was rendered", path)
		} else {
			escaped++
		}
	}
	t.Logf("app client pages with markup in user-controlled fields shown escaped: %d", escaped)

	// Delete, after the name is typed.
	if err := chromedp.Do(tab, chromedp.Navigate(clientPage), chromedp.WaitVisible(chromedp.ID("delete-client")),
		setValue("confirm-delete", "server"), nextPage("#error-confirm", chromedp.Click(chromedp.ID("delete-client-submit"))),
		setValue("confirm-delete", "server-2"), nextPage("#notice", chromedp.Click(chromedp.ID("delete-client-submit")))); err != nil {
		t.Fatalf("delete the app client: %v\n%s", err, pageText(tab))
	}
	_, err = c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeUserPoolClient after the deletion: %v", err)
	}
}

// TestConsolePoolEdit edits a pool's settings in the console, a refused
// minimum length first (its message next to the field), and reads them
// back through the AWS SDK.
func TestConsolePoolEdit(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("to-edit")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID), nextPage("#edit-pool", chromedp.Click(chromedp.ID("edit-pool-link"))),
		setValue("min_length", "3"), nextPage("#error-MinimumLength", chromedp.Click(chromedp.ID("save-pool")))); err != nil {
		t.Fatalf("a minimum length of 3: %v\n%s", err, pageText(tab))
	}
	if err := chromedp.Do(tab, setValue("pool_name", "edited"), setValue("min_length", "14"), chromedp.Click(chromedp.ID("symbols")),
		setValue("temp_days", "2"), chromedp.Click(chromedp.ID("admin_only")), chromedp.Click(chromedp.ID("mfa_off")),
		setValue("email_subject", "Your code"), setValue("email_message", "The code is {####}"),
		setValue("email_from", "Team <no-reply@example.com>"), setValue("reply_to", "help@example.com"),
		chromedp.Click(chromedp.ID("devices_always")), chromedp.Click(chromedp.ID("deletion_protection")),
		setValue("tags", "team=identity"), setValue("trigger_PostConfirmation", "arn:aws:lambda:us-east-1:123456789012:function:post"),
		nextPage("#notice", chromedp.Click(chromedp.ID("save-pool")))); err != nil {
		t.Fatalf("save the pool: %v\n%s", err, pageText(tab))
	}
	d, err := c.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil {
		t.Fatal(err)
	}
	p := d.UserPool
	got := map[string]any{"name": aws.ToString(p.Name), "min": aws.ToInt32(p.Policies.PasswordPolicy.MinimumLength),
		"symbols": p.Policies.PasswordPolicy.RequireSymbols, "temp": p.Policies.PasswordPolicy.TemporaryPasswordValidityDays,
		"adminOnly": p.AdminCreateUserConfig.AllowAdminCreateUserOnly, "mfa": p.MfaConfiguration,
		"subject": aws.ToString(p.VerificationMessageTemplate.EmailSubject), "message": aws.ToString(p.VerificationMessageTemplate.EmailMessage),
		"from": aws.ToString(p.EmailConfiguration.From), "replyTo": aws.ToString(p.EmailConfiguration.ReplyToEmailAddress),
		"devices":    p.DeviceConfiguration != nil && !p.DeviceConfiguration.DeviceOnlyRememberedOnUserPrompt,
		"protection": p.DeletionProtection, "tags": p.UserPoolTags, "post": aws.ToString(p.LambdaConfig.PostConfirmation)}
	want := map[string]any{"name": "edited", "min": int32(14), "symbols": !aws.ToBool(&pool.UserPool.Policies.PasswordPolicy.RequireSymbols),
		"temp": int32(2), "adminOnly": !pool.UserPool.AdminCreateUserConfig.AllowAdminCreateUserOnly, "mfa": types.UserPoolMfaTypeOff,
		"subject": "Your code", "message": "The code is {####}", "from": "Team <no-reply@example.com>", "replyTo": "help@example.com",
		"devices": true, "protection": types.DeletionProtectionTypeActive, "tags": map[string]string{"team": "identity"},
		"post": "arn:aws:lambda:us-east-1:123456789012:function:post"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeUserPool after the edit (-entered +got):\n%s", diff)
	}
}

// TestConsoleResourceServers creates a resource server with two scopes in
// the console, gives one of its scopes to an app client there, edits and
// deletes it, reading each result back through the AWS SDK; markup in an
// identifier, a scope's name and its description is shown escaped.
func TestConsoleResourceServers(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("apis")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	id := "https://api.example.com"
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID), nextPage("#create-resource-server", chromedp.Click(chromedp.ID("resource-servers-link"))),
		setValue("rs_identifier", id), setValue("rs_name", "Orders API"), setValue("rs_scopes", "orders.read Read orders\norders.write Write orders"),
		nextPage("#notice", chromedp.Click(chromedp.ID("create-resource-server-submit")))); err != nil {
		t.Fatalf("create a resource server: %v\n%s", err, pageText(tab))
	}
	rs, err := c.admin.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: &id})
	if err != nil {
		t.Fatal(err)
	}
	want := []types.ResourceServerScopeType{{ScopeName: aws.String("orders.read"), ScopeDescription: aws.String("Read orders")},
		{ScopeName: aws.String("orders.write"), ScopeDescription: aws.String("Write orders")}}
	if diff := cmp.Diff(want, rs.ResourceServer.Scopes, cmpopts.IgnoreUnexported(types.ResourceServerScopeType{})); diff != "" || aws.ToString(rs.ResourceServer.Name) != "Orders API" {
		t.Errorf("DescribeResourceServer: name %q, scopes (-entered +got):\n%s", aws.ToString(rs.ResourceServer.Name), diff)
	}

	// An app client given one of its scopes in the console.
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("machine"), GenerateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID+"/clients/"+clientID), chromedp.WaitVisible(chromedp.ID("edit-client")),
		chromedp.Click(chromedp.ID("oauth_flow_client_credentials")), setValue("scopes", id+"/orders.nope"),
		nextPage("#error-AllowedOAuthScopes", chromedp.Click(chromedp.ID("save-client"))),
		setValue("scopes", id+"/orders.read"), nextPage("#notice", chromedp.Click(chromedp.ID("save-client")))); err != nil {
		t.Fatalf("give the client a scope: %v\n%s", err, pageText(tab))
	}
	desc, err := c.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{id + "/orders.read"}, desc.UserPoolClient.AllowedOAuthScopes); diff != "" {
		t.Errorf("the client's scopes (-entered +got):\n%s", diff)
	}

	// Edit, then delete after the identifier is typed.
	serverPage := c.URL + "/console/pools/" + poolID + "/resource-servers/" + url.PathEscape(id)
	if err := chromedp.Do(tab, chromedp.Navigate(serverPage), chromedp.WaitVisible(chromedp.ID("edit-resource-server")),
		setValue("rs_name", "Orders"), setValue("rs_scopes", "orders.read Read all orders"),
		nextPage("#notice", chromedp.Click(chromedp.ID("save-resource-server")))); err != nil {
		t.Fatalf("edit the resource server: %v\n%s", err, pageText(tab))
	}
	if rs, err = c.admin.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: &id}); err != nil {
		t.Fatal(err)
	}
	if len(rs.ResourceServer.Scopes) != 1 || aws.ToString(rs.ResourceServer.Scopes[0].ScopeDescription) != "Read all orders" || aws.ToString(rs.ResourceServer.Name) != "Orders" {
		t.Errorf("after the edit: %q %+v", aws.ToString(rs.ResourceServer.Name), rs.ResourceServer.Scopes)
	}

	// Markup in the identifier, a scope's name and its description.
	markupID := `<img/src=x/onerror=document.title='pwned'>`
	if _, err := c.admin.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String(markupID), Name: aws.String("markup"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String(`<script>x`), ScopeDescription: aws.String(`<script>document.title='pwned'</script>`)}}}); err != nil {
		t.Fatal(err)
	}
	escaped := 0
	for _, path := range []string{"/console/pools/" + poolID + "/resource-servers", "/console/pools/" + poolID + "/resource-servers/" + url.PathEscape(markupID)} {
		if markupOnPage(t, tab, c.URL+path) {
			t.Errorf("%s: markup ran or was rendered", path)
		} else {
			escaped++
		}
	}
	t.Logf("resource server pages with markup in identifiers and scopes shown escaped: %d", escaped)

	if err := chromedp.Do(tab, chromedp.Navigate(serverPage), chromedp.WaitVisible(chromedp.ID("delete-resource-server")),
		setValue("confirm-delete", "Orders"), nextPage("#error-confirm", chromedp.Click(chromedp.ID("delete-resource-server-submit"))),
		setValue("confirm-delete", id), nextPage("#notice", chromedp.Click(chromedp.ID("delete-resource-server-submit")))); err != nil {
		t.Fatalf("delete the resource server: %v\n%s", err, pageText(tab))
	}
	_, err = c.admin.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: &id})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeResourceServer after the deletion: %v", err)
	}
}

// TestConsoleDomains adds a prefix and a custom domain to a pool on the
// console's domains page, changes a managed login version and deletes the
// custom domain after it is typed, reading each result back through the
// AWS SDK.
func TestConsoleDomains(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("with-domains")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	cert := "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID), nextPage("#create-domain", chromedp.Click(chromedp.ID("domains-link"))),
		setValue("new-domain", "cognate-console-us-east-1"), nextPage("#error-Domain", chromedp.Click(chromedp.ID("create-domain-submit"))),
		setValue("new-domain", "browser-domains"), nextPage("#domain-prefix", chromedp.Click(chromedp.ID("create-domain-submit"))),
		setValue("new-domain", "auth.example.com"), setValue("new-certificate", cert), chromedp.SetValue(chromedp.ID("new-version"), "1"),
		nextPage("#domain-custom", chromedp.Click(chromedp.ID("create-domain-submit"))),
		chromedp.SetValue(chromedp.ID("version-prefix"), "1"), nextPageReady(`#version-prefix option[value="1"][selected]`, chromedp.Click(chromedp.ID("save-version-prefix")))); err != nil {
		t.Fatalf("add domains: %v\n%s", err, pageText(tab))
	}
	prefix, err := c.admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("browser-domains")})
	if err != nil || aws.ToString(prefix.DomainDescription.UserPoolId) != poolID || aws.ToInt32(prefix.DomainDescription.ManagedLoginVersion) != 1 {
		t.Errorf("the prefix domain: %v %+v", err, prefix)
	}
	custom, err := c.admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("auth.example.com")})
	if err != nil || aws.ToString(custom.DomainDescription.UserPoolId) != poolID || aws.ToString(custom.DomainDescription.CustomDomainConfig.CertificateArn) != cert {
		t.Errorf("the custom domain: %v %+v", err, custom)
	}
	if err := chromedp.Do(tab, setValue("confirm-custom", "auth.example"), nextPage("#error-confirm", chromedp.Click(chromedp.ID("delete-custom"))),
		setValue("confirm-custom", "auth.example.com"), nextPage("#create-domain", chromedp.Click(chromedp.ID("delete-custom")))); err != nil {
		t.Fatalf("delete the custom domain: %v\n%s", err, pageText(tab))
	}
	custom, err = c.admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String("auth.example.com")})
	if err != nil || (custom.DomainDescription != nil && aws.ToString(custom.DomainDescription.UserPoolId) != "") {
		t.Errorf("the custom domain after the deletion: %v %+v", err, custom.DomainDescription)
	}
	d, err := c.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil || aws.ToString(d.UserPool.Domain) != "browser-domains" || aws.ToString(d.UserPool.CustomDomain) != "" {
		t.Errorf("DescribeUserPool's domains: %v", err)
	}
}

// TestConsoleBranding previews an app client's managed login colours in
// the console (the preview wears them, nothing is saved), saves them and
// reads the style back through the AWS SDK.
func TestConsoleBranding(t *testing.T) {
	c, tab := consoleOperator(t)
	ctx := context.Background()
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("branded")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	if err := chromedp.Do(tab, chromedp.Navigate(c.URL+"/console/pools/"+poolID+"/clients/"+clientID), nextPage("#branding", chromedp.Click(chromedp.ID("branding-link"))),
		setValue("button_background", "aa0000ff"), nextPageReady(`#button_background[value="aa0000ff"]`, chromedp.Click(chromedp.ID("preview-branding"))), chromedp.WaitVisible(chromedp.ID("branding-frame-light"))); err != nil {
		t.Fatalf("preview: %v\n%s", err, pageText(tab))
	}
	if n := framePixels(t, tab, "branding-frame-light", 2000, color.RGBA{0xaa, 0, 0, 255}); n[0] < 2000 {
		t.Errorf("the preview shows %d pixels of the typed button colour rgb(170, 0, 0)", n[0])
	}
	if _, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID}); err == nil {
		t.Error("a preview saved a style")
	}
	if err := chromedp.Do(tab, nextPage("#style-id", chromedp.Click(chromedp.ID("save-branding")))); err != nil {
		t.Fatalf("save: %v\n%s", err, pageText(tab))
	}
	out, err := c.admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: &poolID, ClientId: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := out.ManagedLoginBranding.Settings.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"aa0000ff"`) {
		t.Errorf("the saved style's settings lack the button colour: %s", raw)
	}
}
