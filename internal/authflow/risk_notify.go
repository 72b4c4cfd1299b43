package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is where threat protection's decision meets the user's
// mailbox (docs/threat-protection.md): a sign-in whose risk meets an
// action with Notify, in ENFORCED mode, records its event with the MAC of
// a fresh feedback token and, once that write has committed, sends the
// NotifyConfiguration's email for what was done (BlockEmail,
// MfaEmail, NoActionEmail), whose one-click links carry the token.
//
// A challenge that follows the decision (a second factor, a remembered
// device's SRP) comes later, and its answer may never come: the email goes
// when the challenge opens, with an InProgress event recorded then, which
// the answer's event replaces (same event ID, same token). Every state of
// the sign-in after the decision carries the assessment (carryRisk), so the
// last answer, right or wrong, records its event in place of that one and
// no step sends the email again.

// notifies reports whether r sends the user a notification: a risk was
// found, the pool enforces, and the level's action says Notify.
func (r *riskAssessment) notifies() bool {
	return r != nil && r.enforced && r.notify && r.level != ""
}

// recordedEvent is what a transaction that recorded a sign-in event
// leaves to do once it has committed, and never inside it (afterCommit):
// export the event to the pool's userAuthEvents log destination, and send
// the risk's notification, when there is one.
type recordedEvent struct {
	pool *userpool.SignInPool
	sub  string
	ev   *idp.AuthEventType
	note *directory.RiskNotification
}

