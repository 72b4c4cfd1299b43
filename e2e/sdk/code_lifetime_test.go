package sdk

import (
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestCodeLifetimes checks the lifetimes Cognito documents for the codes
// it sends: a sign-up confirmation code is valid for 24 hours, a password
// reset code (ForgotPassword) for one hour. Two users get a code at the
// same moment; the first uses it at the last instant of its lifetime, the
// second just after.
func TestCodeLifetimes(t *testing.T) {
	const expired = "Invalid code provided, please request a code again."
	t.Run("sign-up confirmation code: 24 hours", func(t *testing.T) {
		clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
			s := e.selfServicePool(t, &cip.CreateUserPoolInput{
				AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			}, nil)
			s.mustSignUp(t, "ada", signInPassword, "email", "ada@example.com")
			s.mustSignUp(t, "bea", signInPassword, "email", "bea@example.com")
			first, _ := e.lastCode(t, "ada@example.com")
			second, _ := e.lastCode(t, "bea@example.com")
			clock.advance(24*time.Hour - time.Millisecond)
			if err := s.confirmSignUp("ada", first); err != nil {
				t.Fatalf("ConfirmSignUp a millisecond before 24 hours: %v", err)
			}
			clock.advance(time.Millisecond)
			wantTyped[*types.ExpiredCodeException](t, s.confirmSignUp("bea", second), expired)
		})
	})
	t.Run("password reset code: 1 hour", func(t *testing.T) {
		clockBackends(t, func(t *testing.T, e *userEnv, clock *testClock) {
			s := e.selfServicePool(t, nil, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
			for _, name := range []string{"cat", "dan"} {
				s.signInUser(t, name, signInPassword, "email", name+"@example.com", "email_verified", "true")
				if _, err := s.forgotPassword(name); err != nil {
					t.Fatalf("ForgotPassword %s: %v", name, err)
				}
			}
			first, _ := e.lastCode(t, "cat@example.com")
			second, _ := e.lastCode(t, "dan@example.com")
			clock.advance(time.Hour - time.Millisecond)
			if err := s.confirmForgotPassword("cat", first, "N3w-Passw0rd!"); err != nil {
				t.Fatalf("ConfirmForgotPassword a millisecond before an hour: %v", err)
			}
			clock.advance(time.Millisecond)
			wantTyped[*types.ExpiredCodeException](t, s.confirmForgotPassword("dan", second, "N3w-Passw0rd!"), expired)
			// The new password signs in.
			out, err := s.passwordAuth("cat", "N3w-Passw0rd!")
			if err != nil {
				t.Fatal(err)
			}
			mustTokens(t, out.AuthenticationResult, nil, true)
		})
	})
}
