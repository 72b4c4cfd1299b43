package sdk

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	clientIDPattern     = regexp.MustCompile(`^[a-z0-9]{26}$`)
	clientSecretPattern = regexp.MustCompile(`^[a-z0-9]{52}$`)
)

// appClient creates an app client in pool and returns it.
func appClient(t testing.TB, c *cip.Client, in *cip.CreateUserPoolClientInput) *types.UserPoolClientType {
	t.Helper()
	out, err := c.CreateUserPoolClient(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	return out.UserPoolClient
}

// noRetry makes one call without the SDK's retries.
func noRetry(o *cip.Options) { o.RetryMaxAttempts = 1 }

// clientCmpOpts compares SDK client descriptions, ignoring the SDK's
// internal fields and the timestamps.
var clientCmpOpts = cmp.Options{cmpOpts, cmpopts.IgnoreFields(types.UserPoolClientType{}, "CreationDate", "LastModifiedDate")}

func TestUserPoolClientDefaults(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("clients")})
		created := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("web")})
		if !clientIDPattern.MatchString(aws.ToString(created.ClientId)) {
			t.Errorf("client ID %q is not 26 lower-case letters and digits", aws.ToString(created.ClientId))
		}
		out, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pool.Id, ClientId: created.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		got := out.UserPoolClient
		want := &types.UserPoolClientType{
			UserPoolId:                               pool.Id,
			ClientName:                               aws.String("web"),
			ClientId:                                 created.ClientId,
			RefreshTokenValidity:                     30,
			TokenValidityUnits:                       &types.TokenValidityUnitsType{},
			AllowedOAuthFlowsUserPoolClient:          aws.Bool(false),
			EnableTokenRevocation:                    aws.Bool(true),
			EnablePropagateAdditionalUserContextData: aws.Bool(false),
			AuthSessionValidity:                      aws.Int32(3),
		}
		if diff := cmp.Diff(want, got, clientCmpOpts); diff != "" {
			t.Errorf("minimal client (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(created, got, cmpOpts); diff != "" {
			t.Errorf("CreateUserPoolClient and DescribeUserPoolClient differ (-create +describe):\n%s", diff)
		}
		if got.CreationDate == nil || !got.CreationDate.Equal(*got.LastModifiedDate) {
			t.Errorf("dates: created %v, modified %v", got.CreationDate, got.LastModifiedDate)
		}
	})
}

