package authflow

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// mfaStepTime moves the clock to the next TOTP step, so that a new code
// is accepted (each is accepted once).
const mfaStepTime = mfa.Period

const wrongCode = "000000"

func init() {
	challengeCases[idp.ChallengeNameTypeSmsMfa] = challengeCase{mfa: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		e.mfaUser(t, user, directory.MFASMS)
		o := e.signInTo(t, client, user, idp.ChallengeNameTypeSmsMfa)
		code := e.sentCode(t, e.phone(user))
		return e.codeAnswer(client, user, idp.ChallengeNameTypeSmsMfa, "SMS_MFA_CODE", o.Session, func() string { return code })
	}}
	challengeCases[idp.ChallengeNameTypeEmailOtp] = challengeCase{mfa: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		e.mfaUser(t, user, directory.MFAEmail)
		o := e.signInTo(t, client, user, idp.ChallengeNameTypeEmailOtp)
		code := e.sentCode(t, e.email(user))
		return e.codeAnswer(client, user, idp.ChallengeNameTypeEmailOtp, "EMAIL_OTP_CODE", o.Session, func() string { return code })
	}}
	challengeCases[idp.ChallengeNameTypeSoftwareTokenMfa] = challengeCase{mfa: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		secret := e.mfaUser(t, user, directory.MFASoftwareToken)
		o := e.signInTo(t, client, user, idp.ChallengeNameTypeSoftwareTokenMfa)
		return e.codeAnswer(client, user, idp.ChallengeNameTypeSoftwareTokenMfa, "SOFTWARE_TOKEN_MFA_CODE", o.Session, func() string {
			return e.totpCode(t, secret)
		})
	}}
	// SELECT_MFA_TYPE: the answer chooses SMS_MFA, whose code follows.
	challengeCases[idp.ChallengeNameTypeSelectMfaType] = challengeCase{mfa: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		e.mfaUser(t, user, directory.MFASMS, directory.MFAEmail)
		o := e.signInTo(t, client, user, idp.ChallengeNameTypeSelectMfaType)
		if got := o.Params["MFAS_CAN_CHOOSE"]; got != `["SMS_MFA","EMAIL_OTP"]` {
			t.Fatalf("MFAS_CAN_CHOOSE = %s", got)
		}
		return func(secret string) (*Step, error) {
			sms, err := e.answer(client, idp.ChallengeNameTypeSelectMfaType, o.Session, map[string]string{"USERNAME": user, "ANSWER": "SMS_MFA"})
			if err != nil {
				return nil, err
			}
			if sms.Challenge != idp.ChallengeNameTypeSmsMfa {
				t.Fatalf("SELECT_MFA_TYPE answered SMS_MFA = %+v", sms)
			}
			code := e.sentCode(t, e.phone(user))
			return e.codeAnswer(client, user, idp.ChallengeNameTypeSmsMfa, "SMS_MFA_CODE", sms.Session, func() string { return code })(secret)
		}
	}}
	// MFA_SETUP: the pool is ON while the sign-in opens it; the answer
	// associates a software token, verifies it and answers MFA_SETUP.
	challengeCases[idp.ChallengeNameTypeMfaSetup] = challengeCase{mfa: true, fresh: true, open: func(t *testing.T, e *flowEnv, client, user string) func(string) (*Step, error) {
		e.mfaPool(t, idp.UserPoolMfaTypeOn)
		defer e.mfaPool(t, idp.UserPoolMfaTypeOptional)
		o := e.signInTo(t, client, user, idp.ChallengeNameTypeMfaSetup)
		if got := o.Params["MFAS_CAN_SETUP"]; got != `["SOFTWARE_TOKEN_MFA"]` {
			t.Fatalf("MFAS_CAN_SETUP = %s", got)
		}
		return func(secret string) (*Step, error) {
			ctx := context.Background()
			a, err := e.s.AssociateSoftwareToken(ctx, cognito.Caller{}, SoftwareToken{Session: o.Session})
			if err != nil {
				return nil, err
			}
			code := wrongCode
			if secret == flowPassword {
				code = e.totpCode(t, a.SecretCode)
			}
			v, err := e.s.VerifySoftwareToken(ctx, cognito.Caller{}, SoftwareToken{Session: a.Session, UserCode: code})
			if err != nil {
				return nil, err
			}
			return e.answer(client, idp.ChallengeNameTypeMfaSetup, v.Session, map[string]string{"USERNAME": user})
		}
	}}
}

