package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestRiskNotificationOnDeviceSignIn signs a user in on a remembered
// device through the SDK, in a pool whose every risk level notifies, and
// counts the emails a real SMTP server receives: each risky sign-in sends
// exactly one notification, whichever steps it goes through, and stays one
// event, the one the email's links name.
//
//   - From a new address on the remembered device (Low, NO_ACTION): the
//     device's SRP (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) and
//     NoActionEmail.
//   - The same through USER_AUTH's PASSWORD and ADMIN_USER_PASSWORD_AUTH.
//   - After many failures (Medium, MFA_IF_CONFIGURED): an email code, then
//     the device's SRP, and MfaEmail only.
//   - A user with two factors, at its first sign-in (Low, NO_ACTION, the
//     pool's own SELECT_MFA_TYPE): NoActionEmail when the challenge opens,
//     and the event of the chosen factor's answer in place of the pending
//     one.
//   - A wrong device proof after a notifying risk: the pending event
//     becomes the failure.
func TestRiskNotificationOnDeviceSignIn(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			r := newDeviceRisk(t, name)
			e, s, catcher, from, ctx := r.e, r.s, r.catcher, r.from, context.Background()
			events := func(user string) []types.AuthEventType { return r.events(t, user) }
			wantOne := func(after int, user, subject string, response types.EventResponseType, level types.RiskLevelType) types.AuthEventType {
				t.Helper()
				return r.wantOne(t, after, user, subject, response, level)
			}
			s.signInUser(t, "dora", signInPassword, "email", "dora@example.com", "email_verified", "true")

			// The first sign-in (no device yet: Low) remembers a device.
			from.addr.Store("192.0.2.10")
			n := catcher.count()
			d, _, _ := s.rememberDevice(t, "dora", "dora's laptop")
			wantOne(n, "dora", "Risk: sign-in", types.EventResponseTypePass, types.RiskLevelTypeLow)

			// The remembered device from a new address: Low, the device's
			// own SRP, one NoActionEmail.
			from.addr.Store("198.51.100.20")
			n, before := catcher.count(), len(events("dora"))
			out, err := s.deviceSignIn(t, "dora", d)
			tokensOf(t, out, err)
			wantOne(n, "dora", "Risk: sign-in", types.EventResponseTypePass, types.RiskLevelTypeLow)
			if after := len(events("dora")); after != before+1 {
				t.Errorf("%d events after the device sign-in, want %d", after, before+1)
			}

			// The same through choice-based sign-in (USER_AUTH, PASSWORD)
			// and the admin flow, each from a new address: one email each.
			for _, tc := range []struct {
				name, addr string
				start      func() (types.ChallengeNameType, *string, error)
			}{
				{"USER_AUTH", "198.51.100.30", func() (types.ChallengeNameType, *string, error) {
					out, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeUserAuth,
						AuthParameters: map[string]string{"USERNAME": "dora", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": signInPassword, "DEVICE_KEY": d.key}}, noRetry)
					if err != nil {
						return "", nil, err
					}
					return out.ChallengeName, out.Session, nil
				}},
				{"ADMIN_USER_PASSWORD_AUTH", "198.51.100.40", func() (types.ChallengeNameType, *string, error) {
					out, err := e.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: s.pool, ClientId: s.client.ClientId, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
						AuthParameters: map[string]string{"USERNAME": "dora", "PASSWORD": signInPassword, "DEVICE_KEY": d.key}}, noRetry)
					if err != nil {
						return "", nil, err
					}
					return out.ChallengeName, out.Session, nil
				}},
			} {
				from.addr.Store(tc.addr)
				n, before = catcher.count(), len(events("dora"))
				challenge, session, err := tc.start()
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				out, err := s.answerDevice(t, "dora", challenge, session, d)
				tokensOf(t, out, err)
				wantOne(n, "dora", "Risk: sign-in", types.EventResponseTypePass, types.RiskLevelTypeLow)
				if after := len(events("dora")); after != before+1 {
					t.Errorf("%s: %d events after the sign-in, want %d", tc.name, after, before+1)
				}
			}

			// Three wrong passwords, then the device from a known address:
			// Medium, an email code before the device's SRP, MfaEmail only.
			from.addr.Store("192.0.2.10")
			for range 3 {
				_, err := s.passwordAuth("dora", "Wrong-Passw0rd")
				wantErrorCode(t, err, "NotAuthorizedException")
			}
			n, before = catcher.count(), len(events("dora"))
			c, params := s.srpChallenge(t, "dora")
			ts, sig := c.claim(t, aws.ToString(s.pool), signInPassword, params, time.Now())
			user := params["USER_ID_FOR_SRP"]
			first, err := s.e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
				ClientId: s.client.ClientId, ChallengeName: types.ChallengeNameTypePasswordVerifier,
				ChallengeResponses: map[string]string{
					"USERNAME": user, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
					"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts, "DEVICE_KEY": d.key,
				},
			}, noRetry)
			wantChallenge(t, first.ChallengeName, first.Session, err, types.ChallengeNameTypeEmailOtp)
			code := catcher.wait(t, n, "dora@example.com", "Sign-in code")
			next, err := s.respond(types.ChallengeNameTypeEmailOtp, first.Session, map[string]string{"USERNAME": user, "EMAIL_OTP_CODE": sixDigits.FindString(code.Body)})
			if err != nil {
				t.Fatal(err)
			}
			out, err = s.answerDevice(t, user, next.ChallengeName, next.Session, d)
			tokensOf(t, out, err)
			ev := wantOne(n, "dora", "Risk: code asked", types.EventResponseTypePass, types.RiskLevelTypeMedium)
			if len(ev.ChallengeResponses) != 2 || ev.ChallengeResponses[1].ChallengeName != types.ChallengeNameMfa {
				t.Errorf("ChallengeResponses = %+v, want Password and Mfa", ev.ChallengeResponses)
			}
			if after := len(events("dora")); after != before+1 {
				t.Errorf("%d events after the device sign-in with a code, want %d", after, before+1)
			}

			// A user with two factors: SELECT_MFA_TYPE, then the factor
			// chosen; its answer's event replaces the pending one.
			s.signInUser(t, "ezra", signInPassword, "email", "ezra@example.com", "email_verified", "true",
				"phone_number", "+15550001111", "phone_number_verified", "true")
			if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: s.pool, Username: aws.String("ezra"),
				SMSMfaSettings:   &types.SMSMfaSettingsType{Enabled: true},
				EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true},
			}); err != nil {
				t.Fatal(err)
			}
			// Its first sign-in (a new device, no baseline: Low) asks its
			// pool's own second factor, and notifies once.
			from.addr.Store("192.0.2.10")
			n = catcher.count()
			sel, err := s.passwordAuth("ezra", signInPassword)
			wantChallenge(t, sel.ChallengeName, sel.Session, err, types.ChallengeNameTypeSelectMfaType)
			chosen, err := s.respond(types.ChallengeNameTypeSelectMfaType, sel.Session, map[string]string{"USERNAME": "ezra", "ANSWER": "EMAIL_OTP"})
			wantChallenge(t, chosen.ChallengeName, chosen.Session, err, types.ChallengeNameTypeEmailOtp)
			code = catcher.wait(t, n, "ezra@example.com", "Sign-in code")
			res, err := s.respond(types.ChallengeNameTypeEmailOtp, chosen.Session, map[string]string{"USERNAME": "ezra", "EMAIL_OTP_CODE": sixDigits.FindString(code.Body)})
			mustTokens(t, res.AuthenticationResult, err, true)
			wantOne(n, "ezra", "Risk: sign-in", types.EventResponseTypePass, types.RiskLevelTypeLow)
			if got := len(events("ezra")); got != 1 {
				t.Errorf("%d events of ezra's one sign-in, want 1", got)
			}

			// A wrong device proof after a notifying risk (Low, a new
			// address): one NoActionEmail, and the pending event becomes
			// the failure.
			from.addr.Store("198.51.100.99")
			n, before = catcher.count(), len(events("dora"))
			forged := *d
			forged.secret = newDeviceSecret(t)
			_, err = s.deviceSignIn(t, "dora", &forged)
			wantErrorCode(t, err, "NotAuthorizedException")
			wantOne(n, "dora", "Risk: sign-in", types.EventResponseTypeFail, types.RiskLevelTypeLow)
			if after := len(events("dora")); after != before+1 {
				t.Errorf("%d events after the forged device proof, want %d", after, before+1)
			}
		})
	}
}

