package userpool

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// appErrText renders an error as "Code: message" for table comparisons, or
// "" for nil.
func appErrText(err error) string {
	if err == nil {
		return ""
	}
	var ce *cognito.Error
	if errors.As(err, &ce) {
		return ce.Code + ": " + ce.Message
	}
	return "non-Cognito error: " + err.Error()
}

// clientTestPool returns a pool with the default schema plus a custom and a
// developer-only attribute, and email required.
func clientTestPool(t *testing.T, tier string) *idp.UserPoolType {
	t.Helper()
	schema, err := buildSchema([]idp.SchemaAttributeType{
		{Name: cognito.Ptr("email"), Required: cognito.Ptr(true)},
		{Name: cognito.Ptr("team"), AttributeDataType: cognito.Ptr(TypeString)},
		{Name: cognito.Ptr("secret"), AttributeDataType: cognito.Ptr(TypeString), DeveloperOnlyAttribute: cognito.Ptr(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &idp.UserPoolType{Id: cognito.Ptr("us-east-1_test12345"), SchemaAttributes: schema, UserPoolTier: cognito.Ptr(idp.UserPoolTierType(tier))}
}

func tokenUnits(access, id, refresh string) *idp.TokenValidityUnitsType {
	u := &idp.TokenValidityUnitsType{}
	for _, p := range []struct {
		dst **idp.TimeUnitsType
		v   string
	}{{&u.AccessToken, access}, {&u.IdToken, id}, {&u.RefreshToken, refresh}} {
		if p.v != "" {
			*p.dst = cognito.Ptr(idp.TimeUnitsType(p.v))
		}
	}
	return u
}

func TestCheckTokenValidity(t *testing.T) {
	const bad = "InvalidParameterException: Invalid range for token validity."
	const order = "InvalidParameterException: Access and Id Token expiration times must be less than or equal to refresh token expiration times."
	i32 := func(v int32) *int32 { return &v }
	cases := []struct {
		name string
		in   clientSettings
		want string
	}{
		{"defaults", clientSettings{}, ""},
		{"access one day in hours", clientSettings{AccessTokenValidity: i32(24)}, ""},
		{"access 25 hours", clientSettings{AccessTokenValidity: i32(25)}, bad},
		{"access 5 minutes", clientSettings{AccessTokenValidity: i32(5), TokenValidityUnits: tokenUnits("minutes", "", "")}, ""},
		{"access 4 minutes", clientSettings{AccessTokenValidity: i32(4), TokenValidityUnits: tokenUnits("minutes", "", "")}, bad},
		{"id 299 seconds", clientSettings{IdTokenValidity: i32(299), TokenValidityUnits: tokenUnits("", "seconds", "")}, bad},
		{"id one day", clientSettings{IdTokenValidity: i32(1), TokenValidityUnits: tokenUnits("", "days", "")}, ""},
		{"unit without value applies to the default of one", clientSettings{TokenValidityUnits: tokenUnits("minutes", "", "")}, bad},
		{"refresh 60 minutes", clientSettings{RefreshTokenValidity: i32(60), TokenValidityUnits: tokenUnits("", "", "minutes")}, ""},
		{"refresh 59 minutes", clientSettings{RefreshTokenValidity: i32(59), TokenValidityUnits: tokenUnits("", "", "minutes")}, bad},
		{"refresh ten years", clientSettings{RefreshTokenValidity: i32(3650)}, ""},
		{"refresh over ten years", clientSettings{RefreshTokenValidity: i32(3651)}, bad},
		{"refresh zero is the default", clientSettings{RefreshTokenValidity: i32(0)}, ""},
		{"access outlives refresh", clientSettings{
			AccessTokenValidity: i32(200), RefreshTokenValidity: i32(90), TokenValidityUnits: tokenUnits("minutes", "", "minutes"),
		}, order},
		{"id outlives refresh", clientSettings{IdTokenValidity: i32(2), RefreshTokenValidity: i32(1), TokenValidityUnits: tokenUnits("", "hours", "hours")}, order},
		{"cross units compare in seconds", clientSettings{
			AccessTokenValidity: i32(23), RefreshTokenValidity: i32(1), TokenValidityUnits: tokenUnits("hours", "", "days"),
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := appErrText(tc.in.checkTokenValidity()); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExplicitAuthFlows(t *testing.T) {
	cases := []struct {
		name    string
		in      []idp.ExplicitAuthFlowsType
		tier    string
		want    []idp.ExplicitAuthFlowsType
		wantErr string
	}{
		{"none", nil, "ESSENTIALS", nil, ""},
		{"allow names", []idp.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}, "ESSENTIALS",
			[]idp.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}, ""},
		{"legacy names", []idp.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"}, "ESSENTIALS",
			[]idp.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"}, ""},
		{"mixed", []idp.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}, "ESSENTIALS", nil,
			"InvalidParameterException: Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names."},
		{"user auth on lite", []idp.ExplicitAuthFlowsType{"ALLOW_USER_AUTH"}, "LITE", nil,
			"FeatureUnavailableInTierException: The following feature is not available for the LITE pricing tier configured: Choice-based authentication"},
		{"user auth on essentials", []idp.ExplicitAuthFlowsType{"ALLOW_USER_AUTH"}, "ESSENTIALS", []idp.ExplicitAuthFlowsType{"ALLOW_USER_AUTH"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := explicitAuthFlows(tc.in, &idp.UserPoolType{UserPoolTier: cognito.Ptr(idp.UserPoolTierType(tc.tier))})
			if e := appErrText(err); e != tc.wantErr {
				t.Fatalf("error %q, want %q", e, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllowsAuthFlow(t *testing.T) {
	all := []idp.AuthFlowType{"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "CUSTOM_AUTH", "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_AUTH"}
	cases := []struct {
		name  string
		flows []idp.ExplicitAuthFlowsType
		want  []idp.AuthFlowType
	}{
		{"defaults", nil, []idp.AuthFlowType{"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "CUSTOM_AUTH"}},
		{"password only", []idp.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH"}, []idp.AuthFlowType{"USER_PASSWORD_AUTH"}},
		{"admin and choice", []idp.ExplicitAuthFlowsType{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"}, []idp.AuthFlowType{"ADMIN_USER_PASSWORD_AUTH", "USER_AUTH"}},
		{"legacy admin", []idp.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH"}, []idp.AuthFlowType{"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "CUSTOM_AUTH", "ADMIN_USER_PASSWORD_AUTH"}},
		{"legacy custom only", []idp.ExplicitAuthFlowsType{"CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}, []idp.AuthFlowType{"REFRESH_TOKEN_AUTH", "CUSTOM_AUTH"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &clientRecord{Client: idp.UserPoolClientType{ExplicitAuthFlows: tc.flows}}
			var got []idp.AuthFlowType
			for _, f := range all {
				if rec.allowsAuthFlow(f) {
					got = append(got, f)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("allowed flows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRedirectURL(t *testing.T) {
	cases := []struct {
		url      string
		callback bool
		want     string
	}{
		{"https://example.com/callback", true, ""},
		{"http://localhost:3000/callback", true, ""},
		{"http://localhost", true, ""},
		{"http://127.0.0.1:8080/cb", true, ""},
		{"http://[::1]:8080/cb", true, ""},
		{"myapp://signin", true, ""},
		{"http://example.com/callback", true, "InvalidParameterException: http://example.com/callback cannot use the HTTP protocol."},
		{"http://localhost.example.com/", true, "InvalidParameterException: http://localhost.example.com/ cannot use the HTTP protocol."},
		{"https://example.com/cb#frag", true, "InvalidParameterException: https://example.com/cb#frag cannot use fragment"},
		{"https://example.com/out#frag", false, ""},
		{"not-a-url", true, "InvalidParameterException: not-a-url is not a valid URL."},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			if got := appErrText(checkRedirectURL(tc.url, tc.callback)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClientAttributes(t *testing.T) {
	p := clientTestPool(t, "ESSENTIALS")
	const badRead = "InvalidParameterException: Invalid read attributes specified while creating a client"
	const badWrite = "InvalidParameterException: Invalid write attributes specified while creating a client"
	cases := []struct {
		name         string
		read, write  []string
		wantR, wantW []string
		wantErr      string
	}{
		{name: "omitted", wantR: nil, wantW: nil},
		{name: "standard and custom", read: []string{"email", "email_verified", "custom:team", "email"}, write: []string{"email", "custom:team"},
			wantR: []string{"email", "email_verified", "custom:team"}, wantW: []string{"email", "custom:team"}},
		{name: "unknown read", read: []string{"favourite"}, wantErr: badRead},
		{name: "developer-only read", read: []string{"dev:custom:secret"}, wantErr: badRead},
		{name: "custom without prefix", read: []string{"team"}, wantErr: badRead},
		{name: "write email_verified", write: []string{"email", "email_verified"}, wantErr: badWrite},
		{name: "write phone_number_verified", write: []string{"email", "phone_number_verified"}, wantErr: badWrite},
		{name: "write sub", write: []string{"email", "sub"}, wantErr: badWrite},
		{name: "write without required email", write: []string{"name"}, wantErr: badWrite},
		{name: "empty write list misses required email", write: []string{}, wantErr: badWrite},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := clientAttributes(p, tc.read, tc.write, "creating")
			if e := appErrText(err); e != tc.wantErr {
				t.Fatalf("error %q, want %q", e, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantR, r); diff != "" {
				t.Errorf("read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantW, w); diff != "" {
				t.Errorf("write (-want +got):\n%s", diff)
			}
		})
	}
	_, _, err := clientAttributes(p, nil, []string{"email_verified"}, "updating")
	if got, want := appErrText(err), "InvalidParameterException: Invalid write attributes specified while updating a client"; got != want {
		t.Errorf("update error %q, want %q", got, want)
	}
}

func TestCheckOAuth(t *testing.T) {
	on := cognito.Ptr(true)
	scopes := map[string][]string{"api": {"read", "write"}, "https://svc.example.com": {"admin"}}
	exists := func(identifier, name string) (bool, error) {
		for _, s := range scopes[identifier] {
			if s == name {
				return true, nil
			}
		}
		return false, nil
	}
	cases := []struct {
		name      string
		in        clientSettings
		secret    bool
		callbacks []string
		want      string
	}{
		{"off and empty", clientSettings{}, false, nil, ""},
		{"code flow", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"code"}, AllowedOAuthScopes: []string{"openid", "email"}},
			false, []string{"https://example.com"}, ""},
		{"flag without flows", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthScopes: []string{"openid"}}, false, nil,
			"InvalidParameterException: AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows."},
		{"flag without scopes", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"code"}}, false, []string{"https://example.com"},
			"InvalidParameterException: AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows."},
		{"code without callbacks", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"implicit"}, AllowedOAuthScopes: []string{"openid"}},
			false, nil, "InvalidOAuthFlowException: CallbackUrls can not be empty when code flow or implicit flow is selected"},
		{"client credentials with code", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"client_credentials", "code"}, AllowedOAuthScopes: []string{"api/read"}},
			true, []string{"https://example.com"}, "InvalidOAuthFlowException: client_credentials flow can not be selected along with code flow or implicit flow."},
		{"client credentials without secret", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"client_credentials"}, AllowedOAuthScopes: []string{"api/read"}},
			false, nil, "InvalidOAuthFlowException: client_credentials flow can not be selected if client does not have a client secret."},
		{"client credentials with openid", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"client_credentials"}, AllowedOAuthScopes: []string{"api/read", "openid"}},
			true, nil, "InvalidOAuthFlowException: openid is not supported with client_credentials flow"},
		{"client credentials with custom scopes", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"client_credentials"}, AllowedOAuthScopes: []string{"api/read", "https://svc.example.com/admin"}},
			true, nil, ""},
		{"unknown scope", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"client_credentials"}, AllowedOAuthScopes: []string{"api/delete"}},
			true, nil, "ScopeDoesNotExistException: Invalid scope requested: api/delete"},
		{"unknown server", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"code"}, AllowedOAuthScopes: []string{"openid", "other/read"}},
			false, []string{"https://example.com"}, "ScopeDoesNotExistException: Invalid scope requested: other/read"},
		{"scope without server", clientSettings{AllowedOAuthFlowsUserPoolClient: on, AllowedOAuthFlows: []idp.OAuthFlowType{"code"}, AllowedOAuthScopes: []string{"superpowers"}},
			false, []string{"https://example.com"}, "ScopeDoesNotExistException: Invalid scope requested: superpowers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.in.checkOAuth(tc.callbacks, clientEnv{HasSecret: tc.secret, ScopeExists: exists})
			if got := appErrText(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckAnalytics(t *testing.T) {
	const bad = "InvalidParameterException: Invalid analytics configuration given, either <application arn> or <application id, role arn, external id> are valid"
	s := cognito.Ptr[string]
	cases := []struct {
		name string
		in   *idp.AnalyticsConfigurationType
		want string
	}{
		{"none", nil, ""},
		{"arn", &idp.AnalyticsConfigurationType{ApplicationArn: s("arn:aws:mobiletargeting:us-east-1:123456789012:apps/abc")}, ""},
		{"arn in another region", &idp.AnalyticsConfigurationType{ApplicationArn: s("arn:aws:mobiletargeting:eu-west-1:123456789012:apps/abc")},
			"InvalidParameterException: The integration with Pinpoint is not supported for the requested eu-west-1 region."},
		{"arn and id", &idp.AnalyticsConfigurationType{ApplicationArn: s("arn:aws:mobiletargeting:us-east-1:123456789012:apps/abc"), ApplicationId: s("abc")}, bad},
		{"id and role", &idp.AnalyticsConfigurationType{ApplicationId: s("abc"), RoleArn: s("arn:aws:iam::123456789012:role/r"), ExternalId: s("x")}, ""},
		{"id without role", &idp.AnalyticsConfigurationType{ApplicationId: s("abc")}, bad},
		{"empty", &idp.AnalyticsConfigurationType{}, bad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := appErrText(checkAnalytics(tc.in, "us-east-1")); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClientSettingsApply checks the defaults a minimal client gets, and
// that an update leaving members out returns them to those defaults.
func TestClientSettingsApply(t *testing.T) {
	p := clientTestPool(t, "ESSENTIALS")
	env := clientEnv{Pool: p, Region: "us-east-1", Verb: "creating"}
	minimal := idp.UserPoolClientType{
		RefreshTokenValidity:                     cognito.Ptr(int32(30)),
		TokenValidityUnits:                       &idp.TokenValidityUnitsType{},
		AllowedOAuthFlowsUserPoolClient:          cognito.Ptr(false),
		EnableTokenRevocation:                    cognito.Ptr(true),
		EnablePropagateAdditionalUserContextData: cognito.Ptr(false),
		AuthSessionValidity:                      cognito.Ptr(int32(3)),
	}
	var c idp.UserPoolClientType
	if err := (clientSettings{}).apply(&c, env); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(minimal, c); diff != "" {
		t.Errorf("minimal client (-want +got):\n%s", diff)
	}

	full := clientSettings{
		AccessTokenValidity: cognito.Ptr(int32(30)), TokenValidityUnits: tokenUnits("minutes", "", ""),
		ExplicitAuthFlows:          []idp.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH"},
		CallbackURLs:               []string{"https://example.com/cb"},
		DefaultRedirectURI:         cognito.Ptr("https://example.com/cb"),
		SupportedIdentityProviders: []string{"COGNITO"},
		PreventUserExistenceErrors: cognito.Ptr(idp.PreventUserExistenceErrorTypes("ENABLED")),
		EnableTokenRevocation:      cognito.Ptr(false),
		AuthSessionValidity:        cognito.Ptr(int32(15)),
		RefreshTokenRotation:       &idp.RefreshTokenRotationType{Feature: cognito.Ptr(idp.FeatureType("ENABLED")), RetryGracePeriodSeconds: cognito.Ptr(int32(10))},
	}
	if err := full.apply(&c, env); err != nil {
		t.Fatal(err)
	}
	if cognito.Deref(c.AccessTokenValidity) != 30 || cognito.Deref(c.AuthSessionValidity) != 15 || cognito.Deref(c.EnableTokenRevocation) {
		t.Errorf("settings not applied: %+v", c)
	}
	if err := (clientSettings{}).apply(&c, env); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(minimal, c); diff != "" {
		t.Errorf("after an update that leaves everything out (-want +got):\n%s", diff)
	}
}

func TestClientApplyRules(t *testing.T) {
	p := clientTestPool(t, "ESSENTIALS")
	cases := []struct {
		name   string
		in     clientSettings
		secret bool
		want   string
	}{
		{"default redirect not a callback", clientSettings{CallbackURLs: []string{"https://a.example.com"}, DefaultRedirectURI: cognito.Ptr("https://b.example.com")}, false,
			"InvalidParameterException: The default redirect URI https://b.example.com is not in the callback URIs list."},
		{"default redirect without callbacks", clientSettings{DefaultRedirectURI: cognito.Ptr("https://b.example.com")}, false,
			"InvalidParameterException: The default redirect URI https://b.example.com is not in the callback URIs list."},
		{"logout over http", clientSettings{LogoutURLs: []string{"http://example.com/out"}}, false,
			"InvalidParameterException: http://example.com/out cannot use the HTTP protocol."},
		{"unknown identity provider", clientSettings{SupportedIdentityProviders: []string{"COGNITO", "Google"}}, false,
			"InvalidParameterException: The provider Google does not exist for User Pool us-east-1_test12345"},
		{"propagate without secret", clientSettings{EnablePropagateAdditionalUserContextData: cognito.Ptr(true)}, false,
			"InvalidParameterException: Client Secret is required to set EnablePropagateAdditionalUserContextData as true"},
		{"propagate with secret", clientSettings{EnablePropagateAdditionalUserContextData: cognito.Ptr(true)}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c idp.UserPoolClientType
			err := tc.in.apply(&c, clientEnv{Pool: p, Region: "us-east-1", HasSecret: tc.secret, Verb: "creating"})
			if got := appErrText(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClientTokenValidity(t *testing.T) {
	rec := &clientRecord{Client: idp.UserPoolClientType{RefreshTokenValidity: cognito.Ptr(int32(30))}}
	a, i, r := rec.tokenValidity()
	if a != time.Hour || i != time.Hour || r != 30*24*time.Hour {
		t.Errorf("defaults: access %v id %v refresh %v", a, i, r)
	}
	rec.Client.AccessTokenValidity = cognito.Ptr(int32(10))
	rec.Client.TokenValidityUnits = tokenUnits("minutes", "days", "hours")
	rec.Client.IdTokenValidity = cognito.Ptr(int32(1))
	a, i, r = rec.tokenValidity()
	if a != 10*time.Minute || i != 24*time.Hour || r != 30*time.Hour {
		t.Errorf("custom: access %v id %v refresh %v", a, i, r)
	}
}

func TestClientDescriptionShowsOldestSecret(t *testing.T) {
	rec := &clientRecord{
		Client:  idp.UserPoolClientType{ClientId: cognito.Ptr("abc")},
		Secrets: []clientSecret{{ID: "1", Value: "first"}, {ID: "2", Value: "second"}},
	}
	if got := cognito.Deref(rec.description().ClientSecret); got != "first" {
		t.Errorf("ClientSecret = %q, want first", got)
	}
	if rec.Client.ClientSecret != nil {
		t.Error("description changed the stored client")
	}
}
