package sdk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/messaging"
)

// The public operations are unsigned: the SDK sends SignUp, ConfirmSignUp,
// ResendConfirmationCode, ForgotPassword and ConfirmForgotPassword without
// a signature even from a client that has credentials, so these tests call
// them through the same client as the admin operations.

// quickRetries keeps the SDK's retries, which absorb the odd transport
// failure, without their backoff: the SDK counts LimitExceededException as
// throttling, and would wait before retrying each one.
func quickRetries(o *cip.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		so.RateLimiter = ratelimit.None
	})
}

// selfService is a pool and an app client that users sign up through.
type selfService struct {
	e      *userEnv
	pool   *string
	client *types.UserPoolClientType
}

// selfServicePool creates a pool with in's settings (named for the test)
// and an app client with client's settings.
func (e *userEnv) selfServicePool(t testing.TB, in *cip.CreateUserPoolInput, client *cip.CreateUserPoolClientInput) *selfService {
	t.Helper()
	pool := e.userPool(t, in)
	if client == nil {
		client = &cip.CreateUserPoolClientInput{}
	}
	client.UserPoolId, client.ClientName = pool, aws.String("app")
	return &selfService{e: e, pool: pool, client: appClient(t, e.c, client)}
}

// secretHash is the SECRET_HASH of username for the client.
func (s *selfService) secretHash(username string) *string {
	if s.client.ClientSecret == nil {
		return nil
	}
	m := hmac.New(sha256.New, []byte(aws.ToString(s.client.ClientSecret)))
	m.Write([]byte(username + aws.ToString(s.client.ClientId)))
	return aws.String(base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

func (s *selfService) signUp(username, password string, kv ...string) (*cip.SignUpOutput, error) {
	return s.e.c.SignUp(context.Background(), &cip.SignUpInput{
		ClientId: s.client.ClientId, SecretHash: s.secretHash(username), Username: aws.String(username),
		Password: aws.String(password), UserAttributes: sdkAttrs(kv...),
	}, quickRetries)
}

func (s *selfService) mustSignUp(t *testing.T, username, password string, kv ...string) *cip.SignUpOutput {
	t.Helper()
	out, err := s.signUp(username, password, kv...)
	if err != nil {
		t.Fatalf("SignUp %s: %v", username, err)
	}
	return out
}

func (s *selfService) confirmSignUp(username, code string) error {
	_, err := s.e.c.ConfirmSignUp(context.Background(), &cip.ConfirmSignUpInput{
		ClientId: s.client.ClientId, SecretHash: s.secretHash(username), Username: aws.String(username), ConfirmationCode: aws.String(code),
	}, quickRetries)
	return err
}

func (s *selfService) resend(username string) (*types.CodeDeliveryDetailsType, error) {
	out, err := s.e.c.ResendConfirmationCode(context.Background(), &cip.ResendConfirmationCodeInput{
		ClientId: s.client.ClientId, SecretHash: s.secretHash(username), Username: aws.String(username),
	}, quickRetries)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

func (s *selfService) forgotPassword(username string) (*types.CodeDeliveryDetailsType, error) {
	out, err := s.e.c.ForgotPassword(context.Background(), &cip.ForgotPasswordInput{
		ClientId: s.client.ClientId, SecretHash: s.secretHash(username), Username: aws.String(username),
	}, quickRetries)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

func (s *selfService) confirmForgotPassword(username, code, password string) error {
	_, err := s.e.c.ConfirmForgotPassword(context.Background(), &cip.ConfirmForgotPasswordInput{
		ClientId: s.client.ClientId, SecretHash: s.secretHash(username), Username: aws.String(username),
		ConfirmationCode: aws.String(code), Password: aws.String(password),
	}, quickRetries)
	return err
}

var codePattern = regexp.MustCompile(`[0-9]{6}`)

// lastCode reads the newest code sent to recipient from the outbox
// endpoint, and the message that carried it.
func (e *userEnv) lastCode(t *testing.T, to string) (string, messaging.Message) {
	t.Helper()
	msgs := e.messagesTo(t, to)
	if len(msgs) == 0 {
		t.Fatalf("no message to %s", to)
	}
	code := codePattern.FindString(msgs[0].Body)
	if code == "" {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	return code, msgs[0]
}

// otherCode returns a six-digit code that is not code.
func otherCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func deliveryOf(d *types.CodeDeliveryDetailsType) [3]string {
	if d == nil {
		return [3]string{}
	}
	return [3]string{aws.ToString(d.Destination), string(d.DeliveryMedium), aws.ToString(d.AttributeName)}
}

func TestSignUpAndConfirm(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}}, nil)
		out := s.mustSignUp(t, "alice", "Passw0rd!", "email", "alice@example.com", "name", "Alice")
		if out.UserConfirmed || !uuidPattern.MatchString(aws.ToString(out.UserSub)) {
			t.Errorf("SignUp: confirmed=%v sub=%q", out.UserConfirmed, aws.ToString(out.UserSub))
		}
		if got := deliveryOf(out.CodeDeliveryDetails); got != [3]string{"a***@e***", "EMAIL", "email"} {
			t.Errorf("CodeDeliveryDetails = %v", got)
		}
		u := e.getUser(t, s.pool, "alice")
		if u.UserStatus != types.UserStatusTypeUnconfirmed || !u.Enabled {
			t.Errorf("status %s enabled %v", u.UserStatus, u.Enabled)
		}
		if diff := cmp.Diff(map[string]string{"sub": aws.ToString(out.UserSub), "email": "alice@example.com", "name": "Alice"}, attrMap(u.UserAttributes)); diff != "" {
			t.Errorf("attributes (-want +got):\n%s", diff)
		}
		code, m := e.lastCode(t, "alice@example.com")
		if m.Purpose != messaging.PurposeVerification || m.Subject != "Your verification code" || m.Body != "Your verification code is "+code+". " || m.Pool != aws.ToString(s.pool) {
			t.Errorf("message %+v", m)
		}

		// The unconfirmed user's unverified email is not an alias yet.
		wantTyped[*types.CodeMismatchException](t, s.confirmSignUp("alice", otherCode(code)), "Invalid verification code provided, please try again.")
		if err := s.confirmSignUp("alice", code); err != nil {
			t.Fatal(err)
		}
		u = e.getUser(t, s.pool, "alice")
		if u.UserStatus != types.UserStatusTypeConfirmed || attrMap(u.UserAttributes)["email_verified"] != "true" {
			t.Errorf("after ConfirmSignUp: %s %v", u.UserStatus, attrMap(u.UserAttributes))
		}
		wantTyped[*types.NotAuthorizedException](t, s.confirmSignUp("alice", code), "User cannot be confirmed. Current status is CONFIRMED")
		_, err := s.resend("alice")
		wantTyped[*types.InvalidParameterException](t, err, "User is already confirmed.")
		wantTyped[*types.UserNotFoundException](t, s.confirmSignUp("nobody", code), "Username/client id combination not found.")
	})
}

