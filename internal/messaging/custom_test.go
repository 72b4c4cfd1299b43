package messaging

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// TestDraftCustomize guards Cognito's checks of a CustomMessage function's
// texts: which text of the answer a channel takes, what an empty text
// keeps, the invitation's username placeholder, and the constraints each
// text must meet, with the exception Cognito gives.
func TestDraftCustomize(t *testing.T) {
	p := &idp.UserPoolType{Id: cognito.Ptr("us-east-1_x")}
	email := CodeDraft(p, PurposeVerification, ChannelEmail, "bob@example.com", "bob", "123456")
	sms := CodeDraft(p, PurposeVerification, ChannelSMS, "+15555550100", "bob", "123456")
	inviteEmail := InvitationDraft(p, ChannelEmail, "bob@example.com", "bob", "Temp-1")
	inviteSMS := InvitationDraft(p, ChannelSMS, "+15555550100", "bob", "Temp-1")
	link := LinkDraft(p, "bob@example.com", "bob", "123456", "https://id.example.com/confirmUser?x=1")
	violation := func(path, value, rule string) string {
		return "1 validation error detected: Value '" + value + "' at '" + path + "' failed to satisfy constraint: Member must " + rule
	}
	tests := []struct {
		name               string
		draft              Draft
		sms, subject, body string
		wantSubject        string
		wantBody           string
		wantErr            string
	}{
		{name: "email takes subject and body", draft: email, sms: "ignored {####}", subject: "Hi", body: "Code {####}",
			wantSubject: "Hi", wantBody: "Code 123456"},
		{name: "empty texts keep the template", draft: email,
			wantSubject: "Your verification code", wantBody: "Your verification code is 123456. "},
		{name: "SMS takes smsMessage", draft: sms, sms: "SMS {####}", subject: "ignored", body: "ignored",
			wantBody: "SMS 123456"},
		{name: "body without the code", draft: email, body: "No code here",
			wantErr: violation("emailBody", "No code here", `satisfy regular expression pattern: `+emailBodyPattern)},
		{name: "a no-break space is not Java's white space", draft: email, body: "Code\u00a0{####}",
			wantErr: violation("emailBody", "Code\u00a0{####}", `satisfy regular expression pattern: `+emailBodyPattern)},
		{name: "body of 20,001 characters", draft: email, body: "{####}" + strings.Repeat("é", 19995),
			wantErr: violation("emailBody", "{####}"+strings.Repeat("é", 19995), "have length less than or equal to 20000")},
		{name: "body of 20,000 characters", draft: email, body: "{####}" + strings.Repeat("x", 19994),
			wantSubject: "Your verification code", wantBody: "123456" + strings.Repeat("x", 19994)},
		{name: "subject of 141 characters", draft: email, subject: strings.Repeat("s", 141),
			wantErr: violation("emailSubject", strings.Repeat("s", 141), "have length less than or equal to 140")},
		{name: "SMS without the code", draft: sms, sms: "no code",
			wantErr: violation("smsMessage", "no code", `satisfy regular expression pattern: `+smsPattern)},
		{name: "SMS of 141 characters", draft: sms, sms: "{####}" + strings.Repeat("x", 135),
			wantErr: violation("smsMessage", "{####}"+strings.Repeat("x", 135), "have length less than or equal to 140")},
		{name: "invitation with both placeholders", draft: inviteEmail, subject: "Welcome", body: "<p>{username} / {####}</p>",
			wantSubject: "Welcome", wantBody: "<p>bob / Temp-1</p>"},
		{name: "invitation without the username keeps the template body", draft: inviteEmail, subject: "Welcome", body: "Password {####}",
			wantSubject: "Welcome", wantBody: "Your username is bob and temporary password is Temp-1."},
		{name: "invitation SMS without the username keeps the template", draft: inviteSMS, sms: "Password {####}",
			wantBody: "Your username is bob and temporary password is Temp-1."},
		{name: "link message with the code placeholder alone ({####} fits the link pattern)", draft: link, body: "Code only {####}x",
			wantSubject: "Your verification link", wantBody: "Code only 123456x"},
		{name: "link message without any placeholder", draft: link, body: "Nothing",
			wantErr: violation("emailBody", "Nothing", `satisfy regular expression pattern: `+emailLinkPattern)},
		{name: "link placeholder becomes the link", draft: link, body: "{##Go##}",
			wantSubject: "Your verification link", wantBody: `<a href="https://id.example.com/confirmUser?x=1">Go</a>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.draft.Customize(tc.sms, tc.subject, tc.body)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !errors.Is(err, cognito.InvalidParameterException("")) {
					t.Errorf("err = %v, want InvalidParameterException", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := d.Message()
			if d := cmp.Diff([2]string{tc.wantSubject, tc.wantBody}, [2]string{m.Subject, m.Body}); d != "" {
				t.Errorf("subject and body (-want +got):\n%s", d)
			}
		})
	}
}
