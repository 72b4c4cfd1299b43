package userpool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
)

// codeSendFixture is a pool that auto-verifies email addresses, a client
// that reports user existence errors and one that prevents them, and a
// user in each state that ForgotPassword and ResendConfirmationCode tell
// apart.
type codeSendFixture struct {
	*utService
	p *idp.UserPoolType
	// clients are the client IDs, by whether they prevent user existence
	// errors.
	clients map[bool]string
}

// codeSendUsers are the fixture's users, by username.
var codeSendUsers = map[string]struct {
	status  idp.UserStatusType
	enabled bool
	attrs   map[string]string
}{
	"conf":       {idp.UserStatusTypeConfirmed, true, map[string]string{"email": "conf@example.com", "email_verified": "true"}},
	"phone":      {idp.UserStatusTypeConfirmed, true, map[string]string{"email": "phone@example.com", "email_verified": "true", "phone_number": "+15555550100", "phone_number_verified": "true"}},
	"unverified": {idp.UserStatusTypeConfirmed, true, map[string]string{"email": "unverified@example.com"}},
	"unconf":     {idp.UserStatusTypeUnconfirmed, true, map[string]string{"email": "unconf@example.com"}},
	"dis":        {idp.UserStatusTypeConfirmed, false, map[string]string{"email": "dis@example.com", "email_verified": "true"}},
	"disunconf":  {idp.UserStatusTypeUnconfirmed, false, map[string]string{"email": "disunconf@example.com"}},
	"disbare":    {idp.UserStatusTypeUnconfirmed, false, map[string]string{}},
	"force":      {idp.UserStatusTypeForceChangePassword, true, map[string]string{"email": "force@example.com", "email_verified": "true"}},
	"bare":       {idp.UserStatusTypeUnconfirmed, true, map[string]string{}},
}

