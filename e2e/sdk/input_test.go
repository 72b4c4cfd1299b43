package sdk

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// TestNULInput sends a NUL character in every kind of string that names a
// record or is searched for (usernames, aliases, searchable attribute
// values, ListUsers filters, group names, app client IDs, AuthParameters
// and ChallengeResponses used as lookup keys, tokens, codes and sessions),
// and more attributes than any pool has. Each is refused with
// InvalidParameterException before it reaches the store, on both backends:
// PostgreSQL cannot hold a NUL in a text column, and used to answer these
// with HTTP 500 (InternalErrorException). Nothing is written: the change log
// is as long after the refused requests as before.
func TestNULInput(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			AliasAttributes: []types.AliasAttributeType{types.AliasAttributeTypeEmail, types.AliasAttributeTypePreferredUsername},
		}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: append(signInFlows, types.ExplicitAuthFlowsTypeAllowUserAuth)})
		s.signInUser(t, "alice", signInPassword, "email", "alice@example.com", "name", "Alice")
		signIn, err := s.passwordAuth("alice", signInPassword)
		if err != nil {
			t.Fatal(err)
		}
		access := signIn.AuthenticationResult.AccessToken
		if _, err := e.c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: s.pool, GroupName: aws.String("staff")}); err != nil {
			t.Fatal(err)
		}
		const nul = "\x00"
		many := make([]types.AttributeType, 1025)
		for i := range many {
			many[i] = types.AttributeType{Name: aws.String("name"), Value: aws.String("n" + strconv.Itoa(i))}
		}
		manyParams := map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword}
		for i := len(manyParams); i < 1025; i++ {
			manyParams["P"+strconv.Itoa(i)] = "x"
		}

		before, err := e.Store.Changes(ctx, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		const invalid = "InvalidParameterException"
		const badText = "Attribute value must not contain null characters or invalid UTF-8.\n"
		pattern := func(member, rule string) string {
			return "at '" + member + "' failed to satisfy constraint: Member must satisfy regular expression pattern: " + rule
		}
		noText := func(member string) string {
			return "1 validation error detected: Value at '" + member + "' failed to satisfy constraint: Member must not contain null characters or invalid UTF-8"
		}
		tooMany := func(member string) string {
			return "at '" + member + "' failed to satisfy constraint: Member must have length less than or equal to 1024"
		}
		const usernamePattern = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`
		signUp := func(in *cip.SignUpInput) error {
			in.ClientId, in.Username, in.Password = s.client.ClientId, aws.String("bob"), aws.String(signInPassword)
			_, err := e.c.SignUp(ctx, in)
			return err
		}
		initiate := func(flow types.AuthFlowType, params map[string]string) error {
			_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: s.client.ClientId, AuthFlow: flow, AuthParameters: params}, noRetry)
			return err
		}
		cases := []struct {
			name string
			call func() error
			want string // the error code
			msg  string // the message, or a part of it
		}{
			{"SignUp email", func() error {
				return signUp(&cip.SignUpInput{UserAttributes: sdkAttrs("email", "bob"+nul+"@example.com")})
			},
				invalid, "Attributes did not conform to the schema: email: " + badText},
			{"SignUp name", func() error { return signUp(&cip.SignUpInput{UserAttributes: sdkAttrs("name", "B"+nul+"b")}) },
				invalid, "Attributes did not conform to the schema: name: " + badText},
			{"SignUp given_name", func() error { return signUp(&cip.SignUpInput{UserAttributes: sdkAttrs("given_name", nul)}) },
				invalid, "Attributes did not conform to the schema: given_name: " + badText},
			{"SignUp preferred_username", func() error {
				return signUp(&cip.SignUpInput{UserAttributes: sdkAttrs("preferred_username", "b"+nul)})
			}, invalid, "Attributes did not conform to the schema: preferred_username: " + badText},
			{"SignUp username", func() error { _, err := s.signUp("b"+nul+"b", signInPassword); return err },
				invalid, pattern("username", usernamePattern)},
			{"SignUp too many attributes", func() error { return signUp(&cip.SignUpInput{UserAttributes: many}) },
				invalid, tooMany("userAttributes")},
			{"SignUp too many ValidationData", func() error { return signUp(&cip.SignUpInput{ValidationData: many}) },
				invalid, tooMany("validationData")},
			{"SignUp too much ClientMetadata", func() error { return signUp(&cip.SignUpInput{ClientMetadata: manyParams}) },
				invalid, tooMany("clientMetadata")},
			{"AdminCreateUser email alias", func() error {
				_, err := e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String("carol"),
					UserAttributes: sdkAttrs("email", "c"+nul+"@example.com", "email_verified", "true"), MessageAction: types.MessageActionTypeSuppress})
				return err
			}, invalid, "Attributes did not conform to the schema: email: " + badText},
			{"AdminCreateUser too many attributes", func() error {
				_, err := e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String("carol"),
					UserAttributes: many, MessageAction: types.MessageActionTypeSuppress})
				return err
			}, invalid, tooMany("userAttributes")},
			{"AdminUpdateUserAttributes name", func() error {
				_, err := e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: s.pool,
					Username: aws.String("alice"), UserAttributes: sdkAttrs("name", "A"+nul)})
				return err
			}, invalid, "user.name: " + badText},
			{"UpdateUserAttributes preferred_username alias", func() error {
				_, err := e.c.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: access,
					UserAttributes: sdkAttrs("preferred_username", nul+"al")})
				return err
			}, invalid, "user.preferred_username: " + badText},
			{"AdminGetUser username", func() error {
				_, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String("alice" + nul)})
				return err
			}, invalid, pattern("username", usernamePattern)},
			{"ListUsers filter", func() error {
				_, err := e.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: s.pool, Filter: aws.String(`email = "a` + nul + `"`)})
				return err
			}, invalid, noText("filter")},
			{"ListUsers prefix filter", func() error {
				_, err := e.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: s.pool, Filter: aws.String(`name ^= "` + nul + `"`)})
				return err
			}, invalid, noText("filter")},
			{"ListUsers pagination token", func() error {
				_, err := e.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: s.pool, PaginationToken: aws.String("a" + nul)})
				return err
			}, invalid, "Invalid pagination token."},
			{"ListUsers too many attributes to get", func() error {
				names := make([]string, 1025)
				for i := range names {
					names[i] = "email"
				}
				_, err := e.c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: s.pool, AttributesToGet: names})
				return err
			}, invalid, tooMany("attributesToGet")},
			{"GetGroup name", func() error {
				_, err := e.c.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: s.pool, GroupName: aws.String("staff" + nul)})
				return err
			}, invalid, pattern("groupName", usernamePattern)},
			{"ListGroups token", func() error {
				_, err := e.c.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: s.pool, NextToken: aws.String(nul)})
				return err
			}, invalid, ""},
			{"InitiateAuth client ID", func() error {
				_, err := e.c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String("a" + nul), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": signInPassword}})
				return err
			}, invalid, pattern("clientId", `[\w+]+`)},
			{"InitiateAuth USER_PASSWORD_AUTH USERNAME", func() error {
				return initiate(types.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": "alice" + nul, "PASSWORD": signInPassword})
			}, invalid, noText("authParameters.USERNAME")},
			{"InitiateAuth USER_SRP_AUTH USERNAME", func() error {
				return initiate(types.AuthFlowTypeUserSrpAuth, map[string]string{"USERNAME": nul + "alice", "SRP_A": newSRPClient(t).srpA()})
			}, invalid, noText("authParameters.USERNAME")},
			{"InitiateAuth USER_AUTH USERNAME", func() error {
				return initiate(types.AuthFlowTypeUserAuth, map[string]string{"USERNAME": "alice@example.com" + nul})
			}, invalid, noText("authParameters.USERNAME")},
			{"InitiateAuth too many AuthParameters", func() error { return initiate(types.AuthFlowTypeUserPasswordAuth, manyParams) },
				invalid, tooMany("authParameters")},
			// A refresh token is hashed before it is looked up: a NUL makes
			// it a token that does not exist, as Cognito answers.
			{"InitiateAuth REFRESH_TOKEN", func() error {
				return initiate(types.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": aws.ToString(signIn.AuthenticationResult.RefreshToken) + nul})
			}, "NotAuthorizedException", "Invalid Refresh Token."},
			{"AdminInitiateAuth USERNAME", func() error {
				_, err := e.c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: s.pool, ClientId: s.client.ClientId,
					AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": "alice" + nul, "PASSWORD": signInPassword}})
				return err
			}, invalid, noText("authParameters.USERNAME")},
			{"RespondToAuthChallenge USERNAME", func() error {
				_, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: s.client.ClientId,
					ChallengeName: types.ChallengeNameTypePasswordVerifier,
					ChallengeResponses: map[string]string{"USERNAME": "alice" + nul, "PASSWORD_CLAIM_SECRET_BLOCK": "x",
						"PASSWORD_CLAIM_SIGNATURE": "x", "TIMESTAMP": "x"}})
				return err
			}, invalid, noText("challengeResponses.USERNAME")},
			{"RespondToAuthChallenge too many ChallengeResponses", func() error {
				_, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: s.client.ClientId,
					ChallengeName: types.ChallengeNameTypeNewPasswordRequired, ChallengeResponses: manyParams})
				return err
			}, invalid, tooMany("challengeResponses")},
			// A Session is sealed state, opened and never looked up.
			{"RespondToAuthChallenge session", func() error {
				_, err := e.c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: s.client.ClientId,
					ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: aws.String("session-session-session" + nul),
					ChallengeResponses: map[string]string{"USERNAME": "alice", "NEW_PASSWORD": signInPassword}})
				return err
			}, "NotAuthorizedException", "Invalid session for the user."},
			{"GetTokensFromRefreshToken", func() error {
				_, err := e.c.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: s.client.ClientId,
					RefreshToken: aws.String(aws.ToString(signIn.AuthenticationResult.RefreshToken) + nul)})
				return err
			}, invalid, ""},
			{"ForgotPassword username", func() error {
				_, err := e.c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: s.client.ClientId, Username: aws.String("alice@example.com" + nul)})
				return err
			}, invalid, pattern("username", usernamePattern)},
			// Codes are compared with the hash the user record keeps, and
			// never looked up: a NUL makes a wrong code.
			{"ConfirmForgotPassword code", func() error {
				_, err := e.c.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: s.client.ClientId, Username: aws.String("alice"),
					ConfirmationCode: aws.String(nul + "12345"), Password: aws.String(signInPassword)})
				return err
			}, "ExpiredCodeException", ""},
			{"VerifyUserAttribute code", func() error {
				_, err := e.c.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: access, AttributeName: aws.String("email"),
					Code: aws.String("1" + nul)})
				return err
			}, "ExpiredCodeException", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call()
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("error = %v, want %s", err, tc.want)
				}
				if ae.ErrorCode() != tc.want || !strings.Contains(ae.ErrorMessage(), tc.msg) {
					t.Fatalf("error = %s: %q, want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), tc.want, tc.msg)
				}
				var ip *types.InvalidParameterException
				if tc.want == invalid && !errors.As(err, &ip) {
					t.Fatalf("error = %T, want *types.InvalidParameterException", err)
				}
			})
		}

		after, err := e.Store.Changes(ctx, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			for _, c := range after[len(before):] {
				t.Errorf("a refused request wrote a change-log entry: %s %s %s", c.Kind, c.Entity, c.Key)
			}
		}
		u, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: s.pool, Username: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		if got := attrMap(u.UserAttributes); got["name"] != "Alice" || got["email"] != "alice@example.com" || got["preferred_username"] != "" {
			t.Errorf("alice's attributes changed: %v", got)
		}
	})
}