func TestUserPoolClientSettings(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{
			PoolName: aws.String("settings"),
			Schema: []types.SchemaAttributeType{
				{Name: aws.String("email"), Required: aws.Bool(true), Mutable: aws.Bool(true)},
				{Name: aws.String("team"), AttributeDataType: types.AttributeDataTypeString},
			},
		})
		in := &cip.CreateUserPoolClientInput{
			UserPoolId:                 pool.Id,
			ClientName:                 aws.String("full"),
			GenerateSecret:             true,
			AccessTokenValidity:        aws.Int32(30),
			IdTokenValidity:            aws.Int32(2),
			RefreshTokenValidity:       12,
			TokenValidityUnits:         &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes, IdToken: types.TimeUnitsTypeHours, RefreshToken: types.TimeUnitsTypeHours},
			ReadAttributes:             []string{"email", "email_verified", "custom:team"},
			WriteAttributes:            []string{"email", "custom:team"},
			ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
			SupportedIdentityProviders: []string{"COGNITO"},
			CallbackURLs:               []string{"https://app.example.com/callback", "http://localhost:3000/callback", "myapp://signin"},
			LogoutURLs:                 []string{"https://app.example.com/logout"},
			DefaultRedirectURI:         aws.String("https://app.example.com/callback"),
			AllowedOAuthFlows:          []types.OAuthFlowType{types.OAuthFlowTypeCode},
			AllowedOAuthScopes:         []string{"openid", "email", "profile"},

			AllowedOAuthFlowsUserPoolClient:          true,
			PreventUserExistenceErrors:               types.PreventUserExistenceErrorTypesEnabled,
			EnableTokenRevocation:                    aws.Bool(false),
			EnablePropagateAdditionalUserContextData: aws.Bool(true),
			AuthSessionValidity:                      aws.Int32(15),
			RefreshTokenRotation:                     &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(10)},
			AnalyticsConfiguration:                   &types.AnalyticsConfigurationType{ApplicationId: aws.String("abc"), RoleArn: aws.String("arn:aws:iam::123456789012:role/pinpoint"), ExternalId: aws.String("x")},
		}
		created := appClient(t, c, in)
		if !clientSecretPattern.MatchString(aws.ToString(created.ClientSecret)) {
			t.Errorf("client secret %q is not 52 lower-case letters and digits", aws.ToString(created.ClientSecret))
		}
		want := &types.UserPoolClientType{
			UserPoolId: pool.Id, ClientName: in.ClientName, ClientId: created.ClientId, ClientSecret: created.ClientSecret,
			AccessTokenValidity: in.AccessTokenValidity, IdTokenValidity: in.IdTokenValidity, RefreshTokenValidity: 12,
			TokenValidityUnits: in.TokenValidityUnits, ReadAttributes: in.ReadAttributes, WriteAttributes: in.WriteAttributes,
			ExplicitAuthFlows: in.ExplicitAuthFlows, SupportedIdentityProviders: in.SupportedIdentityProviders,
			CallbackURLs: in.CallbackURLs, LogoutURLs: in.LogoutURLs, DefaultRedirectURI: in.DefaultRedirectURI,
			AllowedOAuthFlows: in.AllowedOAuthFlows, AllowedOAuthScopes: in.AllowedOAuthScopes,
			AllowedOAuthFlowsUserPoolClient: aws.Bool(true), PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
			EnableTokenRevocation: aws.Bool(false), EnablePropagateAdditionalUserContextData: aws.Bool(true),
			AuthSessionValidity: aws.Int32(15), RefreshTokenRotation: in.RefreshTokenRotation, AnalyticsConfiguration: in.AnalyticsConfiguration,
		}
		if diff := cmp.Diff(want, created, clientCmpOpts); diff != "" {
			t.Errorf("created client (-want +got):\n%s", diff)
		}

		// UpdateUserPoolClient: members left out return to their defaults;
		// the name and the secret stay.
		up, err := c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: pool.Id, ClientId: created.ClientId, AuthSessionValidity: aws.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		reset := &types.UserPoolClientType{
			UserPoolId: pool.Id, ClientName: aws.String("full"), ClientId: created.ClientId, ClientSecret: created.ClientSecret,
			RefreshTokenValidity: 30, TokenValidityUnits: &types.TokenValidityUnitsType{},
			AllowedOAuthFlowsUserPoolClient: aws.Bool(false), EnableTokenRevocation: aws.Bool(true),
			EnablePropagateAdditionalUserContextData: aws.Bool(false), AuthSessionValidity: aws.Int32(5),
		}
		if diff := cmp.Diff(reset, up.UserPoolClient, clientCmpOpts); diff != "" {
			t.Errorf("updated client (-want +got):\n%s", diff)
		}
		if !up.UserPoolClient.LastModifiedDate.After(*up.UserPoolClient.CreationDate) && !up.UserPoolClient.LastModifiedDate.Equal(*up.UserPoolClient.CreationDate) {
			t.Errorf("LastModifiedDate %v before CreationDate %v", up.UserPoolClient.LastModifiedDate, up.UserPoolClient.CreationDate)
		}
		d, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pool.Id, ClientId: created.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(up.UserPoolClient, d.UserPoolClient, cmpOpts); diff != "" {
			t.Errorf("described after update (-update +describe):\n%s", diff)
		}
		renamed, err := c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: pool.Id, ClientId: created.ClientId, ClientName: aws.String("renamed")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(renamed.UserPoolClient.ClientName) != "renamed" || aws.ToInt32(renamed.UserPoolClient.AuthSessionValidity) != 3 {
			t.Errorf("renamed client: name %q, AuthSessionValidity %d", aws.ToString(renamed.UserPoolClient.ClientName), aws.ToInt32(renamed.UserPoolClient.AuthSessionValidity))
		}
	})
}

