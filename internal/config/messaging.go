package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MessagingConfig selects how email and SMS leave. Every block is
// optional: a block with no key set is off, and with all of them off every
// message goes to the development outbox.
type MessagingConfig struct {
	// SMTP sends email through an SMTP relay. It is on when any of its
	// keys is set.
	SMTP SMTPConfig `yaml:"smtp,omitempty"`
	// SES sends the email of pools whose EmailSendingAccount is DEVELOPER
	// through Amazon SES. It is on when region or endpoint is set.
	SES AWSEndpointConfig `yaml:"ses,omitempty"`
	// SNS sends the SMS of pools with an SmsConfiguration through Amazon
	// SNS. It is on when region or endpoint is set.
	SNS AWSEndpointConfig `yaml:"sns,omitempty"`
	// SMSWebhook posts SMS, signed, to an HTTPS endpoint. It is on when
	// url or secret is set.
	SMSWebhook WebhookConfig `yaml:"sms_webhook,omitempty"`
	// Outbox says who may read the development outbox, where messages no
	// configured sender carries go.
	Outbox OutboxConfig `yaml:"outbox,omitempty"`
}

// OutboxConfig says where the development outbox's messages (reset codes,
// temporary passwords) may be read besides the API listener, which serves
// them only to this machine's requests when it listens on loopback, and to
// requests signed with the admin key pair.
type OutboxConfig struct {
	// Listen is a host:port on which a listener of its own serves the
	// outbox alone, to requests from this machine. It must be loopback
	// unless UnsafeServeToAnyone is set.
	Listen string `yaml:"listen,omitempty"`
	// UnsafeServeToAnyone serves the outbox to every client that reaches
	// the API listener (or Listen), wherever it listens, without any
	// check: anyone who can reach the server can then read any user's
	// reset code and take the account over. For isolated test networks
	// only.
	UnsafeServeToAnyone bool `yaml:"unsafe_serve_to_anyone,omitempty"`
}

// SMTP TLS modes, as SMTPConfig.TLS takes them.
const (
	SMTPTLSNone     = "none"
	SMTPTLSStartTLS = "starttls"
	SMTPTLSImplicit = "tls"
)

var smtpTLSModes = []string{SMTPTLSNone, SMTPTLSStartTLS, SMTPTLSImplicit}

// SMTPConfig is an SMTP relay.
type SMTPConfig struct {
	// Host is the relay's host name or address.
	Host string `yaml:"host"`
	// Port defaults to 587, 465 or 25 for TLS starttls, tls and none.
	Port int `yaml:"port"`
	// Username and Password log in; both or neither.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// From is the envelope sender, and the From header of email from pools
	// that name no sender.
	From string `yaml:"from"`
	// TLS is starttls (the default), tls (implicit) or none.
	TLS string `yaml:"tls"`
	// Timeout bounds connecting and each command; default 10s.
	Timeout Duration `yaml:"timeout"`
}

// Enabled reports whether any key of the block is set.
func (s SMTPConfig) Enabled() bool { return s != SMTPConfig{} }

// AWSEndpointConfig says where to call an AWS service. Credentials come
// from the AWS SDK's default chain (environment, shared files, container
// and instance roles).
type AWSEndpointConfig struct {
	// Region is the region to call when the pool does not name one.
	Region string `yaml:"region"`
	// Endpoint replaces AWS's endpoint URL (a VPC endpoint, a stand-in).
	Endpoint string `yaml:"endpoint"`
}

// Enabled reports whether any key of the block is set.
func (a AWSEndpointConfig) Enabled() bool { return a != AWSEndpointConfig{} }

// WebhookConfig is an HTTPS endpoint that receives signed POSTs.
type WebhookConfig struct {
	// URL must be https, or http toward localhost.
	URL string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of each body.
	Secret Secret `yaml:"secret"`
}

// Enabled reports whether any key of the block is set.
func (w WebhookConfig) Enabled() bool { return w != WebhookConfig{} }

// Messaging defaults and limits.
const (
	// DefaultMessagingTimeout bounds one SMTP delivery.
	DefaultMessagingTimeout = 10 * time.Second
	// MinWebhookSecret is the shortest webhook secret Validate accepts.
	MinWebhookSecret = 16
)

