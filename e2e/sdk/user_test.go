package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// userEnv is a running cognate whose messages go to a development outbox,
// served at its documented endpoint as cmd/cognate serves it.
type userEnv struct {
	*env
	outbox *messaging.Outbox
	c      *cip.Client
}

// startWithOutbox is start with the engine's sender set to an outbox,
// mounted at messaging.OutboxPath.
func startWithOutbox(tb testing.TB, db migratingStore) *userEnv {
	tb.Helper()
	migrated(tb, db)
	outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	url := serve(tb, db, directory.Options{Sender: outbox}, func(mux *http.ServeMux) {
		mux.Handle(messaging.OutboxPath, outbox.Handler(messaging.OutboxAccess{Loopback: true}))
	})
	e := &env{URL: url, Store: db}
	return &userEnv{env: e, outbox: outbox, c: e.client("us-east-1")}
}

// userBackends runs f once per storage backend, with an outbox.
func userBackends(t *testing.T, f func(t *testing.T, e *userEnv)) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) { f(t, startWithOutbox(t, openBackend(t, name))) })
	}
}

// messagesTo reads the outbox endpoint for one recipient, newest first.
func (e *userEnv) messagesTo(t testing.TB, to string) []messaging.Message {
	t.Helper()
	resp, err := http.Get(e.URL + messaging.OutboxPath + "?to=" + url.QueryEscape(to))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", messaging.OutboxPath, resp.Status)
	}
	var body struct{ Messages []messaging.Message }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Messages
}

// userPool creates a pool named for the test with the given settings.
func (e *userEnv) userPool(t testing.TB, in *cip.CreateUserPoolInput) *string {
	t.Helper()
	if in == nil {
		in = &cip.CreateUserPoolInput{}
	}
	if in.PoolName == nil {
		in.PoolName = aws.String("users")
	}
	return createPool(t, e.c, in).Id
}

// adminCreate creates a user and fails the test on error.
func (e *userEnv) adminCreate(t testing.TB, in *cip.AdminCreateUserInput) *types.UserType {
	t.Helper()
	out, err := e.c.AdminCreateUser(context.Background(), in)
	if err != nil {
		t.Fatalf("AdminCreateUser %s: %v", aws.ToString(in.Username), err)
	}
	return out.User
}

func (e *userEnv) getUser(t *testing.T, pool *string, username string) *cip.AdminGetUserOutput {
	t.Helper()
	out, err := e.c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String(username)})
	if err != nil {
		t.Fatalf("AdminGetUser %s: %v", username, err)
	}
	return out
}

