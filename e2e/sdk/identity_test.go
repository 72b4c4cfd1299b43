package sdk

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/identitypool"
)

const (
	authRole     = "arn:aws:iam::123456789012:role/Cognito_Auth"
	unauthRole   = "arn:aws:iam::123456789012:role/Cognito_Unauth"
	adminRole    = "arn:aws:iam::123456789012:role/Admins"
	idReaderRole = "arn:aws:iam::123456789012:role/Readers"
)

// createIdentityPool creates an identity pool with the app's user pool as
// its provider and sets the default roles.
func createIdentityPool(t *testing.T, e *idEnv, in *ci.CreateIdentityPoolInput) string {
	t.Helper()
	ctx := context.Background()
	out, err := e.ids.CreateIdentityPool(ctx, in)
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
		IdentityPoolId: out.IdentityPoolId, Roles: map[string]string{"authenticated": authRole, "unauthenticated": unauthRole},
	}); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	return *out.IdentityPoolId
}

func poolFor(app userPoolApp, unauth bool) *ci.CreateIdentityPoolInput {
	return &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("app identities"), AllowUnauthenticatedIdentities: unauth,
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(app.Provider), ClientId: aws.String(app.ClientID)}},
	}
}

func TestIdentityPoolAdministration(t *testing.T) {
	identityBackends(t, idOptions{}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "admin")
		in := poolFor(app, false)
		in.DeveloperProviderName = aws.String("login.example.app")
		in.OpenIdConnectProviderARNs = []string{"arn:aws:iam::123456789012:oidc-provider/oidc.example.test"}
		in.SupportedLoginProviders = map[string]string{"accounts.google.com": "123.apps.googleusercontent.com"}
		in.IdentityPoolTags = map[string]string{"team": "a"}
		created, err := e.ids.CreateIdentityPool(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		id := *created.IdentityPoolId
		if identitypoolRegion(id) != "us-east-1" || len(id) != len("us-east-1:")+36 {
			t.Fatalf("identity pool ID %q, want us-east-1:<uuid>", id)
		}
		desc, err := e.ids.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if *desc.IdentityPoolName != "app identities" || *desc.DeveloperProviderName != "login.example.app" ||
			!cmp.Equal(desc.IdentityPoolTags, map[string]string{"team": "a"}) || len(desc.CognitoIdentityProviders) != 1 ||
			*desc.CognitoIdentityProviders[0].ClientId != app.ClientID || desc.AllowUnauthenticatedIdentities {
			t.Fatalf("DescribeIdentityPool = %+v", desc)
		}

		// UpdateIdentityPool replaces the configuration.
		up, err := e.ids.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{
			IdentityPoolId: &id, IdentityPoolName: aws.String("renamed"), AllowUnauthenticatedIdentities: true,
			AllowClassicFlow: aws.Bool(true), DeveloperProviderName: aws.String("login.example.app"),
			CognitoIdentityProviders: in.CognitoIdentityProviders,
		})
		if err != nil {
			t.Fatal(err)
		}
		if *up.IdentityPoolName != "renamed" || !up.AllowUnauthenticatedIdentities || !*up.AllowClassicFlow || len(up.OpenIdConnectProviderARNs) != 0 {
			t.Fatalf("UpdateIdentityPool = %+v", up)
		}
		_, err = e.ids.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{
			IdentityPoolId: &id, IdentityPoolName: aws.String("renamed"), DeveloperProviderName: aws.String("other.provider"),
		})
		wantAPIError(t, err, "InvalidParameterException", "Cannot modify the developer provider name once it is set.")

		// Tags.
		arn := "arn:aws:cognito-identity:us-east-1:" + accountID + ":identitypool/" + id
		if _, err := e.ids.TagResource(ctx, &ci.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"env": "test"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ids.UntagResource(ctx, &ci.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"team"}}); err != nil {
			t.Fatal(err)
		}
		tags, err := e.ids.ListTagsForResource(ctx, &ci.ListTagsForResourceInput{ResourceArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(tags.Tags, map[string]string{"env": "test"}) {
			t.Fatalf("tags = %v", tags.Tags)
		}

		// Roles and role mappings.
		mapping := map[string]citypes.RoleMapping{
			app.Provider + ":" + app.ClientID: {Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole},
		}
		if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
			IdentityPoolId: &id, Roles: map[string]string{"authenticated": authRole}, RoleMappings: mapping,
		}); err != nil {
			t.Fatal(err)
		}
		roles, err := e.ids.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(roles.Roles, map[string]string{"authenticated": authRole}) || roles.RoleMappings[app.Provider+":"+app.ClientID].Type != citypes.RoleMappingTypeToken {
			t.Fatalf("GetIdentityPoolRoles = %+v", roles)
		}
		_, err = e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &id, Roles: map[string]string{"authenticated": "arn:aws:s3:::some-bucket-name"}})
		wantAPIError(t, err, "InvalidParameterException", "Invalid role ARN: arn:aws:s3:::some-bucket-name")
		_, err = e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &id, Roles: map[string]string{}, RoleMappings: map[string]citypes.RoleMapping{
			app.Provider + ":" + app.ClientID: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny},
		}})
		wantAPIError(t, err, "InvalidParameterException", "")

		// Principal tag maps.
		set, err := e.ids.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{
			IdentityPoolId: &id, IdentityProviderName: aws.String(app.Provider), UseDefaults: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(set.PrincipalTags, map[string]string{"username": "sub", "client": "aud"}) {
			t.Fatalf("default principal tags = %v", set.PrincipalTags)
		}
		if _, err := e.ids.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{
			IdentityPoolId: &id, IdentityProviderName: aws.String(app.Provider), PrincipalTags: map[string]string{"dept": "custom:dept"},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := e.ids.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: aws.String(app.Provider)})
		if err != nil {
			t.Fatal(err)
		}
		if *got.UseDefaults || !cmp.Equal(got.PrincipalTags, map[string]string{"dept": "custom:dept"}) {
			t.Fatalf("GetPrincipalTagAttributeMap = %+v", got)
		}
		_, err = e.ids.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: aws.String("graph.facebook.com")})
		wantAPIError(t, err, "ResourceNotFoundException", "")

		// Listing, with pagination.
		second := createIdentityPool(t, e, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("second"), AllowUnauthenticatedIdentities: true})
		var listed []string
		var next *string
		for {
			page, err := e.ids.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(1), NextToken: next})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.IdentityPools {
				listed = append(listed, *p.IdentityPoolId)
			}
			if next = page.NextToken; next == nil {
				break
			}
		}
		want := []string{id, second}
		sort.Strings(want)
		if !cmp.Equal(listed, want) {
			t.Fatalf("ListIdentityPools = %v, want %v", listed, want)
		}
		_, err = e.ids.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(1), NextToken: aws.String("forged")})
		wantAPIError(t, err, "InvalidParameterException", "Invalid pagination token.")

		// Another region sees none of them.
		west := ci.New(ci.Options{BaseEndpoint: aws.String(e.URL), Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
		_, err = west.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &id})
		wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+id+"' not found.")

		// Deletion.
		if _, err := e.ids.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: &second}); err != nil {
			t.Fatal(err)
		}
		_, err = e.ids.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: &second})
		wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+second+"' not found.")

		// Bad configuration and a bad signature.
		_, err = e.ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad"),
			OpenIdConnectProviderARNs: []string{"arn:aws:iam::123456789012:role/not-a-provider"}})
		wantAPIError(t, err, "InvalidParameterException", "Invalid OpenIdConnectProviderARN: arn:aws:iam::123456789012:role/not-a-provider")
		_, err = e.ids.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad"),
			CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String("example.com/nopool"), ClientId: aws.String("abc")}}})
		wantAPIError(t, err, "InvalidParameterException", "Invalid CognitoIdentityProvider ProviderName: example.com/nopool")
		_, err = identityClient(e.URL, credentials.NewStaticCredentialsProvider(keyID, "wrong", "")).
			ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
		wantAPIError(t, err, "InvalidSignatureException", "")
		_, err = e.pub.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
		wantAPIError(t, err, "MissingAuthenticationTokenException", "")
	})
}

