package directory

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/triggers"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the UserMigration trigger: a user the pool does not know
// who signs in with a password (UserMigration_Authentication) or asks
// for a password-reset code (UserMigration_ForgotPassword) is looked up by
// the pool's function in the directory the pool replaces, and created from
// its answer in the same request, so that the next sign-in needs no
// function.

// Trigger sources of UserMigration.
const (
	SourceMigrationAuthentication = "UserMigration_Authentication"
	SourceMigrationForgotPassword = "UserMigration_ForgotPassword"
)

// Migration is one invocation of UserMigration: the username as the
// client gave it, the password of a sign-in ("" for ForgotPassword), the
// app client and the request's ClientMetadata.
type Migration struct {
	Source, ClientID, Username, Password string
	ClientMetadata                       map[string]string
}

// HasMigration reports whether the pool names a UserMigration function
// the server can invoke.
func (s *Service) HasMigration(pool *userpool.SignInPool) bool {
	return s.triggerARN(pool.Config(), func(lc *idp.LambdaConfigType) *string { return lc.UserMigration }) != ""
}

// MigrateUser invokes the pool's UserMigration function for a user the
// pool does not know and creates the user from its answer: the attributes
// it returns (checked against the schema, with the username attribute set
// to the name given in a pool whose users sign in with one), the status
// finalUserStatus says (CONFIRMED, the default, or RESET_REQUIRED; always
// RESET_REQUIRED from ForgotPassword, which brings no password), the
// password of the sign-in hashed with argon2id and its SRP verifier made,
// forceAliasCreation moving an email address or phone number another user
// signs in with, all in one transaction; then the welcome message, unless
// messageAction is SUPPRESS, to desiredDeliveryMediums (SMS when none).
// A function error, or an answer that does not make a user, creates
// nothing. It returns the user created, or UserNotFoundException when the
// pool has no function.
func (s *Service) MigrateUser(ctx context.Context, pool *userpool.SignInPool, m Migration) (*SignInUser, error) {
	u, err := s.migrate(ctx, pool.Config(), func() (userpool.MFA, error) { return pool.MFA, nil }, m)
	if err != nil {
		return nil, err
	}
	return signInUser(u), nil
}

// migrationAnswer is the UserMigration answer: aws-lambda-go's, and
// response.enableSMSMFA, which its type does not carry.
type migrationAnswer struct {
	events.CognitoEventUserPoolsHeader
	Request  events.CognitoEventUserPoolsMigrateUserRequest `json:"request"`
	Response migrationResponse                              `json:"response"`
}

type migrationResponse struct {
	events.CognitoEventUserPoolsMigrateUserResponse
	// EnableSMSMFA turns SMS MFA on for the user (the pool must have it,
	// the user a phone number).
	EnableSMSMFA bool `json:"enableSMSMFA"`
}

