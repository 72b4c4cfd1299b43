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
	// Purpose is one of the Purpose constants.
	Purpose string `json:"purpose"`
	// Username is the recipient's username in the pool.
	Username string `json:"username"`
	// At is when the message was handed to the sender.
	At time.Time `json:"at"`
}

// Sender delivers messages. Send returns once the message is accepted for
// delivery; an error means it was not, and the caller reports it (Cognito
// answers CodeDeliveryFailureException). Implementations must be safe for
// concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
