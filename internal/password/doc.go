// Package password hashes and verifies passwords with argon2id, the one
// place the server computes it.
//
// A Hasher is a value made once at start-up (cmd/cognate wires one from the
// configuration's password_hashing block) and shared by every engine that
// touches passwords: the user directory hashes new passwords and checks
// previous ones, the sign-in engine verifies passwords and runs its SRP
// exponentiations through the same scheduler. Its Params are the cost of new
// hashes; verification reads the cost from the stored PHC string, so a
// change of Params never locks anyone out.
//
// The Hasher owns the concurrency cap of the expensive work: at most Slots
// computations (GOMAXPROCS by default) run at once, and the others wait in a
// ratelimit.FairQueue keyed by the client address the API edge puts in the
// context, so that a client that floods cannot starve the others. Known and
// unknown users queue alike. The dummy hash (Dummy) is made once per Hasher
// at its Params, so that a sign-in for a user that does not exist costs what
// a real one costs.
//
// Imported password hashes (imported.go) are the one exception to argon2id:
// the hashes a user import job brings from another directory (bcrypt,
// scrypt, Argon2id and PBKDF2-SHA256 with their own parameters, within
// bounds) are parsed here and checked once, at the user's first sign-in,
// through the same queue, before the directory replaces them.
//
// A Hasher answers Cognito's TooManyRequestsException when a client already
// has as many computations waiting as it may; that is the one Cognito
// exception it decides.
//
// It may import internal/cognito (the exception it answers) and
// internal/ratelimit (the fair queue), both leaves, and
// golang.org/x/crypto (argon2; bcrypt, scrypt and pbkdf2 for imported
// hashes); nothing else of cognate.
package password
