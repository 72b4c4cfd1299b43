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
	"github.com/cognate-dev/cognate/internal/userpool"
)

// A user's second factors, by Cognito's names for them (UserMFASettingList,
// PreferredMfaSetting).
const (
	MFASMS           = "SMS_MFA"
	MFASoftwareToken = "SOFTWARE_TOKEN_MFA"
	MFAEmail         = "EMAIL_OTP"
)

// enabledMFA is the user's UserMFASettingList: the factors turned on with
// SetUserMFAPreference, and SMS_MFA for the legacy MFAOptions of
// SetUserSettings.
func enabledMFA(u *userRecord) []string {
	out := slices.Clone(u.EnabledMFA)
	if len(u.MFAOptions) > 0 && !slices.Contains(out, MFASMS) {
		out = append(out, MFASMS)
	}
	return out
}

// SignInMFA is what a sign-in flow reads of a user's second factors.
type SignInMFA struct {
	// Enabled are the factors the user turned on (UserMFASettingList);
	// Preferred is the one it prefers ("" for none).
	Enabled   []string
	Preferred string
	// TOTPSecret is the sealed secret of the user's verified software
	// token ("" for none); TOTPStep the time step of the code that
	// verified it (LastTOTPStep adds the sign-ins').
	TOTPSecret string
	TOTPStep   int64
	// Passkey is passkey MFA (WebAuthnMfaSettings): where the pool's
	// FactorConfiguration is MULTI_FACTOR_WITH_USER_VERIFICATION, the
	// user's passkeys sign in, verifying the user, where MFA is due. It is
	// not one of Enabled: a passkey is a first factor, never asked for
	// after a password.
	Passkey bool
}

func signInMFAOf(u *userRecord) SignInMFA {
	return SignInMFA{Enabled: enabledMFA(u), Preferred: u.PreferredMFA, TOTPSecret: u.TOTPSecret, TOTPStep: u.TOTPStep, Passkey: u.PasskeyMFA}
}

// SetPendingTOTP keeps sealed, the sealed secret AssociateSoftwareToken
// hands the user sub, until VerifySoftwareToken proves the user's
// authenticator holds it. It replaces any secret associated before and not
// verified; a verified one stays in use until then. within, when not nil,
// runs in the same transaction (an MFA_SETUP flow's use of its Session).
func (s *Service) SetPendingTOTP(ctx context.Context, pool *userpool.SignInPool, sub, sealed string, within func(tx storage.Tx) error) error {
	_, err := s.mutateUser(ctx, pool.Config(), func(tx storage.Tx) (*storage.Item, *userRecord, error) {
		if within != nil {
			if err := within(tx); err != nil {
				return nil, nil, err
			}
		}
		return userBySubIn(ctx, tx, pool.ID, sub)
	}, func(u *userRecord, _ time.Time) error {
		if !u.Enabled {
			return userDisabled()
		}
		u.TOTPPending = sealed
		return nil
	})
	return err
}

// TOTPCheck checks a code against the sealed pending secret of a user and
// returns the time step it matched; ok false for a wrong code.
type TOTPCheck func(sealedSecret string) (step int64, ok bool, err error)

