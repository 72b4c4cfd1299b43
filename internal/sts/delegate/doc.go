// Package delegate is the sts.Issuer that obtains temporary credentials
// from a real Security Token Service: AWS STS, or any STS-compatible
// endpoint (an object store's STS, or another cognate), through the AWS
// SDK for Go v2's STS client. AssumeRoleWithWebIdentity is unsigned, so
// it needs no AWS credentials: the web identity token (the OpenID token
// cognate's identity issuer signs) is the proof, which the STS verifies
// through the issuer's discovery document and JWKS, so that issuer must
// be reachable from the STS by its URL.
//
// The service's errors come back as *sts.Error with STS's codes. The wire
// has no parameter for session tags: an STS reads them from the token's
// https://aws.amazon.com/tags claim, so a WebIdentityRequest's SessionTags
// must be in the token for a delegated STS to see them.
//
// It may import internal/sts and the AWS SDK; nothing else of cognate.
package delegate