// migrate runs the function for m; poolMFA reads the pool's MFA
// configuration, which only an answer with enableSMSMFA needs.
func (s *Service) migrate(ctx context.Context, p *idp.UserPoolType, poolMFA func() (userpool.MFA, error), m Migration) (*userRecord, error) {
	arn := s.triggerARN(p, func(lc *idp.LambdaConfigType) *string { return lc.UserMigration })
	if arn == "" {
		return nil, userNotFound()
	}
	poolID := cognito.Deref(p.Id)
	ev := events.CognitoEventUserPoolsMigrateUser{
		CognitoEventUserPoolsHeader: triggers.Header("1", m.Source, cognito.RegionOfPoolID(poolID), poolID, m.ClientID, m.Username),
		CognitoEventUserPoolsMigrateUserRequest: events.CognitoEventUserPoolsMigrateUserRequest{
			Password: m.Password, ValidationData: orEmpty(m.ClientMetadata), ClientMetadata: orEmpty(m.ClientMetadata),
		},
	}
	var out migrationAnswer
	if err := s.triggers.Invoke(ctx, triggers.UserMigration, arn, &ev, &out); err != nil {
		return nil, err
	}
	r := out.Response.CognitoEventUserPoolsMigrateUserResponse
	u, channels, err := s.migratedUser(p, m, r)
	if err != nil {
		return nil, err
	}
	if out.Response.EnableSMSMFA {
		// Cognito fails the migration of a user it cannot send SMS codes
		// to: a pool without SMS MFA, or a user without a phone number.
		mfa, err := poolMFA()
		if err != nil {
			return nil, err
		}
		if mfa.Mode == idp.UserPoolMfaTypeOff || !mfa.SMS {
			return nil, invalidMigration("enableSMSMFA is set but SMS MFA is not enabled for the user pool.", nil)
		}
		if u.Attributes["phone_number"] == "" {
			return nil, invalidMigration("enableSMSMFA is set but the user has no phone_number.", nil)
		}
		u.EnabledMFA, u.PreferredMFA = []string{MFASMS}, MFASMS
	}
	if m.Password != "" {
		np, err := s.hashNewPassword(ctx, poolID, u.Username, m.Password)
		if err != nil {
			return nil, err
		}
		if err := s.applyNewPassword(u, p, np, u.CreatedAt); err != nil {
			return nil, err
		}
	}
	// The welcome message is the invitation (CustomMessage_AdminCreateUser,
	// and CustomEmailSender_AdminCreateUser or CustomSMSSender_AdminCreateUser
	// at a pool with a custom sender): made, through the pool's functions,
	// before the user is written, so that a function's failure creates
	// nothing.
	o := s.outgoing(p, m.ClientID, m.ClientMetadata)
	for _, d := range welcomeDrafts(p, channels, u.Attributes, m.Username) {
		o.add(sourceMessageAdminCreateUser, u, d)
	}
	if o.customized() && len(o.pending) > 0 {
		if err := o.prepare(ctx); err != nil {
			return nil, err
		}
	}
	err = retry(ctx, func() error {
		return userWriteError(p, attrCreate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, err := userItem(p, u, 0)
			if err != nil {
				return err
			}
			if r.ForceAliasCreation {
				if err := takeAliases(ctx, tx, p, it, u.CreatedAt); err != nil {
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
	return u, nil
}

// migrateForRecovery runs UserMigration_ForgotPassword for a name the pool
// does not know, when the pool has the function: the user it makes is
// RESET_REQUIRED, without a password, and ForgotPassword then sends it a
// code as to any user. A user created meanwhile by another request is
// the one the code goes to.
func (s *Service) migrateForRecovery(ctx context.Context, p *idp.UserPoolType, clientID, name string, metadata map[string]string) error {
	if s.triggerARN(p, func(lc *idp.LambdaConfigType) *string { return lc.UserMigration }) == "" {
		return nil
	}
	_, _, err := findUser(ctx, s.store, p, name)
	if !isUserNotFound(err) {
		return nil
	}
	poolID := cognito.Deref(p.Id)
	poolMFA := func() (userpool.MFA, error) {
		// The pool the app client named, read as its own region's.
		_, mfa, err := s.pools.PoolMFA(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(poolID)}, poolID)
		return mfa, err
	}
	_, err = s.migrate(ctx, p, poolMFA, Migration{Source: SourceMigrationForgotPassword, ClientID: clientID, Username: name, ClientMetadata: metadata})
	if errors.Is(err, cognito.UsernameExistsException("")) {
		return nil
	}
	return err
}

// invalidMigration is the exception for an answer of UserMigration that
// cannot make a user.
func invalidMigration(msg string, cause error) error {
	e := cognito.InvalidLambdaResponseException(msg)
	if cause != nil {
		return e.WithCause(cause)
	}
	return e
}

// migratedUser checks the function's answer and returns the user it
// makes (not yet written, no password) and the channels of its welcome
// message.
func (s *Service) migratedUser(p *idp.UserPoolType, m Migration, r events.CognitoEventUserPoolsMigrateUserResponse) (*userRecord, []string, error) {
	status := idp.UserStatusTypeConfirmed
	switch r.FinalUserStatus {
	case "", string(idp.UserStatusTypeConfirmed):
	case string(idp.UserStatusTypeResetRequired):
		status = idp.UserStatusTypeResetRequired
	default:
		return nil, nil, invalidMigration("Invalid finalUserStatus in the UserMigration response.", nil)
	}
	if m.Source == SourceMigrationForgotPassword {
		status = idp.UserStatusTypeResetRequired
	}
	switch r.MessageAction {
	case "", string(idp.MessageActionTypeSuppress), string(idp.MessageActionTypeResend):
	default:
		return nil, nil, invalidMigration("Invalid messageAction in the UserMigration response.", nil)
	}
	for _, d := range r.DesiredDeliveryMediums {
		if d != messaging.ChannelEmail && d != messaging.ChannelSMS {
			return nil, nil, invalidMigration("Invalid desiredDeliveryMediums in the UserMigration response.", nil)
		}
	}
	list := make([]idp.AttributeType, 0, len(r.UserAttributes))
	for _, name := range slices.Sorted(maps.Keys(r.UserAttributes)) {
		if name == "username" {
			// The username is the one the client gave.
			continue
		}
		list = append(list, idp.AttributeType{Name: cognito.Ptr(name), Value: cognito.Ptr(r.UserAttributes[name])})
	}
	attrs, err := checkAttributes(p, list, attrCreate)
	if err != nil {
		return nil, nil, invalidMigration("Invalid userAttributes in the UserMigration response.", err)
	}
	sub := newUserSub()
	username := m.Username
	if len(p.UsernameAttributes) > 0 {
		attr, err := usernameAttributeFor(p, m.Username)
		if err != nil {
			return nil, nil, err
		}
		if v, ok := attrs[attr]; ok && v != m.Username {
			return nil, nil, invalidMigration("The UserMigration response changes the username attribute "+attr+".", nil)
		}
		attrs[attr] = m.Username
		username = sub
	} else if err := checkAliasUsername(p, m.Username); err != nil {
		return nil, nil, err
	}
	if err := checkRequired(p, attrs); err != nil {
		return nil, nil, invalidMigration("The UserMigration response lacks a required attribute.", err)
	}
	var channels []string
	if r.MessageAction != string(idp.MessageActionTypeSuppress) {
		mediums := make([]idp.DeliveryMediumType, 0, len(r.DesiredDeliveryMediums))
		for _, d := range r.DesiredDeliveryMediums {
			mediums = append(mediums, idp.DeliveryMediumType(d))
		}
		if channels, err = invitationChannels(mediums, attrs); err != nil {
			var ce *cognito.Error
			if errors.As(err, &ce) {
				return nil, nil, invalidMigration(ce.Message, err)
			}
			return nil, nil, err
		}
	}
	now := s.now()
	u := &userRecord{
		Username: username, Sub: sub, Attributes: attrs, Enabled: true, Status: status, CreatedAt: now, UpdatedAt: now,
	}
	return u, channels, nil
}

// welcomeDrafts are the messages a migrated user is welcomed with: the
// pool's invitation, with its username and no password in the {####}
// placeholder (the user signs in with the password it already has).
func welcomeDrafts(p *idp.UserPoolType, channels []string, attrs map[string]string, username string) []messaging.Draft {
	out := make([]messaging.Draft, 0, len(channels))
	for _, ch := range channels {
		out = append(out, messaging.InvitationDraft(p, ch, attrs[channelAttribute(ch)], username, ""))
	}
	return out
}
