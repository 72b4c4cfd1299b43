package triggers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/e2e/lambdafn/fn"
)

// migrationPool creates a pool whose UserMigration is the test function
// (arn, when not empty, in its place) and an app client for password and
// SRP sign-in, as an administrator too.
func (e *env) migrationPool(t testing.TB, arn string) (poolID, clientID string) {
	t.Helper()
	if arn == "" {
		arn = functionARN + "migrate"
	}
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("migration"),
		LambdaConfig: &types.LambdaConfigType{UserMigration: aws.String(arn)}})
	if err != nil {
		t.Fatal(err)
	}
	poolID = *p.UserPool.Id
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return poolID, *cl.UserPoolClient.ClientId
}

// wantNoUser fails unless the pool has no user of that name.
func (e *env) wantNoUser(t *testing.T, poolID, name string) {
	t.Helper()
	_, err := e.client().AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)})
	var nf *types.UserNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("user %s after a failed migration: %v, want UserNotFoundException", name, err)
	}
}

// TestUserMigration runs UserMigration through each transport and store:
// an unknown user signing in with USER_PASSWORD_AUTH or
// ADMIN_USER_PASSWORD_AUTH is created from the function's answer in the
// same request (its event compared field by field), signs in, and signs
// in again with no function; RESET_REQUIRED, the welcome message, a
// refused password and an invalid answer; USER_SRP_AUTH calls no
// function; ForgotPassword migrates a user RESET_REQUIRED and sends the
// code.
func TestUserMigration(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				poolID, clientID := e.migrationPool(t, "")
				c := e.client()
				meta := map[string]string{"origin": "legacy"}
				signIn := func(name, pw string, meta map[string]string) (*cip.InitiateAuthOutput, error) {
					return c.InitiateAuth(ctx, &cip.InitiateAuthInput{
						ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
						AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": pw}, ClientMetadata: meta,
					})
				}
				out, err := signIn("mia", fn.LegacyPassword, meta)
				if err != nil {
					t.Fatal(err)
				}
				if out.AuthenticationResult == nil {
					t.Fatalf("migrating sign-in = %+v, want tokens", out)
				}
				var ev events.CognitoEventUserPoolsMigrateUser
				only(t, e.events(t), "UserMigration_Authentication", &ev)
				want := events.CognitoEventUserPoolsMigrateUser{
					CognitoEventUserPoolsHeader: header("1", "UserMigration_Authentication", poolID, clientID, "mia"),
					CognitoEventUserPoolsMigrateUserRequest: events.CognitoEventUserPoolsMigrateUserRequest{
						Password: fn.LegacyPassword, ValidationData: meta, ClientMetadata: meta,
					},
				}
				if d := cmp.Diff(want, ev); d != "" {
					t.Errorf("UserMigration event (-want +got):\n%s", d)
				}
				u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("mia")})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, a := range u.UserAttributes {
					got[*a.Name] = *a.Value
				}
				if u.UserStatus != types.UserStatusTypeConfirmed || got["email"] != "mia@example.com" || got["email_verified"] != "true" || got["given_name"] != "Migrated" {
					t.Errorf("migrated user: %s %v", u.UserStatus, got)
				}
				if id := claims(t, *out.AuthenticationResult.IdToken); id["sub"] != got["sub"] || id["given_name"] != "Migrated" {
					t.Errorf("ID token: %v", id)
				}
				// The next sign-in needs no function: the password is the
				// user's own now.
				if _, err := signIn("mia", fn.LegacyPassword, nil); err != nil {
					t.Fatal(err)
				}
				if evs := e.events(t); len(evs) != 0 {
					t.Errorf("%d events at the second sign-in, want none", len(evs))
				}
				_, err = signIn("mia", "Another-Horse-1", nil)
				var na *types.NotAuthorizedException
				if !errors.As(err, &na) {
					t.Errorf("a migrated user's wrong password = %v, want NotAuthorizedException", err)
				}

				// As an administrator.
				adm, err := c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
					UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "mona", "PASSWORD": fn.LegacyPassword},
				})
				if err != nil || adm.AuthenticationResult == nil {
					t.Fatalf("AdminInitiateAuth = %+v, %v", adm, err)
				}
				only(t, e.events(t), "UserMigration_Authentication", &ev)

				// RESET_REQUIRED: created, and told to reset.
				_, err = signIn("migreset1", fn.LegacyPassword, nil)
				var prr *types.PasswordResetRequiredException
				if !errors.As(err, &prr) {
					t.Fatalf("RESET_REQUIRED migration = %v, want PasswordResetRequiredException", err)
				}
				if u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("migreset1")}); err != nil || u.UserStatus != types.UserStatusTypeResetRequired {
					t.Errorf("migreset1: %v %v", u, err)
				}

				// The welcome message, by email.
				if _, err := signIn("migwelcome1", fn.LegacyPassword, nil); err != nil {
					t.Fatal(err)
				}
				msgs := e.outbox.Messages("migwelcome1@example.com")
				if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "migwelcome1") || strings.Contains(msgs[0].Body, fn.LegacyPassword) {
					t.Errorf("welcome messages: %+v", msgs)
				}
				if msgs := e.outbox.Messages("mia@example.com"); len(msgs) != 0 {
					t.Errorf("SUPPRESS sent %d messages", len(msgs))
				}

				// A password the old directory refuses, and an answer that
				// makes no user: nothing is created.
				_, err = signIn("mike", "Wrong-Horse-1", nil)
				var lve *types.UserLambdaValidationException
				if !errors.As(err, &lve) || lve.ErrorMessage() != "UserMigration failed with error Bad password." {
					t.Errorf("refused password = %v, want UserLambdaValidationException", err)
				}
				e.wantNoUser(t, poolID, "mike")
				_, err = signIn("migbadstatus1", fn.LegacyPassword, nil)
				var ile *types.InvalidLambdaResponseException
				if !errors.As(err, &ile) {
					t.Errorf("invalid finalUserStatus = %v, want InvalidLambdaResponseException", err)
				}
				e.wantNoUser(t, poolID, "migbadstatus1")
				_ = e.events(t)

				// USER_SRP_AUTH does not bring the password: no function.
				_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
					ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth,
					AuthParameters: map[string]string{"USERNAME": "sam", "SRP_A": strings.Repeat("ab", 384)},
				})
				var unf *types.UserNotFoundException
				if !errors.As(err, &unf) {
					t.Errorf("USER_SRP_AUTH of an unknown user = %v, want UserNotFoundException", err)
				}
				if evs := e.events(t); len(evs) != 0 {
					t.Errorf("%d events for USER_SRP_AUTH", len(evs))
				}

				// ForgotPassword migrates the user, RESET_REQUIRED, and sends
				// the code.
				fp, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String("fiona"), ClientMetadata: meta})
				if err != nil {
					t.Fatal(err)
				}
				if fp.CodeDeliveryDetails == nil || fp.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail {
					t.Errorf("ForgotPassword = %+v", fp.CodeDeliveryDetails)
				}
				ev = events.CognitoEventUserPoolsMigrateUser{}
				only(t, e.events(t), "UserMigration_ForgotPassword", &ev)
				want = events.CognitoEventUserPoolsMigrateUser{
					CognitoEventUserPoolsHeader: header("1", "UserMigration_ForgotPassword", poolID, clientID, "fiona"),
					CognitoEventUserPoolsMigrateUserRequest: events.CognitoEventUserPoolsMigrateUserRequest{
						ValidationData: meta, ClientMetadata: meta,
					},
				}
				if d := cmp.Diff(want, ev); d != "" {
					t.Errorf("UserMigration_ForgotPassword event (-want +got):\n%s", d)
				}
				if u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("fiona")}); err != nil || u.UserStatus != types.UserStatusTypeResetRequired {
					t.Errorf("fiona: %v %v", u, err)
				}
				if msgs := e.outbox.Messages("fiona@example.com"); len(msgs) != 1 {
					t.Errorf("%d messages to fiona, want the code", len(msgs))
				}
			})
		}
	}
}

