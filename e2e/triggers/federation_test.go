package triggers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

// This file runs the triggers of a sign-in through an OpenID Connect
// provider on the hosted UI: InboundFederation, PreSignUp_ExternalProvider
// and PostConfirmation_ConfirmSignUp at the first sign-in,
// PostAuthentication and TokenGeneration_HostedAuth at every one.

// oidcStandIn is an OpenID Connect provider: discovery, an authorization
// endpoint that signs its one user in at once, a token endpoint (code,
// PKCE, an RS256 ID token with the nonce), its keys and userInfo.
type oidcStandIn struct {
	URL string
	key *rsa.PrivateKey
	// mu guards codes and last: what each code was issued for, and the
	// ID token and claims of the last token response.
	mu    sync.Mutex
	codes map[string]url.Values
	last  struct {
		idToken string
		claims  map[string]string
	}
}

const (
	fedSubject = "upstream-subject-1"
	fedEmail   = "fed@example.com"
)

func startOIDCStandIn(t *testing.T) *oidcStandIn {
	t.Helper()
	s := &oidcStandIn{codes: map[string]url.Values{}}
	var err error
	if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{
			"issuer": s.URL, "authorization_endpoint": s.URL + "/authorize", "token_endpoint": s.URL + "/token",
			"userinfo_endpoint": s.URL + "/userinfo", "jwks_uri": s.URL + "/jwks",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := rand.Text()
		s.mu.Lock()
		s.codes[code] = q
		s.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s.mu.Lock()
		defer s.mu.Unlock()
		q, ok := s.codes[r.Form.Get("code")]
		delete(s.codes, r.Form.Get("code"))
		if !ok || oauth2.S256ChallengeFromVerifier(r.Form.Get("code_verifier")) != q.Get("code_challenge") {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		now := time.Now().Unix()
		claims := map[string]any{"iss": s.URL, "aud": q.Get("client_id"), "sub": fedSubject, "iat": now, "exp": now + 3600,
			"nonce": q.Get("nonce"), "email": fedEmail, "given_name": "Upstream"}
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		tok, _ := jwt.Signed(sig).Claims(claims).Serialize()
		s.last.idToken = tok
		s.last.claims = map[string]string{}
		for k, v := range claims {
			switch x := v.(type) {
			case string:
				s.last.claims[k] = x
			case int64:
				s.last.claims[k] = strconv.FormatInt(x, 10)
			}
		}
		writeJSON(w, map[string]any{"access_token": "standin-access", "token_type": "Bearer", "expires_in": 3600, "id_token": tok})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer standin-access" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, map[string]any{"sub": fedSubject, "email": fedEmail, "locale": "en-GB"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// lastToken returns the ID token and its claims (as strings) of the last
// token response.
func (s *oidcStandIn) lastToken() (string, map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.idToken, s.last.claims
}

// fedApp is a pool with a domain, an OIDC provider per name, and an app
// client that signs in through them.
type fedApp struct {
	poolID, clientID string
	cfg              *oauth2.Config
}

func (e *env) fedApp(t *testing.T, prefix string, lc *types.LambdaConfigType, stand *oidcStandIn, providers ...string) *fedApp {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("federated"), LambdaConfig: lc})
	if err != nil {
		t.Fatal(err)
	}
	poolID := *p.UserPool.Id
	base := e.domain(t, poolID, prefix)
	for _, name := range providers {
		if _, err := c.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
			UserPoolId: aws.String(poolID), ProviderName: aws.String(name), ProviderType: types.IdentityProviderTypeTypeOidc,
			ProviderDetails: map[string]string{"client_id": "cognate-at-standin", "client_secret": "standin-secret",
				"oidc_issuer": stand.URL, "authorize_scopes": "openid email"},
			AttributeMapping: map[string]string{"email": "email", "given_name": "given_name"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("web"), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{callbackURL},
		SupportedIdentityProviders: providers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fedApp{poolID: poolID, clientID: *cl.UserPoolClient.ClientId, cfg: &oauth2.Config{
		ClientID: *cl.UserPoolClient.ClientId, ClientSecret: *cl.UserPoolClient.ClientSecret, RedirectURL: callbackURL,
		Scopes:   []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
	}}
}

// signIn sends a browser (an HTTP client with cookies) to the app's
// authorize URL naming provider and follows the redirects through the
// provider and /oauth2/idpresponse back to the app, whose callback it
// returns.
func (a *fedApp) signIn(t *testing.T, provider string) url.Values {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := url.Parse(callbackURL)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == app.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := c.Get(a.cfg.AuthCodeURL("app-state", oauth2.SetAuthURLParam("identity_provider", provider)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Host != app.Host || back.Query().Get("state") != "app-state" {
		t.Fatalf("sign-in through %s: %d, redirect %q, want the app's callback", provider, res.StatusCode, res.Header.Get("Location"))
	}
	return back.Query()
}

// fedTriggers names the test function for every trigger a federated
// sign-in invokes.
func fedTriggers() *types.LambdaConfigType {
	return &types.LambdaConfigType{
		PreSignUp: aws.String(functionARN + "pre-sign-up"), PostConfirmation: aws.String(functionARN + "post-confirmation"),
		PostAuthentication: aws.String(functionARN + "post-auth"), PreTokenGeneration: aws.String(functionARN + "pre-token"),
		InboundFederation: &types.InboundFederationLambdaType{LambdaArn: aws.String(functionARN + "inbound"), LambdaVersion: types.InboundFederationLambdaVersionTypeV10},
	}
}

// TestFederatedSignInTriggers signs a user in twice through an OIDC
// provider (named "auto", so that PreSignUp verifies its email address):
// the first sign-in invokes InboundFederation, PreSignUp_ExternalProvider,
// PostConfirmation_ConfirmSignUp and PostAuthentication, the second only
// InboundFederation and PostAuthentication, and each code's redemption
// TokenGeneration_HostedAuth; every event is compared with its
// aws-lambda-go type. The user has the attributes InboundFederation
// answered, its email verified by PreSignUp, and its sign-ins are recorded
// with no challenge of the pool.
func TestFederatedSignInTriggers(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				ctx := context.Background()
				stand := startOIDCStandIn(t)
				e := start(t, backend, tr, 5*time.Second)
				a := e.fedApp(t, "fed-"+backend+"-"+string(tr), fedTriggers(), stand, "auto")
				c := e.client()
				user := "auto_" + fedSubject
				for round := 1; round <= 2; round++ {
					cb := a.signIn(t, "auto")
					if cb.Get("code") == "" {
						t.Fatalf("round %d: callback %v, want a code", round, cb)
					}
					evs := e.events(t)
					idToken, idClaims := stand.lastToken()
					var inbound events.CognitoEventUserPoolsInboundFederation
					only(t, evs, "InboundFederation_ExternalProvider", &inbound)
					wantInbound := events.CognitoEventUserPoolsInboundFederation{
						CognitoEventUserPoolsHeader: header("1", "InboundFederation_ExternalProvider", a.poolID, a.clientID, user),
						Request: events.CognitoEventUserPoolsInboundFederationRequest{
							ProviderName: "auto", ProviderType: events.CognitoFederationProviderType("OIDC"),
							Attributes: events.CognitoEventUserPoolsInboundFederationAttributes{
								TokenResponse: map[string]string{"access_token": "standin-access", "token_type": "Bearer", "expires_in": "3600", "id_token": idToken},
								IDToken:       idClaims,
								UserInfo:      map[string]string{"sub": fedSubject, "email": fedEmail, "locale": "en-GB"},
							},
						},
						Response: events.CognitoEventUserPoolsInboundFederationResponse{UserAttributesToMap: map[string]string{}},
					}
					if d := cmp.Diff(wantInbound, inbound); d != "" {
						t.Errorf("round %d: InboundFederation event (-want +got):\n%s", round, d)
					}
					sources := map[string]int{}
					for _, ev := range evs {
						sources[ev.source]++
					}
					if round == 1 {
						var pre events.CognitoEventUserPoolsPreSignup
						only(t, evs, "PreSignUp_ExternalProvider", &pre)
						wantPre := events.CognitoEventUserPoolsPreSignup{
							CognitoEventUserPoolsHeader: header("1", "PreSignUp_ExternalProvider", a.poolID, a.clientID, user),
							Request: events.CognitoEventUserPoolsPreSignupRequest{
								UserAttributes: map[string]string{"email": fedEmail, "given_name": "Inbound"},
								ValidationData: map[string]string{}, ClientMetadata: map[string]string{},
							},
						}
						if d := cmp.Diff(wantPre, pre); d != "" {
							t.Errorf("PreSignUp event (-want +got):\n%s", d)
						}
						var conf events.CognitoEventUserPoolsPostConfirmation
						only(t, evs, "PostConfirmation_ConfirmSignUp", &conf)
						if conf.CognitoEventUserPoolsHeader != header("1", "PostConfirmation_ConfirmSignUp", a.poolID, a.clientID, user) ||
							conf.Request.UserAttributes["cognito:user_status"] != "EXTERNAL_PROVIDER" || conf.Request.UserAttributes["email_verified"] != "true" ||
							conf.Request.UserAttributes["given_name"] != "Inbound" || conf.Request.UserAttributes["sub"] == "" {
							t.Errorf("PostConfirmation event %+v", conf)
						}
					} else if sources["PreSignUp_ExternalProvider"]+sources["PostConfirmation_ConfirmSignUp"] != 0 {
						t.Errorf("a second sign-in invoked %v, want no PreSignUp or PostConfirmation", sources)
					}
					var post events.CognitoEventUserPoolsPostAuthentication
					only(t, evs, "PostAuthentication_Authentication", &post)
					if post.CognitoEventUserPoolsHeader != header("1", "PostAuthentication_Authentication", a.poolID, a.clientID, user) ||
						post.Request.UserAttributes["email"] != fedEmail || post.Request.UserAttributes["cognito:user_status"] != "EXTERNAL_PROVIDER" {
						t.Errorf("PostAuthentication event %+v", post)
					}
					if len(evs) != map[int]int{1: 4, 2: 2}[round] {
						t.Errorf("round %d: events %v", round, sources)
					}

					tok, err := a.cfg.Exchange(ctx, cb.Get("code"))
					if err != nil {
						t.Fatal(err)
					}
					var tg events.CognitoEventUserPoolsPreTokenGen
					only(t, e.events(t), "TokenGeneration_HostedAuth", &tg)
					if tg.CognitoEventUserPoolsHeader != header("1", "TokenGeneration_HostedAuth", a.poolID, a.clientID, user) ||
						tg.Request.UserAttributes["email"] != fedEmail || !cmp.Equal(tg.Request.GroupConfiguration.GroupsToOverride, []string{a.poolID + "_auto"}) {
						t.Errorf("TokenGeneration_HostedAuth event %+v", tg)
					}
					idt, _ := tok.Extra("id_token").(string)
					id := claims(t, idt)
					if id["cognito:username"] != user || id["tier"] != "gold" || id["email_verified"] != true {
						t.Errorf("round %d: ID token claims %v", round, id)
					}
				}
				u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(a.poolID), Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, at := range u.UserAttributes {
					got[*at.Name] = *at.Value
				}
				if u.UserStatus != types.UserStatusTypeExternalProvider || got["given_name"] != "Inbound" || got["email_verified"] != "true" {
					t.Errorf("user %s %v", u.UserStatus, got)
				}
				if _, err := c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(a.poolID), LambdaConfig: fedTriggers(),
					UserPoolTier: types.UserPoolTierTypePlus, UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}}); err != nil {
					t.Fatal(err)
				}
				a.signIn(t, "auto")
				e.events(t)
				evs, err := c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(a.poolID), Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				if len(evs.AuthEvents) == 0 {
					t.Fatal("no auth event for the federated sign-in")
				}
				ev := evs.AuthEvents[0]
				if ev.EventType != types.EventTypeSignIn || ev.EventResponse != types.EventResponseTypePass || len(ev.ChallengeResponses) != 0 {
					t.Errorf("auth event %s %s %+v, want SignIn Pass with no challenge responses", ev.EventType, ev.EventResponse, ev.ChallengeResponses)
				}
			})
		}
	}
}