func identitypoolRegion(id string) string {
	for i := range len(id) {
		if id[i] == ':' {
			return id[:i]
		}
	}
	return ""
}

// TestIdentityEnhancedFlow is the second step of the basic architecture:
// a user signed in through a user pool trades the ID token for AWS
// credentials, under either Logins key clients use.
func TestIdentityEnhancedFlow(t *testing.T) {
	identityBackends(t, idOptions{}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "enhanced")
		sub := app.newUser(t, e, "alice")
		pool := createIdentityPool(t, e, poolFor(app, false))
		if _, err := e.ids.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{
			IdentityPoolId: &pool, IdentityProviderName: aws.String(app.Provider), UseDefaults: aws.Bool(true),
		}); err != nil {
			t.Fatal(err)
		}
		idToken := app.signIn(t, e, "alice")
		logins := map[string]string{app.Provider: idToken}

		got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		id := *got.IdentityId
		// The same user under cognate's own issuer name is the same identity.
		own := e.URL[len("http://"):] + "/" + app.PoolID
		again, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{own: idToken}})
		if err != nil {
			t.Fatal(err)
		}
		if *again.IdentityId != id {
			t.Fatalf("GetId under the issuer's name = %s, want %s", *again.IdentityId, id)
		}

		before := time.Now().Add(-time.Second)
		creds, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: &id, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		c := creds.Credentials
		if *creds.IdentityId != id || *c.AccessKeyId == "" || *c.SecretKey == "" || *c.SessionToken == "" ||
			c.Expiration.Before(before.Add(59*time.Minute)) || c.Expiration.After(time.Now().Add(61*time.Minute)) {
			t.Fatalf("credentials = %+v, expiring %v", c, c.Expiration)
		}
		call := e.sts.last(t)
		if call.RoleARN != authRole || call.RoleSessionName != "CognitoIdentityCredentials" || call.Duration != time.Hour {
			t.Fatalf("AssumeRoleWithWebIdentity = %+v", call.WebIdentityRequest)
		}
		if call.Claims["aud"] != pool || call.Claims["sub"] != id || call.Claims["iss"] != e.URL+identitypool.IdentityIssuerPath {
			t.Fatalf("token claims = %v", call.Claims)
		}
		amr := claimList(call.Claims["amr"])
		if !cmp.Equal(amr, []string{"authenticated", app.Provider, app.Provider + ":CognitoSignIn:" + sub}) {
			t.Fatalf("amr = %v", amr)
		}
		// The default principal-tag map: username from sub, client from aud.
		if !cmp.Equal(call.SessionTags, map[string]string{"username": sub, "client": app.ClientID}) {
			t.Fatalf("session tags = %v", call.SessionTags)
		}
		tags, _ := call.Claims["https://aws.amazon.com/tags"].(map[string]any)
		if pt, _ := tags["principal_tags"].(map[string]any); claimList(pt["username"])[0] != sub {
			t.Fatalf("token tags claim = %v", call.Claims["https://aws.amazon.com/tags"])
		}

		desc, err := e.ids.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(desc.Logins, []string{app.Provider}) || desc.CreationDate == nil || desc.LastModifiedDate == nil {
			t.Fatalf("DescribeIdentity = %+v", desc)
		}
		list, err := e.ids.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: &pool, MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Identities) != 1 || *list.Identities[0].IdentityId != id {
			t.Fatalf("ListIdentities = %+v", list.Identities)
		}

		// UnlinkIdentity, proven by the login itself: the identity is left
		// without logins, and the token now links nowhere until GetId.
		if _, err := e.pub.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{IdentityId: &id, Logins: logins, LoginsToRemove: []string{app.Provider}}); err != nil {
			t.Fatal(err)
		}
		desc, err = e.ids.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if len(desc.Logins) != 0 {
			t.Fatalf("logins after UnlinkIdentity = %v", desc.Logins)
		}

		// DeleteIdentities.
		del, err := e.ids.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{id}})
		if err != nil || len(del.UnprocessedIdentityIds) != 0 {
			t.Fatalf("DeleteIdentities = %+v, %v", del, err)
		}
		_, err = e.ids.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: &id})
		wantAPIError(t, err, "ResourceNotFoundException", "Identity '"+id+"' not found.")
	})
}

