// Package sts tests the delegation of identity pools' credentials to
// another Security Token Service over the wire: a second cognate process,
// started with e2e/proc, stands in for AWS STS, and the client cognate
// uses for AWS STS (internal/sts/delegate) asks it for credentials with a
// web identity token that the second process verifies through the token
// issuer's discovery document and JWKS, fetched over HTTP. In the second
// test the first process is a cognate too, in sts.mode endpoint: its
// identity pool asks the second process for credentials with the OpenID
// token of its own identity issuer, which the second verifies through the
// first's published keys.
package sts