func TestSignUpErrors(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		open := e.selfServicePool(t, &cip.CreateUserPoolInput{
			Schema: []types.SchemaAttributeType{{Name: aws.String("name"), Required: aws.Bool(true), Mutable: aws.Bool(true), AttributeDataType: types.AttributeDataTypeString}},
		}, nil)
		open.mustSignUp(t, "taken", "Passw0rd!", "name", "T")
		adminOnly := e.selfServicePool(t, &cip.CreateUserPoolInput{AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}}, nil)
		byEmail := e.selfServicePool(t, &cip.CreateUserPoolInput{UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}}, nil)
		byEmail.mustSignUp(t, "first@example.com", "Passw0rd!")
		limited := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{WriteAttributes: []string{"email", "name"}})
		secret := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{GenerateSecret: true})

		tests := []struct {
			name  string
			call  func() error
			check func(t *testing.T, err error)
		}{
			{"self sign-up disabled", func() error { _, err := adminOnly.signUp("x", "Passw0rd!"); return err },
				func(t *testing.T, err error) {
					wantTyped[*types.NotAuthorizedException](t, err, "SignUp is not permitted for this user pool")
				}},
			{"username taken", func() error { _, err := open.signUp("taken", "Passw0rd!", "name", "T"); return err },
				func(t *testing.T, err error) {
					wantTyped[*types.UsernameExistsException](t, err, "User already exists")
				}},
			{"required attribute", func() error { _, err := open.signUp("nameless", "Passw0rd!"); return err },
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Attributes did not conform to the schema: name: The attribute is required\n")
				}},
			{"weak password", func() error { _, err := open.signUp("weak", "password", "name", "W"); return err },
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidPasswordException](t, err, "Password did not conform with policy: Password must have uppercase characters")
				}},
			{"verified flag", func() error {
				_, err := open.signUp("flag", "Passw0rd!", "name", "F", "email", "f@example.com", "email_verified", "true")
				return err
			}, func(t *testing.T, err error) {
				wantTyped[*types.NotAuthorizedException](t, err, "A client attempted to write unauthorized attribute")
			}},
			{"attribute the client may not write", func() error {
				_, err := limited.signUp("limited", "Passw0rd!", "email", "l@example.com", "family_name", "L")
				return err
			}, func(t *testing.T, err error) {
				wantTyped[*types.NotAuthorizedException](t, err, "A client attempted to write unauthorized attribute")
			}},
			{"username must be an email", func() error { _, err := byEmail.signUp("plain", "Passw0rd!"); return err },
				func(t *testing.T, err error) {
					wantTyped[*types.InvalidParameterException](t, err, "Username should be an email.")
				}},
			{"email taken", func() error { _, err := byEmail.signUp("first@example.com", "Passw0rd!"); return err },
				func(t *testing.T, err error) {
					wantTyped[*types.UsernameExistsException](t, err, "An account with the given email already exists.")
				}},
			{"secret hash missing", func() error {
				_, err := e.c.SignUp(context.Background(), &cip.SignUpInput{ClientId: secret.client.ClientId, Username: aws.String("s"), Password: aws.String("Passw0rd!")})
				return err
			}, func(t *testing.T, err error) {
				wantTyped[*types.NotAuthorizedException](t, err, "Client "+aws.ToString(secret.client.ClientId)+" is configured with secret but SECRET_HASH was not received")
			}},
			{"secret hash of another username", func() error {
				_, err := e.c.SignUp(context.Background(), &cip.SignUpInput{ClientId: secret.client.ClientId, Username: aws.String("s"), Password: aws.String("Passw0rd!"), SecretHash: secret.secretHash("t")})
				return err
			}, func(t *testing.T, err error) {
				wantTyped[*types.NotAuthorizedException](t, err, "Unable to verify secret hash for client "+aws.ToString(secret.client.ClientId))
			}},
			{"unknown client", func() error {
				_, err := e.c.SignUp(context.Background(), &cip.SignUpInput{ClientId: aws.String("nosuchclient0000000000000a"), Username: aws.String("u"), Password: aws.String("Passw0rd!")})
				return err
			}, func(t *testing.T, err error) {
				wantTyped[*types.ResourceNotFoundException](t, err, "User pool client nosuchclient0000000000000a does not exist.")
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.check(t, tc.call()) })
		}

		// The right SECRET_HASH signs up; the email pool's user has a UUID
		// username and signs in by email.
		if _, err := secret.signUp("sal", "Passw0rd!"); err != nil {
			t.Errorf("SignUp with the secret hash: %v", err)
		}
		u := e.getUser(t, byEmail.pool, "first@example.com")
		if !uuidPattern.MatchString(aws.ToString(u.Username)) || attrMap(u.UserAttributes)["email"] != "first@example.com" {
			t.Errorf("email-username user %s %v", aws.ToString(u.Username), attrMap(u.UserAttributes))
		}
		// Nothing was sent: none of these pools verifies anything.
		if msgs := e.messagesTo(t, ""); len(msgs) != 0 {
			t.Errorf("messages sent: %+v", msgs)
		}
	})
}