// mfaPool sets the pool's MFA to mode, with SMS, software tokens and
// email all on.
func (e *flowEnv) mfaPool(t testing.TB, mode idp.UserPoolMfaType) {
	t.Helper()
	_, err := e.pools.SetUserPoolMfaConfig(context.Background(), cognito.Caller{Region: flowRegion}, &idp.SetUserPoolMfaConfigRequest{
		UserPoolId: cognito.Ptr(e.pool), MfaConfiguration: cognito.Ptr(mode),
		SmsMfaConfiguration:           &idp.SmsMfaConfigType{SmsConfiguration: &idp.SmsConfigurationType{SnsCallerArn: cognito.Ptr("arn:aws:iam::123456789012:role/sns")}},
		SoftwareTokenMfaConfiguration: &idp.SoftwareTokenMfaConfigType{Enabled: cognito.Ptr(true)},
		EmailMfaConfiguration:         &idp.EmailMfaConfigType{},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// phone and email are a user's own phone number and email address.
func (e *flowEnv) phone(user string) string {
	h := fnv.New32a()
	h.Write([]byte(user))
	return fmt.Sprintf("+1555%07d", h.Sum32()%10_000_000)
}

func (e *flowEnv) email(user string) string { return strings.ToLower(user) + "@example.com" }

// mfaUser gives user a phone number and an email address, turns the
// factors on for it (the first preferred when there is one), in a pool
// whose MFA is OPTIONAL, and returns the secret of its software token when
// one of the factors is SOFTWARE_TOKEN_MFA.
func (e *flowEnv) mfaUser(t testing.TB, user string, factors ...string) string {
	t.Helper()
	ctx := context.Background()
	c := cognito.Caller{Region: flowRegion}
	e.mfaPool(t, idp.UserPoolMfaTypeOptional)
	if _, err := e.users.AdminUpdateUserAttributes(ctx, c, &idp.AdminUpdateUserAttributesRequest{
		UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user),
		UserAttributes: []idp.AttributeType{
			{Name: cognito.Ptr("phone_number"), Value: cognito.Ptr(e.phone(user))},
			{Name: cognito.Ptr("email"), Value: cognito.Ptr(e.email(user))},
		},
	}); err != nil {
		t.Fatal(err)
	}
	var secret string
	in := &idp.AdminSetUserMFAPreferenceRequest{UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr(user)}
	preferred := len(factors) == 1
	for _, f := range factors {
		set := func() (*bool, *bool) { return cognito.Ptr(true), cognito.Ptr(preferred) }
		switch f {
		case directory.MFASMS:
			en, pr := set()
			in.SMSMfaSettings = &idp.SMSMfaSettingsType{Enabled: en, PreferredMfa: pr}
		case directory.MFAEmail:
			en, pr := set()
			in.EmailMfaSettings = &idp.EmailMfaSettingsType{Enabled: en, PreferredMfa: pr}
		case directory.MFASoftwareToken:
			secret = e.enrolTOTP(t, user)
			en, pr := set()
			in.SoftwareTokenMfaSettings = &idp.SoftwareTokenMfaSettingsType{Enabled: en, PreferredMfa: pr}
		}
	}
	if _, err := e.users.AdminSetUserMFAPreference(ctx, c, in); err != nil {
		t.Fatal(err)
	}
	return secret
}

// enrolTOTP gives user a verified software token, as AssociateSoftwareToken
// and VerifySoftwareToken do, and returns its secret.
func (e *flowEnv) enrolTOTP(t testing.TB, user string) string {
	t.Helper()
	ctx := context.Background()
	pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.users.LookupUser(ctx, pool, user)
	if err != nil {
		t.Fatal(err)
	}
	secret := mfa.NewSecret()
	if err := e.users.SetPendingTOTP(ctx, pool, u.Sub, e.s.totp.Seal(pool.ID, u.Sub, secret), nil); err != nil {
		t.Fatal(err)
	}
	code := e.totpCode(t, secret)
	if _, err := e.users.VerifyPendingTOTP(ctx, pool, u.Sub, "phone", false, func(sealed string) (int64, bool, error) {
		plain, err := e.s.totp.Open(pool.ID, u.Sub, sealed)
		if err != nil {
			return 0, false, err
		}
		step, ok := mfa.Check(plain, code, e.clock.Now(), 0)
		return step, ok, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(mfaStepTime)
	return secret
}

func (e *flowEnv) totpCode(t testing.TB, secret string) string {
	t.Helper()
	code, err := mfa.Code(secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// signInTo signs user in with its password and fails unless that opens
// challenge.
func (e *flowEnv) signInTo(t *testing.T, client, user string, challenge idp.ChallengeNameType) *Step {
	t.Helper()
	o := e.start(t, client, idp.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": user, "PASSWORD": flowPassword})
	if o.Challenge != challenge {
		t.Fatalf("sign-in = %+v, want %s", o, challenge)
	}
	if o.Params["USER_ID_FOR_SRP"] == "" {
		t.Errorf("%s has no USER_ID_FOR_SRP: %v", challenge, o.Params)
	}
	return o
}

// sentCode returns the code of the newest message sent to to.
func (e *flowEnv) sentCode(t *testing.T, to string) string {
	t.Helper()
	msgs := e.outbox.Messages(to)
	if len(msgs) == 0 {
		t.Fatalf("no message to %s", to)
	}
	body := msgs[0].Body // newest first
	for i := 0; i+6 <= len(body); i++ {
		if strings.Trim(body[i:i+6], "0123456789") == "" {
			return body[i : i+6]
		}
	}
	t.Fatalf("no code in %q", body)
	return ""
}

// codeAnswer answers a code challenge's session: with the right code
// (right()) for flowPassword, a wrong one otherwise.
func (e *flowEnv) codeAnswer(client, user string, name idp.ChallengeNameType, param, session string, right func() string) func(string) (*Step, error) {
	return func(secret string) (*Step, error) {
		code := wrongCode
		if secret == flowPassword {
			code = right()
		}
		return e.answer(client, name, session, map[string]string{"USERNAME": user, param: code})
	}
}

// TestDecideMFA holds the decision point to Cognito's rules.
func TestDecideMFA(t *testing.T) {
	all := userpool.MFA{Mode: idp.UserPoolMfaTypeOptional, SMS: true, SoftwareToken: true, Email: true}
	on := all
	on.Mode = idp.UserPoolMfaTypeOn
	off := all
	off.Mode = idp.UserPoolMfaTypeOff
	totpOnly := userpool.MFA{Mode: idp.UserPoolMfaTypeOn, SoftwareToken: true}
	user := func(enabled []string, preferred string, phone, email, totp bool) *directory.SignInUser {
		u := &directory.SignInUser{Attributes: map[string]string{}, MFA: directory.SignInMFA{Enabled: enabled, Preferred: preferred}}
		if phone {
			u.Attributes["phone_number"] = "+15550100"
		}
		if email {
			u.Attributes["email"] = "a@example.com"
		}
		if totp {
			u.MFA.TOTPSecret = "sealed"
		}
		return u
	}
	cases := []struct {
		name    string
		pool    userpool.MFA
		user    *directory.SignInUser
		want    idp.ChallengeNameType
		options []string
	}{
		{"off", off, user([]string{"SMS_MFA"}, "SMS_MFA", true, true, true), "", nil},
		{"optional, nothing on", all, user(nil, "", true, true, true), "", nil},
		{"optional, sms", all, user([]string{"SMS_MFA"}, "", true, false, false), idp.ChallengeNameTypeSmsMfa, nil},
		{"optional, sms without a phone", all, user([]string{"SMS_MFA"}, "", false, false, false), "", nil},
		{"optional, two, preferred", all, user([]string{"SMS_MFA", "SOFTWARE_TOKEN_MFA"}, "SOFTWARE_TOKEN_MFA", true, false, true), idp.ChallengeNameTypeSoftwareTokenMfa, nil},
		{"optional, two, none preferred", all, user([]string{"SMS_MFA", "EMAIL_OTP"}, "", true, true, false), idp.ChallengeNameTypeSelectMfaType, []string{"SMS_MFA", "EMAIL_OTP"}},
		{"optional, factor off in the pool", userpool.MFA{Mode: idp.UserPoolMfaTypeOptional, SMS: true}, user([]string{"EMAIL_OTP"}, "EMAIL_OTP", true, true, false), "", nil},
		{"on, nothing on, verified token", on, user(nil, "", true, true, true), idp.ChallengeNameTypeSoftwareTokenMfa, nil},
		{"on, nothing on, phone", on, user(nil, "", true, true, false), idp.ChallengeNameTypeSmsMfa, nil},
		{"on, nothing on, email", on, user(nil, "", false, true, false), idp.ChallengeNameTypeEmailOtp, nil},
		{"on, nothing usable", totpOnly, user(nil, "", true, true, false), idp.ChallengeNameTypeMfaSetup, []string{"SOFTWARE_TOKEN_MFA"}},
		{"on, preferred", on, user([]string{"EMAIL_OTP", "SMS_MFA"}, "EMAIL_OTP", true, true, false), idp.ChallengeNameTypeEmailOtp, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decideMFA(tc.pool, tc.user)
			if got.challenge != tc.want || fmt.Sprint(got.options) != fmt.Sprint(tc.options) {
				t.Errorf("decideMFA = %s %v, want %s %v", got.challenge, got.options, tc.want, tc.options)
			}
		})
	}
}

// TestMFAWrongCodesLockOut counts wrong MFA codes toward a lockout of
// their own: each Session takes three codes, and a right password (which
// opens a new Session) does not take the count back, so after five wrong
// codes in a row, over two Sessions, the user is locked out and a third
// Session's answer is refused, even with the right code, until the
// lockout has passed; a right code then signs in and takes the count back.
func TestMFAWrongCodesLockOut(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		e.addUser(t, "guessed", false)
		secret := e.mfaUser(t, "guessed", directory.MFASoftwareToken)
		wrongs := 0
		for wrongs < failuresToLockout {
			o := e.signInTo(t, e.client, "guessed", idp.ChallengeNameTypeSoftwareTokenMfa)
			for range maxMFAAnswers {
				if wrongs == failuresToLockout {
					break
				}
				_, err := e.answer(e.client, idp.ChallengeNameTypeSoftwareTokenMfa, o.Session, map[string]string{"USERNAME": "guessed", "SOFTWARE_TOKEN_MFA_CODE": wrongCode})
				wantCognito(t, err, cognito.CodeCodeMismatchException, msgCodeMismatch)
				wrongs++
			}
			if wrongs < failuresToLockout {
				// The Session took its three codes: a fourth is refused
				// before it is compared, right or not.
				_, err := e.answer(e.client, idp.ChallengeNameTypeSoftwareTokenMfa, o.Session, map[string]string{"USERNAME": "guessed", "SOFTWARE_TOKEN_MFA_CODE": e.totpCode(t, secret)})
				wantCognito(t, err, cognito.CodeNotAuthorizedException, msgSessionUsed)
			}
		}
		if n := e.wrongCodes(t, "guessed"); n != failuresToLockout {
			t.Fatalf("%d wrong codes counted, want %d", n, failuresToLockout)
		}
		o := e.signInTo(t, e.client, "guessed", idp.ChallengeNameTypeSoftwareTokenMfa)
		right := map[string]string{"USERNAME": "guessed", "SOFTWARE_TOKEN_MFA_CODE": e.totpCode(t, secret)}
		_, err := e.answer(e.client, idp.ChallengeNameTypeSoftwareTokenMfa, o.Session, right)
		wantCognito(t, err, cognito.CodeNotAuthorizedException, msgPasswordAttempts)
		e.clock.advance(2 * time.Second)
		got, err := e.answer(e.client, idp.ChallengeNameTypeSoftwareTokenMfa, o.Session, right)
		wantTokensOutcome(t, got, err)
		if n := e.wrongCodes(t, "guessed"); n != 0 {
			t.Errorf("%d wrong codes counted after a right one, want 0", n)
		}

		ctx := context.Background()
		pool, err := e.pools.SignInPool(ctx, cognito.Caller{Region: flowRegion}, e.pool)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.users.LookupUser(ctx, pool, "guessed")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.GetItem(ctx, "totp_step", u.Sub); err != nil {
			t.Fatalf("the TOTP step of a sign-in: %v", err)
		}

		// Deleting the user deletes its count, whose ID holds its sub.
		e.clock.advance(mfaStepTime)
		o = e.signInTo(t, e.client, "guessed", idp.ChallengeNameTypeSoftwareTokenMfa)
		_, err = e.answer(e.client, idp.ChallengeNameTypeSoftwareTokenMfa, o.Session, map[string]string{"USERNAME": "guessed", "SOFTWARE_TOKEN_MFA_CODE": wrongCode})
		wantCognito(t, err, cognito.CodeCodeMismatchException, msgCodeMismatch)
		if _, err := e.users.AdminDeleteUser(ctx, cognito.Caller{Region: flowRegion}, &idp.AdminDeleteUserRequest{
			UserPoolId: cognito.Ptr(e.pool), Username: cognito.Ptr("guessed"),
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.GetItem(ctx, kindAuthSession, mfaLockoutID(e.pool, u.Sub)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the deleted user's count of wrong codes: %v, want it gone", err)
		}
		// So does the last TOTP step its sign-ins used, kept beside it.
		if _, err := e.store.GetItem(ctx, "totp_step", u.Sub); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the deleted user's last TOTP step: %v, want it gone", err)
		}
	})
}

// TestMFAAnswersRaceBound answers one Session with three wrong codes and
// the right one at once, round after round: the right code is compared
// before anything is written, and only the transaction that signs it in
// reads the Session's count, so that transaction must refuse it once the
// three wrong ones are counted. However the answers interleave, a Session
// takes at most three of them (CodeMismatchException or tokens).
func TestMFAAnswersRaceBound(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		e.addUser(t, "raced", false)
		secret := e.mfaUser(t, "raced", directory.MFASoftwareToken)
		signedIn := 0
		for range 12 {
			// Past any lockout the wrong codes earned, on a TOTP step of
			// its own.
			e.clock.advance(maxPasswordLockout + mfaStepTime)
			o := e.signInTo(t, e.client, "raced", idp.ChallengeNameTypeSoftwareTokenMfa)
			codes := []string{wrongCode, wrongCode, e.totpCode(t, secret), wrongCode}
			errs := make([]error, len(codes))
			tokens := make([]bool, len(codes))
			var wg sync.WaitGroup
			for i, code := range codes {
				wg.Go(func() {
					out, err := e.answer(e.client, idp.ChallengeNameTypeSoftwareTokenMfa, o.Session, map[string]string{"USERNAME": "raced", "SOFTWARE_TOKEN_MFA_CODE": code})
					errs[i], tokens[i] = err, err == nil && out.Tokens != nil
				})
			}
			wg.Wait()
			taken := 0
			for i, err := range errs {
				var ce *cognito.Error
				switch {
				case tokens[i]:
					taken++
					signedIn++
				case errors.As(err, &ce) && ce.Code == cognito.CodeCodeMismatchException:
					taken++
				case errors.As(err, &ce) && ce.Code == cognito.CodeNotAuthorizedException:
				default:
					t.Fatalf("answer %d: %v", i, err)
				}
			}
			if taken > maxMFAAnswers {
				t.Fatalf("a Session took %d answers (%v), at most %d", taken, errs, maxMFAAnswers)
			}
		}
		t.Logf("12 Sessions answered with 3 wrong codes and the right one at once: %d signed in", signedIn)
	})
}

// wrongCodes is the user's count of wrong MFA codes.
func (e *flowEnv) wrongCodes(t *testing.T, username string) int {
	t.Helper()
	return e.countOf(t, username, mfaLockoutID)
}