func sdkAttrs(kv ...string) []types.AttributeType {
	var out []types.AttributeType
	for i := 0; i < len(kv); i += 2 {
		out = append(out, types.AttributeType{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func attrMap(as []types.AttributeType) map[string]string {
	out := map[string]string{}
	for _, a := range as {
		out[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return out
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// defaultInvitation matches Cognito's default invitation text.
var defaultInvitation = regexp.MustCompile(`^Your username is (.+) and temporary password is (.+)\.$`)

// wantTyped fails unless err is the SDK's typed exception T with msg
// ("" for any message).
func wantTyped[T interface {
	error
	ErrorMessage() string
}](t *testing.T, err error, msg string) {
	t.Helper()
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("error = %v, want %T", err, typed)
	}
	if msg != "" && typed.ErrorMessage() != msg {
		t.Fatalf("message = %q, want %q", typed.ErrorMessage(), msg)
	}
}

func TestAdminCreateUser(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		pool := e.userPool(t, nil)
		before := time.Now().Add(-time.Second)
		u := e.adminCreate(t, &cip.AdminCreateUserInput{
			UserPoolId: pool, Username: aws.String("alice"),
			UserAttributes:         sdkAttrs("email", "alice@example.com", "name", "Alice", "email_verified", "true"),
			DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		})
		if aws.ToString(u.Username) != "alice" || u.UserStatus != types.UserStatusTypeForceChangePassword || !u.Enabled {
			t.Errorf("user = %s %s enabled=%v", aws.ToString(u.Username), u.UserStatus, u.Enabled)
		}
		if u.UserCreateDate == nil || u.UserCreateDate.Before(before) || !u.UserLastModifiedDate.Equal(*u.UserCreateDate) {
			t.Errorf("dates %v %v", u.UserCreateDate, u.UserLastModifiedDate)
		}
		if len(u.Attributes) == 0 || aws.ToString(u.Attributes[0].Name) != "sub" || !uuidPattern.MatchString(aws.ToString(u.Attributes[0].Value)) {
			t.Fatalf("first attribute = %+v, want sub with a UUID", u.Attributes)
		}
		sub := aws.ToString(u.Attributes[0].Value)
		if diff := cmp.Diff(map[string]string{"sub": sub, "email": "alice@example.com", "name": "Alice", "email_verified": "true"}, attrMap(u.Attributes)); diff != "" {
			t.Errorf("attributes (-want +got):\n%s", diff)
		}

		// The invitation, read through the documented endpoint.
		msgs := e.messagesTo(t, "alice@example.com")
		if len(msgs) != 1 {
			t.Fatalf("%d messages to alice, want 1", len(msgs))
		}
		m := msgs[0]
		if m.Channel != messaging.ChannelEmail || m.Purpose != messaging.PurposeInvitation || m.Subject != "Your temporary password" ||
			m.Pool != aws.ToString(pool) || m.Username != "alice" {
			t.Errorf("invitation = %+v", m)
		}
		match := defaultInvitation.FindStringSubmatch(m.Body)
		if match == nil || match[1] != "alice" {
			t.Fatalf("invitation body %q", m.Body)
		}
		// The generated temporary password satisfies the default policy.
		pw := match[2]
		if len(pw) < 8 || !regexp.MustCompile(`[A-Z]`).MatchString(pw) || !regexp.MustCompile(`[a-z]`).MatchString(pw) ||
			!regexp.MustCompile(`[0-9]`).MatchString(pw) || !regexp.MustCompile(`[^A-Za-z0-9]`).MatchString(pw) {
			t.Errorf("temporary password %q does not satisfy the default policy", pw)
		}

		// AdminGetUser by username and by sub returns the same user.
		for _, name := range []string{"alice", sub} {
			got := e.getUser(t, pool, name)
			if aws.ToString(got.Username) != "alice" || got.UserStatus != types.UserStatusTypeForceChangePassword || !got.Enabled ||
				!got.UserCreateDate.Equal(*u.UserCreateDate) {
				t.Errorf("AdminGetUser(%s) = %+v", name, got)
			}
			if diff := cmp.Diff(u.Attributes, got.UserAttributes, cmpOpts); diff != "" {
				t.Errorf("AdminGetUser(%s) attributes (-create +get):\n%s", name, diff)
			}
		}
	})
}

func TestAdminCreateUserMessages(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		plain := e.userPool(t, nil)
		custom := e.userPool(t, &cip.CreateUserPoolInput{AdminCreateUserConfig: &types.AdminCreateUserConfigType{
			InviteMessageTemplate: &types.MessageTemplateType{
				EmailSubject: aws.String("Welcome"),
				EmailMessage: aws.String("Hi {username}, your code is {####}"),
				SMSMessage:   aws.String("{username}: {####}"),
			},
		}})
		tests := []struct {
			name       string
			pool       *string
			in         cip.AdminCreateUserInput
			to         string
			want       *messaging.Message // nil: no message
			wantBodyRE string
		}{
			{
				name: "given temporary password", pool: plain,
				in: cip.AdminCreateUserInput{Username: aws.String("u1"), TemporaryPassword: aws.String("Given-Pass1"),
					UserAttributes: sdkAttrs("email", "u1@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}},
				to:   "u1@example.com",
				want: &messaging.Message{Channel: "EMAIL", Subject: "Your temporary password", Body: "Your username is u1 and temporary password is Given-Pass1."},
			},
			{
				name: "custom template", pool: custom,
				in: cip.AdminCreateUserInput{Username: aws.String("u2"), TemporaryPassword: aws.String("Given-Pass2"),
					UserAttributes: sdkAttrs("email", "u2@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}},
				to:   "u2@example.com",
				want: &messaging.Message{Channel: "EMAIL", Subject: "Welcome", Body: "Hi u2, your code is Given-Pass2"},
			},
			{
				name: "custom SMS template", pool: custom,
				in: cip.AdminCreateUserInput{Username: aws.String("u3"), TemporaryPassword: aws.String("Given-Pass3"),
					UserAttributes: sdkAttrs("phone_number", "+15555550103"), DesiredDeliveryMediums: []types.DeliveryMediumType{"SMS"}},
				to:   "+15555550103",
				want: &messaging.Message{Channel: "SMS", Body: "u3: Given-Pass3"},
			},
			{
				name: "SMS by default with a phone number", pool: plain,
				in: cip.AdminCreateUserInput{Username: aws.String("u4"), TemporaryPassword: aws.String("Given-Pass4"),
					UserAttributes: sdkAttrs("phone_number", "+15555550104", "email", "u4@example.com")},
				to:   "+15555550104",
				want: &messaging.Message{Channel: "SMS", Body: "Your username is u4 and temporary password is Given-Pass4."},
			},
			{
				name: "no email by default", pool: plain,
				in: cip.AdminCreateUserInput{Username: aws.String("u5"), UserAttributes: sdkAttrs("phone_number", "+15555550105", "email", "u5@example.com")},
				to: "u5@example.com",
			},
			{
				name: "suppressed", pool: plain,
				in: cip.AdminCreateUserInput{Username: aws.String("u6"), MessageAction: types.MessageActionTypeSuppress,
					UserAttributes: sdkAttrs("email", "u6@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}},
				to: "u6@example.com",
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.UserPoolId = tc.pool
				e.adminCreate(t, &in)
				msgs := e.messagesTo(t, tc.to)
				if tc.want == nil {
					if len(msgs) != 0 {
						t.Fatalf("messages = %+v, want none", msgs)
					}
					return
				}
				if len(msgs) != 1 {
					t.Fatalf("%d messages, want 1", len(msgs))
				}
				got := msgs[0]
				want := *tc.want
				want.Pool, want.To, want.Purpose, want.Username, want.At = aws.ToString(tc.pool), tc.to, messaging.PurposeInvitation, aws.ToString(tc.in.Username), got.At
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestAdminCreateUserResend(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		create := &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("carol"),
			UserAttributes: sdkAttrs("email", "carol@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}}
		e.adminCreate(t, create)
		first := defaultInvitation.FindStringSubmatch(e.messagesTo(t, "carol@example.com")[0].Body)

		resend := *create
		resend.MessageAction = types.MessageActionTypeResend
		resend.UserAttributes = nil
		u := e.adminCreate(t, &resend)
		if u.UserStatus != types.UserStatusTypeForceChangePassword {
			t.Errorf("status after RESEND = %s", u.UserStatus)
		}
		msgs := e.messagesTo(t, "carol@example.com")
		if len(msgs) != 2 {
			t.Fatalf("%d messages after RESEND, want 2", len(msgs))
		}
		second := defaultInvitation.FindStringSubmatch(msgs[0].Body)
		if second == nil || second[2] == first[2] {
			t.Errorf("RESEND sent %q; first password %q", msgs[0].Body, first[2])
		}

		// RESEND for a missing user, and for one that has set its password.
		missing := resend
		missing.Username = aws.String("nobody")
		_, err := e.c.AdminCreateUser(ctx, &missing)
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
		if _, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String("carol"), Password: aws.String("Perm-Pass1"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.AdminCreateUser(ctx, &resend)
		wantTyped[*types.UnsupportedUserStateException](t, err, "Resend not possible. carol status is not FORCE_CHANGE_PASSWORD")
	})
}

func TestAdminCreateUserErrors(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{
			Schema: []types.SchemaAttributeType{
				{Name: aws.String("email"), Required: aws.Bool(true), Mutable: aws.Bool(true)},
				{Name: aws.String("tenant"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(false)},
			},
		})
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("taken"), UserAttributes: sdkAttrs("email", "t@example.com")})
		tests := []struct {
			name  string
			in    cip.AdminCreateUserInput
			check func(t *testing.T, err error)
		}{
			{"username exists", cip.AdminCreateUserInput{Username: aws.String("taken"), UserAttributes: sdkAttrs("email", "x@example.com")},
				func(t *testing.T, err error) {
					wantTyped[*types.UsernameExistsException](t, err, "User account already exists")
				}},
			{"missing pool", cip.AdminCreateUserInput{UserPoolId: aws.String("us-east-1_AAAAAAAAA"), Username: aws.String("x")},
				func(t *testing.T, err error) {
					wantTyped[*types.ResourceNotFoundException](t, err, "User pool us-east-1_AAAAAAAAA does not exist.")
				}},
			{"temporary password too short", cip.AdminCreateUserInput{Username: aws.String("x"), TemporaryPassword: aws.String("Ab1!"), UserAttributes: sdkAttrs("email", "x@example.com")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidPasswordException](t, err, "Password did not conform with policy: Password not long enough")
				}},
			{"temporary password without symbol", cip.AdminCreateUserInput{Username: aws.String("x"), TemporaryPassword: aws.String("Abcdefg1"), UserAttributes: sdkAttrs("email", "x@example.com")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidPasswordException](t, err, "Password did not conform with policy: Password must have symbol characters")
				}},
			{"unknown attribute", cip.AdminCreateUserInput{Username: aws.String("x"), UserAttributes: sdkAttrs("email", "x@example.com", "favorite", "blue")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Attributes did not conform to the schema: favorite: Attribute does not exist in the schema.\n")
				}},
			{"required attribute missing", cip.AdminCreateUserInput{Username: aws.String("x")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Attributes did not conform to the schema: email: The attribute is required\n")
				}},
			{"sub given", cip.AdminCreateUserInput{Username: aws.String("x"), UserAttributes: sdkAttrs("email", "x@example.com", "sub", "mine")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Attributes did not conform to the schema: sub: Attribute cannot be updated.\n")
				}},
			{"invalid email", cip.AdminCreateUserInput{Username: aws.String("x"), UserAttributes: sdkAttrs("email", "nope")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Invalid email address format.")
				}},
			{"invalid phone number", cip.AdminCreateUserInput{Username: aws.String("x"), UserAttributes: sdkAttrs("email", "x@example.com", "phone_number", "5550100")},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Invalid phone number format.")
				}},
			{"email medium without email", cip.AdminCreateUserInput{Username: aws.String("x"), UserAttributes: sdkAttrs("email", ""), DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "")
				}},
			{"SMS medium without phone number", cip.AdminCreateUserInput{Username: aws.String("x"), UserAttributes: sdkAttrs("email", "x@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{"SMS"}},
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "No phone number provided but desired delivery medium was SMS")
				}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				if in.UserPoolId == nil {
					in.UserPoolId = pool
				}
				_, err := e.c.AdminCreateUser(ctx, &in)
				tc.check(t, err)
			})
		}
		// Nothing was created by the failed calls.
		if _, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("x")}); err == nil {
			t.Error("a failed AdminCreateUser left user x behind")
		}
		// Email required but empty on a pool without the requirement: the
		// EMAIL medium needs an address.
		plain := e.userPool(t, nil)
		_, err := e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: plain, Username: aws.String("y"), DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}})
		wantTyped[*types.InvalidParameterException](t, err, "No email provided but desired delivery medium was Email")
	})
}