func TestUserPoolClientRules(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{
			PoolName: aws.String("rules"),
			Schema:   []types.SchemaAttributeType{{Name: aws.String("email"), Required: aws.Bool(true), Mutable: aws.Bool(true)}},
		})
		if _, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
			UserPoolId: pool.Id, Identifier: aws.String("api"), Name: aws.String("API"),
			Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read")}},
		}); err != nil {
			t.Fatal(err)
		}
		base := func(mod func(in *cip.CreateUserPoolClientInput)) *cip.CreateUserPoolClientInput {
			in := &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("rule")}
			mod(in)
			return in
		}
		oauth := func(flows []types.OAuthFlowType, scopes ...string) func(in *cip.CreateUserPoolClientInput) {
			return func(in *cip.CreateUserPoolClientInput) {
				in.AllowedOAuthFlowsUserPoolClient = true
				in.AllowedOAuthFlows = flows
				in.AllowedOAuthScopes = scopes
				in.CallbackURLs = []string{"https://example.com/cb"}
			}
		}
		code := []types.OAuthFlowType{types.OAuthFlowTypeCode}
		cc := []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials}
		cases := []struct {
			name      string
			in        *cip.CreateUserPoolClientInput
			code, msg string
		}{
			{"legacy and ALLOW flows", base(func(in *cip.CreateUserPoolClientInput) {
				in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAdminNoSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
			}), "InvalidParameterException", "Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names."},
			{"access token too long", base(func(in *cip.CreateUserPoolClientInput) { in.AccessTokenValidity = aws.Int32(25) }),
				"InvalidParameterException", "Invalid range for token validity."},
			{"access token too short", base(func(in *cip.CreateUserPoolClientInput) {
				in.IdTokenValidity = aws.Int32(4)
				in.TokenValidityUnits = &types.TokenValidityUnitsType{IdToken: types.TimeUnitsTypeMinutes}
			}), "InvalidParameterException", "Invalid range for token validity."},
			{"refresh token too short", base(func(in *cip.CreateUserPoolClientInput) {
				in.RefreshTokenValidity = 59
				in.TokenValidityUnits = &types.TokenValidityUnitsType{RefreshToken: types.TimeUnitsTypeMinutes}
			}), "InvalidParameterException", "Invalid range for token validity."},
			{"refresh token too long", base(func(in *cip.CreateUserPoolClientInput) { in.RefreshTokenValidity = 3651 }),
				"InvalidParameterException", "Invalid range for token validity."},
			{"access outlives refresh", base(func(in *cip.CreateUserPoolClientInput) {
				in.AccessTokenValidity = aws.Int32(3)
				in.RefreshTokenValidity = 2
				in.TokenValidityUnits = &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeHours, RefreshToken: types.TimeUnitsTypeHours}
			}), "InvalidParameterException", "Access and Id Token expiration times must be less than or equal to refresh token expiration times."},
			{"unknown read attribute", base(func(in *cip.CreateUserPoolClientInput) { in.ReadAttributes = []string{"custom:nope"} }),
				"InvalidParameterException", "Invalid read attributes specified while creating a client"},
			{"write email_verified", base(func(in *cip.CreateUserPoolClientInput) { in.WriteAttributes = []string{"email", "email_verified"} }),
				"InvalidParameterException", "Invalid write attributes specified while creating a client"},
			{"write without required attribute", base(func(in *cip.CreateUserPoolClientInput) { in.WriteAttributes = []string{"name"} }),
				"InvalidParameterException", "Invalid write attributes specified while creating a client"},
			{"callback over http", base(func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = []string{"http://example.com/cb"} }),
				"InvalidParameterException", "http://example.com/cb cannot use the HTTP protocol."},
			{"callback with fragment", base(func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = []string{"https://example.com/cb#x"} }),
				"InvalidParameterException", "https://example.com/cb#x cannot use fragment"},
			{"logout over http", base(func(in *cip.CreateUserPoolClientInput) { in.LogoutURLs = []string{"http://example.com/out"} }),
				"InvalidParameterException", "http://example.com/out cannot use the HTTP protocol."},
			{"default redirect not a callback", base(func(in *cip.CreateUserPoolClientInput) {
				in.CallbackURLs = []string{"https://example.com/cb"}
				in.DefaultRedirectURI = aws.String("https://example.com/other")
			}), "InvalidParameterException", "The default redirect URI https://example.com/other is not in the callback URIs list."},
			{"unknown identity provider", base(func(in *cip.CreateUserPoolClientInput) { in.SupportedIdentityProviders = []string{"COGNITO", "Google"} }),
				"InvalidParameterException", "The provider Google does not exist for User Pool " + aws.ToString(pool.Id)},
			{"OAuth without flows", base(func(in *cip.CreateUserPoolClientInput) {
				in.AllowedOAuthFlowsUserPoolClient = true
				in.AllowedOAuthScopes = []string{"openid"}
			}), "InvalidParameterException", "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows."},
			{"code flow without callbacks", base(func(in *cip.CreateUserPoolClientInput) {
				oauth(code, "openid")(in)
				in.CallbackURLs = nil
			}), "InvalidOAuthFlowException", "CallbackUrls can not be empty when code flow or implicit flow is selected"},
			{"client credentials with code", base(func(in *cip.CreateUserPoolClientInput) {
				oauth([]types.OAuthFlowType{types.OAuthFlowTypeClientCredentials, types.OAuthFlowTypeCode}, "api/read")(in)
				in.GenerateSecret = true
			}), "InvalidOAuthFlowException", "client_credentials flow can not be selected along with code flow or implicit flow."},
			{"client credentials without secret", base(oauth(cc, "api/read")),
				"InvalidOAuthFlowException", "client_credentials flow can not be selected if client does not have a client secret."},
			{"client credentials with openid", base(func(in *cip.CreateUserPoolClientInput) {
				oauth(cc, "api/read", "openid")(in)
				in.GenerateSecret = true
			}), "InvalidOAuthFlowException", "openid is not supported with client_credentials flow"},
			{"unknown custom scope", base(func(in *cip.CreateUserPoolClientInput) {
				oauth(cc, "api/write")(in)
				in.GenerateSecret = true
			}), "ScopeDoesNotExistException", "Invalid scope requested: api/write"},
			{"propagate user context without secret", base(func(in *cip.CreateUserPoolClientInput) { in.EnablePropagateAdditionalUserContextData = aws.Bool(true) }),
				"InvalidParameterException", "Client Secret is required to set EnablePropagateAdditionalUserContextData as true"},
			{"auth session too long", base(func(in *cip.CreateUserPoolClientInput) { in.AuthSessionValidity = aws.Int32(16) }),
				"InvalidParameterException", ""},
			{"missing pool", &cip.CreateUserPoolClientInput{UserPoolId: aws.String("us-east-1_Nope12345"), ClientName: aws.String("x")},
				"ResourceNotFoundException", "User pool us-east-1_Nope12345 does not exist."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.CreateUserPoolClient(ctx, tc.in)
				wantAPIError(t, err, tc.code, tc.msg)
			})
		}

		// The typed SDK errors callers switch on.
		_, err := c.CreateUserPoolClient(ctx, base(oauth(cc, "api/read")))
		var flowErr *types.InvalidOAuthFlowException
		if !errors.As(err, &flowErr) {
			t.Errorf("client credentials without secret: %T %v, want *types.InvalidOAuthFlowException", err, err)
		}
		_, err = c.CreateUserPoolClient(ctx, base(func(in *cip.CreateUserPoolClientInput) {
			oauth(cc, "api/nope")(in)
			in.GenerateSecret = true
		}))
		var scopeErr *types.ScopeDoesNotExistException
		if !errors.As(err, &scopeErr) {
			t.Errorf("unknown scope: %T %v, want *types.ScopeDoesNotExistException", err, err)
		}

		// Rules hold on update too, worded for an update.
		ok := appClient(t, c, base(func(in *cip.CreateUserPoolClientInput) {}))
		_, err = c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: pool.Id, ClientId: ok.ClientId, WriteAttributes: []string{"email", "phone_number_verified"}})
		wantAPIError(t, err, "InvalidParameterException", "Invalid write attributes specified while updating a client")
		_, err = c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: pool.Id, ClientId: ok.ClientId, AccessTokenValidity: aws.Int32(48)})
		wantAPIError(t, err, "InvalidParameterException", "Invalid range for token validity.")
	})
}

