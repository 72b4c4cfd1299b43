package sdk

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"
)

// The MFA tests play an authenticator app with github.com/pquerna/otp
// (the codes of any RFC 6238 app) and read SMS and email codes from the
// development outbox.

const snsRole = "arn:aws:iam::123456789012:role/cognito-sns"

// mfaConfig is SetUserPoolMfaConfig with mode and every factor on.
func mfaConfig(pool *string, mode types.UserPoolMfaType) *cip.SetUserPoolMfaConfigInput {
	return &cip.SetUserPoolMfaConfigInput{
		UserPoolId: pool, MfaConfiguration: mode,
		SmsMfaConfiguration: &types.SmsMfaConfigType{
			SmsAuthenticationMessage: aws.String("Your code is {####}"),
			SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)},
		},
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		EmailMfaConfiguration:         &types.EmailMfaConfigType{Message: aws.String("Email code {####}"), Subject: aws.String("Sign-in code")},
	}
}

// mfaApp is a pool with MFA mode and every factor on, and an app client
// with the sign-in flows.
func (e *userEnv) mfaApp(t *testing.T, mode types.UserPoolMfaType) *selfService {
	t.Helper()
	s := e.selfServicePool(t, &cip.CreateUserPoolInput{
		UserPoolTier:   types.UserPoolTierTypePlus,
		UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
		// Choice-based sign-in allows the passwordless first factors, which
		// a user with a second factor does not get around it with.
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
			AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"},
		}},
	}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
	if _, err := e.c.SetUserPoolMfaConfig(context.Background(), mfaConfig(s.pool, mode)); err != nil {
		t.Fatal(err)
	}
	return s
}

// mfaUser creates a confirmed user with a phone number and an email
// address.
func (s *selfService) mfaUser(t *testing.T, name string) (phone, email string) {
	t.Helper()
	phone, email = fmt.Sprintf("+1555%07d", len(name)*1000+int(name[0])), name+"@example.com"
	s.signInUser(t, name, signInPassword, "phone_number", phone, "email", email)
	return phone, email
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// sentCode returns the code of the newest message to to.
func (e *userEnv) sentCode(t testing.TB, to string) string {
	t.Helper()
	msgs := e.messagesTo(t, to)
	if len(msgs) == 0 {
		t.Fatalf("no message to %s", to)
	}
	code := sixDigits.FindString(msgs[0].Body)
	if code == "" {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	return code
}

// respond answers a challenge of the app client.
func (s *selfService) respond(name types.ChallengeNameType, session *string, responses map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return s.e.c.RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: s.client.ClientId, ChallengeName: name, Session: session, ChallengeResponses: responses,
	}, noRetry)
}

func wantChallenge(t *testing.T, got types.ChallengeNameType, session *string, err error, want types.ChallengeNameType) {
	t.Helper()
	if err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	if got != want || session == nil {
		t.Fatalf("challenge %s (session %v), want %s with a session", got, session != nil, want)
	}
}

func wantErrorCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

