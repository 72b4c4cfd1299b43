// Package authflow is the engine behind InitiateAuth, AdminInitiateAuth,
// RespondToAuthChallenge and AdminRespondToAuthChallenge: each sign-in is a
// flow that InitiateAuth starts and every RespondToAuthChallenge advances
// with the opaque Session it was handed, until the flow issues tokens or
// fails. Flow state handed to the client (Session, SECRET_BLOCK) is sealed
// by the server, expires, and advances a flow once.
//
// Cognito's SRP variant, which USER_SRP_AUTH and the PASSWORD_VERIFIER
// challenge use, is in srp.go and docs/srp.md.
//
// State table: the flow table lives in flow.go.
//
// It may import internal/cognito (and its generated wire packages),
// internal/storage, internal/tokens, internal/messaging, internal/triggers,
// internal/userpool, internal/federation and internal/seal; never an edge
// (api, oidc, admin) or a storage backend.
package authflow
