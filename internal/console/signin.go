package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// loginState is what the sealed login cookie holds between the redirect to
// the hosted UI and the callback: the OAuth state, the nonce and the PKCE
// verifier, bound to this browser.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"exp"`
}

// httpContext makes oauth2 and go-oidc send their requests through the
// console's transport.
func (c *Console) httpContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, &http.Client{Transport: c.opts.Transport, Timeout: 30 * time.Second})
}

// oauthConfig returns the administrators' pool's OpenID provider (its
// discovery document, read once) and the console's OAuth client.
func (c *Console) oauthConfig(ctx context.Context) (*oidc.Provider, *oauth2.Config, *AdminPool, error) {
	return c.oauthConfigFor(ctx, c.AdminPool())
}

func (c *Console) oauthConfigFor(ctx context.Context, a *AdminPool) (*oidc.Provider, *oauth2.Config, *AdminPool, error) {
	if a == nil {
		return nil, nil, nil, fmt.Errorf("console: the administrators' pool is not ready")
	}
	c.mu.Lock()
	p := c.provider
	c.mu.Unlock()
	if p == nil {
		var err error
		p, err = oidc.NewProvider(c.httpContext(ctx), c.opts.IssuerBaseURL+"/"+a.PoolID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("console: discovery of the administrators' pool: %w", err)
		}
		c.mu.Lock()
		c.provider = p
		c.mu.Unlock()
	}
	return p, &oauth2.Config{
		ClientID:    a.ClientID,
		Endpoint:    p.Endpoint(),
		RedirectURL: c.opts.BaseURL + callbackPath,
		Scopes:      []string{oidc.ScopeOpenID, "email", "profile"},
	}, a, nil
}

// login sends the browser to the administrators' pool's hosted UI with
// the authorization code flow and PKCE (S256).
//
// It looks for the administrators' pool again first: the first
// `cognate console add-admin` may have made it after this server started,
// and a pool deleted through the API must not keep the console pointing at
// it. With no administrators' pool there is no one to sign in: the page
// says how to add the first operator.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	a, err := c.findAdmin(r.Context(), true)
	if err == nil && a == nil {
		c.render(w, r, http.StatusOK, "nooperator", page{Title: "No operator yet"})
		return
	}
	var cfg *oauth2.Config
	if err == nil {
		_, cfg, _, err = c.oauthConfigFor(r.Context(), a)
	}
	if err != nil {
		c.log.ErrorContext(r.Context(), "console sign-in", "err", err)
		http.Error(w, "The console cannot sign in now.", http.StatusServiceUnavailable)
		return
	}
	st := loginState{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(),
		Expires: time.Now().Add(loginLifetime).Unix()}
	c.setSealed(w, loginCookie, purposeLogin, st, loginLifetime)
	http.Redirect(w, r, cfg.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusSeeOther)
}

// callback redeems the code the hosted UI sent back, checks the ID token
// (signature, issuer, audience, expiry, nonce) and starts the session.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	var st loginState
	ok := c.openSealed(r, loginCookie, purposeLogin, &st)
	c.clearCookie(w, loginCookie)
	q := r.URL.Query()
	if !ok || time.Now().Unix() >= st.Expires ||
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		c.render(w, r, http.StatusBadRequest, "signedout", page{Title: "Sign-in failed",
			Error: "This sign-in did not start here or took too long. Sign in again."})
		return
	}
	if e := q.Get("error"); e != "" {
		c.render(w, r, http.StatusBadRequest, "signedout", page{Title: "Sign-in failed", Error: "The sign-in page answered: " + e})
		return
	}
	ctx := c.httpContext(r.Context())
	p, cfg, a, err := c.oauthConfig(r.Context())
	if err != nil {
		http.Error(w, "The console cannot sign in now.", http.StatusServiceUnavailable)
		return
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		c.log.WarnContext(r.Context(), "console sign-in: code exchange", "err", err)
		c.render(w, r, http.StatusBadRequest, "signedout", page{Title: "Sign-in failed", Error: "The sign-in could not be completed. Sign in again."})
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: a.ClientID}).Verify(ctx, raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		c.log.WarnContext(r.Context(), "console sign-in: ID token refused", "err", err)
		c.render(w, r, http.StatusBadRequest, "signedout", page{Title: "Sign-in failed", Error: "The sign-in could not be completed. Sign in again."})
		return
	}
	var claims struct {
		Username string `json:"cognito:username"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Username == "" {
		c.render(w, r, http.StatusBadRequest, "signedout", page{Title: "Sign-in failed", Error: "The sign-in could not be completed. Sign in again."})
		return
	}
	s := session{Sub: idt.Subject, Username: claims.Username, CSRF: randomToken(), Expires: time.Now().Add(SessionLifetime).Unix()}
	c.setSealed(w, sessionCookie, purposeSession, s, SessionLifetime)
	c.log.InfoContext(r.Context(), "console action", "action", "sign-in", "operator", s.Username, "operator_sub", s.Sub)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// logout ends the console session and the hosted UI's, through its
// /logout endpoint, which returns to /console/signed-out.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.audit(r, "sign-out")
	c.clearCookie(w, sessionCookie)
	a := c.AdminPool()
	if a == nil {
		http.Redirect(w, r, signedOutPath, http.StatusSeeOther)
		return
	}
	base, err := c.opts.PoolBase(r.Context(), a.PoolID)
	if err != nil || base == "" {
		http.Redirect(w, r, signedOutPath, http.StatusSeeOther)
		return
	}
	v := url.Values{"client_id": {a.ClientID}, "logout_uri": {c.opts.BaseURL + signedOutPath}}
	http.Redirect(w, r, base+"/logout?"+v.Encode(), http.StatusSeeOther)
}

func (c *Console) signedOut(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "signedout", page{Title: "Signed out"})
}

// HandlerTransport is an http.RoundTripper that serves each request with
// Handler in process, as if it came from the loopback address: the
// console's token request and key-set fetch reach cognate's own endpoints
// without leaving the process.
type HandlerTransport struct {
	Handler http.Handler
}

// RoundTrip serves req with t.Handler.
func (t HandlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.RemoteAddr = "127.0.0.1:0"
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	t.Handler.ServeHTTP(rec, r)
	return &http.Response{
		Status: fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)), StatusCode: rec.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder is the ResponseWriter of HandlerTransport.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
