package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// newUserSub returns a random (version 4) UUID for a new user's sub.
func newUserSub() string { return userpool.NewUUID() }

// channelAttribute is the attribute a channel delivers to.
func channelAttribute(channel string) string {
	if channel == messaging.ChannelSMS {
		return "phone_number"
	}
	return "email"
}

// deliver hands messages to the sender once the write that produced them
// has committed. A message the sender refuses is reported as
// CodeDeliveryFailureException; the write stays.
func (s *Service) deliver(ctx context.Context, msgs []messaging.Message) error {
	for _, m := range msgs {
		if m.HandedOff {
			continue
		}
		m.At = s.now()
		if err := s.sender.Send(ctx, m); err != nil {
			s.exportDeliveryError(ctx, m, err)
			return cognito.CodeDeliveryFailureException("Unable to deliver message.").WithCause(err)
		}
	}
	return nil
}

// userType returns the UserType of u that AdminCreateUser returns.
func userType(u *userRecord) *idp.UserType {
	return &idp.UserType{
		Username:             cognito.Ptr(u.Username),
		Attributes:           userAttributeList(u),
		UserCreateDate:       &cognito.Timestamp{Time: u.CreatedAt},
		UserLastModifiedDate: &cognito.Timestamp{Time: u.UpdatedAt},
		Enabled:              cognito.Ptr(u.Enabled),
		UserStatus:           cognito.Ptr(u.Status),
		MFAOptions:           u.MFAOptions,
	}
}

// userWriteError turns the error of a user write into the exception
// Cognito gives: a unique key another user holds becomes
// UsernameExistsException (the username, or on creation a username
// attribute) or AliasExistsException (an alias, or on update a username
// attribute); a version conflict stays ErrConflict
// for retry; a Cognito exception passes; anything else is internal.
func userWriteError(p *idp.UserPoolType, op attrWrite, err error) error {
	if err == nil {
		return nil
	}
	var ce *cognito.Error
	if errors.As(err, &ce) || errors.Is(err, storage.ErrConflict) {
		return err
	}
	if key := storage.ConflictingKey(err); key != "" {
		attr := keyAttribute(p, key)
		if attr == "" || (op == attrCreate && hasUsernameAttribute(p, attr)) {
			return cognito.UsernameExistsException("User account already exists").WithCause(err)
		}
		return aliasExists(attr).WithCause(err)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return userNotFound()
	}
	return cognito.Internal(fmt.Errorf("write user: %w", err))
}

// temporaryPasswordExpiry is when a temporary password set now expires.
func temporaryPasswordExpiry(p *idp.UserPoolType, now time.Time) *time.Time {
	days := userpool.DefaultTemporaryPasswordValidityDays
	if p.Policies != nil && p.Policies.PasswordPolicy != nil && p.Policies.PasswordPolicy.TemporaryPasswordValidityDays != nil {
		days = int(*p.Policies.PasswordPolicy.TemporaryPasswordValidityDays)
	}
	t := now.Add(time.Duration(days) * 24 * time.Hour)
	return &t
}

// policyOf returns the pool's password policy (never nil).
func policyOf(p *idp.UserPoolType) *idp.PasswordPolicyType {
	if p.Policies != nil && p.Policies.PasswordPolicy != nil {
		return p.Policies.PasswordPolicy
	}
	return &idp.PasswordPolicyType{}
}

// temporaryPassword returns the given temporary password checked against
// the policy, or a generated one.
func temporaryPassword(p *idp.UserPoolType, given *string) (string, error) {
	if given != nil {
		if err := checkPassword(policyOf(p), *given); err != nil {
			return "", err
		}
		return *given, nil
	}
	return generateTemporaryPassword(policyOf(p))
}

// invitationChannels returns the channels the invitation goes by. Given
// DesiredDeliveryMediums, each needs its attribute; without them Cognito
// sends an SMS when the user has a phone number, and nothing otherwise.
func invitationChannels(mediums []idp.DeliveryMediumType, attrs map[string]string) ([]string, error) {
	if len(mediums) == 0 {
		if attrs["phone_number"] != "" {
			return []string{messaging.ChannelSMS}, nil
		}
		return nil, nil
	}
	var out []string
	for i, m := range mediums {
		if slices.Contains(mediums[:i], m) {
			continue // named twice
		}
		switch string(m) {
		case messaging.ChannelEmail:
			if attrs["email"] == "" {
				return nil, cognito.InvalidParameterException("No email provided but desired delivery medium was Email")
			}
		case messaging.ChannelSMS:
			if attrs["phone_number"] == "" {
				return nil, cognito.InvalidParameterException("No phone number provided but desired delivery medium was SMS")
			}
		}
		out = append(out, string(m))
	}
	return out, nil
}

