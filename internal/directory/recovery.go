package directory

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// noRecoveryContact is Cognito's exception for a user a password-reset code
// cannot reach.
func noRecoveryContact() error {
	return cognito.InvalidParameterException("Cannot reset password for the user as there is no registered/verified email or phone_number")
}

// usesSMSMFA reports whether the user receives MFA codes by SMS.
func usesSMSMFA(u *userRecord) bool {
	if slices.Contains(u.EnabledMFA, "SMS_MFA") {
		return true
	}
	return slices.ContainsFunc(u.MFAOptions, func(o idp.MFAOptionType) bool {
		return cognito.Deref(o.DeliveryMedium) == idp.DeliveryMediumTypeSms
	})
}

// recoveryAttribute returns the attribute a password-reset code for u goes
// to: the first verified one in the pool's recovery order. As Cognito
// documents, when the pool sets AccountRecoverySetting, a user with SMS MFA
// does not recover by SMS. It returns "" when there is none, and always
// when only an administrator recovers accounts.
func recoveryAttribute(p *idp.UserPoolType, u *userRecord) string {
	order, adminOnly := recoveryChannels(p)
	if adminOnly {
		return ""
	}
	for _, a := range order {
		if a == "phone_number" && p.AccountRecoverySetting != nil && usesSMSMFA(u) {
			continue
		}
		if u.Attributes[a] != "" && u.Attributes[a+"_verified"] == "true" {
			return a
		}
	}
	return ""
}

// simulatedRecoveryOrder is the order of the media a simulated
// password-reset answer picks from: the pool's recovery order, the
// attributes the pool verifies first, since those are the ones its users
// have verified (a user who signed up in a pool that verifies only email
// addresses recovers by email even where phone numbers come first).
func simulatedRecoveryOrder(p *idp.UserPoolType) []string {
	order, _ := recoveryChannels(p)
	verified := slices.DeleteFunc(slices.Clone(order), func(a string) bool { return !autoVerified(p, a) })
	return append(verified, order...)
}

// ForgotPassword sends a user a code for ConfirmForgotPassword, to the
// first verified contact in the pool's AccountRecoverySetting order (a
// verified phone number, then a verified email address, without one). The
// code replaces any earlier one and is valid for an hour; the user's
// status and password do not change. When the client prevents user
// existence errors, an unknown or disabled user, or one without a verified
// contact, gets CodeDeliveryDetails as if a code had been sent, by the
// medium a user of the pool would be sent one by (see
// simulatedRecoveryOrder). In a pool where only an administrator recovers
// accounts, every request is refused, before the user is looked up, so
// that the answer is the same whether the user exists or not.
func (s *Service) ForgotPassword(ctx context.Context, c cognito.Caller, in *idp.ForgotPasswordRequest) (*idp.ForgotPasswordResponse, error) {
	name := cognito.Deref(in.Username)
	client, p, err := s.publicClient(ctx, c, cognito.Deref(in.ClientId), in.SecretHash, name)
	if err != nil {
		return nil, err
	}
	if _, adminOnly := recoveryChannels(p); adminOnly {
		return nil, cognito.NotAuthorizedException("Contact administrator to reset password.")
	}
	if err := s.migrateForRecovery(ctx, p, client.ClientID, name, in.ClientMetadata); err != nil {
		return nil, err
	}
	o := s.outgoing(p, client.ClientID, in.ClientMetadata)
	details, err := s.sendUserCode(ctx, p, name, client.PreventUserExistenceErrors, o, codeSending{
		Source: sourceMessageForgotPassword, Purpose: messaging.PurposeForgotPassword, TTL: passwordResetCodeTTL,
		Target: func(u *userRecord) string { return recoveryAttribute(p, u) },
		Refuse: func(u *userRecord) error {
			if u.Status == idp.UserStatusTypeForceChangePassword {
				return cognito.NotAuthorizedException("User password cannot be reset in the current state.")
			}
			return nil
		},
		NoTarget: noRecoveryContact, HideNoTarget: true,
		Simulated: simulatedRecoveryOrder(p),
		Message: func(attr, to, username, code string) messaging.Draft {
			return messaging.CodeDraft(p, messaging.PurposeForgotPassword, channelOf(attr), to, username, code)
		},
	})
	if err != nil {
		return nil, err
	}
	return &idp.ForgotPasswordResponse{CodeDeliveryDetails: details}, nil
}

