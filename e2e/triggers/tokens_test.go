package triggers

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// This file runs the pre-token-generation sources of the hosted UI, of a
// remembered device's sign-in and of the client_credentials grant, each
// through the Lambda runtime and the webhook.

const callbackURL = "https://app.example.com/callback"

// v2Config is a PreTokenGenerationConfig of version naming the test
// function.
func v2Config(version types.PreTokenGenerationLambdaVersionType) *types.LambdaConfigType {
	return &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{
		LambdaArn: aws.String(functionARN + "pre-token"), LambdaVersion: version,
	}}
}

// domain gives poolID the domain prefix and returns its base URL.
func (e *env) domain(t *testing.T, poolID, prefix string) string {
	t.Helper()
	if _, err := e.client().CreateUserPoolDomain(context.Background(), &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String(prefix)}); err != nil {
		t.Fatal(err)
	}
	return e.URL + "/_domain/" + prefix
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenIn   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// hostedSignIn opens authURL in a browser (an HTTP client with cookies that
// stops at the redirect back to the app), signs in on the sign-in page and
// returns the code the app is sent back with.
func (e *env) hostedSignIn(t *testing.T, authURL, user string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), e.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(body)
	m := formAction.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, `id="signin-form"`) {
		t.Fatalf("authorize: %d, not the sign-in page:\n%s", res.StatusCode, page)
	}
	form := url.Values{}
	for _, h := range hiddenIn.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	form.Set("username", user)
	form.Set("password", password)
	action, err := res.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("sign-in: %d, redirect %q, want the callback with a code", res.StatusCode, res.Header.Get("Location"))
	}
	return back.Query().Get("code")
}

// TestTokenGenerationHostedAuth signs a user in on the hosted UI's pages
// and redeems the code with golang.org/x/oauth2: the function (V2_0)
// receives TokenGeneration_HostedAuth with the scopes of the sign-in, and
// its claims and scopes are in the tokens the token endpoint issues.
func TestTokenGenerationHostedAuth(t *testing.T) {
	for _, tr := range []transport{viaLambda, viaWebhook} {
		t.Run(string(tr), func(t *testing.T) {
			e := start(t, "sqlite", tr, 5*time.Second)
			ctx := context.Background()
			c := e.client()
			p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("hosted"), LambdaConfig: v2Config("V2_0")})
			if err != nil {
				t.Fatal(err)
			}
			poolID := *p.UserPool.Id
			base := e.domain(t, poolID, "hosted-"+string(tr))
			cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
				UserPoolId: aws.String(poolID), ClientName: aws.String("web"), GenerateSecret: true,
				AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
				AllowedOAuthScopes: []string{"openid", "email", "aws.cognito.signin.user.admin"}, CallbackURLs: []string{callbackURL},
				SupportedIdentityProviders: []string{"COGNITO"},
			})
			if err != nil {
				t.Fatal(err)
			}
			clientID := *cl.UserPoolClient.ClientId
			sub := e.user(t, poolID, "hope")
			e.events(t)
			cfg := &oauth2.Config{
				ClientID: clientID, ClientSecret: *cl.UserPoolClient.ClientSecret, RedirectURL: callbackURL,
				Scopes:   []string{"openid", "email", "aws.cognito.signin.user.admin"},
				Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
			}
			code := e.hostedSignIn(t, cfg.AuthCodeURL("st"), "hope")
			tok, err := cfg.Exchange(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			var tg events.CognitoEventUserPoolsPreTokenGenV2_0
			only(t, e.events(t), "TokenGeneration_HostedAuth", &tg)
			want := events.CognitoEventUserPoolsPreTokenGenV2_0{
				CognitoEventUserPoolsHeader: header("2", "TokenGeneration_HostedAuth", poolID, clientID, "hope"),
				Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{
					UserAttributes:     attrs("hope", sub),
					GroupConfiguration: events.GroupConfigurationV2_0{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
					Scopes:             []string{"openid", "email", "aws.cognito.signin.user.admin"},
				},
			}
			if d := cmp.Diff(want, tg); d != "" {
				t.Errorf("event (-want +got):\n%s", d)
			}
			at := claims(t, tok.AccessToken)
			for k, v := range map[string]any{"tier": "gold", "client_id": clientID, "scope": "openid email orders/read", "sub": sub} {
				if d := cmp.Diff(v, at[k]); d != "" {
					t.Errorf("access token claim %s (-want +got):\n%s", k, d)
				}
			}
			idToken, _ := tok.Extra("id_token").(string)
			id := claims(t, idToken)
			if id["tier"] != "gold" || id["given_name"] != nil {
				t.Errorf("ID token claims %v: want tier, no given_name", id)
			}
		})
	}
}

