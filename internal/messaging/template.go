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
// becomes a link whose text is the text between the markers, which is
// neither empty nor holds a brace: {####} is the code's placeholder, which
// a link message may hold too.
var linkPlaceholder = regexp.MustCompile(`\{##([^{}]+?)##\}`)

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

// Draft is a message whose texts are not filled in yet: the template
// each channel takes (the pool's, or Cognito's default) and the values of
// its placeholders. Message fills it in; Customize first puts a
// CustomMessage function's texts in place of the template's.
type Draft struct {
	// Base is the message without Subject, Body and HTML: the pool, the
	// channel, the recipient, the purpose, the username and the pool's
	// delivery settings.
	Base Message
	// SMS, EmailSubject and EmailBody are the texts before any placeholder
	// is filled; only those of Base.Channel are used.
	SMS, EmailSubject, EmailBody string
	// Code is the value of {####}: a code or a temporary password.
	Code string
	// Link, when not empty, is the confirmation link each {##text##} of
	// the email body becomes (a link message, CONFIRM_WITH_LINK).
	Link string
}

// Message returns the message d makes: the texts of its channel with the
// {username} (Base.Username) and {####} (Code) placeholders filled, and in
// a link message each {##text##} a link to Link, which makes it HTML.
func (d Draft) Message() Message {
	m := d.Base
	m.Subject, m.Body, m.HTML = "", "", false
	if m.Channel == ChannelSMS {
		m.Body = fillTemplate(d.SMS, m.Username, d.Code)
		return m
	}
	m.Subject = d.EmailSubject
	body := d.EmailBody
	if d.Link != "" {
		body = linkPlaceholder.ReplaceAllStringFunc(body, func(s string) string {
			text := linkPlaceholder.FindStringSubmatch(s)[1]
			return `<a href="` + html.EscapeString(d.Link) + `">` + text + `</a>`
		})
	}
	fillEmail(&m, body, m.Username, d.Code)
	return m
}

// InvitationDraft returns the AdminCreateUser invitation for one channel,
// from the pool's InviteMessageTemplate or Cognito's default; {username}
// is username and {####} the temporary password.
func InvitationDraft(p *idp.UserPoolType, channel, to, username, password string) Draft {
	var t idp.MessageTemplateType
	if p.AdminCreateUserConfig != nil && p.AdminCreateUserConfig.InviteMessageTemplate != nil {
		t = *p.AdminCreateUserConfig.InviteMessageTemplate
	}
	return Draft{
		Base: PoolMessage(p, channel, to, PurposeInvitation, username), Code: password,
		SMS: orDefault(t.SMSMessage, defaultInviteSMS), EmailSubject: orDefault(t.EmailSubject, defaultInviteSubject),
		EmailBody: orDefault(t.EmailMessage, defaultInviteEmail),
	}
}

// Invitation is InvitationDraft's message.
func Invitation(p *idp.UserPoolType, channel, to, username, password string) Message {
	return InvitationDraft(p, channel, to, username, password).Message()
}

// CodeDraft returns a verification (PurposeVerification) or
// password-reset (PurposeForgotPassword) message for one channel, from the
// pool's VerificationMessageTemplate or Cognito's default.
func CodeDraft(p *idp.UserPoolType, purpose, channel, to, username, code string) Draft {
	var t idp.VerificationMessageTemplateType
	if p.VerificationMessageTemplate != nil {
		t = *p.VerificationMessageTemplate
	}
	subject, body := defaultVerificationSubject, defaultVerificationMessage
	if purpose == PurposeForgotPassword {
		subject, body = defaultResetSubject, defaultResetMessage
	}
	return Draft{
		Base: PoolMessage(p, channel, to, purpose, username), Code: code,
		SMS: orDefault(t.SmsMessage, body), EmailSubject: orDefault(t.EmailSubject, subject), EmailBody: orDefault(t.EmailMessage, body),
	}
}

// CodeMessage is CodeDraft's message.
func CodeMessage(p *idp.UserPoolType, purpose, channel, to, username, code string) Message {
	return CodeDraft(p, purpose, channel, to, username, code).Message()
}

// MFADraft returns the message that carries the code of a sign-in's
// second factor (PurposeMFA) by one channel: by SMS from the pool's
// SmsAuthenticationMessage, by email from email (the pool's
// EmailMfaConfiguration, nil for none), or Cognito's defaults.
func MFADraft(p *idp.UserPoolType, email *idp.EmailMfaConfigType, channel, to, username, code string) Draft {
	var e idp.EmailMfaConfigType
	if email != nil {
		e = *email
	}
	return Draft{
		Base: PoolMessage(p, channel, to, PurposeMFA, username), Code: code,
		SMS: orDefault(p.SmsAuthenticationMessage, defaultMFAMessage), EmailSubject: orDefault(e.Subject, defaultMFASubject),
		EmailBody: orDefault(e.Message, defaultMFAMessage),
	}
}

// MFAMessage is MFADraft's message.
func MFAMessage(p *idp.UserPoolType, email *idp.EmailMfaConfigType, channel, to, username, code string) Message {
	return MFADraft(p, email, channel, to, username, code).Message()
}

// ConfirmsByLink reports whether pool p confirms sign-ups by email with a
// link (VerificationMessageTemplate.DefaultEmailOption
// CONFIRM_WITH_LINK) instead of a code.
func ConfirmsByLink(p *idp.UserPoolType) bool {
	t := p.VerificationMessageTemplate
	return t != nil && cognito.Deref(t.DefaultEmailOption) == idp.DefaultEmailOptionTypeConfirmWithLink
}

// LinkDraft returns the sign-up confirmation email of a pool that
// ConfirmsByLink: its EmailMessageByLink (or Cognito's default), each
// {##text##} of which becomes a link to link whose text is text.
func LinkDraft(p *idp.UserPoolType, to, username, code, link string) Draft {
	var t idp.VerificationMessageTemplateType
	if p.VerificationMessageTemplate != nil {
		t = *p.VerificationMessageTemplate
	}
	return Draft{
		Base: PoolMessage(p, ChannelEmail, to, PurposeVerification, username), Code: code, Link: link,
		EmailSubject: orDefault(t.EmailSubjectByLink, defaultLinkSubject), EmailBody: orDefault(t.EmailMessageByLink, defaultLinkMessage),
	}
}

// LinkMessage is LinkDraft's message: the link's <a> makes it HTML, so
// the values are escaped.
func LinkMessage(p *idp.UserPoolType, to, username, code, link string) Message {
	return LinkDraft(p, to, username, code, link).Message()
}