// totpCode is the code an authenticator app shows for secret at now.
func totpCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestMFAPoolConfig(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		got, err := e.c.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		if got.MfaConfiguration != types.UserPoolMfaTypeOff || got.SoftwareTokenMfaConfiguration == nil || got.SoftwareTokenMfaConfiguration.Enabled ||
			got.SmsMfaConfiguration != nil || got.EmailMfaConfiguration != nil {
			t.Fatalf("default MFA configuration = %+v", got)
		}
		refused := []struct {
			name string
			in   *cip.SetUserPoolMfaConfigInput
			code string
		}{
			{"ON with every factor off", &cip.SetUserPoolMfaConfigInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOn}, "InvalidParameterException"},
			{"SMS without an SMS configuration", &cip.SetUserPoolMfaConfigInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOptional,
				SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("{####}")}}, "InvalidParameterException"},
			{"SMS message without the code", &cip.SetUserPoolMfaConfigInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOptional,
				SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("no code"),
					SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)}}}, "InvalidParameterException"},
			{"email message without the code", &cip.SetUserPoolMfaConfigInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOptional,
				EmailMfaConfiguration: &types.EmailMfaConfigType{Message: aws.String("no code")}}, "InvalidParameterException"},
			{"missing pool", &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String("us-east-1_missing0"), MfaConfiguration: types.UserPoolMfaTypeOff}, "ResourceNotFoundException"},
		}
		for _, tc := range refused {
			_, err := e.c.SetUserPoolMfaConfig(ctx, tc.in)
			if err == nil {
				t.Fatalf("%s: accepted", tc.name)
			}
			wantErrorCode(t, err, tc.code)
		}
		set, err := e.c.SetUserPoolMfaConfig(ctx, mfaConfig(pool, types.UserPoolMfaTypeOptional))
		if err != nil {
			t.Fatal(err)
		}
		got, err = e.c.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []struct {
			name                 string
			mode                 types.UserPoolMfaType
			sms, totpOn, emailOn bool
		}{
			{"Set", set.MfaConfiguration, set.SmsMfaConfiguration != nil, set.SoftwareTokenMfaConfiguration.Enabled, set.EmailMfaConfiguration != nil},
			{"Get", got.MfaConfiguration, got.SmsMfaConfiguration != nil, got.SoftwareTokenMfaConfiguration.Enabled, got.EmailMfaConfiguration != nil},
		} {
			if o.mode != types.UserPoolMfaTypeOptional || !o.sms || !o.totpOn || !o.emailOn {
				t.Errorf("%sUserPoolMfaConfig = %+v", o.name, o)
			}
		}
		if m := aws.ToString(got.SmsMfaConfiguration.SmsAuthenticationMessage); m != "Your code is {####}" {
			t.Errorf("SmsAuthenticationMessage = %q", m)
		}
		if m := aws.ToString(got.EmailMfaConfiguration.Subject); m != "Sign-in code" {
			t.Errorf("email subject = %q", m)
		}
		d, err := e.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		if d.UserPool.MfaConfiguration != types.UserPoolMfaTypeOptional || aws.ToString(d.UserPool.SmsAuthenticationMessage) != "Your code is {####}" {
			t.Errorf("DescribeUserPool MFA = %s %q", d.UserPool.MfaConfiguration, aws.ToString(d.UserPool.SmsAuthenticationMessage))
		}
		// UpdateUserPool sets MfaConfiguration and leaves the factors
		// SetUserPoolMfaConfig turned on.
		if _, err := e.c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOn,
			SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)}}); err != nil {
			t.Fatal(err)
		}
		got, err = e.c.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
		if err != nil {
			t.Fatal(err)
		}
		if got.MfaConfiguration != types.UserPoolMfaTypeOn || !got.SoftwareTokenMfaConfiguration.Enabled || got.EmailMfaConfiguration == nil {
			t.Errorf("after UpdateUserPool: %+v", got)
		}
		lite := e.userPool(t, &cip.CreateUserPoolInput{PoolName: aws.String("lite"), UserPoolTier: types.UserPoolTierTypeLite})
		_, err = e.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: lite, MfaConfiguration: types.UserPoolMfaTypeOptional,
			EmailMfaConfiguration: &types.EmailMfaConfigType{}})
		wantErrorCode(t, err, "FeatureUnavailableInTierException")
	})
}

