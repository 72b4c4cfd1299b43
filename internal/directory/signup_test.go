package directory

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// publicCaller is how the edge calls a public operation that names only a
// client: the request is unsigned and carries no region.
var publicCaller = cognito.Caller{}

// signUpPool creates a pool with in's settings and a client without a
// secret, and returns both.
func (s *utService) signUpPool(t *testing.T, in *idp.CreateUserPoolRequest) (*idp.UserPoolType, string) {
	t.Helper()
	p := s.pool(t, in)
	out, err := s.CreateUserPoolClient(context.Background(), utCaller, &idp.CreateUserPoolClientRequest{UserPoolId: p.Id, ClientName: cognito.Ptr("app")})
	if err != nil {
		t.Fatal(err)
	}
	return p, cognito.Deref(out.UserPoolClient.ClientId)
}

var sixDigits = regexp.MustCompile(`[0-9]{6}`)

// lastCode returns the code in the newest message to recipient.
func (s *utService) lastCode(t *testing.T, to string) string {
	t.Helper()
	msgs := s.outbox.Messages(to)
	if len(msgs) == 0 {
		t.Fatalf("no message to %s", to)
	}
	code := sixDigits.FindString(msgs[0].Body)
	if code == "" {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	return code
}

func TestSignUpCodeExpiresAfter24Hours(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}})
	out, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{
		ClientId: cognito.Ptr(client), Username: cognito.Ptr("una"), Password: cognito.Ptr("Passw0rd!"),
		UserAttributes: attrs("email", "una@example.com"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cognito.Deref(out.UserConfirmed) || cognito.Deref(out.CodeDeliveryDetails.Destination) != "u***@e***" {
		t.Errorf("SignUp answered %+v", out)
	}
	first := s.lastCode(t, "una@example.com")
	confirm := func(code string) error {
		_, err := s.ConfirmSignUp(ctx, publicCaller, &idp.ConfirmSignUpRequest{ClientId: cognito.Ptr(client), Username: cognito.Ptr("una"), ConfirmationCode: cognito.Ptr(code)})
		return err
	}
	// Cognito documents 24 hours for a sign-up confirmation code.
	s.clock.advance(24*time.Hour - time.Millisecond)
	if u := s.record(t, p, "una"); !s.codes.checkCode(u, codePurposeSignUp, "email", first, s.clock.now()) {
		t.Fatal("the code expired before 24 hours")
	}
	s.clock.advance(time.Millisecond)
	wantCode(t, confirm(first), "ExpiredCodeException")

	// A new code works for another 24 hours; the old one no longer does.
	if _, err := s.ResendConfirmationCode(ctx, publicCaller, &idp.ResendConfirmationCodeRequest{ClientId: cognito.Ptr(client), Username: cognito.Ptr("una")}); err != nil {
		t.Fatal(err)
	}
	second := s.lastCode(t, "una@example.com")
	if second != first {
		wantCode(t, confirm(first), "CodeMismatchException")
	}
	s.clock.advance(23 * time.Hour)
	if err := confirm(second); err != nil {
		t.Fatal(err)
	}
	u := s.record(t, p, "una")
	if u.Status != idp.UserStatusTypeConfirmed || u.Attributes["email_verified"] != "true" || len(u.Codes) != 0 {
		t.Errorf("after confirmation: status %s, attributes %v, codes %+v", u.Status, u.Attributes, u.Codes)
	}
	if !u.UpdatedAt.Equal(s.clock.now()) {
		t.Errorf("UpdatedAt = %v, want the confirmation time %v", u.UpdatedAt, s.clock.now())
	}
}

func TestForgotPasswordCodeExpiresAfterAnHour(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{})
	if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("vic"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
		UserAttributes: attrs("email", "vic@example.com", "email_verified", "true"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdminSetUserPassword(ctx, utCaller, &idp.AdminSetUserPasswordRequest{UserPoolId: p.Id, Username: cognito.Ptr("vic"), Password: cognito.Ptr("Old-Passw0rd"), Permanent: cognito.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	forgot := func() string {
		t.Helper()
		if _, err := s.ForgotPassword(ctx, publicCaller, &idp.ForgotPasswordRequest{ClientId: cognito.Ptr(client), Username: cognito.Ptr("vic")}); err != nil {
			t.Fatal(err)
		}
		return s.lastCode(t, "vic@example.com")
	}
	confirm := func(code string) error {
		_, err := s.ConfirmForgotPassword(ctx, publicCaller, &idp.ConfirmForgotPasswordRequest{
			ClientId: cognito.Ptr(client), Username: cognito.Ptr("vic"), ConfirmationCode: cognito.Ptr(code), Password: cognito.Ptr("New-Passw0rd"),
		})
		return err
	}
	// Cognito documents an hour for a password reset code.
	code := forgot()
	s.clock.advance(time.Hour)
	wantCode(t, confirm(code), "ExpiredCodeException")
	before := s.record(t, p, "vic")

	code = forgot()
	s.clock.advance(time.Hour - time.Second)
	if err := confirm(code); err != nil {
		t.Fatal(err)
	}
	u := s.record(t, p, "vic")
	if !verifies(u.PasswordHash, "New-Passw0rd") || verifies(u.PasswordHash, "Old-Passw0rd") {
		t.Error("the stored hash is not the new password's")
	}
	if u.PasswordSetAt == nil || !u.PasswordSetAt.Equal(s.clock.now()) || u.PasswordSetAt.Equal(*before.PasswordSetAt) {
		t.Errorf("PasswordSetAt = %v", u.PasswordSetAt)
	}
	// The code is single-use.
	wantCode(t, confirm(code), "ExpiredCodeException")
}

func TestConfirmForgotPasswordHistory(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{
		UserPoolTier: cognito.Ptr(idp.UserPoolTierType("ESSENTIALS")),
		Policies:     &idp.UserPoolPolicyType{PasswordPolicy: &idp.PasswordPolicyType{MinimumLength: cognito.Ptr(int32(8)), PasswordHistorySize: cognito.Ptr(int32(2))}},
	})
	if _, err := s.AdminCreateUser(ctx, utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("wes"), MessageAction: cognito.Ptr(idp.MessageActionTypeSuppress),
		UserAttributes: attrs("phone_number", "+15555550142", "phone_number_verified", "true"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdminSetUserPassword(ctx, utCaller, &idp.AdminSetUserPasswordRequest{UserPoolId: p.Id, Username: cognito.Ptr("wes"), Password: cognito.Ptr("first-password"), Permanent: cognito.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ForgotPassword(ctx, publicCaller, &idp.ForgotPasswordRequest{ClientId: cognito.Ptr(client), Username: cognito.Ptr("wes")}); err != nil {
		t.Fatal(err)
	}
	code := s.lastCode(t, "+15555550142")
	confirm := func(code, password string) error {
		_, err := s.ConfirmForgotPassword(ctx, publicCaller, &idp.ConfirmForgotPasswordRequest{
			ClientId: cognito.Ptr(client), Username: cognito.Ptr("wes"), ConfirmationCode: cognito.Ptr(code), Password: cognito.Ptr(password),
		})
		return err
	}
	// A wrong code never reaches the history check, so it tells nothing
	// about earlier passwords.
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantCode(t, confirm(wrong, "first-password"), "CodeMismatchException")
	wantCode(t, confirm(code, "first-password"), "PasswordHistoryPolicyViolationException")
	wantCode(t, confirm(code, "short"), "InvalidPasswordException")
	if err := confirm(code, "second-password"); err != nil {
		t.Fatal(err)
	}
	if u := s.record(t, p, "wes"); len(u.PasswordHistory) != 1 || !verifies(u.PasswordHistory[0], "first-password") {
		t.Errorf("history = %v, want the first password", u.PasswordHistory)
	}
}

func TestConfirmationLink(t *testing.T) {
	tests := []struct {
		name     string
		template *idp.VerificationMessageTemplateType
		subject  string
		body     *regexp.Regexp
	}{
		{
			"code by default", nil, "Your verification code",
			regexp.MustCompile(`^Your verification code is [0-9]{6}\. $`),
		},
		{
			"link with Cognito's texts", &idp.VerificationMessageTemplateType{DefaultEmailOption: cognito.Ptr(idp.DefaultEmailOptionTypeConfirmWithLink)},
			"Your verification link",
			regexp.MustCompile(`^Please click the link below to verify your email address\. <a href="([^"]+)">Verify Email</a> $`),
		},
		{
			"link with the pool's texts", &idp.VerificationMessageTemplateType{
				DefaultEmailOption: cognito.Ptr(idp.DefaultEmailOptionTypeConfirmWithLink),
				EmailSubjectByLink: cognito.Ptr("Welcome"), EmailMessageByLink: cognito.Ptr("Hello! {##Confirm my account##}"),
			},
			"Welcome",
			regexp.MustCompile(`^Hello! <a href="([^"]+)">Confirm my account</a>$`),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newUTService(t)
			s.issuerBase = "https://id.example.test"
			ctx := context.Background()
			p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{
				AutoVerifiedAttributes:      []idp.VerifiedAttributeType{"email"},
				VerificationMessageTemplate: tc.template,
			})
			if _, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{
				ClientId: cognito.Ptr(client), Username: cognito.Ptr("xena+1"), Password: cognito.Ptr("Passw0rd!"),
				UserAttributes: attrs("email", "xena@example.com"),
			}); err != nil {
				t.Fatal(err)
			}
			msgs := s.outbox.Messages("xena@example.com")
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			match := tc.body.FindStringSubmatch(m.Body)
			if m.Subject != tc.subject || match == nil || m.Purpose != messaging.PurposeVerification || m.Channel != messaging.ChannelEmail {
				t.Fatalf("message %+v", m)
			}
			if len(match) < 2 {
				return
			}
			// The body is HTML: the link in its href is escaped for HTML.
			link, err := url.Parse(html.UnescapeString(match[1]))
			if err != nil {
				t.Fatal(err)
			}
			q := link.Query()
			if link.Scheme+"://"+link.Host+link.Path != "https://id.example.test/confirmUser" ||
				q.Get("client_id") != client || q.Get("user_name") != "xena+1" || !sixDigits.MatchString(q.Get("confirmation_code")) {
				t.Fatalf("link %s", link)
			}
			// The link carries the code ConfirmSignUp takes.
			if _, err := s.ConfirmSignUp(ctx, publicCaller, &idp.ConfirmSignUpRequest{
				ClientId: cognito.Ptr(client), Username: cognito.Ptr(q.Get("user_name")), ConfirmationCode: cognito.Ptr(q.Get("confirmation_code")),
			}); err != nil {
				t.Fatal(err)
			}
			if u := s.record(t, p, "xena+1"); u.Status != idp.UserStatusTypeConfirmed {
				t.Errorf("status %s", u.Status)
			}
		})
	}
}

func TestSignUpStoresHashes(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{AutoVerifiedAttributes: []idp.VerifiedAttributeType{"phone_number"}})
	out, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{
		ClientId: cognito.Ptr(client), Username: cognito.Ptr("yan"), Password: cognito.Ptr("Passw0rd!"),
		UserAttributes: attrs("phone_number", "+15555550177"), ValidationData: attrs("captcha", "ok"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.CodeDeliveryDetails; cognito.Deref(d.Destination) != "+*******0177" || cognito.Deref(d.DeliveryMedium) != "SMS" || cognito.Deref(d.AttributeName) != "phone_number" {
		t.Errorf("details %+v", d)
	}
	code := s.lastCode(t, "+15555550177")
	u := s.record(t, p, "yan")
	if u.Sub != cognito.Deref(out.UserSub) || u.Status != idp.UserStatusTypeUnconfirmed || !u.Enabled {
		t.Errorf("user %+v", u)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || !verifies(u.PasswordHash, "Passw0rd!") || u.PasswordSetAt == nil {
		t.Errorf("password hash %q set at %v", u.PasswordHash, u.PasswordSetAt)
	}
	if len(u.Codes) != 1 || u.Codes[0].Hash == code || u.Codes[0].Hash != s.codes.code(u.Sub, code) || !u.Codes[0].Keyed {
		t.Errorf("codes %+v", u.Codes)
	}
	if _, ok := u.Attributes["captcha"]; ok {
		t.Error("ValidationData was stored as an attribute")
	}
}

func TestPublicClientRegion(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	_, client := s.signUpPool(t, &idp.CreateUserPoolRequest{})
	in := &idp.SignUpRequest{ClientId: cognito.Ptr(client), Username: cognito.Ptr("zed"), Password: cognito.Ptr("Passw0rd!")}
	if _, err := s.SignUp(ctx, cognito.Caller{Region: "us-east-1"}, in); err != nil {
		t.Errorf("the pool's own region: %v", err)
	}
	in.Username = cognito.Ptr("zoe")
	_, err := s.SignUp(ctx, cognito.Caller{Region: "eu-west-1"}, in)
	wantCode(t, err, "ResourceNotFoundException")
	in.ClientId = cognito.Ptr("nosuchclient0000000000000a")
	_, err = s.SignUp(ctx, publicCaller, in)
	wantCode(t, err, "ResourceNotFoundException")
}

func TestConfirmSignUpForceAliasCreation(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{
		AliasAttributes:        []idp.AliasAttributeType{"email"},
		AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"},
	})
	signUp := func(name string) string {
		t.Helper()
		if _, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{
			ClientId: cognito.Ptr(client), Username: cognito.Ptr(name), Password: cognito.Ptr("Passw0rd!"),
			UserAttributes: attrs("email", "shared@example.com"),
		}); err != nil {
			t.Fatal(err)
		}
		return s.lastCode(t, "shared@example.com")
	}
	confirm := func(name, code string, force bool) error {
		_, err := s.ConfirmSignUp(ctx, publicCaller, &idp.ConfirmSignUpRequest{
			ClientId: cognito.Ptr(client), Username: cognito.Ptr(name), ConfirmationCode: cognito.Ptr(code), ForceAliasCreation: cognito.Ptr(force),
		})
		return err
	}
	if err := confirm("amy", signUp("amy"), false); err != nil {
		t.Fatal(err)
	}
	// An unverified email claims nothing, so a second user signs up with it.
	code := signUp("ben")
	err := confirm("ben", code, false)
	wantCode(t, err, "AliasExistsException")
	if err.(*cognito.Error).Message != "An account with the given email already exists." {
		t.Errorf("message %q", err.(*cognito.Error).Message)
	}
	if u := s.record(t, p, "ben"); u.Status != idp.UserStatusTypeUnconfirmed || len(u.Codes) != 1 {
		t.Fatalf("the refused confirmation changed ben: %s, %+v", u.Status, u.Codes)
	}
	if err := confirm("ben", code, true); err != nil {
		t.Fatal(err)
	}
	if u := s.record(t, p, "shared@example.com"); u.Username != "ben" {
		t.Errorf("the email alias signs in %s, want ben", u.Username)
	}
	if amy := s.record(t, p, "amy"); amy.Attributes["email_verified"] != "false" || amy.Attributes["email"] != "shared@example.com" {
		t.Errorf("amy kept %v", amy.Attributes)
	}
}

func TestConfirmSignUpAfterAddressChange(t *testing.T) {
	s := newUTService(t)
	ctx := context.Background()
	p, client := s.signUpPool(t, &idp.CreateUserPoolRequest{})
	if _, err := s.UpdateUserPool(ctx, utCaller, &idp.UpdateUserPoolRequest{UserPoolId: p.Id, AutoVerifiedAttributes: []idp.VerifiedAttributeType{"email"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignUp(ctx, publicCaller, &idp.SignUpRequest{
		ClientId: cognito.Ptr(client), Username: cognito.Ptr("ada"), Password: cognito.Ptr("Passw0rd!"), UserAttributes: attrs("email", "old@example.com"),
	}); err != nil {
		t.Fatal(err)
	}
	code := s.lastCode(t, "old@example.com")
	// An administrator changes the address the code went to.
	if _, err := s.AdminUpdateUserAttributes(ctx, utCaller, &idp.AdminUpdateUserAttributesRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("ada"), UserAttributes: attrs("email", "new@example.com"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmSignUp(ctx, publicCaller, &idp.ConfirmSignUpRequest{ClientId: cognito.Ptr(client), Username: cognito.Ptr("ada"), ConfirmationCode: cognito.Ptr(code)}); err != nil {
		t.Fatal(err)
	}
	u := s.record(t, p, "ada")
	if u.Status != idp.UserStatusTypeConfirmed || u.Attributes["email_verified"] == "true" {
		t.Errorf("status %s, email_verified %q: the old address's code must not verify the new one", u.Status, u.Attributes["email_verified"])
	}
}