func TestUsernameAttributesPool(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{
			UsernameAttributes:    []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
			UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		})
		u := e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("Dana@Example.com"),
			DesiredDeliveryMediums: []types.DeliveryMediumType{"EMAIL"}})
		attrs := attrMap(u.Attributes)
		if !uuidPattern.MatchString(aws.ToString(u.Username)) || aws.ToString(u.Username) != attrs["sub"] {
			t.Errorf("Username = %q, sub = %q: want the same UUID", aws.ToString(u.Username), attrs["sub"])
		}
		if attrs["email"] != "Dana@Example.com" {
			t.Errorf("email = %q", attrs["email"])
		}
		// The invitation names the sign-in name the administrator used.
		msgs := e.messagesTo(t, "dana@example.com")
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Body, "Your username is Dana@Example.com and") {
			t.Errorf("invitation = %+v", msgs)
		}
		for _, name := range []string{"Dana@Example.com", "dana@example.com", aws.ToString(u.Username)} {
			if got := e.getUser(t, pool, name); aws.ToString(got.Username) != aws.ToString(u.Username) {
				t.Errorf("AdminGetUser(%s) = %s", name, aws.ToString(got.Username))
			}
		}
		_, err := e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("DANA@example.com")})
		wantTyped[*types.UsernameExistsException](t, err, "User account already exists")
		_, err = e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("dana")})
		wantTyped[*types.InvalidParameterException](t, err, "Username should be an email.")
		// Changing the email to another user's is refused.
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("erin@example.com")})
		_, err = e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: aws.String("erin@example.com"), UserAttributes: sdkAttrs("email", "dana@example.com")})
		wantTyped[*types.AliasExistsException](t, err, "An account with the given email already exists.")
	})
}