func claimList(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
	case string:
		out = append(out, v)
	}
	return out
}

// TestIdentityRoleMapping chooses roles by the token (cognito:roles and
// cognito:preferred_role, from the user's groups) and by rules on claims.
func TestIdentityRoleMapping(t *testing.T) {
	identityBackends(t, idOptions{}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "roles")
		for _, g := range []struct {
			name, role string
			precedence int32
		}{{"admins", adminRole, 1}, {"readers", idReaderRole, 2}} {
			if _, err := e.idp.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &app.PoolID, GroupName: aws.String(g.name),
				RoleArn: aws.String(g.role), Precedence: aws.Int32(g.precedence)}); err != nil {
				t.Fatal(err)
			}
		}
		app.newUser(t, e, "boss", types.AttributeType{Name: aws.String("email"), Value: aws.String("boss@corp.example")})
		app.newUser(t, e, "reader", types.AttributeType{Name: aws.String("email"), Value: aws.String("reader@elsewhere.example")})
		app.newUser(t, e, "nobody", types.AttributeType{Name: aws.String("email"), Value: aws.String("nobody@elsewhere.example")})
		for user, groups := range map[string][]string{"boss": {"admins", "readers"}, "reader": {"readers"}} {
			for _, g := range groups {
				if _, err := e.idp.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &app.PoolID, Username: aws.String(user), GroupName: aws.String(g)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		key := app.Provider + ":" + app.ClientID
		credsFor := func(pool, user, custom string) (string, error) {
			logins := map[string]string{app.Provider: app.signIn(t, e, user)}
			got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
			if err != nil {
				return "", err
			}
			in := &ci.GetCredentialsForIdentityInput{IdentityId: got.IdentityId, Logins: logins}
			if custom != "" {
				in.CustomRoleArn = &custom
			}
			if _, err := e.pub.GetCredentialsForIdentity(ctx, in); err != nil {
				return "", err
			}
			return e.sts.last(t).RoleARN, nil
		}
		check := func(t *testing.T, pool, user, custom, wantRole, wantCode string) {
			t.Helper()
			role, err := credsFor(pool, user, custom)
			if wantCode != "" {
				wantAPIError(t, err, wantCode, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if role != wantRole {
				t.Fatalf("role = %s, want %s", role, wantRole)
			}
		}

		t.Run("token", func(t *testing.T) {
			pool := createIdentityPool(t, e, poolFor(app, false))
			if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
				Roles: map[string]string{"authenticated": authRole},
				RoleMappings: map[string]citypes.RoleMapping{key: {Type: citypes.RoleMappingTypeToken,
					AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole}}}); err != nil {
				t.Fatal(err)
			}
			check(t, pool, "boss", "", adminRole, "")                         // cognito:preferred_role
			check(t, pool, "boss", idReaderRole, idReaderRole, "")            // a CustomRoleArn among cognito:roles
			check(t, pool, "reader", adminRole, "", "NotAuthorizedException") // not among them
			check(t, pool, "nobody", "", authRole, "")                        // ambiguous: the authenticated role
			check(t, pool, "nobody", adminRole, "", "NotAuthorizedException") // no roles at all
			check(t, pool, "reader", "", idReaderRole, "")                    // the single role
		})
		t.Run("token deny", func(t *testing.T) {
			pool := createIdentityPool(t, e, poolFor(app, false))
			if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
				Roles: map[string]string{"authenticated": authRole},
				RoleMappings: map[string]citypes.RoleMapping{key: {Type: citypes.RoleMappingTypeToken,
					AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny}}}); err != nil {
				t.Fatal(err)
			}
			check(t, pool, "boss", "", adminRole, "")
			check(t, pool, "nobody", "", "", "NotAuthorizedException")
		})
		t.Run("rules", func(t *testing.T) {
			pool := createIdentityPool(t, e, poolFor(app, false))
			rules := []citypes.MappingRule{
				{Claim: aws.String("email"), MatchType: citypes.MappingRuleMatchTypeContains, Value: aws.String("@corp.example"), RoleARN: aws.String(adminRole)},
				{Claim: aws.String("cognito:groups"), MatchType: citypes.MappingRuleMatchTypeEquals, Value: aws.String("readers"), RoleARN: aws.String(idReaderRole)},
			}
			if _, err := e.ids.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: &pool,
				Roles: map[string]string{"authenticated": authRole},
				RoleMappings: map[string]citypes.RoleMapping{key: {Type: citypes.RoleMappingTypeRules,
					AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
					RulesConfiguration:      &citypes.RulesConfigurationType{Rules: rules}}}}); err != nil {
				t.Fatal(err)
			}
			check(t, pool, "boss", "", adminRole, "")
			check(t, pool, "reader", "", idReaderRole, "")
			check(t, pool, "nobody", "", "", "NotAuthorizedException")
		})
	})
}

