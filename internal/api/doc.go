// Package api is the Cognito JSON API edge: POST / with an X-Amz-Target
// header naming AWSCognitoIdentityProviderService.<Operation> or
// AWSCognitoIdentityService.<Operation>, bodies in application/x-amz-json-1.1.
//
// The edge owns the phases every operation shares, in this order: a size
// limit on the body before it is read, the target lookup in the generated
// operation tables, the request-rate limit of the operation's quota
// category for the user pool the request names (internal/ratelimit; before
// authorization, so that a flood is refused cheaply), authorization (SigV4
// for IAM-authorized operations), decoding into the generated input type,
// the model's constraint checks, and writing the output or the error.
// Per-operation code is one method of an engine package (internal/userpool,
// …) and fills in only its own part. Errors leave through exactly one
// writeError.
//
// Before any of them, cors.go lets browser applications on other origins
// call the API as they call Cognito: it answers a CORS preflight itself,
// and puts the CORS headers on every other answer to an allowed origin,
// errors included, whatever the operation.
//
// It may import the engine packages (userpool, authflow, identitypool, …),
// internal/ratelimit, internal/cognito and its generated packages; never
// internal/oidc, internal/admin or a storage backend.
package api
