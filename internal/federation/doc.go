// Package federation is the client side of a user pool's identity
// providers: it sends a user to a provider and reads who came back. An
// OpenID Connect provider (oidc.go) is driven with golang.org/x/oauth2 (the
// authorization code with PKCE, the token request) and
// github.com/coreos/go-oidc/v3 (the ID token's signature against the
// provider's key set, its issuer, audience, expiry and nonce, and the
// userInfo request).
//
// It knows nothing of pools or users: authflow hands it a Provider (the
// provider's details as stored) and makes a user of the Identity it
// returns. It is a leaf: it may import internal/cognito only.
package federation
