package directory

import (
	"context"
	"errors"
	"regexp"
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
	p, err := s.pools.LoadPool(ctx, utCaller, cognito.Deref(created.Id))
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

// codeSendOutcome is what one ForgotPassword or ResendConfirmationCode
// call answers: an exception, or CodeDeliveryDetails that name attr and
// show masked, the value to as Cognito masks it (attr
// simulatedDestination for a simulated answer), and whether a code went
// to to.
type codeSendOutcome struct {
	err              string
	attr, to, masked string
	sent             bool
}

// simulatedDestination marks a simulated answer: CodeDeliveryDetails
// shaped like a real email delivery, the same each time it is asked.
const simulatedDestination = "simulated"

// simulatedEmail is the shape of a masked email destination, as Cognito
// masks one (t***@t*** for test@test.com).
var simulatedEmail = regexp.MustCompile(`^.\*\*\*@.\*\*\*$`)

// TestCodeSendingAnswers checks, for each user state, with and without
// PreventUserExistenceErrors, what ForgotPassword and
// ResendConfirmationCode answer, which message they send, and which code
// they store: a code is stored and sent only when the answer says so, and
// an answer that hides the user's state is shaped like a real one.
func TestCodeSendingAnswers(t *testing.T) {
	fails := func(err string) codeSendOutcome { return codeSendOutcome{err: err} }
	sends := func(attr, to, masked string) codeSendOutcome {
		return codeSendOutcome{attr: attr, to: to, masked: masked, sent: true}
	}
	shows := func(attr, to, masked string) codeSendOutcome {
		return codeSendOutcome{attr: attr, to: to, masked: masked}
	}
	simulated := codeSendOutcome{attr: simulatedDestination}
	const (
		noContact   = "InvalidParameterException: Cannot reset password for the user as there is no registered/verified email or phone_number"
		disabled    = "NotAuthorizedException: User is disabled."
		cannotReset = "NotAuthorizedException: User password cannot be reset in the current state."
		confirmed   = "InvalidParameterException: User is already confirmed."
		noTarget    = "InvalidParameterException: Cannot resend codes. The user has no email address or phone number that the pool verifies."
		notFound    = "UserNotFoundException: Username/client id combination not found."
	)
	cases := []struct {
		user string
		// ForgotPassword and ResendConfirmationCode, through the client
		// that reports user existence errors and the one that hides them.
		forgot, forgotHidden, resend, resendHidden codeSendOutcome
	}{
		{"conf", sends("email", "conf@example.com", "c***@e***"), sends("email", "conf@example.com", "c***@e***"), fails(confirmed), fails(confirmed)},
		{"phone", sends("phone_number", "+15555550100", "+*******0100"), sends("phone_number", "+15555550100", "+*******0100"), fails(confirmed), fails(confirmed)},
		{"unverified", fails(noContact), simulated, fails(confirmed), fails(confirmed)},
		{"unconf", fails(noContact), simulated, sends("email", "unconf@example.com", "u***@e***"), sends("email", "unconf@example.com", "u***@e***")},
		{"dis", fails(disabled), shows("email", "dis@example.com", "d***@e***"), fails(disabled), shows("email", "dis@example.com", "d***@e***")},
		{"disunconf", fails(disabled), simulated, fails(disabled), shows("email", "disunconf@example.com", "d***@e***")},
		{"disbare", fails(disabled), simulated, fails(disabled), simulated},
		{"force", fails(cannotReset), fails(cannotReset), fails(confirmed), fails(confirmed)},
		{"bare", fails(noContact), simulated, fails(noTarget), fails(noTarget)},
		{"ghost", fails(notFound), simulated, fails(notFound), simulated},
		{"ghost@example.com", fails(notFound), shows("email", "ghost@example.com", "g***@e***"), fails(notFound), shows("email", "ghost@example.com", "g***@e***")},
		// The pool verifies email addresses only, so its users are sent
		// codes by email, whatever their usernames look like.
		{"+15555550199", fails(notFound), simulated, fails(notFound), simulated},
	}
	for _, tc := range cases {
		for _, call := range []struct {
			op   string
			hide bool
			want codeSendOutcome
		}{
			{"ForgotPassword", false, tc.forgot},
			{"ForgotPassword", true, tc.forgotHidden},
			{"ResendConfirmationCode", false, tc.resend},
			{"ResendConfirmationCode", true, tc.resendHidden},
		} {
			name := call.op + "/" + tc.user
			if call.hide {
				name += "/hidden"
			}
			t.Run(name, func(t *testing.T) {
				checkCodeSending(t, call.op, tc.user, call.hide, call.want)
			})
		}
	}
}

// checkCodeSending calls op for user through a fresh codeSendFixture and
// checks the answer, the message and the stored codes against want.
func checkCodeSending(t *testing.T, op, user string, hide bool, want codeSendOutcome) {
	t.Helper()
	f := newCodeSendFixture(t)
	ctx := context.Background()
	_, before, _ := findUser(ctx, f.store, f.p, user)

	details, err := codeSendOps[op](ctx, f.Service, f.clients[hide], user)
	if got := appErrText(err); got != want.err {
		t.Fatalf("error %q, want %q", got, want.err)
	}
	switch want.attr {
	case "":
		if details != nil {
			t.Errorf("CodeDeliveryDetails %+v, want none", details)
		}
	case simulatedDestination:
		// Shaped like an email delivery (both operations prefer email in
		// a pool that verifies it), and the same when asked again.
		if details == nil || cognito.Deref(details.AttributeName) != "email" || cognito.Deref(details.DeliveryMedium) != "EMAIL" ||
			!simulatedEmail.MatchString(cognito.Deref(details.Destination)) {
			t.Errorf("simulated CodeDeliveryDetails %+v", details)
		}
		again, err := codeSendOps[op](ctx, f.Service, f.clients[hide], user)
		if err != nil || !cmp.Equal(details, again) {
			t.Errorf("asked again: %+v, %v; first %+v", again, err, details)
		}
	default:
		medium := idp.DeliveryMediumType("EMAIL")
		if want.attr == "phone_number" {
			medium = "SMS"
		}
		wantDetails := &idp.CodeDeliveryDetailsType{Destination: &want.masked, DeliveryMedium: &medium, AttributeName: &want.attr}
		if diff := cmp.Diff(wantDetails, details); diff != "" {
			t.Errorf("CodeDeliveryDetails (-want +got):\n%s", diff)
		}
	}

	msgs := f.outbox.Messages("")
	var after *userRecord
	if before != nil {
		_, after, err = findUser(ctx, f.store, f.p, user)
		if err != nil {
			t.Fatal(err)
		}
		if !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("UpdatedAt moved from %v to %v", before.UpdatedAt, after.UpdatedAt)
		}
	}
	if !want.sent {
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
	// Cognito's default messages, and its documented lifetimes: a
	// password reset code is valid for an hour, a sign-up confirmation
	// code for 24 hours.
	wantMsg := messaging.Message{
		Pool: cognito.Deref(f.p.Id), Channel: messaging.ChannelEmail, To: want.to, Username: user,
		Purpose: messaging.PurposeForgotPassword, Subject: "Your password reset code", Body: "Your password reset code is " + code + ". ",
		Email: messaging.EmailSettings{SendingAccount: "COGNITO_DEFAULT"},
	}
	codePurpose, ttl := messaging.PurposeForgotPassword, time.Hour
	if op == "ResendConfirmationCode" {
		wantMsg.Purpose, wantMsg.Subject, wantMsg.Body = messaging.PurposeVerification, "Your verification code", "Your verification code is "+code+". "
		codePurpose, ttl = codePurposeSignUp, 24*time.Hour
	}
	if want.attr == "phone_number" {
		wantMsg.Channel, wantMsg.Subject = messaging.ChannelSMS, ""
	}
	if diff := cmp.Diff(wantMsg, m, cmpopts.IgnoreFields(messaging.Message{}, "At")); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	wantCodes := []userCode{{
		Purpose: codePurpose, Attribute: want.attr, Hash: f.codes.code(after.Sub, code), Keyed: true,
		ExpiresAt: f.clock.now().Add(ttl), To: f.codes.destination(after.Sub, want.to),
	}}
	if diff := cmp.Diff(wantCodes, after.Codes, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("stored codes (-want +got):\n%s", diff)
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