// TestTokenGenerationAuthenticateDevice remembers a device at a sign-in
// with SRP and signs in on it (PASSWORD_VERIFIER with DEVICE_KEY, then
// DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER): the tokens of the
// device's sign-in are TokenGeneration_AuthenticateDevice.
func TestTokenGenerationAuthenticateDevice(t *testing.T) {
	for _, tr := range []transport{viaLambda, viaWebhook} {
		t.Run(string(tr), func(t *testing.T) {
			e := start(t, "sqlite", tr, 5*time.Second)
			ctx := context.Background()
			c := e.client()
			p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
				PoolName: aws.String("devices"), LambdaConfig: &types.LambdaConfigType{PreTokenGeneration: aws.String(functionARN + "pre-token")},
				DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
			})
			if err != nil {
				t.Fatal(err)
			}
			poolID := *p.UserPool.Id
			cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
				UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
				ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
			})
			if err != nil {
				t.Fatal(err)
			}
			clientID := *cl.UserPoolClient.ClientId
			sub := e.user(t, poolID, "ivan")
			_, poolName, _ := strings.Cut(poolID, "_")

			// passwordVerifier starts USER_SRP_AUTH and answers
			// PASSWORD_VERIFIER, with the device key when there is one.
			passwordVerifier := func(deviceKey string) *cip.RespondToAuthChallengeOutput {
				t.Helper()
				sc := newSRPClient(t)
				out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "ivan", "SRP_A": sc.srpA()},
				})
				if err != nil {
					t.Fatal(err)
				}
				ts, sig := sc.claim(t, poolName, out.ChallengeParameters["USER_ID_FOR_SRP"], password, out.ChallengeParameters)
				resp := map[string]string{
					"USERNAME": "ivan", "PASSWORD_CLAIM_SECRET_BLOCK": out.ChallengeParameters["SECRET_BLOCK"],
					"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				}
				if deviceKey != "" {
					resp["DEVICE_KEY"] = deviceKey
				}
				res, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: resp,
				})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			first := passwordVerifier("")
			meta := first.AuthenticationResult.NewDeviceMetadata
			if meta == nil {
				t.Fatal("no NewDeviceMetadata")
			}
			key, groupKey, secret := *meta.DeviceKey, *meta.DeviceGroupKey, "the-device-secret"
			salt, verifier := deviceVerifier(t, groupKey, key, secret)
			if _, err := c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
				AccessToken: first.AuthenticationResult.AccessToken, DeviceKey: meta.DeviceKey,
				DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{Salt: aws.String(salt), PasswordVerifier: aws.String(verifier)},
			}); err != nil {
				t.Fatal(err)
			}
			e.events(t)

			out := passwordVerifier(key)
			if out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
				t.Fatalf("answer with DEVICE_KEY = %s, want DEVICE_SRP_AUTH", out.ChallengeName)
			}
			dc := newSRPClient(t)
			out, err = c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDeviceSrpAuth, Session: out.Session,
				ChallengeResponses: map[string]string{"USERNAME": "ivan", "DEVICE_KEY": key, "SRP_A": dc.srpA()},
			})
			if err != nil || out.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
				t.Fatalf("DEVICE_SRP_AUTH = %v %v, want DEVICE_PASSWORD_VERIFIER", out, err)
			}
			ts, sig := dc.claim(t, groupKey, key, secret, out.ChallengeParameters)
			done, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier, Session: out.Session,
				ChallengeResponses: map[string]string{
					"USERNAME": "ivan", "DEVICE_KEY": key, "PASSWORD_CLAIM_SECRET_BLOCK": out.ChallengeParameters["SECRET_BLOCK"],
					"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				},
			})
			if err != nil || done.AuthenticationResult == nil {
				t.Fatalf("DEVICE_PASSWORD_VERIFIER = %v %v, want tokens", done, err)
			}
			var tg events.CognitoEventUserPoolsPreTokenGen
			only(t, e.events(t), "TokenGeneration_AuthenticateDevice", &tg)
			want := events.CognitoEventUserPoolsPreTokenGen{
				CognitoEventUserPoolsHeader: header("1", "TokenGeneration_AuthenticateDevice", poolID, clientID, "ivan"),
				Request: events.CognitoEventUserPoolsPreTokenGenRequest{
					UserAttributes:     attrs("ivan", sub),
					GroupConfiguration: events.GroupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
					ClientMetadata:     map[string]string{},
				},
			}
			if d := cmp.Diff(want, tg); d != "" {
				t.Errorf("event (-want +got):\n%s", d)
			}
			if id := claims(t, *done.AuthenticationResult.IdToken); id["tier"] != "gold" {
				t.Errorf("ID token claims %v: want the function's tier", id)
			}
		})
	}
}

