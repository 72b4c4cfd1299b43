package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// This file is the scenarios of a pool domain's OAuth 2.0 endpoints:
// client-credentials (the token endpoint's client_credentials grant) and
// code-flow (the hosted UI's sign-in page, then the authorization code
// exchanged with its PKCE verifier), driven by golang.org/x/oauth2 as an
// application drives them. They need the pool's prefix domain, a resource
// server with a scope and two app clients, made on first use and deleted
// with the run.

// CallbackURL is the code-flow app client's callback: the bench stops at
// the redirect there and exchanges the code it carries.
const CallbackURL = "https://bench.example.com/callback"

// oauthApp is what the OAuth scenarios use in the target's pool.
type oauthApp struct {
	once sync.Once
	err  error
	// prefix is the pool's domain prefix; ownDomain says the bench made it.
	prefix    string
	ownDomain bool
	// resourceServer is the identifier of the resource server the bench
	// made ("" for none yet), scope its scope.
	resourceServer, scope string
	// The client_credentials client and the authorization-code client.
	ccClient, ccSecret     string
	codeClient, codeSecret string
	// base is the domain's base URL: the endpoint's /_domain/<prefix>.
	base string
	// http is the client of the token endpoint, keeping connections alive.
	http *http.Client
}

// oauthApp makes, once, the domain, resource server and app clients of
// the OAuth scenarios. An endpoint without pool domains (cognito-local)
// fails here, and the scenarios are skipped there.
func (t *target) oauthApp(ctx context.Context) (*oauthApp, error) {
	a := &t.oauth
	a.once.Do(func() { a.err = t.makeOAuthApp(ctx, a) })
	return a, a.err
}

func (t *target) makeOAuthApp(ctx context.Context, a *oauthApp) error {
	desc, err := t.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &t.poolID})
	if err != nil {
		return fmt.Errorf("describe the pool: %w", err)
	}
	a.prefix = aws.ToString(desc.UserPool.Domain)
	if a.prefix == "" {
		a.prefix = "cognate-bench-" + t.runID
		if _, err := t.c.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: &t.poolID, Domain: &a.prefix}); err != nil {
			return fmt.Errorf("create the pool's domain: %w", err)
		}
		a.ownDomain = true
	}
	id := "cognate-bench-" + t.runID
	if _, err := t.c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
		UserPoolId: &t.poolID, Identifier: &id, Name: &id,
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}},
	}); err != nil {
		return fmt.Errorf("create the resource server: %w", err)
	}
	a.resourceServer, a.scope = id, id+"/read"
	cc, err := t.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: &t.poolID, ClientName: aws.String("cognate-bench-cc-" + t.runID), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthScopes: []string{a.scope},
	})
	if err != nil {
		return fmt.Errorf("create the client_credentials app client: %w", err)
	}
	a.ccClient, a.ccSecret = aws.ToString(cc.UserPoolClient.ClientId), aws.ToString(cc.UserPoolClient.ClientSecret)
	code, err := t.c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: &t.poolID, ClientName: aws.String("cognate-bench-code-" + t.runID), GenerateSecret: true,
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{CallbackURL},
		SupportedIdentityProviders: []string{"COGNITO"},
	})
	if err != nil {
		return fmt.Errorf("create the authorization-code app client: %w", err)
	}
	a.codeClient, a.codeSecret = aws.ToString(code.UserPoolClient.ClientId), aws.ToString(code.UserPoolClient.ClientSecret)
	a.base = strings.TrimSuffix(t.cfg.Endpoint, "/") + "/_domain/" + a.prefix
	a.http = &http.Client{Transport: t.httpTransport}
	return nil
}

// deleteOAuthApp deletes what oauthApp made, the domain last (a pool with
// a domain cannot be deleted).
func (t *target) deleteOAuthApp(ctx context.Context) error {
	a := &t.oauth
	var errs []error
	for _, id := range []string{a.ccClient, a.codeClient} {
		if id == "" {
			continue
		}
		if _, err := t.c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: &t.poolID, ClientId: aws.String(id)}); err != nil {
			errs = append(errs, fmt.Errorf("delete app client %s: %w", id, err))
		}
	}
	if a.resourceServer != "" {
		if _, err := t.c.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: &t.poolID, Identifier: &a.resourceServer}); err != nil {
			errs = append(errs, fmt.Errorf("delete resource server %s: %w", a.resourceServer, err))
		}
	}
	if a.ownDomain {
		if _, err := t.c.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: &t.poolID, Domain: &a.prefix}); err != nil {
			errs = append(errs, fmt.Errorf("delete the pool's domain %s: %w", a.prefix, err))
		}
	}
	return errors.Join(errs...)
}