func TestSignUpWithoutVerification(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, nil, nil)
		out := s.mustSignUp(t, "bea", "Passw0rd!", "email", "bea@example.com")
		if out.CodeDeliveryDetails != nil || out.UserConfirmed {
			t.Errorf("SignUp without auto-verification: %+v confirmed=%v", out.CodeDeliveryDetails, out.UserConfirmed)
		}
		if got := e.getUser(t, s.pool, "bea"); got.UserStatus != types.UserStatusTypeUnconfirmed {
			t.Errorf("status %s", got.UserStatus)
		}
		if msgs := e.messagesTo(t, "bea@example.com"); len(msgs) != 0 {
			t.Errorf("messages %+v", msgs)
		}
		_, err := s.resend("bea")
		wantTyped[*types.InvalidParameterException](t, err, "Cannot resend codes. Auto verification not turned on.")
		wantTyped[*types.ExpiredCodeException](t, s.confirmSignUp("bea", "123456"), "Invalid code provided, please request a code again.")
		// An administrator confirms such users.
		if _, err := e.c.AdminConfirmSignUp(context.Background(), &cip.AdminConfirmSignUpInput{UserPoolId: s.pool, Username: aws.String("bea")}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSignUpPrefersThePhoneNumber(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail, types.VerifiedAttributeTypePhoneNumber},
			SmsVerificationMessage: aws.String("Code: {####}"),
		}, nil)
		out := s.mustSignUp(t, "cal", "Passw0rd!", "email", "cal@example.com", "phone_number", "+15555551234")
		if got := deliveryOf(out.CodeDeliveryDetails); got != [3]string{"+*******1234", "SMS", "phone_number"} {
			t.Errorf("CodeDeliveryDetails = %v", got)
		}
		code, m := e.lastCode(t, "+15555551234")
		if m.Channel != messaging.ChannelSMS || m.Body != "Code: "+code {
			t.Errorf("message %+v", m)
		}
		if msgs := e.messagesTo(t, "cal@example.com"); len(msgs) != 0 {
			t.Errorf("the email was sent a code too: %+v", msgs)
		}
		if err := s.confirmSignUp("cal", code); err != nil {
			t.Fatal(err)
		}
		a := attrMap(e.getUser(t, s.pool, "cal").UserAttributes)
		if a["phone_number_verified"] != "true" || a["email_verified"] != "" {
			t.Errorf("verified flags %v: only the phone number was confirmed", a)
		}
		// A user without a phone number gets the code by email.
		out = s.mustSignUp(t, "dee", "Passw0rd!", "email", "dee@example.com")
		if got := deliveryOf(out.CodeDeliveryDetails); got != [3]string{"d***@e***", "EMAIL", "email"} {
			t.Errorf("CodeDeliveryDetails = %v", got)
		}
	})
}

