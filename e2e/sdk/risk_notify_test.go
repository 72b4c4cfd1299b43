package sdk

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/emersion/go-smtp"

	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/messaging"
)

// caughtMail is one message the SMTP catcher received.
type caughtMail struct {
	To, From, Subject, ContentType, Body string
}

// mailCatcher is a real SMTP server on 127.0.0.1 that keeps what it
// receives.
type mailCatcher struct {
	// mu guards mails.
	mu    sync.Mutex
	mails []caughtMail
}

type mailCatcherSession struct {
	c  *mailCatcher
	to []string
}

func (s *mailCatcherSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailCatcherSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailCatcherSession) Reset()        { s.to = nil }
func (s *mailCatcherSession) Logout() error { return nil }
func (s *mailCatcherSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		if body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err != nil {
			return err
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	for _, to := range s.to {
		s.c.mails = append(s.c.mails, caughtMail{To: to, From: m.Header.Get("From"), Subject: subject, ContentType: m.Header.Get("Content-Type"), Body: string(body)})
	}
	return nil
}

// startMailCatcher starts the server and returns the SMTP configuration
// that sends to it.
// mailingRiskEnv is riskEnvOn with the pools' email sent to a real SMTP
// server, the returned catcher.
func mailingRiskEnv(t *testing.T, name string) (*mailCatcher, *userEnv, *forwardedFor) {
	t.Helper()
	catcher, smtpCfg := startMailCatcher(t)
	outbox := messaging.NewOutbox(messaging.OutboxOptions{Logger: slog.New(slog.DiscardHandler)})
	router, err := messaging.NewRouter(messaging.Config{SMTP: smtpCfg}, outbox, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e, from := riskEnvOn(t, name, directory.Options{Sender: router}, outbox, nil)
	return catcher, e, from
}

// notifyingActions are account-takeover actions that notify at every
// risk level: Low lets the sign-in through, Medium asks for a second
// factor if the user has one, High blocks.
func notifyingActions() *types.AccountTakeoverActionsType {
	notify := func(a types.AccountTakeoverEventActionType) *types.AccountTakeoverActionType {
		return &types.AccountTakeoverActionType{EventAction: a, Notify: true}
	}
	return &types.AccountTakeoverActionsType{
		LowAction:    notify(types.AccountTakeoverEventActionTypeNoAction),
		MediumAction: notify(types.AccountTakeoverEventActionTypeMfaIfConfigured),
		HighAction:   notify(types.AccountTakeoverEventActionTypeBlock),
	}
}

func startMailCatcher(t *testing.T) (*mailCatcher, *messaging.SMTPConfig) {
	t.Helper()
	c := &mailCatcher{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailCatcherSession{c: c}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c, &messaging.SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "no-reply@example.com", TLS: "none"}
}

// wait returns the first message to to whose subject contains subject and
// that arrived after the first after messages, waiting for it.
func (c *mailCatcher) wait(t *testing.T, after int, to, subject string) caughtMail {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c.mu.Lock()
		for _, m := range c.mails[min(after, len(c.mails)):] {
			if m.To == to && strings.Contains(m.Subject, subject) {
				c.mu.Unlock()
				return m
			}
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no message to %s about %q reached the SMTP server", to, subject)
		}
	}
}

// count is how many messages the server has received.
func (c *mailCatcher) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mails)
}

