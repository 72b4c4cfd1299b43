// Package oidc is cognate's OAuth 2.0 and OpenID Connect edge. For now it
// serves only a user pool's well-known documents: the JSON web key set at
// /<poolId>/.well-known/jwks.json and the OpenID Connect discovery document
// at /<poolId>/.well-known/openid-configuration, the paths Cognito serves
// them at under https://cognito-idp.<region>.amazonaws.com. The
// authorization, token and userInfo endpoints the discovery document names
// arrive with the hosted UI.
//
// It is an edge: it may import the engine packages (internal/tokens,
// internal/userpool, internal/authflow, …), internal/cognito and
// internal/storage, but never another edge (internal/api, internal/admin)
// or a storage backend; deps_test.go enforces it.
package oidc