// TestIdentityUnauthenticated gives guests their own identities and the
// unauthenticated role, when the pool allows them.
func TestIdentityUnauthenticated(t *testing.T) {
	identityBackends(t, idOptions{}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "guests")
		pool := createIdentityPool(t, e, poolFor(app, true))
		a, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			t.Fatal(err)
		}
		if *a.IdentityId == *b.IdentityId {
			t.Fatal("two guests got the same identity")
		}
		if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: a.IdentityId}); err != nil {
			t.Fatal(err)
		}
		call := e.sts.last(t)
		if call.RoleARN != unauthRole || !cmp.Equal(claimList(call.Claims["amr"]), []string{"unauthenticated"}) {
			t.Fatalf("guest credentials: role %s, amr %v", call.RoleARN, call.Claims["amr"])
		}
		// A guest signing in later links the login to its identity.
		app.newUser(t, e, "late")
		logins := map[string]string{app.Provider: app.signIn(t, e, "late")}
		if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: a.IdentityId, Logins: logins}); err != nil {
			t.Fatal(err)
		}
		if e.sts.last(t).RoleARN != authRole {
			t.Fatalf("role after sign-in = %s", e.sts.last(t).RoleARN)
		}
		// From now on the identity needs the login.
		_, err = e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: a.IdentityId})
		wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported for this identity.")

		closed := createIdentityPool(t, e, poolFor(app, false))
		_, err = e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &closed})
		wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
	})
}

