package triggers

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"
)

// signUpPool creates a pool that sends email confirmation codes, with lc,
// and an app client; it returns their IDs.
func (e *env) signUpPool(t *testing.T, lc *types.LambdaConfigType) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("signup"), LambdaConfig: lc,
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
	})
	if err != nil {
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

var codePattern = regexp.MustCompile(`[0-9]{6}`)

func (e *env) signUp(clientID, name string, meta map[string]string) (*cip.SignUpOutput, error) {
	return e.client().SignUp(context.Background(), &cip.SignUpInput{
		ClientId: aws.String(clientID), Username: aws.String(name), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@example.com")}},
		ValidationData: []types.AttributeType{{Name: aws.String("invited-by"), Value: aws.String("dora")}},
		ClientMetadata: meta,
	})
}

func (e *env) status(t *testing.T, poolID, name string) (types.UserStatusType, map[string]string, error) {
	t.Helper()
	u, err := e.client().AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)})
	if err != nil {
		return "", nil, err
	}
	attrs := map[string]string{}
	for _, a := range u.UserAttributes {
		attrs[*a.Name] = *a.Value
	}
	return u.UserStatus, attrs, nil
}

// TestSignUpTriggers runs SignUp and ConfirmSignUp through the SDK at a
// pool with PreSignUp and PostConfirmation, through each transport: both
// events field by field, and a PreSignUp answer that confirms the user
// and verifies its email address at once (no code sent).
func TestSignUpTriggers(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				poolID, clientID := e.signUpPool(t, &types.LambdaConfigType{
					PreSignUp: aws.String(functionARN + "pre-sign-up"), PostConfirmation: aws.String(functionARN + "post-confirmation"),
				})
				meta := map[string]string{"app": "web"}
				out, err := e.signUp(clientID, "carol", meta)
				if err != nil {
					t.Fatal(err)
				}
				if out.UserConfirmed {
					t.Error("UserConfirmed without autoConfirmUser")
				}
				var pre events.CognitoEventUserPoolsPreSignup
				only(t, e.events(t), "PreSignUp_SignUp", &pre)
				wantPre := events.CognitoEventUserPoolsPreSignup{
					CognitoEventUserPoolsHeader: header("1", "PreSignUp_SignUp", poolID, clientID, "carol"),
					Request: events.CognitoEventUserPoolsPreSignupRequest{
						UserAttributes: map[string]string{"email": "carol@example.com"},
						ValidationData: map[string]string{"invited-by": "dora"}, ClientMetadata: meta,
					},
				}
				if d := cmp.Diff(wantPre, pre); d != "" {
					t.Errorf("PreSignUp event (-want +got):\n%s", d)
				}
				msgs := e.outbox.Messages("carol@example.com")
				if len(msgs) != 1 {
					t.Fatalf("%d messages to carol, want 1", len(msgs))
				}
				confirmMeta := map[string]string{"step": "confirm"}
				if _, err := e.client().ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
					ClientId: aws.String(clientID), Username: aws.String("carol"),
					ConfirmationCode: aws.String(codePattern.FindString(msgs[0].Body)), ClientMetadata: confirmMeta,
				}); err != nil {
					t.Fatal(err)
				}
				var post events.CognitoEventUserPoolsPostConfirmation
				only(t, e.events(t), "PostConfirmation_ConfirmSignUp", &post)
				wantPost := events.CognitoEventUserPoolsPostConfirmation{
					CognitoEventUserPoolsHeader: header("1", "PostConfirmation_ConfirmSignUp", poolID, clientID, "carol"),
					Request: events.CognitoEventUserPoolsPostConfirmationRequest{
						UserAttributes: map[string]string{
							"sub": *out.UserSub, "email": "carol@example.com", "email_verified": "true", "cognito:user_status": "CONFIRMED",
						},
						ClientMetadata: confirmMeta,
					},
				}
				if d := cmp.Diff(wantPost, post); d != "" {
					t.Errorf("PostConfirmation event (-want +got):\n%s", d)
				}

				// autoConfirmUser and autoVerifyEmail: confirmed at once,
				// no code sent, and the user signs in.
				auto, err := e.signUp(clientID, "autoalice", nil)
				if err != nil {
					t.Fatal(err)
				}
				if !auto.UserConfirmed || auto.CodeDeliveryDetails != nil {
					t.Errorf("UserConfirmed %v, CodeDeliveryDetails %v; want confirmed, none", auto.UserConfirmed, auto.CodeDeliveryDetails)
				}
				if n := len(e.outbox.Messages("autoalice@example.com")); n != 0 {
					t.Errorf("%d messages to an auto-confirmed user", n)
				}
				st, attrs, err := e.status(t, poolID, "autoalice")
				if err != nil || st != types.UserStatusTypeConfirmed || attrs["email_verified"] != "true" {
					t.Errorf("status %s, email_verified %q, err %v", st, attrs["email_verified"], err)
				}
				if _, err := e.client().InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "autoalice", "PASSWORD": password},
				}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestSignUpTriggerFailures: a PreSignUp function that fails leaves no