func TestResendConfirmationCode(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}}, nil)
		s.mustSignUp(t, "eve", "Passw0rd!", "email", "eve@example.com")
		first, _ := e.lastCode(t, "eve@example.com")
		d, err := s.resend("eve")
		if err != nil {
			t.Fatal(err)
		}
		if got := deliveryOf(d); got != [3]string{"e***@e***", "EMAIL", "email"} {
			t.Errorf("CodeDeliveryDetails = %v", got)
		}
		second, _ := e.lastCode(t, "eve@example.com")
		if n := len(e.messagesTo(t, "eve@example.com")); n != 2 {
			t.Errorf("%d messages, want 2", n)
		}
		if first != second {
			wantTyped[*types.CodeMismatchException](t, s.confirmSignUp("eve", first), "")
		}
		if err := s.confirmSignUp("eve", second); err != nil {
			t.Fatal(err)
		}
		_, err = s.resend("nobody")
		wantTyped[*types.UserNotFoundException](t, err, "Username/client id combination not found.")
	})
}

// storedCodeFailures reads the failure counts of a user's stored codes.
func storedCodeFailures(t *testing.T, e *userEnv, sub string) []int {
	t.Helper()
	it, err := e.Store.GetItem(context.Background(), "user", sub)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Codes []struct{ Failures int } `json:"codes"`
	}
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, c := range rec.Codes {
		out = append(out, c.Failures)
	}
	return out
}

// codeFailureLimit is how many wrong codes a code survives.
const codeFailureLimit = 5

func TestConfirmSignUpAttemptLimit(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}}, nil)
		out := s.mustSignUp(t, "fay", "Passw0rd!", "email", "fay@example.com")
		code, _ := e.lastCode(t, "fay@example.com")
		wrong := otherCode(code)

		// Twenty wrong guesses at once: the count in the user's record
		// lets exactly the bound through as CodeMismatchException.
		const guesses = 20
		var (
			wg                    sync.WaitGroup
			mu                    sync.Mutex
			mismatches, overLimit int
			other                 []error
		)
		for range guesses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.confirmSignUp("fay", wrong)
				var cm *types.CodeMismatchException
				var le *types.LimitExceededException
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.As(err, &cm):
					mismatches++
				case errors.As(err, &le):
					overLimit++
					if le.ErrorMessage() != "Attempt limit exceeded, please try after some time." {
						other = append(other, err)
					}
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if mismatches > codeFailureLimit || mismatches+overLimit != guesses || len(other) > 0 {
			t.Fatalf("%d CodeMismatchException, %d LimitExceededException, other answers %v; want at most %d mismatches",
				mismatches, overLimit, other, codeFailureLimit)
		}
		if got := storedCodeFailures(t, e, aws.ToString(out.UserSub)); !cmp.Equal(got, []int{codeFailureLimit}) {
			t.Errorf("stored failure counts %v, want [%d]", got, codeFailureLimit)
		}
		// Past the bound even the right code is refused ...
		wantTyped[*types.LimitExceededException](t, s.confirmSignUp("fay", code), "Attempt limit exceeded, please try after some time.")
		if got := e.getUser(t, s.pool, "fay"); got.UserStatus != types.UserStatusTypeUnconfirmed {
			t.Fatalf("status %s", got.UserStatus)
		}
		// ... until a new code is sent, which starts a new count.
		if _, err := s.resend("fay"); err != nil {
			t.Fatal(err)
		}
		fresh, _ := e.lastCode(t, "fay@example.com")
		wantTyped[*types.CodeMismatchException](t, s.confirmSignUp("fay", otherCode(fresh)), "")
		if err := s.confirmSignUp("fay", fresh); err != nil {
			t.Fatal(err)
		}
	})
}