func TestMFASoftwareToken(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.mfaApp(t, types.UserPoolMfaTypeOptional)
		s.mfaUser(t, "tom")
		// Nothing turned on: OPTIONAL signs in without MFA.
		out, err := s.passwordAuth("tom", signInPassword)
		res := mustTokens(t, out.AuthenticationResult, err, true)

		assoc, err := e.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: res.AccessToken})
		if err != nil {
			t.Fatal(err)
		}
		secret := aws.ToString(assoc.SecretCode)
		if len(secret) != 52 || assoc.Session != nil {
			t.Fatalf("AssociateSoftwareToken = %q, session %v", secret, assoc.Session != nil)
		}
		_, err = e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: res.AccessToken, UserCode: aws.String("000000")})
		wantErrorCode(t, err, "EnableSoftwareTokenMFAException")
		// Verifying does not turn the factor on: SetUserMFAPreference does.
		_, err = e.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: res.AccessToken,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
		wantErrorCode(t, err, "InvalidParameterException")
		v, err := e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: res.AccessToken,
			UserCode: aws.String(totpCode(t, secret, clock.Now())), FriendlyDeviceName: aws.String("phone")})
		if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
			t.Fatalf("VerifySoftwareToken = %+v, %v", v, err)
		}
		u, err := e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
		if err != nil || len(u.UserMFASettingList) != 0 {
			t.Fatalf("GetUser after verification = %v, %v", u.UserMFASettingList, err)
		}
		if _, err := e.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: res.AccessToken,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
			t.Fatal(err)
		}
		u, err = e.c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"SOFTWARE_TOKEN_MFA"}, u.UserMFASettingList); diff != "" || aws.ToString(u.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" {
			t.Fatalf("GetUser MFA = %v %q", u.UserMFASettingList, aws.ToString(u.PreferredMfaSetting))
		}
		au, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String("tom")})
		if err != nil || aws.ToString(au.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" {
			t.Fatalf("AdminGetUser MFA = %v, %v", au, err)
		}

		// SRP, then SOFTWARE_TOKEN_MFA. The code of the step the
		// verification used is refused: each code is accepted once.
		c, params := s.srpChallenge(t, "tom")
		ts, sig := c.claim(t, aws.ToString(s.pool), signInPassword, params, clock.Now())
		pv, err := s.respond(types.ChallengeNameTypePasswordVerifier, nil, map[string]string{
			"USERNAME": "tom", "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts})
		wantChallenge(t, pv.ChallengeName, pv.Session, err, types.ChallengeNameTypeSoftwareTokenMfa)
		if pv.AuthenticationResult != nil || pv.ChallengeParameters["USER_ID_FOR_SRP"] != "tom" {
			t.Fatalf("SOFTWARE_TOKEN_MFA = %+v", pv)
		}
		_, err = s.respond(types.ChallengeNameTypeSoftwareTokenMfa, pv.Session, map[string]string{"USERNAME": "tom", "SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, clock.Now())})
		wantErrorCode(t, err, "CodeMismatchException")
		clock.advance(30 * time.Second)
		done, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, pv.Session, map[string]string{"USERNAME": "tom", "SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, clock.Now())})
		mustTokens(t, done.AuthenticationResult, err, true)

		// The admin flow, answered with the next step's code.
		clock.advance(30 * time.Second)
		adm, err := e.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: s.pool, ClientId: s.client.ClientId,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "tom", "PASSWORD": signInPassword}})
		wantChallenge(t, adm.ChallengeName, adm.Session, err, types.ChallengeNameTypeSoftwareTokenMfa)
		fin, err := e.c.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: s.pool, ClientId: s.client.ClientId,
			ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: adm.Session,
			ChallengeResponses: map[string]string{"USERNAME": "tom", "SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, clock.Now())}})
		mustTokens(t, fin.AuthenticationResult, err, true)

		// Turning the factor off (the SDK leaves false values out) signs in
		// without MFA again.
		if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("tom"),
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{}}); err != nil {
			t.Fatal(err)
		}
		out, err = s.passwordAuth("tom", signInPassword)
		mustTokens(t, out.AuthenticationResult, err, true)
	})
}

