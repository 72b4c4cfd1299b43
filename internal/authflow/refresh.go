package authflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Messages of the NotAuthorizedException for a refresh token that cannot
// refresh.
const (
	msgInvalidRefreshToken = "Invalid Refresh Token."
	msgRefreshExpired      = "Refresh Token has expired"
	msgRefreshRevoked      = "Refresh Token has been revoked"
	msgRefreshReused       = "Refresh Token has been used already and is no longer valid."
	msgRotationOn          = "Refresh token rotation is enabled for this app client; refresh tokens with GetTokensFromRefreshToken."
)

// initiateRefresh runs REFRESH_TOKEN_AUTH (and its other name
// REFRESH_TOKEN): new access and ID tokens for a refresh token, and no new
// refresh token. A client with refresh-token rotation refreshes only with
// GetTokensFromRefreshToken, as Cognito documents.
func (s *Service) initiateRefresh(ctx context.Context, f flowStart, params map[string]string) (*Step, error) {
	token := params["REFRESH_TOKEN"]
	if token == "" {
		return nil, missing("REFRESH_TOKEN")
	}
	if f.client.RefreshTokenRotation {
		return nil, cognito.InvalidParameterException(msgRotationOn)
	}
	hash := params["SECRET_HASH"]
	if f.client.HasSecret && hash == "" {
		return nil, checkSecretHash(f.client, hash)
	}
	device := params["DEVICE_KEY"]
	res, err := s.refresh(ctx, f.pool, f.client, token, false, &device, func(u *directory.SignInUser) error {
		// Clients make the SECRET_HASH of a refresh with the name they
		// know: the USERNAME they send, the internal username or the sub.
		return checkSecretHash(f.client, hash, params["USERNAME"], u.Username, u.Sub)
	})
	if err != nil {
		return nil, err
	}
	return &Step{Tokens: res, Params: map[string]string{}}, nil
}

// RefreshTokens refreshes tokens for an app client
// (GetTokensFromRefreshToken). With
// refresh-token rotation on, it also issues a new refresh token and retires
// the one given: that one keeps working for the client's
// RetryGracePeriodSeconds (a retry that lost the answer gets fresh tokens
// again), and using it after that is taken as a stolen token: the whole
// family, every token descended from the same sign-in, is revoked, and the
// answer is RefreshTokenReuseException.
func (s *Service) RefreshTokens(ctx context.Context, c cognito.Caller, in Refresh) (*Tokens, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	if err := checkClientSecret(client, in.ClientSecret, cognito.NotAuthorizedException); err != nil {
		return nil, err
	}
	return s.refresh(ctx, pool, client, in.RefreshToken, client.RefreshTokenRotation, &in.DeviceKey, nil)
}

// checkClientSecret checks the ClientSecret of a request to a confidential
// client, in constant time; exception is the exception type the operation
// answers with.
func checkClientSecret(client *userpool.SignInClient, secret string, exception func(string) *cognito.Error) error {
	if !client.HasSecret {
		return nil
	}
	if secret == "" {
		return exception(fmt.Sprintf("Client %s is configured with secret but secret was not received", client.ClientID))
	}
	if !client.CheckClientSecret(secret) {
		return exception("Unable to verify secret for client " + client.ClientID)
	}
	return nil
}

