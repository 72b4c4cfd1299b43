package sts

import (
	"context"
	"time"
)

// WebIdentityRequest asks for the credentials of a role for the holder of
// a web identity token.
type WebIdentityRequest struct {
	RoleARN, RoleSessionName, WebIdentityToken string
	Duration                                   time.Duration     // 0: one hour
	SessionTags                                map[string]string // principal tags
}

// Credentials are temporary AWS credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// Issuer mints temporary credentials for a web identity.
type Issuer interface {
	AssumeRoleWithWebIdentity(ctx context.Context, r WebIdentityRequest) (Credentials, error)
}
