// Package identitypool is the engine for Cognito identity pools
// (cognito-identity): the pools themselves, their roles, role mappings and
// principal-tag maps; the identities in them and the logins linked to each;
// and the trade of a login for temporary AWS credentials.
//
// # The enhanced flow
//
//	GetId(pool, Logins)                      -> identity ID (created on first use, linked to the logins)
//	GetCredentialsForIdentity(id, Logins)    -> logins verified, role chosen (roles.go),
//	                                            cognito-identity OpenID token signed (openid.go),
//	                                            Issuer.AssumeRoleWithWebIdentity(role, token, tags)
//
// The basic (classic) flow stops after GetOpenIdToken and leaves the call
// to AssumeRoleWithWebIdentity to the client. Developer-authenticated
// identities start at GetOpenIdTokenForDeveloperIdentity, signed by the
// developer's backend, and present the OpenID token it returns under the
// login cognito-identity.amazonaws.com.
//
// # Logins
//
// A login is a provider name and a token (logins.go). User-pool ID tokens
// are accepted under cognito-idp.<region>.amazonaws.com/<pool ID>, the name
// Amplify and the AWS SDKs build, and under cognate's own issuer for the
// pool (without its scheme); both name the same provider, stored under the
// first. They are verified with internal/tokens against the pool's keys,
// their aud must be an app client the identity pool lists, the user must
// still exist, and with ServerSideTokenCheck the user pool is asked whether
// the token was revoked (TokenChecker). OpenID Connect providers
// (OpenIdConnectProviderARNs) are verified through their discovery document
// and JWKS with github.com/coreos/go-oidc; which issuer URL and audiences an
// ARN stands for is configuration (Options.OpenIDConnectProviders), as IAM
// holds it for AWS. SAML assertions (SamlProviderARNs; the login is the
// base64 SAMLResponse) are checked with crewjam/saml through
// internal/federation against the metadata the configuration holds for the
// ARN's name (Options.SAMLProviders), as IAM holds it for AWS (saml.go).
//
// # Records
//
// Pools, identities and logins are storage items (kinds identity_pool,
// identity, identity_login), written in transactions with their change-log
// entries like every other record. A login's item is keyed by pool,
// provider and subject, so one subject maps to one identity per pool; a
// user-pool login is also indexed by its user, so deleting the user (the
// userpool.OnDeleteUser hook) or its pool (OnDeleteUserPool) deletes the
// login in the same transaction, and no identity keeps credentials through
// it.
//
// # Imports
//
// It may import internal/cognito (and its generated identity wire package),
// internal/storage, internal/tokens, internal/userpool (to read user pools
// and users, and to hook their deletion), internal/federation (SAML
// responses) and internal/sts, the port that mints credentials; never an edge (api, oidc, admin), authflow (the
// revocation check arrives as the TokenChecker port) or a storage backend.
// The engine decides which Cognito exception applies: storage sentinels
// arrive here and leave as *cognito.Error.
package identitypool