// refresh mints new access and ID tokens from a refresh token, in the
// token's family: same origin_jti, auth_time and event_id, with the user's
// current groups and attributes. checkSecret, when not nil, checks the
// request's SECRET_HASH once the user is known. With rotate, the token is
// retired and a new one issued (see GetTokensFromRefreshToken). device,
// when not nil, is the DEVICE_KEY the request gives (checkRefreshDevice).
//
// It reads the refresh token, the user and the token family. Only a
// rotation, or a retired token used again (which revokes the family), runs
// a transaction: without them nothing is written, and a locked read would
// tell no more than a plain one (see refreshFamily).
func (s *Service) refresh(ctx context.Context, pool *userpool.SignInPool, client *userpool.SignInClient, token string, rotate bool, device *string, checkSecret func(*directory.SignInUser) error) (*Tokens, error) {
	hash := refreshHash(token)
	it, err := s.store.GetItem(ctx, kindRefreshToken, refreshID(pool.ID, hash))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, cognito.NotAuthorizedException(msgInvalidRefreshToken)
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get refresh token: %w", err))
	}
	rec, err := decodeRefresh(it)
	if err != nil {
		return nil, internal(err)
	}
	if rec.Client != client.ClientID {
		return nil, cognito.NotAuthorizedException(msgInvalidRefreshToken)
	}
	now := s.now()
	// A refresh that writes nothing reads the token's family with the
	// user, in one store call, and on PostgreSQL the user's groups in the
	// same round trip (readWithGroups).
	writes := rotate || reusedAt(client, rec, now)
	var u *directory.SignInUser
	var famIt *storage.Item
	var reads storage.ItemReader = s.store
	if writes {
		u, err = s.users.UserBySub(ctx, pool, rec.Sub)
	} else {
		var rs *readSet
		rs, err = s.readWithGroups(ctx, pool.ID, rec.Sub, []storage.ItemRef{
			directory.UserRef(rec.Sub), {Kind: kindTokenFamily, ID: familyID(pool.ID, rec.Family)}})
		if err != nil {
			return nil, internal(fmt.Errorf("read the refresh's items: %w", err))
		}
		reads, famIt = rs, rs.items[1]
		u, err = s.users.UserBySubIn(ctx, rs, pool, rec.Sub)
	}
	if err != nil {
		return nil, err
	}
	if checkSecret != nil {
		if err := checkSecret(u); err != nil {
			return nil, err
		}
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, cognito.NotAuthorizedException(msgRefreshExpired)
	}
	if !u.Enabled {
		// AdminDisableUser revokes the user's tokens on Cognito; a token
		// that finds its user disabled does it here, for every session.
		if err := s.revokeUser(ctx, pool.ID, u.Sub); err != nil {
			return nil, err
		}
		return nil, cognito.NotAuthorizedException(msgRefreshRevoked)
	}

	if !writes {
		fam, err := refreshFamilyOf(famIt)
		if err != nil {
			return nil, err
		}
		if err := s.checkRefreshDevice(ctx, s.store, pool.ID, fam, device); err != nil {
			return nil, err
		}
		access, id, err := s.mint(ctx, reads, pool, client, u, rec.Family, fam, sourceTokenRefresh)
		if err != nil {
			return nil, err
		}
		return s.result(client, access, id, ""), nil
	}

	// With a pre-token-generation trigger, the tokens are minted before
	// the rotation is written, so that a trigger that refuses leaves the
	// refresh token as it was. (The claims it mints from, auth_time,
	// event_id and scopes, are the family's and never change.)
	var access, id string
	if s.hooks.preTokenGeneration != nil {
		fam, err := s.refreshFamily(ctx, pool.ID, rec.Family)
		if err != nil {
			return nil, err
		}
		if access, id, err = s.mint(ctx, s.store, pool, client, u, rec.Family, fam, sourceTokenRefresh); err != nil {
			return nil, err
		}
	}
	var fam *familyRecord
	var newToken string
	reused := false
	err = s.runTx(ctx, func(tx storage.Tx) error {
		fam, newToken, reused = nil, "", false
		famIt, err := tx.GetItem(ctx, kindTokenFamily, familyID(pool.ID, rec.Family))
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.NotAuthorizedException(msgRefreshRevoked)
		}
		if err != nil {
			return fmt.Errorf("get token family: %w", err)
		}
		if fam, err = decodeFamily(famIt); err != nil {
			return err
		}
		if err := s.checkRefreshDevice(ctx, tx, pool.ID, fam, device); err != nil {
			return err
		}
		cur, err := tx.GetItem(ctx, kindRefreshToken, it.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.NotAuthorizedException(msgRefreshRevoked)
		}
		if err != nil {
			return fmt.Errorf("get refresh token: %w", err)
		}
		r, err := decodeRefresh(cur)
		if err != nil {
			return err
		}
		// The clock is read again under the row lock: a concurrent
		// rotation of the same token may have committed after now.
		if reusedAt(client, r, s.now()) {
			reused = true
			return deleteFamily(ctx, tx, famIt)
		}
		if !rotate {
			return nil
		}
		if r.RotatedAt == nil {
			r.RotatedAt = &now
			upd, err := refreshItem(pool.ID, hash, r, cur.Version)
			if err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, upd); err != nil {
				return fmt.Errorf("retire refresh token: %w", err)
			}
		}
		newToken = newRefreshToken()
		next := &refreshRecord{Family: r.Family, Client: client.ClientID, Sub: u.Sub, IssuedAt: now, ExpiresAt: now.Add(client.RefreshTokenValidity)}
		nextIt, err := refreshItem(pool.ID, refreshHash(newToken), next, 0)
		if err != nil {
			return err
		}
		if err := tx.CreateItem(ctx, nextIt); err != nil {
			return fmt.Errorf("create refresh token: %w", err)
		}
		if next.ExpiresAt.After(fam.ExpiresAt) {
			fam.ExpiresAt = next.ExpiresAt
			upd, err := familyItem(pool.ID, r.Family, fam, famIt.Version)
			if err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, upd); err != nil {
				return fmt.Errorf("extend token family: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return nil, cognito.RefreshTokenReuseException(msgRefreshReused)
	}
	if access == "" {
		if access, id, err = s.mint(ctx, s.store, pool, client, u, rec.Family, fam, sourceTokenRefresh); err != nil {
			return nil, err
		}
	}
	return s.result(client, access, id, newToken), nil
}

