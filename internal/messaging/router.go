package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Via names, as Router.Route returns them and Observer hears them.
const (
	ViaOutbox     = "outbox"
	ViaSMTP       = "smtp"
	ViaSES        = "ses"
	ViaSNS        = "sns"
	ViaSMSWebhook = "sms_webhook"
)

// Observer hears of every delivery a Router attempts: the channel (EMAIL,
// SMS), the sender it went through (a Via name) and its error (nil on
// success). cmd/cognate counts them in its metrics; messaging itself knows
// nothing of Prometheus. Implementations must be safe for concurrent use
// and quick: they run on the request's path.
type Observer interface {
	MessageDelivered(channel, via string, err error)
}

// Router is the Sender the engine is given. It picks a sender per
// message, from the pool's settings the message carries and the senders
// configured:
//
//	EMAIL  the pool's EmailSendingAccount is DEVELOPER and SES is configured  -> SES
//	       otherwise, SMTP is configured                                        -> SMTP
//	       otherwise                                                           -> the outbox
//	SMS    the pool has an SmsConfiguration (SnsCallerArn) and SNS is configured -> SNS
//	       otherwise, the SMS webhook is configured                            -> the webhook
//	       otherwise                                                           -> the outbox
//
// It logs every failure (never the body: outside the development outbox
// the body's codes and passwords are secrets) and reports every attempt
// to the Observer. It is safe for concurrent use.
type Router struct {
	outbox                  Sender
	smtp, ses, sns, webhook Sender
	observer                Observer
	log                     *slog.Logger
	onlyOutbox              bool
}

var _ Sender = (*Router)(nil)

// NewRouter builds the senders cfg configures and returns a Router over
// them and outbox. A nil outbox gets a new one that logs to log; a nil log
// means slog.Default(). The error names the first block that is invalid.
func NewRouter(cfg Config, outbox *Outbox, log *slog.Logger) (*Router, error) {
	if log == nil {
		log = slog.Default()
	}
	if outbox == nil {
		outbox = NewOutbox(OutboxOptions{Logger: log})
	}
	r := &Router{outbox: outbox, observer: cfg.Observer, log: log, onlyOutbox: cfg.IsZero()}
	if cfg.SMTP != nil {
		s, err := NewSMTPSender(*cfg.SMTP)
		if err != nil {
			return nil, err
		}
		r.smtp = s
	}
	if cfg.SES != nil {
		s, err := NewSESSender(*cfg.SES)
		if err != nil {
			return nil, err
		}
		r.ses = s
	}
	if cfg.SNS != nil {
		s, err := NewSNSSender(*cfg.SNS)
		if err != nil {
			return nil, err
		}
		r.sns = s
	}
	if cfg.SMSWebhook != nil {
		s, err := NewWebhookSender(*cfg.SMSWebhook)
		if err != nil {
			return nil, err
		}
		r.webhook = s
	}
	return r, nil
}

// OnlyOutbox reports whether no real sender is configured, so that every
// message goes to the development outbox. cmd/cognate serves the outbox's
// messages only then.
func (r *Router) OnlyOutbox() bool { return r.onlyOutbox }

// OutboxChannels lists the channels (EMAIL, SMS) of which some messages go
// to the development outbox: every channel when no sender is configured,
// EMAIL without SMTP (SES carries only DEVELOPER pools' email), SMS without
// the webhook (SNS carries only pools with an SmsConfiguration). cmd/cognate
// warns at start when it is not empty.
func (r *Router) OutboxChannels() []string {
	var chs []string
	if r.smtp == nil {
		chs = append(chs, ChannelEmail)
	}
	if r.webhook == nil {
		chs = append(chs, ChannelSMS)
	}
	return chs
}

// route returns the Via name of the sender m goes through, and the sender.
func (r *Router) route(m Message) (string, Sender, error) {
	switch m.Channel {
	case ChannelEmail:
		switch {
		case m.Email.SendingAccount == EmailSendingAccountDeveloper && r.ses != nil:
			return ViaSES, r.ses, nil
		case r.smtp != nil:
			return ViaSMTP, r.smtp, nil
		}
		return ViaOutbox, r.outbox, nil
	case ChannelSMS:
		switch {
		case m.SMS.SNSCallerARN != "" && r.sns != nil:
			return ViaSNS, r.sns, nil
		case r.webhook != nil:
			return ViaSMSWebhook, r.webhook, nil
		}
		return ViaOutbox, r.outbox, nil
	}
	return "", nil, fmt.Errorf("unknown channel %q", m.Channel)
}

// Route returns the Via name of the sender m would go through, or "" for
// a channel that is neither EMAIL nor SMS.
func (r *Router) Route(m Message) string {
	via, _, _ := r.route(m)
	return via
}

// Send delivers m through the sender Route picks. The delivery is not
// cancelled with ctx: the engine sends after its write has committed, and
// a client that hangs up then should not cut a message half sent. Each
// sender bounds its own time instead.
func (r *Router) Send(ctx context.Context, m Message) error {
	if m.At.IsZero() {
		m.At = time.Now().UTC()
	}
	via, s, err := r.route(m)
	if err == nil {
		err = s.Send(context.WithoutCancel(ctx), m)
	}
	if r.observer != nil {
		r.observer.MessageDelivered(m.Channel, via, err)
	}
	attrs := []slog.Attr{
		slog.String("pool", m.Pool), slog.String("channel", m.Channel), slog.String("via", via),
		slog.String("to", m.To), slog.String("purpose", m.Purpose), slog.String("username", m.Username),
	}
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "message delivery failed", append(attrs, slog.String("error", err.Error()))...)
		if via == "" {
			return fmt.Errorf("deliver message: %w", err)
		}
		return fmt.Errorf("deliver %s message via %s: %w", m.Channel, via, err)
	}
	if via != ViaOutbox { // the outbox logs the message itself
		r.log.LogAttrs(ctx, slog.LevelInfo, "message delivered", attrs...)
	}
	return nil
}
