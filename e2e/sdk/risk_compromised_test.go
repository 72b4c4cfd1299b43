package sdk

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/directory"
)

// TestCompromisedSignInThroughSDK checks passwords at sign-in against the
// breached-password list (EventFilter SIGN_IN): in ENFORCED mode with
// BLOCK, a right password that is listed (by its digest through
// USER_PASSWORD_AUTH, by its prefix through ADMIN_USER_PASSWORD_AUTH) is
// refused with PasswordResetRequiredException, the user is put in
// RESET_REQUIRED (and stays refused until it resets its password through
// ForgotPassword) and the failed event records
// CompromisedCredentialsDetected; a wrong password is only a wrong
// password; a clean one signs in with nothing detected. An SRP sign-in,
// whose password the server never sees, is not checked. In AUDIT mode,
// with NO_ACTION, and with a filter without SIGN_IN the listed password
// signs in, the first two recording the detection.
func TestCompromisedSignInThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			e, from := riskEnv(t, name, directory.Options{Breached: breachedList(t)})
			from.addr.Store("192.0.2.10")
			ctx := context.Background()
			newApp := func(mode types.AdvancedSecurityModeType, action types.CompromisedCredentialsEventActionType, filter ...types.EventFilterType) *selfService {
				s := e.selfServicePool(t, &cip.CreateUserPoolInput{
					UserPoolTier:   types.UserPoolTierTypePlus,
					UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: mode},
				}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
				if _, err := e.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: s.pool,
					CompromisedCredentialsRiskConfiguration: &types.CompromisedCredentialsRiskConfigurationType{
						EventFilter: filter, Actions: &types.CompromisedCredentialsActionsType{EventAction: action},
					},
				}); err != nil {
					t.Fatal(err)
				}
				// An administrator's passwords are not checked, as in
				// Cognito: the users start with listed ones.
				s.signInUser(t, "exposed", breachedPassword, "email", "exposed@example.com", "email_verified", "true")
				s.signInUser(t, "prefixed", prefixedPassword)
				s.signInUser(t, "clean", cleanPassword)
				return s
			}
			status := func(s *selfService, user string) types.UserStatusType {
				t.Helper()
				out, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				return out.UserStatus
			}
			lastEvent := func(s *selfService, user string) types.AuthEventType {
				t.Helper()
				out, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.AuthEvents) == 0 {
					t.Fatalf("no auth event for %s", user)
				}
				return out.AuthEvents[0]
			}
			wantEvent := func(s *selfService, user string, response types.EventResponseType, decision types.RiskDecisionType, detected bool) {
				t.Helper()
				ev := lastEvent(s, user)
				if ev.EventResponse != response || ev.EventRisk == nil || ev.EventRisk.RiskDecision != decision ||
					aws.ToBool(ev.EventRisk.CompromisedCredentialsDetected) != detected {
					t.Errorf("%s's event = response %s, risk %+v; want %s, %s, CompromisedCredentialsDetected %v", user, ev.EventResponse, ev.EventRisk, response, decision, detected)
				}
			}

			s := newApp(types.AdvancedSecurityModeTypeEnforced, types.CompromisedCredentialsEventActionTypeBlock,
				types.EventFilterTypeSignIn, types.EventFilterTypeSignUp)

			// A wrong password is not assessed: the user stays as it was.
			_, err := s.passwordAuth("exposed", "Wrong-passw0rd-1")
			wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
			if got := status(s, "exposed"); got != types.UserStatusTypeConfirmed {
				t.Errorf("status after a wrong password = %s, want CONFIRMED", got)
			}

			// SRP never shows the password: not checked.
			res, err := s.srpSignIn(t, "exposed", breachedPassword)
			if err != nil {
				t.Fatalf("SRP sign-in with a listed password: %v", err)
			}
			mustTokens(t, res.AuthenticationResult, nil, true)
			wantEvent(s, "exposed", types.EventResponseTypePass, types.RiskDecisionTypeNoRisk, false)

			_, err = s.passwordAuth("exposed", breachedPassword)
			wantAPIError(t, err, "PasswordResetRequiredException", "Password reset required for the user")
			if got := status(s, "exposed"); got != types.UserStatusTypeResetRequired {
				t.Errorf("status after a blocked sign-in = %s, want RESET_REQUIRED", got)
			}
			wantEvent(s, "exposed", types.EventResponseTypeFail, types.RiskDecisionTypeBlock, true)

			_, err = s.adminSignIn("prefixed", prefixedPassword)
			wantAPIError(t, err, "PasswordResetRequiredException", "")
			if got := status(s, "prefixed"); got != types.UserStatusTypeResetRequired {
				t.Errorf("status after a blocked admin sign-in = %s, want RESET_REQUIRED", got)
			}
			wantEvent(s, "prefixed", types.EventResponseTypeFail, types.RiskDecisionTypeBlock, true)

			out, err := s.passwordAuth("clean", cleanPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			wantEvent(s, "clean", types.EventResponseTypePass, types.RiskDecisionTypeNoRisk, false)

			// The blocked user resets its password, then signs in.
			if _, err := e.c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: s.client.ClientId, Username: aws.String("exposed")}); err != nil {
				t.Fatal(err)
			}
			code := e.sentCode(t, "exposed@example.com")
			if _, err := e.c.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: s.client.ClientId, Username: aws.String("exposed"),
				ConfirmationCode: aws.String(code), Password: aws.String(signInPassword)}); err != nil {
				t.Fatal(err)
			}
			out, err = s.passwordAuth("exposed", signInPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			wantEvent(s, "exposed", types.EventResponseTypePass, types.RiskDecisionTypeNoRisk, false)

			// AUDIT and NO_ACTION: signed in, the detection recorded.
			for _, a := range []*selfService{
				newApp(types.AdvancedSecurityModeTypeAudit, types.CompromisedCredentialsEventActionTypeBlock),
				newApp(types.AdvancedSecurityModeTypeEnforced, types.CompromisedCredentialsEventActionTypeNoAction, types.EventFilterTypeSignIn),
			} {
				out, err := a.passwordAuth("exposed", breachedPassword)
				mustTokens(t, out.AuthenticationResult, err, true)
				wantEvent(a, "exposed", types.EventResponseTypePass, types.RiskDecisionTypeNoRisk, true)
				if got := status(a, "exposed"); got != types.UserStatusTypeConfirmed {
					t.Errorf("status after a let-through sign-in = %s, want CONFIRMED", got)
				}
			}

			// A filter without SIGN_IN: sign-ins are not checked.
			n := newApp(types.AdvancedSecurityModeTypeEnforced, types.CompromisedCredentialsEventActionTypeBlock, types.EventFilterTypeSignUp)
			out, err = n.passwordAuth("exposed", breachedPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			wantEvent(n, "exposed", types.EventResponseTypePass, types.RiskDecisionTypeNoRisk, false)
		})
	}
}