// TestUserMigrationAliases: in a pool where users sign in with their
// email address as an alias, a migrated user whose address another user
// holds is AliasExistsException and nothing is created, unless the
// function sets forceAliasCreation: then the address moves to the new
// user, and the other keeps it unverified.
func TestUserMigrationAliases(t *testing.T) {
	e := start(t, "sqlite", viaWebhook, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("aliases"),
		AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		LambdaConfig:    &types.LambdaConfigType{UserMigration: aws.String(functionARN + "migrate")}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := *p.UserPool.Id
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientID := *cl.UserPoolClient.ClientId
	for holder, email := range map[string]string{"holder1": "migalias1@example.com", "holder2": "migforce1@example.com"} {
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
			UserPoolId: aws.String(poolID), Username: aws.String(holder), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(name string) error {
		_, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": fn.LegacyPassword},
		})
		return err
	}
	// InitiateAuth's model lists no AliasExistsException, so the SDK
	// reports it by its code.
	var ae interface{ ErrorCode() string }
	if err := signIn("migalias1"); !errors.As(err, &ae) || ae.ErrorCode() != "AliasExistsException" {
		t.Errorf("migration onto a held alias = %v, want AliasExistsException", err)
	}
	e.wantNoUser(t, poolID, "migalias1")
	if err := signIn("migforce1"); err != nil {
		t.Fatalf("migration with forceAliasCreation: %v", err)
	}
	h, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("holder2")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range h.UserAttributes {
		if *a.Name == "email_verified" && *a.Value != "false" {
			t.Errorf("the alias's former holder has email_verified %s", *a.Value)
		}
	}
	// The address now signs the new user in.
	if err := signIn("migforce1@example.com"); err != nil {
		t.Errorf("sign-in with the moved alias: %v", err)
	}
}