// errCodeRaced reports that a password-reset code that failed the check
// made before hashing passed it inside the transaction (a new code arrived
// in between); ConfirmForgotPassword starts again.
var errCodeRaced = errors.New("password-reset code changed concurrently")

// ConfirmForgotPassword sets a new password with the code ForgotPassword
// or AdminResetUserPassword sent. The password must satisfy the pool's
// policy and history; the user becomes CONFIRMED (from RESET_REQUIRED too)
// and its password-reset codes are spent. A wrong code counts towards the
// code's failure limit. When the client prevents user existence errors,
// an unknown or disabled user gets CodeMismatchException.
//
// Hashing is slow, so only a code that passes a check made before the
// transaction earns the history check and the new hash; the transaction
// then checks the code again, and that the password is still the one the
// history was checked against, and spends it.
func (s *Service) ConfirmForgotPassword(ctx context.Context, c cognito.Caller, in *idp.ConfirmForgotPasswordRequest) (*idp.ConfirmForgotPasswordResponse, error) {
	name, code, password := cognito.Deref(in.Username), cognito.Deref(in.ConfirmationCode), cognito.Deref(in.Password)
	client, p, err := s.publicClient(ctx, c, cognito.Deref(in.ClientId), in.SecretHash, name)
	if err != nil {
		return nil, err
	}
	hide := client.PreventUserExistenceErrors
	userError := func(err error) error {
		switch {
		case isUserNotFound(err) && hide:
			return codeMismatch()
		case isUserNotFound(err):
			return usernameClientNotFound()
		}
		return err
	}
	pp := policyOf(p)
	if err := checkPassword(pp, password); err != nil {
		return nil, err
	}
	if err := s.checkCompromised(ctx, p, cognito.Deref(in.ClientId), idp.EventFilterTypePasswordChange, password); err != nil {
		return nil, err
	}
	for range 5 {
		_, u, err := findUser(ctx, s.store, p, name)
		if err != nil {
			return nil, userError(err)
		}
		if !u.Enabled {
			if hide {
				return nil, codeMismatch()
			}
			return nil, userDisabled()
		}
		probe := *u
		probe.Codes = slices.Clone(u.Codes)
		var np newPassword
		if _, _, perr := s.codes.spendCode(&probe, messaging.PurposeForgotPassword, "", code, s.now()); perr == nil {
			if reused, err := s.passwordReused(ctx, pp, u, password); err != nil {
				return nil, err
			} else if reused {
				return nil, passwordHistoryError()
			}
			if np, err = s.hashNewPassword(ctx, cognito.Deref(p.Id), u.Username, password); err != nil {
				return nil, err
			}
		}
		seen := u.PasswordHash
		var done *userRecord
		done, err = s.codeUpdate(ctx, p, name, func(_ storage.Tx, u *userRecord, now time.Time) (bool, bool, error) {
			if !u.Enabled {
				if hide {
					return false, false, codeMismatch()
				}
				return false, false, userDisabled()
			}
			_, changed, err := s.codes.spendCode(u, messaging.PurposeForgotPassword, "", code, now)
			if err != nil {
				return changed, false, err
			}
			if np.hash == "" {
				return false, false, errCodeRaced
			}
			if u.PasswordHash != seen {
				return false, false, errPasswordRaced
			}
			if err := s.applyNewPassword(u, p, np, now); err != nil {
				return false, false, err
			}
			u.Status, u.TemporaryPasswordExpiresAt = idp.UserStatusTypeConfirmed, nil
			dropCodes(u, messaging.PurposeForgotPassword)
			return true, true, nil
		})
		if errors.Is(err, errCodeRaced) || errors.Is(err, errPasswordRaced) {
			continue
		}
		if err != nil {
			return nil, userError(err)
		}
		// The new password is set; a PostConfirmation function's error is
		// the answer, and the password stays set, as Cognito leaves it.
		if err := s.postConfirmation(ctx, p, "PostConfirmation_ConfirmForgotPassword", client.ClientID, done, in.ClientMetadata); err != nil {
			return nil, err
		}
		return &idp.ConfirmForgotPasswordResponse{}, nil
	}
	return nil, cognito.ConcurrentModificationException("The resource was modified by another request. Try again.")
}