// clientCredentialsWorker gets an access token for the resource server's
// scope from the token endpoint per iteration: grant_type
// client_credentials, the client authenticated with HTTP Basic.
func clientCredentialsWorker(ctx context.Context, t *target, _ *rand.Rand) (iteration, error) {
	a, err := t.oauthApp(ctx)
	if err != nil {
		return nil, err
	}
	cfg := clientcredentials.Config{
		ClientID: a.ccClient, ClientSecret: a.ccSecret, TokenURL: a.base + "/oauth2/token",
		Scopes: []string{a.scope}, AuthStyle: oauth2.AuthStyleInHeader,
	}
	return func(ctx context.Context, c call) error {
		return c("POST /oauth2/token", func() error {
			// Config.Token asks the endpoint every time (a TokenSource
			// would reuse the token until it expires).
			tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, a.http))
			if err != nil {
				return err
			}
			if tok.AccessToken == "" {
				return errors.New("client_credentials answered no access token")
			}
			return nil
		})
	}, nil
}

// codeFlowWorker signs a random preloaded user in through the hosted UI
// per iteration, as a browser with no session and an app would: GET
// /oauth2/authorize with a PKCE challenge (redirected to the sign-in
// page), POST the sign-in form (redirected to the app's callback with a
// code), then the app's token request with the code and the verifier
// (access, ID and refresh tokens).
func codeFlowWorker(ctx context.Context, t *target, rng *rand.Rand) (iteration, error) {
	a, err := t.oauthApp(ctx)
	if err != nil {
		return nil, err
	}
	cfg := &oauth2.Config{
		ClientID: a.codeClient, ClientSecret: a.codeSecret, RedirectURL: CallbackURL, Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: a.base + "/oauth2/authorize", TokenURL: a.base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
	}
	endpoint, err := url.Parse(t.cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c call) error {
		// A browser with no cookies: each iteration signs in.
		jar, _ := cookiejar.New(nil) // cookiejar.New never fails without options
		browser := &http.Client{Transport: t.httpTransport, Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Host != endpoint.Host {
				return http.ErrUseLastResponse // to the app: the bench takes it from here
			}
			return nil
		}}
		verifier := oauth2.GenerateVerifier()
		state := randomState()
		user := UserName(t.randomUser(rng))
		var action string
		var form url.Values
		if err := c("GET /oauth2/authorize", func() error {
			res, err := browser.Get(cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("authorize: status %d at %s, want the sign-in page", res.StatusCode, res.Request.URL)
			}
			action, form, err = parseForm(io.LimitReader(res.Body, maxBody), "signin-form")
			if err != nil {
				return fmt.Errorf("sign-in page at %s: %w", res.Request.URL, err)
			}
			u, err := res.Request.URL.Parse(action)
			if err != nil {
				return fmt.Errorf("sign-in form action %q: %w", action, err)
			}
			action = u.String()
			return nil
		}); err != nil {
			return err
		}
		form.Set("username", user)
		form.Set("password", Password)
		var code string
		if err := c("POST /login", func() error {
			res, err := browser.PostForm(action, form)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxBody))
			res.Body.Close()
			loc, err := url.Parse(res.Header.Get("Location"))
			if res.StatusCode/100 != 3 || err != nil || !strings.HasPrefix(loc.String(), CallbackURL+"?") {
				return fmt.Errorf("sign-in: status %d, Location %q; want a redirect to the callback", res.StatusCode, res.Header.Get("Location"))
			}
			if got := loc.Query().Get("state"); got != state {
				return fmt.Errorf("sign-in: redirect with state %q, want %q", got, state)
			}
			if code = loc.Query().Get("code"); code == "" {
				return fmt.Errorf("sign-in: redirect to %s without a code", loc)
			}
			return nil
		}); err != nil {
			return err
		}
		return c("POST /oauth2/token", func() error {
			tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, a.http), code, oauth2.VerifierOption(verifier))
			if err != nil {
				return err
			}
			if id, _ := tok.Extra("id_token").(string); tok.AccessToken == "" || tok.RefreshToken == "" || id == "" {
				return errors.New("the code exchange answered without an access, ID and refresh token")
			}
			return nil
		})
	}, nil
}

// randomState is an OAuth state parameter.
func randomState() string {
	b := make([]byte, 16)
	crand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// parseForm reads an HTML page and returns the action of the form with
// the given id and the names and values of its hidden inputs (the
// sign-in page's CSRF token and the authorization request it carries),
// as a browser submits them.
func parseForm(r io.Reader, id string) (action string, fields url.Values, err error) {
	z := html.NewTokenizer(r)
	in := false
	found := false
	fields = url.Values{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return "", nil, err
			}
			if !found {
				return "", nil, fmt.Errorf("no form with id %q", id)
			}
			return action, fields, nil
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "form" && in {
				return action, fields, nil
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch string(name) {
			case "form":
				if attrs["id"] == id {
					in, found, action = true, true, attrs["action"]
				}
			case "input":
				if in && attrs["type"] == "hidden" && attrs["name"] != "" {
					fields.Add(attrs["name"], attrs["value"])
				}
			}
		}
	}
}