func TestUsernameCaseSensitivity(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		for _, tc := range []struct {
			name          string
			caseSensitive bool
		}{{"case-insensitive", false}, {"case-sensitive", true}} {
			t.Run(tc.name, func(t *testing.T) {
				pool := e.userPool(t, &cip.CreateUserPoolInput{UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(tc.caseSensitive)}})
				e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("Frank")})
				_, getErr := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("frank")})
				_, createErr := e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("FRANK")})
				if tc.caseSensitive {
					wantTyped[*types.UserNotFoundException](t, getErr, "User does not exist.")
					if createErr != nil {
						t.Errorf("creating FRANK beside Frank: %v", createErr)
					}
					return
				}
				if getErr != nil {
					t.Errorf("AdminGetUser(frank): %v", getErr)
				}
				wantTyped[*types.UsernameExistsException](t, createErr, "User account already exists")
				// The username keeps the case it was created with.
				if got := e.getUser(t, pool, "FRANK"); aws.ToString(got.Username) != "Frank" {
					t.Errorf("Username = %q, want Frank", aws.ToString(got.Username))
				}
			})
		}
	})
}

func TestAliasAttributes(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{
			AliasAttributes:       []types.AliasAttributeType{types.AliasAttributeTypeEmail, types.AliasAttributeTypePreferredUsername},
			UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		})
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("gina"),
			UserAttributes: sdkAttrs("email", "shared@example.com", "email_verified", "true", "preferred_username", "gigi")})

		// The verified email and the preferred_username sign in, folded.
		for _, alias := range []string{"Shared@Example.com", "GIGI"} {
			if got := e.getUser(t, pool, alias); aws.ToString(got.Username) != "gina" {
				t.Errorf("AdminGetUser(%s) = %s", alias, aws.ToString(got.Username))
			}
		}
		// An unverified copy of the email is no alias, so it may repeat.
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("hank"), UserAttributes: sdkAttrs("email", "shared@example.com")})

		// AdminCreateUser's model does not list AliasExistsException, so
		// the SDK reports it as a generic API error with that code.
		_, err := e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("ivan"),
			UserAttributes: sdkAttrs("email", "SHARED@example.com", "email_verified", "true")})
		wantAPIError(t, err, "AliasExistsException", "An account with the given email already exists.")
		_, err = e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("ivan"), UserAttributes: sdkAttrs("preferred_username", "Gigi")})
		wantAPIError(t, err, "AliasExistsException", "An account with the given preferred_username already exists.")
		_, err = e.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("ivan@example.com")})
		wantTyped[*types.InvalidParameterException](t, err, "Username cannot be of email format, since user pool is configured for email alias.")

		// ForceAliasCreation moves the alias; gina keeps her email,
		// unverified.
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("ivan"), ForceAliasCreation: true,
			UserAttributes: sdkAttrs("email", "shared@example.com", "email_verified", "true")})
		if got := e.getUser(t, pool, "shared@example.com"); aws.ToString(got.Username) != "ivan" {
			t.Errorf("the email alias signs in %s, want ivan", aws.ToString(got.Username))
		}
		gina := attrMap(e.getUser(t, pool, "gina").UserAttributes)
		if gina["email"] != "shared@example.com" || gina["email_verified"] != "false" {
			t.Errorf("gina after the move: email %q verified %q", gina["email"], gina["email_verified"])
		}

		// Verifying gina's email again conflicts with ivan's alias.
		_, err = e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: aws.String("gina"), UserAttributes: sdkAttrs("email_verified", "true")})
		wantTyped[*types.AliasExistsException](t, err, "An account with the given email already exists.")
		if got := attrMap(e.getUser(t, pool, "gina").UserAttributes); got["email_verified"] != "false" {
			t.Errorf("the refused update changed gina: %v", got)
		}
	})
}

