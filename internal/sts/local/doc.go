// Package local is cognate's own Security Token Service: the engine behind
// the STS-compatible API (AssumeRoleWithWebIdentity and GetCallerIdentity)
// that the API edge serves at the same URL as the Cognito APIs, and the
// default sts.Issuer of identity pools, so that the whole flow from a
// sign-in to usable credentials works with nothing else running.
//
// AssumeRoleWithWebIdentity verifies a web identity token with go-oidc:
// its issuer must be one of the trusted issuers (cognate's own identity
// issuer by default, whose keys it reads in process; any other through the
// issuer's discovery document and JWKS), its audience one the issuer
// allows, and the role one the issuer may assume. cognate has no IAM, so
// that is the whole role-trust model (docs/identity-pools.md). It then
// mints temporary credentials bound to the role, the session name and the
// token's subject, with their expiry and session tags.
//
// The credentials are items of the store, so that every server of a
// cluster accepts them: the secret access key sealed with a key derived
// from the encryption key (a signature check needs the secret itself), the
// session token kept only as a keyed hash. A database dump alone reveals no
// usable secret. Expired credentials are swept by the requests that mint
// new ones. The credentials authorize GetCallerIdentity and nothing else:
// the Cognito API edge knows only the configured admin key.
//
// It may import internal/sts, internal/storage and internal/seal, and
// go-oidc for the token checks; never an edge or a storage backend.
package local
