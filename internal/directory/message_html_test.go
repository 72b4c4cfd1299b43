package directory

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// TestConfirmationLinkEscapedForHTML guards that a username with markup in
// it is escaped in the text and the link of a sign-up confirmation link
// message.
func TestConfirmationLinkEscapedForHTML(t *testing.T) {
	const user = `<b>bob</b>&<img src=x>`
	linkPool := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_x"), VerificationMessageTemplate: &idp.VerificationMessageTemplateType{
		DefaultEmailOption: cognito.Ptr(idp.DefaultEmailOptionTypeConfirmWithLink),
		EmailMessageByLink: cognito.Ptr("Hello {username}: {##Verify##}"),
	}}
	s := &Service{issuerBase: "https://id.example.com/us-east-1_x"}
	tests := []struct {
		name string
		msg  messaging.Message
		want messaging.Message
	}{
		{
			name: "confirmation link escapes the username in text and link",
			msg:  s.confirmationMessage(linkPool, "client1", "email", "bob@example.com", user, "123456").Message(),
			want: messaging.Message{Subject: "Your verification link", HTML: true,
				Body: `Hello &lt;b&gt;bob&lt;/b&gt;&amp;&lt;img src=x&gt;: <a href="https://id.example.com/us-east-1_x/confirmUser?client_id=client1&amp;confirmation_code=123456&amp;user_name=%3Cb%3Ebob%3C%2Fb%3E%26%3Cimg+src%3Dx%3E">Verify</a>`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := messaging.Message{Subject: tc.msg.Subject, Body: tc.msg.Body, HTML: tc.msg.HTML}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAdminCreateUserInvitationEscapesHTML follows a username with markup
// and a temporary password with <, > and & through AdminCreateUser to the
// outbox: the HTML email carries them escaped, the SMS as they are.
func TestAdminCreateUserInvitationEscapesHTML(t *testing.T) {
	s := newUTService(t)
	p := s.pool(t, &idp.CreateUserPoolRequest{AdminCreateUserConfig: &idp.AdminCreateUserConfigType{
		InviteMessageTemplate: &idp.MessageTemplateType{
			EmailMessage: cognito.Ptr("<p>Username: {username}<br>Password: {####}</p>"),
			SMSMessage:   cognito.Ptr("Username: {username} Password: {####}"),
		}}})
	_, err := s.AdminCreateUser(context.Background(), utCaller, &idp.AdminCreateUserRequest{
		UserPoolId: p.Id, Username: cognito.Ptr("<i>eve</i>"), TemporaryPassword: cognito.Ptr("Pa<ss>&1word"),
		UserAttributes:         attrs("email", "eve@example.com", "phone_number", "+15555550101"),
		DesiredDeliveryMediums: []idp.DeliveryMediumType{"EMAIL", "SMS"},
	})
	if err != nil {
		t.Fatal(err)
	}
	email, sms := s.outbox.Messages("eve@example.com"), s.outbox.Messages("+15555550101")
	if len(email) != 1 || len(sms) != 1 {
		t.Fatalf("%d emails, %d SMS, want one each", len(email), len(sms))
	}
	if want := "<p>Username: &lt;i&gt;eve&lt;/i&gt;<br>Password: Pa&lt;ss&gt;&amp;1word</p>"; email[0].Body != want || !email[0].HTML {
		t.Errorf("email body %q (HTML %v), want %q (HTML)", email[0].Body, email[0].HTML, want)
	}
	if want := "Username: <i>eve</i> Password: Pa<ss>&1word"; sms[0].Body != want || sms[0].HTML {
		t.Errorf("SMS body %q (HTML %v), want %q", sms[0].Body, sms[0].HTML, want)
	}
}