// addInvitations adds to o the invitation of u for each channel, which
// names the user username.
func addInvitations(o *outgoing, p *idp.UserPoolType, channels []string, u *userRecord, username, password string) {
	for _, ch := range channels {
		o.add(sourceMessageAdminCreateUser, u, messaging.InvitationDraft(p, ch, u.Attributes[channelAttribute(ch)], username, password))
	}
}

// AdminCreateUser creates a user with a temporary password (the one given,
// checked against the pool's policy, or one generated to it) in status
// FORCE_CHANGE_PASSWORD, and sends the invitation unless MessageAction is
// SUPPRESS. MessageAction RESEND sends it again to an existing user that has
// not yet signed in, with a new temporary password and expiry.
func (s *Service) AdminCreateUser(ctx context.Context, c cognito.Caller, in *idp.AdminCreateUserRequest) (*idp.AdminCreateUserResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	if cognito.Deref(in.MessageAction) == idp.MessageActionTypeResend {
		return s.resendInvitation(ctx, p, in)
	}
	name := cognito.Deref(in.Username)
	attrs, err := checkAttributes(p, in.UserAttributes, attrCreate)
	if err != nil {
		return nil, err
	}
	username := name
	if len(p.UsernameAttributes) > 0 {
		attr, err := usernameAttributeFor(p, name)
		if err != nil {
			return nil, err
		}
		attrs[attr] = name
	} else if err := checkAliasUsername(p, name); err != nil {
		return nil, err
	}
	if err := checkRequired(p, attrs); err != nil {
		return nil, err
	}
	var channels []string
	if cognito.Deref(in.MessageAction) != idp.MessageActionTypeSuppress {
		if channels, err = invitationChannels(in.DesiredDeliveryMediums, attrs); err != nil {
			return nil, err
		}
	}
	password, err := temporaryPassword(p, in.TemporaryPassword)
	if err != nil {
		return nil, err
	}
	sub := newUserSub()
	if len(p.UsernameAttributes) > 0 {
		username = sub
	}
	// The PreSignUp function sees the request once it is known good, and
	// before anything is hashed or written: its refusal writes nothing. The
	// user is created FORCE_CHANGE_PASSWORD whatever autoConfirmUser says;
	// autoVerifyEmail and autoVerifyPhone verify what the user has.
	pre, err := s.preSignUp(ctx, p, "PreSignUp_AdminCreateUser", clientNotApplicable, username, attrs, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	if pre.AutoVerifyEmail && attrs["email"] != "" {
		attrs["email_verified"] = "true"
	}
	if pre.AutoVerifyPhone && attrs["phone_number"] != "" {
		attrs["phone_number_verified"] = "true"
	}
	np, err := s.hashNewPassword(ctx, cognito.Deref(p.Id), username, password)
	if err != nil {
		return nil, err
	}

	now := s.now()
	u := &userRecord{
		Username: username, Sub: sub, Attributes: attrs, Enabled: true,
		Status: idp.UserStatusTypeForceChangePassword, CreatedAt: now, UpdatedAt: now,
		TemporaryPasswordExpiresAt: temporaryPasswordExpiry(p, now),
	}
	if err := s.applyNewPassword(u, p, np, now); err != nil {
		return nil, err
	}
	// A CustomMessage function answers before the user is written: its
	// refusal creates no user.
	o := s.outgoing(p, clientNotApplicable, in.ClientMetadata)
	addInvitations(o, p, channels, u, name, password)
	if err := o.prepare(ctx); err != nil {
		return nil, err
	}
	err = retry(ctx, func() error {
		return userWriteError(p, attrCreate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, err := userItem(p, u, 0)
			if err != nil {
				return err
			}
			if cognito.Deref(in.ForceAliasCreation) {
				if err := takeAliases(ctx, tx, p, it, now); err != nil {
					return err
				}
			}
			return tx.CreateItem(ctx, it)
		}))
	})
	if err != nil {
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return &idp.AdminCreateUserResponse{User: userType(u)}, nil
}

// takeAliases moves to the new user it every email or phone_number alias
// another user holds (ForceAliasCreation): the other user keeps the
// attribute, marked unverified, and so no longer signs in with it. A
// preferred_username is never moved; its conflict fails the creation.
func takeAliases(ctx context.Context, tx storage.Tx, p *idp.UserPoolType, it *storage.Item, now time.Time) error {
	for _, key := range it.Keys {
		attr := keyAttribute(p, key)
		if attr != "email" && attr != "phone_number" || !hasAlias(p, attr) {
			continue
		}
		other, err := tx.GetItemByKey(ctx, kindUser, key)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("find alias owner: %w", err)
		}
		ou, err := decodeUser(other)
		if err != nil {
			return err
		}
		ou.Attributes[attr+"_verified"] = "false"
		ou.UpdatedAt = now
		oi, err := userItem(p, ou, other.Version)
		if err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, oi); err != nil {
			return fmt.Errorf("move alias: %w", err)
		}
	}
	return nil
}

