package oidc

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/authflow"
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// authRequest is a checked authorization request (RFC 6749 §4.1.1 and
// §4.2.1, OpenID Connect Core 1.0 §3.1.2.1), with the parameters Cognito
// documents for /oauth2/authorize.
type authRequest struct {
	client       *userpool.SignInClient
	responseType string // "code" or "token"
	redirectURI  string
	state, nonce string
	scopes       []string
	challenge    string
	prompt       string
	maxAge       int // -1 when absent
	loginHint    string
	lang         string
	// provider is the identity provider the request names with
	// identity_provider or idp_identifier (nil for none, or COGNITO).
	provider *userpool.FederationProvider
	// query is the request as received, carried from page to page.
	query url.Values
}

// authorizeParams are the parameters an authorization request may carry
// once; a repeated one is refused (RFC 6749 §3.1).
var authorizeParams = []string{
	"response_type", "client_id", "redirect_uri", "state", "scope", "nonce", "code_challenge",
	"code_challenge_method", "identity_provider", "idp_identifier", "lang", "prompt", "login_hint", "max_age",
}

// checkAuthorize checks an authorization request. Until client_id and
// redirect_uri are known good, an error is shown on the error page and
// nothing is redirected to; after, errors go back to the client's
// redirect_uri (RFC 6749 §4.1.2.1). ok is false when the answer is
// written.
func (h *Handler) checkAuthorize(w http.ResponseWriter, r *http.Request, st *site, q url.Values) (*authRequest, bool) {
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(q[name]) > 1 {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The request repeats "+name+".")
			return nil, false
		}
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "client_id is missing.")
		return nil, false
	}
	_, client, err := h.pools.SignInClient(r.Context(), cognito.Caller{Region: st.region}, st.poolID, clientID)
	if err != nil {
		if errors.Is(err, cognito.ResourceNotFoundException("")) || errors.Is(err, cognito.InvalidParameterException("")) {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "Invalid client_id.")
			return nil, false
		}
		h.serverError(w, r, err)
		return nil, false
	}
	oa := client.OAuth()
	redirect := q.Get("redirect_uri")
	if redirect == "" || !slices.Contains(oa.CallbackURLs, redirect) {
		h.errorPage(w, r, http.StatusBadRequest, "redirect_mismatch", "redirect_uri is not one of the app client's callback URLs.")
		return nil, false
	}
	ar := &authRequest{client: client, redirectURI: redirect, state: q.Get("state"), maxAge: -1, query: q}
	fail := func(code, desc string) (*authRequest, bool) {
		ar.responseType = q.Get("response_type")
		h.redirectError(w, r, ar, code, desc)
		return nil, false
	}
	for _, name := range authorizeParams {
		if len(q[name]) > 1 {
			return fail("invalid_request", "repeated parameter "+name)
		}
	}
	ar.responseType = q.Get("response_type")
	flow := ""
	switch ar.responseType {
	case "code":
		flow = "code"
	case "token":
		flow = "implicit"
	case "":
		return fail("invalid_request", "response_type is missing")
	default:
		return fail("unsupported_response_type", "")
	}
	if !oa.AllowsFlow(flow) {
		return fail("unauthorized_client", "")
	}
	if len(oa.IdentityProviders) == 0 {
		return fail("unauthorized_client", "")
	}
	if p := q.Get("identity_provider"); p != "" {
		if !slices.Contains(oa.IdentityProviders, p) {
			return fail("invalid_request", "identity_provider is not one of the app client's identity providers")
		}
		if p != "COGNITO" {
			fp, err := h.pools.FederationProvider(r.Context(), nil, st.poolID, p)
			if err != nil {
				return fail("invalid_request", "identity_provider is not one of the app client's identity providers")
			}
			ar.provider = fp
		}
	} else if id := q.Get("idp_identifier"); id != "" {
		fp, err := h.pools.FederationProviderByIdentifier(r.Context(), st.poolID, id)
		if err != nil || !slices.Contains(oa.IdentityProviders, fp.Name) {
			return fail("invalid_request", "idp_identifier names no identity provider of the app client")
		}
		ar.provider = fp
	}
	if raw := q.Get("scope"); raw != "" {
		for _, sc := range strings.Fields(raw) {
			if !slices.Contains(oa.Scopes, sc) {
				return fail("invalid_scope", "")
			}
			if !slices.Contains(ar.scopes, sc) {
				ar.scopes = append(ar.scopes, sc)
			}
		}
	} else {
		ar.scopes = slices.Clone(oa.Scopes)
	}
	if len(ar.scopes) == 0 {
		return fail("invalid_scope", "")
	}
	ar.nonce = q.Get("nonce")
	if c := q.Get("code_challenge"); c != "" || q.Get("code_challenge_method") != "" {
		if q.Get("code_challenge_method") != "S256" {
			return fail("invalid_request", "code_challenge_method must be S256")
		}
		if len(c) != 43 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return fail("invalid_request", "invalid code_challenge")
		}
		if ar.responseType != "code" {
			return fail("invalid_request", "code_challenge needs response_type code")
		}
		ar.challenge = c
	}
	switch p := q.Get("prompt"); p {
	case "", "login", "none", "select_account", "consent":
		ar.prompt = p
	default:
		return fail("invalid_request", "invalid prompt")
	}
	if m := q.Get("max_age"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return fail("invalid_request", "invalid max_age")
		}
		ar.maxAge = n
	}
	ar.loginHint, ar.lang = q.Get("login_hint"), q.Get("lang")
	for _, v := range []string{ar.state, ar.nonce, ar.loginHint, ar.lang} {
		if len(v) > 2048 || !cognito.ValidText(v) {
			return fail("invalid_request", "")
		}
	}
	return ar, true
}