func TestAdminUpdateUserAttributes(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			Schema:                 []types.SchemaAttributeType{{Name: aws.String("tenant"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(false)}},
		})
		u := e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("jack"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: sdkAttrs("email", "jack@example.com", "email_verified", "true", "phone_number", "+15555550100", "phone_number_verified", "true", "custom:tenant", "t1")})
		update := func(kv ...string) error {
			_, err := e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: pool, Username: aws.String("jack"), UserAttributes: sdkAttrs(kv...)})
			return err
		}
		time.Sleep(5 * time.Millisecond)
		if err := update("name", "Jack", "email", "new@example.com"); err != nil {
			t.Fatal(err)
		}
		got := e.getUser(t, pool, "jack")
		attrs := attrMap(got.UserAttributes)
		if attrs["name"] != "Jack" || attrs["email"] != "new@example.com" || attrs["email_verified"] != "false" || attrs["phone_number_verified"] != "true" {
			t.Errorf("after changing email: %v", attrs)
		}
		if !got.UserLastModifiedDate.After(*u.UserLastModifiedDate) {
			t.Errorf("UserLastModifiedDate %v not after %v", got.UserLastModifiedDate, u.UserLastModifiedDate)
		}
		// email is auto-verified: a code went to the new address.
		msgs := e.messagesTo(t, "new@example.com")
		if len(msgs) != 1 || msgs[0].Purpose != messaging.PurposeVerification || msgs[0].Subject != "Your verification code" ||
			!regexp.MustCompile(`^Your verification code is [0-9]{6}\. $`).MatchString(msgs[0].Body) {
			t.Errorf("verification messages = %+v", msgs)
		}
		// Setting the verified flag in the same call keeps it, and sends
		// nothing; phone_number is not auto-verified, so nothing goes there.
		if err := update("email", "third@example.com", "email_verified", "true", "phone_number", "+15555550199"); err != nil {
			t.Fatal(err)
		}
		attrs = attrMap(e.getUser(t, pool, "jack").UserAttributes)
		if attrs["email_verified"] != "true" || attrs["phone_number"] != "+15555550199" || attrs["phone_number_verified"] != "false" {
			t.Errorf("after the second update: %v", attrs)
		}
		if n := len(e.messagesTo(t, "third@example.com")) + len(e.messagesTo(t, "+15555550199")); n != 0 {
			t.Errorf("%d messages sent, want none", n)
		}

		tests := []struct {
			name  string
			err   error
			check func(t *testing.T, err error)
		}{
			{"immutable", update("custom:tenant", "t2"), func(t *testing.T, err error) {
				wantTyped[*types.InvalidParameterException](t, err, "user.custom:tenant: Attribute cannot be updated.\n")
			}},
			{"unknown", update("custom:nope", "x"), func(t *testing.T, err error) {
				wantTyped[*types.InvalidParameterException](t, err, "user.custom:nope: Attribute does not exist in the schema.\n")
			}},
			{"sub", update("sub", "x"), func(t *testing.T, err error) {
				wantTyped[*types.InvalidParameterException](t, err, "user.sub: Attribute cannot be updated.\n")
			}},
			{"bad email", update("email", "x"), func(t *testing.T, err error) {
				wantTyped[*types.InvalidParameterException](t, err, "Invalid email address format.")
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.check(t, tc.err) })
		}
		if attrs := attrMap(e.getUser(t, pool, "jack").UserAttributes); attrs["custom:tenant"] != "t1" || attrs["email"] != "third@example.com" {
			t.Errorf("refused updates changed the user: %v", attrs)
		}
	})
}

