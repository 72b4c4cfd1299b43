package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/cognate-dev/cognate/internal/userpool"
)

// socialStandIns are local stand-ins of Google, Facebook, Login with Amazon
// and Sign in with Apple, each speaking the provider's documented
// authorization, token and profile responses at the paths of its own
// endpoints, under one server:
//
//   - Google: an OpenID Connect provider (ID token RS256, iss the
//     configured oidc_issuer, nonce echoed, PKCE checked);
//   - Sign in with Apple: the authorization answers with response_mode
//     form_post (the test posts the form as the browser would, with the
//     user JSON of a first sign-in), the token endpoint takes only a
//     client_secret that is an ES256 JWT from the team's key (iss the team
//     ID, sub the Services ID, aud Apple's issuer, kid the key ID);
//   - Facebook: Graph API v17.0: access_token, then /me?fields= returning
//     only the fields asked for;
//   - Login with Amazon: access_token, then /user/profile with user_id.
type socialStandIns struct {
	URL      string
	key      *rsa.PrivateKey
	appleKey *ecdsa.PrivateKey
	// mu guards codes: what each code was issued for.
	mu    sync.Mutex
	codes map[string]issued
}

type issued struct {
	provider, clientID, redirectURI, nonce, challenge string
}

// socialUser is the one user every stand-in signs in.
const (
	socialSub   = "1234567890"
	socialEmail = "sam@example.com"
	socialName  = "Sam Social"
	appleTeam   = "TEAM123456"
	appleKeyID  = "KEY1234567"
)

func startSocialStandIns(t *testing.T) *socialStandIns {
	t.Helper()
	s := &socialStandIns{codes: map[string]issued{}}
	var err error
	if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if s.appleKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	authorize := func(provider string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			code := rand.Text()
			s.mu.Lock()
			s.codes[code] = issued{provider: provider, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
			s.mu.Unlock()
			if q.Get("response_mode") == "form_post" {
				// Apple posts the answer from the browser; the test reads
				// the fields and posts them.
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]string{
					"action": q.Get("redirect_uri"), "code": code, "state": q.Get("state"),
					"user": `{"name":{"firstName":"Sam","lastName":"Social"},"email":"` + socialEmail + `"}`,
				})
				return
			}
			http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
		}
	}
	// redeem checks a token request: the code, its client and redirect
	// URI, and the PKCE verifier when a challenge was sent.
	redeem := func(w http.ResponseWriter, r *http.Request, provider string) (issued, bool) {
		r.ParseForm()
		s.mu.Lock()
		is, ok := s.codes[r.Form.Get("code")]
		delete(s.codes, r.Form.Get("code"))
		s.mu.Unlock()
		clientID := r.Form.Get("client_id")
		if id, _, basic := r.BasicAuth(); basic {
			clientID = id
		}
		if !ok || is.provider != provider || is.clientID != clientID || is.redirectURI != r.Form.Get("redirect_uri") ||
			(is.challenge != "" && oauth2.S256ChallengeFromVerifier(r.Form.Get("code_verifier")) != is.challenge) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return is, false
		}
		return is, true
	}
	idToken := func(issuer string, is issued, extra map[string]any) string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "standin"))
		now := time.Now()
		claims := map[string]any{"iss": issuer, "aud": is.clientID, "sub": socialSub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": is.nonce}
		for k, v := range extra {
			claims[k] = v
		}
		tok, _ := jwt.Signed(sig).Claims(claims).Serialize()
		return tok
	}
	jwks := func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: "standin", Algorithm: "RS256", Use: "sig"}}})
	}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}

	// Google.
	mux.HandleFunc("GET /google/o/oauth2/v2/auth", authorize("google"))
	mux.HandleFunc("POST /google/oauth2/v4/token", func(w http.ResponseWriter, r *http.Request) {
		is, ok := redeem(w, r, "google")
		if !ok {
			return
		}
		writeJSON(w, map[string]any{"access_token": "google-at", "token_type": "Bearer", "expires_in": 3599,
			"id_token": idToken(s.URL+"/google", is, map[string]any{"email": socialEmail, "email_verified": true, "name": socialName})})
	})
	mux.HandleFunc("GET /google/oauth2/v3/certs", jwks)

	// Sign in with Apple.
	mux.HandleFunc("GET /apple/auth/authorize", authorize("apple"))
	mux.HandleFunc("POST /apple/auth/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		secret, err := jwt.ParseSigned(r.Form.Get("client_secret"), []jose.SignatureAlgorithm{jose.ES256})
		var claims jwt.Claims
		if err != nil || len(secret.Headers) != 1 || secret.Headers[0].KeyID != appleKeyID || secret.Claims(&s.appleKey.PublicKey, &claims) != nil ||
			claims.Issuer != appleTeam || claims.Subject != r.Form.Get("client_id") ||
			claims.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{s.URL + "/apple"}, Time: time.Now()}, 0) != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		is, ok := redeem(w, r, "apple")
		if !ok {
			return
		}
		writeJSON(w, map[string]any{"access_token": "apple-at", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "apple-rt",
			"id_token": idToken(s.URL+"/apple", is, map[string]any{"email": socialEmail, "email_verified": "true", "is_private_email": "false"})})
	})
	mux.HandleFunc("GET /apple/auth/keys", jwks)

	// Facebook (Graph API v17.0).
	mux.HandleFunc("GET /facebook/v17.0/dialog/oauth", authorize("facebook"))
	mux.HandleFunc("/facebook/v17.0/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := redeem(w, r, "facebook"); !ok {
			return
		}
		writeJSON(w, map[string]any{"access_token": "facebook-at", "token_type": "bearer", "expires_in": 5183944})
	})
	mux.HandleFunc("GET /facebook/v17.0/me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer facebook-at" && r.URL.Query().Get("access_token") != "facebook-at" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		all := map[string]any{"id": socialSub, "email": socialEmail, "name": socialName, "first_name": "Sam", "last_name": "Social"}
		out := map[string]any{}
		for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
			if v, ok := all[f]; ok {
				out[f] = v
			}
		}
		writeJSON(w, out)
	})

	// Login with Amazon.
	mux.HandleFunc("GET /amazon/ap/oa", authorize("amazon"))
	mux.HandleFunc("POST /amazon/auth/o2/token", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := redeem(w, r, "amazon"); !ok {
			return
		}
		writeJSON(w, map[string]any{"access_token": "Atza|amazon-at", "token_type": "bearer", "expires_in": 3600, "refresh_token": "Atzr|amazon-rt"})
	})
	mux.HandleFunc("GET /amazon/user/profile", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer Atza|amazon-at" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, map[string]any{"user_id": "amzn1.account." + socialSub, "name": socialName, "email": socialEmail})
	})

	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// endpoints are the stand-ins' endpoints as cognate's configuration