func TestUserPoolClientOAuthScopes(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("m2m")})
		if _, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
			UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com"), Name: aws.String("API"),
			Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read")}},
		}); err != nil {
			t.Fatal(err)
		}
		m2m := appClient(t, c, &cip.CreateUserPoolClientInput{
			UserPoolId: pool.Id, ClientName: aws.String("m2m"), GenerateSecret: true,
			AllowedOAuthFlowsUserPoolClient: true,
			AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes:              []string{"https://api.example.com/read"},
		})
		if diff := cmp.Diff([]string{"https://api.example.com/read"}, m2m.AllowedOAuthScopes); diff != "" {
			t.Errorf("scopes (-want +got):\n%s", diff)
		}
		// Deleting the resource server leaves the client as it was; listing
		// the scope again fails.
		if _, err := c.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: pool.Id, Identifier: aws.String("https://api.example.com")}); err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pool.Id, ClientId: m2m.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"https://api.example.com/read"}, d.UserPoolClient.AllowedOAuthScopes); diff != "" {
			t.Errorf("scopes after the resource server was deleted (-want +got):\n%s", diff)
		}
		_, err = c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
			UserPoolId: pool.Id, ClientId: m2m.ClientId, AllowedOAuthFlowsUserPoolClient: true,
			AllowedOAuthFlows:  []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"https://api.example.com/read"},
		})
		var scopeErr *types.ScopeDoesNotExistException
		if !errors.As(err, &scopeErr) {
			t.Fatalf("update with a deleted scope: %v, want ScopeDoesNotExistException", err)
		}
		wantAPIError(t, err, "ScopeDoesNotExistException", "Invalid scope requested: https://api.example.com/read")
	})
}

