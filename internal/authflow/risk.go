package authflow

import (
	"context"
	"net/netip"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/geoip"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is threat protection's account-takeover decision
// (docs/threat-protection.md). It runs in one phase only, afterFirstFactor,
// the place that already decides whether a second factor comes: the risk
// of a sign-in whose first factor was right picks between tokens, a second
// factor and a refusal. Pools whose threat protection is off
// (SignInPool.RecordsAuthEvents false) skip it before any read.

// msgRiskBlocked is Cognito's answer to a sign-in its account-takeover
// protection blocks.
const msgRiskBlocked = "Unable to login because of security reasons."

// riskHistory is how many of the user's last recorded sign-ins make the
// history a sign-in is compared with.
const riskHistory = 20

// The signals and what each adds to a sign-in's score; a score of 1 is
// Low risk, 2 Medium, 3 or more High (docs/threat-protection.md).
const (
	scoreNewDevice        = 1
	scoreNewAddress       = 1
	scoreManyFailures     = 2
	scoreImpossibleTravel = 3
)

// The many-failures signal: at least failureThreshold failed sign-ins
// within failureWindow, none followed by a successful one.
const (
	failureThreshold = 3
	failureWindow    = 15 * time.Minute
)

// The impossible-travel signal: the distance between a sign-in's place
// and that of the user's last successful sign-in is more than
// travelMinKm, and more than travelMaxKmh allows in the time between.
// travelMinKm absorbs a City database's imprecision.
const (
	travelMaxKmh = 1000.0
	travelMinKm  = 500.0
)

// newAddress reports whether addr is none of the addresses of the
// successful sign-ins of recent; with no recorded address there is no
// baseline yet, and no address is new.
func newAddress(recent []directory.RecentSignIn, addr netip.Addr) bool {
	seen := false
	for _, r := range recent {
		if !r.Passed || r.IP == "" {
			continue
		}
		if r.IP == addr.String() {
			return false
		}
		seen = true
	}
	return seen
}

// manyFailures reports whether recent (newest first) begins with at least
// failureThreshold failed sign-ins within failureWindow of now: the
// failures since the last successful sign-in, recent ones only.
func manyFailures(recent []directory.RecentSignIn, now time.Time) bool {
	n := 0
	for _, r := range recent {
		if r.Passed || now.Sub(r.At) > failureWindow {
			break
		}
		if r.Failed {
			n++
		}
	}
	return n >= failureThreshold
}

// impossibleTravel reports whether the sign-in from addr now is farther
// from the user's last successful sign-in that the GeoIP database places
// than anyone could travel in between. Without a database, or with no
// placed sign-in, it is false.
func (s *Service) impossibleTravel(recent []directory.RecentSignIn, addr netip.Addr, now time.Time) bool {
	if s.geo == nil {
		return false
	}
	here, ok := s.geo.Lookup(addr)
	if !ok || !here.HasCoordinates {
		return false
	}
	for _, r := range recent {
		if !r.Passed || r.IP == "" {
			continue
		}
		prev, err := netip.ParseAddr(r.IP)
		if err != nil {
			continue
		}
		there, ok := s.geo.Lookup(prev)
		if !ok || !there.HasCoordinates {
			continue
		}
		km := geoip.DistanceKm(here, there)
		hours := now.Sub(r.At).Hours()
		return km > travelMinKm && km > travelMaxKmh*max(hours, 0)
	}
	return false
}

// riskAssessment is the risk threat protection found in a sign-in and
// what it does about it.
type riskAssessment struct {
	// level is Low, Medium or High; "" for no risk.
	level idp.RiskLevelType
	// action is the configured action for the level, or NO_ACTION; in
	// AUDIT mode it is recorded but never taken.
	action idp.AccountTakeoverEventActionType
	// enforced says the pool is in ENFORCED mode.
	enforced bool
	// compromised says the sign-in's password is on the
	// breached-password list (CompromisedCredentialsDetected); resets
	// that the sign-in is refused for it and the user put in
	// RESET_REQUIRED.
	compromised, resets bool
	// notify is the Notify of the level's action, notifyConfig the
	// configuration's NotifyConfiguration, and token the feedback token
	// of the notification (risk_notify.go), made when notify is set.
	notify       bool
	notifyConfig *idp.NotifyConfigurationType
	token        string
	// eventID is the ID of the InProgress event a notifying risk recorded
	// when it asked for a second factor; the answer's event replaces it.
	eventID string
}

// eventRisk is the EventRisk a sign-in event records for r (nil: no risk
// assessed).
func (r *riskAssessment) eventRisk() *idp.EventRiskType {
	out := &idp.EventRiskType{RiskDecision: cognito.Ptr(idp.RiskDecisionTypeNoRisk), CompromisedCredentialsDetected: cognito.Ptr(false)}
	if r == nil {
		return out
	}
	out.CompromisedCredentialsDetected = cognito.Ptr(r.compromised)
	if r.level != "" {
		out.RiskLevel = cognito.Ptr(r.level)
		out.RiskDecision = cognito.Ptr(idp.RiskDecisionTypeAccountTakeover)
	}
	if r.blocks() || r.resets {
		out.RiskDecision = cognito.Ptr(idp.RiskDecisionTypeBlock)
	}
	return out
}

// blocks reports whether r refuses the sign-in.
func (r *riskAssessment) blocks() bool {
	return r != nil && r.enforced && r.action == idp.AccountTakeoverEventActionTypeBlock
}

// forcesMFA reports whether r asks for a second factor: MFA_IF_CONFIGURED
// (when the user has one) and MFA_REQUIRED, in ENFORCED mode.
func (r *riskAssessment) forcesMFA() bool {
	return r != nil && r.enforced && (r.action == idp.AccountTakeoverEventActionTypeMfaIfConfigured || r.action == idp.AccountTakeoverEventActionTypeMfaRequired)
}

// assessRisk weighs the signals cognate has about sp's sign-in, for a pool
// whose threat protection is on (nil, with no read, otherwise), each
// adding its score (the table above newAddress): a new device (no
// DEVICE_KEY, or an unknown one), a new address (none of the addresses of
// the user's successful sign-ins in its last riskHistory events), many
// recent failures, and impossible travel (with a GeoIP database only).
// A score of 1 is Low, 2 Medium, 3 or more High. The configuration that
// applies (the app client's, else the pool's) names the action for the
// level, and whether it notifies. The RiskExceptionConfiguration comes
// first: an address in SkippedIPRangeList is no risk, one in
// BlockedIPRangeList is High with the action BLOCK. Without an
// AccountTakeoverRiskConfiguration or a RiskExceptionConfiguration there
// is nothing to decide, and the history is not read.
func (s *Service) assessRisk(ctx context.Context, sp *call) (*riskAssessment, error) {
	if !sp.pool.RecordsAuthEvents {
		return nil, nil
	}
	p := sp.pool.Config()
	r := &riskAssessment{action: idp.AccountTakeoverEventActionTypeNoAction,
		enforced: p.UserPoolAddOns != nil && cognito.Deref(p.UserPoolAddOns.AdvancedSecurityMode) == idp.AdvancedSecurityModeTypeEnforced}
	rc, err := s.pools.RiskConfiguration(ctx, s.store, sp.pool.ID, sp.client.ClientID)
	if err != nil {
		return nil, err
	}
	if rc.AccountTakeoverRiskConfiguration == nil && rc.RiskExceptionConfiguration == nil {
		// Nothing to decide: the event records no risk.
		return nil, nil
	}
	addr := ratelimit.ClientAddrFrom(ctx)
	if ex := rc.RiskExceptionConfiguration; ex != nil && addr.IsValid() {
		if inRanges(addr, ex.SkippedIPRangeList) {
			return r, nil
		}
		if inRanges(addr, ex.BlockedIPRangeList) {
			r.level = idp.RiskLevelTypeHigh
			r.actionFor(rc.AccountTakeoverRiskConfiguration)
			// A blocked range blocks whatever the level's action says;
			// it notifies as the level's action says.
			r.action = idp.AccountTakeoverEventActionTypeBlock
			return r, nil
		}
	}
	score := 0
	if sp.device == nil {
		score += scoreNewDevice
	}
	recent, err := s.users.RecentSignIns(ctx, sp.pool.ID, sp.user.Sub, riskHistory)
	if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	if addr.IsValid() && newAddress(recent, addr) {
		score += scoreNewAddress
	}
	if manyFailures(recent, now) {
		score += scoreManyFailures
	}
	if addr.IsValid() && s.impossibleTravel(recent, addr, now) {
		score += scoreImpossibleTravel
	}
	switch {
	case score == 0:
		return r, nil
	case score == 1:
		r.level = idp.RiskLevelTypeLow
	case score == 2:
		r.level = idp.RiskLevelTypeMedium
	default:
		r.level = idp.RiskLevelTypeHigh
	}
	r.actionFor(rc.AccountTakeoverRiskConfiguration)
	return r, nil
}

// actionFor sets r's action, and whether it notifies, from at's action for
// r's level (none configured is NO_ACTION without a notification).
func (r *riskAssessment) actionFor(at *idp.AccountTakeoverRiskConfigurationType) {
	if at == nil || at.Actions == nil {
		return
	}
	var a *idp.AccountTakeoverActionType
	switch r.level {
	case idp.RiskLevelTypeLow:
		a = at.Actions.LowAction
	case idp.RiskLevelTypeMedium:
		a = at.Actions.MediumAction
	case idp.RiskLevelTypeHigh:
		a = at.Actions.HighAction
	}
	if a == nil {
		return
	}
	if a.EventAction != nil {
		r.action = *a.EventAction
	}
	if cognito.Deref(a.Notify) && at.NotifyConfiguration != nil {
		r.notify, r.notifyConfig = true, at.NotifyConfiguration
		r.token = directory.NewFeedbackToken()
	}
}

// inRanges reports whether addr is in one of ranges (CIDR blocks or
// addresses, as SetRiskConfiguration checked them).
func inRanges(addr netip.Addr, ranges []string) bool {
	for _, s := range ranges {
		if p, err := userpool.ParseIPRange(s); err == nil && p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// checkCompromisedSignIn is threat protection's compromised-credentials
// check of sp's sign-in (EventFilter SIGN_IN): only a step that proved a
// password sent in the clear (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
// USER_AUTH's PASSWORD, the hosted UI's password page) can be checked; an
// SRP sign-in never shows the password to the server. nil when the
// password is not on the breached-password list (or nothing was checked);
// otherwise an assessment with compromised set, and resets when the pool
// refuses it (ENFORCED mode, action BLOCK).
func (s *Service) checkCompromisedSignIn(ctx context.Context, sp *call) (*riskAssessment, error) {
	if sp.password == "" || !sp.pool.RecordsAuthEvents {
		return nil, nil
	}
	detected, block, err := s.users.CompromisedSignIn(ctx, sp.pool, sp.client, sp.password)
	if err != nil || !detected {
		return nil, err
	}
	p := sp.pool.Config()
	return &riskAssessment{action: idp.AccountTakeoverEventActionTypeNoAction, compromised: true, resets: block,
		enforced: p.UserPoolAddOns != nil && cognito.Deref(p.UserPoolAddOns.AdvancedSecurityMode) == idp.AdvancedSecurityModeTypeEnforced}, nil
}

// blockForRisk ends sp's sign-in that r blocks: the attempt settled (the
// password was right) and the failed event, with its risk, recorded in
// one transaction; the answer is Cognito's NotAuthorizedException. A
// sign-in refused for compromised credentials (r.resets) also puts the
// user in RESET_REQUIRED in that transaction, as Cognito does, and is
// answered PasswordResetRequiredException.
func (s *Service) blockForRisk(ctx context.Context, sp *call, attempt *passwordAttempt, r *riskAssessment) (*Step, error) {
	ev := s.authEvent("", idp.EventResponseTypeFail, eventFactors{first: firstFactorOf(sp.st), ip: clientIP(ctx), risk: r})
	var note *recordedEvent
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if refused, err := attempt.settle(ctx, tx); err != nil || refused {
			return err
		}
		if sp.within != nil {
			if err := sp.within(tx); err != nil {
				return err
			}
		}
		if r.resets {
			if err := s.users.RequireResetIn(ctx, tx, sp.pool, sp.user.Sub); err != nil {
				return err
			}
		}
		var err error
		note, err = s.recordRiskEventIn(ctx, tx, sp.pool, sp.user, ev, r, directory.RiskEmailBlock)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := attempt.refusal(); err != nil {
		return nil, err
	}
	s.afterCommit(ctx, note)
	if r.resets {
		return nil, cognito.PasswordResetRequiredException(msgResetRequired)
	}
	return nil, cognito.NotAuthorizedException(msgRiskBlocked)
}
