// Package srp is Cognito's variant of SRP-6a (RFC 5054), as
// amazon-cognito-identity-js and the SDKs that mirror it compute it: the
// group and hash, the user's verifier, the server's side of one exchange
// (B, the shared secret, the check of PASSWORD_CLAIM_SIGNATURE), the
// TIMESTAMP format, and the stable stand-in answers for users that do not
// exist. docs/srp.md describes the protocol; testdata holds vectors the
// real client library computed (gen.js makes them).
//
// It also seals the verifiers that user records keep (Verifiers), since a
// verifier lets whoever holds it test password guesses offline. The user
// pool makes and seals a verifier wherever a password is set; the sign-in
// engine opens it and runs the exchange; the benchmark uses the math.
//
// Its computations are modular exponentiations in a 3072-bit group, about
// a millisecond each: callers run them through the server's fair queue of
// expensive computations, which is not this package's concern.
//
// It is a leaf: it imports only internal/cognito (for the exceptions its
// checks answer) and internal/seal, never an engine, a store or an edge.
package srp
