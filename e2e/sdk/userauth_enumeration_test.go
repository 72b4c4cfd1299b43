package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/descope/virtualwebauthn"
	"github.com/google/go-cmp/cmp"
)

// TestUserAuthHidesUnknownUsers guards against user enumeration through
// choice-based sign-in (USER_AUTH): with PreventUserExistenceErrors
// enabled, a name that is no user's gets the answers a real user gets,
// whatever that user has (verified contacts or not, a passkey or not, a
// second factor or not, disabled or waiting for a new password). Each
// profile is asked the same questions, and every answer is reduced to
// what a client sees of it without knowing a secret: the challenges
// offered, the challenge each choice opens with the names of its
// parameters, the shape of a masked destination and of the passkey
// options, and the exception a wrong answer gets.
func TestUserAuthHidesUnknownUsers(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
				AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"},
			}},
			SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)},
		}, &cip.CreateUserPoolClientInput{
			ExplicitAuthFlows: userAuthFlows, PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		})
		in := mfaConfig(s.pool, types.UserPoolMfaTypeOptional)
		in.WebAuthnConfiguration = &types.WebAuthnConfigurationType{RelyingPartyId: aws.String(passkeyRPID), UserVerification: types.UserVerificationTypePreferred}
		if _, err := e.c.SetUserPoolMfaConfig(ctx, in); err != nil {
			t.Fatal(err)
		}

		// The profiles of real users.
		s.signInUser(t, "bare", signInPassword)
		s.passwordlessUser(t, "contacts")
		s.passwordlessUser(t, "keyed")
		dev := s.registerPasskey(t, s.accessToken(t, "keyed", signInPassword))
		s.passwordlessUser(t, "guarded")
		if _, err := e.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{
			UserPoolId: s.pool, Username: aws.String("guarded"),
			EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true, PreferredMfa: true},
		}); err != nil {
			t.Fatal(err)
		}
		s.passwordlessUser(t, "off")
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("off")}); err != nil {
			t.Fatal(err)
		}
		e.adminCreate(t, &cip.AdminCreateUserInput{
			UserPoolId: s.pool, Username: aws.String("invited"), MessageAction: types.MessageActionTypeSuppress,
			TemporaryPassword: aws.String(signInPassword),
		})

		// seen is what a client learns of name's USER_AUTH.
		type seen struct {
			Available []types.ChallengeNameType
			Preferred types.ChallengeNameType
			Opened    map[string][]string // choice -> challenge and parameter names
			Shapes    map[string]string   // choice -> shape of the destination or the options
			Wrong     map[string]string   // choice -> exception of a wrong answer
		}
		keys := func(m map[string]string) []string {
			var out []string
			for k := range m {
				out = append(out, k)
			}
			slices.Sort(out)
			return out
		}
		// optionsShape is what CREDENTIAL_REQUEST_OPTIONS shows without the
		// challenge: its members, relying party, user verification and how
		// many credentials it allows, of which length.
		optionsShape := func(raw string) string {
			var o struct {
				RPID             string `json:"rpId"`
				UserVerification string `json:"userVerification"`
				Timeout          int    `json:"timeout"`
				AllowCredentials []struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"allowCredentials"`
			}
			var all map[string]any
			if err := json.Unmarshal([]byte(raw), &o); err != nil || json.Unmarshal([]byte(raw), &all) != nil {
				t.Fatalf("CREDENTIAL_REQUEST_OPTIONS %q: %v", raw, err)
			}
			shape := struct {
				Members                   []string
				RPID, UV, Type            string
				Timeout, Allowed, IDBytes int
			}{RPID: o.RPID, UV: o.UserVerification, Timeout: o.Timeout, Allowed: len(o.AllowCredentials)}
			for k := range all {
				shape.Members = append(shape.Members, k)
			}
			slices.Sort(shape.Members)
			if len(o.AllowCredentials) > 0 {
				shape.Type, shape.IDBytes = o.AllowCredentials[0].Type, len(o.AllowCredentials[0].ID)
			}
			b, _ := json.Marshal(shape)
			return string(b)
		}
		stranger := virtualwebauthn.NewAuthenticator()
		strangerKey := newPasskeyKey(t)
		stranger.AddCredential(strangerKey)

		look := func(t *testing.T, name string) seen {
			t.Helper()
			var got seen
			got.Opened, got.Shapes, got.Wrong = map[string][]string{}, map[string]string{}, map[string]string{}
			sel, err := s.userAuth(map[string]string{"USERNAME": name})
			wantChallenge(t, sel.ChallengeName, sel.Session, err, types.ChallengeNameTypeSelectChallenge)
			got.Available = sel.AvailableChallenges
			pref, err := s.userAuth(map[string]string{"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
			if err != nil {
				t.Fatalf("PREFERRED_CHALLENGE=WEB_AUTHN for %s: %v", name, err)
			}
			got.Preferred = pref.ChallengeName
			for _, choice := range []string{"EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"} {
				sel, err := s.userAuth(map[string]string{"USERNAME": name})
				wantChallenge(t, sel.ChallengeName, sel.Session, err, types.ChallengeNameTypeSelectChallenge)
				out, err := s.respond(types.ChallengeNameTypeSelectChallenge, sel.Session, map[string]string{"USERNAME": name, "ANSWER": choice})
				if err != nil {
					got.Opened[choice] = []string{"error " + err.Error()}
					continue
				}
				got.Opened[choice] = append([]string{string(out.ChallengeName)}, keys(out.ChallengeParameters)...)
				var wrong error
				switch choice {
				case "WEB_AUTHN":
					got.Shapes[choice] = optionsShape(out.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"])
					opts, perr := virtualwebauthn.ParseAssertionOptions(out.ChallengeParameters["CREDENTIAL_REQUEST_OPTIONS"])
					if perr != nil {
						t.Fatal(perr)
					}
					strangerKey.Counter++
					_, wrong = s.answerWebAuthn(name, out.Session, virtualwebauthn.CreateAssertionResponse(party(passkeyRPID, passkeyOrigin), stranger, strangerKey, *opts))
				default:
					medium := types.DeliveryMediumType(out.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"])
					shape := maskedShape[medium]
					got.Shapes[choice] = string(medium) + " masked:" + map[bool]string{true: "yes", false: "no"}[shape != nil && shape.MatchString(out.ChallengeParameters["CODE_DELIVERY_DESTINATION"])]
					_, wrong = s.respond(out.ChallengeName, out.Session, map[string]string{"USERNAME": name, choice + "_CODE": "000000"})
				}
				var ae interface{ ErrorCode() string }
				if wrong == nil {
					t.Fatalf("%s: a wrong %s answer passed", name, choice)
				}
				if errors.As(wrong, &ae) {
					got.Wrong[choice] = ae.ErrorCode()
				}
			}
			return got
		}

		unknown := look(t, "nobody")
		want := []types.ChallengeNameType{"PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"}
		if diff := cmp.Diff(want, unknown.Available); diff != "" {
			t.Errorf("a name that is no user's is offered (-want +got):\n%s", diff)
		}
		checks := 0
		for _, name := range []string{"bare", "contacts", "keyed", "guarded", "off", "invited"} {
			t.Run(name, func(t *testing.T) {
				if diff := cmp.Diff(unknown, look(t, name)); diff != "" {
					t.Errorf("%s answers unlike a name that is no user's (-unknown +%s):\n%s", name, name, diff)
				}
				checks++
			})
		}
		t.Logf("%d real users answered like a name that is no user's: choices, %d choices opened and answered wrongly each", checks, len(unknown.Opened))

		// The real choices still sign in: the passkey of the user that has
		// one, and a code to the user with verified contacts.
		o := s.webAuthnSignIn(t, "keyed")
		tokens, err := s.answerWebAuthn("keyed", o.Session, dev.assert(t, party(passkeyRPID, passkeyOrigin), o.ChallengeParameters))
		wantTokens(t, tokens, err)
		_, email := s.passwordlessUser(t, "late")
		em, err := s.userAuth(map[string]string{"USERNAME": "late", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
		wantChallenge(t, em.ChallengeName, em.Session, err, types.ChallengeNameTypeEmailOtp)
		tokens, err = s.respond(types.ChallengeNameTypeEmailOtp, em.Session, map[string]string{"USERNAME": "late", "EMAIL_OTP_CODE": e.sentCode(t, email)})
		wantTokens(t, tokens, err)
		// The user with a second factor is sent no code to go around it.
		if msgs := e.messagesTo(t, "guarded@example.com"); len(msgs) != 0 {
			t.Errorf("%d messages to the user with a second factor", len(msgs))
		}
	})
}

// TestMadeUpDestinationsAgree asks, with a client that prevents user
// existence errors, for a code two ways — ForgotPassword and a
// passwordless USER_AUTH code of the same medium — by the name of a real
// user and by names that are no user's: each name gets one destination
// from both, as a real user does, so that comparing the two answers tells
// nobody whether a user exists. By email and by SMS, each in a pool that
// recovers accounts by that medium.
func TestMadeUpDestinationsAgree(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		checks := 0
		for _, tc := range []struct {
			recovery  types.RecoveryOptionNameType
			challenge types.ChallengeNameType
			medium    types.DeliveryMediumType
		}{
			{types.RecoveryOptionNameTypeVerifiedEmail, types.ChallengeNameTypeEmailOtp, types.DeliveryMediumTypeEmail},
			{types.RecoveryOptionNameTypeVerifiedPhoneNumber, types.ChallengeNameTypeSmsOtp, types.DeliveryMediumTypeSms},
		} {
			s := e.selfServicePool(t, &cip.CreateUserPoolInput{
				Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{
					AllowedFirstAuthFactors: []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP"},
				}},
				SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String(snsRole)},
				AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
					{Name: tc.recovery, Priority: aws.Int32(1)},
				}},
			}, &cip.CreateUserPoolClientInput{
				ExplicitAuthFlows: userAuthFlows, PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
			})
			s.passwordlessUser(t, "real")
			for _, name := range []string{"real", "ghost", "Ghost", "ghost@example.org", "+15555550123"} {
				forgot, err := e.c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: s.client.ClientId, Username: aws.String(name)}, noRetry)
				if err != nil {
					t.Fatalf("ForgotPassword for %s: %v", name, err)
				}
				code, err := s.userAuth(map[string]string{"USERNAME": name, "PREFERRED_CHALLENGE": string(tc.challenge)})
				if err != nil || code.ChallengeName != tc.challenge {
					t.Fatalf("USER_AUTH %s for %s: %v %v", tc.challenge, name, code, err)
				}
				got := [2]string{string(forgot.CodeDeliveryDetails.DeliveryMedium), aws.ToString(forgot.CodeDeliveryDetails.Destination)}
				asked := [2]string{code.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"], code.ChallengeParameters["CODE_DELIVERY_DESTINATION"]}
				if got != asked || got[0] != string(tc.medium) || got[1] == "" {
					t.Errorf("%s by %s: ForgotPassword answers %v, USER_AUTH %s %v", name, tc.medium, got, tc.challenge, asked)
				}
				checks++
			}
		}
		t.Logf("%d names answered with one destination by ForgotPassword and by a passwordless code", checks)
	})
}