// authorize is GET (and POST) /oauth2/authorize. A live hosted-UI session
// is granted at once (unless prompt=login, or max_age has passed since the
// user signed in); otherwise the user is sent to the sign-in page with the
// same request, or, for prompt=none, back to the client with
// login_required.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	st := siteOf(r.Context())
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "invalid_request", "The authorize endpoint takes GET and POST.")
		return
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, http.StatusBadRequest, "invalid_request", "The form could not be read.")
			return
		}
		q = r.Form
	}
	ar, ok := h.checkAuthorize(w, r, st, q)
	if !ok {
		return
	}
	var sess *authflow.UISession
	if c, err := r.Cookie(sessionCookie); err == nil && ar.prompt != "login" {
		s, err := h.auth.OpenUISession(r.Context(), st.poolID, c.Value)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if s != nil && (ar.maxAge < 0 || h.clock().Sub(s.AuthTime) <= time.Duration(ar.maxAge)*time.Second) {
			sess = s
		}
	}
	if sess != nil {
		h.grant(w, r, st, ar, sess)
		return
	}
	if ar.prompt == "none" {
		h.redirectError(w, r, ar, "login_required", "")
		return
	}
	if ar.provider == nil {
		// A client whose only provider is an external one goes straight
		// to it, as on Cognito.
		if oa := ar.client.OAuth(); len(oa.IdentityProviders) == 1 && oa.IdentityProviders[0] != "COGNITO" {
			if fp, err := h.pools.FederationProvider(r.Context(), nil, st.poolID, oa.IdentityProviders[0]); err == nil {
				ar.provider = fp
			}
		}
	}
	if ar.provider != nil {
		h.federate(w, r, st, ar)
		return
	}
	http.Redirect(w, r, st.base+"/login?"+ar.query.Encode(), http.StatusFound)
}

// grant answers an authorization request for a signed-in user: a code, or
// for response_type token the tokens in the fragment.
func (h *Handler) grant(w http.ResponseWriter, r *http.Request, st *site, ar *authRequest, sess *authflow.UISession) {
	a := authflow.Authorization{Session: sess, Client: ar.client, RedirectURI: ar.redirectURI, Scopes: ar.scopes,
		Nonce: ar.nonce, CodeChallenge: ar.challenge}
	if ar.responseType == "code" {
		code, err := h.auth.IssueCode(r.Context(), a)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v := url.Values{"code": {code}}
		if ar.state != "" {
			v.Set("state", ar.state)
		}
		redirectTo(w, r, ar.redirectURI, v, false)
		return
	}
	t, err := h.auth.IssueImplicit(r.Context(), a)
	if errors.Is(err, authflow.ErrInvalidGrant) {
		h.redirectError(w, r, ar, "access_denied", "")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := url.Values{"access_token": {t.AccessToken}, "token_type": {"Bearer"},
		"expires_in": {strconv.Itoa(int(t.ExpiresIn / time.Second))}}
	if t.IDToken != "" {
		v.Set("id_token", t.IDToken)
	}
	if ar.state != "" {
		v.Set("state", ar.state)
	}
	redirectTo(w, r, ar.redirectURI, v, true)
}

// redirectError sends an error back to the client's checked redirect_uri
// (RFC 6749 §4.1.2.1), in the fragment for response_type token.
func (h *Handler) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, code, desc string) {
	v := url.Values{"error": {code}}
	if desc != "" {
		v.Set("error_description", desc)
	}
	if ar.state != "" {
		v.Set("state", ar.state)
	}
	redirectTo(w, r, ar.redirectURI, v, ar.responseType == "token")
}

// redirectTo redirects to a registered URL with v added to its query, or
// set as its fragment.
func redirectTo(w http.ResponseWriter, r *http.Request, registered string, v url.Values, fragment bool) {
	target := registered
	if fragment {
		target += "#" + v.Encode()
	} else if strings.Contains(registered, "?") {
		target += "&" + v.Encode()
	} else {
		target += "?" + v.Encode()
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}
