package storage

import (
	"context"
	"encoding/json"
)

// Actor is who made a change: the change log records it beside each state
// the change wrote, in the same row, so that an operator can see who
// changed what (docs/security.md). The edges name it, from what they
// authenticated, and hand it down in the context (WithActor); a backend's
// transaction reads it once, when it begins.
type Actor struct {
	// Kind says how the caller was authenticated: ActorOperator,
	// ActorAccessKey, ActorUser, ActorPublic, ActorHostedUI or
	// ActorReplication.
	Kind string `json:"kind"`
	// ID identifies the caller: the operator's or the user's sub, or the
	// access key ID of a signed request.
	ID string `json:"id,omitempty"`
	// Name is the operator's username.
	Name string `json:"name,omitempty"`
	// Action is the operation the caller asked for ("AdminCreateUser").
	Action string `json:"action,omitempty"`
}

// Actor kinds.
const (
	// ActorOperator is an operator of the admin console (ID: sub, Name:
	// username).
	ActorOperator = "operator"
	// ActorAccessKey is a SigV4-signed (IAM-authorized) API request (ID:
	// the access key ID).
	ActorAccessKey = "access_key"
	// ActorUser is a user acting on themselves with an access token (ID:
	// sub; no Name, so that the tombstone of a user who deletes themselves
	// keeps no username).
	ActorUser = "user"
	// ActorPublic is an unauthenticated API request (SignUp, InitiateAuth,
	// ForgotPassword, …): whoever holds the app client's ID.
	ActorPublic = "public"
	// ActorHostedUI is a request to a pool's hosted UI pages or OAuth 2.0
	// endpoints.
	ActorHostedUI = "hosted_ui"
)

type actorKey struct{}

// WithActor returns ctx carrying a: the transactions begun with it record
// a in their change-log entries.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, and false when it carries none
// (background work: imports, compaction, key rotation).
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// EncodeActor returns the actor ctx carries as the change log stores it
// (JSON), or nil when it carries none.
func EncodeActor(ctx context.Context) []byte {
	a, ok := ActorFrom(ctx)
	if !ok {
		return nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil
	}
	return b
}

// DecodeActor reads an actor as EncodeActor stored it; nil for none (an
// entry written without one, or before the change log recorded actors).
func DecodeActor(b []byte) *Actor {
	if len(b) == 0 {
		return nil
	}
	var a Actor
	if json.Unmarshal(b, &a) != nil {
		return nil
	}
	return &a
}