// deviceRisk is a pool on a fresh store of one backend that tracks devices,
// lets a remembered device sign in without MFA, enforces threat protection
// with every risk level notifying, and sends its email through a real
// SMTP server (catcher). from sets the client address the server sees.
type deviceRisk struct {
	e       *userEnv
	s       *selfService
	catcher *mailCatcher
	from    *forwardedFor
}

func newDeviceRisk(t *testing.T, name string) *deviceRisk {
	t.Helper()
	catcher, e, from := mailingRiskEnv(t, name)
	ctx := context.Background()
	s := e.selfServicePool(t, &cip.CreateUserPoolInput{
		UserPoolTier:        types.UserPoolTierTypePlus,
		UserPoolAddOns:      &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced},
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
		Policies:            &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword}}},
	}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: append(slices.Clone(signInFlows), types.ExplicitAuthFlowsTypeAllowUserAuth)})
	if _, err := e.c.SetUserPoolMfaConfig(ctx, mfaConfig(s.pool, types.UserPoolMfaTypeOptional)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: s.pool,
		AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{
			Actions: notifyingActions(),
			NotifyConfiguration: &types.NotifyConfigurationType{
				From:          aws.String("security@example.com"),
				SourceArn:     aws.String("arn:aws:ses:us-east-1:123456789012:identity/example.com"),
				NoActionEmail: &types.NotifyEmailType{Subject: aws.String("Risk: sign-in"), TextBody: aws.String("{event-id} {one-click-link-valid} {one-click-link-invalid}")},
				MfaEmail:      &types.NotifyEmailType{Subject: aws.String("Risk: code asked"), TextBody: aws.String("{event-id} {one-click-link-valid} {one-click-link-invalid}")},
				BlockEmail:    &types.NotifyEmailType{Subject: aws.String("Risk: blocked"), TextBody: aws.String("{event-id} {one-click-link-valid} {one-click-link-invalid}")},
			},
		},
	}); err != nil {
		t.Fatal(err)
	}
	return &deviceRisk{e: e, s: s, catcher: catcher, from: from}
}