func TestForgotPassword(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}}, nil)
		s.mustSignUp(t, "gus", "Passw0rd!", "email", "gus@example.com")
		signUpCode, _ := e.lastCode(t, "gus@example.com")
		if err := s.confirmSignUp("gus", signUpCode); err != nil {
			t.Fatal(err)
		}
		d, err := s.forgotPassword("gus")
		if err != nil {
			t.Fatal(err)
		}
		if got := deliveryOf(d); got != [3]string{"g***@e***", "EMAIL", "email"} {
			t.Errorf("CodeDeliveryDetails = %v", got)
		}
		code, m := e.lastCode(t, "gus@example.com")
		if m.Purpose != messaging.PurposeForgotPassword || m.Subject != "Your password reset code" || m.Body != "Your password reset code is "+code+". " {
			t.Errorf("message %+v", m)
		}
		// ForgotPassword alone changes nothing about the user.
		if got := e.getUser(t, s.pool, "gus"); got.UserStatus != types.UserStatusTypeConfirmed {
			t.Errorf("status after ForgotPassword %s", got.UserStatus)
		}
		wantTyped[*types.InvalidPasswordException](t, s.confirmForgotPassword("gus", code, "weak"), "Password did not conform with policy: Password not long enough")
		wantTyped[*types.CodeMismatchException](t, s.confirmForgotPassword("gus", otherCode(code), "N3w-Passw0rd"), "Invalid verification code provided, please try again.")
		// The sign-up code is not a password-reset code.
		if signUpCode != code {
			wantTyped[*types.CodeMismatchException](t, s.confirmForgotPassword("gus", signUpCode, "N3w-Passw0rd"), "")
		}
		if err := s.confirmForgotPassword("gus", code, "N3w-Passw0rd"); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, s.pool, "gus"); got.UserStatus != types.UserStatusTypeConfirmed {
			t.Errorf("status %s", got.UserStatus)
		}
		wantTyped[*types.ExpiredCodeException](t, s.confirmForgotPassword("gus", code, "An0ther-Passw0rd"), "Invalid code provided, please request a code again.")
	})
}

func TestForgotPasswordAfterAdminReset(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, nil)
		e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String("hal"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: sdkAttrs("phone_number", "+15555550123", "phone_number_verified", "true")})
		if _, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: s.pool, Username: aws.String("hal"), Password: aws.String("Perm-Pass1"), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: s.pool, Username: aws.String("hal")}); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, s.pool, "hal"); got.UserStatus != types.UserStatusTypeResetRequired {
			t.Fatalf("status %s, want RESET_REQUIRED", got.UserStatus)
		}
		code, _ := e.lastCode(t, "+15555550123")
		if err := s.confirmForgotPassword("hal", code, "Perm-Pass2"); err != nil {
			t.Fatal(err)
		}
		if got := e.getUser(t, s.pool, "hal"); got.UserStatus != types.UserStatusTypeConfirmed {
			t.Errorf("status %s, want CONFIRMED", got.UserStatus)
		}
	})
}

