package messaging

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPSender delivers email through an SMTP server, one connection per
// message. It is safe for concurrent use.
type SMTPSender struct {
	client *gomail.Client
	from   string
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender checks cfg and returns a sender for it. It does not
// connect: each Send dials the server.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: host required")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("smtp: from %q is not an email address", cfg.From)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("smtp: password set without a username")
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d out of range", cfg.Port)
	}
	opts := []gomail.Option{gomail.WithTimeout(timeoutOr(cfg.Timeout))}
	port := cfg.Port
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		port = portOr(port, 25)
	case TLSStartTLS, "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		port = portOr(port, 587)
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
		port = portOr(port, 465)
	default:
		return nil, fmt.Errorf("smtp: tls must be none, starttls or tls, not %q", cfg.TLS)
	}
	opts = append(opts, gomail.WithPort(port))
	if cfg.TLSConfig != nil {
		tc := cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if cfg.Username != "" {
		// Over TLS, take the strongest mechanism the server offers. In
		// clear text only PLAIN is tried, and go-mail refuses it toward
		// anything but localhost rather than expose the password.
		auth := gomail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return &SMTPSender{client: c, from: cfg.From}, nil
}

func portOr(port, def int) int {
	if port == 0 {
		return def
	}
	return port
}

// Send delivers m. The envelope sender is the configured From; the From
// header is the pool's sender (its From, or the address of its SourceArn)
// when it names one, so that replies and display follow the pool while
// the relay sees the address it accepts. The body goes as text/html when
// the message is HTML (Message.HTML), as text/plain otherwise.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("smtp: cannot send %s messages", m.Channel)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.EnvelopeFrom(s.from); err != nil {
		return fmt.Errorf("smtp: envelope sender: %w", err)
	}
	if err := msg.From(senderAddress(m, s.from)); err != nil {
		return fmt.Errorf("smtp: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("smtp: recipient: %w", err)
	}
	if m.Email.ReplyTo != "" {
		if err := msg.ReplyTo(m.Email.ReplyTo); err != nil {
			return fmt.Errorf("smtp: reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	msg.SetDateWithValue(at)
	msg.SetMessageID()
	if m.HTML {
		msg.SetBodyString(gomail.TypeTextHTML, m.Body)
	} else {
		msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}