func TestAdminDeleteUserAttributes(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{Schema: []types.SchemaAttributeType{{Name: aws.String("name"), Required: aws.Bool(true), Mutable: aws.Bool(true)}}})
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("kim"),
			UserAttributes: sdkAttrs("name", "Kim", "email", "kim@example.com", "email_verified", "true", "locale", "fr")})
		del := func(names ...string) error {
			_, err := e.c.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: pool, Username: aws.String("kim"), UserAttributeNames: names})
			return err
		}
		if err := del("email", "locale"); err != nil {
			t.Fatal(err)
		}
		attrs := attrMap(e.getUser(t, pool, "kim").UserAttributes)
		if diff := cmp.Diff(map[string]string{"sub": attrs["sub"], "name": "Kim"}, attrs); diff != "" {
			t.Errorf("attributes after deleting email and locale (-want +got):\n%s", diff)
		}
		wantTyped[*types.InvalidParameterException](t, del("name"), "Invalid user attributes: name: Required attribute cannot be deleted.")
		wantTyped[*types.InvalidParameterException](t, del("custom:nope"), "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.\n")
		wantTyped[*types.InvalidParameterException](t, del("sub"), "Invalid user attributes: user.sub: Attribute cannot be updated.\n")
	})
}

func TestAdminDeleteUser(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		u := e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("liam")})
		sub := attrMap(u.Attributes)["sub"]
		other := e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("mia")})
		otherSub := attrMap(other.Attributes)["sub"]

		// Group memberships as the group operations store them: kind
		// group_member, ID "<pool>/<group>/<sub>", indexed by member-of.
		p := aws.ToString(pool)
		member := func(group, sub string) *storage.Item {
			return &storage.Item{Kind: "group_member", ID: p + "/" + group + "/" + sub, Pool: p, Data: []byte(`{}`),
				Index:     []string{p + "/members/" + group + "/" + sub, p + "/member-of/" + sub + "/" + group},
				CreatedAt: time.Now(), UpdatedAt: time.Now()}
		}
		err := e.Store.Tx(ctx, func(tx storage.Tx) error {
			for _, it := range []*storage.Item{member("admins", sub), member("readers", sub), member("readers", otherSub)} {
				if err := tx.CreateItem(ctx, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := e.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: pool, Username: aws.String("liam")}); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: pool, Username: aws.String("liam")})
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
		_, err = e.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: pool, Username: aws.String("liam")})
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
		for _, id := range []string{p + "/admins/" + sub, p + "/readers/" + sub} {
			if _, err := e.Store.GetItem(ctx, "group_member", id); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("membership %s after deleting the user: %v", id, err)
			}
		}
		if _, err := e.Store.GetItem(ctx, "group_member", p+"/readers/"+otherSub); err != nil {
			t.Errorf("mia's membership: %v", err)
		}
		// The username is free again.
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("liam")})
	})
}

func TestAdminDisableEnableUser(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("noah")})
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: aws.String("noah")}); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "noah"); got.Enabled {
			t.Error("user still enabled after AdminDisableUser")
		}
		if _, err := e.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: aws.String("noah")}); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "noah"); !got.Enabled {
			t.Error("user still disabled after AdminEnableUser")
		}
	})
}

func TestAdminSetUserPassword(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(10), RequireNumbers: true, PasswordHistorySize: aws.Int32(2),
		}}})
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("olga")})
		set := func(pw string, permanent bool) error {
			_, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String("olga"), Password: aws.String(pw), Permanent: permanent})
			return err
		}
		if err := set("longenough1", true); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "olga"); got.UserStatus != types.UserStatusTypeConfirmed {
			t.Errorf("status after a permanent password = %s", got.UserStatus)
		}
		if err := set("longenough2", false); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "olga"); got.UserStatus != types.UserStatusTypeForceChangePassword {
			t.Errorf("status after a temporary password = %s", got.UserStatus)
		}
		wantTyped[*types.InvalidPasswordException](t, set("short1", true), "Password did not conform with policy: Password not long enough")
		wantTyped[*types.InvalidPasswordException](t, set("nonumbershere", true), "Password did not conform with policy: Password must have numeric characters")
		// History of 2: the current and the previous password are refused,
		// the one before is allowed again.
		wantTyped[*types.PasswordHistoryPolicyViolationException](t, set("longenough2", true), "")
		wantTyped[*types.PasswordHistoryPolicyViolationException](t, set("longenough1", true), "")
		if err := set("longenough3", true); err != nil {
			t.Fatal(err)
		}
		if err := set("longenough1", true); err != nil {
			t.Errorf("a password three back: %v", err)
		}
		_, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String("nobody"), Password: aws.String("longenough9"), Permanent: true})
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
	})
}