func TestForgotPasswordErrors(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, nil, nil)
		create := func(name string, kv ...string) {
			e.adminCreate(t, &cip.AdminCreateUserInput{UserPoolId: s.pool, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress, UserAttributes: sdkAttrs(kv...)})
		}
		setPassword := func(name string) {
			if _, err := e.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: s.pool, Username: aws.String(name), Password: aws.String("Perm-Pass1"), Permanent: true}); err != nil {
				t.Fatal(err)
			}
		}
		create("ida", "email", "ida@example.com")
		setPassword("ida")
		create("jon", "email", "jon@example.com", "email_verified", "true")
		setPassword("jon")
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("jon")}); err != nil {
			t.Fatal(err)
		}
		create("kim", "email", "kim@example.com", "email_verified", "true")

		_, err := s.forgotPassword("nobody")
		wantTyped[*types.UserNotFoundException](t, err, "Username/client id combination not found.")
		_, err = s.forgotPassword("ida")
		wantTyped[*types.InvalidParameterException](t, err, "Cannot reset password for the user as there is no registered/verified email or phone_number")
		_, err = s.forgotPassword("jon")
		wantTyped[*types.NotAuthorizedException](t, err, "User is disabled.")
		_, err = s.forgotPassword("kim")
		wantTyped[*types.NotAuthorizedException](t, err, "User password cannot be reset in the current state.")
		wantTyped[*types.UserNotFoundException](t, s.confirmForgotPassword("nobody", "123456", "Perm-Pass2"), "Username/client id combination not found.")
		wantTyped[*types.NotAuthorizedException](t, s.confirmForgotPassword("jon", "123456", "Perm-Pass2"), "User is disabled.")
		wantTyped[*types.ExpiredCodeException](t, s.confirmForgotPassword("ida", "123456", "Perm-Pass2"), "Invalid code provided, please request a code again.")
		if msgs := e.messagesTo(t, ""); len(msgs) != 0 {
			t.Errorf("messages sent: %+v", msgs)
		}
	})
}

func TestPreventUserExistenceErrors(t *testing.T) {
	userBackends(t, func(t *testing.T, e *userEnv) {
		ctx := context.Background()
		s := e.selfServicePool(t, &cip.CreateUserPoolInput{AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}},
			&cip.CreateUserPoolClientInput{PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
		s.mustSignUp(t, "lea", "Passw0rd!", "email", "lea@example.com")
		code, _ := e.lastCode(t, "lea@example.com")
		if err := s.confirmSignUp("lea", code); err != nil {
			t.Fatal(err)
		}
		s.mustSignUp(t, "max", "Passw0rd!", "email", "max@example.com")
		if _, err := e.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: s.pool, Username: aws.String("lea")}); err != nil {
			t.Fatal(err)
		}
		sent := len(e.messagesTo(t, ""))

		// Unknown users get answers shaped like a known user's.
		for _, name := range []string{"ghost", "ghost@example.com"} {
			for op, call := range map[string]func(string) (*types.CodeDeliveryDetailsType, error){"ForgotPassword": s.forgotPassword, "ResendConfirmationCode": s.resend} {
				d, err := call(name)
				if err != nil {
					t.Fatalf("%s %s: %v", op, name, err)
				}
				again, _ := call(name)
				got := deliveryOf(d)
				if got[1] != "EMAIL" || got[2] != "email" || !regexp.MustCompile(`^[a-z]\*\*\*@[a-z]\*\*\*$`).MatchString(got[0]) || got != deliveryOf(again) {
					t.Errorf("%s %s: %v then %v", op, name, got, deliveryOf(again))
				}
				if name == "ghost@example.com" && got[0] != "g***@e***" {
					t.Errorf("%s %s: destination %s, want the username masked", op, name, got[0])
				}
			}
		}
		wantTyped[*types.CodeMismatchException](t, s.confirmSignUp("ghost", "123456"), "Invalid verification code provided, please try again.")
		wantTyped[*types.CodeMismatchException](t, s.confirmForgotPassword("ghost", "123456", "Passw0rd!2"), "Invalid verification code provided, please try again.")

		// A disabled user looks like an enabled one, and is sent nothing.
		d, err := s.forgotPassword("lea")
		if err != nil || deliveryOf(d) != [3]string{"l***@e***", "EMAIL", "email"} {
			t.Errorf("ForgotPassword of a disabled user: %v %v", deliveryOf(d), err)
		}
		wantTyped[*types.CodeMismatchException](t, s.confirmForgotPassword("lea", "123456", "Passw0rd!2"), "")
		// A known, enabled user still gets its code.
		d, err = s.resend("max")
		if err != nil || deliveryOf(d) != [3]string{"m***@e***", "EMAIL", "email"} {
			t.Errorf("ResendConfirmationCode: %v %v", deliveryOf(d), err)
		}
		if now := len(e.messagesTo(t, "")); now != sent+1 {
			t.Errorf("%d messages sent, want only the one to max", now-sent)
		}
	})
}