// user; a PostConfirmation function that fails is the answer of
// ConfirmSignUp, and the user stays confirmed, as Cognito leaves it.
func TestSignUpTriggerFailures(t *testing.T) {
	for _, tr := range []transport{viaLambda, viaWebhook} {
		t.Run(string(tr), func(t *testing.T) {
			e := start(t, "sqlite", tr, 5*time.Second)
			ctx := context.Background()
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
			poolID, clientID := e.signUpPool(t, &types.LambdaConfigType{PreSignUp: aws.String(functionARN + "pre-sign-up")})
			cases := []struct{ user, code, msg string }{
				{"deny1", "UserLambdaValidationException", "PreSignUp failed with error Denied by the test function."},
				{"string1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
				{"wrongtype1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
				{"huge1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
			}
			refused := func(t *testing.T, e *env, poolID, clientID, user, code, msg string) {
				_, err := e.signUp(clientID, user, nil)
				check(t, err, code, msg)
				if _, _, err := e.status(t, poolID, user); !isUserNotFound(err) {
					t.Errorf("AdminGetUser after a refused sign-up: %v, want UserNotFoundException", err)
				}
			}
			for _, tc := range cases {
				t.Run("PreSignUp/"+tc.user, func(t *testing.T) { refused(t, e, poolID, clientID, tc.user, tc.code, tc.msg) })
			}
			if tr == viaWebhook {
				t.Run("PreSignUp/slow1", func(t *testing.T) {
					e := startHurried(t, "sqlite", tr)
					poolID, clientID := e.signUpPool(t, &types.LambdaConfigType{PreSignUp: aws.String(functionARN + "pre-sign-up")})
					refused(t, e, poolID, clientID, "slow1", "UnexpectedLambdaException", "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function.")
				})
			}
			unreachablePool, unreachableClient := e.signUpPool(t, &types.LambdaConfigType{PreSignUp: aws.String(unreachableARN)})
			t.Run("PreSignUp/unreachable", func(t *testing.T) {
				_, err := e.signUp(unreachableClient, "carol", nil)
				check(t, err, "UnexpectedLambdaException", "PreSignUp invocation failed due to error ServiceException.")
				if _, _, err := e.status(t, unreachablePool, "carol"); !isUserNotFound(err) {
					t.Errorf("AdminGetUser after a refused sign-up: %v, want UserNotFoundException", err)
				}
			})

			postPool, postClient := e.signUpPool(t, &types.LambdaConfigType{PostConfirmation: aws.String(functionARN + "post-confirmation")})
			t.Run("PostConfirmation/deny", func(t *testing.T) {
				if _, err := e.signUp(postClient, "deny2", nil); err != nil {
					t.Fatal(err)
				}
				msgs := e.outbox.Messages("deny2@example.com")
				if len(msgs) != 1 {
					t.Fatalf("%d messages", len(msgs))
				}
				_, err := e.client().ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
					ClientId: aws.String(postClient), Username: aws.String("deny2"), ConfirmationCode: aws.String(codePattern.FindString(msgs[0].Body)),
				})
				check(t, err, "UserLambdaValidationException", "PostConfirmation failed with error Denied by the test function.")
				if st, _, err := e.status(t, postPool, "deny2"); err != nil || st != types.UserStatusTypeConfirmed {
					t.Errorf("status %s (err %v) after a failed PostConfirmation, want CONFIRMED", st, err)
				}
			})
		})
	}
}

func isUserNotFound(err error) bool {
	var nf *types.UserNotFoundException
	return errors.As(err, &nf)
}

// TestAdminCreateUserAndRecoveryTriggers: AdminCreateUser invokes
// PreSignUp as PreSignUp_AdminCreateUser (no app client, so
// CLIENT_ID_NOT_APPLICABLE), whose refusal creates no user;
// ConfirmForgotPassword invokes PostConfirmation as
// PostConfirmation_ConfirmForgotPassword.
func TestAdminCreateUserAndRecoveryTriggers(t *testing.T) {
	e := start(t, "sqlite", viaLambda, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	poolID, clientID := e.signUpPool(t, &types.LambdaConfigType{
		PreSignUp: aws.String(functionARN + "pre-sign-up"), PostConfirmation: aws.String(functionARN + "post-confirmation"),
	})
	create := func(name string) (*cip.AdminCreateUserOutput, error) {
		return c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
			UserPoolId: aws.String(poolID), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{
				{Name: aws.String("email"), Value: aws.String(name + "@example.com")},
				{Name: aws.String("email_verified"), Value: aws.String("true")},
			},
			ValidationData: []types.AttributeType{{Name: aws.String("source"), Value: aws.String("import")}},
			ClientMetadata: map[string]string{"by": "admin"},
		})
	}
	if _, err := create("erin"); err != nil {
		t.Fatal(err)
	}
	var pre events.CognitoEventUserPoolsPreSignup
	only(t, e.events(t), "PreSignUp_AdminCreateUser", &pre)
	want := events.CognitoEventUserPoolsPreSignup{
		CognitoEventUserPoolsHeader: header("1", "PreSignUp_AdminCreateUser", poolID, "CLIENT_ID_NOT_APPLICABLE", "erin"),
		Request: events.CognitoEventUserPoolsPreSignupRequest{
			UserAttributes: map[string]string{"email": "erin@example.com", "email_verified": "true"},
			ValidationData: map[string]string{"source": "import"}, ClientMetadata: map[string]string{"by": "admin"},
		},
	}
	if d := cmp.Diff(want, pre); d != "" {
		t.Errorf("PreSignUp_AdminCreateUser event (-want +got):\n%s", d)
	}
	_, err := create("deny3")
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "UserLambdaValidationException" {
		t.Fatalf("err = %v, want UserLambdaValidationException", err)
	}
	if _, _, err := e.status(t, poolID, "deny3"); !isUserNotFound(err) {
		t.Errorf("AdminGetUser after a refused AdminCreateUser: %v", err)
	}
	e.events(t)

	// Recovery: ForgotPassword, then ConfirmForgotPassword.
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String("erin"), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("erin")}); err != nil {
		t.Fatal(err)
	}
	msgs := e.outbox.Messages("erin@example.com")
	if len(msgs) == 0 {
		t.Fatal("no recovery code")
	}
	meta := map[string]string{"step": "recover"}
	if _, err := c.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{
		ClientId: aws.String(clientID), Username: aws.String("erin"), Password: aws.String("Another-Horse-8"),
		ConfirmationCode: aws.String(codePattern.FindString(msgs[0].Body)), ClientMetadata: meta,
	}); err != nil {
		t.Fatal(err)
	}
	_, attrs, err := e.status(t, poolID, "erin")
	if err != nil {
		t.Fatal(err)
	}
	var post events.CognitoEventUserPoolsPostConfirmation
	only(t, e.events(t), "PostConfirmation_ConfirmForgotPassword", &post)
	wantPost := events.CognitoEventUserPoolsPostConfirmation{
		CognitoEventUserPoolsHeader: header("1", "PostConfirmation_ConfirmForgotPassword", poolID, clientID, "erin"),
		Request: events.CognitoEventUserPoolsPostConfirmationRequest{
			UserAttributes: map[string]string{"sub": attrs["sub"], "email": "erin@example.com", "email_verified": "true", "cognito:user_status": "CONFIRMED"},
			ClientMetadata: meta,
		},
	}
	if d := cmp.Diff(wantPost, post); d != "" {
		t.Errorf("PostConfirmation_ConfirmForgotPassword event (-want +got):\n%s", d)
	}
}