func TestMFASMSAndEmail(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.mfaApp(t, types.UserPoolMfaTypeOptional)
		phone, email := s.mfaUser(t, "sam")
		if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("sam"),
			SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
			t.Fatal(err)
		}
		out, err := s.passwordAuth("sam", signInPassword)
		wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSmsMfa)
		p := out.ChallengeParameters
		if p["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" || !strings.HasPrefix(p["CODE_DELIVERY_DESTINATION"], "+") ||
			strings.Contains(p["CODE_DELIVERY_DESTINATION"], phone[2:8]) || p["USER_ID_FOR_SRP"] != "sam" {
			t.Fatalf("SMS_MFA parameters = %v", p)
		}
		msgs := e.messagesTo(t, phone)
		if len(msgs) != 1 || msgs[0].Purpose != "mfa" || !strings.HasPrefix(msgs[0].Body, "Your code is ") {
			t.Fatalf("SMS = %+v", msgs)
		}
		code := e.sentCode(t, phone)
		_, err = s.respond(types.ChallengeNameTypeSmsMfa, out.Session, map[string]string{"USERNAME": "sam", "SMS_MFA_CODE": "000000"})
		wantErrorCode(t, err, "CodeMismatchException")
		clock.advance(time.Second) // events are listed by time
		done, err := s.respond(types.ChallengeNameTypeSmsMfa, out.Session, map[string]string{"USERNAME": "sam", "SMS_MFA_CODE": code})
		mustTokens(t, done.AuthenticationResult, err, true)
		clock.advance(time.Second)

		// Email too, none preferred: SELECT_MFA_TYPE, then EMAIL_OTP.
		if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("sam"),
			SMSMfaSettings:   &types.SMSMfaSettingsType{Enabled: true},
			EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		au, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String("sam")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"SMS_MFA", "EMAIL_OTP"}, au.UserMFASettingList); diff != "" || au.PreferredMfaSetting != nil {
			t.Fatalf("AdminGetUser MFA %v preferred %v", au.UserMFASettingList, au.PreferredMfaSetting)
		}
		out, err = s.passwordAuth("sam", signInPassword)
		wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSelectMfaType)
		if got := out.ChallengeParameters["MFAS_CAN_CHOOSE"]; got != `["SMS_MFA","EMAIL_OTP"]` {
			t.Fatalf("MFAS_CAN_CHOOSE = %s", got)
		}
		_, err = s.respond(types.ChallengeNameTypeSelectMfaType, out.Session, map[string]string{"USERNAME": "sam", "ANSWER": "SOFTWARE_TOKEN_MFA"})
		wantErrorCode(t, err, "InvalidParameterException")
		em, err := s.respond(types.ChallengeNameTypeSelectMfaType, out.Session, map[string]string{"USERNAME": "sam", "ANSWER": "EMAIL_OTP"})
		wantChallenge(t, em.ChallengeName, em.Session, err, types.ChallengeNameTypeEmailOtp)
		if em.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" || em.ChallengeParameters["CODE_DELIVERY_DESTINATION"] == email {
			t.Fatalf("EMAIL_OTP parameters = %v", em.ChallengeParameters)
		}
		mail := e.messagesTo(t, email)
		if len(mail) != 1 || mail[0].Subject != "Sign-in code" {
			t.Fatalf("email = %+v", mail)
		}
		done, err = s.respond(types.ChallengeNameTypeEmailOtp, em.Session, map[string]string{"USERNAME": "sam", "EMAIL_OTP_CODE": e.sentCode(t, email)})
		mustTokens(t, done.AuthenticationResult, err, true)

		// A code is valid three minutes.
		out, err = s.passwordAuth("sam", signInPassword)
		wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSelectMfaType)
		sms, err := s.respond(types.ChallengeNameTypeSelectMfaType, out.Session, map[string]string{"USERNAME": "sam", "ANSWER": "SMS_MFA"})
		wantChallenge(t, sms.ChallengeName, sms.Session, err, types.ChallengeNameTypeSmsMfa)
		clock.advance(3*time.Minute + time.Second)
		_, err = s.respond(types.ChallengeNameTypeSmsMfa, sms.Session, map[string]string{"USERNAME": "sam", "SMS_MFA_CODE": e.sentCode(t, phone)})
		wantAPIError(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

		// The events show the second factor.
		events, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String("sam")})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range events.AuthEvents {
			line := string(ev.EventResponse)
			for _, c := range ev.ChallengeResponses {
				line += " " + string(c.ChallengeName) + ":" + string(c.ChallengeResponse)
			}
			got = append(got, line)
		}
		want := []string{"Pass Password:Success Mfa:Success", "Pass Password:Success Mfa:Success", "Fail Password:Success Mfa:Failure"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("events, newest first (-want +got):\n%s", diff)
		}
	})
}

// TestMFASetupInvitedUser follows an invited user's first sign-in in a
// pool where MFA is ON: NEW_PASSWORD_REQUIRED, then MFA_SETUP, whose
// software token is associated and verified with the Session, and then
// every sign-in asks for its code.
func TestMFASetupInvitedUser(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		if _, err := e.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: s.pool, MfaConfiguration: types.UserPoolMfaTypeOn,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String("ivy"),
			TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: types.MessageActionTypeSuppress})
		out, err := s.passwordAuth("ivy", "Temp-Passw0rd")
		wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeNewPasswordRequired)
		np, err := s.respond(types.ChallengeNameTypeNewPasswordRequired, out.Session, map[string]string{"USERNAME": "ivy", "NEW_PASSWORD": signInPassword})
		wantChallenge(t, np.ChallengeName, np.Session, err, types.ChallengeNameTypeMfaSetup)
		if got := np.ChallengeParameters["MFAS_CAN_SETUP"]; got != `["SOFTWARE_TOKEN_MFA"]` {
			t.Fatalf("MFAS_CAN_SETUP = %s", got)
		}
		// The unverified Session does not answer MFA_SETUP.
		_, err = s.respond(types.ChallengeNameTypeMfaSetup, np.Session, map[string]string{"USERNAME": "ivy"})
		wantErrorCode(t, err, "NotAuthorizedException")
		assoc, err := e.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: np.Session})
		if err != nil || assoc.Session == nil || assoc.SecretCode == nil {
			t.Fatalf("AssociateSoftwareToken = %+v, %v", assoc, err)
		}
		// Its Session answered once.
		_, err = e.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: np.Session})
		wantAPIError(t, err, "NotAuthorizedException", "Invalid session for the user, session can only be used once.")
		secret := aws.ToString(assoc.SecretCode)
		_, err = e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: aws.String("000000")})
		wantErrorCode(t, err, "EnableSoftwareTokenMFAException")
		v, err := e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: aws.String(totpCode(t, secret, clock.Now()))})
		if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess || v.Session == nil {
			t.Fatalf("VerifySoftwareToken = %+v, %v", v, err)
		}
		done, err := s.respond(types.ChallengeNameTypeMfaSetup, v.Session, map[string]string{"USERNAME": "ivy"})
		mustTokens(t, done.AuthenticationResult, err, true)

		clock.advance(30 * time.Second)
		out, err = s.passwordAuth("ivy", signInPassword)
		wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSoftwareTokenMfa)
		fin, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, map[string]string{"USERNAME": "ivy", "SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, clock.Now())})
		mustTokens(t, fin.AuthenticationResult, err, true)

		// An OFF pool never asks.
		off := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		off.signInUser(t, "otto", signInPassword, "phone_number", "+15550100999")
		o, err := off.passwordAuth("otto", signInPassword)
		mustTokens(t, o.AuthenticationResult, err, true)
		_, err = e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: off.pool, Username: aws.String("otto"),
			SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}})
		wantErrorCode(t, err, "InvalidParameterException")
	})
}