// TestIdentityDeveloperAuthenticated registers users a developer's backend
// authenticated, links, looks up, merges and unlinks them.
func TestIdentityDeveloperAuthenticated(t *testing.T) {
	identityBackends(t, idOptions{}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		const dev = "login.example.app"
		in := &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("dev"), DeveloperProviderName: aws.String(dev)}
		pool := createIdentityPool(t, e, in)
		tok, err := e.ids.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: &pool, Logins: map[string]string{dev: "user-1"}, PrincipalTags: map[string]string{"tenant": "t1"},
			TokenDuration: aws.Int64(600),
		})
		if err != nil {
			t.Fatal(err)
		}
		id := *tok.IdentityId
		claims := jwtClaims(t, *tok.Token)
		if claims["aud"] != pool || claims["sub"] != id || claims["exp"].(float64)-claims["iat"].(float64) != 600 {
			t.Fatalf("developer token claims = %v", claims)
		}
		// The same user again: the same identity.
		again, err := e.ids.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, Logins: map[string]string{dev: "user-1"}})
		if err != nil || *again.IdentityId != id {
			t.Fatalf("second registration = %v, %v", again, err)
		}
		// The client trades the token for credentials; its principal tags
		// become session tags.
		logins := map[string]string{"cognito-identity.amazonaws.com": *tok.Token}
		if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: &id, Logins: logins}); err != nil {
			t.Fatal(err)
		}
		call := e.sts.last(t)
		if call.RoleARN != authRole || !cmp.Equal(call.SessionTags, map[string]string{"tenant": "t1"}) {
			t.Fatalf("developer credentials: %+v", call.WebIdentityRequest)
		}
		// Another identity's token does not open this one.
		other, err := e.ids.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: &pool, Logins: map[string]string{dev: "user-2"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: &id,
			Logins: map[string]string{"cognito-identity.amazonaws.com": *other.Token}})
		wantAPIError(t, err, "NotAuthorizedException", "")
		// A second identifier on the same identity, then one already taken.
		if _, err := e.ids.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: &pool, IdentityId: &id, Logins: map[string]string{dev: "user-1b"}}); err != nil {
			t.Fatal(err)
		}
		_, err = e.ids.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: &pool, IdentityId: &id, Logins: map[string]string{dev: "user-2"}})
		wantAPIError(t, err, "DeveloperUserAlreadyRegisteredException", "")

		look, err := e.ids.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: &id, MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		ids := slices.Sorted(slices.Values(look.DeveloperUserIdentifierList))
		if !cmp.Equal(ids, []string{"user-1", "user-1b"}) {
			t.Fatalf("LookupDeveloperIdentity = %v", ids)
		}
		look, err = e.ids.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("user-2"), MaxResults: aws.Int32(10)})
		if err != nil || *look.IdentityId != *other.IdentityId {
			t.Fatalf("lookup by identifier = %v, %v", look, err)
		}
		_, err = e.ids.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("nobody"), MaxResults: aws.Int32(10)})
		wantAPIError(t, err, "ResourceNotFoundException", "")

		// Merge user-2's identity into user-1's.
		merged, err := e.ids.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{IdentityPoolId: &pool, DeveloperProviderName: aws.String(dev),
			SourceUserIdentifier: aws.String("user-2"), DestinationUserIdentifier: aws.String("user-1")})
		if err != nil {
			t.Fatal(err)
		}
		if *merged.IdentityId != id {
			t.Fatalf("merged into %s, want %s", *merged.IdentityId, id)
		}
		_, err = e.ids.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: other.IdentityId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		look, err = e.ids.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("user-2"), MaxResults: aws.Int32(10)})
		if err != nil || *look.IdentityId != id || len(look.DeveloperUserIdentifierList) != 3 {
			t.Fatalf("after the merge: %+v, %v", look, err)
		}

		// Unlink one identifier.
		if _, err := e.ids.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: &id,
			DeveloperProviderName: aws.String(dev), DeveloperUserIdentifier: aws.String("user-1b")}); err != nil {
			t.Fatal(err)
		}
		_, err = e.ids.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: &pool, DeveloperUserIdentifier: aws.String("user-1b"), MaxResults: aws.Int32(10)})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		_, err = e.ids.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{IdentityPoolId: &pool, IdentityId: &id,
			DeveloperProviderName: aws.String("other.dev"), DeveloperUserIdentifier: aws.String("user-1")})
		wantAPIError(t, err, "InvalidParameterException", "")
	})
}

