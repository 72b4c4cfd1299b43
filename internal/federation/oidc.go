package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Provider is an OpenID Connect provider as a pool stores it
// (ProviderDetails of an OIDC provider, or a social provider's endpoints).
type Provider struct {
	// Name is the provider's name in the pool, for errors and logs.
	Name                   string
	ClientID, ClientSecret string
	// Scopes are the authorize_scopes.
	Scopes []string
	// Issuer is oidc_issuer: the ID token's iss must be it.
	Issuer                                  string
	AuthURL, TokenURL, UserInfoURL, JWKSURL string
	// UserInfoMethod is attributes_request_method: GET or POST. With an
	// empty UserInfoURL there is no userInfo request.
	UserInfoMethod string
	// ProfileURL is, for a provider without ID tokens (an empty Issuer:
	// Facebook, Login with Amazon), the profile endpoint asked with the
	// access token; ProfileFields, when set, are appended to it
	// comma-separated (the Graph API's fields=); SubjectClaim is the
	// profile's member that identifies the user.
	ProfileURL    string
	ProfileFields []string
	SubjectClaim  string
	// ResponseMode is the authorization request's response_mode
	// (form_post for Sign in with Apple); empty for the default.
	ResponseMode string
}

// Identity is who signed in at a provider: the ID token's subject, and its
// claims merged with the userInfo response's (the ID token's win, so that
// userInfo cannot change who the token says signed in).
type Identity struct {
	Subject string
	Claims  map[string]any
	// TokenResponse, IDToken and UserInfo are what the provider answered,
	// each as it came (the InboundFederation trigger's attributes): the
	// token response's members, the ID token's claims, and the userInfo
	// (or profile) response; nil for a part the sign-in had none of.
	TokenResponse map[string]any
	IDToken       map[string]any
	UserInfo      map[string]any
}

// tokenResponse is the members of a token response: access_token,
// token_type, refresh_token and expires_in from tok, and the others
// (id_token, scope, …) as the provider sent them.
func tokenResponse(tok *oauth2.Token) map[string]any {
	out := map[string]any{"access_token": tok.AccessToken, "token_type": tok.TokenType}
	if tok.RefreshToken != "" {
		out["refresh_token"] = tok.RefreshToken
	}
	if tok.ExpiresIn != 0 {
		out["expires_in"] = tok.ExpiresIn
	}
	for _, k := range []string{"id_token", "scope"} {
		if v := tok.Extra(k); v != nil {
			out[k] = v
		}
	}
	return out
}

// Errors a sign-in at a provider ends in; the cause is wrapped for the log.
var (
	// ErrExchange is a token request the provider refused or that failed.
	ErrExchange = errors.New("the provider did not exchange the code")
	// ErrIDToken is an ID token that is missing or does not verify: its
	// signature, issuer, audience, expiry or nonce.
	ErrIDToken = errors.New("the provider's ID token is not valid")
	// ErrUserInfo is a userInfo request that failed, or whose subject is
	// not the ID token's.
	ErrUserInfo = errors.New("the provider's userInfo request failed")
)

// Client reaches providers.
type Client struct {
	// HTTP is the client providers are reached with; nil means one with a
	// 10-second timeout.
	HTTP *http.Client
}

func (c *Client) http() *http.Client {
	if c != nil && c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

func (p *Provider) config(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: redirectURI, Scopes: p.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL},
	}
}

// AuthCodeURL is where the user is sent to sign in at p: the authorization
// request with state, nonce and the PKCE challenge of verifier (S256;
// a provider that does not know PKCE ignores it, RFC 7636 §5).
func (c *Client) AuthCodeURL(p *Provider, redirectURI, state, nonce, verifier string) string {
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if p.ResponseMode != "" {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", p.ResponseMode))
	}
	return p.config(redirectURI).AuthCodeURL(state, opts...)
}

// Exchange redeems code at p's token endpoint with the PKCE verifier,
// verifies the ID token (signature with p's key set, issuer, audience
// p.ClientID, expiry, and nonce), and reads userInfo when p has an
// endpoint for it.
func (c *Client) Exchange(ctx context.Context, p *Provider, redirectURI, code, verifier, nonce string) (*Identity, error) {
	ctx = oidc.ClientContext(ctx, c.http())
	if p.Issuer == "" && p.ProfileURL != "" {
		return c.exchangeProfile(ctx, p, redirectURI, code, verifier)
	}
	tok, err := p.config(redirectURI).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrExchange, p.Name, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("%w: %s: no id_token in the token response", ErrIDToken, p.Name)
	}
	keys := oidc.NewRemoteKeySet(ctx, p.JWKSURL)
	v := oidc.NewVerifier(p.Issuer, keys, &oidc.Config{ClientID: p.ClientID})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrIDToken, p.Name, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return nil, fmt.Errorf("%w: %s: the nonce is not the one sent", ErrIDToken, p.Name)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrIDToken, p.Name, err)
	}
	id := &Identity{Subject: idt.Subject, TokenResponse: tokenResponse(tok), IDToken: maps.Clone(claims)}
	if p.UserInfoURL != "" {
		info, err := c.userInfo(ctx, p, tok)
		if err != nil {
			return nil, err
		}
		if sub, _ := info["sub"].(string); sub != idt.Subject {
			return nil, fmt.Errorf("%w: %s: userInfo is for another subject", ErrUserInfo, p.Name)
		}
		for k, v := range info {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
		id.UserInfo = info
	}
	id.Claims = claims
	return id, nil
}

// maxUserInfo bounds a userInfo response.
const maxUserInfo = 1 << 20

// userInfo asks p's userInfo endpoint about the token's user, with GET or
// POST as p says (OpenID Connect Core 1.0 §5.3.1), the access token as a
// bearer token.
func (c *Client) userInfo(ctx context.Context, p *Provider, tok *oauth2.Token) (map[string]any, error) {
	if p.UserInfoMethod != http.MethodPost {
		op := (&oidc.ProviderConfig{IssuerURL: p.Issuer, AuthURL: p.AuthURL, TokenURL: p.TokenURL, UserInfoURL: p.UserInfoURL, JWKSURL: p.JWKSURL}).NewProvider(ctx)
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
		}
		out := map[string]any{}
		if err := ui.Claims(&out); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
		}
		return out, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.UserInfoURL, strings.NewReader(""))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tok.SetAuthHeader(req)
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfo))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: status %s", ErrUserInfo, p.Name, resp.Status)
	}
	out := map[string]any{}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, p.Name, err)
	}
	return out, nil
}
