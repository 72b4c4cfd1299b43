// Package userpool is the engine of the user pools' configuration:
// creating, describing, updating, listing and deleting pools, their schema
// of standard and custom attributes, password policy and tags; app clients
// and their secrets; domains; resource servers; the classic UI
// customization, managed login branding and terms documents; and the
// reads of pools and clients that the sign-in engine, the hosted UI and
// the directory share (SignInPool, SignInClient, PublicClient, ReadPool,
// the pager of listings). It fills in the defaults Cognito fills in and
// applies its rules and exceptions.
//
// Users, groups, sign-up, recovery and self-service are the directory's
// (internal/directory), which reads this package; this package never
// imports it. DescribeUserPool counts a pool's users through the function
// the directory hands over (CountUsersWith).
//
// It may import internal/cognito (and its generated idp and identity wire
// packages), internal/storage, internal/seal (app-client secrets are
// sealed at rest), internal/tokens, internal/messaging and
// internal/triggers; never the directory, an edge (api, oidc, admin), the
// sign-in engine, the identity-pool engine or a storage backend.
// The engine decides which Cognito exception applies: storage sentinels
// arrive here and leave as *cognito.Error.
package userpool
