package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// poolMFAMember is the member of a stored pool's configuration (the JSON
// of its UserPoolType) that holds the MFA settings UserPoolType has no
// member for: which factors SetUserPoolMfaConfig turned on, the email MFA
// message and the WebAuthn configuration. DescribeUserPool never shows
// it; savePool keeps it through every other change of the pool.
const poolMFAMember = "CognateMfaSettings"

// poolMFA is the poolMFAMember of a stored pool.
type poolMFA struct {
	// SMSOff is true once SetUserPoolMfaConfig left SmsMfaConfiguration
	// out: SMS MFA is otherwise on wherever the pool has an
	// SmsConfiguration (as CreateUserPool and UpdateUserPool set it).
	SMSOff bool `json:"sms_off,omitempty"`
	// SoftwareToken is SoftwareTokenMfaConfiguration.Enabled.
	SoftwareToken bool `json:"software_token,omitempty"`
	// Email is EmailMfaConfiguration; nil while email MFA is off.
	Email *idp.EmailMfaConfigType `json:"email,omitempty"`
	// WebAuthn is WebAuthnConfiguration, nil for the default.
	WebAuthn *idp.WebAuthnConfigurationType `json:"web_authn,omitempty"`
}

// codePlaceholder is where a message template takes the code.
const codePlaceholder = "{####}"

// decodePoolMFA reads the poolMFAMember of a stored pool configuration.
func decodePoolMFA(config []byte) (*poolMFA, error) {
	var holder struct {
		M *poolMFA `json:"CognateMfaSettings"`
	}
	if err := json.Unmarshal(config, &holder); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode pool MFA settings: %w", err))
	}
	if holder.M == nil {
		return &poolMFA{}, nil
	}
	return holder.M, nil
}

