package directory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file serves the operations a signed-in user authorizes with its own
// access token: GetUser, UpdateUserAttributes, DeleteUserAttributes,
// DeleteUser, ChangePassword, GetUserAttributeVerificationCode,
// VerifyUserAttribute and SetUserSettings. The edge verifies the token (its
// signature, expiry and revocation) and hands over what it establishes as
// Caller.Access; these methods check its scope, find the user by the
// token's sub, and apply the app client's read and write permissions.

// selfServiceScope is the scope every access-token operation needs.
const selfServiceScope = "aws.cognito.signin.user.admin"

// Cognito's answers to an access token that does not authorize an
// operation.
func invalidAccessToken() *cognito.Error {
	return cognito.NotAuthorizedException("Invalid Access Token")
}

func missingScope() error {
	return cognito.NotAuthorizedException("Access Token does not have required scopes")
}

// verifiableAttributes are the attributes a code can verify.
var verifiableAttributes = []string{"email", "phone_number"}

func notVerifiable() error {
	return cognito.InvalidParameterException("Invalid attribute name. Only phone_number and email can be verified.")
}

// selfPool checks the caller's access grant for a self-service operation
// and returns the pool it was issued by: as authenticating the token read
// it when the grant carries that read (cognito.AccessGrant.Principal), else from
// the store. The pool is shared (readPool): never modify it.
func (s *Service) selfPool(ctx context.Context, c cognito.Caller) (*idp.UserPoolType, error) {
	if c.Access == nil {
		return nil, invalidAccessToken()
	}
	if !slices.Contains(c.Access.Scopes, selfServiceScope) {
		return nil, missingScope()
	}
	if pr := principalOf(c); pr != nil {
		return pr.pool, nil
	}
	p, err := s.pools.ReadPool(ctx, c, c.Access.PoolID)
	if errors.Is(err, cognito.ResourceNotFoundException("")) {
		// A token outlives neither its pool nor the pool's signing keys;
		// the edge normally refuses it before this point.
		return nil, invalidAccessToken().WithCause(err)
	}
	return p, err
}

// selfClient returns the app client the caller's access token was issued
// to; a token whose client no longer exists authorizes nothing.
func (s *Service) selfClient(ctx context.Context, c cognito.Caller) (*userpool.SignInClient, error) {
	cl, err := s.pools.ReadClient(ctx, c, c.Access.ClientID)
	if errors.Is(err, cognito.ResourceNotFoundException("")) || (err == nil && cl.PoolID != c.Access.PoolID) {
		return nil, invalidAccessToken()
	}
	return cl, err
}

// selfUser returns the user the caller's access token was issued to, found
// by its sub (never by username or alias, which another user could hold by
// now). A deleted user is UserNotFoundException, as Cognito answers a
// token that outlived its user; a disabled one is NotAuthorizedException.
func selfUser(ctx context.Context, r storage.ItemReader, c cognito.Caller) (*storage.Item, *userRecord, error) {
	it, err := r.GetItem(ctx, kindUser, c.Access.Sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != c.Access.PoolID) {
		return nil, nil, userNotFound()
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get user %q: %w", c.Access.Sub, err))
	}
	u, err := decodeUser(it)
	if err != nil {
		return nil, nil, err
	}
	if !u.Enabled {
		return nil, nil, userDisabled()
	}
	return it, u, nil
}

// selfUserRead is selfUser for an operation that only reads the user
// (GetUser): it takes the user as authenticating the token read it when
// the grant carries that read (cognito.AccessGrant.Principal), with the same
// checks, and reads the store otherwise. The record it returns may be
// shared: never modify it.
func (s *Service) selfUserRead(ctx context.Context, c cognito.Caller) (*userRecord, error) {
	if pr := principalOf(c); pr != nil {
		if !pr.user.Enabled {
			return nil, userDisabled()
		}
		return pr.user, nil
	}
	_, u, err := selfUser(ctx, s.store, c)
	return u, err
}