// TestMFABypass is the table of ways around a second factor; each is
// refused, and the test says how many attempts each row made and how
// many were refused.
func TestMFABypass(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.mfaApp(t, types.UserPoolMfaTypeOptional)
		other := appClient(t, e.c, &cip.CreateUserPoolClientInput{UserPoolId: s.pool, ClientName: aws.String("other"), ExplicitAuthFlows: signInFlows})
		phone, _ := s.mfaUser(t, "bob")
		first, err := s.passwordAuth("bob", signInPassword)
		res := mustTokens(t, first.AuthenticationResult, err, true)
		assoc, err := e.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: res.AccessToken})
		if err != nil {
			t.Fatal(err)
		}
		secret := aws.ToString(assoc.SecretCode)
		if _, err := e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: res.AccessToken, UserCode: aws.String(totpCode(t, secret, clock.Now()))}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("bob"),
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true},
			SMSMfaSettings:           &types.SMSMfaSettingsType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		pending := func() *cip.InitiateAuthOutput {
			t.Helper()
			out, err := s.passwordAuth("bob", signInPassword)
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSoftwareTokenMfa)
			return out
		}
		nextCode := func() string {
			clock.advance(30 * time.Second)
			return totpCode(t, secret, clock.Now())
		}
		totpAnswer := func(code string) map[string]string {
			return map[string]string{"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": code}
		}
		type row struct {
			name string
			run  func(t *testing.T) (tries, refused int)
		}
		refusedIf := func(err error) int {
			if err != nil {
				return 1
			}
			return 0
		}
		rows := []row{
			{"a SOFTWARE_TOKEN_MFA Session answered as another challenge", func(t *testing.T) (int, int) {
				out := pending()
				n := 0
				for _, alt := range []struct {
					name types.ChallengeNameType
					resp map[string]string
				}{
					{types.ChallengeNameTypeSmsMfa, map[string]string{"USERNAME": "bob", "SMS_MFA_CODE": "123456"}},
					{types.ChallengeNameTypeEmailOtp, map[string]string{"USERNAME": "bob", "EMAIL_OTP_CODE": "123456"}},
					{types.ChallengeNameTypeMfaSetup, map[string]string{"USERNAME": "bob"}},
					{types.ChallengeNameTypeSelectMfaType, map[string]string{"USERNAME": "bob", "ANSWER": "SMS_MFA"}},
					{types.ChallengeNameTypeNewPasswordRequired, map[string]string{"USERNAME": "bob", "NEW_PASSWORD": "Another-Passw0rd"}},
					{types.ChallengeNameTypePassword, map[string]string{"USERNAME": "bob", "PASSWORD": signInPassword}},
					{types.ChallengeNameTypeSmsOtp, map[string]string{"USERNAME": "bob", "SMS_OTP_CODE": "123456"}},
					{types.ChallengeNameTypeWebAuthn, map[string]string{"USERNAME": "bob", "CREDENTIAL": "{}"}},
				} {
					_, err := s.respond(alt.name, out.Session, alt.resp)
					n += refusedIf(err)
				}
				// The Session still answers its own challenge.
				done, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, totpAnswer(nextCode()))
				mustTokens(t, done.AuthenticationResult, err, true)
				return 8, n
			}},
			{"a Session answered again after it signed in", func(t *testing.T) (int, int) {
				out := pending()
				done, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, totpAnswer(nextCode()))
				mustTokens(t, done.AuthenticationResult, err, true)
				_, err = s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, totpAnswer(nextCode()))
				wantAPIError(t, err, "NotAuthorizedException", "Invalid session for the user, session can only be used once.")
				return 1, refusedIf(err)
			}},
			{"a TOTP code used again", func(t *testing.T) (int, int) {
				code := nextCode()
				done, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, pending().Session, totpAnswer(code))
				mustTokens(t, done.AuthenticationResult, err, true)
				out := pending()
				_, err = s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, totpAnswer(code))
				wantErrorCode(t, err, "CodeMismatchException")
				return 1, refusedIf(err)
			}},
			{"a Session answered through another app client", func(t *testing.T) (int, int) {
				out := pending()
				_, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: other.ClientId,
					ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: out.Session, ChallengeResponses: totpAnswer(nextCode())}, noRetry)
				return 1, refusedIf(err)
			}},
			{"a Session answered for another user", func(t *testing.T) (int, int) {
				s.signInUser(t, "mallory", signInPassword)
				out := pending()
				_, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, map[string]string{"USERNAME": "mallory", "SOFTWARE_TOKEN_MFA_CODE": nextCode()})
				return 1, refusedIf(err)
			}},
			{"the pending Session as a refresh token", func(t *testing.T) (int, int) {
				out := pending()
				_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
					AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(out.Session)}}, noRetry)
				return 1, refusedIf(err)
			}},
			{"MFA_SETUP answered without a verified token", func(t *testing.T) (int, int) {
				out := pending()
				_, err1 := e.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: out.Session})
				_, err2 := e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: out.Session, UserCode: aws.String(nextCode())})
				_, err3 := s.respond(types.ChallengeNameTypeMfaSetup, out.Session, map[string]string{"USERNAME": "bob"})
				return 3, refusedIf(err1) + refusedIf(err2) + refusedIf(err3)
			}},
			{"SELECT_MFA_TYPE answered with a factor not offered", func(t *testing.T) (int, int) {
				if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("bob"),
					SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}}); err != nil {
					t.Fatal(err)
				}
				defer func() {
					if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("bob"),
						SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
						t.Fatal(err)
					}
				}()
				out, err := s.passwordAuth("bob", signInPassword)
				wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSelectMfaType)
				_, err = s.respond(types.ChallengeNameTypeSelectMfaType, out.Session, map[string]string{"USERNAME": "bob", "ANSWER": "EMAIL_OTP"})
				_ = phone
				return 1, refusedIf(err)
			}},
			{"a passwordless first factor for a user with a second factor on", func(t *testing.T) (int, int) {
				if _, err := e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: s.pool, Username: aws.String("bob"),
					UserAttributes: sdkAttrs("email_verified", "true", "phone_number_verified", "true")}); err != nil {
					t.Fatal(err)
				}
				choice := appClient(t, e.c, &cip.CreateUserPoolClientInput{UserPoolId: s.pool, ClientName: aws.String("choice"),
					ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
				userAuth := func(params map[string]string) (*cip.InitiateAuthOutput, error) {
					return e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: choice.ClientId, AuthFlow: types.AuthFlowTypeUserAuth, AuthParameters: params}, noRetry)
				}
				n := 0
				for _, f := range []string{"EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"} {
					// The preferred factor is not offered: the answer is the
					// choice of a password.
					out, err := userAuth(map[string]string{"USERNAME": "bob", "PREFERRED_CHALLENGE": f})
					if err == nil && out.ChallengeName == types.ChallengeNameTypeSelectChallenge &&
						!slices.Contains(out.AvailableChallenges, types.ChallengeNameType(f)) {
						n++
					}
				}
				for _, f := range []string{"EMAIL_OTP", "SMS_OTP"} {
					sel, err := userAuth(map[string]string{"USERNAME": "bob"})
					wantChallenge(t, sel.ChallengeName, sel.Session, err, types.ChallengeNameTypeSelectChallenge)
					_, err = e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: choice.ClientId,
						ChallengeName: types.ChallengeNameTypeSelectChallenge, Session: sel.Session,
						ChallengeResponses: map[string]string{"USERNAME": "bob", "ANSWER": f}}, noRetry)
					n += refusedIf(err)
				}
				return 5, n
			}},
			{"100 wrong codes at once on one Session", func(t *testing.T) (int, int) {
				out := pending()
				var (
					mu                  sync.Mutex
					mismatch, notAuthed int
					wg                  sync.WaitGroup
				)
				for i := range 100 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, totpAnswer(fmt.Sprintf("%06d", 100000+i)))
						var ae interface{ ErrorCode() string }
						mu.Lock()
						defer mu.Unlock()
						if errors.As(err, &ae) {
							switch ae.ErrorCode() {
							case "CodeMismatchException":
								mismatch++
							case "NotAuthorizedException":
								notAuthed++
							}
						}
					}()
				}
				wg.Wait()
				t.Logf("100 wrong codes: %d CodeMismatchException (codes compared), %d NotAuthorizedException", mismatch, notAuthed)
				if mismatch > 3 || mismatch+notAuthed != 100 {
					t.Errorf("%d codes compared and %d refused of 100, want at most 3 compared", mismatch, notAuthed)
				}
				// The right code no longer passes on that Session.
				_, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, out.Session, totpAnswer(nextCode()))
				wantErrorCode(t, err, "NotAuthorizedException")
				return 101, mismatch + notAuthed + refusedIf(err)
			}},
		}
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				tries, refused := r.run(t)
				t.Logf("bypass %q: %d of %d attempts refused", r.name, refused, tries)
				if refused != tries {
					t.Errorf("%d of %d attempts refused", refused, tries)
				}
			})
		}
	})
}

