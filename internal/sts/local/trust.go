package local

import (
	"context"
	"slices"
)

// IdentityPoolTrust is the role trust of cognate's identity issuer, whose
// tokens name an identity pool as their audience and say in amr whether
// the identity is authenticated, as a role's trust policy on AWS checks
// cognito-identity.amazonaws.com:amr: an authenticated identity's token
// may assume any role its issuer allows (the pool chose it, by role
// mapping when it has one), an unauthenticated identity's token only the
// pool's unauthenticated role, which unauthenticatedRole returns ("" when
// the pool has none or is gone), and a token that says neither, none.
func IdentityPoolTrust(unauthenticatedRole func(ctx context.Context, poolID string) (string, error)) func(context.Context, Token, string) (bool, error) {
	return func(ctx context.Context, t Token, roleARN string) (bool, error) {
		switch {
		case slices.Contains(t.AMR, "authenticated"):
			return true, nil
		case slices.Contains(t.AMR, "unauthenticated"):
			role, err := unauthenticatedRole(ctx, t.Audience)
			if err != nil {
				return false, err
			}
			return role != "" && role == roleARN, nil
		}
		return false, nil
	}
}