func TestAdminResetUserPassword(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		reset := func(name string) error {
			_, err := e.c.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: pool, Username: aws.String(name)})
			return err
		}
		confirm := func(name string, kv ...string) {
			e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress, UserAttributes: sdkAttrs(kv...)})
			if _, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String(name), Password: aws.String("Perm-Pass1"), Permanent: true}); err != nil {
				t.Fatal(err)
			}
		}
		confirm("pat", "email", "pat@example.com", "email_verified", "true")
		if err := reset("pat"); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "pat"); got.UserStatus != types.UserStatusTypeResetRequired {
			t.Errorf("status = %s, want RESET_REQUIRED", got.UserStatus)
		}
		msgs := e.messagesTo(t, "pat@example.com")
		if len(msgs) != 1 || msgs[0].Purpose != messaging.PurposeForgotPassword || !regexp.MustCompile(`[0-9]{6}`).MatchString(msgs[0].Body) {
			t.Errorf("reset messages = %+v", msgs)
		}
		// A verified phone number goes first.
		confirm("quinn", "email", "quinn@example.com", "email_verified", "true", "phone_number", "+15555550111", "phone_number_verified", "true")
		if err := reset("quinn"); err != nil {
			t.Fatal(err)
		}
		if n, m := len(e.messagesTo(t, "+15555550111")), len(e.messagesTo(t, "quinn@example.com")); n != 1 || m != 0 {
			t.Errorf("messages: %d by SMS, %d by email; want 1 and 0", n, m)
		}

		confirm("rita", "email", "rita@example.com")
		wantTyped[*types.InvalidParameterException](t, reset("rita"), "Cannot reset password for the user as there is no registered/verified email or phone_number")
		if got := e.getUser(t, pool, "rita"); got.UserStatus != types.UserStatusTypeConfirmed {
			t.Errorf("refused reset changed the status to %s", got.UserStatus)
		}
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("sam"), UserAttributes: sdkAttrs("email", "sam@example.com", "email_verified", "true")})
		wantTyped[*types.NotAuthorizedException](t, reset("sam"), "User password cannot be reset in the current state.")
		wantTyped[*types.UserNotFoundException](t, reset("nobody"), "User does not exist.")
		// A disabled user is refused, and left as it was, until enabled.
		confirm("tess", "email", "tess@example.com", "email_verified", "true")
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: pool, Username: aws.String("tess")}); err != nil {
			t.Fatal(err)
		}
		wantTyped[*types.NotAuthorizedException](t, reset("tess"), "User is disabled.")
		if got := e.getUser(t, pool, "tess"); got.UserStatus != types.UserStatusTypeConfirmed || len(e.messagesTo(t, "tess@example.com")) != 0 {
			t.Errorf("refused reset: status %s, %d messages", got.UserStatus, len(e.messagesTo(t, "tess@example.com")))
		}
		if _, err := e.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: pool, Username: aws.String("tess")}); err != nil {
			t.Fatal(err)
		}
		if err := reset("tess"); err != nil {
			t.Errorf("reset once enabled: %v", err)
		}
	})
}

// setStatus changes a stored user's status directly, to reach states no
// admin operation leads to (UNCONFIRMED comes with SignUp).
func setStatus(t *testing.T, e *userEnv, sub, status string) {
	t.Helper()
	ctx := context.Background()
	err := e.Store.Tx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, "user", sub)
		if err != nil {
			return err
		}
		var rec map[string]any
		if err := json.Unmarshal(it.Data, &rec); err != nil {
			return err
		}
		rec["status"] = status
		if it.Data, err = json.Marshal(rec); err != nil {
			return err
		}
		return tx.UpdateItem(ctx, it)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAdminConfirmSignUp(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		u := e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("tara")})
		confirm := func() error {
			_, err := e.c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: pool, Username: aws.String("tara")})
			return err
		}
		wantTyped[*types.NotAuthorizedException](t, confirm(), "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD")
		setStatus(t, e, attrMap(u.Attributes)["sub"], "UNCONFIRMED")
		if err := confirm(); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "tara"); got.UserStatus != types.UserStatusTypeConfirmed {
			t.Errorf("status = %s, want CONFIRMED", got.UserStatus)
		}
		wantTyped[*types.NotAuthorizedException](t, confirm(), "User cannot be confirmed. Current status is CONFIRMED")
	})
}

