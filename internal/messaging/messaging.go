package messaging

import (
	"context"
	"time"
)

// Channels a message travels by; the values are Cognito's DeliveryMediumType.
const (
	ChannelEmail = "EMAIL"
	ChannelSMS   = "SMS"
)

// Purposes say why a message was sent.
const (
	// PurposeInvitation is AdminCreateUser's welcome message with the
	// temporary password.
	PurposeInvitation = "invitation"
	// PurposeVerification carries a code that verifies an email address or
	// phone number.
	PurposeVerification = "verification"
	// PurposeForgotPassword carries a code that sets a new password
	// (ForgotPassword, AdminResetUserPassword).
	PurposeForgotPassword = "forgot-password"
	// PurposeMFA carries the code of a sign-in's second factor (SMS_MFA,
	// EMAIL_OTP).
	PurposeMFA = "mfa"
)

// Message is one email or SMS on its way to a user.
type Message struct {
	// Pool is the ID of the user pool the message is about.
	Pool string `json:"pool"`
	// Channel is ChannelEmail or ChannelSMS.
	Channel string `json:"channel"`
	// To is the email address or E.164 phone number.
	To string `json:"to"`
	// Subject is the email subject ("" for SMS).
	Subject string `json:"subject,omitempty"`
	// Body is the text, with every placeholder already filled in.
	Body string `json:"body"`
	// HTML says the body is HTML, sent as text/html: the email template it
	// was filled from holds markup, and every value put into it (username,
	// code, temporary password) was escaped for HTML. Whether a body is
	// HTML is decided by the template alone, so that a value a user chose
	// can never turn a plain-text message into HTML.
	HTML bool `json:"html,omitempty"`
	// Purpose is one of the Purpose constants.
	Purpose string `json:"purpose"`
	// Username is the recipient's username in the pool.
	Username string `json:"username"`
	// At is when the message was handed to the sender.
	At time.Time `json:"at"`
	// HandedOff says the pool's custom sender function (CustomEmailSender,
	// CustomSMSSender) received the message's code: cognate sends nothing.
	HandedOff bool `json:"-"`

	// Email is the pool's EmailConfiguration, for EMAIL messages. It is
	// optional: the zero value means Cognito's defaults (COGNITO_DEFAULT,
	// no custom sender). It stays out of the JSON the outbox and the SMS
	// webhook show.
	Email EmailSettings `json:"-"`
	// SMS is the pool's SmsConfiguration, for SMS messages. It is
	// optional: the zero value means the pool has none.
	SMS SMSSettings `json:"-"`
}

// EmailSendingAccount values, Cognito's EmailSendingAccountType.
const (
	EmailSendingAccountCognitoDefault = "COGNITO_DEFAULT"
	EmailSendingAccountDeveloper      = "DEVELOPER"
)

// EmailSettings carries the fields of a pool's EmailConfiguration that
// decide how its email leaves. The engine copies them verbatim; the Router
// and the senders interpret them.
type EmailSettings struct {
	// SendingAccount is EmailSendingAccount: COGNITO_DEFAULT ("" means the
	// same) or DEVELOPER. DEVELOPER pools send through Amazon SES when it
	// is configured.
	SendingAccount string
	// From is the sender, an address or "Name <address>"; "" means the
	// address of SourceARN, then the configured default.
	From string
	// ReplyTo is ReplyToEmailAddress.
	ReplyTo string
	// SourceARN is the ARN of the SES identity the pool sends as
	// (arn:aws:ses:<region>:<account>:identity/<address or domain>).
	SourceARN string
	// ConfigurationSet is the SES configuration set to apply.
	ConfigurationSet string
}

// SMSSettings carries the fields of a pool's SmsConfiguration that decide
// how its SMS leave.
type SMSSettings struct {
	// SNSCallerARN is SnsCallerArn; a pool that sets it sends SMS through
	// Amazon SNS when SNS is configured.
	SNSCallerARN string
	// ExternalID is ExternalId (kept for completeness; cognate publishes
	// with its own credentials and does not assume SNSCallerARN).
	ExternalID string
	// SNSRegion is SnsRegion, the region to publish in; "" means the
	// configured region.
	SNSRegion string
}

// Sender delivers messages. Send returns once the message is accepted for
// delivery; an error means it was not, and the caller reports it (Cognito
// answers CodeDeliveryFailureException). Implementations must be safe for
// concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
