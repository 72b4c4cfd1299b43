// Package api is the Cognito JSON API edge: POST / with an X-Amz-Target
// header naming AWSCognitoIdentityProviderService.<Operation> or
// AWSCognitoIdentityService.<Operation>, bodies in application/x-amz-json-1.1.
//
// The edge owns the phases every operation shares, in this order: a size
// limit on the body before it is read, the target lookup in the generated
// operation tables, the client address (the peer, or behind a trusted
// proxy the forwarded client; it goes into the context for the fair
// scheduling of password hashing) and, for the operations anyone may call,
// the per-address protective limit (ratelimit.go), authorization (SigV4
// for IAM-authorized operations), decoding into the generated input type,
// the model's constraint checks, authentication of an access token, for an
// end-user operation the check that this region's replica of its pool
// serves end users (replication.Replicas.ServesEndUsers: not while CREATING
// or INACTIVE), the emulation of Cognito's quotas when configured (counted only once the
// caller is authenticated) and the per-user protective limit, and writing
// the output or the error.
// Per-operation code is one method of an engine package (internal/userpool,
// …) and fills in only its own part. The sign-in engine (internal/authflow)
// takes domain types instead of wire structs: operations_auth.go holds the
// thin adapters that map each sign-in, refresh and sign-out operation onto
// them and back. Errors leave through exactly one writeError.
//
// Before any of them, cors.go lets browser applications on other origins
// call the API as they call Cognito: it answers a CORS preflight itself,
// and puts the CORS headers on every other answer to an allowed origin,
// errors included, whatever the operation.
//
// At the same URL, sts.go serves the STS query protocol (a form-encoded
// Action and Version, answers and errors in STS's XML) with cognate's own
// STS (internal/sts/local), so that one endpoint URL serves the three
// services: a request is STS's when it names no X-Amz-Target and carries
// an Action parameter or a form body. GetCallerIdentity is checked with
// the same SigV4 verifier, scoped to the service "sts" and looking up the
// admin key and the STS's temporary credentials; the Cognito operations'
// verifier knows only the admin key, so temporary credentials authorize
// nothing there.
//
// It may import the engine packages (userpool, authflow, identitypool,
// sts/local, …), internal/sts, internal/ratelimit, internal/password (the
// hashing queue's admission check), internal/cognito and its generated
// packages; never
// internal/oidc, internal/admin or a storage backend.
package api
