package regions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/cognate-dev/cognate/e2e/proc"
	"github.com/cognate-dev/cognate/internal/replication"
)

// replicas returns the pool's replicas as "region ROLE STATUS" lines, as
// r lists them.
func replicas(ctx context.Context, r *region, poolID string) (map[string]string, error) {
	out, err := r.c.ListUserPoolReplicas(ctx, &cip.ListUserPoolReplicasInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for _, rep := range out.UserPoolReplicas {
		got[aws.ToString(rep.RegionName)] = string(rep.Role) + " " + string(rep.Status)
	}
	return got, nil
}

// notHeld checks that r answers ResourceNotFoundException for the pool.
func notHeld(ctx context.Context, r *region, poolID string) error {
	_, err := r.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return fmt.Errorf("DescribeUserPool in %s: %v, want ResourceNotFoundException", r.name, err)
	}
	return nil
}

// passedBy waits until every entry A wrote is published and r has read
// them all from A's stream.
func passedBy(t *testing.T, a, r *region) {
	t.Helper()
	eventually(t, r.name+" read every entry of "+a.name, func() error {
		_, ab, err := ready(a)
		if err != nil {
			return err
		}
		_, rb, err := ready(r)
		if err != nil {
			return err
		}
		if ab.Replication.Unpublished != 0 || rb.Replication.Peers[a.name].Pending != 0 {
			return fmt.Errorf("%d unpublished in %s, %d pending in %s", ab.Replication.Unpublished, a.name, rb.Replication.Peers[a.name].Pending, r.name)
		}
		return nil
	})
}

