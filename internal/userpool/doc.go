// Package userpool is the engine for user pools: creating, describing,
// updating, listing and deleting pools, their schema of standard and custom
// attributes, and their tags, with the defaults Cognito fills in and the
// rules and exceptions it applies. Later it holds app clients, users,
// groups, attributes, password policy and remembered devices.
//
// It may import internal/cognito (and its generated idp and identity wire
// packages), internal/storage, internal/seal (app-client secrets are sealed
// at rest), internal/srp (wherever a password is set, the user record gets
// the SRP verifier of it, made through the fair queue and sealed),
// internal/tokens, internal/messaging, internal/triggers and
// internal/password (argon2id hashing: the Hasher it is given at
// construction, which it shares with the sign-in engine, and whose fair
// queue, through internal/ratelimit, schedules password hashing and SRP
// exponentiations between client addresses); never an edge (api, oidc,
// admin), the sign-in engine or a storage backend.
// The engine decides which Cognito exception applies: storage sentinels
// arrive here and leave as *cognito.Error.
package userpool
