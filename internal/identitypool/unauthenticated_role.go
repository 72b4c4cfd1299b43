package identitypool

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// UnauthenticatedRole returns the unauthenticated role of the identity
// pool poolID as r stores it: "" when the pool has none, or when there is
// no such pool. cognate's own STS asks it, so that an unauthenticated
// identity's OpenID token assumes only that role (see
// sts/local.IdentityPoolTrust), as a role's trust policy on AWS would
// require with cognito-identity.amazonaws.com:amr.
func UnauthenticatedRole(ctx context.Context, r storage.ItemReader, poolID string) (string, error) {
	if regionOfID(poolID) == "" {
		return "", nil
	}
	it, err := r.GetItem(ctx, PoolItemKind, poolID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get identity pool %q: %w", poolID, err)
	}
	rec, err := decodePool(it)
	if err != nil {
		return "", err
	}
	return rec.Roles[roleUnauthenticated], nil
}