func TestAdminSetUserSettings(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, nil)
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String("uma"), UserAttributes: sdkAttrs("phone_number", "+15555550122"), MessageAction: types.MessageActionTypeSuppress})
		set := func(opts ...types.MFAOptionType) error {
			_, err := e.c.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: pool, Username: aws.String("uma"), MFAOptions: append([]types.MFAOptionType{}, opts...)})
			return err
		}
		if err := set(types.MFAOptionType{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: aws.String("phone_number")}); err != nil {
			t.Fatal(err)
		}
		want := []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: aws.String("phone_number")}}
		if diff := cmp.Diff(want, e.getUser(t, pool, "uma").MFAOptions, cmpOpts); diff != "" {
			t.Errorf("MFAOptions (-want +got):\n%s", diff)
		}
		wantTyped[*types.InvalidParameterException](t, set(types.MFAOptionType{DeliveryMedium: types.DeliveryMediumTypeEmail, AttributeName: aws.String("email")}), "")
		if err := set(); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, pool, "uma").MFAOptions; len(got) != 0 {
			t.Errorf("MFAOptions after clearing = %+v", got)
		}
	})
}

func TestAdminListUserAuthEvents(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		off := e.userPool(t, nil)
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: off, Username: aws.String("vera")})
		_, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: off, Username: aws.String("vera")})
		wantTyped[*types.UserPoolAddOnNotEnabledException](t, err, "")

		on := e.userPool(t, &cip.CreateUserPoolInput{UserPoolTier: types.UserPoolTierTypePlus,
			UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}})
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: on, Username: aws.String("vera")})
		out, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: on, Username: aws.String("vera"), MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.AuthEvents) != 0 || out.NextToken != nil {
			t.Errorf("events = %+v, next %v; want none before any sign-in", out.AuthEvents, out.NextToken)
		}
		_, err = e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: on, Username: aws.String("nobody")})
		wantTyped[*types.UserNotFoundException](t, err, "User does not exist.")
		_, err = e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: on, Username: aws.String("vera"), NextToken: aws.String("forged")})
		wantTyped[*types.InvalidParameterException](t, err, "")
		_, err = e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: on, Username: aws.String("vera"), MaxResults: aws.Int32(61)})
		wantTyped[*types.InvalidParameterException](t, err, "")
	})
}

// TestAdminUserOperationsMissing calls every admin user operation on a
// missing user and on a missing pool.
func TestAdminUserOperationsMissing(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		pool := e.userPool(t, &cip.CreateUserPoolInput{UserPoolTier: types.UserPoolTierTypePlus,
			UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced}})
		ops := map[string]func(pool, user *string) error{
			"AdminGetUser": func(p, u *string) error {
				_, err := e.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: p, Username: u})
				return err
			},
			"AdminUpdateUserAttributes": func(p, u *string) error {
				_, err := e.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: u, UserAttributes: sdkAttrs("name", "x")})
				return err
			},
			"AdminDeleteUserAttributes": func(p, u *string) error {
				_, err := e.c.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: p, Username: u, UserAttributeNames: []string{"name"}})
				return err
			},
			"AdminDeleteUser": func(p, u *string) error {
				_, err := e.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: p, Username: u})
				return err
			},
			"AdminDisableUser": func(p, u *string) error {
				_, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: p, Username: u})
				return err
			},
			"AdminEnableUser": func(p, u *string) error {
				_, err := e.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: p, Username: u})
				return err
			},
			"AdminSetUserPassword": func(p, u *string) error {
				_, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: p, Username: u, Password: aws.String("Perm-Pass1")})
				return err
			},
			"AdminResetUserPassword": func(p, u *string) error {
				_, err := e.c.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: p, Username: u})
				return err
			},
			"AdminConfirmSignUp": func(p, u *string) error {
				_, err := e.c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: p, Username: u})
				return err
			},
			"AdminSetUserSettings": func(p, u *string) error {
				_, err := e.c.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: p, Username: u, MFAOptions: []types.MFAOptionType{}})
				return err
			},
			"AdminListUserAuthEvents": func(p, u *string) error {
				_, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: p, Username: u})
				return err
			},
		}
		for name, op := range ops {
			t.Run(name, func(t *testing.T) {
				wantTyped[*types.UserNotFoundException](t, op(pool, aws.String("nobody")), "User does not exist.")
				missing := "us-east-1_ZZZZZZZZZ"
				wantTyped[*types.ResourceNotFoundException](t, op(aws.String(missing), aws.String("nobody")), fmt.Sprintf("User pool %s does not exist.", missing))
			})
		}
	})
}