// feedbackLink is what a notification's one-click link carries.
type feedbackLink struct {
	pool, username, eventID, token, value string
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<]+/authEventFeedback\?[^\s"<]+`)

// feedbackLinks returns the one-click links of body (HTML-escaped ones
// unescaped).
func feedbackLinks(t *testing.T, body string) []feedbackLink {
	t.Helper()
	var out []feedbackLink
	for _, raw := range linkPattern.FindAllString(body, -1) {
		u, err := url.Parse(strings.ReplaceAll(raw, "&amp;", "&"))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		out = append(out, feedbackLink{pool: q.Get("user_pool_id"), username: q.Get("username"), eventID: q.Get("event_id"),
			token: q.Get("feedback_token"), value: q.Get("feedback_value")})
	}
	if len(out) != 2 || out[0].value != "Valid" || out[1].value != "Invalid" || out[0].token == "" || out[0].token != out[1].token {
		t.Fatalf("links of %q = %+v, want a Valid and an Invalid one with the same token", body, out)
	}
	return out
}

// TestRiskNotificationThroughSDK signs users in, from addresses the test
// picks, to a pool whose every risk level notifies: Low lets the sign-in
// through and sends NoActionEmail, Medium asks for an email code and
// sends MfaEmail, a blocked range refuses and sends BlockEmail; each
// email reaches a real SMTP server with the placeholders filled and the
// one-click links carrying the event's feedback token.
// UpdateAuthEventFeedback with that token sets the event's feedback, which
// AdminListUserAuthEvents shows; a wrong token, another event's or another
// user's, and a used one are refused with NotAuthorizedException.
func TestRiskNotificationThroughSDK(t *testing.T) {
	for _, name := range backendNames {
		t.Run(name, func(t *testing.T) {
			catcher, e, from := mailingRiskEnv(t, name)
			ctx := context.Background()
			s := e.selfServicePool(t, &cip.CreateUserPoolInput{
				UserPoolTier:   types.UserPoolTierTypePlus,
				UserPoolAddOns: &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced},
			}, &cip.CreateUserPoolClientInput{ExplicitAuthFlows: signInFlows})
			if _, err := e.c.SetUserPoolMfaConfig(ctx, mfaConfig(s.pool, types.UserPoolMfaTypeOptional)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: s.pool,
				AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{
					Actions: notifyingActions(),
					NotifyConfiguration: &types.NotifyConfigurationType{
						From: aws.String("Security <security@example.com>"), ReplyTo: aws.String("help@example.com"),
						SourceArn: aws.String("arn:aws:ses:us-east-1:123456789012:identity/example.com"),
						NoActionEmail: &types.NotifyEmailType{Subject: aws.String("Sign-in by {username}"),
							TextBody: aws.String("From {ip-address} at {login-time}, event {event-id}.\nYes: {one-click-link-valid}\nNo: {one-click-link-invalid}\n")},
						BlockEmail: &types.NotifyEmailType{Subject: aws.String("Blocked sign-in"),
							HtmlBody: aws.String(`<p>Blocked {username} from {ip-address}.</p><a href="{one-click-link-valid}">me</a> <a href="{one-click-link-invalid}">not me</a>`)},
						// MfaEmail left out: cognate's default text.
					},
				},
				RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"203.0.113.0/24"}},
			}); err != nil {
				t.Fatal(err)
			}
			s.signInUser(t, "rita", signInPassword, "email", "rita@example.com", "email_verified", "true")
			s.signInUser(t, "sam", signInPassword, "email", "sam@example.com", "email_verified", "true")
			events := func(user string) []types.AuthEventType {
				t.Helper()
				out, err := e.c.AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{UserPoolId: s.pool, Username: aws.String(user)})
				if err != nil {
					t.Fatal(err)
				}
				return out.AuthEvents
			}
			feedback := func(user string, l feedbackLink, value types.FeedbackValueType) error {
				_, err := e.c.UpdateAuthEventFeedback(ctx, &cip.UpdateAuthEventFeedbackInput{UserPoolId: s.pool, Username: aws.String(user),
					EventId: aws.String(l.eventID), FeedbackToken: aws.String(l.token), FeedbackValue: value})
				return err
			}

			// Low (no device): tokens, and NoActionEmail.
			from.addr.Store("192.0.2.10")
			n := catcher.count()
			out, err := s.passwordAuth("rita", signInPassword)
			mustTokens(t, out.AuthenticationResult, err, true)
			m := catcher.wait(t, n, "rita@example.com", "Sign-in by rita")
			if !strings.Contains(m.From, "security@example.com") || !strings.HasPrefix(m.ContentType, "text/plain") || !strings.Contains(m.Body, "From 192.0.2.10 at ") {
				t.Errorf("NoActionEmail = %+v", m)
			}
			low := feedbackLinks(t, m.Body)
			ev := events("rita")[0]
			if low[0].eventID != aws.ToString(ev.EventId) || !strings.Contains(m.Body, "event "+low[0].eventID) || low[0].pool != aws.ToString(s.pool) || low[0].username != "rita" {
				t.Errorf("links %+v, body %q; want the event %s", low, m.Body, aws.ToString(ev.EventId))
			}

			// A wrong token, the token for another user, an unknown event:
			// refused alike, and the event keeps no feedback.
			wrong := low[1]
			wrong.token = strings.Repeat("A", len(wrong.token))
			wantAPIError(t, feedback("rita", wrong, types.FeedbackValueTypeInvalid), "NotAuthorizedException", "Invalid feedback token.")
			wantAPIError(t, feedback("sam", low[1], types.FeedbackValueTypeInvalid), "NotAuthorizedException", "Invalid feedback token.")
			wantAPIError(t, feedback("nobody", low[1], types.FeedbackValueTypeInvalid), "NotAuthorizedException", "Invalid feedback token.")
			if fb := events("rita")[0].EventFeedback; fb != nil {
				t.Errorf("EventFeedback after refused tokens = %+v", fb)
			}
			// The link's token: the event says Invalid, by the user.
			if err := feedback("rita", low[1], types.FeedbackValueTypeInvalid); err != nil {
				t.Fatal(err)
			}
			if fb := events("rita")[0].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeInvalid || aws.ToString(fb.Provider) != "User" || fb.FeedbackDate == nil {
				t.Errorf("EventFeedback = %+v, want Invalid from User", fb)
			}
			// Used once: refused the second time.
			wantAPIError(t, feedback("rita", low[0], types.FeedbackValueTypeValid), "NotAuthorizedException", "Invalid feedback token.")

			// A blocked range: Cognito's refusal, and BlockEmail in HTML.
			from.addr.Store("203.0.113.7")
			n = catcher.count()
			_, err = s.passwordAuth("rita", signInPassword)
			wantAPIError(t, err, "NotAuthorizedException", "Unable to login because of security reasons.")
			m = catcher.wait(t, n, "rita@example.com", "Blocked sign-in")
			if !strings.HasPrefix(m.ContentType, "text/html") || !strings.Contains(m.Body, "<p>Blocked rita from 203.0.113.7.</p>") {
				t.Errorf("BlockEmail = %+v", m)
			}
			blocked := feedbackLinks(t, m.Body)
			ev = events("rita")[0]
			if ev.EventResponse != types.EventResponseTypeFail || blocked[0].eventID != aws.ToString(ev.EventId) {
				t.Errorf("blocked event %+v, links %+v", ev, blocked)
			}
			// Another event's token does not serve this one.
			other := blocked[0]
			other.token = low[0].token
			wantAPIError(t, feedback("rita", other, types.FeedbackValueTypeValid), "NotAuthorizedException", "Invalid feedback token.")
			if err := feedback("rita", blocked[0], types.FeedbackValueTypeValid); err != nil {
				t.Fatal(err)
			}
			if fb := events("rita")[0].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeValid {
				t.Errorf("EventFeedback of the blocked event = %+v", fb)
			}

			// Medium (a new address, no device): an email code, and the
			// default MfaEmail when the challenge opens; the answer's event
			// is the one the links name.
			from.addr.Store("198.51.100.20")
			n = catcher.count()
			out, err = s.passwordAuth("rita", signInPassword)
			wantChallenge(t, out.ChallengeName, out.Session, err, types.ChallengeNameTypeEmailOtp)
			m = catcher.wait(t, n, "rita@example.com", "second factor")
			if !strings.Contains(m.Body, "Hello rita") || !strings.Contains(m.Body, "198.51.100.20") {
				t.Errorf("default MfaEmail = %+v", m)
			}
			mfaLinks := feedbackLinks(t, m.Body)
			if ev := events("rita")[0]; ev.EventResponse != types.EventResponseTypeInProgress || aws.ToString(ev.EventId) != mfaLinks[0].eventID {
				t.Errorf("event while the code is pending = %+v, want InProgress %s", ev, mfaLinks[0].eventID)
			}
			code := catcher.wait(t, n, "rita@example.com", "code")
			res, err := s.respond(types.ChallengeNameTypeEmailOtp, out.Session, map[string]string{"USERNAME": "rita", "EMAIL_OTP_CODE": sixDigits.FindString(code.Body)})
			if err != nil {
				t.Fatal(err)
			}
			mustTokens(t, res.AuthenticationResult, nil, true)
			list := events("rita")
			if ev := list[0]; ev.EventResponse != types.EventResponseTypePass || aws.ToString(ev.EventId) != mfaLinks[0].eventID ||
				ev.EventRisk == nil || ev.EventRisk.RiskLevel != types.RiskLevelTypeMedium || len(ev.ChallengeResponses) != 2 {
				t.Errorf("event after the code = %+v, want Pass, Medium, %s", ev, mfaLinks[0].eventID)
			}
			if len(list) != 3 {
				t.Errorf("%d events, want 3 (one per sign-in)", len(list))
			}
			if err := feedback("rita", mfaLinks[0], types.FeedbackValueTypeValid); err != nil {
				t.Fatal(err)
			}
			if fb := events("rita")[0].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeValid {
				t.Errorf("EventFeedback of the MFA sign-in = %+v", fb)
			}
		})
	}
}
