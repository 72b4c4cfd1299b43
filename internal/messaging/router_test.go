package messaging

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is an in-memory Sender that keeps what it is given and fails
// when told to.
type recorder struct {
	fail error

	mu   sync.Mutex
	msgs []Message
	ctxs []context.Context
}

func (r *recorder) Send(ctx context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	r.ctxs = append(r.ctxs, ctx)
	return r.fail
}

// observed is one MessageDelivered call.
type observed struct {
	Channel, Via string
	Err          bool
}

type observerFunc func(channel, via string, err error)

func (f observerFunc) MessageDelivered(channel, via string, err error) { f(channel, via, err) }

// testRouter returns a Router over recorders for the senders named in
// configured ("smtp", "ses", "sns", "sms_webhook"), keyed by Via name.
func testRouter(configured ...string) (*Router, map[string]*recorder) {
	recs := map[string]*recorder{ViaOutbox: {}}
	r := &Router{outbox: recs[ViaOutbox], log: slog.New(slog.DiscardHandler)}
	for _, via := range configured {
		rec := &recorder{}
		recs[via] = rec
		switch via {
		case ViaSMTP:
			r.smtp = rec
		case ViaSES:
			r.ses = rec
		case ViaSNS:
			r.sns = rec
		case ViaSMSWebhook:
			r.webhook = rec
		}
	}
	return r, recs
}

