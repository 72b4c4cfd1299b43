package messaging

import (
	"regexp"
	"strconv"
	"strings"
	unicodeutf8 "unicode/utf8"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// The placeholders a CustomMessage function is given, as Cognito gives
// them: request.codeParameter, request.usernameParameter (in the events of
// CustomMessage_AdminCreateUser only) and request.linkParameter. The
// function puts them where the values go; Customize's message fills them.
const (
	CodeParameter     = "{####}"
	UsernameParameter = "{username}"
	LinkParameter     = "{##Click Here##}"
)

// The constraints Cognito checks a CustomMessage function's texts against:
// the API model's patterns and lengths of the templates they stand for
// (EmailVerificationMessageType, EmailVerificationMessageByLinkType,
// EmailVerificationSubjectType, SmsVerificationMessageType). The patterns
// are Java's, where \s is [ \t\n\x0B\f\r] only (a no-break space is not
// one), and a pattern must match the whole text.
const (
	emailBodyPattern    = `[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`
	emailLinkPattern    = `[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`
	emailSubjectPattern = `[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+`
	smsPattern          = `.*\{####\}.*`
	maxEmailBody        = 20000
	maxEmailSubject     = 140
	maxSMS              = 140
)

// javaPattern compiles a Java pattern of the model for a whole-text match
// in Go, with Java's \s.
func javaPattern(p string) *regexp.Regexp {
	return regexp.MustCompile(`^(?:` + strings.ReplaceAll(p, `\s`, `\t\n\x0B\f\r `) + `)$`)
}

var (
	emailBodyRE    = javaPattern(emailBodyPattern)
	emailLinkRE    = javaPattern(emailLinkPattern)
	emailSubjectRE = javaPattern(emailSubjectPattern)
	smsRE          = javaPattern(smsPattern)
)

// Customize returns d with the texts a CustomMessage function answered
// (response.smsMessage, emailSubject and emailMessage) in place of the
// template's. Only the texts of d's channel count, and an empty one keeps
// the template's, as Cognito keeps it.
//
// A text Cognito would refuse is InvalidParameterException, with the
// message Cognito gives ("1 validation error detected: Value '…' at
// 'emailBody' failed to satisfy constraint: …"): an email body must hold
// the code placeholder (in a link message, a {##text##} link placeholder)
// and only letters, marks, symbols, numbers, punctuation and white space,
// at most 20,000 characters; a subject at most 140 characters of the same;
// an SMS the code placeholder, at most 140 characters.
//
// In an invitation (CustomMessage_AdminCreateUser) a text without the
// username placeholder is not used, and the template's goes instead, as
// Cognito does: an invited user needs both the username and the
// temporary password.
func (d Draft) Customize(sms, subject, body string) (Draft, error) {
	var v cognito.Violations
	invitation := d.Base.Purpose == PurposeInvitation
	if d.Base.Channel == ChannelSMS {
		if sms == "" {
			return d, nil
		}
		check(&v, "smsMessage", sms, smsRE, smsPattern, maxSMS)
		if err := v.Err(); err != nil {
			return d, err
		}
		if !invitation || strings.Contains(sms, UsernameParameter) {
			d.SMS = sms
		}
		return d, nil
	}
	if subject != "" {
		check(&v, "emailSubject", subject, emailSubjectRE, emailSubjectPattern, maxEmailSubject)
	}
	if body != "" {
		if d.Link != "" {
			check(&v, "emailBody", body, emailLinkRE, emailLinkPattern, maxEmailBody)
		} else {
			check(&v, "emailBody", body, emailBodyRE, emailBodyPattern, maxEmailBody)
		}
	}
	if err := v.Err(); err != nil {
		return d, err
	}
	if subject != "" {
		d.EmailSubject = subject
	}
	if body != "" && (!invitation || strings.Contains(body, UsernameParameter)) {
		d.EmailBody = body
	}
	return d, nil
}

// check records the violations of text at path: longer than max
// characters, or not matching re (pattern, as the message names it).
func check(v *cognito.Violations, path, text string, re *regexp.Regexp, pattern string, max int) {
	if unicodeutf8.RuneCountInString(text) > max {
		v.Add(path, text, false, "have length less than or equal to "+strconv.Itoa(max))
		return
	}
	if !re.MatchString(text) {
		v.Add(path, text, false, "satisfy regular expression pattern: "+pattern)
	}
}