// encodePool returns the stored configuration of p with m as its
// poolMFAMember (none when m is nil or empty).
func encodePool(p *idp.UserPoolType, m *poolMFA) ([]byte, error) {
	cfg, err := json.Marshal(p)
	if err != nil || m == nil || *m == (poolMFA{}) {
		return cfg, err
	}
	extra, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	// cfg is a JSON object: insert the member before its closing brace.
	if len(cfg) < 2 || cfg[len(cfg)-1] != '}' {
		return nil, errors.New("pool configuration is not a JSON object")
	}
	out := append([]byte{}, cfg[:len(cfg)-1]...)
	if len(cfg) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"`+poolMFAMember+`":`...)
	out = append(out, extra...)
	return append(out, '}'), nil
}

// mfaFactors says which second factors pool p with settings m has on.
func mfaFactors(p *idp.UserPoolType, m *poolMFA) (sms, totp, email bool) {
	return p.SmsConfiguration != nil && !m.SMSOff, m.SoftwareToken, m.Email != nil
}

// mfaMode is p's MfaConfiguration, OFF when unset.
func mfaMode(p *idp.UserPoolType) idp.UserPoolMfaType {
	if p.MfaConfiguration == nil {
		return idp.UserPoolMfaTypeOff
	}
	return *p.MfaConfiguration
}

// GetUserPoolMfaConfig returns the pool's MFA configuration.
func (s *Service) GetUserPoolMfaConfig(ctx context.Context, c cognito.Caller, in *idp.GetUserPoolMfaConfigRequest) (*idp.GetUserPoolMfaConfigResponse, error) {
	rec, p, err := s.loadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	m, err := decodePoolMFA(rec.Config)
	if err != nil {
		return nil, err
	}
	out := &idp.GetUserPoolMfaConfigResponse{}
	fillMFAConfig(p, m, &out.MfaConfiguration, &out.SmsMfaConfiguration, &out.SoftwareTokenMfaConfiguration, &out.EmailMfaConfiguration, &out.WebAuthnConfiguration)
	return out, nil
}

func fillMFAConfig(p *idp.UserPoolType, m *poolMFA, mode **idp.UserPoolMfaType, sms **idp.SmsMfaConfigType, totp **idp.SoftwareTokenMfaConfigType, email **idp.EmailMfaConfigType, webAuthn **idp.WebAuthnConfigurationType) {
	*mode = cognito.Ptr(mfaMode(p))
	smsOn, totpOn, _ := mfaFactors(p, m)
	if smsOn {
		*sms = &idp.SmsMfaConfigType{SmsAuthenticationMessage: p.SmsAuthenticationMessage, SmsConfiguration: p.SmsConfiguration}
	}
	*totp = &idp.SoftwareTokenMfaConfigType{Enabled: cognito.Ptr(totpOn)}
	if m.Email != nil {
		e := *m.Email
		*email = &e
	}
	wa := idp.WebAuthnConfigurationType{UserVerification: cognito.Ptr(idp.UserVerificationType("preferred"))}
	if m.WebAuthn != nil {
		wa = *m.WebAuthn
	}
	*webAuthn = &wa
}

// SetUserPoolMfaConfig sets the pool's MFA configuration: whether MFA is
// OFF, ON or OPTIONAL, and which factors users may use. A factor the
// request leaves out is turned off; MfaConfiguration left out is kept.
// As on Cognito, MFA cannot be ON or OPTIONAL with every factor off, SMS
// MFA needs an SmsConfiguration (given here or already the pool's), and
// the messages must hold the {####} placeholder. Email MFA needs a tier
// above LITE; unlike Cognito, cognate does not ask for a DEVELOPER email
// configuration (its own sender delivers email either way).
func (s *Service) SetUserPoolMfaConfig(ctx context.Context, c cognito.Caller, in *idp.SetUserPoolMfaConfigRequest) (*idp.SetUserPoolMfaConfigResponse, error) {
	id := cognito.Deref(in.UserPoolId)
	var out *idp.SetUserPoolMfaConfigResponse
	err := Retry(ctx, func() error {
		rec, p, err := s.loadPool(ctx, c, id)
		if err != nil {
			return err
		}
		m, err := decodePoolMFA(rec.Config)
		if err != nil {
			return err
		}
		if err := applyMFAConfig(p, m, in); err != nil {
			return err
		}
		now := s.now()
		p.LastModifiedDate = &cognito.Timestamp{Time: now}
		cfg, err := encodePool(p, m)
		if err != nil {
			return cognito.Internal(err)
		}
		rec.Config, rec.UpdatedAt = cfg, now
		if err := s.store.UpdateUserPool(ctx, rec); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return poolNotFound(id)
			}
			if errors.Is(err, storage.ErrConflict) {
				return err
			}
			return cognito.Internal(err)
		}
		out = &idp.SetUserPoolMfaConfigResponse{}
		fillMFAConfig(p, m, &out.MfaConfiguration, &out.SmsMfaConfiguration, &out.SoftwareTokenMfaConfiguration, &out.EmailMfaConfiguration, &out.WebAuthnConfiguration)
		return nil
	})
	return out, err
}

// applyMFAConfig checks in and applies it to p and m.
func applyMFAConfig(p *idp.UserPoolType, m *poolMFA, in *idp.SetUserPoolMfaConfigRequest) error {
	mode := mfaMode(p)
	if in.MfaConfiguration != nil {
		mode = *in.MfaConfiguration
	}
	next := *m
	if sms := in.SmsMfaConfiguration; sms != nil {
		msg := cognito.Deref(sms.SmsAuthenticationMessage)
		if msg != "" && !strings.Contains(msg, codePlaceholder) {
			return cognito.InvalidParameterException("SmsAuthenticationMessage must contain the {####} placeholder.")
		}
		cfg := sms.SmsConfiguration
		if cfg == nil {
			cfg = p.SmsConfiguration
		}
		if cfg == nil || cognito.Deref(cfg.SnsCallerArn) == "" {
			return cognito.InvalidParameterException("SMS configuration with an SnsCallerArn is required to turn on SMS MFA.")
		}
		p.SmsConfiguration = cfg
		if sms.SmsAuthenticationMessage != nil {
			p.SmsAuthenticationMessage = sms.SmsAuthenticationMessage
		}
		next.SMSOff = false
	} else {
		next.SMSOff = true
	}
	next.SoftwareToken = in.SoftwareTokenMfaConfiguration != nil && cognito.Deref(in.SoftwareTokenMfaConfiguration.Enabled)
	next.Email = nil
	if e := in.EmailMfaConfiguration; e != nil {
		if cognito.Deref(p.UserPoolTier) == "LITE" {
			return cognito.FeatureUnavailableInTierException("Email MFA is not available in the LITE tier.")
		}
		if msg := cognito.Deref(e.Message); msg != "" && !strings.Contains(msg, codePlaceholder) {
			return cognito.InvalidParameterException("EmailMfaConfiguration Message must contain the {####} placeholder.")
		}
		c := *e
		next.Email = &c
	}
	if w := in.WebAuthnConfiguration; w != nil {
		if w.FactorConfiguration != nil && cognito.Deref(p.UserPoolTier) == "LITE" {
			return cognito.FeatureUnavailableInTierException("Passkeys as multi-factor authentication are not available in the LITE tier.")
		}
		c := *w
		next.WebAuthn = &c
	}
	sms, totp, email := mfaFactors(p, &next)
	if mode != idp.UserPoolMfaTypeOff && !sms && !totp && !email {
		return cognito.InvalidParameterException("Invalid MFA configuration given, can't turn on MFA and disable all MFA types.")
	}
	*m = next
	p.MfaConfiguration = cognito.Ptr(mode)
	return nil
}

// MFA is what a sign-in flow reads of a pool's MFA configuration.
type MFA struct {
	// Mode is MfaConfiguration: OFF, ON or OPTIONAL.
	Mode idp.UserPoolMfaType
	// SMS, SoftwareToken and Email tell which factors are on.
	SMS, SoftwareToken, Email bool
	// PasskeyMFA is WebAuthnConfiguration.FactorConfiguration
	// MULTI_FACTOR_WITH_USER_VERIFICATION: a user may turn passkey MFA on
	// (WebAuthnMfaSettings).
	PasskeyMFA bool
}

func signInMFA(p *idp.UserPoolType, m *poolMFA) MFA {
	sms, totp, email := mfaFactors(p, m)
	out := MFA{Mode: mfaMode(p), SMS: sms, SoftwareToken: totp, Email: email}
	if w := m.WebAuthn; w != nil {
		out.PasskeyMFA = cognito.Deref(w.FactorConfiguration) == idp.WebAuthnFactorConfigurationTypeMultiFactorWithUserVerification
	}
	return out
}

// MFAMessage returns the message that carries an MFA code to to by
// channel (messaging.ChannelSMS or messaging.ChannelEmail), from the
// pool's SmsAuthenticationMessage or EmailMfaConfiguration, or Cognito's
// defaults.
func (p *SignInPool) MFAMessage(channel, to, username, code string) messaging.Message {
	return p.MFADraft(channel, to, username, code).Message()
}

// MFADraft is MFAMessage's draft, for a CustomMessage function to change.
func (p *SignInPool) MFADraft(channel, to, username, code string) messaging.Draft {
	return messaging.MFADraft(p.p, p.mfaEmail, channel, to, username, code)
}

// PoolMFA returns the pool poolID (shared with other requests: never
// modify it) and what its MFA configuration turns on, for the directory's
// SetUserMFAPreference.
func (s *Service) PoolMFA(ctx context.Context, c cognito.Caller, poolID string) (*idp.UserPoolType, MFA, error) {
	p, m, err := s.readPoolMFA(ctx, c, poolID)
	if err != nil {
		return nil, MFA{}, err
	}
	return p, signInMFA(p, m), nil
}
