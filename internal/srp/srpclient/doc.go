// Package srpclient is the client side of Cognito's SRP as
// amazon-cognito-identity-js (AuthenticationHelper) computes it: the
// private a and public A (SRP_A), the answer to PASSWORD_VERIFIER and
// DEVICE_PASSWORD_VERIFIER (u, x, S, the HKDF key, the TIMESTAMP and the
// PASSWORD_CLAIM_SIGNATURE), and a remembered device's verifier as
// ConfirmDevice takes it (generateHashDevice). docs/srp.md describes the
// protocol.
//
// It is written from the protocol apart from internal/srp, the server's
// side, and imports none of cognate's packages, so that the tests and the
// load generator (internal/bench) that drive sign-ins with it check the
// server against an independent implementation; internal/srp's own tests
// check it against the vectors the real client library computed.
//
// It is not a test package: the load generator links it, so it does not
// import testing and reports malformed challenge parameters as errors.
package srpclient
