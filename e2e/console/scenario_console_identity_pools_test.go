package console

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// identityClient is an AWS SDK cognito-identity client for c.
func identityClient(c *cognate) *ci.Client {
	return ci.New(ci.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.URL),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
}

// TestConsoleIdentityPools creates an identity pool in the console with a
// user pool and app client as its authentication provider, guest access,
// a public provider, tags, roles and a rules role mapping (a name the API
// refuses first, its message next to the field); pages through its
// identities; edits its settings and roles; and deletes it after its name
// is typed. Each result is read back through the AWS SDK
// (DescribeIdentityPool, GetIdentityPoolRoles). Markup in a role
// mapping's claim value is shown escaped, and the section's forms refuse
// requests without a session, with another operator's CSRF token and
// cross-site.
func TestConsoleIdentityPools(t *testing.T) {
	// Parallel with the console's other slow sections: the package's
	// tests share one time budget.
	t.Parallel()
	c, tab := consoleOperator(t)
	ctx := context.Background()
	ids := identityClient(c)
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("signed-in")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	provider := "cognito-idp.us-east-1.amazonaws.com/" + poolID
	authRole, guestRole, adminRole := "arn:aws:iam::123456789012:role/signed-in", "arn:aws:iam::123456789012:role/guest", "arn:aws:iam::123456789012:role/admins"

	browse(t, tab, c, "/console/", "nav-identity-pools")
	if err := chromedp.Do(tab, nextPage("#create-identity-pool", chromedp.Click(chromedp.ID("nav-identity-pools"))),
		setValue("ip_name", "bad/name"), chromedp.Click(chromedp.ID("ip_unauthenticated")),
		chromedp.SetValue(chromedp.ID("up_pool_0"), poolID), setValue("up_client_0", clientID), chromedp.Click(chromedp.ID("up_check_0")),
		setValue("ip_logins", "accounts.google.com=123.apps.googleusercontent.com"), setValue("ip_tags", "team=identity"),
		setValue("auth_role", authRole), setValue("unauth_role", guestRole),
		setValue("rm_provider_0", provider+":"+clientID), chromedp.SetValue(chromedp.ID("rm_type_0"), "Rules"),
		chromedp.SetValue(chromedp.ID("rm_ambiguous_0"), "Deny"), setValue("rm_rules_0", "cognito:groups Contains admins "+adminRole),
		nextPage("#error-IdentityPoolName", chromedp.Click(chromedp.ID("create-identity-pool-submit")))); err != nil {
		t.Fatalf("an identity pool name with a slash: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "create the identity pool", setValue("ip_name", "console ids"), chromedp.Click(chromedp.ID("create-identity-pool-submit")))
	id := text(t, tab, "identity-pool-id")
	desc, err := ids.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{"name": aws.ToString(desc.IdentityPoolName), "guest": desc.AllowUnauthenticatedIdentities, "basic": aws.ToBool(desc.AllowClassicFlow),
		"providers": desc.CognitoIdentityProviders, "logins": desc.SupportedLoginProviders, "tags": desc.IdentityPoolTags}
	want := map[string]any{"name": "console ids", "guest": true, "basic": false,
		"providers": []citypes.CognitoIdentityProvider{{ProviderName: &provider, ClientId: &clientID, ServerSideTokenCheck: aws.Bool(true)}},
		"logins":    map[string]string{"accounts.google.com": "123.apps.googleusercontent.com"}, "tags": map[string]string{"team": "identity"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(citypes.CognitoIdentityProvider{})); diff != "" {
		t.Errorf("DescribeIdentityPool (-entered +got):\n%s", diff)
	}
	roles, err := ids.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &id})
	if err != nil {
		t.Fatal(err)
	}
	wantMappings := map[string]citypes.RoleMapping{provider + ":" + clientID: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
		RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{{Claim: aws.String("cognito:groups"), MatchType: citypes.MappingRuleMatchTypeContains,
			Value: aws.String("admins"), RoleARN: aws.String(adminRole)}}}}}
	if diff := cmp.Diff(map[string]string{"authenticated": authRole, "unauthenticated": guestRole}, roles.Roles); diff != "" {
		t.Errorf("roles (-entered +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMappings, roles.RoleMappings, cmpopts.IgnoreUnexported(citypes.RoleMapping{}, citypes.RulesConfigurationType{}, citypes.MappingRule{})); diff != "" {
		t.Errorf("role mappings (-entered +got):\n%s", diff)
	}
	consoleScreenshot(t, tab, "console-identity-pool", false)

	// Guests make 65 identities: the identities page shows 60, then 5.
	for range 65 {
		if _, err := ids.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &id}); err != nil {
			t.Fatal(err)
		}
	}
	browse(t, tab, c, "/console/identity-pools/"+url.PathEscape(id), "identities-link")
	if err := chromedp.Do(tab, nextPage("#next-page", chromedp.Click(chromedp.ID("identities-link")))); err != nil {
		t.Fatalf("the identities: %v\n%s", err, pageText(tab))
	}
	count := func() int {
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('#identities .identity-id').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := count()
	consoleScreenshot(t, tab, "console-identities", false)
	if err := chromedp.Do(tab, nextPage("#identities", chromedp.Click(chromedp.ID("next-page"))), chromedp.WaitNotPresent(chromedp.ID("next-page"))); err != nil {
		t.Fatalf("the identities' next page: %v\n%s", err, pageText(tab))
	}
	if second := count(); first != 60 || second != 5 {
		t.Errorf("identities pages of %d and %d, want 60 and 5", first, second)
	}

	// Edit the settings: no guests, the basic flow, no tags.
	browse(t, tab, c, "/console/identity-pools/"+url.PathEscape(id), "edit-identity-pool")
	submit(t, tab, "save the settings", chromedp.Click(chromedp.ID("ip_unauthenticated")), chromedp.Click(chromedp.ID("ip_basic")),
		chromedp.Clear(chromedp.ID("ip_tags")), chromedp.Clear(chromedp.ID("ip_logins")), chromedp.Click(chromedp.ID("save-identity-pool")))
	if desc, err = ids.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id}); err != nil {
		t.Fatal(err)
	}
	if desc.AllowUnauthenticatedIdentities || !aws.ToBool(desc.AllowClassicFlow) || len(desc.IdentityPoolTags) != 0 || len(desc.SupportedLoginProviders) != 0 || len(desc.CognitoIdentityProviders) != 1 {
		t.Errorf("after the edit: %+v", desc)
	}
	// Edit the roles: a rule of three words is refused next to the
	// mappings, then the token decides.
	if err := chromedp.Do(tab, setValue("rm_rules_0", "cognito:groups Contains "+adminRole), nextPage("#error-RoleMappings", chromedp.Click(chromedp.ID("save-roles")))); err != nil {
		t.Fatalf("a rule of three words: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "save the roles", chromedp.SetValue(chromedp.ID("rm_type_0"), "Token"), chromedp.Clear(chromedp.ID("rm_rules_0")),
		chromedp.SetValue(chromedp.ID("rm_ambiguous_0"), "AuthenticatedRole"), chromedp.Clear(chromedp.ID("unauth_role")), chromedp.Click(chromedp.ID("save-roles")))
	if roles, err = ids.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &id}); err != nil {
		t.Fatal(err)
	}
	if m := roles.RoleMappings[provider+":"+clientID]; m.Type != citypes.RoleMappingTypeToken || m.AmbiguousRoleResolution != citypes.AmbiguousRoleResolutionTypeAuthenticatedRole ||
		len(roles.Roles) != 1 || roles.Roles["authenticated"] != authRole {
		t.Errorf("roles after the edit: %+v %+v", roles.Roles, roles.RoleMappings)
	}

	// Markup in what the console shows back: a rule's claim value, a
	// user pool's name; identity pool names with markup are refused.
	payload := `<script>document.title='pwned'</script>`
	if _, err := ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &id, Roles: map[string]string{"authenticated": authRole},
		RoleMappings: map[string]citypes.RoleMapping{provider + ":" + clientID: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
			RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{{Claim: aws.String("custom:team"), MatchType: citypes.MappingRuleMatchTypeEquals,
				Value: aws.String(payload), RoleARN: aws.String(adminRole)}}}}}}); err != nil {
		t.Fatal(err)
	}
	escaped := 0
	for _, path := range []string{"/console/identity-pools/" + url.PathEscape(id), "/console/identity-pools", "/console/identity-pools/" + url.PathEscape(id) + "/identities"} {
		if markupOnPage(t, tab, c.URL+path) {
			t.Errorf("%s: markup ran or was rendered", path)
		} else {
			escaped++
		}
	}
	refusedNames := 0
	if _, err := ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String(payload)}); err == nil {
		t.Error("an identity pool name with markup was accepted")
	} else {
		refusedNames++
	}

	browse(t, tab, c, "/console/identity-pools/"+url.PathEscape(id), "delete-identity-pool")
	refused := refusedForms(t, c, tab, otherOperatorCSRF(t, c), map[string]url.Values{
		"/console/identity-pools":                       {"name": {"forged"}, "up_pool_0": {""}},
		"/console/identity-pools/" + url.PathEscape(id): {"action": {"delete"}, "confirm": {"console ids"}},
	})
	list, err := ids.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil || len(list.IdentityPools) != 1 {
		t.Errorf("after the refused forms: %v %+v", err, list)
	}
	t.Logf("identity pools: refused %v, %d names with markup; %d pages with markup in user-controlled fields shown escaped", refused, refusedNames, escaped)

	browse(t, tab, c, "/console/identity-pools", "identity-pools")
	consoleScreenshot(t, tab, "console-identity-pools", false)
	browse(t, tab, c, "/console/identity-pools/"+url.PathEscape(id), "delete-identity-pool")
	if err := chromedp.Do(tab, setValue("confirm-delete", "console"), nextPage("#error-confirm", chromedp.Click(chromedp.ID("delete-identity-pool-submit")))); err != nil {
		t.Fatalf("delete with the wrong name: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "delete the identity pool", setValue("confirm-delete", "console ids"), chromedp.Click(chromedp.ID("delete-identity-pool-submit")))
	_, err = ids.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
	var notFound *citypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeIdentityPool after the deletion: %v", err)
	}
}