// events are user's sign-in events, newest first.
func (r *deviceRisk) events(t *testing.T, user string) []types.AuthEventType {
	t.Helper()
	out, err := r.e.c.AdminListUserAuthEvents(context.Background(), &cip.AdminListUserAuthEventsInput{UserPoolId: r.s.pool, Username: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return out.AuthEvents
}

// notices are the notification emails to to received since the first
// after messages (the sending is synchronous: the answer comes after the
// SMTP server took the message).
func (r *deviceRisk) notices(after int, to string) []caughtMail {
	r.catcher.mu.Lock()
	defer r.catcher.mu.Unlock()
	var out []caughtMail
	for _, m := range r.catcher.mails[min(after, len(r.catcher.mails)):] {
		if m.To == to && strings.HasPrefix(m.Subject, "Risk: ") {
			out = append(out, m)
		}
	}
	return out
}

// wantOne checks that exactly one notification, with subject, went to user
// since after, and that the newest event is the one its links name,
// answered response at level, with no pending event left.
func (r *deviceRisk) wantOne(t *testing.T, after int, user, subject string, response types.EventResponseType, level types.RiskLevelType) types.AuthEventType {
	t.Helper()
	got := r.notices(after, user+"@example.com")
	if len(got) != 1 || got[0].Subject != subject {
		t.Fatalf("notifications = %+v, want one %q", got, subject)
	}
	links := feedbackLinks(t, got[0].Body)
	list := r.events(t, user)
	ev := list[0]
	if aws.ToString(ev.EventId) != links[0].eventID || ev.EventResponse != response || ev.EventRisk == nil || ev.EventRisk.RiskLevel != level {
		t.Errorf("newest event = %s %s risk %+v, want %s %s %s (the links' event)", aws.ToString(ev.EventId), ev.EventResponse, ev.EventRisk, links[0].eventID, response, level)
	}
	wantNonePending(t, list)
	return ev
}

// wantNonePending checks that no event of list is still InProgress.
func wantNonePending(t *testing.T, list []types.AuthEventType) {
	t.Helper()
	for _, other := range list {
		if other.EventResponse == types.EventResponseTypeInProgress {
			t.Errorf("event %s still InProgress", aws.ToString(other.EventId))
		}
	}
}

// TestDeviceForgottenMidSignIn forgets a remembered device (ForgetDevice
// with the tokens of the sign-in that made it, or AdminForgetDevice)
// between the device's challenges of a sign-in through the SDK: before
// DEVICE_SRP_AUTH is answered, and before DEVICE_PASSWORD_VERIFIER is. The
// answer is Cognito's for a device that does not exist, and the sign-in
// has ended: AdminListUserAuthEvents shows it failed, in place of the
// InProgress event a notifying risk recorded when DEVICE_SRP_AUTH opened
// (under the event ID its email's links name), or as a new failed event
// when no risk notified; nothing is left pending.
func TestDeviceForgottenMidSignIn(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			r := newDeviceRisk(t, name)
			ctx := context.Background()
			r.s.signInUser(t, "fern", signInPassword, "email", "fern@example.com", "email_verified", "true")
			for i, tc := range []struct {
				name  string
				at    types.ChallengeNameType
				admin bool
				// addr is the address of the device's sign-in: a new one
				// (Low, notifying), or the one the device was remembered
				// from (no risk).
				addr   string
				notify bool
			}{
				{"ForgetDevice before DEVICE_SRP_AUTH", types.ChallengeNameTypeDeviceSrpAuth, false, "198.51.100.71", true},
				{"AdminForgetDevice before DEVICE_SRP_AUTH", types.ChallengeNameTypeDeviceSrpAuth, true, "198.51.100.72", true},
				{"ForgetDevice before DEVICE_PASSWORD_VERIFIER", types.ChallengeNameTypeDevicePasswordVerifier, false, "198.51.100.73", true},
				{"AdminForgetDevice before DEVICE_PASSWORD_VERIFIER", types.ChallengeNameTypeDevicePasswordVerifier, true, "198.51.100.74", true},
				{"no risk, AdminForgetDevice before DEVICE_SRP_AUTH", types.ChallengeNameTypeDeviceSrpAuth, true, "192.0.2.10", false},
				{"no risk, ForgetDevice before DEVICE_PASSWORD_VERIFIER", types.ChallengeNameTypeDevicePasswordVerifier, false, "192.0.2.10", false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r.from.addr.Store("192.0.2.10")
					d, res, _ := r.s.rememberDevice(t, "fern", fmt.Sprintf("fern's device %d", i))
					r.from.addr.Store(tc.addr)
					n, before := r.catcher.count(), r.events(t, "fern")
					forgotten := false
					_, err := r.s.deviceSignInAfter(t, "fern", d, func(next types.ChallengeNameType) {
						if next != tc.at {
							return
						}
						var err error
						if tc.admin {
							_, err = r.e.c.AdminForgetDevice(ctx, &cip.AdminForgetDeviceInput{UserPoolId: r.s.pool, Username: aws.String("fern"), DeviceKey: aws.String(d.key)})
						} else {
							_, err = r.e.c.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key)})
						}
						if err != nil {
							t.Fatal(err)
						}
						forgotten = true
					})
					var rnf *types.ResourceNotFoundException
					if !forgotten || !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Device does not exist." {
						t.Fatalf("answer after the device was forgotten (forgotten %v) = %v, want ResourceNotFoundException (Device does not exist.)", forgotten, err)
					}
					list := r.events(t, "fern")
					if len(list) != len(before)+1 {
						t.Fatalf("%d events after the sign-in, want %d", len(list), len(before)+1)
					}
					if tc.notify {
						r.wantOne(t, n, "fern", "Risk: sign-in", types.EventResponseTypeFail, types.RiskLevelTypeLow)
						return
					}
					if got := r.notices(n, "fern@example.com"); len(got) != 0 {
						t.Errorf("notifications = %+v, want none", got)
					}
					if list[0].EventResponse != types.EventResponseTypeFail || aws.ToString(list[0].EventId) == aws.ToString(before[0].EventId) {
						t.Errorf("newest event = %s %s, want a new Fail", aws.ToString(list[0].EventId), list[0].EventResponse)
					}
					wantNonePending(t, list)
				})
			}
		})
	}
}
