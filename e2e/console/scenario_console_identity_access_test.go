package console

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// TestConsoleIdentityPoolAccess sets an identity pool's principal tag maps
// in the console (a custom map for its user pool, the defaults for its
// public provider, a line that is no tag=claim refused next to its
// provider), looks up its developer identities, unlinks a developer user
// identifier and merges two developer identities, after their boxes are
// ticked; each result is read back through the AWS SDK
// (GetPrincipalTagAttributeMap, LookupDeveloperIdentity). The forms are
// refused without a session, with another operator's CSRF token and from
// another site, counted.
func TestConsoleIdentityPoolAccess(t *testing.T) {
	t.Parallel()
	c, tab := consoleOperator(t)
	ctx := context.Background()
	ids := identityClient(c)
	pool, err := c.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	cl, err := c.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	provider := "cognito-idp.us-east-1.amazonaws.com/" + poolID
	dev := "login.example.app"
	created, err := ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("access"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: &provider, ClientId: cl.UserPoolClient.ClientId}},
		SupportedLoginProviders:  map[string]string{"accounts.google.com": "123.apps.googleusercontent.com"}, DeveloperProviderName: &dev})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.IdentityPoolId)
	developer := func(identityID, user string) string {
		t.Helper()
		out, err := ids.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &id, IdentityId: nonEmptyPtr(identityID),
			Logins: map[string]string{dev: user}})
		if err != nil {
			t.Fatalf("developer identity %s: %v", user, err)
		}
		return aws.ToString(out.IdentityId)
	}
	alice := developer("", "alice")
	developer(alice, "alice-2")
	bob := developer("", "bob")
	lookup := func(user string) (string, []string) {
		t.Helper()
		out, err := ids.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &id, DeveloperUserIdentifier: &user, MaxResults: aws.Int32(60)})
		if err != nil {
			t.Fatalf("look up %s: %v", user, err)
		}
		return aws.ToString(out.IdentityId), out.DeveloperUserIdentifierList
	}
	access := "/console/identity-pools/" + id + "/access"
	browse(t, tab, c, "/console/identity-pools/"+id, "access-link")
	clickTo(t, tab, "access-link", "principal-tags")

	// Principal tags: the user pool's own map, refused first.
	if got := text(t, tab, "tags-0"); got == "" {
		t.Fatal("no form for the user pool provider")
	}
	if err := chromedp.Do(tab, setValue("tags-0-map", "department=custom:dept\nnonsense"), nextPage("#error-tags-0", chromedp.Click(chromedp.ID("tags-0-save")))); err != nil {
		t.Fatalf("a line that is no tag=claim: %v\n%s", err, pageText(tab))
	}
	submit(t, tab, "the user pool's principal tags", setValue("tags-0-map", "department=custom:dept\nuser=sub"), chromedp.Click(chromedp.ID("tags-0-save")))
	m, err := ids.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: &provider})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"department": "custom:dept", "user": "sub"}, m.PrincipalTags); diff != "" || aws.ToBool(m.UseDefaults) {
		t.Errorf("GetPrincipalTagAttributeMap of the user pool (defaults %v; -entered +got):\n%s", aws.ToBool(m.UseDefaults), diff)
	}
	submit(t, tab, "the public provider's defaults", chromedp.Click(chromedp.ID("tags-1-defaults")), chromedp.Click(chromedp.ID("tags-1-save")))
	if m, err := ids.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: aws.String("accounts.google.com")}); err != nil || !aws.ToBool(m.UseDefaults) {
		t.Errorf("GetPrincipalTagAttributeMap of the public provider: %v %+v", err, m)
	}

	// Developer identities: look up, unlink (its box first), merge.
	lookUp := func(user string) {
		t.Helper()
		// The page may show an earlier look-up's answer: nextPage waits
		// for the new page's.
		if err := chromedp.Do(tab, setValue("lookup-user-identifier", user), nextPage("#found-identity", chromedp.Click(chromedp.ID("lookup-developer-submit")))); err != nil {
			t.Fatalf("look up %s: %v\n%s", user, err, pageText(tab))
		}
	}
	lookUp("alice")
	if got := text(t, tab, "found-identity"); got != alice {
		t.Errorf("the look-up found %s, want %s", got, alice)
	}
	var shown []string
	for i := range 2 {
		shown = append(shown, text(t, tab, "developer-identifier-"+string(rune('0'+i))))
	}
	slices.Sort(shown)
	if !slices.Equal(shown, []string{"alice", "alice-2"}) {
		t.Fatalf("the look-up lists %v, want alice and alice-2", shown)
	}
	unlinkIndex := slices.Index([]string{text(t, tab, "developer-identifier-0"), text(t, tab, "developer-identifier-1")}, "alice-2")
	row := string(rune('0' + unlinkIndex))
	if err := chromedp.Do(tab, nextPage("#error-confirm", chromedp.Click(chromedp.ID("unlink-submit-"+row)))); err != nil {
		t.Fatalf("unlink without its box: %v\n%s", err, pageText(tab))
	}
	if _, list := lookup("alice"); len(list) != 2 {
		t.Errorf("an unconfirmed unlink changed the identity: %v", list)
	}
	lookUp("alice")
	unlinkIndex = slices.Index([]string{text(t, tab, "developer-identifier-0"), text(t, tab, "developer-identifier-1")}, "alice-2")
	row = string(rune('0' + unlinkIndex))
	submit(t, tab, "unlink alice-2", chromedp.Click(chromedp.ID("unlink-confirm-"+row)), chromedp.Click(chromedp.ID("unlink-submit-"+row)))
	if got, list := lookup("alice"); got != alice || !slices.Equal(list, []string{"alice"}) {
		t.Errorf("after the unlink alice is %s with %v, want %s with alice only", got, list, alice)
	}
	if err := chromedp.Do(tab, setValue("merge-source", "bob"), setValue("merge-destination", "alice"), nextPage("#error-merge_confirm", chromedp.Click(chromedp.ID("merge-developer-submit")))); err != nil {
		t.Fatalf("merge without its box: %v\n%s", err, pageText(tab))
	}
	if got, _ := lookup("bob"); got != bob {
		t.Errorf("an unconfirmed merge moved bob to %s", got)
	}
	submit(t, tab, "merge bob into alice", setValue("merge-source", "bob"), setValue("merge-destination", "alice"), chromedp.Click(chromedp.ID("merge-confirm")),
		chromedp.Click(chromedp.ID("merge-developer-submit")))
	if got, _ := lookup("bob"); got != alice {
		t.Errorf("after the merge bob's identity is %s, want alice's %s", got, alice)
	}
	// A developer user identifier with markup is shown escaped.
	markup := `<img src=x onerror=alert(1)>`
	developer("", markup)
	lookUp(markup)
	html, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('developer-identifiers').innerHTML`))
	if err != nil || strings.Contains(html, "<img") || !strings.Contains(html, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the developer user identifier is not shown escaped (%v):\n%s", err, html)
	}
	lookUp("alice")
	consoleScreenshot(t, tab, "console-identity-pool-access", false)
	fitsPhone(t, tab, "the principal tags and developer identities page")

	// The forms, refused and counted; nothing changes.
	refused := refusedForms(t, c, tab, otherOperatorCSRF(t, c), map[string]url.Values{
		access + "?tags":   {"action": {"tags"}, "provider": {provider}, "tags": {"forged=sub"}},
		access + "?unlink": {"action": {"unlink"}, "identity_id": {alice}, "user_identifier": {"alice"}, "confirm": {"1"}},
		access + "?merge":  {"action": {"merge"}, "source": {"alice"}, "destination": {"bob"}, "confirm": {"1"}},
	})
	if m, err := ids.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: &provider}); err != nil || m.PrincipalTags["forged"] != "" {
		t.Errorf("a refused form changed the principal tags: %v %+v", err, m)
	}
	if got, list := lookup("alice"); got != alice || !slices.Contains(list, "alice") {
		t.Errorf("a refused form changed alice's identity: %s %v", got, list)
	}
	t.Logf("principal tag and developer identity forms refused: %v", refused)
}

// nonEmptyPtr is s as a pointer, nil when empty.
func nonEmptyPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
