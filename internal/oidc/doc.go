// Package oidc is cognate's OAuth 2.0 and OpenID Connect edge: the hosted
// UI's pages and the OAuth endpoints of every user-pool domain, and the
// well-known documents of every pool.
//
// # Domains
//
// Handler.Wrap finds the pool domain a request is for, before the JSON
// API sees it: a path under /_domain/<prefix>/ on any host (no DNS
// needed); a Host that matches the prefix-domain pattern
// (Options.DomainPattern, "{prefix}.auth.{region}.localhost" by default);
// or a Host that is a custom domain of CreateUserPoolDomain. Every other
// request goes on to the API. Domain lookups are cached for a few seconds.
//
// # Endpoints (Cognito's user-pool endpoints)
//
//	/oauth2/authorize   authorize.go   code and token; PKCE S256; state, nonce, scope, prompt, max_age, login_hint
//	/oauth2/token       token.go       authorization_code, refresh_token, client_credentials; Basic or body client auth
//	/oauth2/userInfo    userinfo.go    GET and POST; claims by scope; WWW-Authenticate errors
//	/oauth2/revoke      token.go       RFC 7009, as RevokeToken
//	/logout             logout.go      logout_uri, or redirect_uri + response_type to sign in again
//	/error              errorpage.go   shows error and error_description as text
//	/confirmUser        page_signup.go the CONFIRM_WITH_LINK link (on cognate's own host: redirected to the domain)
//	/authEventFeedback  page_feedback.go the one-click links of threat protection's notification emails (also on cognate's own host)
//	/branding.css       branding.go    the app client's branding stylesheet (classic CSS, or a managed login style's rules)
//	/static/…           static/        the stylesheet, embedded
//
// The protocol decisions are here; everything that reads or writes state
// is the sign-in engine's (internal/authflow, hosted.go): the sign-in
// itself (StartHostedSignIn runs the same dispatcher as InitiateAuth: same
// lockout, existence errors, hooks and events), the hosted-UI session the
// cookie names (an hour), codes (128 random bits, stored hashed, single
// use, five minutes, bound to client, redirect_uri and PKCE challenge) and
// tokens. The token and revocation endpoints map errors to RFC 6749 codes
// in one place, writeOAuthError.
//
// redirect_uri and logout_uri are compared byte for byte with the app
// client's registered URLs; until they have matched, an error is shown on
// the error page and nothing is redirected to.
//
// # Pages
//
// A page is an entry of the table in pages.go: a path, a template under
// templates/ (rendered inside layout.html's header and footer) and its GET
// and POST handlers, which get a *PageRequest. The shell around every page
// (page in pages.go) does the shared part: methods, the body limit, the
// per-address rate limit, the CSRF check of every POST (an HMAC of an
// HttpOnly cookie, in the form's _csrf field), and the authorize request
// the page carries along (the query of GET, the hidden "authorize" field
// of POST), checked as /oauth2/authorize checks it. Every answer of a
// domain carries frame-ancestors 'none' and no-store; cookies are
// HttpOnly, SameSite=Lax, and Secure over TLS.
//
// The pages: /login and /forceChangePassword (page_login.go,
// page_new_password.go); /mfa and /mfaSetup, the MFA steps of a sign-in
// (page_mfa.go); on managed login, the choices of choice-based sign-in
// (/selectChallenge), the passkey step (/passkey) and the page that adds
// a passkey (/passkeys/add), whose script is static/passkey.js
// (page_passkey.go); /signup, /confirmSignUp and /resendCode
// (page_signup.go); /forgotPassword and /confirmForgotPassword
// (page_forgot.go). Every page wears the branding of its app client
// (branding.go): the domain's ManagedLoginVersion picks the classic CSS
// and logo or the client's managed login style. RenderBrandingPreview
// (preview.go) draws the sign-in page with a given style for the admin
// console's preview, with the same templates and rules, as a document of
// its own whose stylesheet is inline (allowed by hash).
//
// To add a page:
//
//  1. write page_<name>.go with a Page value and its handlers; call the
//     engine's domain methods (never the JSON API), render with
//     PageRequest.Render or RenderStatus, show an engine error on the form
//     with PageRequest.signInError, and end a sign-in with
//     PageRequest.SignedIn (it sets the session cookie and redirects back
//     to the client);
//  2. write templates/<name>.html: {{define "<name>.html"}}, the header
//     and footer templates, {{template "hidden" .}} inside every form,
//     and stable element ids for tests;
//  3. add the Page to the pages table.
//
// It is an edge: it may import the engine packages (internal/tokens,
// internal/userpool, internal/authflow, …), internal/cognito,
// internal/ratelimit and internal/storage, but never another edge
// (internal/api, internal/admin) or a storage backend; deps_test.go
// enforces it.
package oidc
