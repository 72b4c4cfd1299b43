package api

import (
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// actorOf names who makes a request of op, for the change log
// (storage.WithActor): the access key of a signed request, the user of an
// access token acting on themselves (by sub only: the username is
// personal data, which a deleted user's tombstone must not keep), or, for
// the operations anyone may call with an app client's ID, nobody in
// particular.
func actorOf(op operation, c cognito.Caller) storage.Actor {
	switch {
	case c.Access != nil:
		return storage.Actor{Kind: storage.ActorUser, ID: c.Access.Sub, Action: op.Name}
	case op.Auth == cognito.AuthIAM:
		return storage.Actor{Kind: storage.ActorAccessKey, ID: c.AccessKeyID, Action: op.Name}
	default:
		return storage.Actor{Kind: storage.ActorPublic, Action: op.Name}
	}
}
