package userpool

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// TestMessageValuesEscapedForHTML guards that a username or temporary
// password with markup in it is escaped in an HTML email body, and goes as
// it is into a plain-text email, an SMS and a subject; and that the
// template, not the filled-in body, decides whether an email is HTML.
func TestMessageValuesEscapedForHTML(t *testing.T) {
	const (
		user     = `<b>bob</b>&<img src=x>`
		password = `a<B>&c1"'`
	)
	htmlInvite := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_x"), AdminCreateUserConfig: &idp.AdminCreateUserConfigType{
		InviteMessageTemplate: &idp.MessageTemplateType{
			EmailSubject: cognito.Ptr("Welcome"),
			EmailMessage: cognito.Ptr("<p>User <b>{username}</b>, password <code>{####}</code></p>"),
			SMSMessage:   cognito.Ptr("User {username}, password {####}"),
		}}}
	plainInvite := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_x")}
	htmlCode := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_x"), VerificationMessageTemplate: &idp.VerificationMessageTemplateType{
		EmailSubject: cognito.Ptr("Code"),
		EmailMessage: cognito.Ptr("<p>Hello {username}, your code is {####}</p>"),
		SmsMessage:   cognito.Ptr("Hello {username}, your code is {####}"),
	}}
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
			name: "HTML invitation escapes username and password",
			msg:  invitation(htmlInvite, messaging.ChannelEmail, "bob@example.com", user, password),
			want: messaging.Message{Subject: "Welcome", HTML: true,
				Body: `<p>User <b>&lt;b&gt;bob&lt;/b&gt;&amp;&lt;img src=x&gt;</b>, password <code>a&lt;B&gt;&amp;c1&#34;&#39;</code></p>`},
		},
		{
			name: "plain-text invitation keeps the values and stays plain text",
			msg:  invitation(plainInvite, messaging.ChannelEmail, "bob@example.com", user, password),
			want: messaging.Message{Subject: "Your temporary password",
				Body: "Your username is " + user + " and temporary password is " + password + "."},
		},
		{
			name: "SMS invitation keeps the values",
			msg:  invitation(htmlInvite, messaging.ChannelSMS, "+15555550100", user, password),
			want: messaging.Message{Body: "User " + user + ", password " + password},
		},
		{
			name: "HTML verification code escapes the username",
			msg:  codeMessage(htmlCode, messaging.PurposeVerification, messaging.ChannelEmail, "bob@example.com", user, "123456"),
			want: messaging.Message{Subject: "Code", HTML: true,
				Body: `<p>Hello &lt;b&gt;bob&lt;/b&gt;&amp;&lt;img src=x&gt;, your code is 123456</p>`},
		},
		{
			name: "SMS verification code keeps the username",
			msg:  codeMessage(htmlCode, messaging.PurposeForgotPassword, messaging.ChannelSMS, "+15555550100", user, "123456"),
			want: messaging.Message{Body: "Hello " + user + ", your code is 123456"},
		},
		{
			name: "confirmation link escapes the username in text and link",
			msg:  s.confirmationMessage(linkPool, "client1", "email", "bob@example.com", user, "123456"),
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