// updateSelf runs a read-modify-write of the caller's user in one
// transaction, retrying on conflicts. mutate changes u in place (it runs
// again, on a fresh read, on each retry) and may return an error to abort
// the write.
func (s *Service) updateSelf(ctx context.Context, c cognito.Caller, p *idp.UserPoolType, mutate func(u *userRecord, now time.Time) error) (*userRecord, error) {
	return s.mutateUser(ctx, p, func(tx storage.Tx) (*storage.Item, *userRecord, error) {
		return selfUser(ctx, tx, c)
	}, mutate)
}

// GetUser returns the signed-in user: its username, the attributes its
// app client may read, and its MFA settings.
func (s *Service) GetUser(ctx context.Context, c cognito.Caller, in *idp.GetUserRequest) (*idp.GetUserResponse, error) {
	if _, err := s.selfPool(ctx, c); err != nil {
		return nil, err
	}
	u, err := s.selfUserRead(ctx, c)
	if err != nil {
		return nil, err
	}
	cl, err := s.selfClient(ctx, c)
	if err != nil {
		return nil, err
	}
	out := &idp.GetUserResponse{
		Username: cognito.Ptr(u.Username),
		UserAttributes: slices.DeleteFunc(userAttributeList(u), func(a idp.AttributeType) bool {
			return !cl.Reads(cognito.Deref(a.Name))
		}),
		MFAOptions:         u.MFAOptions,
		UserMFASettingList: enabledMFA(u),
	}
	if u.PreferredMFA != "" {
		out.PreferredMfaSetting = cognito.Ptr(u.PreferredMFA)
	}
	return out, nil
}

// verifyBeforeUpdate reports whether the pool keeps attr's original value
// until the user verifies a new one (UserAttributeUpdateSettings).
func verifyBeforeUpdate(p *idp.UserPoolType, attr string) bool {
	return p.UserAttributeUpdateSettings != nil &&
		slices.Contains(p.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate, idp.VerifiedAttributeType(attr))
}

// sendVerification records on u a new code that verifies value for attr,
// adds its message (of CustomMessage source source) to o, and returns
// where it goes.
func (h codeHasher) sendVerification(o *outgoing, source string, p *idp.UserPoolType, u *userRecord, attr, value string, now time.Time) idp.CodeDeliveryDetailsType {
	code := newCode()
	h.addCodeTo(u, messaging.PurposeVerification, attr, value, code, now.Add(verificationCodeTTL), now)
	o.add(source, u, messaging.CodeDraft(p, messaging.PurposeVerification, channelOf(attr), value, u.Username, code))
	return *codeDelivery(attr, value)
}

// dropVerificationCodes removes the verification codes sent for attr.
func dropVerificationCodes(u *userRecord, attr string) {
	u.Codes = slices.DeleteFunc(u.Codes, func(c userCode) bool {
		return c.Purpose == messaging.PurposeVerification && c.Attribute == attr
	})
	if len(u.Codes) == 0 {
		u.Codes = nil
	}
}

