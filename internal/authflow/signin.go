package authflow

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// The engine's entry points take and return these domain types, not the
// wire structs of the JSON API: the API edge maps InitiateAuth,
// RespondToAuthChallenge and their Admin forms, GetTokensFromRefreshToken,
// RevokeToken and the sign-outs onto them, and the hosted UI calls the
// same methods.

// SignIn starts a sign-in (or a REFRESH_TOKEN_AUTH refresh).
type SignIn struct {
	// PoolID is the pool an administrator names; "" for an app client's
	// own sign-in, whose pool the client says.
	PoolID   string
	ClientID string
	// Flow is the AuthFlow; Params its parameters (USERNAME, PASSWORD,
	// SRP_A, SECRET_HASH, …).
	Flow   idp.AuthFlowType
	Params map[string]string
	// Admin is true for a sign-in as an administrator
	// (AdminInitiateAuth), which takes the ADMIN_* flows.
	Admin bool
	// ClientMetadata is handed to the triggers the step invokes (as
	// validationData to PreAuthentication).
	ClientMetadata map[string]string
}

// Answer answers the challenge a step opened.
type Answer struct {
	// PoolID is the pool an administrator names; "" otherwise.
	PoolID   string
	ClientID string
	// Challenge is the ChallengeName answered; Session the Session the
	// step handed out ("" for PASSWORD_VERIFIER, whose state travels in
	// the SECRET_BLOCK); Responses the answer.
	Challenge idp.ChallengeNameType
	Session   string
	Responses map[string]string
	// Admin is true for an answer as an administrator
	// (AdminRespondToAuthChallenge).
	Admin bool
	// ClientMetadata is handed to the triggers the step invokes.
	ClientMetadata map[string]string
}

// Step is where a step of a sign-in leads: the next challenge, with its
// parameters and a Session (none where the state travels in the
// SECRET_BLOCK), or tokens.
type Step struct {
	Challenge idp.ChallengeNameType
	Session   string
	Params    map[string]string
	// Available are the challenges SELECT_CHALLENGE offers.
	Available []idp.ChallengeNameType
	// Tokens are the tokens of a finished sign-in; nil while a challenge
	// is open.
	Tokens *Tokens
	// UISession is what a finished hosted-UI sign-in (StartHostedSignIn)
	// opens instead of tokens: the hosted-UI session, an opaque token for
	// its cookie ("" otherwise).
	UISession string
}

// Tokens are freshly minted tokens.
type Tokens struct {
	AccessToken string
	IDToken     string
	// RefreshToken is "" where none is issued (a refresh without
	// rotation).
	RefreshToken string
	// ExpiresIn is the access token's validity.
	ExpiresIn time.Duration
	// NewDevice is the device key a sign-in in a pool that tracks
	// devices hands out (NewDeviceMetadata) when it was not made on a
	// device the pool knows; nil otherwise.
	NewDevice *NewDevice
}

// NewDevice is NewDeviceMetadata: the key of a device the client may
// confirm (ConfirmDevice), and the group key its verifier is made with.
type NewDevice struct {
	Key, GroupKey string
}

// Refresh asks for new tokens from a refresh token
// (GetTokensFromRefreshToken).
type Refresh struct {
	ClientID, ClientSecret, RefreshToken string
	// DeviceKey is the device the refresh is made on, in a pool that
	// remembers devices.
	DeviceKey string
}

// Revocation revokes a refresh token (RevokeToken).
type Revocation struct {
	ClientID, ClientSecret, Token string
}

// StartSignIn starts a sign-in for an app client: the first step of the
// flow (dispatch.go: initiate), or a REFRESH_TOKEN_AUTH refresh.
func (s *Service) StartSignIn(ctx context.Context, c cognito.Caller, in SignIn) (*Step, error) {
	ctx = withClientMetadata(ctx, in.ClientMetadata)
	return s.initiate(ctx, c, in.PoolID, in.ClientID, in.Flow, in.Params, in.Admin)
}

// AnswerChallenge advances a sign-in with the answer to its challenge
// (dispatch.go: respond).
func (s *Service) AnswerChallenge(ctx context.Context, c cognito.Caller, in Answer) (*Step, error) {
	ctx = withClientMetadata(ctx, in.ClientMetadata)
	return s.respond(ctx, c, in.PoolID, in.ClientID, in.Challenge, in.Session, in.Responses, in.Admin)
}
