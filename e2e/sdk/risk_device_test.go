package sdk

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
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
			catcher, smtpCfg := startMailCatcher(t)
			outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
			router, err := messaging.NewRouter(messaging.Config{SMTP: smtpCfg}, outbox, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			e, from := riskEnvOn(t, name, directory.Options{Sender: router}, outbox, nil)
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
			notify := func(a types.AccountTakeoverEventActionType) *types.AccountTakeoverActionType {
				return &types.AccountTakeoverActionType{EventAction: a, Notify: true}
			}
			if _, err := e.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: s.pool,
				AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{
					Actions: &types.AccountTakeoverActionsType{
						LowAction:    notify(types.AccountTakeoverEventActionTypeNoAction),
						MediumAction: notify(types.AccountTakeoverEventActionTypeMfaIfConfigured),
						HighAction:   notify(types.AccountTakeoverEventActionTypeBlock),
					},
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
			s.signInUser(t, "dora", signInPassword, "email", "dora@example.com", "email_verified", "true")
			events := func(user string) []types.AuthEventType {
				t.Helper()
				out, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				return out.AuthEvents
			}
			// notices are the notification emails to to received since the
			// first after messages (the sending is synchronous: the answer
			// comes after the SMTP server took the message).
			notices := func(after int, to string) []caughtMail {
				catcher.mu.Lock()
				defer catcher.mu.Unlock()
				var out []caughtMail
				for _, m := range catcher.mails[min(after, len(catcher.mails)):] {
					if m.To == to && strings.HasPrefix(m.Subject, "Risk: ") {
						out = append(out, m)
					}
				}
				return out
			}
			// wantOne checks that exactly one notification, with subject,
			// went to to since after, and that the newest event is the one
			// its links name, answered response at level, with no pending
			// event left.
			wantOne := func(after int, user, subject string, response types.EventResponseType, level types.RiskLevelType) types.AuthEventType {
				t.Helper()
				got := notices(after, user+"@example.com")
				if len(got) != 1 || got[0].Subject != subject {
					t.Fatalf("notifications = %+v, want one %q", got, subject)
				}
				links := feedbackLinks(t, got[0].Body)
				list := events(user)
				ev := list[0]
				if aws.ToString(ev.EventId) != links[0].eventID || ev.EventResponse != response || ev.EventRisk == nil || ev.EventRisk.RiskLevel != level {
					t.Errorf("newest event = %s %s risk %+v, want %s %s %s (the links' event)", aws.ToString(ev.EventId), ev.EventResponse, ev.EventRisk, links[0].eventID, response, level)
				}
				for _, other := range list {
					if other.EventResponse == types.EventResponseTypeInProgress {
						t.Errorf("event %s still InProgress", aws.ToString(other.EventId))
					}
				}
				return ev
			}

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