// recordRiskEventIn records ev, the event of a sign-in of u assessed as r,
// inside tx: in place of the InProgress event an earlier step recorded
// (r.eventID), with the MAC of the feedback token when r notifies, or as a
// plain event. It returns what to do once tx has committed: the export,
// and the notification (using email) when r notifies.
func (s *Service) recordRiskEventIn(ctx context.Context, tx storage.Tx, pool *userpool.SignInPool, u *directory.SignInUser, ev *idp.AuthEventType, r *riskAssessment, email directory.RiskEmail) (*recordedEvent, error) {
	rec := &recordedEvent{pool: pool, sub: u.Sub, ev: ev}
	var err error
	switch {
	case r != nil && r.eventID != "":
		err = s.users.ReplaceAuthEventIn(ctx, tx, pool, u.Sub, ev)
	case r.notifies():
		err = s.users.RecordNotifiedAuthEventIn(ctx, tx, pool, u.Sub, ev, r.token)
		rec.note = s.riskNotification(pool, u, ev, r, email)
	default:
		err = s.users.RecordAuthEventIn(ctx, tx, pool, u.Sub, ev)
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// riskNotification is the notification of u's sign-in event ev assessed
// as r.
func (s *Service) riskNotification(pool *userpool.SignInPool, u *directory.SignInUser, ev *idp.AuthEventType, r *riskAssessment, email directory.RiskEmail) *directory.RiskNotification {
	return &directory.RiskNotification{
		Pool: pool, Config: r.notifyConfig, Email: email, Username: u.Username, Attributes: u.Attributes, Event: ev, Token: r.token,
	}
}

// afterCommit does what rec leaves to do once the transaction that
// recorded its event has committed: the event's export, then the
// notification. Neither can fail the sign-in.
func (s *Service) afterCommit(ctx context.Context, rec *recordedEvent) {
	if rec == nil {
		return
	}
	s.users.ExportAuthEvent(ctx, rec.pool, rec.sub, rec.ev)
	if rec.note != nil {
		s.users.NotifyRisk(ctx, *rec.note)
	}
}

// notifyingChallenge prepares the challenge that follows sp's assessed
// first factor when the risk notifies: a second factor the risk asks for
// (MfaEmail) or any other (the pool's own second factor, a device's SRP:
// NoActionEmail). The InProgress event (with a new event ID that the
// challenge's state carries to the answer's event, and the feedback
// token's MAC) is written by the returned within, in the transaction that
// opens the challenge, and the returned notification is to be sent once
// it has opened. Without a notifying risk it returns within unchanged.
func (s *Service) notifyingChallenge(ctx context.Context, sp *call, within func(tx storage.Tx) error, email directory.RiskEmail) (func(tx storage.Tx) error, *recordedEvent) {
	r := sp.assessed
	if !r.notifies() {
		return within, nil
	}
	r.eventID = tokens.NewJTI()
	ev := s.authEvent(r.eventID, idp.EventResponseTypeInProgress, eventFactors{first: firstFactorOf(sp.st), ip: clientIP(ctx), risk: r})
	n := &recordedEvent{pool: sp.pool, sub: sp.user.Sub, ev: ev, note: s.riskNotification(sp.pool, sp.user, ev, r, email)}
	return func(tx storage.Tx) error {
		if within != nil {
			if err := within(tx); err != nil {
				return err
			}
		}
		return s.users.RecordNotifiedAuthEventIn(ctx, tx, sp.pool, sp.user.Sub, ev, r.token)
	}, n
}

// recordSignInEvent records the successful sign-in eventID of u, in a
// transaction of its own (a hosted UI sign-in), with its risk, and sends
// the notification the risk calls for. A failure to record is logged: it
// never changes the answer.
func (s *Service) recordSignInEvent(ctx context.Context, pool *userpool.SignInPool, u *directory.SignInUser, eventID string, factors eventFactors) {
	if !pool.RecordsAuthEvents {
		return
	}
	factors.ip = clientIP(ctx)
	ev := s.authEvent(eventID, idp.EventResponseTypePass, factors)
	var rec *recordedEvent
	err := s.runTx(ctx, func(tx storage.Tx) error {
		var err error
		rec, err = s.recordRiskEventIn(ctx, tx, pool, u, ev, factors.risk, directory.RiskEmailNoAction)
		return err
	})
	if err != nil {
		s.log.Warn("record auth event", "pool", pool.ID, "sub", u.Sub, "err", err)
		return
	}
	s.afterCommit(ctx, rec)
}

// carryRisk copies r, the assessment of the sign-in a state continues,
// into st: its level, action, compromised password and the InProgress
// event a notification recorded, so that the state's answer records its
// event with them (call.risk).
func carryRisk(st *flowState, r *riskAssessment) {
	if r == nil {
		return
	}
	if r.level != "" {
		st.RiskLevel, st.RiskAction = string(r.level), string(r.action)
	}
	st.RiskEventID, st.Compromised = r.eventID, r.compromised
}

// recordFailedProof records the failed sign-in event of sp's wrong secret
// (a password, an SRP or device proof), in a transaction of its own
// (failedEventIn). A failure to record is logged: it never changes the
// answer.
func (s *Service) recordFailedProof(ctx context.Context, sp *call) {
	if !sp.pool.RecordsAuthEvents {
		return
	}
	var rec *recordedEvent
	err := s.runTx(ctx, func(tx storage.Tx) error {
		var err error
		rec, err = s.failedEventIn(ctx, tx, sp)
		return err
	})
	if err != nil {
		s.log.Warn("record auth event", "pool", sp.pool.ID, "sub", sp.user.Sub, "err", err)
		return
	}
	s.afterCommit(ctx, rec)
}

// failedEventIn records inside tx the failed sign-in event of sp's user:
// in place of the InProgress event a notifying risk recorded when an
// earlier step of the sign-in was assessed, with that risk, or else as a
// new event. It returns what to do once tx has committed.
func (s *Service) failedEventIn(ctx context.Context, tx storage.Tx, sp *call) (*recordedEvent, error) {
	r, eventID := sp.risk(), ""
	if r == nil || r.eventID == "" {
		r = nil
	} else {
		eventID = r.eventID
	}
	ev := s.authEvent(eventID, idp.EventResponseTypeFail, eventFactors{ip: clientIP(ctx), risk: r})
	return s.recordRiskEventIn(ctx, tx, sp.pool, sp.user, ev, r, directory.RiskEmailNoAction)
}