// applyDefaults fills the SMTP block's unset keys, when the block is on.
func (m *MessagingConfig) applyDefaults() {
	s := &m.SMTP
	if !s.Enabled() {
		return
	}
	setDefault(&s.TLS, SMTPTLSStartTLS)
	switch s.TLS {
	case SMTPTLSStartTLS:
		setDefault(&s.Port, 587)
	case SMTPTLSImplicit:
		setDefault(&s.Port, 465)
	case SMTPTLSNone:
		setDefault(&s.Port, 25)
	}
	setDefault(&s.Timeout, Duration(DefaultMessagingTimeout))
}

// validate adds a problem, prefixed with its key path, for every invalid
// key of the blocks that are on.
func (m *MessagingConfig) validate(add func(key, format string, args ...any)) {
	if s := m.SMTP; s.Enabled() {
		if s.Host == "" {
			add("messaging.smtp.host", "required")
		}
		if s.Port < 0 || s.Port > 65535 {
			add("messaging.smtp.port", "must be between 1 and 65535")
		}
		if s.From == "" {
			add("messaging.smtp.from", "required")
		} else if _, err := mail.ParseAddress(s.From); err != nil {
			add("messaging.smtp.from", "%q is not an email address", s.From)
		}
		if (s.Username == "") != (s.Password == "") {
			add("messaging.smtp", "username and password must be set together")
		}
		if !slices.Contains(smtpTLSModes, s.TLS) {
			add("messaging.smtp.tls", "must be none, starttls or tls, not %q", s.TLS)
		} else if s.TLS == SMTPTLSNone && s.Username != "" && !isLocalhost(s.Host) {
			add("messaging.smtp.tls", "none would send the password in clear text; allowed only toward localhost")
		}
		if s.Timeout <= 0 {
			add("messaging.smtp.timeout", "must be positive")
		}
	}
	for _, a := range []struct {
		key string
		cfg AWSEndpointConfig
	}{{"messaging.ses", m.SES}, {"messaging.sns", m.SNS}} {
		if !a.cfg.Enabled() {
			continue
		}
		switch {
		case a.cfg.Region == "":
			add(a.key+".region", "required")
		case !regionPattern.MatchString(a.cfg.Region):
			add(a.key+".region", "%q is not a valid region name", a.cfg.Region)
		}
		if a.cfg.Endpoint != "" {
			if u, err := url.Parse(a.cfg.Endpoint); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				add(a.key+".endpoint", "must be an http or https URL")
			}
		}
	}
	if l := m.Outbox.Listen; l != "" {
		switch {
		case !validListen(l):
			add("messaging.outbox.listen", "must be host:port")
		case !loopbackHost(l) && !m.Outbox.UnsafeServeToAnyone:
			add("messaging.outbox.listen", "must be a loopback address (localhost, 127.0.0.1 or [::1]): "+
				"the outbox holds reset codes and temporary passwords (messaging.outbox.unsafe_serve_to_anyone allows any address)")
		}
	}
	if w := m.SMSWebhook; w.Enabled() {
		if err := checkWebhookURL(w.URL); err != nil {
			add("messaging.sms_webhook.url", "%v", err)
		}
		if len(w.Secret) < MinWebhookSecret {
			add("messaging.sms_webhook.secret", "must be at least %d characters", MinWebhookSecret)
		}
	}
}

// checkWebhookURL accepts an absolute https URL, or http toward localhost.
func checkWebhookURL(s string) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("must be https (http only toward localhost)")
}

// isLocalhost reports whether host is one of the names the SMTP client
// lets a password cross unencrypted to.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redacted returns m with its secrets replaced by "REDACTED".
func (m MessagingConfig) redacted() MessagingConfig {
	if m.SMTP.Password != "" {
		m.SMTP.Password = redacted
	}
	if m.SMSWebhook.Secret != "" {
		m.SMSWebhook.Secret = redacted
	}
	return m
}

