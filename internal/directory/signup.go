package directory

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// publicClient returns the app client that a public (unsigned) operation
// names, and its pool (userpool's PublicClient), after checking the
// request's SecretHash, made from the username the request gives (see
// checkRequestSecretHash).
func (s *Service) publicClient(ctx context.Context, c cognito.Caller, clientID string, secretHash *string, username string) (*userpool.SignInClient, *idp.UserPoolType, error) {
	client, p, err := s.pools.PublicClient(ctx, c, clientID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRequestSecretHash(client, secretHash, username); err != nil {
		return nil, nil, err
	}
	return client, p, nil
}

// checkRequestSecretHash checks the SecretHash member of a public
// operation: a client with a secret requires one, made from the username
// the request gives; a client without a secret ignores it.
func checkRequestSecretHash(client *userpool.SignInClient, secretHash *string, username string) error {
	if !client.HasSecret {
		return nil
	}
	if cognito.Deref(secretHash) == "" {
		return cognito.NotAuthorizedException(fmt.Sprintf("Client %s is configured with secret but SECRET_HASH was not received", client.ClientID))
	}
	if !client.CheckSecretHash(username, *secretHash) {
		return cognito.NotAuthorizedException("Unable to verify secret hash for client " + client.ClientID)
	}
	return nil
}

// checkClientWrites refuses attributes the app client may not write.
func checkClientWrites(client *userpool.SignInClient, attrs []idp.AttributeType) error {
	for _, a := range attrs {
		if !client.MayWrite(cognito.Deref(a.Name)) {
			return cognito.NotAuthorizedException("A client attempted to write unauthorized attribute")
		}
	}
	return nil
}

// usernameClientNotFound is the UserNotFoundException of the public
// operations that name a user and a client.
func usernameClientNotFound() error {
	return cognito.UserNotFoundException("Username/client id combination not found.")
}

func isUserNotFound(err error) bool {
	return errors.Is(err, cognito.UserNotFoundException(""))
}

// userDisabled is the exception for a disabled user.
func userDisabled() error { return cognito.NotAuthorizedException("User is disabled.") }

// confirmationAttributes are the attributes a sign-up confirmation code may
// go to, in the order Cognito prefers them: the phone number, then the
// email address, each only when the pool auto-verifies it.
func confirmationAttributes(p *idp.UserPoolType) []string {
	var out []string
	for _, a := range []string{"phone_number", "email"} {
		if autoVerified(p, a) {
			out = append(out, a)
		}
	}
	return out
}

// confirmationAttribute returns the attribute the code confirming a sign-up
// goes to: the first of confirmationAttributes the user has, or "" when
// there is none (no code is sent; the user stays UNCONFIRMED until an
// administrator confirms it).
func confirmationAttribute(p *idp.UserPoolType, attrs map[string]string) string {
	for _, a := range confirmationAttributes(p) {
		if attrs[a] != "" {
			return a
		}
	}
	return ""
}

// confirmLink is the link a CONFIRM_WITH_LINK message carries, in the form
// of Cognito's {##Verify Email##} link: GET <issuer base URL>/confirmUser
// with the client ID, the username and the code, which the hosted UI
// answers by confirming the sign-up.
func (s *Service) confirmLink(clientID, username, code string) string {
	q := url.Values{}
	q.Set("client_id", clientID)
	q.Set("user_name", username)
	q.Set("confirmation_code", code)
	return s.issuerBase + "/confirmUser?" + q.Encode()
}

// confirmationMessage is the message carrying a sign-up confirmation code:
// the pool's verification message, or for email, when the pool's
// DefaultEmailOption is CONFIRM_WITH_LINK, its link message with each
// {##text##} replaced by a link to confirmLink.
func (s *Service) confirmationMessage(p *idp.UserPoolType, clientID, attr, to, username, code string) messaging.Draft {
	if attr != "email" || !messaging.ConfirmsByLink(p) {
		return messaging.CodeDraft(p, messaging.PurposeVerification, channelOf(attr), to, username, code)
	}
	return messaging.LinkDraft(p, to, username, code, s.confirmLink(clientID, username, code))
}

// confirmationMessageFunc returns the codeMessageFunc of the sign-up
// confirmation codes sent through app client clientID.
func (s *Service) confirmationMessageFunc(p *idp.UserPoolType, clientID string) codeMessageFunc {
	return func(attr, to, username, code string) messaging.Draft {
		return s.confirmationMessage(p, clientID, attr, to, username, code)
	}
}

// signUpWriteError turns the error of creating a signed-up user into the
// exception SignUp answers: a username another user has is "User already
// exists"; an email address or phone number another user signs in with, in
// a pool that signs users in with it, names the attribute.
func signUpWriteError(p *idp.UserPoolType, err error) error {
	if key := storage.ConflictingKey(err); key != "" {
		attr := keyAttribute(p, key)
		switch {
		case attr == "":
			return cognito.UsernameExistsException("User already exists").WithCause(err)
		case hasUsernameAttribute(p, attr):
			return cognito.UsernameExistsException(fmt.Sprintf("An account with the given %s already exists.", attr)).WithCause(err)
		}
	}
	return userWriteError(p, attrCreate, err)
}

// SignUp registers a user through an app client, as the user's own request:
// the pool must allow self sign-up, the client may write only its write
// attributes, the pool's required attributes, username rules and password
// policy apply. The user starts UNCONFIRMED; when the pool auto-verifies the
// phone number or email address the user gives (the phone number first), a
// confirmation code goes there and CodeDeliveryDetails says where.
// ValidationData and ClientMetadata go to the PreSignUp trigger, whose
// answer may confirm the user at once (triggers.go).
func (s *Service) SignUp(ctx context.Context, c cognito.Caller, in *idp.SignUpRequest) (*idp.SignUpResponse, error) {
	name := cognito.Deref(in.Username)
	client, p, err := s.publicClient(ctx, c, cognito.Deref(in.ClientId), in.SecretHash, name)
	if err != nil {
		return nil, err
	}
	if p.AdminCreateUserConfig != nil && cognito.Deref(p.AdminCreateUserConfig.AllowAdminCreateUserOnly) {
		return nil, cognito.NotAuthorizedException("SignUp is not permitted for this user pool")
	}
	if in.Password == nil {
		var v cognito.Violations
		v.Null("password")
		return nil, v.Err()
	}
	if err := checkClientWrites(client, in.UserAttributes); err != nil {
		return nil, err
	}
	attrs, err := checkAttributes(p, in.UserAttributes, attrCreate)
	if err != nil {
		return nil, err
	}
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
	password := *in.Password
	if err := checkPassword(policyOf(p), password); err != nil {
		return nil, err
	}
	if err := s.checkCompromised(ctx, p, cognito.Deref(in.ClientId), idp.EventFilterTypeSignUp, password); err != nil {
		return nil, err
	}
	sub := newUserSub()
	username := name
	if len(p.UsernameAttributes) > 0 {
		username = sub
	}
	// The PreSignUp function sees the request once it is known good, and
	// before anything is hashed or written: its refusal writes nothing.
	pre, err := s.preSignUp(ctx, p, "PreSignUp_SignUp", client.ClientID, username, attrs, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	np, err := s.hashNewPassword(ctx, cognito.Deref(p.Id), username, password)
	if err != nil {
		return nil, err
	}

	now := s.now()
	u := &userRecord{
		Username: username, Sub: sub, Attributes: attrs, Enabled: true,
		Status: idp.UserStatusTypeUnconfirmed, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.applyNewPassword(u, p, np, now); err != nil {
		return nil, err
	}
	out := &idp.SignUpResponse{UserConfirmed: cognito.Ptr(false), UserSub: cognito.Ptr(sub)}
	// What the PreSignUp function answered: a confirmed user needs no
	// confirmation code.
	if pre.AutoVerifyEmail && attrs["email"] != "" {
		attrs["email_verified"] = "true"
	}
	if pre.AutoVerifyPhone && attrs["phone_number"] != "" {
		attrs["phone_number_verified"] = "true"
	}
	if pre.AutoConfirmUser {
		u.Status = idp.UserStatusTypeConfirmed
		out.UserConfirmed = cognito.Ptr(true)
	}
	o := s.outgoing(p, client.ClientID, in.ClientMetadata)
	if attr := confirmationAttribute(p, attrs); attr != "" && !pre.AutoConfirmUser {
		var d messaging.Draft
		d, out.CodeDeliveryDetails = s.codes.issueCode(u, codePurposeSignUp, attr, verificationCodeTTL, now, s.confirmationMessageFunc(p, client.ClientID))
		o.add(sourceMessageSignUp, u, d)
	}
	// A CustomMessage function answers before the user is written: its
	// refusal creates no user.
	if err := o.prepare(ctx); err != nil {
		return nil, err
	}
	err = retry(ctx, func() error {
		return signUpWriteError(p, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, err := userItem(p, u, 0)
			if err != nil {
				return err
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
	return out, nil
}

// codeUpdate is updateUser for the operations that send or take a code.
// mutate reports whether it changed u, whether the change is one the user
// sees (only then does UserLastModifiedDate move), and the exception to
// answer with. u is written back whenever it changed, exception or not, so
// that a wrong code's failure count commits together with the
// CodeMismatchException it earns; when it did not change, the exception
// rolls the transaction back.
func (s *Service) codeUpdate(ctx context.Context, p *idp.UserPoolType, username string,
	mutate func(tx storage.Tx, u *userRecord, now time.Time) (write, visible bool, answer error)) (*userRecord, error) {
	var (
		out    *userRecord
		answer error
	)
	err := retry(ctx, func() error {
		out, answer = nil, nil
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, u, err := findUser(ctx, tx, p, username)
			if err != nil {
				return err
			}
			now := s.now()
			write, visible, ans := mutate(tx, u, now)
			if !write {
				out = u
				return ans
			}
			if visible {
				u.UpdatedAt = now
			}
			ni, err := userItem(p, u, it.Version)
			if err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, ni); err != nil {
				return err
			}
			out, answer = u, ans
			return nil
		}))
	})
	if err != nil {
		return nil, err
	}
	return out, answer
}

// ConfirmSignUp confirms a signed-up user with the code SignUp or
// ResendConfirmationCode sent. The user becomes CONFIRMED and the attribute
// the code went to becomes verified, so that an alias on it starts to sign
// in; an alias another user holds fails with AliasExistsException unless
// ForceAliasCreation moves it to this user. A wrong code counts towards
// the code's failure limit. An unknown user is UserNotFoundException, or
// CodeMismatchException when the client prevents user existence errors.
func (s *Service) ConfirmSignUp(ctx context.Context, c cognito.Caller, in *idp.ConfirmSignUpRequest) (*idp.ConfirmSignUpResponse, error) {
	name, code := cognito.Deref(in.Username), cognito.Deref(in.ConfirmationCode)
	client, p, err := s.publicClient(ctx, c, cognito.Deref(in.ClientId), in.SecretHash, name)
	if err != nil {
		return nil, err
	}
	force := cognito.Deref(in.ForceAliasCreation)
	confirmed, err := s.codeUpdate(ctx, p, name, func(tx storage.Tx, u *userRecord, now time.Time) (bool, bool, error) {
		if !u.Enabled {
			return false, false, userDisabled()
		}
		if u.Status != idp.UserStatusTypeUnconfirmed {
			return false, false, cognito.NotAuthorizedException(fmt.Sprintf("User cannot be confirmed. Current status is %s", u.Status))
		}
		spent, changed, err := s.codes.spendCode(u, codePurposeSignUp, "", code, now)
		if err != nil {
			return changed, false, err
		}
		u.Status = idp.UserStatusTypeConfirmed
		// The code verifies the address it went to, unless that address has
		// changed since (an administrator may have changed it).
		attr := spent.Attribute
		if v := u.Attributes[attr]; s.codes.reaches(spent, u) && u.Attributes[attr+"_verified"] != "true" {
			u.Attributes[attr+"_verified"] = "true"
			if force && hasAlias(p, attr) {
				if err := takeAliases(ctx, tx, p, &storage.Item{Keys: []string{aliasKey(p, attr, v)}}, now); err != nil {
					return false, false, err
				}
			}
		}
		return true, true, nil
	})
	if isUserNotFound(err) {
		if client.PreventUserExistenceErrors {
			return nil, codeMismatch()
		}
		return nil, usernameClientNotFound()
	}
	if err != nil {
		return nil, err
	}
	if err := s.postConfirmation(ctx, p, "PostConfirmation_ConfirmSignUp", client.ClientID, confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &idp.ConfirmSignUpResponse{}, nil
}

// ResendConfirmationCode sends a signed-up, unconfirmed user a new
// confirmation code, which replaces the one before it. When the client
// prevents user existence errors, an unknown or disabled user gets
// CodeDeliveryDetails as if a code had been sent.
func (s *Service) ResendConfirmationCode(ctx context.Context, c cognito.Caller, in *idp.ResendConfirmationCodeRequest) (*idp.ResendConfirmationCodeResponse, error) {
	name := cognito.Deref(in.Username)
	client, p, err := s.publicClient(ctx, c, cognito.Deref(in.ClientId), in.SecretHash, name)
	if err != nil {
		return nil, err
	}
	if len(confirmationAttributes(p)) == 0 {
		return nil, cognito.InvalidParameterException("Cannot resend codes. Auto verification not turned on.")
	}
	o := s.outgoing(p, client.ClientID, in.ClientMetadata)
	details, err := s.sendUserCode(ctx, p, name, client.PreventUserExistenceErrors, o, codeSending{
		Source: sourceMessageResendCode, Purpose: codePurposeSignUp, TTL: verificationCodeTTL,
		Target: func(u *userRecord) string { return confirmationAttribute(p, u.Attributes) },
		Refuse: func(u *userRecord) error {
			if u.Status != idp.UserStatusTypeUnconfirmed {
				return cognito.InvalidParameterException("User is already confirmed.")
			}
			return nil
		},
		NoTarget: func() error {
			return cognito.InvalidParameterException("Cannot resend codes. The user has no email address or phone number that the pool verifies.")
		},
		Simulated: confirmationAttributes(p),
		Message:   s.confirmationMessageFunc(p, client.ClientID),
	})
	if err != nil {
		return nil, err
	}
	return &idp.ResendConfirmationCodeResponse{CodeDeliveryDetails: details}, nil
}