func TestUserPoolClientIsolation(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		east, west := e.client("us-east-1"), e.client("us-west-2")
		poolA := createPool(t, east, &cip.CreateUserPoolInput{PoolName: aws.String("a")})
		poolB := createPool(t, east, &cip.CreateUserPoolInput{PoolName: aws.String("b")})
		poolW := createPool(t, west, &cip.CreateUserPoolInput{PoolName: aws.String("w")})
		cl := appClient(t, east, &cip.CreateUserPoolClientInput{UserPoolId: poolA.Id, ClientName: aws.String("a-web")})
		notFound := "User pool client " + aws.ToString(cl.ClientId) + " does not exist."

		_, err := east.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: poolB.Id, ClientId: cl.ClientId})
		var rnf *types.ResourceNotFoundException
		if !errors.As(err, &rnf) {
			t.Fatalf("client from another pool: %v, want ResourceNotFoundException", err)
		}
		wantAPIError(t, err, "ResourceNotFoundException", notFound)
		_, err = east.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: poolB.Id, ClientId: cl.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", notFound)
		_, err = east.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: poolB.Id, ClientId: cl.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", notFound)
		_, err = west.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: poolW.Id, ClientId: cl.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", notFound)
		_, err = west.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: poolA.Id, ClientId: cl.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool "+aws.ToString(poolA.Id)+" does not exist.")
		_, err = west.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: poolA.Id, MaxResults: aws.Int32(10)})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool "+aws.ToString(poolA.Id)+" does not exist.")
		list, err := east.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: poolB.Id, MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.UserPoolClients) != 0 {
			t.Errorf("pool b lists %d clients of pool a", len(list.UserPoolClients))
		}

		// Delete, then the client is gone everywhere.
		if _, err := east.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: poolA.Id, ClientId: cl.ClientId}); err != nil {
			t.Fatal(err)
		}
		_, err = east.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: poolA.Id, ClientId: cl.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", notFound)
		_, err = east.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: poolA.Id, ClientId: cl.ClientId})
		wantAPIError(t, err, "ResourceNotFoundException", notFound)
	})
}