// logValue returns the blocks that are on, for Config.LogValue; a handler
// drops the group when it is empty.
func (m MessagingConfig) logValue() slog.Value {
	var attrs []slog.Attr
	if s := m.SMTP; s.Enabled() {
		attrs = append(attrs, slog.Group("smtp",
			slog.String("host", s.Host), slog.Int("port", s.Port), slog.String("username", s.Username),
			slog.String("password", s.Password.String()), slog.String("from", s.From),
			slog.String("tls", s.TLS), slog.String("timeout", s.Timeout.String())))
	}
	if m.SES.Enabled() {
		attrs = append(attrs, slog.Group("ses", slog.String("region", m.SES.Region), slog.String("endpoint", m.SES.Endpoint)))
	}
	if m.SNS.Enabled() {
		attrs = append(attrs, slog.Group("sns", slog.String("region", m.SNS.Region), slog.String("endpoint", m.SNS.Endpoint)))
	}
	if w := m.SMSWebhook; w.Enabled() {
		attrs = append(attrs, slog.Group("sms_webhook", slog.String("url", w.URL), slog.String("secret", w.Secret.String())))
	}
	if o := m.Outbox; o != (OutboxConfig{}) {
		attrs = append(attrs, slog.Group("outbox", slog.String("listen", o.Listen), slog.Bool("unsafe_serve_to_anyone", o.UnsafeServeToAnyone)))
	}
	return slog.GroupValue(attrs...)
}

// messagingSettings are the messaging keys the environment (and flags)
// can set.
var messagingSettings = []setting{
	{"messaging.smtp.host", "COGNATE_SMTP_HOST", setString(func(c *Config) *string { return &c.Messaging.SMTP.Host })},
	{"messaging.smtp.port", "COGNATE_SMTP_PORT", func(c *Config, s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("must be an integer")
		}
		c.Messaging.SMTP.Port = n
		return nil
	}},
	{"messaging.smtp.username", "COGNATE_SMTP_USERNAME", setString(func(c *Config) *string { return &c.Messaging.SMTP.Username })},
	{"messaging.smtp.password", "COGNATE_SMTP_PASSWORD", func(c *Config, s string) error {
		c.Messaging.SMTP.Password = Secret(s)
		return nil
	}},
	{"messaging.smtp.from", "COGNATE_SMTP_FROM", setString(func(c *Config) *string { return &c.Messaging.SMTP.From })},
	{"messaging.smtp.tls", "COGNATE_SMTP_TLS", setString(func(c *Config) *string { return &c.Messaging.SMTP.TLS })},
	{"messaging.smtp.timeout", "COGNATE_SMTP_TIMEOUT", func(c *Config, s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return errDuration
		}
		c.Messaging.SMTP.Timeout = d
		return nil
	}},
	{"messaging.ses.region", "COGNATE_SES_REGION", setString(func(c *Config) *string { return &c.Messaging.SES.Region })},
	{"messaging.ses.endpoint", "COGNATE_SES_ENDPOINT", setString(func(c *Config) *string { return &c.Messaging.SES.Endpoint })},
	{"messaging.sns.region", "COGNATE_SNS_REGION", setString(func(c *Config) *string { return &c.Messaging.SNS.Region })},
	{"messaging.sns.endpoint", "COGNATE_SNS_ENDPOINT", setString(func(c *Config) *string { return &c.Messaging.SNS.Endpoint })},
	{"messaging.sms_webhook.url", "COGNATE_SMS_WEBHOOK_URL", setString(func(c *Config) *string { return &c.Messaging.SMSWebhook.URL })},
	{"messaging.sms_webhook.secret", "COGNATE_SMS_WEBHOOK_SECRET", func(c *Config, s string) error {
		c.Messaging.SMSWebhook.Secret = Secret(s)
		return nil
	}},
	{"messaging.outbox.listen", "COGNATE_OUTBOX_LISTEN", setString(func(c *Config) *string { return &c.Messaging.Outbox.Listen })},
	{"messaging.outbox.unsafe_serve_to_anyone", "COGNATE_OUTBOX_UNSAFE_SERVE_TO_ANYONE", func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.Messaging.Outbox.UnsafeServeToAnyone = b
		return nil
	}},
}

// String describes the blocks that are on, for start-up output: "smtp
// (mail.example.com:587, starttls), ses (eu-west-1)", or "" when none is.
func (m MessagingConfig) String() string {
	var parts []string
	if s := m.SMTP; s.Enabled() {
		parts = append(parts, fmt.Sprintf("smtp (%s, %s)", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), s.TLS))
	}
	if m.SES.Enabled() {
		parts = append(parts, fmt.Sprintf("ses (%s)", m.SES.Region))
	}
	if m.SNS.Enabled() {
		parts = append(parts, fmt.Sprintf("sns (%s)", m.SNS.Region))
	}
	if m.SMSWebhook.Enabled() {
		parts = append(parts, "sms_webhook")
	}
	return strings.Join(parts, ", ")
}
