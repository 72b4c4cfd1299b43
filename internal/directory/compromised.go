package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// compromisedPasswordMessage is the message of the InvalidPasswordException
// that refuses a password found on the breached-password list.
const compromisedPasswordMessage = "The password given has been compromised. Please choose another password."

// checkCompromised applies threat protection's compromised-credentials
// check to a password being set at event (SIGN_UP or PASSWORD_CHANGE) in
// pool p, through the app client clientID ("" for none): when the pool's
// threat protection is on, the configuration that applies (the client's,
// else the pool's) has a CompromisedCredentialsRiskConfiguration whose
// EventFilter takes event (an empty filter takes every event), and the
// password is on the breached-password list, ENFORCED mode with the
// action BLOCK refuses it with InvalidPasswordException; AUDIT mode, or
// the action NO_BLOCK, lets it through (and logs the detection). A pool
// whose threat protection is off costs nothing: no read, no lookup. The
// list failing to answer lets the password through, logged: a breach
// list that is down must not stop sign-ups.
func (s *Service) checkCompromised(ctx context.Context, p *idp.UserPoolType, clientID string, event idp.EventFilterType, password string) error {
	_, block, err := s.compromised(ctx, p, clientID, event, password)
	if err != nil {
		return err
	}
	if block {
		return cognito.InvalidPasswordException(compromisedPasswordMessage)
	}
	return nil
}

// compromised reports whether password, given at event in pool p through
// the app client clientID ("" for none), is found on the breached-password
// list under a configuration that checks event (detected), and whether the
// configuration refuses it (block: ENFORCED mode with the action BLOCK).
// See checkCompromised for when the list is consulted.
func (s *Service) compromised(ctx context.Context, p *idp.UserPoolType, clientID string, event idp.EventFilterType, password string) (detected, block bool, err error) {
	if s.breached == nil || !userpool.ThreatProtectionOn(p) {
		return false, false, nil
	}
	pool := cognito.Deref(p.Id)
	rc, err := s.pools.RiskConfiguration(ctx, s.store, pool, clientID)
	if err != nil {
		return false, false, err
	}
	cc := rc.CompromisedCredentialsRiskConfiguration
	if cc == nil || (len(cc.EventFilter) > 0 && !slices.Contains(cc.EventFilter, event)) {
		return false, false, nil
	}
	breached, err := s.breached.Breached(ctx, password)
	if err != nil {
		s.log.Warn("breached-password list", "pool", pool, "error", err.Error())
		return false, false, nil
	}
	if !breached {
		return false, false, nil
	}
	enforced := cognito.Deref(p.UserPoolAddOns.AdvancedSecurityMode) == idp.AdvancedSecurityModeTypeEnforced
	block = enforced && cc.Actions != nil && cognito.Deref(cc.Actions.EventAction) == idp.CompromisedCredentialsEventActionTypeBlock
	s.log.Info("compromised credentials detected", "pool", pool, "event", string(event), "blocked", block)
	return true, block, nil
}

// CompromisedSignIn is the compromised-credentials check of a sign-in
// whose password was right (EventFilter SIGN_IN): detected says the
// password is on the breached-password list under a configuration that
// checks sign-ins, block that the sign-in is to be refused (ENFORCED mode,
// action BLOCK). Only a sign-in that sends the password can be checked:
// an SRP sign-in never shows it to the server.
func (s *Service) CompromisedSignIn(ctx context.Context, pool *userpool.SignInPool, client *userpool.SignInClient, password string) (detected, block bool, err error) {
	return s.compromised(ctx, pool.Config(), signInClientID(client), idp.EventFilterTypeSignIn, password)
}

// RequireResetIn puts the user sub of pool in RESET_REQUIRED inside tx, as
// Cognito does to a user whose sign-in it blocked for compromised
// credentials: the password no longer signs in, and the user must reset
// it (ForgotPassword, then ConfirmForgotPassword) first.
func (s *Service) RequireResetIn(ctx context.Context, tx storage.Tx, pool *userpool.SignInPool, sub string) error {
	it, err := tx.GetItem(ctx, kindUser, sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != pool.ID) {
		return userNotFound()
	}
	if err != nil {
		return err
	}
	u, err := decodeUser(it)
	if err != nil {
		return err
	}
	p := pool.Config()
	u.Status, u.UpdatedAt = idp.UserStatusTypeResetRequired, s.now()
	ni, err := userItem(p, u, it.Version)
	if err != nil {
		return err
	}
	return userWriteError(p, attrUpdate, tx.UpdateItem(ctx, ni))
}

// AdminUpdateAuthEventFeedback answers AdminUpdateAuthEventFeedback: it
// records the administrator's verdict (Valid or Invalid) on one of the
// user's authentication events, which AdminListUserAuthEvents then shows
// as its EventFeedback (provider Admin).
func (s *Service) AdminUpdateAuthEventFeedback(ctx context.Context, c cognito.Caller, in *idp.AdminUpdateAuthEventFeedbackRequest) (*idp.AdminUpdateAuthEventFeedbackResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	if !userpool.ThreatProtectionOn(p) {
		return nil, cognito.UserPoolAddOnNotEnabledException("Advanced security features are not enabled for this user pool.")
	}
	_, u, err := findUser(ctx, s.store, p, cognito.Deref(in.Username))
	if err != nil {
		return nil, err
	}
	id := cognito.Deref(p.Id) + "/" + u.Sub + "/" + cognito.Deref(in.EventId)
	feedback := &idp.EventFeedbackType{
		FeedbackValue: in.FeedbackValue, Provider: cognito.Ptr("Admin"), FeedbackDate: &cognito.Timestamp{Time: s.now()},
	}
	err = userpool.Retry(ctx, func() error {
		return s.store.Tx(ctx, func(tx storage.Tx) error {
			it, err := tx.GetItem(ctx, kindAuthEvent, id)
			if errors.Is(err, storage.ErrNotFound) {
				return cognito.ResourceNotFoundException("Auth event not found.")
			}
			if err != nil {
				return err
			}
			// The stored form keeps the MAC of a notification's feedback
			// token, which the administrator's verdict leaves in place.
			var ev storedAuthEvent
			if err := json.Unmarshal(it.Data, &ev); err != nil {
				return cognito.Internal(fmt.Errorf("decode auth event %q: %w", id, err))
			}
			ev.EventFeedback = feedback
			if it.Data, err = json.Marshal(&ev); err != nil {
				return cognito.Internal(err)
			}
			it.UpdatedAt = feedback.FeedbackDate.Time
			return tx.UpdateItem(ctx, it)
		})
	})
	if err != nil {
		var ce *cognito.Error
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, cognito.Internal(err)
	}
	return &idp.AdminUpdateAuthEventFeedbackResponse{}, nil
}