func TestRouterSelects(t *testing.T) {
	developer := EmailSettings{SendingAccount: EmailSendingAccountDeveloper, SourceARN: "arn:aws:ses:us-east-1:123456789012:identity/a@example.com"}
	cognitoDefault := EmailSettings{SendingAccount: EmailSendingAccountCognitoDefault}
	withSNS := SMSSettings{SNSCallerARN: "arn:aws:iam::123456789012:role/sns"}
	all := []string{ViaSMTP, ViaSES, ViaSNS, ViaSMSWebhook}
	tests := []struct {
		name       string
		configured []string
		channel    string
		email      EmailSettings
		sms        SMSSettings
		want       string
	}{
		{"email, nothing configured", nil, ChannelEmail, developer, SMSSettings{}, ViaOutbox},
		{"email, developer pool, SES configured", all, ChannelEmail, developer, SMSSettings{}, ViaSES},
		{"email, developer pool, SES alone", []string{ViaSES}, ChannelEmail, developer, SMSSettings{}, ViaSES},
		{"email, developer pool, only SMTP", []string{ViaSMTP}, ChannelEmail, developer, SMSSettings{}, ViaSMTP},
		{"email, default pool, all configured", all, ChannelEmail, cognitoDefault, SMSSettings{}, ViaSMTP},
		{"email, pool without configuration, all configured", all, ChannelEmail, EmailSettings{}, SMSSettings{}, ViaSMTP},
		{"email, default pool, only SES", []string{ViaSES}, ChannelEmail, cognitoDefault, SMSSettings{}, ViaOutbox},
		{"email, developer pool, only SMS senders", []string{ViaSNS, ViaSMSWebhook}, ChannelEmail, developer, SMSSettings{}, ViaOutbox},
		{"sms, nothing configured", nil, ChannelSMS, EmailSettings{}, withSNS, ViaOutbox},
		{"sms, pool with SmsConfiguration, all configured", all, ChannelSMS, EmailSettings{}, withSNS, ViaSNS},
		{"sms, pool with SmsConfiguration, only SNS", []string{ViaSNS}, ChannelSMS, EmailSettings{}, withSNS, ViaSNS},
		{"sms, pool without SmsConfiguration, all configured", all, ChannelSMS, EmailSettings{}, SMSSettings{}, ViaSMSWebhook},
		{"sms, pool with SmsConfiguration, only webhook", []string{ViaSMSWebhook}, ChannelSMS, EmailSettings{}, withSNS, ViaSMSWebhook},
		{"sms, pool without SmsConfiguration, only SNS", []string{ViaSNS}, ChannelSMS, EmailSettings{}, SMSSettings{}, ViaOutbox},
		{"sms, only email senders", []string{ViaSMTP, ViaSES}, ChannelSMS, EmailSettings{}, withSNS, ViaOutbox},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen []observed
			r, recs := testRouter(tc.configured...)
			r.observer = observerFunc(func(c, v string, err error) { seen = append(seen, observed{c, v, err != nil}) })
			m := Message{Pool: "us-east-1_abc", Channel: tc.channel, To: "x", Body: "b", Email: tc.email, SMS: tc.sms}
			if got := r.Route(m); got != tc.want {
				t.Errorf("Route = %q, want %q", got, tc.want)
			}
			if err := r.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			for via, rec := range recs {
				want := 0
				if via == tc.want {
					want = 1
				}
				if len(rec.msgs) != want {
					t.Errorf("%s received %d messages, want %d", via, len(rec.msgs), want)
				}
			}
			if diff := cmp.Diff([]observed{{tc.channel, tc.want, false}}, seen); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouterFailure(t *testing.T) {
	var logs bytes.Buffer
	var seen []observed
	r, recs := testRouter(ViaSMTP)
	recs[ViaSMTP].fail = errors.New("smtp: 451 try later")
	r.log = slog.New(slog.NewJSONHandler(&logs, nil))
	r.observer = observerFunc(func(c, v string, err error) { seen = append(seen, observed{c, v, err != nil}) })

	m := emailMessage("Your code is 987654")
	err := r.Send(context.Background(), m)
	if err == nil || err.Error() != "deliver EMAIL message via smtp: smtp: 451 try later" {
		t.Fatalf("Send error = %v", err)
	}
	if !errors.Is(err, recs[ViaSMTP].fail) {
		t.Errorf("error does not wrap the sender's")
	}
	if diff := cmp.Diff([]observed{{ChannelEmail, ViaSMTP, true}}, seen); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	for k, want := range map[string]string{
		"level": "WARN", "msg": "message delivery failed", "via": ViaSMTP, "channel": ChannelEmail,
		"pool": m.Pool, "to": m.To, "purpose": m.Purpose, "username": m.Username, "error": "smtp: 451 try later",
	} {
		if rec[k] != want {
			t.Errorf("log %s = %v, want %q", k, rec[k], want)
		}
	}
	if strings.Contains(logs.String(), "987654") {
		t.Errorf("the log carries the message body: %s", logs.String())
	}
}

func TestRouterUnknownChannel(t *testing.T) {
	var seen []observed
	r, recs := testRouter(ViaSMTP, ViaSNS)
	r.observer = observerFunc(func(c, v string, err error) { seen = append(seen, observed{c, v, err != nil}) })
	err := r.Send(context.Background(), Message{Channel: "VOICE", To: "+1"})
	if err == nil || err.Error() != `deliver message: unknown channel "VOICE"` {
		t.Fatalf("Send error = %v", err)
	}
	for via, rec := range recs {
		if len(rec.msgs) != 0 {
			t.Errorf("%s received a message", via)
		}
	}
	if diff := cmp.Diff([]observed{{"VOICE", "", true}}, seen); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

func TestRouterOutlivesTheRequest(t *testing.T) {
	r, recs := testRouter(ViaSMTP)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Send(ctx, emailMessage("x")); err != nil {
		t.Fatal(err)
	}
	got := recs[ViaSMTP]
	if len(got.ctxs) != 1 || got.ctxs[0].Err() != nil {
		t.Fatalf("the sender got a cancelled context: %v", got.ctxs[0].Err())
	}
	if got.msgs[0].At.IsZero() {
		t.Errorf("At not set")
	}
}

func TestNewRouter(t *testing.T) {
	t.Run("nothing configured", func(t *testing.T) {
		outbox := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
		r, err := NewRouter(Config{}, outbox, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if !r.OnlyOutbox() {
			t.Errorf("OnlyOutbox = false")
		}
		if got := r.OutboxChannels(); !cmp.Equal(got, []string{ChannelEmail, ChannelSMS}) {
			t.Errorf("OutboxChannels = %q, want both", got)
		}
		if err := r.Send(context.Background(), emailMessage("code 1")); err != nil {
			t.Fatal(err)
		}
		if got := bodies(outbox.Messages("jane@example.com")); !cmp.Equal(got, []string{"code 1"}) {
			t.Errorf("outbox holds %q", got)
		}
	})
	t.Run("some channels configured", func(t *testing.T) {
		isolateAWSConfig(t)
		for want, cfg := range map[string]Config{
			ChannelSMS:   {SMTP: &SMTPConfig{Host: "127.0.0.1", From: "no-reply@cognate.test"}, SNS: &SNSConfig{Region: "us-east-1"}},
			ChannelEmail: {SES: &SESConfig{Region: "us-east-1"}, SMSWebhook: &WebhookConfig{URL: "https://sms.example.com", Secret: webhookSecret}},
		} {
			r, err := NewRouter(cfg, nil, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.OutboxChannels(); !cmp.Equal(got, []string{want}) {
				t.Errorf("OutboxChannels = %q, want [%s]", got, want)
			}
		}
	})
	t.Run("invalid block", func(t *testing.T) {
		for want, cfg := range map[string]Config{
			`smtp: from "nobody" is not an email address`:                                                 {SMTP: &SMTPConfig{Host: "h", From: "nobody"}},
			`webhook: url "http://sms.example.com" must be https (http is allowed only toward localhost)`: {SMSWebhook: &WebhookConfig{URL: "http://sms.example.com", Secret: "s"}},
		} {
			if _, err := NewRouter(cfg, nil, nil); err == nil || err.Error() != want {
				t.Errorf("NewRouter error = %v, want %q", err, want)
			}
		}
	})
	t.Run("real senders", func(t *testing.T) {
		isolateAWSConfig(t)
		cert, roots := selfSignedCert(t)
		smtpSrv := startSMTPServer(t, startTLSServer, cert, nil)
		wr, hook := startWebhookReceiver(t, 200)
		outbox := NewOutbox(OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
		var seen []observed
		var mu sync.Mutex
		r, err := NewRouter(Config{
			SMTP:       &SMTPConfig{Host: "127.0.0.1", Port: smtpSrv.port(t), From: "no-reply@cognate.test", TLSConfig: &tls.Config{RootCAs: roots}},
			SNS:        &SNSConfig{Region: "us-east-1", Endpoint: "http://127.0.0.1:1", Credentials: testCredentials},
			SMSWebhook: &WebhookConfig{URL: hook.URL, Secret: webhookSecret, Client: hook.Client()},
			Observer: observerFunc(func(c, v string, err error) {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, observed{c, v, err != nil})
			}),
		}, outbox, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if r.OnlyOutbox() {
			t.Errorf("OnlyOutbox = true")
		}
		if got := r.OutboxChannels(); len(got) != 0 {
			t.Errorf("OutboxChannels = %q, want none", got)
		}
		sms := smsMessage()
		sms.SMS = SMSSettings{} // no SmsConfiguration: the webhook, not SNS
		for _, m := range []Message{emailMessage("email code 111111"), sms} {
			if err := r.Send(context.Background(), m); err != nil {
				t.Fatalf("Send %s: %v", m.Channel, err)
			}
		}
		if got := smtpSrv.received(); len(got) != 1 || parseMail(t, got[0].Data).Body != "email code 111111" {
			t.Errorf("SMTP server received %d messages", len(got))
		}
		if msgs, _, _ := wr.seen(); len(msgs) != 1 || msgs[0].Body != sms.Body {
			t.Errorf("webhook received %+v", msgs)
		}
		if got := outbox.Messages(""); len(got) != 0 {
			t.Errorf("outbox received %d messages", len(got))
		}
		want := []observed{{ChannelEmail, ViaSMTP, false}, {ChannelSMS, ViaSMSWebhook, false}}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("observed (-want +got):\n%s", diff)
		}
	})
}

func TestIsHTMLTemplate(t *testing.T) {
	for body, want := range map[string]bool{
		"Your code is {####}. ":                        false,
		"Your code is 123456":                          false,
		"<p>Your code</p>":                             true,
		"Line one<br>line two":                         true,
		"Line one<br/>line two":                        true,
		`<a href="https://example.com">verify</a>`:     true,
		"Write to <help@example.com> for help":         false,
		"3 < 4 and 5 > 2":                              false,
		"<!DOCTYPE html><html><body>x</body></html>":   true,
		"Your username is {username} and code {####}.": false,
	} {
		if got := IsHTMLTemplate(body); got != want {
			t.Errorf("IsHTMLTemplate(%q) = %v, want %v", body, got, want)
		}
	}
}

func TestSenderAddress(t *testing.T) {
	for name, tc := range map[string]struct {
		email EmailSettings
		want  string
	}{
		"From wins":            {EmailSettings{From: "A <a@example.com>", SourceARN: "arn:aws:ses:us-east-1:1:identity/b@example.com"}, "A <a@example.com>"},
		"SourceArn address":    {EmailSettings{SourceARN: "arn:aws:ses:us-east-1:1:identity/b@example.com"}, "b@example.com"},
		"SourceArn domain":     {EmailSettings{SourceARN: "arn:aws:ses:us-east-1:1:identity/example.com"}, "fallback@x.test"},
		"not an SES ARN":       {EmailSettings{SourceARN: "arn:aws:sns:us-east-1:1:identity/b@example.com"}, "fallback@x.test"},
		"nothing":              {EmailSettings{}, "fallback@x.test"},
		"GovCloud SourceArn":   {EmailSettings{SourceARN: "arn:aws-us-gov:ses:us-gov-west-1:1:identity/c@example.com"}, "c@example.com"},
		"truncated SourceArn":  {EmailSettings{SourceARN: "arn:aws:ses:us-east-1"}, "fallback@x.test"},
		"SourceArn, no prefix": {EmailSettings{SourceARN: "arn:aws:ses:us-east-1:1:b@example.com"}, "fallback@x.test"},
	} {
		if got := senderAddress(Message{Email: tc.email}, "fallback@x.test"); got != tc.want {
			t.Errorf("%s: senderAddress = %q, want %q", name, got, tc.want)
		}
	}
}
