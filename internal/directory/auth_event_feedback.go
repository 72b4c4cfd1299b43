package directory

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is threat protection's notification emails and the user's
// feedback on them (docs/threat-protection.md): a sign-in whose risk meets
// an action with Notify gets an email built from the risk configuration's
// NotifyConfiguration, whose one-click links carry a feedback token; the
// event keeps only a keyed MAC of that token, and UpdateAuthEventFeedback
// accepts the token once.

// PurposeRiskNotification is the Purpose of a threat-protection
// notification email.
const PurposeRiskNotification = "risk-notification"

// FeedbackPath is the path, under the server's public URL, of the page the
// notification's one-click links open (served by the hosted UI edge).
const FeedbackPath = "/authEventFeedback"

// storedAuthEvent is the Data of an auth_event item: the event as
// AdminListUserAuthEvents returns it, and the MAC of the feedback token a
// notification carried ("" when none was sent, or once it was used).
// Readers that decode the Data as idp.AuthEventType never see the MAC.
type storedAuthEvent struct {
	idp.AuthEventType
	FeedbackMAC string `json:"feedback_mac,omitempty"`
}

// NewFeedbackToken returns a fresh feedback token: 256 random bits,
// base64url without padding.
func NewFeedbackToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// feedbackMAC is what the store keeps of the feedback token of the event
// eventID of the user sub in pool: an HMAC under the key of one-time codes,
// which is not in the store, bound to the pool, the user and the event, so
// that a token is good for its own event only.
func (s *Service) feedbackMAC(pool, sub, eventID, token string) string {
	return s.codes.mac("auth-event-feedback", pool, sub, eventID, token)
}

// RecordNotifiedAuthEventIn is RecordAuthEventIn for an event whose
// notification carries token: the event keeps the token's MAC. The caller
// exports the event (ExportAuthEvent) once tx has committed.
func (s *Service) RecordNotifiedAuthEventIn(ctx context.Context, tx storage.Tx, pool *userpool.SignInPool, sub string, ev *idp.AuthEventType, token string) error {
	if !pool.RecordsAuthEvents {
		return nil
	}
	return s.writeAuthEvent(ctx, tx, pool.ID, sub, ev, s.feedbackMAC(pool.ID, sub, cognito.Deref(ev.EventId), token), false)
}

// ReplaceAuthEventIn records ev inside tx in place of the event with the
// same ID that an earlier step of the sign-in recorded (InProgress, while
// a second factor the risk asked for was pending): the feedback token's
// MAC and any feedback already given stay, as does the creation date (ev
// is given them). With no such event it records ev as new. The caller
// exports the event (ExportAuthEvent) once tx has committed.
func (s *Service) ReplaceAuthEventIn(ctx context.Context, tx storage.Tx, pool *userpool.SignInPool, sub string, ev *idp.AuthEventType) error {
	if !pool.RecordsAuthEvents {
		return nil
	}
	return s.writeAuthEvent(ctx, tx, pool.ID, sub, ev, "", true)
}

// writeAuthEvent creates the item of ev, or with replace updates the one
// already there (keeping its MAC, feedback and creation date).
func (s *Service) writeAuthEvent(ctx context.Context, tx storage.Tx, pool, sub string, ev *idp.AuthEventType, mac string, replace bool) error {
	var old *storage.Item
	if replace {
		it, err := tx.GetItem(ctx, kindAuthEvent, pool+"/"+sub+"/"+cognito.Deref(ev.EventId))
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return fmt.Errorf("read auth event: %w", err)
		default:
			var prev storedAuthEvent
			if err := json.Unmarshal(it.Data, &prev); err != nil {
				return fmt.Errorf("decode auth event %q: %w", it.ID, err)
			}
			mac = prev.FeedbackMAC
			if ev.EventFeedback == nil {
				ev.EventFeedback = prev.EventFeedback
			}
			ev.CreationDate = prev.CreationDate
			old = it
		}
	}
	it, err := authEventItem(pool, sub, ev, mac)
	if err != nil {
		return err
	}
	if old != nil {
		it.Version = old.Version
		if err := tx.UpdateItem(ctx, it); err != nil {
			return fmt.Errorf("record auth event: %w", err)
		}
	} else if err := tx.CreateItem(ctx, it); err != nil {
		return fmt.Errorf("record auth event: %w", err)
	}
	return nil
}

// RiskEmail names the email of a NotifyConfiguration a notification uses.
type RiskEmail int

const (
	// RiskEmailNoAction is NoActionEmail: a risk was found and the sign-in
	// went on.
	RiskEmailNoAction RiskEmail = iota
	// RiskEmailMFA is MfaEmail: the risk asked for a second factor.
	RiskEmailMFA
	// RiskEmailBlock is BlockEmail: the risk blocked the sign-in.
	RiskEmailBlock
)