// resendInvitation is AdminCreateUser with MessageAction RESEND.
func (s *Service) resendInvitation(ctx context.Context, p *idp.UserPoolType, in *idp.AdminCreateUserRequest) (*idp.AdminCreateUserResponse, error) {
	name := cognito.Deref(in.Username)
	_, u, err := findUser(ctx, s.store, p, name)
	if err != nil {
		return nil, err
	}
	if u.Status != idp.UserStatusTypeForceChangePassword {
		return nil, cognito.UnsupportedUserStateException(fmt.Sprintf("Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username))
	}
	channels, err := invitationChannels(in.DesiredDeliveryMediums, u.Attributes)
	if err != nil {
		return nil, err
	}
	password, err := temporaryPassword(p, in.TemporaryPassword)
	if err != nil {
		return nil, err
	}
	np, err := s.hashNewPassword(ctx, cognito.Deref(p.Id), u.Username, password)
	if err != nil {
		return nil, err
	}
	o := s.outgoing(p, clientNotApplicable, in.ClientMetadata)
	u, err = s.updateUserSending(ctx, p, name, o, func(u *userRecord, now time.Time) error {
		if u.Status != idp.UserStatusTypeForceChangePassword {
			return cognito.UnsupportedUserStateException(fmt.Sprintf("Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username))
		}
		u.TemporaryPasswordExpiresAt = temporaryPasswordExpiry(p, now)
		if err := s.applyNewPassword(u, p, np, now); err != nil {
			return err
		}
		addInvitations(o, p, channels, u, name, password)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := o.deliver(ctx); err != nil {
		return nil, err
	}
	return &idp.AdminCreateUserResponse{User: userType(u)}, nil
}

// updateUser runs a read-modify-write of one user in one transaction,
// retrying on conflicts. mutate changes u in place (it runs again on each
// retry, on a fresh read) and may return a Cognito exception to abort.
func (s *Service) updateUser(ctx context.Context, p *idp.UserPoolType, username string, mutate func(u *userRecord, now time.Time) error) (*userRecord, error) {
	return s.mutateUser(ctx, p, func(tx storage.Tx) (*storage.Item, *userRecord, error) {
		return findUser(ctx, tx, p, username)
	}, mutate)
}

// mutateUser runs a read-modify-write of the user find locates inside one
// transaction, retried when it loses a race: mutate changes the record,
// and the user is written back with its keys and index and a new
// modification time.
func (s *Service) mutateUser(ctx context.Context, p *idp.UserPoolType, find func(tx storage.Tx) (*storage.Item, *userRecord, error), mutate func(u *userRecord, now time.Time) error) (*userRecord, error) {
	var out *userRecord
	err := retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, u, err := find(tx)
			if err != nil {
				return err
			}
			now := s.now()
			if err := mutate(u, now); err != nil {
				return err
			}
			u.UpdatedAt = now
			ni, err := userItem(p, u, it.Version)
			if err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, ni); err != nil {
				return err
			}
			out = u
			return nil
		}))
	})
	return out, err
}

// AdminGetUser returns a user found by username, alias or sub.
func (s *Service) AdminGetUser(ctx context.Context, c cognito.Caller, in *idp.AdminGetUserRequest) (*idp.AdminGetUserResponse, error) {
	p, err := s.pools.ReadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	// A read-only path: the user may come from the memo, shared, with only
	// the members answered here.
	_, u, err := findUserWith(ctx, s.store, p, cognito.Deref(in.Username), s.readUsers.public)
	if err != nil {
		return nil, err
	}
	out := &idp.AdminGetUserResponse{
		Username:             cognito.Ptr(u.Username),
		UserAttributes:       userAttributeList(u),
		UserCreateDate:       &cognito.Timestamp{Time: u.CreatedAt},
		UserLastModifiedDate: &cognito.Timestamp{Time: u.UpdatedAt},
		Enabled:              cognito.Ptr(u.Enabled),
		UserStatus:           cognito.Ptr(u.Status),
		MFAOptions:           slices.Clone(u.MFAOptions),
		UserMFASettingList:   enabledMFA(u),
	}
	if u.PreferredMFA != "" {
		out.PreferredMfaSetting = cognito.Ptr(u.PreferredMFA)
	}
	return out, nil
}