// names them (federation.endpoints).
func (s *socialStandIns) endpoints() map[string]map[string]string {
	return map[string]map[string]string{
		userpool.ProviderGoogle: {
			"authorize_url": s.URL + "/google/o/oauth2/v2/auth", "token_url": s.URL + "/google/oauth2/v4/token",
			"oidc_issuer": s.URL + "/google", "jwks_uri": s.URL + "/google/oauth2/v3/certs",
		},
		userpool.ProviderApple: {
			"authorize_url": s.URL + "/apple/auth/authorize", "token_url": s.URL + "/apple/auth/token",
			"oidc_issuer": s.URL + "/apple", "jwks_uri": s.URL + "/apple/auth/keys",
		},
		userpool.ProviderFacebook: {
			"authorize_url": s.URL + "/facebook/{v}/dialog/oauth", "token_url": s.URL + "/facebook/{v}/oauth/access_token",
			"attributes_url": s.URL + "/facebook/{v}/me?fields=",
		},
		userpool.ProviderAmazon: {
			"authorize_url": s.URL + "/amazon/ap/oa", "token_url": s.URL + "/amazon/auth/o2/token",
			"attributes_url": s.URL + "/amazon/user/profile",
		},
	}
}

// TestFederationSocial signs a user in through each social provider's
// stand-in on the hosted UI: the provider's button leads to its
// configured authorization endpoint, the answer (Apple's a form post) to
// /oauth2/idpresponse, and the app gets a code whose ID token go-oidc
// verifies, for the user <provider>_<subject> with the mapped attributes.
func TestFederationSocial(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			stand := startSocialStandIns(t)
			e := startWith(t, backend, func(o *userpool.Options) { o.ProviderEndpoints = stand.endpoints() })
			a := newApp(t, e, "social-"+backend, clientSpec{})
			ctx := context.Background()
			der, err := x509.MarshalPKCS8PrivateKey(stand.appleKey)
			if err != nil {
				t.Fatal(err)
			}
			applePEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
			providers := []struct {
				typ     types.IdentityProviderTypeType
				details map[string]string
				mapping map[string]string
				subject string
			}{
				{types.IdentityProviderTypeTypeGoogle, map[string]string{"client_id": "google-client", "client_secret": "google-secret", "authorize_scopes": "profile email openid"},
					map[string]string{"email": "email", "email_verified": "email_verified", "name": "name"}, socialSub},
				{types.IdentityProviderTypeTypeSignInWithApple, map[string]string{"client_id": "com.example.web", "team_id": appleTeam, "key_id": appleKeyID, "private_key": applePEM, "authorize_scopes": "email name"},
					map[string]string{"email": "email", "email_verified": "email_verified", "given_name": "firstName", "family_name": "lastName"}, socialSub},
				{types.IdentityProviderTypeTypeFacebook, map[string]string{"client_id": "facebook-app", "client_secret": "facebook-secret", "authorize_scopes": "public_profile,email", "api_version": "v17.0"},
					map[string]string{"email": "email", "name": "name"}, socialSub},
				{types.IdentityProviderTypeTypeLoginWithAmazon, map[string]string{"client_id": "amzn1.application-oa2-client.x", "client_secret": "amazon-secret", "authorize_scopes": "profile"},
					map[string]string{"email": "email", "name": "name"}, "amzn1.account." + socialSub},
			}
			names := []string{"COGNITO"}
			for _, p := range providers {
				if _, err := e.IDP.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{
					UserPoolId: aws.String(a.Pool), ProviderName: aws.String(string(p.typ)), ProviderType: p.typ,
					ProviderDetails: p.details, AttributeMapping: p.mapping,
				}); err != nil {
					t.Fatal(err)
				}
				names = append(names, string(p.typ))
			}
			if _, err := e.IDP.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
				UserPoolId: aws.String(a.Pool), ClientId: aws.String(a.ClientID), AllowedOAuthFlowsUserPoolClient: true,
				AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode}, AllowedOAuthScopes: []string{"openid", "email", "profile"},
				SupportedIdentityProviders: names, CallbackURLs: []string{callback},
			}); err != nil {
				t.Fatal(err)
			}
			cfg := &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: callback, Scopes: []string{"openid", "email", "profile"},
				Endpoint: oauth2.Endpoint{AuthURL: a.Domain + "/oauth2/authorize", TokenURL: a.Domain + "/oauth2/token"}}
			op, err := oidc.NewProvider(ctx, a.Issuer)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range providers {
				name := string(p.typ)
				t.Run(name, func(t *testing.T) {
					b := newBrowser(t, e)
					// The sign-in page's button for the provider.
					login := b.get(t, cfg.AuthCodeURL("s-"+name))
					m := strings.Index(login.Body, `id="provider-`+name+`" href="`)
					if login.Status != http.StatusOK || m < 0 {
						t.Fatalf("no %s button on the sign-in page (%d):\n%s", name, login.Status, login.Body)
					}
					href := login.Body[m+len(`id="provider-`+name+`" href="`):]
					href = html.UnescapeString(href[:strings.Index(href, `"`)])
					out := b.get(t, e.URL+href)
					if !strings.HasPrefix(out.Location, stand.URL) {
						t.Fatalf("the button led to %q (%d), not the provider", out.Location, out.Status)
					}
					// The provider's side: its answer comes back through the
					// browser, with the browser's cookies.
					direct := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
					res, err := direct.Get(out.Location)
					if err != nil {
						t.Fatal(err)
					}
					var back *page
					if p.typ == types.IdentityProviderTypeTypeSignInWithApple {
						var form map[string]string
						json.NewDecoder(res.Body).Decode(&form)
						res.Body.Close()
						if !strings.Contains(out.Location, "response_mode=form_post") {
							t.Errorf("Apple's authorization request has no response_mode=form_post: %s", out.Location)
						}
						req, _ := http.NewRequest(http.MethodPost, form["action"], strings.NewReader(url.Values{
							"code": {form["code"]}, "state": {form["state"]}, "user": {form["user"]}}.Encode()))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						back = b.do(t, req)
					} else {
						res.Body.Close()
						back = b.get(t, res.Header.Get("Location"))
					}
					cb := callbackOf(t, back)
					if cb.Query().Get("code") == "" || cb.Query().Get("state") != "s-"+name {
						t.Fatalf("callback %s", cb)
					}
					tok, err := cfg.Exchange(ctx, cb.Query().Get("code"))
					if err != nil {
						t.Fatal(err)
					}
					raw, _ := tok.Extra("id_token").(string)
					idt, err := op.Verifier(&oidc.Config{ClientID: a.ClientID}).Verify(ctx, raw)
					if err != nil {
						t.Fatal(err)
					}
					var claims map[string]any
					idt.Claims(&claims)
					if claims["cognito:username"] != name+"_"+p.subject || claims["email"] != socialEmail {
						t.Errorf("claims %v", claims)
					}
					switch p.typ {
					case types.IdentityProviderTypeTypeSignInWithApple:
						if claims["given_name"] != "Sam" || claims["family_name"] != "Social" || claims["email_verified"] != true {
							t.Errorf("Apple's name and verified email: %v", claims)
						}
					case types.IdentityProviderTypeTypeGoogle:
						if claims["name"] != socialName || claims["email_verified"] != true {
							t.Errorf("Google's claims: %v", claims)
						}
					default:
						if claims["name"] != socialName {
							t.Errorf("%s's profile: %v", name, claims)
						}
					}
				})
			}
		})
	}
}