// RiskNotification is one threat-protection notification: the sign-in
// event it is about, the user, the email of the configuration it uses,
// and the feedback token its links carry.
type RiskNotification struct {
	Pool   *userpool.SignInPool
	Config *idp.NotifyConfigurationType
	Email  RiskEmail
	// Username and Attributes are the user's (the email goes to its email
	// attribute).
	Username   string
	Attributes map[string]string
	Event      *idp.AuthEventType
	Token      string
}

// defaultRiskEmails are the emails of a NotifyConfiguration that leaves
// one out. Cognito's own default texts are not published in its API; these
// are cognate's, with Cognito's placeholders.
var defaultRiskEmails = map[RiskEmail]idp.NotifyEmailType{
	RiskEmailNoAction: {
		Subject: cognito.Ptr("New sign-in to your account"),
		TextBody: cognito.Ptr("Hello {username},\n\nWe noticed a sign-in to your account that we did not expect, " +
			"from {ip-address} ({city}, {country}) at {login-time}.\n\n" +
			"If this was you: {one-click-link-valid}\n" +
			"If this was not you, tell us and change your password: {one-click-link-invalid}\n"),
	},
	RiskEmailMFA: {
		Subject: cognito.Ptr("Sign-in to your account needs a second factor"),
		TextBody: cognito.Ptr("Hello {username},\n\nWe noticed a sign-in to your account that we did not expect, " +
			"from {ip-address} ({city}, {country}) at {login-time}, and asked for a second factor.\n\n" +
			"If this was you: {one-click-link-valid}\n" +
			"If this was not you, tell us and change your password: {one-click-link-invalid}\n"),
	},
	RiskEmailBlock: {
		Subject: cognito.Ptr("Sign-in to your account was blocked"),
		TextBody: cognito.Ptr("Hello {username},\n\nWe blocked a sign-in to your account " +
			"from {ip-address} ({city}, {country}) at {login-time}.\n\n" +
			"If this was you: {one-click-link-valid}\n" +
			"If this was not you, tell us and change your password: {one-click-link-invalid}\n"),
	},
}

// FeedbackLink is the one-click link of a notification: the feedback page
// under the server's public URL with the pool, the user, the event, the
// token and the value the link gives.
func (s *Service) FeedbackLink(pool, username, eventID, token string, value idp.FeedbackValueType) string {
	q := url.Values{}
	q.Set("user_pool_id", pool)
	q.Set("username", username)
	q.Set("event_id", eventID)
	q.Set("feedback_token", token)
	q.Set("feedback_value", string(value))
	return s.issuerBase + FeedbackPath + "?" + q.Encode()
}

// riskMessage builds n's email; ok is false when the user has no email
// address to send it to.
func (s *Service) riskMessage(n RiskNotification) (messaging.Message, bool) {
	to := n.Attributes["email"]
	if to == "" {
		return messaging.Message{}, false
	}
	tmpl := defaultRiskEmails[n.Email]
	if c := n.Config; c != nil {
		var own *idp.NotifyEmailType
		switch n.Email {
		case RiskEmailNoAction:
			own = c.NoActionEmail
		case RiskEmailMFA:
			own = c.MfaEmail
		case RiskEmailBlock:
			own = c.BlockEmail
		}
		if own != nil && cognito.Deref(own.Subject) != "" {
			tmpl.Subject = own.Subject
		}
		if own != nil && (cognito.Deref(own.HtmlBody) != "" || cognito.Deref(own.TextBody) != "") {
			tmpl.HtmlBody, tmpl.TextBody = own.HtmlBody, own.TextBody
		}
	}
	eventID := cognito.Deref(n.Event.EventId)
	values := map[string]string{
		"{username}":               n.Username,
		"{ip-address}":             "unknown",
		"{city}":                   "unknown",
		"{country}":                "unknown",
		"{device-name}":            "unknown",
		"{login-time}":             "",
		"{event-id}":               eventID,
		"{feedback-token}":         n.Token,
		"{one-click-link-valid}":   s.FeedbackLink(n.Pool.ID, n.Username, eventID, n.Token, idp.FeedbackValueTypeValid),
		"{one-click-link-invalid}": s.FeedbackLink(n.Pool.ID, n.Username, eventID, n.Token, idp.FeedbackValueTypeInvalid),
	}
	if c := n.Event.EventContextData; c != nil {
		for k, v := range map[string]*string{"{ip-address}": c.IpAddress, "{city}": c.City, "{country}": c.Country, "{device-name}": c.DeviceName} {
			if cognito.Deref(v) != "" {
				values[k] = *v
			}
		}
	}
	if n.Event.CreationDate != nil {
		values["{login-time}"] = n.Event.CreationDate.UTC().Format("Mon, 02 Jan 2006 15:04:05 UTC")
	}
	body, isHTML := cognito.Deref(tmpl.TextBody), false
	if h := cognito.Deref(tmpl.HtmlBody); h != "" {
		body, isHTML = h, true
	}
	fill := func(text string, escape bool) string {
		pairs := make([]string, 0, 2*len(values))
		for k, v := range values {
			if escape {
				v = html.EscapeString(v)
			}
			pairs = append(pairs, k, v)
		}
		return strings.NewReplacer(pairs...).Replace(text)
	}
	m := messaging.Message{
		Pool: n.Pool.ID, Channel: messaging.ChannelEmail, To: to,
		Subject: fill(cognito.Deref(tmpl.Subject), false), Body: fill(body, isHTML), HTML: isHTML,
		Purpose: PurposeRiskNotification, Username: n.Username,
	}
	if p := n.Pool.Config(); p != nil && p.EmailConfiguration != nil {
		m.Email.SendingAccount = string(cognito.Deref(p.EmailConfiguration.EmailSendingAccount))
		m.Email.ConfigurationSet = cognito.Deref(p.EmailConfiguration.ConfigurationSet)
	}
	if c := n.Config; c != nil {
		m.Email.From, m.Email.ReplyTo, m.Email.SourceARN = cognito.Deref(c.From), cognito.Deref(c.ReplyTo), cognito.Deref(c.SourceArn)
	}
	return m, true
}