// TestUserMigrationFailures is UserMigration's failure table, at sign-in
// and at ForgotPassword: a function error, an answer that is not an event,
// the wrong types, too large an answer, no answer in time (behind the
// webhook), an unreachable function. Each gets its exception and creates
// no user.
func TestUserMigrationFailures(t *testing.T) {
	for _, backend := range backends(t) {
		for _, tr := range []transport{viaLambda, viaWebhook} {
			t.Run(backend+"/"+string(tr), func(t *testing.T) {
				e := start(t, backend, tr, 5*time.Second)
				ctx := context.Background()
				type failure struct{ user, code, msg string }
				cases := []failure{
					{"migrate.deny1", "UserLambdaValidationException", "UserMigration failed with error Denied by the test function."},
					{"migrate.string1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
					{"migrate.wrongtype1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
					{"migrate.huge1", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
				}
				poolID, clientID := e.migrationPool(t, "")
				check := func(t *testing.T, e *env, poolID, clientID, user, code, msg string) {
					c := e.client()
					for _, op := range []string{"sign-in", "ForgotPassword"} {
						var err error
						if op == "sign-in" {
							_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
								ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
								AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": fn.LegacyPassword},
							})
						} else {
							_, err = c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String(user)})
						}
						var ae interface {
							ErrorCode() string
							ErrorMessage() string
						}
						if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
							t.Fatalf("%s: err = %v, want %s %q", op, err, code, msg)
						}
						if n, err := e.Store.CountItems(ctx, "user", poolID); err != nil || n != 0 {
							t.Errorf("%s: %d users after the failure (err %v), want 0", op, n, err)
						}
					}
				}
				for _, tc := range cases {
					t.Run(tc.user, func(t *testing.T) { check(t, e, poolID, clientID, tc.user, tc.code, tc.msg) })
				}
				t.Run("unreachable", func(t *testing.T) {
					poolID, clientID := e.migrationPool(t, unreachableARN)
					check(t, e, poolID, clientID, "carol", "UnexpectedLambdaException", "UserMigration invocation failed due to error ServiceException.")
				})
				if tr == viaWebhook {
					t.Run("migrate.slow1", func(t *testing.T) {
						e := startHurried(t, backend, tr)
						poolID, clientID := e.migrationPool(t, "")
						check(t, e, poolID, clientID, "migrate.slow1", "UnexpectedLambdaException", "UserMigration invocation failed due to error Socket timeout while invoking Lambda function.")
					})
				}
			})
		}
	}
}

// TestUserMigrationEnableSMSMFA: an answer with enableSMSMFA turns SMS MFA
// on for the migrated user, whose sign-in then asks for an SMS code, as
// Cognito's does; a user without a phone number, or a pool without SMS
// MFA, fails the migration and creates nothing.
func TestUserMigrationEnableSMSMFA(t *testing.T) {
	e := start(t, "sqlite", viaLambda, 5*time.Second)
	ctx := context.Background()
	c := e.client()
	noMFAPool, noMFAClient := e.migrationPool(t, "")
	poolID, clientID := e.migrationPool(t, "")
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SmsMfaConfiguration: &types.SmsMfaConfigType{
			SmsAuthenticationMessage: aws.String("Your code is {####}"),
			SmsConfiguration:         &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/cognito-sns")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	signIn := func(clientID, name string) (*cip.InitiateAuthOutput, error) {
		return c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": fn.LegacyPassword},
		})
	}

	ch, err := signIn(clientID, "migsmsphone1")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeSmsMfa {
		t.Fatalf("migrated sign-in: %v %v, want SMS_MFA", ch, err)
	}
	code := codePattern.FindString(e.newest(t, "+15555550177").Body)
	out, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeSmsMfa, Session: ch.Session,
		ChallengeResponses: map[string]string{"USERNAME": "migsmsphone1", "SMS_MFA_CODE": code},
	})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("SMS_MFA: %v %v", out, err)
	}
	u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("migsmsphone1")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"SMS_MFA"}, u.UserMFASettingList); diff != "" || aws.ToString(u.PreferredMfaSetting) != "SMS_MFA" {
		t.Errorf("MFA settings %v, preferred %q, want SMS_MFA", u.UserMFASettingList, aws.ToString(u.PreferredMfaSetting))
	}

	for _, tc := range []struct{ name, clientID, poolID, user string }{
		{"no phone number", clientID, poolID, "migsms2"},
		{"no SMS MFA in the pool", noMFAClient, noMFAPool, "migsmsphone2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signIn(tc.clientID, tc.user)
			if !errors.As(err, new(*types.InvalidLambdaResponseException)) {
				t.Fatalf("got %v, want InvalidLambdaResponseException", err)
			}
			e.wantNoUser(t, tc.poolID, tc.user)
		})
	}
}
