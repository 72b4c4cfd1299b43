// Package cluster keeps what every server sharing a store must agree on,
// recorded in the store itself so that a misconfigured server is refused
// before it writes anything:
//
//   - the encryption keys: the store records the check value
//     (seal.CheckValue) of the key its data is sealed with, and of the
//     previous keys that data may still be sealed with during a key
//     rotation. CheckKeys compares them with the configured keys at start:
//     a server with another key refuses to start, and a server may make a
//     new key current only when the store's current key is among its
//     previous keys. Re-seal passes (Resealing) then seal, in the
//     background, what is still sealed with a previous key again with the
//     current one, after which the store forgets the previous keys.
//   - the token issuer: the first server records the issuer base URL, and
//     the others use it (Issuer), so a token minted by one server verifies
//     on every other.
//
// The records are storage.Settings, which are not in the change log.
//
// # Imports
//
// It may import, inside cognate, only internal/storage and internal/seal;
// the engines' re-sealers reach it as ItemResealer functions, wired in
// cmd/cognate.
// deps_test.go enforces it.
package cluster