// TestTokenGenerationClientCredentials: the client_credentials grant,
// through golang.org/x/oauth2/clientcredentials with aws_client_metadata,
// invokes a V3_0 function as TokenGeneration_ClientCredentials (no user,
// the scopes granted, the metadata) and the token carries its claims and
// scopes but not its change to a reserved claim; a V2_0 function is not
// invoked; an unreachable V3_0 function issues nothing.
func TestTokenGenerationClientCredentials(t *testing.T) {
	for _, tr := range []transport{viaLambda, viaWebhook} {
		t.Run(string(tr), func(t *testing.T) {
			e := start(t, "sqlite", tr, 5*time.Second)
			ctx := context.Background()
			c := e.client()
			machine := func(t *testing.T, lc *types.LambdaConfigType, prefix string) (poolID string, cfg *clientcredentials.Config) {
				t.Helper()
				p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("m2m"), LambdaConfig: lc})
				if err != nil {
					t.Fatal(err)
				}
				poolID = *p.UserPool.Id
				base := e.domain(t, poolID, prefix)
				if _, err := c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
					UserPoolId: aws.String(poolID), Identifier: aws.String("api"), Name: aws.String("api"),
					Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}},
				}); err != nil {
					t.Fatal(err)
				}
				cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
					UserPoolId: aws.String(poolID), ClientName: aws.String("machine"), GenerateSecret: true,
					AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
					AllowedOAuthScopes: []string{"api/read"},
				})
				if err != nil {
					t.Fatal(err)
				}
				return poolID, &clientcredentials.Config{
					ClientID: *cl.UserPoolClient.ClientId, ClientSecret: *cl.UserPoolClient.ClientSecret,
					TokenURL: base + "/oauth2/token", Scopes: []string{"api/read"}, AuthStyle: oauth2.AuthStyleInHeader,
					EndpointParams: url.Values{"aws_client_metadata": {`{"tenant":"t-1"}`}},
				}
			}

			poolID, cfg := machine(t, v2Config("V3_0"), "m2m-v3-"+string(tr))
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var tg events.CognitoEventUserPoolsPreTokenGenV2_0
			only(t, e.events(t), "TokenGeneration_ClientCredentials", &tg)
			want := events.CognitoEventUserPoolsPreTokenGenV2_0{
				CognitoEventUserPoolsHeader: header("3", "TokenGeneration_ClientCredentials", poolID, cfg.ClientID, ""),
				Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{
					UserAttributes:     map[string]string{},
					GroupConfiguration: events.GroupConfigurationV2_0{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
					ClientMetadata:     map[string]string{"tenant": "t-1"},
					Scopes:             []string{"api/read"},
				},
			}
			if d := cmp.Diff(want, tg); d != "" {
				t.Errorf("event (-want +got):\n%s", d)
			}
			at := claims(t, tok.AccessToken)
			for k, v := range map[string]any{"tier": "gold", "client_id": cfg.ClientID, "sub": cfg.ClientID, "scope": "api/read orders/read", "token_use": "access"} {
				if d := cmp.Diff(v, at[k]); d != "" {
					t.Errorf("access token claim %s (-want +got):\n%s", k, d)
				}
			}

			t.Run("V2_0 is not invoked", func(t *testing.T) {
				_, cfg := machine(t, v2Config("V2_0"), "m2m-v2-"+string(tr))
				tok, err := cfg.Token(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if evs := e.events(t); len(evs) != 0 {
					t.Errorf("%d events for a V2_0 function", len(evs))
				}
				if at := claims(t, tok.AccessToken); at["tier"] != nil || at["scope"] != "api/read" {
					t.Errorf("access token %v", at)
				}
			})
			t.Run("unreachable", func(t *testing.T) {
				_, cfg := machine(t, &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{
					LambdaArn: aws.String(unreachableARN), LambdaVersion: "V3_0"}}, "m2m-gone-"+string(tr))
				_, err := cfg.Token(ctx)
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_request" {
					t.Fatalf("token with an unreachable function: %v, want 400 invalid_request", err)
				}
			})
		})
	}
}