// TestFederatedSignInTriggerFailures refuses federated sign-ins in each
// trigger: the error goes back to the app's redirect URI as Cognito sends
// it (error=invalid_request, error_description the exception's message), a
// refusal before the user is written leaves no user, and one after it
// (PostConfirmation, PostAuthentication) leaves the user.
func TestFederatedSignInTriggerFailures(t *testing.T) {
	stand := startOIDCStandIn(t)
	e := start(t, "sqlite", viaLambda, 5*time.Second)
	cases := []struct {
		provider, desc string
		userKept       bool
	}{
		{"inbound.deny", "InboundFederation failed with error Denied by the test function.", false},
		{"presignup.deny", "PreSignUp failed with error Denied by the test function.", false},
		{"postconfirm.deny", "PostConfirmation failed with error Denied by the test function.", true},
		{"postauth.deny", "PostAuthentication failed with error Denied by the test function.", true},
	}
	names := make([]string, len(cases))
	for i, tc := range cases {
		names[i] = tc.provider
	}
	a := e.fedApp(t, "fed-failures", fedTriggers(), stand, names...)
	c := e.client()
	for _, tc := range cases {
		t.Run(tc.provider, func(t *testing.T) {
			cb := a.signIn(t, tc.provider)
			if cb.Get("code") != "" || cb.Get("error") != "invalid_request" || cb.Get("error_description") != tc.desc {
				t.Errorf("callback %v, want error=invalid_request and %q", cb, tc.desc)
			}
			e.events(t)
			_, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(a.poolID), Username: aws.String(tc.provider + "_" + fedSubject)})
			var nf *types.UserNotFoundException
			if tc.userKept && err != nil {
				t.Errorf("the user is gone: %v", err)
			}
			if !tc.userKept && !errors.As(err, &nf) {
				t.Errorf("AdminGetUser: %v, want UserNotFoundException (no user written)", err)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		lc := fedTriggers()
		lc.InboundFederation.LambdaArn = aws.String(unreachableARN)
		b := e.fedApp(t, "fed-unreachable", lc, stand, "Upstream")
		cb := b.signIn(t, "Upstream")
		if cb.Get("error") != "invalid_request" || !strings.HasPrefix(cb.Get("error_description"), "InboundFederation invocation failed due to error ") {
			t.Errorf("callback %v, want error=invalid_request and UnexpectedLambdaException's message", cb)
		}
		e.events(t)
		_, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(b.poolID), Username: aws.String("Upstream_" + fedSubject)})
		var nf *types.UserNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("AdminGetUser: %v, want UserNotFoundException (no user written)", err)
		}
	})
}
