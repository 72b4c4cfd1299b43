package authflow

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
)

// Messages of the exceptions token revocation and access-token
// authentication answer with.
const (
	msgAccessRevoked   = "Access Token has been revoked"
	msgInvalidAccess   = "Invalid Access Token"
	msgMissingScope    = "Access Token does not have required scopes"
	msgRevocationOff   = "Token revocation isn't enabled for this app client."
	msgNotRefreshToken = "Only refresh tokens can be revoked."
	msgInvalidClient   = "Invalid client"
)

// RevokeToken revokes a refresh token and every token minted from it: its
// whole family, which holds the access and ID tokens with its origin_jti
// (and, under rotation, the refresh tokens that replaced it). The user's
// other sessions stay signed in. A token that is unknown, expired or
// already revoked is accepted without effect (RFC 7009, section 2.2).
func (s *Service) RevokeToken(ctx context.Context, c cognito.Caller, in Revocation) error {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if errors.Is(err, cognito.ResourceNotFoundException("")) {
		return cognito.UnauthorizedException(msgInvalidClient).WithCause(err)
	}
	if err != nil {
		return err
	}
	if !client.TokenRevocation {
		return cognito.UnsupportedOperationException(msgRevocationOff)
	}
	if err := checkClientSecret(client, in.ClientSecret, cognito.UnauthorizedException); err != nil {
		return err
	}
	token := in.Token
	if strings.Count(token, ".") == 2 {
		// A JWT: an access or ID token, which are revoked through the
		// refresh token they came from.
		return cognito.UnsupportedTokenTypeException(msgNotRefreshToken)
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindRefreshToken, refreshID(pool.ID, refreshHash(token)))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get refresh token: %w", err)
		}
		rec, err := decodeRefresh(it)
		if err != nil {
			return err
		}
		if rec.Client != client.ClientID {
			return nil
		}
		fam, err := tx.GetItem(ctx, kindTokenFamily, familyID(pool.ID, rec.Family))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get token family: %w", err)
		}
		return deleteFamily(ctx, tx, fam)
	})
	if err != nil {
		return err
	}
	return nil
}

// GlobalSignOut signs the caller out of every session: all of its refresh
// tokens, and the access and ID tokens minted from them, are revoked.
func (s *Service) GlobalSignOut(ctx context.Context, c cognito.Caller) error {
	g := c.Access
	if g == nil {
		return cognito.NotAuthorizedException(msgInvalidAccess)
	}
	if !hasScope(g.Scopes, tokens.DefaultScope) {
		return cognito.NotAuthorizedException(msgMissingScope)
	}
	if err := s.revokeUser(ctx, g.PoolID, g.Sub); err != nil {
		return err
	}
	return nil
}

// AdminUserGlobalSignOut signs a user out of every session, as an
// administrator.
func (s *Service) AdminUserGlobalSignOut(ctx context.Context, c cognito.Caller, poolID, username string) error {
	pool, err := s.pools.SignInPool(ctx, c, poolID)
	if err != nil {
		return err
	}
	u, err := s.users.LookupUser(ctx, pool, username)
	if err != nil {
		return err
	}
	if err := s.revokeUser(ctx, pool.ID, u.Sub); err != nil {
		return err
	}
	return nil
}

func hasScope(scopes []string, want string) bool {
	for _, sc := range scopes {
		if sc == want {
			return true
		}
	}
	return false
}

// revokeUser deletes every token family of the user sub, one transaction
// per family.
func (s *Service) revokeUser(ctx context.Context, pool, sub string) error {
	for {
		entries, err := s.store.ScanIndex(ctx, storage.ScanInput{Kind: kindTokenFamily, Prefix: familiesOfPrefix(pool, sub), Limit: 100})
		if err != nil {
			return internal(fmt.Errorf("list token families: %w", err))
		}
		for _, e := range entries {
			err := s.runTx(ctx, func(tx storage.Tx) error {
				it, err := tx.GetItem(ctx, kindTokenFamily, e.Item.ID)
				if errors.Is(err, storage.ErrNotFound) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("get token family: %w", err)
				}
				return deleteFamily(ctx, tx, it)
			})
			if err != nil {
				return err
			}
		}
		if len(entries) < 100 {
			return nil
		}
	}
}

