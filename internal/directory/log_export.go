package directory

import (
	"context"
	"strconv"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/messaging"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// notificationError is the message of a userNotification log record: a
// message the pool could not deliver.
type notificationError struct {
	Details string `json:"details"`
}

// exportDeliveryError exports, to the pool's userNotification log
// destination, that m could not be delivered.
func (s *Service) exportDeliveryError(ctx context.Context, m messaging.Message, cause error) {
	if !s.pools.ExportsLogs() {
		return
	}
	what := "Email"
	if m.Channel == messaging.ChannelSMS {
		what = "SMS"
	}
	s.pools.ExportLog(ctx, s.store, m.Pool, idp.EventSourceNameUserNotification, notificationError{
		Details: what + " message could not be delivered to user " + m.Username + " (" + m.Purpose + "): " + cause.Error(),
	})
}

// authEventRecord is the message of a userAuthEvents log record: the
// authentication event AdminListUserAuthEvents returns, with its user and
// pool, in the camel case of Cognito's exported records.
type authEventRecord struct {
	EventID            string                 `json:"eventId"`
	EventType          string                 `json:"eventType"`
	CreationDate       string                 `json:"creationDate"`
	UserPoolID         string                 `json:"userPoolId"`
	UserSub            string                 `json:"userSub"`
	EventResponse      string                 `json:"eventResponse"`
	EventRisk          eventRiskRecord        `json:"eventRisk"`
	ChallengeResponses []challengeResponseRec `json:"challengeResponses"`
	EventContextData   *eventContextRecord    `json:"eventContextData,omitempty"`
}

type eventRiskRecord struct {
	RiskDecision                   string `json:"riskDecision,omitempty"`
	RiskLevel                      string `json:"riskLevel,omitempty"`
	CompromisedCredentialsDetected bool   `json:"compromisedCredentialsDetected"`
}

type challengeResponseRec struct {
	ChallengeName     string `json:"challengeName"`
	ChallengeResponse string `json:"challengeResponse"`
}

type eventContextRecord struct {
	IPAddress  string `json:"ipAddress,omitempty"`
	DeviceName string `json:"deviceName,omitempty"`
	Timezone   string `json:"timezone,omitempty"`
	City       string `json:"city,omitempty"`
	Country    string `json:"country,omitempty"`
}

// ExportAuthEvent exports ev, a recorded event of the user sub, to the
// pool's userAuthEvents log destination. It is called once the write that
// recorded ev has committed, never inside it: a destination (a file, a
// full pipe on stdout) may be slow, and must not hold a write transaction,
// and a transaction that rolls back or runs again must not export. A
// failed delivery is the exporter's to count and log; it never fails the
// sign-in.
func (s *Service) ExportAuthEvent(ctx context.Context, pool *userpool.SignInPool, sub string, ev *idp.AuthEventType) {
	if !pool.RecordsAuthEvents || !s.pools.ExportsLogs() {
		return
	}
	s.exportAuthEvent(ctx, s.store, pool.ID, sub, ev)
}

// exportAuthEvent exports ev of the user sub to the pool's userAuthEvents
// log destination, reading the configuration through r.
func (s *Service) exportAuthEvent(ctx context.Context, r storage.ItemReader, pool, sub string, ev *idp.AuthEventType) {
	rec := authEventRecord{
		EventID: cognito.Deref(ev.EventId), EventType: string(cognito.Deref(ev.EventType)),
		UserPoolID: pool, UserSub: sub, EventResponse: string(cognito.Deref(ev.EventResponse)),
		ChallengeResponses: []challengeResponseRec{},
	}
	if ev.CreationDate != nil {
		rec.CreationDate = strconv.FormatInt(ev.CreationDate.UnixMilli(), 10)
	}
	if r := ev.EventRisk; r != nil {
		rec.EventRisk = eventRiskRecord{
			RiskDecision: string(cognito.Deref(r.RiskDecision)), RiskLevel: string(cognito.Deref(r.RiskLevel)),
			CompromisedCredentialsDetected: cognito.Deref(r.CompromisedCredentialsDetected),
		}
	}
	for _, c := range ev.ChallengeResponses {
		rec.ChallengeResponses = append(rec.ChallengeResponses, challengeResponseRec{
			ChallengeName: string(cognito.Deref(c.ChallengeName)), ChallengeResponse: string(cognito.Deref(c.ChallengeResponse)),
		})
	}
	if c := ev.EventContextData; c != nil {
		rec.EventContextData = &eventContextRecord{
			IPAddress: cognito.Deref(c.IpAddress), DeviceName: cognito.Deref(c.DeviceName), Timezone: cognito.Deref(c.Timezone),
			City: cognito.Deref(c.City), Country: cognito.Deref(c.Country),
		}
	}
	s.pools.ExportLog(ctx, r, pool, idp.EventSourceNameUserAuthEvents, rec)
}