// TestReplicaAPI runs three regions whose pools stay in their own region
// until a replica is created (replication.default_pool_regions: own), and
// drives Cognito's replica API through the AWS SDK: users made in one
// region only are copied to a second with CreateUserPoolReplica (and sign
// in there with SRP: their verifiers came along), writes in either region
// reach the other, ListUserPoolReplicas lists both, the third region never
// holds the pool, and DeleteUserPoolReplica removes it from the second
// region only.
func TestReplicaAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three cognate processes; skipped under -short")
	}
	ctx := context.Background()
	nats, err := replication.StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Close()
	bin, err := proc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var rs []*region
	for _, name := range regions {
		r := startRegionWith(t, bin, nats.URL(), name, t.TempDir(), "sqlite", "COGNATE_REPLICATION_DEFAULT_POOL_REGIONS=own")
		defer r.stop(t)
		rs = append(rs, r)
	}
	a, b, c := rs[0], rs[1], rs[2]

	// A pool with users in A alone.
	const callback = "https://app.example.com/callback"
	pool, err := a.c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("primary-only")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := a.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, CallbackURLs: []string{callback}, SupportedIdentityProviders: []string{"COGNITO"},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	// The pool's domain, for its OAuth endpoints in each region.
	const prefix = "replica-api"
	if _, err := a.c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String(prefix)}); err != nil {
		t.Fatal(err)
	}
	// loginPage opens r's hosted sign-in page of the domain in Chromium.
	loginPage := func(r *region) string {
		q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {callback}, "scope": {"openid"}}
		return hostedPage(t, r.srv.URL+"/_domain/"+prefix+"/login?"+q.Encode())
	}
	// refresh redeems a refresh token at r's token endpoint of the domain.
	refresh := func(r *region, token string) (*oauth2.Token, error) {
		cfg := oauth2.Config{ClientID: clientID, Endpoint: oauth2.Endpoint{
			TokenURL: r.srv.URL + "/_domain/" + prefix + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: token}).Token()
	}
	const password = "Correct-Horse-1"
	for _, name := range []string{"alice", "bob"} {
		if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
			MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*region{b, c} {
		passedBy(t, a, r)
		if err := notHeld(ctx, r, poolID); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := replicas(ctx, a, poolID); err != nil || len(got) != 1 || got["us-east-1"] != "PRIMARY ACTIVE" {
		t.Fatalf("replicas before any was created: %v, %v", got, err)
	}

	// Refusals, as Cognito's exceptions.
	_, err = a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID), RegionName: aws.String("sa-east-1")})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("a replica outside the topology: %v, want InvalidParameterException", err)
	}
	_, err = a.c.DeleteUserPoolReplica(ctx, &cip.DeleteUserPoolReplicaInput{UserPoolId: aws.String(poolID), RegionName: aws.String("eu-west-1")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("deleting a replica that does not exist: %v, want ResourceNotFoundException", err)
	}

	// The replica in B: a copy of what A holds, then the stream.
	created, err := a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1"), UserPoolTags: map[string]string{"site": "dublin"}})
	if err != nil {
		t.Fatal(err)
	}
	rep := created.UserPoolReplica
	if aws.ToString(rep.RegionName) != "eu-west-1" || rep.Role != types.ReplicaRoleTypeSecondary || rep.Status != types.ReplicaStatusTypeCreating ||
		aws.ToString(rep.UserPoolArn) != "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/"+poolID {
		t.Errorf("CreateUserPoolReplica: %+v", rep)
	}
	if _, err := a.c.CreateUserPoolReplica(ctx, &cip.CreateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1")}); !errors.As(err, &invalid) {
		t.Errorf("a replica that exists: %v, want InvalidParameterException", err)
	}
	for _, r := range []*region{a, b} {
		eventually(t, "the replica active as "+r.name+" lists it", func() error {
			got, err := replicas(ctx, r, poolID)
			if err != nil {
				return err
			}
			if len(got) != 2 || got["us-east-1"] != "PRIMARY ACTIVE" || got["eu-west-1"] != "SECONDARY ACTIVE" {
				return fmt.Errorf("replicas %v", got)
			}
			return nil
		})
	}
	// The users were copied with their passwords: SRP in B.
	srpSignIn(t, ctx, b, poolID, clientID, "alice", password)
	if _, err := passwordSignIn(ctx, b, clientID, "bob", password); err != nil {
		t.Fatalf("bob in B: %v", err)
	}

	// A write in B reaches A, and one in A reaches B.
	if _, err := b.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Bob of Dublin")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both writes in both regions", func() error {
		la, err := listUsers(ctx, a, poolID)
		if err != nil {
			return err
		}
		lb, err := listUsers(ctx, b, poolID)
		if err != nil {
			return err
		}
		if la != lb {
			return fmt.Errorf("A lists %s\nB lists %s", la, lb)
		}
		u, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob")})
		if err != nil {
			return err
		}
		for _, at := range u.UserAttributes {
			if aws.ToString(at.Name) == "name" && aws.ToString(at.Value) == "Bob of Dublin" {
				_, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")})
				return err
			}
		}
		return errors.New("bob's new name is not in A yet")
	})

	// C holds none of it, and agrees on the replicas.
	passedBy(t, a, c)
	passedBy(t, b, c)
	if err := notHeld(ctx, c, poolID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}); !errors.As(err, &notFound) {
		t.Errorf("AdminGetUser in C: %v, want ResourceNotFoundException", err)
	}
	if n, err := metric(c, "cognate_replication_not_held_total"); err != nil || n == 0 {
		t.Errorf("C's entries of pools it does not hold: %v, %v", n, err)
	}

	// An INACTIVE replica refuses end users and serves administrators; the
	// primary goes on serving both.
	before, err := passwordSignIn(ctx, b, clientID, "alice", password)
	if err != nil {
		t.Fatalf("alice in B: %v", err)
	}
	// An identity pool that takes the pool's ID tokens, with an identity
	// of alice's.
	idp := newIdentityPool(t, ctx, a, b, poolID, clientID, aws.ToString(before.IdToken))
	if _, err := a.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1"), Status: types.UpdateReplicaStatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sign-in refused in B, its replica INACTIVE", func() error {
		_, err := passwordSignIn(ctx, b, clientID, "alice", password)
		if !errors.As(err, &notFound) {
			return fmt.Errorf("InitiateAuth in B: %v, want ResourceNotFoundException", err)
		}
		return nil
	})
	if !strings.Contains(notFound.ErrorMessage(), "INACTIVE") {
		t.Errorf("InitiateAuth in B: message %q does not say the replica is INACTIVE", notFound.ErrorMessage())
	}
	if _, err := b.c.GetUser(ctx, &cip.GetUserInput{AccessToken: before.AccessToken}); !errors.As(err, &notFound) {
		t.Errorf("GetUser in B, its replica INACTIVE: %v, want ResourceNotFoundException", err)
	}
	if _, err := b.c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("erin"),
		Password: aws.String(password)}); !errors.As(err, &notFound) {
		t.Errorf("SignUp in B, its replica INACTIVE: %v, want ResourceNotFoundException", err)
	}
	if _, err := b.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")}); err != nil {
		t.Errorf("AdminGetUser in B, its replica INACTIVE: %v", err)
	}
	// The pool's ID tokens are no login in B's identity pools either.
	if err := idp.refused(ctx, b); err != nil {
		t.Error(err)
	}
	if err := idp.credentials(ctx, a); err != nil {
		t.Errorf("GetCredentialsForIdentity in A, B's replica INACTIVE: %v", err)
	}
	var oauthErr *oauth2.RetrieveError
	if _, err := refresh(b, aws.ToString(before.RefreshToken)); !errors.As(err, &oauthErr) || oauthErr.ErrorCode != "invalid_request" ||
		!strings.Contains(oauthErr.ErrorDescription, "INACTIVE") {
		t.Errorf("the token endpoint in B, its replica INACTIVE: %v, want invalid_request saying INACTIVE", err)
	}
	if _, err := refresh(a, aws.ToString(before.RefreshToken)); err != nil {
		t.Errorf("the token endpoint in A, B's replica INACTIVE: %v", err)
	}
	if got := loginPage(b); got != "" && !strings.HasPrefix(got, "error: invalid_request") || !strings.Contains(got, "INACTIVE") {
		t.Errorf("the sign-in page in B, its replica INACTIVE: %q, want the error page saying INACTIVE", got)
	}
	if got := loginPage(a); got != "" && got != "sign-in form" {
		t.Errorf("the sign-in page in A, B's replica INACTIVE: %q, want the sign-in form", got)
	}
	if _, err := passwordSignIn(ctx, a, clientID, "alice", password); err != nil {
		t.Errorf("alice in A, B's replica INACTIVE: %v", err)
	}
	if got, err := replicas(ctx, b, poolID); err != nil || got["eu-west-1"] != "SECONDARY INACTIVE" {
		t.Errorf("B's replicas: %v, %v", got, err)
	}
	// ACTIVE again, through B itself: B serves its end users at once.
	if _, err := b.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1"), Status: types.UpdateReplicaStatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := passwordSignIn(ctx, b, clientID, "alice", password); err != nil {
		t.Fatalf("alice in B, its replica ACTIVE again: %v", err)
	}
	if _, err := b.c.GetUser(ctx, &cip.GetUserInput{AccessToken: before.AccessToken}); err != nil {
		t.Errorf("GetUser in B, its replica ACTIVE again: %v", err)
	}
	if _, err := refresh(b, aws.ToString(before.RefreshToken)); err != nil {
		t.Errorf("the token endpoint in B, its replica ACTIVE again: %v", err)
	}
	if err := idp.credentials(ctx, b); err != nil {
		t.Errorf("GetCredentialsForIdentity in B, its replica ACTIVE again: %v", err)
	}
	if got := loginPage(b); got != "" && got != "sign-in form" {
		t.Errorf("the sign-in page in B, its replica ACTIVE again: %q, want the sign-in form", got)
	}
	eventually(t, "A lists B's replica ACTIVE again", func() error {
		got, err := replicas(ctx, a, poolID)
		if err != nil {
			return err
		}
		if got["eu-west-1"] != "SECONDARY ACTIVE" {
			return fmt.Errorf("replicas %v", got)
		}
		return nil
	})

	// Sign-ins under way in B when its replica turns INACTIVE: the
	// operations their Session alone authorizes are refused too.
	inactiveRefusesSessions(t, ctx, a, b)

	// Deleting the replica (INACTIVE first, as on Cognito) removes the
	// pool from B only.
	if _, err := a.c.DeleteUserPoolReplica(ctx, &cip.DeleteUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1")}); !errors.As(err, &invalid) {
		t.Errorf("deleting an ACTIVE replica: %v, want InvalidParameterException", err)
	}
	if _, err := a.c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{UserPoolId: aws.String(poolID),
		RegionName: aws.String("eu-west-1"), Status: types.UpdateReplicaStatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	deleted, err := a.c.DeleteUserPoolReplica(ctx, &cip.DeleteUserPoolReplicaInput{UserPoolId: aws.String(poolID), RegionName: aws.String("eu-west-1")})
	if err != nil {
		t.Fatal(err)
	}
	if deleted.UserPoolReplica.Status != types.ReplicaStatusTypeDeleting {
		t.Errorf("DeleteUserPoolReplica: status %s, want DELETING", deleted.UserPoolReplica.Status)
	}
	eventually(t, "the pool gone from B", func() error { return notHeld(ctx, b, poolID) })
	eventually(t, "the replica gone from A's list", func() error {
		got, err := replicas(ctx, a, poolID)
		if err != nil {
			return err
		}
		if len(got) != 1 || got["us-east-1"] != "PRIMARY ACTIVE" {
			return fmt.Errorf("replicas %v", got)
		}
		return nil
	})
	if _, err := passwordSignIn(ctx, a, clientID, "alice", password); err != nil {
		t.Fatalf("alice in A after the replica went: %v", err)
	}
	if got, err := listUsers(ctx, a, poolID); err != nil {
		t.Fatal(err)
	} else if want := 3; countUsers(got) != want {
		t.Errorf("A lists %q, want %d users", got, want)
	}
	// A later write in A does not reach B.
	if _, err := a.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	passedBy(t, a, b)
	if err := notHeld(ctx, b, poolID); err != nil {
		t.Fatal(err)
	}
}

// hostedPage opens page in a headless Chromium and says what it shows:
// "sign-in form", or "error: " and the error page's code and description.
// Without Chromium it says "" after logging why (a failure under CI).
func hostedPage(t *testing.T, page string) string {
	t.Helper()
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is required for the hosted-UI checks (scripts/install-test-deps.sh installs it)")
		}
		t.Log("hosted-UI checks SKIPPED: chromium is not installed (scripts/install-test-deps.sh installs it)")
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("open %s in Chromium: %v", page, err)
	}
	shown, err := chromedp.Run(tab, chromedp.Evaluate[string](`(() => {
		if (document.getElementById("signin-form")) return "sign-in form";
		const e = document.getElementById("error");
		return e ? "error: " + e.textContent : document.body.innerText;
	})()`))
	if err != nil {
		t.Fatalf("read %s in Chromium: %v", page, err)
	}
	return shown
}

// countUsers counts the users of a listUsers line.
func countUsers(line string) int {
	n := 0
	for i := 0; i+2 < len(line); i++ {
		if line[i:i+3] == "]; " {
			n++
		}
	}
	return n
}
