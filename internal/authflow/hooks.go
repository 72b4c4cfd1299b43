package authflow

import (
	"context"

	"github.com/cognate-dev/cognate/internal/cognito"
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
	// trigger runs at the first only). A CUSTOM_AUTH sign-in without SRP
	// reaches it once, at its start, before DefineAuthChallenge.
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
	// defineAuthChallenge, createAuthChallenge and verifyAuthChallenge
	// are the steps of a custom sign-in (CUSTOM_AUTH,
	// challenge_custom.go): what follows the history sp.rounds, the
	// challenge named, and whether answer is right given the private
	// parameters the challenge was made with. sp.user is nil for a user
	// that does not exist (a client that hides whether users exist); the
	// call's USERNAME then names it. An error ends the step with that
	// error and nothing written. A nil defineAuthChallenge is a pool
	// without custom authentication.
	defineAuthChallenge func(ctx context.Context, sp *call) (customDecision, error)
	createAuthChallenge func(ctx context.Context, sp *call, name string) (customCreated, error)
	verifyAuthChallenge func(ctx context.Context, sp *call, private map[string]string, answer string) (bool, error)
}

func (h *hooks) runDefineAuthChallenge(ctx context.Context, sp *call) (customDecision, error) {
	if h.defineAuthChallenge == nil {
		return customDecision{}, cognito.InvalidLambdaResponseException(msgCustomNotConfigured)
	}
	return h.defineAuthChallenge(ctx, sp)
}

func (h *hooks) runCreateAuthChallenge(ctx context.Context, sp *call, name string) (customCreated, error) {
	if h.createAuthChallenge == nil {
		return customCreated{}, cognito.InvalidLambdaResponseException(msgCustomNotConfigured)
	}
	return h.createAuthChallenge(ctx, sp, name)
}

func (h *hooks) runVerifyAuthChallenge(ctx context.Context, sp *call, private map[string]string, answer string) (bool, error) {
	if h.verifyAuthChallenge == nil {
		return false, cognito.InvalidLambdaResponseException(msgCustomNotConfigured)
	}
	return h.verifyAuthChallenge(ctx, sp, private, answer)
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