// TestIdentityBasicFlow hands the OpenID token to the client, which calls
// the STS itself; it verifies against the published discovery and JWKS.
func TestIdentityBasicFlow(t *testing.T) {
	identityBackends(t, idOptions{}, func(t *testing.T, e *idEnv) {
		ctx := context.Background()
		app := newUserPoolApp(t, e, "basic")
		app.newUser(t, e, "carol")
		in := poolFor(app, true)
		in.AllowClassicFlow = aws.Bool(true)
		pool := createIdentityPool(t, e, in)
		logins := map[string]string{app.Provider: app.signIn(t, e, "carol")}
		got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: got.IdentityId, Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		p, err := oidc.NewProvider(ctx, e.URL+identitypool.IdentityIssuerPath)
		if err != nil {
			t.Fatal(err)
		}
		idt, err := p.Verifier(&oidc.Config{ClientID: pool}).Verify(ctx, *tok.Token)
		if err != nil {
			t.Fatalf("the OpenID token does not verify through discovery: %v", err)
		}
		if idt.Subject != *got.IdentityId || idt.Expiry.Sub(idt.IssuedAt) != 10*time.Minute {
			t.Fatalf("token: sub %s, lifetime %v", idt.Subject, idt.Expiry.Sub(idt.IssuedAt))
		}
		// The basic flow for a guest.
		guest, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			t.Fatal(err)
		}
		gt, err := e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: guest.IdentityId})
		if err != nil {
			t.Fatal(err)
		}
		if amr := claimList(jwtClaims(t, *gt.Token)["amr"]); !cmp.Equal(amr, []string{"unauthenticated"}) {
			t.Fatalf("guest amr = %v", amr)
		}
		// Classic flow off: refused.
		if _, err := e.ids.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: &pool, IdentityPoolName: in.IdentityPoolName,
			AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(false), CognitoIdentityProviders: in.CognitoIdentityProviders}); err != nil {
			t.Fatal(err)
		}
		_, err = e.pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: got.IdentityId, Logins: logins})
		wantAPIError(t, err, "InvalidParameterException", "Basic (classic) flow is not enabled, please use enhanced flow.")
	})
}

