package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/messaging"
)

const customMessageARN = functionARN + "custom-message"

// messagePool creates a pool that verifies email addresses, with
// CustomMessage arn and SMS MFA OPTIONAL, and an app client for password
// sign-in; it returns their IDs.
func (e *env) messagePool(t *testing.T, arn string, verification *types.VerificationMessageTemplateType) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("messages"), LambdaConfig: &types.LambdaConfigType{CustomMessage: aws.String(arn)},
		AutoVerifiedAttributes:      []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		VerificationMessageTemplate: verification,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId: p.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SmsMfaConfiguration: &types.SmsMfaConfigType{
			SmsAuthenticationMessage: aws.String("Your code is {####}"),
			SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/cognito-sns")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	return *p.UserPool.Id, *cl.UserPoolClient.ClientId
}

// customEvent checks the one CustomMessage event of source among evs
// field by field, as aws-lambda-go decodes it, and the members that type
// lacks as Cognito sends them: linkParameter, usernameParameter (null but
// in an invitation) and the response's null members.
func customEvent(t *testing.T, evs []recorded, want events.CognitoEventUserPoolsCustomMessage) {
	t.Helper()
	var got events.CognitoEventUserPoolsCustomMessage
	only(t, evs, want.TriggerSource, &got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s event (-want +got):\n%s", want.TriggerSource, d)
	}
	var raw struct {
		Request struct {
			LinkParameter     *string `json:"linkParameter"`
			UsernameParameter *string `json:"usernameParameter"`
		} `json:"request"`
		Response map[string]any `json:"response"`
	}
	for _, ev := range evs {
		if ev.source == want.TriggerSource {
			if err := json.Unmarshal(ev.raw, &raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	if raw.Request.LinkParameter == nil || *raw.Request.LinkParameter != "{##Click Here##}" {
		t.Errorf("%s: linkParameter %v, want {##Click Here##}", want.TriggerSource, raw.Request.LinkParameter)
	}
	if want.Request.UsernameParameter == "" && raw.Request.UsernameParameter != nil {
		t.Errorf("%s: usernameParameter %q, want null", want.TriggerSource, *raw.Request.UsernameParameter)
	}
	wantResp := map[string]any{"smsMessage": nil, "emailMessage": nil, "emailSubject": nil}
	if d := cmp.Diff(wantResp, raw.Response); d != "" {
		t.Errorf("%s: response (-want +got):\n%s", want.TriggerSource, d)
	}
}

func customRequest(attrs map[string]string, meta map[string]string, username string) events.CognitoEventUserPoolsCustomMessageRequest {
	ua := map[string]any{}
	for k, v := range attrs {
		ua[k] = v
	}
	if meta == nil {
		meta = map[string]string{}
	}
	return events.CognitoEventUserPoolsCustomMessageRequest{UserAttributes: ua, CodeParameter: "{####}", UsernameParameter: username, ClientMetadata: meta}
}

// newest returns the newest message to to, failing without one.
func (e *env) newest(t *testing.T, to string) messaging.Message {
	t.Helper()
	msgs := e.outbox.Messages(to)
	if len(msgs) == 0 {
		t.Fatalf("no message to %s", to)
	}
	return msgs[0]
}

// wantMessage checks the newest message to to: the function's subject and
// body (the code in place of {####}), and returns the code.
func (e *env) wantMessage(t *testing.T, to, subject, bodyPattern string) string {
	t.Helper()
	m := e.newest(t, to)
	code := codePattern.FindString(m.Body)
	if m.Subject != subject || m.Body != strings.ReplaceAll(bodyPattern, "{####}", code) || code == "" {
		t.Fatalf("message to %s: subject %q body %q, want %q and %q", to, m.Subject, m.Body, subject, bodyPattern)
	}
	return code
}

// TestCustomMessage runs every operation that sends a message through the
// SDK at a pool with a CustomMessage function, through each transport:
// each source's event field by field, and the function's texts in the
// message caught by the outbox, with the code that then works.
func TestCustomMessage(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				c := e.client()
				poolID, clientID := e.messagePool(t, customMessageARN, nil)
				meta := map[string]string{"app": "web"}

				// SignUp: CustomMessage_SignUp.
				out, err := e.signUp(clientID, "carol", meta)
				if err != nil {
					t.Fatal(err)
				}
				sub := *out.UserSub
				e.wantMessage(t, "carol@example.com", "Custom CustomMessage_SignUp", "<p>CustomMessage_SignUp: {####}</p>")
				unconfirmed := map[string]string{"email": "carol@example.com", "sub": sub, "cognito:user_status": "UNCONFIRMED"}
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_SignUp", poolID, clientID, "carol"),
					Request:                     customRequest(unconfirmed, meta, ""),
				})

				// ResendConfirmationCode: CustomMessage_ResendCode; its code confirms.
				if _, err := c.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{
					ClientId: aws.String(clientID), Username: aws.String("carol"), ClientMetadata: meta,
				}); err != nil {
					t.Fatal(err)
				}
				code := e.wantMessage(t, "carol@example.com", "Custom CustomMessage_ResendCode", "<p>CustomMessage_ResendCode: {####}</p>")
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_ResendCode", poolID, clientID, "carol"),
					Request:                     customRequest(unconfirmed, meta, ""),
				})
				if _, err := c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
					ClientId: aws.String(clientID), Username: aws.String("carol"), ConfirmationCode: aws.String(code),
				}); err != nil {
					t.Fatal(err)
				}
				confirmed := map[string]string{"email": "carol@example.com", "email_verified": "true", "sub": sub, "cognito:user_status": "CONFIRMED"}

				// ForgotPassword: CustomMessage_ForgotPassword.
				if _, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("carol"), ClientMetadata: meta}); err != nil {
					t.Fatal(err)
				}
				e.wantMessage(t, "carol@example.com", "Custom CustomMessage_ForgotPassword", "<p>CustomMessage_ForgotPassword: {####}</p>")
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_ForgotPassword", poolID, clientID, "carol"),
					Request:                     customRequest(confirmed, meta, ""),
				})

				// AdminResetUserPassword: CustomMessage_ForgotPassword, no app
				// client; the event shows the user as the reset leaves it.
				if _, err := c.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("carol"), ClientMetadata: meta}); err != nil {
					t.Fatal(err)
				}
				e.wantMessage(t, "carol@example.com", "Custom CustomMessage_ForgotPassword", "<p>CustomMessage_ForgotPassword: {####}</p>")
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_ForgotPassword", poolID, "CLIENT_ID_NOT_APPLICABLE", "carol"),
					Request: customRequest(map[string]string{
						"email": "carol@example.com", "email_verified": "true", "sub": sub, "cognito:user_status": "RESET_REQUIRED",
					}, meta, ""),
				})

				// AdminCreateUser: CustomMessage_AdminCreateUser with the
				// username placeholder, by email and SMS in one invocation.
				created, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
					UserPoolId: aws.String(poolID), Username: aws.String("dave"), TemporaryPassword: aws.String("Temp-Pass-123"),
					DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail, types.DeliveryMediumTypeSms},
					UserAttributes: []types.AttributeType{
						{Name: aws.String("email"), Value: aws.String("dave@example.com")},
						{Name: aws.String("phone_number"), Value: aws.String("+15555550123")},
					},
					ClientMetadata: meta,
				})
				if err != nil {
					t.Fatal(err)
				}
				if m := e.newest(t, "dave@example.com"); m.Subject != "Custom CustomMessage_AdminCreateUser" || m.Body != "<p>CustomMessage_AdminCreateUser: Temp-Pass-123 for dave</p>" || !m.HTML {
					t.Errorf("invitation email %+v", m)
				}
				if m := e.newest(t, "+15555550123"); m.Body != "AdminCreateUser Temp-Pass-123 for dave" {
					t.Errorf("invitation SMS %+v", m)
				}
				daveSub := ""
				for _, a := range created.User.Attributes {
					if *a.Name == "sub" {
						daveSub = *a.Value
					}
				}
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_AdminCreateUser", poolID, "CLIENT_ID_NOT_APPLICABLE", "dave"),
					Request: customRequest(map[string]string{
						"email": "dave@example.com", "phone_number": "+15555550123", "sub": daveSub, "cognito:user_status": "FORCE_CHANGE_PASSWORD",
					}, meta, "{username}"),
				})

				// AdminUpdateUserAttributes: CustomMessage_UpdateUserAttribute.
				if _, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
					UserPoolId: aws.String(poolID), Username: aws.String("carol"), ClientMetadata: meta,
					UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("carol2@example.com")}},
				}); err != nil {
					t.Fatal(err)
				}
				e.wantMessage(t, "carol2@example.com", "Custom CustomMessage_UpdateUserAttribute", "<p>CustomMessage_UpdateUserAttribute: {####}</p>")
				reset := map[string]string{"email": "carol2@example.com", "email_verified": "false", "sub": sub, "cognito:user_status": "RESET_REQUIRED"}
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_UpdateUserAttribute", poolID, "CLIENT_ID_NOT_APPLICABLE", "carol"),
					Request:                     customRequest(reset, meta, ""),
				})

				// The signed-in user's UpdateUserAttributes and
				// GetUserAttributeVerificationCode, through its app client.
				if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
					UserPoolId: aws.String(poolID), Username: aws.String("carol"), Password: aws.String(password), Permanent: true,
				}); err != nil {
					t.Fatal(err)
				}
				auth, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "carol", "PASSWORD": password},
				})
				if err != nil {
					t.Fatal(err)
				}
				e.events(t)
				token := auth.AuthenticationResult.AccessToken
				if _, err := c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{
					AccessToken: token, ClientMetadata: meta,
					UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("carol3@example.com")}},
				}); err != nil {
					t.Fatal(err)
				}
				e.wantMessage(t, "carol3@example.com", "Custom CustomMessage_UpdateUserAttribute", "<p>CustomMessage_UpdateUserAttribute: {####}</p>")
				self := map[string]string{"email": "carol3@example.com", "email_verified": "false", "sub": sub, "cognito:user_status": "CONFIRMED"}
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_UpdateUserAttribute", poolID, clientID, "carol"),
					Request:                     customRequest(self, meta, ""),
				})
				if _, err := c.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{
					AccessToken: token, AttributeName: aws.String("email"), ClientMetadata: meta,
				}); err != nil {
					t.Fatal(err)
				}
				code = e.wantMessage(t, "carol3@example.com", "Custom CustomMessage_VerifyUserAttribute", "<p>CustomMessage_VerifyUserAttribute: {####}</p>")
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_VerifyUserAttribute", poolID, clientID, "carol"),
					Request:                     customRequest(self, meta, ""),
				})
				if _, err := c.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: aws.String(code)}); err != nil {
					t.Fatal(err)
				}

				// An SMS MFA code: CustomMessage_Authentication; its code signs in.
				erinSub := e.smsMFAUser(t, poolID, "erin", "+15555550199")
				ch, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "erin", "PASSWORD": password}, ClientMetadata: meta,
				})
				if err != nil || ch.ChallengeName != types.ChallengeNameTypeSmsMfa {
					t.Fatalf("InitiateAuth: %v %v, want SMS_MFA", ch, err)
				}
				m := e.newest(t, "+15555550199")
				code = codePattern.FindString(m.Body)
				if m.Body != "Authentication "+code || code == "" {
					t.Errorf("MFA SMS %q", m.Body)
				}
				customEvent(t, e.events(t), events.CognitoEventUserPoolsCustomMessage{
					CognitoEventUserPoolsHeader: header("1", "CustomMessage_Authentication", poolID, clientID, "erin"),
					Request: customRequest(map[string]string{
						"email": "erin@example.com", "phone_number": "+15555550199", "phone_number_verified": "true",
						"sub": erinSub, "cognito:user_status": "CONFIRMED",
					}, meta, ""),
				})
				if _, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
					ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSmsMfa, Session: ch.Session,
					ChallengeResponses: map[string]string{"USERNAME": "erin", "SMS_MFA_CODE": code},
				}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// smsMFAUser creates a confirmed user with a verified phone number and SMS
