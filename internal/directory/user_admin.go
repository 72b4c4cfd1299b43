package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// autoVerified reports whether the pool verifies attr (email or
// phone_number) with a code when it is set.
func autoVerified(p *idp.UserPoolType, attr string) bool {
	return slices.Contains(p.AutoVerifiedAttributes, idp.VerifiedAttributeType(attr))
}

// AdminUpdateUserAttributes sets attributes of a user. Changing email or
// phone_number marks it unverified unless the request sets its _verified
// attribute, and when the pool auto-verifies it, sends a verification code
// to the new value. A verified alias, or a username attribute, that another
// user holds is refused with AliasExistsException.
func (s *Service) AdminUpdateUserAttributes(ctx context.Context, c cognito.Caller, in *idp.AdminUpdateUserAttributesRequest) (*idp.AdminUpdateUserAttributesResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	attrs, err := checkAttributes(p, in.UserAttributes, attrUpdate)
	if err != nil {
		return nil, err
	}
	o := s.outgoing(p, clientNotApplicable, in.ClientMetadata)
	_, err = s.updateUserSending(ctx, p, cognito.Deref(in.Username), o, func(u *userRecord, now time.Time) error {
		before := map[string]string{"email": u.Attributes["email"], "phone_number": u.Attributes["phone_number"]}
		for name, v := range attrs {
			u.Attributes[name] = v
		}
		for _, a := range []string{"email", "phone_number"} {
			v, set := attrs[a]
			if !set || v == before[a] {
				continue
			}
			if _, given := attrs[a+"_verified"]; given {
				continue
			}
			if _, had := u.Attributes[a+"_verified"]; had {
				u.Attributes[a+"_verified"] = "false"
			}
			if v != "" && autoVerified(p, a) {
				code := newCode()
				s.codes.addCode(u, messaging.PurposeVerification, a, code, now.Add(verificationCodeTTL), now)
				o.add(sourceMessageUpdateAttribute, u, messaging.CodeDraft(p, messaging.PurposeVerification, channelOf(a), v, u.Username, code))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return &idp.AdminUpdateUserAttributesResponse{}, nil
}

// channelOf is the channel that delivers to attr.
func channelOf(attr string) string {
	if attr == "phone_number" {
		return messaging.ChannelSMS
	}
	return messaging.ChannelEmail
}

// AdminDeleteUserAttributes deletes attributes of a user. Deleting email or
// phone_number deletes its _verified attribute too. Attributes the schema
// lacks, sub and immutable ones are refused, and so are required ones.
func (s *Service) AdminDeleteUserAttributes(ctx context.Context, c cognito.Caller, in *idp.AdminDeleteUserAttributesRequest) (*idp.AdminDeleteUserAttributesResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	if err := checkDeletableAttributes(p, in.UserAttributeNames); err != nil {
		return nil, err
	}
	_, err = s.updateUser(ctx, p, cognito.Deref(in.Username), func(u *userRecord, _ time.Time) error {
		deleteAttributes(u, in.UserAttributeNames)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.AdminDeleteUserAttributesResponse{}, nil
}

// checkDeletableAttributes refuses, as AdminDeleteUserAttributes and
// DeleteUserAttributes do, attribute names the schema lacks, sub and
// immutable attributes (all of them in one message), then the first
// required attribute or username attribute.
func checkDeletableAttributes(p *idp.UserPoolType, names []string) error {
	var problems []string
	for _, name := range names {
		a, ok := schemaAttribute(p, name)
		switch {
		case !ok:
			problems = append(problems, "user."+name+": "+reasonUnknown+"\n")
		case name == "sub" || (a.Mutable != nil && !*a.Mutable):
			problems = append(problems, "user."+name+": "+reasonImmutable+"\n")
		}
	}
	if len(problems) > 0 {
		return cognito.InvalidParameterException("Invalid user attributes: " + strings.Join(problems, ""))
	}
	for _, name := range names {
		if a, _ := schemaAttribute(p, name); cognito.Deref(a.Required) || hasUsernameAttribute(p, name) {
			return cognito.InvalidParameterException(fmt.Sprintf("Invalid user attributes: %s: Required attribute cannot be deleted.", name))
		}
	}
	return nil
}

// deleteAttributes deletes the named attributes of u. Deleting email or
// phone_number deletes its _verified attribute, the codes sent to it and a
// new value waiting for verification.
func deleteAttributes(u *userRecord, names []string) {
	for _, name := range names {
		delete(u.Attributes, name)
		if name == "email" || name == "phone_number" {
			delete(u.Attributes, name+"_verified")
			delete(u.PendingAttributes, name)
			u.Codes = slices.DeleteFunc(u.Codes, func(c userCode) bool { return c.Attribute == name })
		}
	}
	if len(u.PendingAttributes) == 0 {
		u.PendingAttributes = nil
	}
}

// memberOfIndex is the index prefix of a user's group memberships: every
// membership item (kind group_member) carries the entry
// "<pool>/member-of/<sub>/<group>". Subs never contain "/".
func memberOfIndex(pool, sub string) string { return pool + "/member-of/" + sub + "/" }

// userDeleteBatch is how many index entries one scan of a deletion reads.
const userDeleteBatch = 100

// deleteIndexed deletes, inside tx, every item of kind that carries an
// index entry starting with prefix.
func deleteIndexed(ctx context.Context, tx storage.Tx, kind, prefix string) error {
	var afterKey, afterID string
	for {
		entries, err := tx.ScanIndex(ctx, storage.ScanInput{Kind: kind, Prefix: prefix, AfterKey: afterKey, AfterID: afterID, Limit: userDeleteBatch})
		if err != nil {
			return fmt.Errorf("scan %s: %w", kind, err)
		}
		for _, e := range entries {
			if err := tx.DeleteItem(ctx, kind, e.Item.ID, e.Item.Version); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("delete %s %q: %w", kind, e.Item.ID, err)
			}
		}
		if len(entries) < userDeleteBatch {
			return nil
		}
		last := entries[len(entries)-1]
		afterKey, afterID = last.Key, last.Item.ID
	}
}

// AdminDeleteUser deletes a user together with its group memberships, its
// recorded authentication events and its sign-in sessions and
// failed-attempt counter (OnDeleteUser), in one transaction.
func (s *Service) AdminDeleteUser(ctx context.Context, c cognito.Caller, in *idp.AdminDeleteUserRequest) (*cognito.Empty, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	err = retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, _, err := findUser(ctx, tx, p, cognito.Deref(in.Username))
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

// deleteUserTx deletes, inside tx, the user stored as it together with its
// group memberships, its recorded authentication events, the last TOTP
// step it used (kindTOTPStep) and what the
// erasers registered with OnDeleteUser keep of it: what AdminDeleteUser and
// DeleteUser remove.
func (s *Service) deleteUserTx(ctx context.Context, tx storage.Tx, it *storage.Item) error {
	pool, sub := it.Pool, it.ID
	for _, erase := range s.userErasers {
		if err := erase(ctx, tx, pool, sub); err != nil {
			return err
		}
	}
	if err := deleteIndexed(ctx, tx, kindGroupMember, memberOfIndex(pool, sub)); err != nil {
		return err
	}
	if err := deleteIndexed(ctx, tx, kindAuthEvent, authEventIndex(pool, sub)); err != nil {
		return err
	}
	if err := deleteTOTPStep(ctx, tx, sub); err != nil {
		return err
	}
	return tx.DeleteItem(ctx, kindUser, it.ID, it.Version)
}

// AdminDisableUser disables a user: it can no longer sign in.
func (s *Service) AdminDisableUser(ctx context.Context, c cognito.Caller, in *idp.AdminDisableUserRequest) (*idp.AdminDisableUserResponse, error) {
	if err := s.setEnabled(ctx, c, in.UserPoolId, in.Username, false); err != nil {
		return nil, err
	}
	return &idp.AdminDisableUserResponse{}, nil
}

// AdminEnableUser enables a disabled user.
func (s *Service) AdminEnableUser(ctx context.Context, c cognito.Caller, in *idp.AdminEnableUserRequest) (*idp.AdminEnableUserResponse, error) {
	if err := s.setEnabled(ctx, c, in.UserPoolId, in.Username, true); err != nil {
		return nil, err
	}
	return &idp.AdminEnableUserResponse{}, nil
}

func (s *Service) setEnabled(ctx context.Context, c cognito.Caller, poolID, username *string, enabled bool) error {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(poolID))
	if err != nil {
		return err
	}
	_, err = s.updateUser(ctx, p, cognito.Deref(username), func(u *userRecord, now time.Time) error {
		u.Enabled, u.EnabledSetAt = enabled, &now
		return nil
	})
	return err
}

// errPasswordRaced reports that a user's password changed between the
// history check and the write; AdminSetUserPassword checks again.
var errPasswordRaced = errors.New("password changed concurrently")

// AdminSetUserPassword sets a user's password, checked against the pool's
// policy and password history. A permanent password confirms the user; a
// temporary one puts it in FORCE_CHANGE_PASSWORD with a new expiry.
func (s *Service) AdminSetUserPassword(ctx context.Context, c cognito.Caller, in *idp.AdminSetUserPasswordRequest) (*idp.AdminSetUserPasswordResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	pp, password, name := policyOf(p), cognito.Deref(in.Password), cognito.Deref(in.Username)
	if err := checkPassword(pp, password); err != nil {
		return nil, err
	}
	for range 5 {
		// Hashing is slow, so the history check and the new hash happen
		// before the transaction, which then makes sure the password they
		// were made against is still the current one.
		_, u, err := findUser(ctx, s.store, p, name)
		if err != nil {
			return nil, err
		}
		if reused, err := s.passwordReused(ctx, pp, u, password); err != nil {
			return nil, err
		} else if reused {
			return nil, passwordHistoryError()
		}
		np, err := s.hashNewPassword(ctx, cognito.Deref(p.Id), u.Username, password)
		if err != nil {
			return nil, err
		}
		seen := u.PasswordHash
		_, err = s.updateUser(ctx, p, name, func(u *userRecord, now time.Time) error {
			if u.PasswordHash != seen {
				return errPasswordRaced
			}
			if err := s.applyNewPassword(u, p, np, now); err != nil {
				return err
			}
			u.Codes = slices.DeleteFunc(u.Codes, func(c userCode) bool { return c.Purpose == messaging.PurposeForgotPassword })
			if cognito.Deref(in.Permanent) {
				u.Status, u.TemporaryPasswordExpiresAt = idp.UserStatusTypeConfirmed, nil
			} else {
				u.Status, u.TemporaryPasswordExpiresAt = idp.UserStatusTypeForceChangePassword, temporaryPasswordExpiry(p, now)
			}
			return nil
		})
		if errors.Is(err, errPasswordRaced) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &idp.AdminSetUserPasswordResponse{}, nil
	}
	return nil, cognito.ConcurrentModificationException("The resource was modified by another request. Try again.")
}

// recoveryChannels returns the verified attributes a password-reset code
// may go to, in the order the pool's AccountRecoverySetting gives, or
// Cognito's order without one: a verified phone number, then a verified
// email address. adminOnly is true when only an administrator recovers
// accounts, so no code is sent.
func recoveryChannels(p *idp.UserPoolType) (attrs []string, adminOnly bool) {
	if p.AccountRecoverySetting == nil || len(p.AccountRecoverySetting.RecoveryMechanisms) == 0 {
		return []string{"phone_number", "email"}, false
	}
	mechs := slices.Clone(p.AccountRecoverySetting.RecoveryMechanisms)
	slices.SortFunc(mechs, func(a, b idp.RecoveryOptionType) int {
		return int(cognito.Deref(a.Priority)) - int(cognito.Deref(b.Priority))
	})
	for _, m := range mechs {
		switch cognito.Deref(m.Name) {
		case "verified_phone_number":
			attrs = append(attrs, "phone_number")
		case "verified_email":
			attrs = append(attrs, "email")
		case "admin_only":
			return nil, true
		}
	}
	return attrs, false
}

// AdminResetUserPassword puts a user in RESET_REQUIRED: its password no
// longer signs in, and a code for ConfirmForgotPassword goes to its first
// verified recovery attribute. A user without one cannot be reset (unless
// the pool recovers accounts by administrator only, when no code is sent),
// and neither can a user that has not yet replaced its temporary password,
// nor a disabled user (NotAuthorizedException "User is disabled.", as
// Cognito answers: enable the user first).
func (s *Service) AdminResetUserPassword(ctx context.Context, c cognito.Caller, in *idp.AdminResetUserPasswordRequest) (*idp.AdminResetUserPasswordResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	order, adminOnly := recoveryChannels(p)
	o := s.outgoing(p, clientNotApplicable, in.ClientMetadata)
	_, err = s.updateUserSending(ctx, p, cognito.Deref(in.Username), o, func(u *userRecord, now time.Time) error {
		if !u.Enabled {
			return userDisabled()
		}
		if u.Status == idp.UserStatusTypeForceChangePassword {
			return cognito.NotAuthorizedException("User password cannot be reset in the current state.")
		}
		attr := ""
		for _, a := range order {
			if u.Attributes[a] != "" && u.Attributes[a+"_verified"] == "true" {
				attr = a
				break
			}
		}
		if attr == "" && !adminOnly {
			return cognito.InvalidParameterException("Cannot reset password for the user as there is no registered/verified email or phone_number")
		}
		u.Status = idp.UserStatusTypeResetRequired
		if attr != "" {
			code := newCode()
			s.codes.addCode(u, messaging.PurposeForgotPassword, attr, code, now.Add(passwordResetCodeTTL), now)
			o.add(sourceMessageForgotPassword, u, messaging.CodeDraft(p, messaging.PurposeForgotPassword, channelOf(attr), u.Attributes[attr], u.Username, code))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return &idp.AdminResetUserPasswordResponse{}, nil
}

// AdminConfirmSignUp confirms a user that signed up and has not confirmed.
func (s *Service) AdminConfirmSignUp(ctx context.Context, c cognito.Caller, in *idp.AdminConfirmSignUpRequest) (*idp.AdminConfirmSignUpResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	_, err = s.updateUser(ctx, p, cognito.Deref(in.Username), func(u *userRecord, _ time.Time) error {
		if u.Status != idp.UserStatusTypeUnconfirmed {
			return cognito.NotAuthorizedException(fmt.Sprintf("User cannot be confirmed. Current status is %s", u.Status))
		}
		u.Status = idp.UserStatusTypeConfirmed
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.AdminConfirmSignUpResponse{}, nil
}

// AdminSetUserSettings sets a user's legacy MFA options. Cognito keeps the
// operation for SMS MFA only.
func (s *Service) AdminSetUserSettings(ctx context.Context, c cognito.Caller, in *idp.AdminSetUserSettingsRequest) (*idp.AdminSetUserSettingsResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	opts, err := legacyMFAOptions(in.MFAOptions)
	if err != nil {
		return nil, err
	}
	_, err = s.updateUser(ctx, p, cognito.Deref(in.Username), func(u *userRecord, _ time.Time) error {
		u.MFAOptions = opts
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.AdminSetUserSettingsResponse{}, nil
}

// legacyMFAOptions checks the MFAOptions of AdminSetUserSettings and
// SetUserSettings and returns the list to store. Every option is SMS to
// phone_number, so the stored list is that one option or nothing.
func legacyMFAOptions(in []idp.MFAOptionType) ([]idp.MFAOptionType, error) {
	for _, o := range in {
		if cognito.Deref(o.DeliveryMedium) != idp.DeliveryMediumTypeSms {
			return nil, cognito.InvalidParameterException("Only SMS is supported as the delivery medium of MFAOptions.")
		}
		if o.AttributeName != nil && *o.AttributeName != "phone_number" {
			return nil, cognito.InvalidParameterException("Only phone_number is supported as the attribute name of MFAOptions.")
		}
	}
	if len(in) == 0 {
		return nil, nil
	}
	return []idp.MFAOptionType{{DeliveryMedium: cognito.Ptr(idp.DeliveryMediumTypeSms), AttributeName: cognito.Ptr("phone_number")}}, nil
}
