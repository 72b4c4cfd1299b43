// Package federation is the client side of a user pool's identity
// providers: it sends a user to a provider and reads who came back. An
// OpenID Connect provider (oidc.go) is driven with golang.org/x/oauth2 (the
// authorization code with PKCE, the token request) and
// github.com/coreos/go-oidc/v3 (the ID token's signature against the
// provider's key set, its issuer, audience, expiry and nonce, and the
// userInfo request). A SAML 2.0 provider (saml.go) is driven with
// github.com/crewjam/saml: the pool is its service provider, and the
// library's checks of a response (XML signature against the IdP's
// metadata, audience, destination and recipient, time window,
// InResponseTo, replay through a cache the caller keeps in the store) are
// the ones the pool makes; no XML signature code is written here.
//
// It knows nothing of pools or users: authflow hands it a Provider (the
// provider's details as stored) and makes a user of the Identity it
// returns. It is a leaf: it may import internal/cognito only.
package federation