// TestMFARememberedDevice signs a user with a software token in on a
// device: the sign-in that hands the device out answers SOFTWARE_TOKEN_MFA;
// once the device is remembered (ChallengeRequiredOnNewDevice), a sign-in
// on it goes through the device's SRP and skips MFA; once it is not
// remembered, MFA comes first and the device's SRP after it (answered with
// the code's Session or its own, once), and its tokens are still issued on
// the device.
func TestMFARememberedDevice(t *testing.T) {
	clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
			UserPoolTier:        types.UserPoolTierTypePlus,
			UserPoolAddOns:      &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
		if _, err := e.c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: s.pool, MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		s.signInUser(t, "mia", signInPassword)
		out, err := s.passwordAuth("mia", signInPassword)
		res := mustTokens(t, out.AuthenticationResult, err, true)
		assoc, err := e.c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: res.AccessToken})
		if err != nil {
			t.Fatal(err)
		}
		secret := aws.ToString(assoc.SecretCode)
		if _, err := e.c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: res.AccessToken, UserCode: aws.String(totpCode(t, secret, clock.Now()))}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: res.AccessToken,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
			t.Fatal(err)
		}
		nextCode := func() string {
			clock.advance(30 * time.Second)
			return totpCode(t, secret, clock.Now())
		}

		// SRP, SOFTWARE_TOKEN_MFA, and a new device with the tokens.
		c, params := s.srpChallenge(t, "mia")
		ts, sig := c.claim(t, aws.ToString(s.pool), signInPassword, params, clock.Now())
		mfaStep, err := s.respond(types.ChallengeNameTypePasswordVerifier, nil, map[string]string{
			"USERNAME": "mia", "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts})
		wantChallenge(t, mfaStep.ChallengeName, mfaStep.Session, err, types.ChallengeNameTypeSoftwareTokenMfa)
		done, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, mfaStep.Session, map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": nextCode()})
		first := mustTokens(t, done.AuthenticationResult, err, true)
		meta := first.NewDeviceMetadata
		if meta == nil {
			t.Fatal("no NewDeviceMetadata after the second factor")
		}
		d := &device{key: aws.ToString(meta.DeviceKey), groupKey: aws.ToString(meta.DeviceGroupKey), secret: newDeviceSecret(t)}
		if _, err := e.c.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: first.AccessToken, DeviceKey: meta.DeviceKey,
			DeviceSecretVerifierConfig: d.verifierConfig()}, noRetry); err != nil {
			t.Fatal(err)
		}

		// The remembered device skips MFA.
		skip, err := s.deviceSignIn(t, "mia", d)
		res = tokensOf(t, skip, err)
		if res.NewDeviceMetadata != nil {
			t.Errorf("a sign-in on the device handed out another: %+v", res.NewDeviceMetadata)
		}

		// Not remembered: the second factor first, then the device's SRP
		// (Cognito's order, which amazon-cognito-identity-js expects), and
		// tokens on the device.
		if _, err := e.c.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key),
			DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}); err != nil {
			t.Fatal(err)
		}
		srpA := func() map[string]string {
			return map[string]string{"USERNAME": "mia", "DEVICE_KEY": d.key, "SRP_A": newSRPClient(t).srpA()}
		}
		knownSignIn := func() *cip.RespondToAuthChallengeOutput {
			t.Helper()
			c, params := s.srpChallenge(t, "mia")
			ts, sig := c.claim(t, aws.ToString(s.pool), signInPassword, params, clock.Now())
			out, err := s.respond(types.ChallengeNameTypePasswordVerifier, nil, map[string]string{
				"USERNAME": "mia", "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
				"DEVICE_KEY": d.key})
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeSoftwareTokenMfa)
			return out
		}
		onDevice := func(tokens *types.AuthenticationResultType) {
			t.Helper()
			if tokens.NewDeviceMetadata != nil {
				t.Errorf("a sign-in on the known device handed out another: %+v", tokens.NewDeviceMetadata)
			}
			_, access := verifiedClaims(t, e.URL, s.pool, s.client.ClientId, tokens)
			if access["device_key"] != d.key {
				t.Errorf("access token device_key = %v, want %s", access["device_key"], d.key)
			}
		}
		again := knownSignIn()
		// Before its code is right, the code's Session does not open the
		// device's SRP; nor after a wrong code.
		_, err = s.respond(types.ChallengeNameTypeDeviceSrpAuth, again.Session, srpA())
		wantErrorCode(t, err, "NotAuthorizedException")
		_, err = s.respond(types.ChallengeNameTypeSoftwareTokenMfa, again.Session, map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": "000000", "DEVICE_KEY": d.key})
		wantErrorCode(t, err, "CodeMismatchException")
		_, err = s.respond(types.ChallengeNameTypeDeviceSrpAuth, again.Session, srpA())
		wantErrorCode(t, err, "NotAuthorizedException")
		dev, err := s.respond(types.ChallengeNameTypeSoftwareTokenMfa, again.Session, map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": nextCode(), "DEVICE_KEY": d.key})
		wantChallenge(t, dev.ChallengeName, dev.Session, err, types.ChallengeNameTypeDeviceSrpAuth)
		if dev.ChallengeParameters["DEVICE_KEY"] != d.key {
			t.Errorf("DEVICE_SRP_AUTH parameters = %v, want DEVICE_KEY %s", dev.ChallengeParameters, d.key)
		}
		// Answered with the code's Session, as amazon-cognito-identity-js
		// answers it.
		fin, err := s.answerDevice(t, "mia", dev.ChallengeName, again.Session, d)
		onDevice(tokensOf(t, fin, err))
		// Either Session of that step is used up.
		for _, session := range []*string{again.Session, dev.Session} {
			_, err = s.respond(types.ChallengeNameTypeDeviceSrpAuth, session, srpA())
			wantErrorCode(t, err, "NotAuthorizedException")
		}

		// Answered with the Session DEVICE_SRP_AUTH came with; a forged
		// device proof after a right code is refused.
		again = knownSignIn()
		dev, err = s.respond(types.ChallengeNameTypeSoftwareTokenMfa, again.Session, map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": nextCode()})
		wantChallenge(t, dev.ChallengeName, dev.Session, err, types.ChallengeNameTypeDeviceSrpAuth)
		forged := &device{key: d.key, groupKey: d.groupKey, secret: newDeviceSecret(t)}
		_, err = s.answerDevice(t, "mia", dev.ChallengeName, dev.Session, forged)
		wantErrorCode(t, err, "NotAuthorizedException")
		again = knownSignIn()
		dev, err = s.respond(types.ChallengeNameTypeSoftwareTokenMfa, again.Session, map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": nextCode()})
		wantChallenge(t, dev.ChallengeName, dev.Session, err, types.ChallengeNameTypeDeviceSrpAuth)
		fin, err = s.answerDevice(t, "mia", dev.ChallengeName, dev.Session, d)
		onDevice(tokensOf(t, fin, err))
		_, err = s.respond(types.ChallengeNameTypeDeviceSrpAuth, again.Session, srpA())
		wantErrorCode(t, err, "NotAuthorizedException")
		// The newest event is that sign-in, with its second factor.
		events, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String("mia"), MaxResults: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(events.AuthEvents) != 1 {
			t.Fatalf("auth events = %+v, want the newest", events.AuthEvents)
		}
		line := string(events.AuthEvents[0].EventResponse)
		for _, c := range events.AuthEvents[0].ChallengeResponses {
			line += " " + string(c.ChallengeName) + ":" + string(c.ChallengeResponse)
		}
		if line != "Pass Password:Success Mfa:Success" {
			t.Errorf("newest auth event = %q, want a sign-in with its second factor", line)
		}
	})
}