func TestListUserPoolClientsPagination(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("paged")})
		other := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("other")})
		want := map[string]string{}
		for _, name := range []string{"one", "two", "three", "four", "five"} {
			cl := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String(name)})
			want[aws.ToString(cl.ClientId)] = name
		}
		got := map[string]string{}
		var token *string
		pages := 0
		for {
			out, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: pool.Id, MaxResults: aws.Int32(2), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.UserPoolClients) > 2 {
				t.Fatalf("page of %d clients, MaxResults 2", len(out.UserPoolClients))
			}
			for _, d := range out.UserPoolClients {
				if aws.ToString(d.UserPoolId) != aws.ToString(pool.Id) {
					t.Errorf("client %s has UserPoolId %s", aws.ToString(d.ClientId), aws.ToString(d.UserPoolId))
				}
				if _, dup := got[aws.ToString(d.ClientId)]; dup {
					t.Errorf("client %s listed twice", aws.ToString(d.ClientId))
				}
				got[aws.ToString(d.ClientId)] = aws.ToString(d.ClientName)
			}
			if out.NextToken == nil {
				break
			}
			token = out.NextToken
			if pages == 2 {
				_, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: other.Id, MaxResults: aws.Int32(2), NextToken: token})
				wantAPIError(t, err, "InvalidParameterException", "")
				_, err = c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: pool.Id, MaxResults: aws.Int32(2), NextToken: aws.String(*token + "x")})
				wantAPIError(t, err, "InvalidParameterException", "")
			}
		}
		if pages != 3 {
			t.Errorf("%d pages, want 3", pages)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listed clients (-want +got):\n%s", diff)
		}
		// The SDK paginator walks the same pages.
		p := cip.NewListUserPoolClientsPaginator(c, &cip.ListUserPoolClientsInput{UserPoolId: pool.Id, MaxResults: aws.Int32(3)})
		n := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.UserPoolClients)
		}
		if n != 5 {
			t.Errorf("paginator saw %d clients, want 5", n)
		}
	})
}

