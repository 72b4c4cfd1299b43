// Package sts declares the port through which identity pools obtain
// temporary AWS credentials: an Issuer takes a role, a session name and a
// web identity token (the OpenID token cognate's identity issuer signs for
// an identity) and answers credentials, as the Security Token Service's
// AssumeRoleWithWebIdentity does.
//
// The implementations live elsewhere: cognate's own STS, and a client of
// AWS STS or any STS-compatible endpoint. This package holds only the
// types they share, so that identity pools depend on the port and not on
// either of them.
//
// It may import only the standard library.
package sts
