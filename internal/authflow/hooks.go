package authflow

import (
	"context"
)

// hooks are the points of a sign-in where the user pool's Lambda triggers
// run. Each is a phase of the dispatcher (dispatch.go) with a fixed place
// and contract; a nil hook is a phase that lets the sign-in go on, which is
// every hook of a server without triggers (triggers.go fills them in). Tests set them to check the
// phases run where this contract says.
type hooks struct {
	// preAuthentication runs when an answer carries a secret (a password or
	// an SRP proof), before the secret is checked: for a password after
	// the lockout phase has used the state up and counted the attempt, for
	// an SRP proof (whose lockout is decided after the check) once the
	// state is not seen used. sp.user is the user (never nil: users that do
	// not exist are shadowed before it). An error ends the step with that
	// error, the state used up and the attempt counted; the
	// PreAuthentication trigger's refusal is a UserLambdaValidationException.
	// A device's proof (DEVICE_PASSWORD_VERIFIER) is a secret too, so a
	// sign-in on a remembered device reaches this point twice, the
	// second time with sp.deviceVerified set (the PreAuthentication
	// trigger runs at the first only).
	preAuthentication func(ctx context.Context, sp *call) error
	// postAuthentication runs once every challenge is passed, before the
	// token family is created; sp.user is the user. An error ends the step
	// with that error and issues nothing.
	postAuthentication func(ctx context.Context, sp *call) error
	// preTokenGeneration runs before each access and ID token pair is
	// minted, at sign-in and at refresh, and may change the identity the
	// tokens say (g.id). An error ends the call with that error and mints
	// nothing.
	preTokenGeneration func(ctx context.Context, g *tokenGeneration) error
}

func (h *hooks) runPreAuthentication(ctx context.Context, sp *call) error {
	if h.preAuthentication == nil {
		return nil
	}
	return h.preAuthentication(ctx, sp)
}

func (h *hooks) runPostAuthentication(ctx context.Context, sp *call) error {
	if h.postAuthentication == nil {
		return nil
	}
	return h.postAuthentication(ctx, sp)
}

func (h *hooks) runPreTokenGeneration(ctx context.Context, g *tokenGeneration) error {
	if h.preTokenGeneration == nil {
		return nil
	}
	return h.preTokenGeneration(ctx, g)
}