// TestIdentityOpenIDConnectProvider accepts the ID tokens of an OpenID
// Connect provider named by ARN, verified through its discovery document
// and JWKS. A cognate user pool, reached by URL like any other provider,
// stands in for it.
func TestIdentityOpenIDConnectProvider(t *testing.T) {
	var issuerPool, client string
	o := idOptions{oidc: func(url string) map[string]identitypool.OIDCProvider {
		return map[string]identitypool.OIDCProvider{"oidc.example.test": {Issuer: url + "/" + issuerPool, ClientIDs: []string{client}}}
	}}
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			// The provider's pool must exist before the server is wired
			// with its URL: create it in a first server on the same store.
			db := migrated(t, openBackend(t, name))
			first := serveIdentity(t, db, idOptions{})
			app := newUserPoolApp(t, first, "upstream")
			issuerPool, client = app.PoolID, app.ClientID
			e := serveIdentity(t, db, o)
			// Tokens are signed by the second server's issuer URL.
			sub := app.newUser(t, e, "dave")
			ctx := context.Background()
			pool := createIdentityPool(t, e, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("oidc"),
				OpenIdConnectProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/oidc.example.test"}})
			logins := map[string]string{"oidc.example.test": app.signIn(t, e, "dave")}
			got, err := e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: logins})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: got.IdentityId, Logins: logins}); err != nil {
				t.Fatal(err)
			}
			amr := claimList(e.sts.last(t).Claims["amr"])
			if !cmp.Equal(amr, []string{"authenticated", "oidc.example.test", "oidc.example.test:" + sub}) {
				t.Fatalf("amr = %v", amr)
			}
			// A token of another client of the same issuer is refused.
			other, err := e.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &app.PoolID, ClientName: aws.String("other"),
				ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
			if err != nil {
				t.Fatal(err)
			}
			app2 := app
			app2.ClientID = *other.UserPoolClient.ClientId
			_, err = e.pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: &pool, Logins: map[string]string{"oidc.example.test": app2.signIn(t, e, "dave")}})
			wantAPIError(t, err, "NotAuthorizedException", "Invalid login token. Incorrect token audience.")
		})
	}
}
