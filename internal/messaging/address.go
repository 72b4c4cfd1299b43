package messaging

import (
	"regexp"
	"strings"
)

// sesARN is the parts of an SES identity ARN
// (arn:<partition>:ses:<region>:<account>:identity/<address or domain>).
type sesARN struct {
	region, identity string
}

// parseSESARN splits an SES identity ARN; ok is false for anything else.
func parseSESARN(arn string) (a sesARN, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ses" {
		return sesARN{}, false
	}
	identity, found := strings.CutPrefix(parts[5], "identity/")
	if !found || identity == "" {
		return sesARN{}, false
	}
	return sesARN{region: parts[3], identity: identity}, true
}

// senderAddress returns the From of an email: the pool's From, else the
// address its SourceArn names (Cognito sends as that identity when From
// is not set), else fallback. A SourceArn naming a domain gives no address.
func senderAddress(m Message, fallback string) string {
	if m.Email.From != "" {
		return m.Email.From
	}
	if a, ok := parseSESARN(m.Email.SourceARN); ok && strings.Contains(a.identity, "@") {
		return a.identity
	}
	return fallback
}

// htmlTag matches an opening, closing or self-closing HTML tag: "<p>",
// "</b>", "<br/>", `<a href="…">`. A "<" followed by a space, or an
// address in angle brackets ("<jane@example.com>"), does not match.
var htmlTag = regexp.MustCompile(`<(/?[A-Za-z][A-Za-z0-9]*)(\s[^<>]*)?/?>`)

// IsHTMLTemplate reports whether an email template holds HTML markup.
// Cognito lets a pool's email templates hold HTML and sends them as HTML:
// a template with at least one tag makes an HTML message (Message.HTML),
// any other a plain-text one. It is asked of the template, before any
// value is filled in, never of the filled-in body.
func IsHTMLTemplate(template string) bool { return htmlTag.MatchString(template) }