// VerifyPendingTOTP is VerifySoftwareToken's write: in one transaction it
// runs within (the flow's own writes, such as using up its Session; nil
// for none), checks the code against the user's pending secret with check,
// and makes that secret the user's software token, named name, with the
// step the code matched as used. enable also turns software-token MFA on
// for the user (and makes it preferred when no factor is), as answering
// MFA_SETUP does. A user with no pending secret, or a wrong code, is
// answered EnableSoftwareTokenMFAException, and nothing is written.
func (s *Service) VerifyPendingTOTP(ctx context.Context, pool *userpool.SignInPool, sub, name string, enable bool, check TOTPCheck, within func(tx storage.Tx) error) (*SignInUser, error) {
	u, err := s.mutateUser(ctx, pool.Config(), func(tx storage.Tx) (*storage.Item, *userRecord, error) {
		it, u, err := userBySubIn(ctx, tx, pool.ID, sub)
		if err != nil {
			return nil, nil, err
		}
		if within != nil {
			if err := within(tx); err != nil {
				return nil, nil, err
			}
		}
		return it, u, nil
	}, func(u *userRecord, _ time.Time) error {
		if u.TOTPPending == "" {
			return cognito.EnableSoftwareTokenMFAException("Code mismatch and fail enable Software Token MFA")
		}
		step, ok, err := check(u.TOTPPending)
		if err != nil {
			return err
		}
		if !ok {
			return cognito.EnableSoftwareTokenMFAException("Code mismatch and fail enable Software Token MFA")
		}
		u.TOTPSecret, u.TOTPPending, u.TOTPStep, u.TOTPName = u.TOTPPending, "", step, name
		if enable && !slices.Contains(u.EnabledMFA, MFASoftwareToken) {
			u.EnabledMFA = append(u.EnabledMFA, MFASoftwareToken)
			if u.PreferredMFA == "" {
				u.PreferredMFA = MFASoftwareToken
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return signInUser(u), nil
}

// userBySubIn reads the user sub of pool poolID through r.
func userBySubIn(ctx context.Context, r storage.ItemReader, poolID, sub string) (*storage.Item, *userRecord, error) {
	it, err := r.GetItem(ctx, kindUser, sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != poolID) {
		return nil, nil, userNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := decodeUser(it)
	if err != nil {
		return nil, nil, err
	}
	return it, u, nil
}

// mfaSettings are the settings of SetUserMFAPreference and
// AdminSetUserMFAPreference, by factor.
type mfaSettings struct {
	factor           string
	enabled, prefers *bool
}

// mfaPasskey is the factor of WebAuthnMfaSettings among mfaSettings: it
// has no PreferredMfa, and is not listed in UserMFASettingList.
const mfaPasskey = "WEB_AUTHN"

// setMFAPreference applies the settings to u, as Cognito does: each
// settings object given turns its factor on or off and makes it preferred
// or not; a factor turned on must be one the pool has on and the user can
// use (a phone number for SMS, an email address for email, a verified
// software token), and only a factor turned on can be preferred. Factors
// whose settings are left out stay as they are.
//
// WebAuthnMfaSettings turns passkey MFA on or off. On, it needs the pool's
// FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION, and, once every
// setting is applied, another factor turned on (so that a user who loses
// its passkeys still signs in with a password and that factor), as the
// API reference asks.
func setMFAPreference(pool userpool.MFA, u *userRecord, settings []mfaSettings) error {
	sms, totp, email := pool.SMS, pool.SoftwareToken, pool.Email
	for _, st := range settings {
		if st.factor == mfaPasskey {
			on := cognito.Deref(st.enabled)
			if on && !u.PasskeyMFA && !pool.PasskeyMFA {
				return cognito.InvalidParameterException("Passkey MFA is not enabled for this user pool: its WebAuthnConfiguration FactorConfiguration must be MULTI_FACTOR_WITH_USER_VERIFICATION.")
			}
			u.PasskeyMFA = on
			continue
		}
		// A settings object given says both: Enabled and PreferredMfa
		// left out are false (the SDKs leave false values out).
		enable, prefer := cognito.Deref(st.enabled), cognito.Deref(st.prefers)
		on := slices.Contains(u.EnabledMFA, st.factor)
		if enable && !on {
			switch st.factor {
			case MFASMS:
				if !sms {
					return cognito.InvalidParameterException("SMS MFA is not enabled for this user pool.")
				}
				if u.Attributes["phone_number"] == "" {
					return cognito.InvalidParameterException("User does not have a phone number to receive SMS MFA codes.")
				}
			case MFASoftwareToken:
				if !totp {
					return cognito.InvalidParameterException("Software token MFA is not enabled for this user pool.")
				}
				if u.TOTPSecret == "" {
					return cognito.InvalidParameterException("User has not verified software token mfa")
				}
			case MFAEmail:
				if !email {
					return cognito.InvalidParameterException("Email MFA is not enabled for this user pool.")
				}
				if u.Attributes["email"] == "" {
					return cognito.InvalidParameterException("User does not have an email address to receive email MFA codes.")
				}
			}
			u.EnabledMFA = append(u.EnabledMFA, st.factor)
		}
		if !enable {
			if prefer {
				return cognito.InvalidParameterException("An MFA type must be enabled to be preferred.")
			}
			u.EnabledMFA = slices.DeleteFunc(u.EnabledMFA, func(f string) bool { return f == st.factor })
			if st.factor == MFASMS {
				u.MFAOptions = nil
			}
		}
		switch {
		case prefer:
			u.PreferredMFA = st.factor
		case u.PreferredMFA == st.factor:
			u.PreferredMFA = ""
		}
	}
	if len(u.EnabledMFA) == 0 {
		u.EnabledMFA = nil
	}
	if u.PasskeyMFA && len(enabledMFA(u)) == 0 {
		return cognito.InvalidParameterException("Passkey MFA needs another MFA factor turned on for the user: SMS, email or a software token.")
	}
	return nil
}

func mfaSettingsOf(sms *idp.SMSMfaSettingsType, totp *idp.SoftwareTokenMfaSettingsType, email *idp.EmailMfaSettingsType, passkey *idp.WebAuthnMfaSettingsType) []mfaSettings {
	var out []mfaSettings
	if passkey != nil {
		out = append(out, mfaSettings{factor: mfaPasskey, enabled: passkey.Enabled})
	}
	if sms != nil {
		out = append(out, mfaSettings{MFASMS, sms.Enabled, sms.PreferredMfa})
	}
	if totp != nil {
		out = append(out, mfaSettings{MFASoftwareToken, totp.Enabled, totp.PreferredMfa})
	}
	if email != nil {
		out = append(out, mfaSettings{MFAEmail, email.Enabled, email.PreferredMfa})
	}
	return out
}

// SetUserMFAPreference sets the signed-in user's MFA factors and the one
// it prefers, and passkey MFA (WebAuthnMfaSettings).
func (s *Service) SetUserMFAPreference(ctx context.Context, c cognito.Caller, in *idp.SetUserMFAPreferenceRequest) (*idp.SetUserMFAPreferenceResponse, error) {
	if _, err := s.selfPool(ctx, c); err != nil {
		return nil, err
	}
	p, m, err := s.pools.PoolMFA(ctx, c, c.Access.PoolID)
	if err != nil {
		return nil, err
	}
	settings := mfaSettingsOf(in.SMSMfaSettings, in.SoftwareTokenMfaSettings, in.EmailMfaSettings, in.WebAuthnMfaSettings)
	_, err = s.updateSelf(ctx, c, p, func(u *userRecord, _ time.Time) error {
		return setMFAPreference(m, u, settings)
	})
	if err != nil {
		return nil, err
	}
	return &idp.SetUserMFAPreferenceResponse{}, nil
}

// AdminSetUserMFAPreference sets a user's MFA factors and the one it
// prefers, as SetUserMFAPreference does for the signed-in user.
func (s *Service) AdminSetUserMFAPreference(ctx context.Context, c cognito.Caller, in *idp.AdminSetUserMFAPreferenceRequest) (*idp.AdminSetUserMFAPreferenceResponse, error) {
	p, m, err := s.pools.PoolMFA(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	settings := mfaSettingsOf(in.SMSMfaSettings, in.SoftwareTokenMfaSettings, in.EmailMfaSettings, in.WebAuthnMfaSettings)
	_, err = s.updateUser(ctx, p, cognito.Deref(in.Username), func(u *userRecord, _ time.Time) error {
		return setMFAPreference(m, u, settings)
	})
	if err != nil {
		return nil, err
	}
	return &idp.AdminSetUserMFAPreferenceResponse{}, nil
}

// SendMFACode delivers m, a message userpool.SignInPool.MFAMessage made,
// or answers CodeDeliveryFailureException.
func (s *Service) SendMFACode(ctx context.Context, m messaging.Message) error {
	return s.deliver(ctx, []messaging.Message{m})
}

// CodeDelivery returns the CodeDeliveryDetails of a code sent to the
// user's attribute attr (email or phone_number), its value masked.
func CodeDelivery(attr, value string) *idp.CodeDeliveryDetailsType { return codeDelivery(attr, value) }
