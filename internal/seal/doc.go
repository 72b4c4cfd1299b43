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
// It is a leaf: it imports only the standard library.
package seal
