// Package mfa holds the second factors of a sign-in as values, with the
// libraries that implement them wrapped rather than re-written: TOTP
// (RFC 6238, through github.com/pquerna/otp) as Cognito's software tokens
// use it, the one-time codes sent by SMS or email, the sealing of TOTP
// secrets at rest, and the WebAuthn ceremonies of passkeys.
//
// Software tokens (AssociateSoftwareToken, VerifySoftwareToken,
// SOFTWARE_TOKEN_MFA) use 30-second steps, 6 digits, SHA-1 and one step
// of drift either side; Check tells which step a code matched, so that the
// caller can store the step and refuse the same code (or an earlier one)
// a second time.
//
// One-time codes (SMS_MFA, EMAIL_OTP) are 6 digits from crypto/rand, stored
// only as an HMAC under a key that is not in the store (CodeHasher): six
// digits have a million values, so an unkeyed hash is reversed by trying
// them all.
//
// TOTP secrets are sealed with AES-GCM under a key derived from the master
// key (KeyLabelTOTP), bound to the pool and user they belong to, and
// re-sealed with the current key during a key rotation (Secrets.Reseal).
//
// Passkeys (webauthn.go) run through github.com/go-webauthn/webauthn: the
// options of a registration or a sign-in for a relying party, and the
// checks of the browser's answer. The origin, the relying party ID the
// authenticator signed for and the challenge are checked first, so that
// the failures Cognito names apart are told apart; the library verifies
// the rest (attestation, signature, flags, user verification), and a sign
// counter that did not advance is refused.
//
// It is a leaf: it may import internal/cognito and internal/seal, and
// nothing that stores or serves.
package mfa
