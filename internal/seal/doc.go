// Package seal encrypts and authenticates small values with AES-256-GCM:
// state the server hands to clients and must get back unchanged (the SRP
// SECRET_BLOCK, Session strings), and secrets kept at rest (SRP verifiers,
// app-client secrets).
//
// Each sealed value is bound to a purpose string, passed to GCM as
// additional authenticated data, so a value sealed for one use (say
// "auth-session") cannot be replayed as another ("srp-secret-block"), and a
// verifier sealed for one user cannot be moved onto another when the purpose
// names the user. DeriveKey turns one configured master key into independent
// keys per use with HKDF-SHA256, and LoadOrCreateKeyFile keeps a generated
// key beside the database, readable by its owner only.
//
// For a key rotation, a Sealer seals with its current key and opens with
// it or any previous key it was given; OpenKey tells which key opened a
// value, so that values sealed with a previous key can be sealed again.
// CheckValue identifies a master key without revealing it, so that a store
// can record which key its data is sealed with.
//
// It is a leaf: it imports only the standard library.
package seal