func TestUserPoolClientSecrets(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client("us-east-1")
		pool := createPool(t, c, &cip.CreateUserPoolInput{PoolName: aws.String("secrets")})
		cl := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("server"), GenerateSecret: true})
		first := aws.ToString(cl.ClientSecret)
		if !clientSecretPattern.MatchString(first) {
			t.Fatalf("generated secret %q", first)
		}
		list := func() []types.ClientSecretDescriptorType {
			t.Helper()
			out, err := c.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: pool.Id, ClientId: cl.ClientId})
			if err != nil {
				t.Fatal(err)
			}
			if out.NextToken != nil {
				t.Errorf("ListUserPoolClientSecrets returned a NextToken")
			}
			for _, s := range out.ClientSecrets {
				if s.ClientSecretValue != nil {
					t.Errorf("ListUserPoolClientSecrets revealed secret %s", aws.ToString(s.ClientSecretId))
				}
				if aws.ToString(s.ClientSecretId) == "" || s.ClientSecretCreateDate == nil {
					t.Errorf("secret descriptor lacks an ID or date: %+v", s)
				}
			}
			return out.ClientSecrets
		}
		initial := list()
		if len(initial) != 1 {
			t.Fatalf("%d secrets after create, want 1", len(initial))
		}

		// A second, generated secret: its value is returned once.
		added, err := c.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		second := aws.ToString(added.ClientSecretDescriptor.ClientSecretValue)
		if !clientSecretPattern.MatchString(second) || second == first {
			t.Errorf("second secret %q", second)
		}
		both := list()
		if len(both) != 2 || aws.ToString(both[0].ClientSecretId) != aws.ToString(initial[0].ClientSecretId) ||
			aws.ToString(both[1].ClientSecretId) != aws.ToString(added.ClientSecretDescriptor.ClientSecretId) {
			t.Fatalf("secrets after add: %+v", both)
		}

		// A third is refused.
		// (The SDK retries LimitExceededException as throttling; one attempt
		// is enough here.)
		_, err = c.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId}, noRetry)
		var limit *types.LimitExceededException
		if !errors.As(err, &limit) {
			t.Fatalf("third secret: %v, want LimitExceededException", err)
		}

		// Deleting the original leaves the new one as the client's secret.
		if _, err := c.DeleteUserPoolClientSecret(ctx, &cip.DeleteUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId, ClientSecretId: initial[0].ClientSecretId}); err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pool.Id, ClientId: cl.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(d.UserPoolClient.ClientSecret); got != second {
			t.Errorf("ClientSecret after rotation = %q, want the second secret", got)
		}
		if got := list(); len(got) != 1 {
			t.Errorf("%d secrets after delete, want 1", len(got))
		}
		_, err = c.DeleteUserPoolClientSecret(ctx, &cip.DeleteUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId, ClientSecretId: initial[0].ClientSecretId})
		wantAPIError(t, err, "ResourceNotFoundException", "")
		_, err = c.DeleteUserPoolClientSecret(ctx, &cip.DeleteUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId, ClientSecretId: added.ClientSecretDescriptor.ClientSecretId})
		wantAPIError(t, err, "InvalidParameterException", "")

		// A secret of one's own: accepted, never echoed.
		custom := "my_own_client_secret_0123456789"
		own, err := c.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId, ClientSecret: aws.String(custom)})
		if err != nil {
			t.Fatal(err)
		}
		if own.ClientSecretDescriptor.ClientSecretValue != nil || aws.ToString(own.ClientSecretDescriptor.ClientSecretId) == "" {
			t.Errorf("custom secret descriptor %+v", own.ClientSecretDescriptor)
		}
		_, err = c.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: cl.ClientId, ClientSecret: aws.String("short")})
		wantAPIError(t, err, "InvalidParameterException", "")

		// Public clients have no secrets to rotate.
		public := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("spa")})
		if public.ClientSecret != nil {
			t.Errorf("public client has a secret")
		}
		_, err = c.AddUserPoolClientSecret(ctx, &cip.AddUserPoolClientSecretInput{UserPoolId: pool.Id, ClientId: public.ClientId})
		wantAPIError(t, err, "InvalidParameterException", "")
		pub, err := c.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: pool.Id, ClientId: public.ClientId})
		if err != nil || len(pub.ClientSecrets) != 0 {
			t.Errorf("public client secrets: %v %v", pub, err)
		}
		_, err = c.ListUserPoolClientSecrets(ctx, &cip.ListUserPoolClientSecretsInput{UserPoolId: pool.Id, ClientId: aws.String("nosuchclient0000000000000a")})
		wantAPIError(t, err, "ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")

		// A custom secret given at creation is the client's secret.
		mine := appClient(t, c, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("mine"), GenerateSecret: true, ClientSecret: aws.String(custom)})
		if aws.ToString(mine.ClientSecret) != custom {
			t.Errorf("client created with a custom secret has %q", aws.ToString(mine.ClientSecret))
		}
		_, err = c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.Id, ClientName: aws.String("x"), ClientSecret: aws.String(custom)})
		wantAPIError(t, err, "InvalidParameterException", "")

		names := []string{}
		out, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: pool.Id, MaxResults: aws.Int32(60)})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.UserPoolClients {
			names = append(names, aws.ToString(d.ClientName))
		}
		slices.Sort(names)
		if diff := cmp.Diff([]string{"mine", "server", "spa"}, names); diff != "" {
			t.Errorf("clients (-want +got):\n%s", diff)
		}
	})
}