// AuthenticateAccessToken establishes who calls an access-token operation
// (GetUser, GlobalSignOut, …): the token must verify (signature, issuer,
// token_use, expiry; tokens.VerifyAccessToken), its user must still exist
// (UserNotFoundException), its family must not be revoked (RevokeToken,
// GlobalSignOut: refused from the very next request with "Access Token has
// been revoked"), and its user must be enabled (disabling a user revokes its
// tokens, as AdminDisableUser does on Cognito). The grant carries the pool
// and the user it read (AccessGrant.Principal), so that the operation the
// token authorizes does not read them again.
func (s *Service) AuthenticateAccessToken(ctx context.Context, token string) (*cognito.AccessGrant, error) {
	claims, err := s.tokens.VerifyAccessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(claims.PoolID)}, claims.PoolID)
	if errors.Is(err, cognito.ResourceNotFoundException("")) {
		return nil, cognito.NotAuthorizedException(msgInvalidAccess).WithCause(err)
	}
	if err != nil {
		return nil, err
	}
	// The user and the token's family are read in one store call (one
	// round trip on PostgreSQL). The family is checked after the user:
	// deleting a user deletes its families, and its tokens then answer
	// that the user does not exist.
	var u *directory.SignInUser
	if claims.OriginJTI == "" {
		u, err = s.users.UserBySub(ctx, pool, claims.Sub)
	} else {
		var fam *storage.Item
		u, fam, err = s.users.UserBySubWith(ctx, pool, claims.Sub,
			storage.ItemRef{Kind: kindTokenFamily, ID: familyID(claims.PoolID, claims.OriginJTI)})
		if err == nil && fam == nil {
			return nil, cognito.NotAuthorizedException(msgAccessRevoked)
		}
	}
	if err != nil {
		return nil, err
	}
	if !u.Enabled {
		if err := s.revokeUser(ctx, pool.ID, u.Sub); err != nil {
			return nil, err
		}
		return nil, cognito.NotAuthorizedException(msgAccessRevoked)
	}
	return &cognito.AccessGrant{
		PoolID: claims.PoolID, ClientID: claims.ClientID, Sub: claims.Sub, Username: claims.Username,
		Scopes: claims.Scopes, JTI: claims.JTI, OriginJTI: claims.OriginJTI,
		// What was read here, the operation the token authorizes need
		// not read again.
		Principal: directory.NewPrincipal(pool, u),
	}, nil
}

// CheckIDToken tells whether an ID token of the user sub of poolID, from
// the sign-in session originJTI, still stands: the user exists and is
// enabled, and the session was not revoked (RevokeToken, GlobalSignOut,
// AdminUserGlobalSignOut). Identity pools ask it for the providers
// configured with ServerSideTokenCheck. A token that does not stand is
// NotAuthorizedException.
func (s *Service) CheckIDToken(ctx context.Context, poolID, sub, originJTI string) error {
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(poolID)}, poolID)
	if errors.Is(err, cognito.ResourceNotFoundException("")) {
		return cognito.NotAuthorizedException("Token has been revoked").WithCause(err)
	}
	if err != nil {
		return err
	}
	u, err := s.users.UserBySub(ctx, pool, sub)
	if errors.Is(err, cognito.UserNotFoundException("")) {
		return cognito.NotAuthorizedException("Token has been revoked").WithCause(err)
	}
	if err != nil {
		return err
	}
	if !u.Enabled {
		return cognito.NotAuthorizedException("User is disabled.")
	}
	if originJTI == "" {
		return nil
	}
	_, err = s.store.GetItem(ctx, kindTokenFamily, familyID(poolID, originJTI))
	if errors.Is(err, storage.ErrNotFound) {
		return cognito.NotAuthorizedException("Token has been revoked")
	}
	if err != nil {
		return internal(fmt.Errorf("get token family: %w", err))
	}
	return nil
}
