package api

import "github.com/cognate-dev/cognate/internal/replication"

// replicaHandlers serves Cognito's replica API on the replica records of
// the replication engine (docs/regions.md).
func replicaHandlers(r *replication.Replicas) map[string]handler {
	return map[string]handler{
		"CreateUserPoolReplica": handle(r.CreateUserPoolReplica),
		"ListUserPoolReplicas":  handle(r.ListUserPoolReplicas),
		"UpdateUserPoolReplica": handle(r.UpdateUserPoolReplica),
		"DeleteUserPoolReplica": handle(r.DeleteUserPoolReplica),
	}
}