// reusedAt reports whether using the refresh token r at now is reuse: the
// token was retired by a rotation, and the client's grace period for
// retries (none when zero) has passed since.
func reusedAt(client *userpool.SignInClient, r *refreshRecord, now time.Time) bool {
	at := r.RotatedAt
	return at != nil && (client.RetryGracePeriod == 0 || now.Sub(*at) > client.RetryGracePeriod)
}

// refreshFamily reads the token family origin for a refresh that writes
// nothing: a family that is gone has been revoked. It needs no
// transaction. The token's record, read before, is current enough: a
// rotation sets RotatedAt once and never clears it, and whatever commits
// after these reads (a revocation, a rotation) is as if it had committed
// right after a locked read, where the tokens this refresh mints would be
// refused from the revocation on just the same, since they carry the
// family's origin_jti.
func (s *Service) refreshFamily(ctx context.Context, pool, origin string) (*familyRecord, error) {
	it, err := s.store.GetItem(ctx, kindTokenFamily, familyID(pool, origin))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, cognito.NotAuthorizedException(msgRefreshRevoked)
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get token family: %w", err))
	}
	return refreshFamilyOf(it)
}

// refreshFamilyOf is refreshFamily for the family's item, read already:
// nil when there is none.
func refreshFamilyOf(it *storage.Item) (*familyRecord, error) {
	if it == nil {
		return nil, cognito.NotAuthorizedException(msgRefreshRevoked)
	}
	fam, err := decodeFamily(it)
	if err != nil {
		return nil, internal(err)
	}
	return fam, nil
}

// checkRefreshDevice checks the DEVICE_KEY of a refresh (given, nil for
// the hosted UI's, whose families have no device) against the device the
// family was signed in on: a DEVICE_KEY of another device is refused, and
// so is none at all once the family's device is confirmed (a pool that
// remembers devices refreshes on the device, as Cognito documents for
// GetTokensFromRefreshToken).
func (s *Service) checkRefreshDevice(ctx context.Context, r interface {
	GetItem(ctx context.Context, kind, id string) (*storage.Item, error)
}, pool string, fam *familyRecord, given *string) error {
	if given == nil || fam.DeviceKey == "" {
		return nil
	}
	if *given != "" {
		if *given != fam.DeviceKey {
			return cognito.NotAuthorizedException(msgInvalidRefreshToken)
		}
		return nil
	}
	_, err := r.GetItem(ctx, kindDevice, deviceID(pool, fam.DeviceKey))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return internal(fmt.Errorf("get device: %w", err))
	}
	return cognito.NotAuthorizedException(msgInvalidRefreshToken)
}
