// Package console is cognate's admin console: server-rendered pages under
// /console/ (html/template templates and a stylesheet embedded in the
// binary, no JavaScript) through which operators create and run user pools.
//
// It is an edge, like the JSON API (internal/api) and the hosted UI
// (internal/oidc): every action calls the same engine methods as the
// matching API operation (userpool.Service, directory.Service, and
// authflow.Service for users' devices and sessions), with the
// same validation, messages and change log, and never the store. It may
// import the engines, the vocabulary (internal/cognito/...) and the leaves
// below them (seal); never another edge, the server, the configuration or a
// storage backend. cmd/cognate wires it.
//
// Operators are users of the administrators' pool (AdminPoolName), which
// EnsureAdminPool creates with the first operator (cognate console
// add-admin) with an app client whose callback is /console/callback and the
// prefix domain AdminDomainPrefix; a server finds it with FindAdminPool at
// start and at each sign-in, so a fresh install holds no pool. The console
// signs operators in as an OpenID Connect client of cognate itself: the
// authorization code flow with PKCE through the pool's hosted UI
// (golang.org/x/oauth2), and the ID token checked by go-oidc against the
// pool's JWKS. The token request and the key fetch travel in process
// (Options.Transport), so the console works whatever URL cognate is
// reached at from outside. MFA works wherever the admin pool turns it on.
//
// Sessions are sealed cookies (seal, AES-256-GCM; HttpOnly, SameSite=Lax,
// Secure over TLS) that hold the operator's sub and username and a random
// CSRF token. Every request with a session reads the operator again
// (AdminGetUser), so a disabled or deleted operator is out at once. Every
// POST carries the session's CSRF token (compared in constant time) and is
// refused when the browser says it comes from another site
// (Sec-Fetch-Site) or names another origin (Origin). Every request with a
// session carries the operator as the actor of what it writes
// (storage.WithActor), and each action names its operation (as), so the
// change log records who wrote each state; the pool's changes page
// (directory.PoolChanges) lists them. Every action is also logged with the
// operator who did it ("console action").
//
// The user page pages each of its sections with its operation's own token
// (user_pages.go); a user's passkeys, which Cognito has no Admin operation
// for, go through authflow's Admin*WebAuthnCredential* methods, the same
// code as ListWebAuthnCredentials and DeleteWebAuthnCredential.
//
// A pool's "more settings" screen (pool_settings.go) saves each of its
// sections with UpdateUserPool from the Describe answer, and the risk
// configuration screen (pool_risk.go) replaces a pool's or a client's with
// SetRiskConfiguration.
//
// An identity pool's principal tag maps and developer identities
// (identity_pool_tags.go) go through the identity pools' engine with the
// API's operations (Get/SetPrincipalTagAttributeMap,
// LookupDeveloperIdentity, UnlinkDeveloperIdentity,
// MergeDeveloperIdentities).
//
// An app client's managed login style (branding.go) is a table of the
// settings the hosted pages draw, saved with Create/UpdateManagedLoginBranding
// (images from a multipart form, one at a time). Its preview is the hosted
// UI's own sign-in page: cmd/cognate wires internal/oidc's
// RenderBrandingPreview into Options.BrandingPreview (edges never import each
// other), and the console serves what it draws from its own origin, framed
// only by the branding page (frame-ancestors 'self', sandboxed, no script),
// while the hosted pages keep refusing every frame.
//
// An app client's classic hosted UI CSS and logo (ui_customization.go) save
// with SetUICustomization from a multipart form (the logo's file); the
// target's own logo is kept when only the CSS changes, since the operation
// replaces both.
//
// The settings screens (a pool's settings, app clients, resource servers,
// domains, branding) edit what Cognito lets change after creation. Where
// the operation resets what a request leaves out (UpdateUserPool,
// UpdateUserPoolClient), the request starts from the Describe answer and
// the form overwrites only the members it shows. An app client's secret is
// shown only on the page that answers the request that made it
// (CreateUserPoolClient, AddUserPoolClientSecret), never again; an
// identity provider's client secret and private key are never shown after
// the form that sent them, and an edit that leaves them empty keeps them
// (UpdateIdentityProvider keeps what it is not given).
package console
