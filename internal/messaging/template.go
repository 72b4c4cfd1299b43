package messaging

import (
	"html"
	"regexp"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// Cognito's default message texts, used when the pool sets none.
const (
	defaultInviteSubject       = "Your temporary password"
	defaultInviteEmail         = "Your username is {username} and temporary password is {####}."
	defaultInviteSMS           = "Your username is {username} and temporary password is {####}."
	defaultVerificationSubject = "Your verification code"
	defaultVerificationMessage = "Your verification code is {####}. "
	defaultResetSubject        = "Your password reset code"
	defaultResetMessage        = "Your password reset code is {####}. "
	// The confirmation link's texts, used when the pool's
	// VerificationMessageTemplate sets DefaultEmailOption CONFIRM_WITH_LINK
	// but no EmailSubjectByLink or EmailMessageByLink.
	defaultLinkSubject = "Your verification link"
	defaultLinkMessage = "Please click the link below to verify your email address. {##Verify Email##} "
	// The texts of MFA codes, used when the pool sets no
	// SmsAuthenticationMessage or EmailMfaConfiguration.
	defaultMFAMessage = "Your authentication code is {####}. "
	defaultMFASubject = "Your authentication code"
)

// linkPlaceholder is the {##text##} placeholder of EmailMessageByLink. It
// becomes a link whose text is the text between the markers.
var linkPlaceholder = regexp.MustCompile(`\{##(.*?)##\}`)

// fillTemplate replaces the {username} and {####} placeholders, for an
// SMS or an email subject: the values go in as they are.
func fillTemplate(tmpl, username, code string) string {
	return strings.NewReplacer("{username}", username, "{####}", code).Replace(tmpl)
}

// fillEmail fills an email body template into m. A template that holds
// HTML makes an HTML message, and then every value put into it (the
// username, which the user may have chosen, and the code or temporary
// password, which may hold <, > or &) is escaped for HTML, so that no
// value can add markup; a plain-text template takes the values as they
// are. The template alone decides, so a username with tags in it cannot
// turn a plain-text message into HTML either.
func fillEmail(m *Message, tmpl, username, code string) {
	m.HTML = IsHTMLTemplate(tmpl)
	if m.HTML {
		username, code = html.EscapeString(username), html.EscapeString(code)
	}
	m.Body = fillTemplate(tmpl, username, code)
}

func orDefault(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

// PoolMessage returns a message of pool p to one recipient, carrying the
// pool's email and SMS configuration, which decide how it leaves (see
// Router).
func PoolMessage(p *idp.UserPoolType, channel, to, purpose, username string) Message {
	m := Message{Pool: cognito.Deref(p.Id), Channel: channel, To: to, Purpose: purpose, Username: username}
	if e := p.EmailConfiguration; e != nil {
		m.Email = EmailSettings{
			SendingAccount: string(cognito.Deref(e.EmailSendingAccount)), From: cognito.Deref(e.From),
			ReplyTo: cognito.Deref(e.ReplyToEmailAddress), SourceARN: cognito.Deref(e.SourceArn),
			ConfigurationSet: cognito.Deref(e.ConfigurationSet),
		}
	}
	if sms := p.SmsConfiguration; sms != nil {
		m.SMS = SMSSettings{SNSCallerARN: cognito.Deref(sms.SnsCallerArn), ExternalID: cognito.Deref(sms.ExternalId), SNSRegion: cognito.Deref(sms.SnsRegion)}
	}
	return m
}

// Invitation returns the AdminCreateUser invitation for one channel, from
// the pool's InviteMessageTemplate or Cognito's default, with the
// {username} and {####} (the temporary password) placeholders filled.
func Invitation(p *idp.UserPoolType, channel, to, username, password string) Message {
	var t idp.MessageTemplateType
	if p.AdminCreateUserConfig != nil && p.AdminCreateUserConfig.InviteMessageTemplate != nil {
		t = *p.AdminCreateUserConfig.InviteMessageTemplate
	}
	m := PoolMessage(p, channel, to, PurposeInvitation, username)
	if channel == ChannelSMS {
		m.Body = fillTemplate(orDefault(t.SMSMessage, defaultInviteSMS), username, password)
	} else {
		m.Subject = orDefault(t.EmailSubject, defaultInviteSubject)
		fillEmail(&m, orDefault(t.EmailMessage, defaultInviteEmail), username, password)
	}
	return m
}

// CodeMessage returns a verification (PurposeVerification) or
// password-reset (PurposeForgotPassword) message for one channel, from the
// pool's VerificationMessageTemplate or Cognito's default, with the
// {username} and {####} (the code) placeholders filled.
func CodeMessage(p *idp.UserPoolType, purpose, channel, to, username, code string) Message {
	var t idp.VerificationMessageTemplateType
	if p.VerificationMessageTemplate != nil {
		t = *p.VerificationMessageTemplate
	}
	subject, body := defaultVerificationSubject, defaultVerificationMessage
	if purpose == PurposeForgotPassword {
		subject, body = defaultResetSubject, defaultResetMessage
	}
	m := PoolMessage(p, channel, to, purpose, username)
	if channel == ChannelSMS {
		m.Body = fillTemplate(orDefault(t.SmsMessage, body), username, code)
	} else {
		m.Subject = orDefault(t.EmailSubject, subject)
		fillEmail(&m, orDefault(t.EmailMessage, body), username, code)
	}
	return m
}

// MFAMessage returns the message that carries the code of a sign-in's
// second factor (PurposeMFA) by one channel: by SMS from the pool's
// SmsAuthenticationMessage, by email from email (the pool's
// EmailMfaConfiguration, nil for none), or Cognito's defaults, with the
// {username} and {####} placeholders filled.
func MFAMessage(p *idp.UserPoolType, email *idp.EmailMfaConfigType, channel, to, username, code string) Message {
	m := PoolMessage(p, channel, to, PurposeMFA, username)
	if channel == ChannelSMS {
		m.Body = fillTemplate(orDefault(p.SmsAuthenticationMessage, defaultMFAMessage), username, code)
		return m
	}
	var e idp.EmailMfaConfigType
	if email != nil {
		e = *email
	}
	m.Subject = orDefault(e.Subject, defaultMFASubject)
	fillEmail(&m, orDefault(e.Message, defaultMFAMessage), username, code)
	return m
}

// ConfirmsByLink reports whether pool p confirms sign-ups by email with a
// link (VerificationMessageTemplate.DefaultEmailOption
// CONFIRM_WITH_LINK) instead of a code.
func ConfirmsByLink(p *idp.UserPoolType) bool {
	t := p.VerificationMessageTemplate
	return t != nil && cognito.Deref(t.DefaultEmailOption) == idp.DefaultEmailOptionTypeConfirmWithLink
}

// LinkMessage returns the sign-up confirmation email of a pool that
// ConfirmsByLink: its EmailMessageByLink (or Cognito's default) with each
// {##text##} replaced by a link to link whose text is text, and the
// {username} and {####} placeholders filled. The link makes it HTML, so
// the values are escaped.
func LinkMessage(p *idp.UserPoolType, to, username, code, link string) Message {
	var t idp.VerificationMessageTemplateType
	if p.VerificationMessageTemplate != nil {
		t = *p.VerificationMessageTemplate
	}
	body := linkPlaceholder.ReplaceAllStringFunc(orDefault(t.EmailMessageByLink, defaultLinkMessage), func(m string) string {
		text := linkPlaceholder.FindStringSubmatch(m)[1]
		return `<a href="` + html.EscapeString(link) + `">` + text + `</a>`
	})
	m := PoolMessage(p, ChannelEmail, to, PurposeVerification, username)
	m.Subject = orDefault(t.EmailSubjectByLink, defaultLinkSubject)
	fillEmail(&m, body, username, code) // the link's <a> makes it HTML
	return m
}
