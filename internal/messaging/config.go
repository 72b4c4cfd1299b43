package messaging

import (
	"crypto/tls"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// DefaultTimeout bounds one delivery attempt of a real sender when its
// configuration sets no timeout.
const DefaultTimeout = 10 * time.Second

// SMTP TLS modes.
const (
	// TLSNone sends in clear text. Authentication then works only toward
	// localhost, since the password would otherwise cross the network in
	// the clear.
	TLSNone = "none"
	// TLSStartTLS connects in clear text and upgrades with STARTTLS
	// (RFC 3207), refusing servers that do not offer it. Port 587 by
	// default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (RFC 8314). Port 465 by
	// default.
	TLSImplicit = "tls"
)

// Config selects the real senders. Every block is optional; a nil block
// is not configured, and with none configured the Router sends everything
// to the development outbox.
type Config struct {
	// SMTP sends email through an SMTP relay.
	SMTP *SMTPConfig
	// SES sends the email of pools whose EmailSendingAccount is DEVELOPER
	// through Amazon SES.
	SES *SESConfig
	// SNS sends the SMS of pools that have an SmsConfiguration through
	// Amazon SNS.
	SNS *SNSConfig
	// SMSWebhook posts SMS to an HTTPS endpoint of the operator's.
	SMSWebhook *WebhookConfig
	// Observer, when not nil, hears of every delivery the Router attempts.
	Observer Observer
}

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	// Host is the SMTP server's host name or IP address.
	Host string
	// Port is the server's port; 0 means 25, 587 or 465 for the TLS modes
	// none, starttls and tls.
	Port int
	// Username and Password authenticate the client (SASL PLAIN, or the
	// strongest mechanism the server offers over TLS); an empty Username
	// sends without authenticating.
	Username, Password string
	// From is the envelope sender of every message, and the From header of
	// messages whose pool names no sender of its own.
	From string
	// TLS is TLSNone, TLSStartTLS or TLSImplicit; "" means TLSStartTLS.
	TLS string
	// Timeout bounds connecting and each command; 0 means DefaultTimeout.
	Timeout time.Duration
	// TLSConfig overrides the client's TLS settings (for example to trust
	// a private CA); nil verifies the server against the system roots
	// under the name Host.
	TLSConfig *tls.Config
}

// SESConfig configures an SESSender.
type SESConfig struct {
	// Region is the region to call when the pool's SourceArn names none;
	// "" leaves it to the AWS SDK's default chain (AWS_REGION, the shared
	// config file).
	Region string
	// Endpoint overrides the SES endpoint URL (a test double, a VPC
	// endpoint); "" means AWS's endpoint for the region.
	Endpoint string
	// Credentials, when not nil, replace the AWS SDK's default credential
	// chain (environment, shared files, container and instance roles).
	Credentials aws.CredentialsProvider
	// Timeout bounds one SendEmail call, retries included; 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// SNSConfig configures an SNSSender.
type SNSConfig struct {
	// Region is the region to publish in when the pool's SnsRegion is
	// empty; "" leaves it to the AWS SDK's default chain.
	Region string
	// Endpoint overrides the SNS endpoint URL; "" means AWS's.
	Endpoint string
	// Credentials, when not nil, replace the AWS SDK's default chain.
	Credentials aws.CredentialsProvider
	// Timeout bounds one Publish call, retries included; 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// WebhookConfig configures a WebhookSender.
type WebhookConfig struct {
	// URL receives the POSTs. It must be https, except toward localhost
	// (localhost, 127.0.0.0/8, ::1), where http is allowed.
	URL string
	// Secret keys the HMAC-SHA256 signature of each body; required.
	Secret string
	// Timeout bounds one POST; 0 means DefaultTimeout.
	Timeout time.Duration
	// Client, when not nil, is the HTTP client to use (for example one
	// that trusts a private CA). Redirects are never followed either way.
	Client *http.Client
}

// IsZero reports whether no real sender is configured.
func (c Config) IsZero() bool {
	return c.SMTP == nil && c.SES == nil && c.SNS == nil && c.SMSWebhook == nil
}

func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}
