package messaging

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestMessageValuesEscapedForHTML guards that a username or temporary
// password with markup in it is escaped in an HTML email body, and goes as
// it is into a plain-text email, an SMS and a subject; and that the
// template, not the filled-in body, decides whether an email is HTML. The
// confirmation link's case is userpool's, which builds the link.
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
	tests := []struct {
		name string
		msg  Message
		want Message
	}{
		{
			name: "HTML invitation escapes username and password",
			msg:  Invitation(htmlInvite, ChannelEmail, "bob@example.com", user, password),
			want: Message{Subject: "Welcome", HTML: true,
				Body: `<p>User <b>&lt;b&gt;bob&lt;/b&gt;&amp;&lt;img src=x&gt;</b>, password <code>a&lt;B&gt;&amp;c1&#34;&#39;</code></p>`},
		},
		{
			name: "plain-text invitation keeps the values and stays plain text",
			msg:  Invitation(plainInvite, ChannelEmail, "bob@example.com", user, password),
			want: Message{Subject: "Your temporary password",
				Body: "Your username is " + user + " and temporary password is " + password + "."},
		},
		{
			name: "SMS invitation keeps the values",
			msg:  Invitation(htmlInvite, ChannelSMS, "+15555550100", user, password),
			want: Message{Body: "User " + user + ", password " + password},
		},
		{
			name: "HTML verification code escapes the username",
			msg:  CodeMessage(htmlCode, PurposeVerification, ChannelEmail, "bob@example.com", user, "123456"),
			want: Message{Subject: "Code", HTML: true,
				Body: `<p>Hello &lt;b&gt;bob&lt;/b&gt;&amp;&lt;img src=x&gt;, your code is 123456</p>`},
		},
		{
			name: "SMS verification code keeps the username",
			msg:  CodeMessage(htmlCode, PurposeForgotPassword, ChannelSMS, "+15555550100", user, "123456"),
			want: Message{Body: "Hello " + user + ", your code is 123456"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Message{Subject: tc.msg.Subject, Body: tc.msg.Body, HTML: tc.msg.HTML}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPoolMessageCarriesSendingSettings(t *testing.T) {
	p := &idp.UserPoolType{
		Id: cognito.Ptr("us-east-1_abcdefghi"),
		EmailConfiguration: &idp.EmailConfigurationType{
			EmailSendingAccount: cognito.Ptr(idp.EmailSendingAccountType("DEVELOPER")),
			SourceArn:           cognito.Ptr("arn:aws:ses:us-east-1:123456789012:identity/example.com"),
			From:                cognito.Ptr("App <no-reply@example.com>"),
		},
		SmsConfiguration: &idp.SmsConfigurationType{SnsCallerArn: cognito.Ptr("arn:aws:iam::123456789012:role/sns"), SnsRegion: cognito.Ptr("eu-west-1")},
	}
	m := CodeMessage(p, PurposeVerification, ChannelEmail, "a@example.com", "a", "123456")
	want := EmailSettings{SendingAccount: "DEVELOPER", From: "App <no-reply@example.com>", SourceARN: "arn:aws:ses:us-east-1:123456789012:identity/example.com"}
	if m.Email != want || m.SMS.SNSCallerARN != "arn:aws:iam::123456789012:role/sns" || m.SMS.SNSRegion != "eu-west-1" || m.Pool != "us-east-1_abcdefghi" {
		t.Errorf("message settings = %+v / %+v", m.Email, m.SMS)
	}
}
