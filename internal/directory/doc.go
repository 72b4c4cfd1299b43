// Package directory is the engine of a user pool's directory: users and
// their attributes, groups and memberships, sign-up and confirmation,
// password recovery, the self-service operations of a signed-in user,
// ListUsers and its filter, one-time codes and their delivery, setting
// passwords (with the SRP verifier of each), recorded authentication
// events, bulk loading, the user operations of the hosted UI's pages, the
// users the UserMigration trigger creates (migration.go), user import jobs
// (import_job.go, import_run.go, import_signin.go: docs/import.md), and the
// re-sealing of users' sealed values. It is also the sign-in engine's
// view of users (SignInUser, LookupUser, UserBySub, SetNewPassword, …).
//
// It reads the pool configuration (the pool, its schema and password
// policy, the app client) from internal/userpool, which never imports it.
// Deleting a user runs the erasers other packages register (OnDeleteUser)
// in the same transaction.
//
// It may import internal/cognito (and its generated wire packages),
// internal/storage, internal/userpool, internal/seal, internal/srp
// (wherever a password is set, the user record gets the SRP verifier of
// it, made through the fair queue and sealed), internal/tokens,
// internal/messaging, internal/triggers and internal/password (argon2id
// hashing: the Hasher it is given at construction, which it shares with
// the sign-in engine, and whose fair queue, through internal/ratelimit,
// schedules password hashing and SRP exponentiations between client
// addresses); never an edge (api, oidc, admin), the sign-in engine, the
// identity-pool engine or a storage backend. The engine decides which
// Cognito exception applies: storage sentinels arrive here and leave as
// *cognito.Error.
package directory