// NotifyRisk sends n's email, after the write that recorded its event has
// committed. A failure to send is logged and exported, never the sign-in's
// answer: the notification is a side effect of the decision, which stands.
func (s *Service) NotifyRisk(ctx context.Context, n RiskNotification) {
	m, ok := s.riskMessage(n)
	if !ok {
		s.log.Info("risk notification not sent: the user has no email address", "pool", n.Pool.ID, "username", n.Username)
		return
	}
	m.At = s.now()
	if err := s.sender.Send(context.WithoutCancel(ctx), m); err != nil {
		s.exportDeliveryError(ctx, m, err)
		s.log.Warn("risk notification not delivered", "pool", n.Pool.ID, "username", n.Username, "error", err.Error())
	}
}

// msgBadFeedbackToken is the answer to UpdateAuthEventFeedback with a
// token that is not the event's (or was used, or names a user or event
// that does not exist).
const msgBadFeedbackToken = "Invalid feedback token."

// UpdateAuthEventFeedback answers UpdateAuthEventFeedback, the operation
// the one-click links of a notification email call: with the event's
// feedback token (compared in constant time with the MAC the event keeps,
// then forgotten, so that a token serves once) it sets the event's
// EventFeedback as AdminUpdateAuthEventFeedback does, with provider User.
// A token that is not the event's, an event or a user that does not exist,
// all answer NotAuthorizedException alike: without the token, the call
// tells nothing about the pool's users.
func (s *Service) UpdateAuthEventFeedback(ctx context.Context, c cognito.Caller, in *idp.UpdateAuthEventFeedbackRequest) (*idp.UpdateAuthEventFeedbackResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	if !userpool.ThreatProtectionOn(p) {
		return nil, cognito.UserPoolAddOnNotEnabledException("Advanced security features are not enabled for this user pool.")
	}
	pool, eventID, token := cognito.Deref(p.Id), cognito.Deref(in.EventId), cognito.Deref(in.FeedbackToken)
	_, u, err := findUser(ctx, s.store, p, cognito.Deref(in.Username))
	var ce *cognito.Error
	if errors.As(err, &ce) && ce.Code == cognito.CodeUserNotFoundException {
		return nil, cognito.NotAuthorizedException(msgBadFeedbackToken)
	}
	if err != nil {
		return nil, err
	}
	want := s.feedbackMAC(pool, u.Sub, eventID, token)
	feedback := &idp.EventFeedbackType{
		FeedbackValue: in.FeedbackValue, Provider: cognito.Ptr("User"), FeedbackDate: &cognito.Timestamp{Time: s.now()},
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindAuthEvent, pool+"/"+u.Sub+"/"+eventID)
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.NotAuthorizedException(msgBadFeedbackToken)
		}
		if err != nil {
			return err
		}
		var ev storedAuthEvent
		if err := json.Unmarshal(it.Data, &ev); err != nil {
			return cognito.Internal(fmt.Errorf("decode auth event %q: %w", it.ID, err))
		}
		if ev.FeedbackMAC == "" || !hmac.Equal([]byte(ev.FeedbackMAC), []byte(want)) {
			return cognito.NotAuthorizedException(msgBadFeedbackToken)
		}
		ev.FeedbackMAC = ""
		ev.EventFeedback = feedback
		if it.Data, err = json.Marshal(&ev); err != nil {
			return cognito.Internal(err)
		}
		it.UpdatedAt = feedback.FeedbackDate.Time
		return tx.UpdateItem(ctx, it)
	})
	if err != nil {
		return nil, err
	}
	return &idp.UpdateAuthEventFeedbackResponse{}, nil
}