// UpdateUserAttributes sets attributes of the signed-in user, each one its
// app client may write. A new email or phone_number is handled in one of
// two ways. When the pool's UserAttributeUpdateSettings list the
// attribute, the original value stays (and keeps signing the user in and
// receiving messages) while the new one waits, and a code goes to the new
// value; VerifyUserAttribute then puts it in place. Otherwise the new value
// replaces the old one at once, unverified, and a code goes to it when the
// pool auto-verifies the attribute. CodeDeliveryDetailsList lists the codes
// sent.
func (s *Service) UpdateUserAttributes(ctx context.Context, c cognito.Caller, in *idp.UpdateUserAttributesRequest) (*idp.UpdateUserAttributesResponse, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	attrs, err := checkAttributes(p, in.UserAttributes, attrUpdate)
	if err != nil {
		return nil, err
	}
	cl, err := s.selfClient(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := checkClientWrites(cl, in.UserAttributes); err != nil {
		return nil, err
	}
	var codes []idp.CodeDeliveryDetailsType
	o := s.outgoing(p, cl.ClientID, in.ClientMetadata)
	_, err = s.updateSelfSending(ctx, c, p, o, func(u *userRecord, now time.Time) error {
		codes = nil
		for _, name := range slices.Sorted(maps.Keys(attrs)) {
			v := attrs[name]
			if !slices.Contains(verifiableAttributes, name) {
				u.Attributes[name] = v
				continue
			}
			if v == u.Attributes[name] {
				// Asking for the current value again withdraws a new
				// value waiting for verification, and the code sent to it.
				if _, ok := u.PendingAttributes[name]; ok {
					delete(u.PendingAttributes, name)
					dropVerificationCodes(u, name)
				}
				continue
			}
			// A code sent to an earlier value must not verify this one.
			dropVerificationCodes(u, name)
			if v != "" && verifyBeforeUpdate(p, name) {
				if u.PendingAttributes == nil {
					u.PendingAttributes = map[string]string{}
				}
				u.PendingAttributes[name] = v
				codes = append(codes, s.codes.sendVerification(o, sourceMessageUpdateAttribute, p, u, name, v, now))
				continue
			}
			delete(u.PendingAttributes, name)
			u.Attributes[name] = v
			u.Attributes[name+"_verified"] = "false"
			if v != "" && autoVerified(p, name) {
				codes = append(codes, s.codes.sendVerification(o, sourceMessageUpdateAttribute, p, u, name, v, now))
			}
		}
		if len(u.PendingAttributes) == 0 {
			u.PendingAttributes = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return &idp.UpdateUserAttributesResponse{CodeDeliveryDetailsList: codes}, nil
}

// DeleteUserAttributes deletes attributes of the signed-in user, with the
// checks AdminDeleteUserAttributes makes; each must also be one its app
// client may write.
func (s *Service) DeleteUserAttributes(ctx context.Context, c cognito.Caller, in *idp.DeleteUserAttributesRequest) (*idp.DeleteUserAttributesResponse, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := checkDeletableAttributes(p, in.UserAttributeNames); err != nil {
		return nil, err
	}
	cl, err := s.selfClient(ctx, c)
	if err != nil {
		return nil, err
	}
	named := make([]idp.AttributeType, len(in.UserAttributeNames))
	for i, name := range in.UserAttributeNames {
		named[i].Name = cognito.Ptr(name)
	}
	if err := checkClientWrites(cl, named); err != nil {
		return nil, err
	}
	_, err = s.updateSelf(ctx, c, p, func(u *userRecord, _ time.Time) error {
		deleteAttributes(u, in.UserAttributeNames)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.DeleteUserAttributesResponse{}, nil
}

// DeleteUser deletes the signed-in user, with its group memberships and
// authentication events, as AdminDeleteUser does.
func (s *Service) DeleteUser(ctx context.Context, c cognito.Caller, in *idp.DeleteUserRequest) (*cognito.Empty, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	err = retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, _, err := selfUser(ctx, tx, c)
			if err != nil {
				return err
			}
			return s.deleteUserTx(ctx, tx, it)
		}))
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ChangePassword replaces the signed-in user's password. The proposed
// password must meet the pool's policy and history; the previous one must
// be the user's current password, or the answer is NotAuthorizedException
// with the words a wrong sign-in gets. Both hashes are computed outside the
// transaction, which then checks that the password they were made against
// is still the current one.
func (s *Service) ChangePassword(ctx context.Context, c cognito.Caller, in *idp.ChangePasswordRequest) (*idp.ChangePasswordResponse, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	pp, proposed := policyOf(p), cognito.Deref(in.ProposedPassword)
	if err := checkPassword(pp, proposed); err != nil {
		return nil, err
	}
	if err := s.checkCompromised(ctx, p, c.Access.ClientID, idp.EventFilterTypePasswordChange, proposed); err != nil {
		return nil, err
	}
	for range 5 {
		_, u, err := selfUser(ctx, s.store, c)
		if err != nil {
			return nil, err
		}
		if ok, err := s.passwords.Verify(ctx, u.PasswordHash, cognito.Deref(in.PreviousPassword)); err != nil {
			return nil, err
		} else if !ok {
			return nil, cognito.NotAuthorizedException("Incorrect username or password.")
		}
		if reused, err := s.passwordReused(ctx, pp, u, proposed); err != nil {
			return nil, err
		} else if reused {
			return nil, passwordHistoryError()
		}
		np, err := s.hashNewPassword(ctx, cognito.Deref(p.Id), u.Username, proposed)
		if err != nil {
			return nil, err
		}
		seen := u.PasswordHash
		_, err = s.updateSelf(ctx, c, p, func(u *userRecord, now time.Time) error {
			if u.PasswordHash != seen {
				return errPasswordRaced
			}
			return s.applyNewPassword(u, p, np, now)
		})
		if errors.Is(err, errPasswordRaced) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &idp.ChangePasswordResponse{}, nil
	}
	return nil, cognito.ConcurrentModificationException("The resource was modified by another request. Try again.")
}

// GetUserAttributeVerificationCode sends the signed-in user a code that
// verifies its email or phone_number: to the new value when one waits for
// verification, else to the current value.
func (s *Service) GetUserAttributeVerificationCode(ctx context.Context, c cognito.Caller, in *idp.GetUserAttributeVerificationCodeRequest) (*idp.GetUserAttributeVerificationCodeResponse, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	attr := cognito.Deref(in.AttributeName)
	if !slices.Contains(verifiableAttributes, attr) {
		return nil, notVerifiable()
	}
	var details idp.CodeDeliveryDetailsType
	o := s.outgoing(p, c.Access.ClientID, in.ClientMetadata)
	_, err = s.updateSelfSending(ctx, c, p, o, func(u *userRecord, now time.Time) error {
		v := u.PendingAttributes[attr]
		if v == "" {
			v = u.Attributes[attr]
		}
		if v == "" {
			if attr == "email" {
				return cognito.InvalidParameterException("User does not have a valid registered email address")
			}
			return cognito.InvalidParameterException("User does not have a valid registered phone number")
		}
		details = s.codes.sendVerification(o, sourceMessageVerifyAttribute, p, u, attr, v, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return &idp.GetUserAttributeVerificationCodeResponse{CodeDeliveryDetails: &details}, nil
}

// VerifyUserAttribute checks a code sent to the signed-in user's email or
// phone_number and marks the attribute verified, first putting in place a
// new value that waited for verification. A verified alias is then claimed:
// AliasExistsException when another user holds it. A wrong code counts
// against the code's attempts even though the request fails.
func (s *Service) VerifyUserAttribute(ctx context.Context, c cognito.Caller, in *idp.VerifyUserAttributeRequest) (*idp.VerifyUserAttributeResponse, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	attr := cognito.Deref(in.AttributeName)
	if !slices.Contains(verifiableAttributes, attr) {
		return nil, notVerifiable()
	}
	var codeErr error
	_, err = s.updateSelf(ctx, c, p, func(u *userRecord, now time.Time) error {
		spent, changed, err := s.codes.spendCode(u, messaging.PurposeVerification, attr, cognito.Deref(in.Code), now)
		codeErr = err
		if err != nil {
			if !changed {
				return err
			}
			// Write the failure count back, then report the error.
			return nil
		}
		v, pending := u.PendingAttributes[attr]
		if !pending {
			v = u.Attributes[attr]
		}
		if v == "" || (spent.To != "" && !s.codes.wentTo(spent, u.Sub, v)) {
			// The value the code went to has changed since (an
			// administrator may have changed it): the code is used up and
			// verifies nothing.
			codeErr = codeExpired()
			return nil
		}
		if pending {
			u.Attributes[attr] = v
			delete(u.PendingAttributes, attr)
			if len(u.PendingAttributes) == 0 {
				u.PendingAttributes = nil
			}
		}
		u.Attributes[attr+"_verified"] = "true"
		return nil
	})
	if err != nil {
		return nil, err
	}
	if codeErr != nil {
		return nil, codeErr
	}
	return &idp.VerifyUserAttributeResponse{}, nil
}

// SetUserSettings sets the signed-in user's legacy MFA options, as
// AdminSetUserSettings does.
func (s *Service) SetUserSettings(ctx context.Context, c cognito.Caller, in *idp.SetUserSettingsRequest) (*idp.SetUserSettingsResponse, error) {
	p, err := s.selfPool(ctx, c)
	if err != nil {
		return nil, err
	}
	opts, err := legacyMFAOptions(in.MFAOptions)
	if err != nil {
		return nil, err
	}
	_, err = s.updateSelf(ctx, c, p, func(u *userRecord, _ time.Time) error {
		u.MFAOptions = opts
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.SetUserSettingsResponse{}, nil
}