func newCodeSendFixture(t *testing.T) *codeSendFixture {
	t.Helper()
	ctx := context.Background()
	s := newUTService(t)
	created := s.pool(t, &idp.CreateUserPoolRequest{AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}})
	_, p, err := s.loadPool(ctx, utCaller, cognito.Deref(created.Id))
	if err != nil {
		t.Fatal(err)
	}
	f := &codeSendFixture{utService: s, p: p, clients: map[bool]string{}}
	for _, hide := range []bool{false, true} {
		in := &idp.CreateUserPoolClientRequest{UserPoolId: p.Id, ClientName: cognito.Ptr("app")}
		if hide {
			in.PreventUserExistenceErrors = cognito.Ptr(idp.PreventUserExistenceErrorTypesEnabled)
		}
		out, err := s.CreateUserPoolClient(ctx, utCaller, in)
		if err != nil {
			t.Fatal(err)
		}
		f.clients[hide] = cognito.Deref(out.UserPoolClient.ClientId)
	}
	created0 := s.clock.now().Add(-time.Hour)
	err = s.store.Tx(ctx, func(tx storage.Tx) error {
		for name, u := range codeSendUsers {
			rec := &userRecord{Username: name, Sub: newUserSub(), Status: u.status, Enabled: u.enabled, Attributes: map[string]string{}, CreatedAt: created0, UpdatedAt: created0}
			for k, v := range u.attrs {
				rec.Attributes[k] = v
			}
			it, err := userItem(p, rec, 0)
			if err != nil {
				return err
			}
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// codeSendOps are the operations that send an existing user a code, as
// functions of the client and the username.
var codeSendOps = map[string]func(ctx context.Context, s *Service, client, name string) (*idp.CodeDeliveryDetailsType, error){
	"ForgotPassword": func(ctx context.Context, s *Service, client, name string) (*idp.CodeDeliveryDetailsType, error) {
		out, err := s.ForgotPassword(ctx, publicCaller, &idp.ForgotPasswordRequest{ClientId: &client, Username: &name})
		if err != nil {
			return nil, err
		}
		return out.CodeDeliveryDetails, nil
	},
	"ResendConfirmationCode": func(ctx context.Context, s *Service, client, name string) (*idp.CodeDeliveryDetailsType, error) {
		out, err := s.ResendConfirmationCode(ctx, publicCaller, &idp.ResendConfirmationCodeRequest{ClientId: &client, Username: &name})
		if err != nil {
			return nil, err
		}
		return out.CodeDeliveryDetails, nil
	},
}

// TestCodeSendingAnswers checks, for each user state, with and without
// PreventUserExistenceErrors, what ForgotPassword and
// ResendConfirmationCode answer, which message they send, and which code
// they store: a code is stored and sent only when the answer says so, and
// an answer that hides the user's state is shaped like a real one.
func TestCodeSendingAnswers(t *testing.T) {
	const (
		forgot = "ForgotPassword"
		resend = "ResendConfirmationCode"
		// simulated stands for the CodeDeliveryDetails of simulatedDelivery.
		simulated = "simulated"
	)
	type sent struct {
		attr, to string
	}
	cases := []struct {
		op, user string
		hide     bool
		// wantErr is "Code: message", or "" for success.
		wantErr string
		// wantDetails is the attribute the details name and its value, or
		// simulated; empty for none.
		wantDetails [2]string
		// wantSent is the attribute and value a code goes to; empty for
		// none.
		wantSent sent
	}{
		{op: forgot, user: "conf", wantDetails: [2]string{"email", "conf@example.com"}, wantSent: sent{"email", "conf@example.com"}},
		{op: forgot, user: "conf", hide: true, wantDetails: [2]string{"email", "conf@example.com"}, wantSent: sent{"email", "conf@example.com"}},
		{op: forgot, user: "phone", wantDetails: [2]string{"phone_number", "+15555550100"}, wantSent: sent{"phone_number", "+15555550100"}},
		{op: forgot, user: "unverified", wantErr: "InvalidParameterException: Cannot reset password for the user as there is no registered/verified email or phone_number"},
		{op: forgot, user: "unverified", hide: true, wantDetails: [2]string{simulated}},
		{op: forgot, user: "unconf", wantErr: "InvalidParameterException: Cannot reset password for the user as there is no registered/verified email or phone_number"},
		{op: forgot, user: "unconf", hide: true, wantDetails: [2]string{simulated}},
		{op: forgot, user: "dis", wantErr: "NotAuthorizedException: User is disabled."},
		{op: forgot, user: "dis", hide: true, wantDetails: [2]string{"email", "dis@example.com"}},
		{op: forgot, user: "disbare", wantErr: "NotAuthorizedException: User is disabled."},
		{op: forgot, user: "disbare", hide: true, wantDetails: [2]string{simulated}},
		{op: forgot, user: "force", wantErr: "NotAuthorizedException: User password cannot be reset in the current state."},
		{op: forgot, user: "force", hide: true, wantErr: "NotAuthorizedException: User password cannot be reset in the current state."},
		{op: forgot, user: "bare", wantErr: "InvalidParameterException: Cannot reset password for the user as there is no registered/verified email or phone_number"},
		{op: forgot, user: "bare", hide: true, wantDetails: [2]string{simulated}},
		{op: forgot, user: "ghost", wantErr: "UserNotFoundException: Username/client id combination not found."},
		{op: forgot, user: "ghost", hide: true, wantDetails: [2]string{simulated}},
		{op: forgot, user: "ghost@example.com", hide: true, wantDetails: [2]string{"email", "ghost@example.com"}},

		{op: resend, user: "unconf", wantDetails: [2]string{"email", "unconf@example.com"}, wantSent: sent{"email", "unconf@example.com"}},
		{op: resend, user: "unconf", hide: true, wantDetails: [2]string{"email", "unconf@example.com"}, wantSent: sent{"email", "unconf@example.com"}},
		{op: resend, user: "conf", wantErr: "InvalidParameterException: User is already confirmed."},
		{op: resend, user: "conf", hide: true, wantErr: "InvalidParameterException: User is already confirmed."},
		{op: resend, user: "force", wantErr: "InvalidParameterException: User is already confirmed."},
		{op: resend, user: "dis", wantErr: "NotAuthorizedException: User is disabled."},
		{op: resend, user: "dis", hide: true, wantDetails: [2]string{"email", "dis@example.com"}},
		{op: resend, user: "disunconf", hide: true, wantDetails: [2]string{"email", "disunconf@example.com"}},
		{op: resend, user: "disbare", wantErr: "NotAuthorizedException: User is disabled."},
		{op: resend, user: "disbare", hide: true, wantDetails: [2]string{simulated}},
		{op: resend, user: "bare", wantErr: "InvalidParameterException: Cannot resend codes. The user has no email address or phone number that the pool verifies."},
		{op: resend, user: "bare", hide: true, wantErr: "InvalidParameterException: Cannot resend codes. The user has no email address or phone number that the pool verifies."},
		{op: resend, user: "ghost", wantErr: "UserNotFoundException: Username/client id combination not found."},
		{op: resend, user: "ghost", hide: true, wantDetails: [2]string{simulated}},
		{op: resend, user: "+15555550199", hide: true, wantDetails: [2]string{"phone_number", "+15555550199"}},
	}
	for _, tc := range cases {
		name := tc.op + "/" + tc.user
		if tc.hide {
			name += "/hidden"
		}
		t.Run(name, func(t *testing.T) {
			f := newCodeSendFixture(t)
			ctx := context.Background()
			_, before, _ := findUser(ctx, f.store, f.p, tc.user)

			details, err := codeSendOps[tc.op](ctx, f.Service, f.clients[tc.hide], tc.user)
			if got := appErrText(err); got != tc.wantErr {
				t.Fatalf("error %q, want %q", got, tc.wantErr)
			}
			var wantDetails *idp.CodeDeliveryDetailsType
			switch tc.wantDetails[0] {
			case "":
			case simulated:
				// Both operations prefer email in a pool that verifies it.
				wantDetails = f.simulatedDelivery(f.p, tc.user, []string{"email"})
			default:
				wantDetails = codeDelivery(tc.wantDetails[0], tc.wantDetails[1])
			}
			if diff := cmp.Diff(wantDetails, details); diff != "" {
				t.Errorf("CodeDeliveryDetails (-want +got):\n%s", diff)
			}

			msgs := f.outbox.Messages("")
			after, afterErr := (*userRecord)(nil), error(nil)
			if before != nil {
				_, after, afterErr = findUser(ctx, f.store, f.p, tc.user)
				if afterErr != nil {
					t.Fatal(afterErr)
				}
				if !after.UpdatedAt.Equal(before.UpdatedAt) {
					t.Errorf("UpdatedAt moved from %v to %v", before.UpdatedAt, after.UpdatedAt)
				}
			}
			if tc.wantSent == (sent{}) {
				if len(msgs) != 0 {
					t.Errorf("messages %+v, want none", msgs)
				}
				if before != nil && !cmp.Equal(before.Codes, after.Codes) {
					t.Errorf("codes changed from %+v to %+v", before.Codes, after.Codes)
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("messages %+v, want one", msgs)
			}
			m := msgs[0]
			code := sixDigits.FindString(m.Body)
			purpose, codePurpose, ttl := messaging.PurposeForgotPassword, messaging.PurposeForgotPassword, passwordResetCodeTTL
			if tc.op == resend {
				purpose, codePurpose, ttl = messaging.PurposeVerification, codePurposeSignUp, verificationCodeTTL
			}
			want := codeMessage(f.p, purpose, channelOf(tc.wantSent.attr), tc.wantSent.to, tc.user, code)
			if diff := cmp.Diff(want, m, cmpopts.IgnoreFields(messaging.Message{}, "At")); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			now := f.clock.now()
			wantCodes := []userCode{{
				Purpose: codePurpose, Attribute: tc.wantSent.attr, Hash: codeHash(after.Sub, code),
				ExpiresAt: now.Add(ttl), To: destinationHash(after.Sub, tc.wantSent.to),
			}}
			if diff := cmp.Diff(wantCodes, after.Codes, cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("stored codes (-want +got):\n%s", diff)
			}
		})
	}
}

// failingSender refuses every message.
type failingSender struct{}

func (failingSender) Send(context.Context, messaging.Message) error {
	return errors.New("mail server down")
}

// TestCodeSendingDeliveryFailure checks that a code that cannot be
// delivered is CodeDeliveryFailureException, after the new code was
// stored: the code replaces the earlier one whether or not it arrives.
func TestCodeSendingDeliveryFailure(t *testing.T) {
	for op, user := range map[string]string{"ForgotPassword": "conf", "ResendConfirmationCode": "unconf"} {
		t.Run(op, func(t *testing.T) {
			f := newCodeSendFixture(t)
			f.sender = failingSender{}
			ctx := context.Background()
			_, err := codeSendOps[op](ctx, f.Service, f.clients[false], user)
			if got, want := appErrText(err), "CodeDeliveryFailureException: Unable to deliver message."; got != want {
				t.Fatalf("error %q, want %q", got, want)
			}
			_, u, err := findUser(ctx, f.store, f.p, user)
			if err != nil {
				t.Fatal(err)
			}
			if len(u.Codes) != 1 {
				t.Errorf("stored codes %+v, want the new one", u.Codes)
			}
		})
	}
}

// TestResendWithoutAutoVerification checks that a pool that verifies no
// attribute refuses ResendConfirmationCode before it looks for the user.
func TestResendWithoutAutoVerification(t *testing.T) {
	s := newUTService(t)
	_, client := s.signUpPool(t, &idp.CreateUserPoolRequest{})
	for _, name := range []string{"ghost", "ghost@example.com"} {
		_, err := codeSendOps["ResendConfirmationCode"](context.Background(), s.Service, client, name)
		if got, want := appErrText(err), "InvalidParameterException: Cannot resend codes. Auto verification not turned on."; got != want {
			t.Errorf("%s: error %q, want %q", name, got, want)
		}
	}
}

// TestPublicOperationsCheckClient checks the checks every public
// operation that names a client and a user makes first: the client must
// exist, and a client with a secret needs the request's SECRET_HASH.
func TestPublicOperationsCheckClient(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p := s.pool(t, &idp.CreateUserPoolRequest{AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}})
	out, err := s.CreateUserPoolClient(ctx, utCaller, &idp.CreateUserPoolClientRequest{UserPoolId: p.Id, ClientName: cognito.Ptr("app"), GenerateSecret: cognito.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	secretClient := cognito.Deref(out.UserPoolClient.ClientId)
	const missing = "nosuchclient0000000000000a"
	ops := map[string]func(client string, secretHash *string) error{
		"SignUp": func(client string, h *string) error {
			_, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{ClientId: &client, SecretHash: h, Username: cognito.Ptr("ann"), Password: cognito.Ptr("Passw0rd!")})
			return err
		},
		"ConfirmSignUp": func(client string, h *string) error {
			_, err := s.ConfirmSignUp(ctx, publicCaller, &idp.ConfirmSignUpRequest{ClientId: &client, SecretHash: h, Username: cognito.Ptr("ann"), ConfirmationCode: cognito.Ptr("123456")})
			return err
		},
		"ResendConfirmationCode": func(client string, h *string) error {
			_, err := s.ResendConfirmationCode(ctx, publicCaller, &idp.ResendConfirmationCodeRequest{ClientId: &client, SecretHash: h, Username: cognito.Ptr("ann")})
			return err
		},
		"ForgotPassword": func(client string, h *string) error {
			_, err := s.ForgotPassword(ctx, publicCaller, &idp.ForgotPasswordRequest{ClientId: &client, SecretHash: h, Username: cognito.Ptr("ann")})
			return err
		},
		"ConfirmForgotPassword": func(client string, h *string) error {
			_, err := s.ConfirmForgotPassword(ctx, publicCaller, &idp.ConfirmForgotPasswordRequest{ClientId: &client, SecretHash: h, Username: cognito.Ptr("ann"), ConfirmationCode: cognito.Ptr("123456"), Password: cognito.Ptr("Passw0rd!")})
			return err
		},
	}
	cases := []struct {
		name, client string
		secretHash   *string
		want         string
	}{
		{"missing client", missing, nil, "ResourceNotFoundException: User pool client " + missing + " does not exist."},
		{"no SECRET_HASH", secretClient, nil, "NotAuthorizedException: Client " + secretClient + " is configured with secret but SECRET_HASH was not received"},
		{"empty SECRET_HASH", secretClient, cognito.Ptr(""), "NotAuthorizedException: Client " + secretClient + " is configured with secret but SECRET_HASH was not received"},
		{"wrong SECRET_HASH", secretClient, cognito.Ptr("d3Jvbmc="), "NotAuthorizedException: Unable to verify secret hash for client " + secretClient},
	}
	for op, call := range ops {
		for _, tc := range cases {
			t.Run(op+"/"+tc.name, func(t *testing.T) {
				if got := appErrText(call(tc.client, tc.secretHash)); got != tc.want {
					t.Errorf("error %q, want %q", got, tc.want)
				}
			})
		}
	}
	if msgs := s.outbox.Messages(""); len(msgs) != 0 {
		t.Errorf("messages sent: %+v", msgs)
	}
}