// MFA on, and returns its sub.
func (e *env) smsMFAUser(t *testing.T, poolID, name, phone string) string {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	out, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(name + "@example.com")},
			{Name: aws.String("phone_number"), Value: aws.String(phone)},
			{Name: aws.String("phone_number_verified"), Value: aws.String("true")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true},
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range out.User.Attributes {
		if *a.Name == "sub" {
			return *a.Value
		}
	}
	t.Fatal("no sub")
	return ""
}

// userVersion is the stored version of the user sub, which every write of
// the user moves.
func (e *env) userVersion(t *testing.T, sub string) int64 {
	t.Helper()
	it, err := e.Store.GetItem(context.Background(), "user", sub)
	if err != nil {
		t.Fatal(err)
	}
	return it.Version
}

// TestCustomMessageFailures is the failure table of CustomMessage: a
// function that fails, answers what is not its event or too much, answers
// a text without the code placeholder, or cannot be reached, is the
// operation's answer with Cognito's exception, and nothing is written
// (checked in the store) or sent. A function that answers no text leaves
// the pool's template; in a pool that confirms by link, the function's
// email must hold the link placeholder, which becomes the link.
func TestCustomMessageFailures(t *testing.T) {
	for _, tr := range []transport{viaLambda, viaWebhook} {
		t.Run(string(tr), func(t *testing.T) {
			e := start(t, "sqlite", tr, 5*time.Second)
			ctx := context.Background()
			c := e.client()
			check := func(t *testing.T, err error, code, msg string) {
				t.Helper()
				var ae interface {
					ErrorCode() string
					ErrorMessage() string
				}
				if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
					t.Fatalf("err = %v, want %s %q", err, code, msg)
				}
			}
			noMessage := func(t *testing.T, e *env, to string) {
				t.Helper()
				if msgs := e.outbox.Messages(to); len(msgs) != 0 {
					t.Errorf("%d messages to %s after a refusal: %+v", len(msgs), to, msgs)
				}
			}
			poolID, clientID := e.messagePool(t, customMessageARN, nil)
			const denied = "CustomMessage failed with error Denied by the test function."
			cases := []struct{ user, code, msg string }{
				{"deny1", "UserLambdaValidationException", denied},
				{"string1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
				{"wrongtype1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
				{"huge1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
				{"nocode1", "InvalidParameterException", `1 validation error detected: Value '<p>CustomMessage_SignUp: (no code)</p>' at 'emailBody' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`},
			}
			refused := func(t *testing.T, e *env, poolID, clientID, user, code, msg string) {
				_, err := e.signUp(clientID, user, nil)
				check(t, err, code, msg)
				if _, _, err := e.status(t, poolID, user); !isUserNotFound(err) {
					t.Errorf("AdminGetUser after a refused sign-up: %v, want UserNotFoundException", err)
				}
				noMessage(t, e, user+"@example.com")
			}
			for _, tc := range cases {
				t.Run("SignUp/"+tc.user, func(t *testing.T) { refused(t, e, poolID, clientID, tc.user, tc.code, tc.msg) })
			}
			if tr == viaWebhook {
				t.Run("SignUp/slow1", func(t *testing.T) {
					e := startHurried(t, "sqlite", tr)
					poolID, clientID := e.messagePool(t, customMessageARN, nil)
					refused(t, e, poolID, clientID, "slow1", "UnexpectedLambdaException", "CustomMessage invocation failed due to error Socket timeout while invoking Lambda function.")
				})
			}
			t.Run("SignUp/unreachable", func(t *testing.T) {
				pool, client := e.messagePool(t, unreachableARN, nil)
				_, err := e.signUp(client, "carol", nil)
				check(t, err, "UnexpectedLambdaException", "CustomMessage invocation failed due to error ServiceException.")
				if _, _, err := e.status(t, pool, "carol"); !isUserNotFound(err) {
					t.Errorf("AdminGetUser after a refused sign-up: %v, want UserNotFoundException", err)
				}
			})
			t.Run("AdminCreateUser/deny", func(t *testing.T) {
				_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
					UserPoolId: aws.String(poolID), Username: aws.String("deny2"),
					DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
					UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String("deny2@example.com")}},
				})
				check(t, err, "UserLambdaValidationException", denied)
				if _, _, err := e.status(t, poolID, "deny2"); !isUserNotFound(err) {
					t.Errorf("AdminGetUser after a refused AdminCreateUser: %v, want UserNotFoundException", err)
				}
				noMessage(t, e, "deny2@example.com")
			})

			// An existing user: the refused operation leaves its record as
			// it was, version and all.
			sub := e.user(t, poolID, "deny3")
			if _, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
				UserPoolId: aws.String(poolID), Username: aws.String("deny3"),
				UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}},
			}); err != nil {
				t.Fatal(err)
			}
			e.events(t)
			version := e.userVersion(t, sub)
			t.Run("ForgotPassword/deny", func(t *testing.T) {
				_, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("deny3")})
				check(t, err, "UserLambdaValidationException", denied)
				if v := e.userVersion(t, sub); v != version {
					t.Errorf("user version %d after a refused ForgotPassword, want %d", v, version)
				}
				noMessage(t, e, "deny3@example.com")
			})
			t.Run("AdminUpdateUserAttributes/deny", func(t *testing.T) {
				_, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
					UserPoolId: aws.String(poolID), Username: aws.String("deny3"),
					UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("deny3-new@example.com")}},
				})
				check(t, err, "UserLambdaValidationException", denied)
				if v := e.userVersion(t, sub); v != version {
					t.Errorf("user version %d after a refused AdminUpdateUserAttributes, want %d", v, version)
				}
				if _, attrs, err := e.status(t, poolID, "deny3"); err != nil || attrs["email"] != "deny3@example.com" {
					t.Errorf("email %q (err %v) after a refused change", attrs["email"], err)
				}
				noMessage(t, e, "deny3-new@example.com")
			})
			t.Run("SMS_MFA/deny", func(t *testing.T) {
				e.smsMFAUser(t, poolID, "deny4", "+15555550144")
				_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "deny4", "PASSWORD": password},
				})
				check(t, err, "UserLambdaValidationException", denied)
				noMessage(t, e, "+15555550144")
			})
			t.Run("no texts keeps the template", func(t *testing.T) {
				if _, err := e.signUp(clientID, "plain1", nil); err != nil {
					t.Fatal(err)
				}
				e.wantMessage(t, "plain1@example.com", "Your verification code", "Your verification code is {####}. ")
			})

			linkPool, linkClient := e.messagePool(t, customMessageARN, &types.VerificationMessageTemplateType{DefaultEmailOption: types.DefaultEmailOptionTypeConfirmWithLink})
			t.Run("link message", func(t *testing.T) {
				if _, err := e.signUp(linkClient, "link1", nil); err != nil {
					t.Fatal(err)
				}
				m := e.newest(t, "link1@example.com")
				code := codePattern.FindString(m.Body)
				if !m.HTML || !strings.HasPrefix(m.Body, "<p>CustomMessage_SignUp: "+code+` <a href="`) || !strings.Contains(m.Body, `/confirmUser?client_id=`+linkClient) || !strings.HasSuffix(m.Body, `">Click Here</a></p>`) {
					t.Errorf("link message %q", m.Body)
				}
				_, err := e.signUp(linkClient, "nocode2", nil)
				check(t, err, "InvalidParameterException", `1 validation error detected: Value '<p>CustomMessage_SignUp: (no code)</p>' at 'emailBody' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`)
				if _, _, err := e.status(t, linkPool, "nocode2"); !isUserNotFound(err) {
					t.Errorf("AdminGetUser after a refused sign-up: %v, want UserNotFoundException", err)
				}
			})
		})
	}
}
