package authflow

import (
	"context"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// authFactors is what GetUserAuthFactors and AdminGetUserAuthFactors
// answer for user u of pool: its MFA settings as GetUser shows them, and
// ConfiguredUserAuthFactors, the first factors of choice-based sign-in
// (USER_AUTH) the pool allows and the user can answer: PASSWORD when it
// has one, EMAIL_OTP and SMS_OTP with a verified address or number, and
// WEB_AUTHN with a registered passkey.
func (s *Service) authFactors(ctx context.Context, pool *userpool.SignInPool, u *directory.SignInUser) (*idp.GetUserAuthFactorsResponse, error) {
	out := &idp.GetUserAuthFactorsResponse{
		Username:                  cognito.Ptr(u.Username),
		UserMFASettingList:        slices.Clone(u.MFA.Enabled),
		ConfiguredUserAuthFactors: []idp.AuthFactorType{},
	}
	if u.MFA.Preferred != "" {
		out.PreferredMfaSetting = cognito.Ptr(u.MFA.Preferred)
	}
	for _, f := range pool.FirstAuthFactors {
		var has bool
		switch f {
		case idp.AuthFactorTypePassword:
			has = u.PasswordHash != "" || u.SRPVerifier != "" || u.ImportedHash
		case idp.AuthFactorTypeEmailOtp, idp.AuthFactorTypeSmsOtp:
			has = passwordlessUsable(pool, u, idp.ChallengeNameType(f))
		case idp.AuthFactorTypeWebAuthn:
			n, err := s.countPasskeys(ctx, pool.ID, u.Sub)
			if err != nil {
				return nil, err
			}
			has = n > 0
		}
		if has && !slices.Contains(out.ConfiguredUserAuthFactors, f) {
			out.ConfiguredUserAuthFactors = append(out.ConfiguredUserAuthFactors, f)
		}
	}
	return out, nil
}

// GetUserAuthFactors lists the authentication factors of the access
// token's user.
func (s *Service) GetUserAuthFactors(ctx context.Context, c cognito.Caller, in *idp.GetUserAuthFactorsRequest) (*idp.GetUserAuthFactorsResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(g.PoolID)}, g.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.users.UserBySub(ctx, pool, g.Sub)
	if err != nil {
		return nil, err
	}
	return s.authFactors(ctx, pool, u)
}

// AdminGetUserAuthFactors lists a user's authentication factors, as an
// administrator.
func (s *Service) AdminGetUserAuthFactors(ctx context.Context, c cognito.Caller, in *idp.AdminGetUserAuthFactorsRequest) (*idp.AdminGetUserAuthFactorsResponse, error) {
	pool, err := s.pools.SignInPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	u, err := s.users.LookupUser(ctx, pool, cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	r, err := s.authFactors(ctx, pool, u)
	if err != nil {
		return nil, err
	}
	return &idp.AdminGetUserAuthFactorsResponse{
		Username: r.Username, PreferredMfaSetting: r.PreferredMfaSetting,
		UserMFASettingList: r.UserMFASettingList, ConfiguredUserAuthFactors: r.ConfiguredUserAuthFactors,
	}, nil
}
