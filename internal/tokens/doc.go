// Package tokens mints and verifies the JSON web tokens a user pool issues:
// ID and access tokens with exactly the claims Cognito puts in them, signed
// RS256 with per-pool keys, published as a JWKS and rotated without breaking
// tokens already issued.
//
// # Keys
//
// Every pool has its own RSA 2048 key pairs, one for ID tokens and one for
// access tokens (Cognito signs the two with different keys, so neither kind
// of token verifies as the other). They are created on the first mint, in a
// transaction, and stored as items of kind KeyItemKind whose unique key
// "<pool>/<use>/<generation>" makes two nodes racing to create the same
// generation converge: the loser's insert fails and it re-reads the winner's
// keys. A key's kid is the base64 SHA-256 JWK thumbprint (RFC 7638) of its
// public key, which is what Cognito's kids look like.
//
// Private keys are sealed with AES-256-GCM under Options.KeyEncryptionKey,
// which lives outside the database; the additional data binds each
// ciphertext to its pool and kid, so a sealed key copied to another record
// does not open. Public keys are stored in the clear, and verification
// needs only them.
//
// # Rotation
//
// A generation signs new tokens for Options.RotationPeriod after it is
// created; the first mint after that creates the next generation. A retired
// key stays published (and accepted) for MaxTokenValidity plus a margin for
// nodes that still had it cached after the rotation, which outlasts every
// token it signed; after that it is left out of the JWKS and deleted at the
// next rotation.
//
// # Caching
//
// Each node caches a pool's keys for keyCacheTTL to sign without a store
// read. Verification never needs the cache to be fresh: keys are immutable,
// and a kid the cache does not know is looked up in the store by ID, so a
// token signed on another node with a key created a moment ago verifies
// here. JWKS always reads the store.
//
// # Imports
//
// It may import, inside cognate, only internal/cognito, internal/storage
// (for its keys) and internal/seal (which seals them); deps_test.go
// enforces it.
package tokens
