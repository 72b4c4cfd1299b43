package identitypool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/storage"
)

// identityRecord is a stored identity.
type identityRecord struct {
	Pool         string    `json:"pool"`
	CreatedAt    time.Time `json:"created_at"`
	LastModified time.Time `json:"last_modified"`
}

// loginRecord is a login linked to an identity.
type loginRecord struct {
	Identity string `json:"identity"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	// UserPool is the user pool of a user-pool login ("" otherwise); the
	// login is indexed by it and its subject (the user's sub), so that
	// deleting the user or the pool deletes it.
	UserPool  string    `json:"user_pool,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// maxLoginsPerIdentity is how many logins one identity may have linked, as
// Cognito.
const maxLoginsPerIdentity = 10

// loginID is the item ID of the login of subject at provider in pool: one
// per pool, so a subject belongs to one identity of the pool.
func loginID(pool, provider, subject string) string {
	h := sha256.Sum256([]byte(provider + "\x00" + subject))
	return pool + "/" + hex.EncodeToString(h[:])
}

func identityIndex(identityID string) string { return "identity/" + identityID }

func userIndexPrefix(userPool string) string { return "userpool/" + userPool + "/" }

func userIndex(userPool, sub string) string { return userIndexPrefix(userPool) + sub }

func identityNotFound(id string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("Identity '%s' not found.", id))
}

func loginItem(pool string, r *loginRecord, now time.Time) (*storage.Item, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, internal(err)
	}
	it := &storage.Item{
		Kind: LoginItemKind, ID: loginID(pool, r.Provider, r.Subject), Pool: pool, Data: data,
		Index: []string{identityIndex(r.Identity)}, CreatedAt: now, UpdatedAt: now,
	}
	if r.UserPool != "" {
		it.Index = append(it.Index, userIndex(r.UserPool, r.Subject))
	}
	return it, nil
}

func decodeLogin(it *storage.Item) (*loginRecord, error) {
	var r loginRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, internal(fmt.Errorf("decode login %q: %w", it.ID, err))
	}
	return &r, nil
}

func identityItem(id string, r *identityRecord, version int64) (*storage.Item, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, internal(err)
	}
	return &storage.Item{Kind: IdentityItemKind, ID: id, Pool: r.Pool, Data: data,
		CreatedAt: r.CreatedAt, UpdatedAt: r.LastModified, Version: version}, nil
}

func decodeIdentity(it *storage.Item) (*identityRecord, error) {
	var r identityRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, internal(fmt.Errorf("decode identity %q: %w", it.ID, err))
	}
	return &r, nil
}

// loadIdentity reads identity id through r.
func loadIdentity(ctx context.Context, r storage.ItemReader, id string) (*storage.Item, *identityRecord, error) {
	if regionOfID(id) == "" {
		return nil, nil, identityNotFound(id)
	}
	it, err := r.GetItem(ctx, IdentityItemKind, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, identityNotFound(id)
	}
	if err != nil {
		return nil, nil, internal(fmt.Errorf("get identity %q: %w", id, err))
	}
	rec, err := decodeIdentity(it)
	if err != nil {
		return nil, nil, err
	}
	return it, rec, nil
}

// linkedLogins returns the logins linked to identity id, by provider.
func linkedLogins(ctx context.Context, r storage.ItemReader, id string) ([]*storage.Item, []*loginRecord, error) {
	entries, err := r.ScanIndex(ctx, storage.ScanInput{Kind: LoginItemKind, Prefix: identityIndex(id), Exact: true, Limit: 100})
	if err != nil {
		return nil, nil, internal(fmt.Errorf("list logins of identity %q: %w", id, err))
	}
	items := make([]*storage.Item, 0, len(entries))
	recs := make([]*loginRecord, 0, len(entries))
	for _, e := range entries {
		r, err := decodeLogin(e.Item)
		if err != nil {
			return nil, nil, err
		}
		items, recs = append(items, e.Item), append(recs, r)
	}
	return items, recs, nil
}

// providersOf returns the provider names of logins, sorted.
func providersOf(recs []*loginRecord) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Provider)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// linkLogins links every login of ls that is not yet linked to identity
// in tx. A login linked to another identity is ResourceConflictException.
func (s *Service) linkLogins(ctx context.Context, tx storage.Tx, pool, identityID string, ls []*login, now time.Time) (changed bool, err error) {
	for _, l := range ls {
		if l.kind == kindIdentityToken {
			continue
		}
		it, err := tx.GetItem(ctx, LoginItemKind, loginID(pool, l.Provider, l.Subject))
		if err == nil {
			r, err := decodeLogin(it)
			if err != nil {
				return false, err
			}
			if r.Identity != identityID {
				return false, cognito.NotAuthorizedException(msgLoginsMismatch)
			}
			continue
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return false, fmt.Errorf("get login: %w", err)
		}
		_, linked, err := linkedLogins(ctx, tx, identityID)
		if err != nil {
			return false, err
		}
		if len(linked) >= maxLoginsPerIdentity {
			return false, cognito.LimitExceededException(fmt.Sprintf("An identity can have at most %d logins.", maxLoginsPerIdentity))
		}
		nl, err := loginItem(pool, &loginRecord{Identity: identityID, Provider: l.Provider, Subject: l.Subject, UserPool: l.UserPoolID, CreatedAt: now}, now)
		if err != nil {
			return false, err
		}
		if err := tx.CreateItem(ctx, nl); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				// Linked by a concurrent request: run again and see where.
				return false, fmt.Errorf("link login: %w", storage.ErrConflict)
			}
			return false, fmt.Errorf("link login: %w", err)
		}
		changed = true
	}
	return changed, nil
}

// touch sets an identity's LastModifiedDate in tx.
func touch(ctx context.Context, tx storage.Tx, it *storage.Item, rec *identityRecord, now time.Time) error {
	rec.LastModified = now
	next, err := identityItem(it.ID, rec, it.Version)
	if err != nil {
		return err
	}
	if err := tx.UpdateItem(ctx, next); err != nil {
		return fmt.Errorf("update identity: %w", err)
	}
	return nil
}

// GetId returns the identity of the logins in an identity pool, creating
// it (and linking the logins to it) the first time; without logins, a new
// unauthenticated identity, when the pool allows them.
func (s *Service) GetId(ctx context.Context, region string, in *identity.GetIdInput) (*identity.GetIdResponse, error) {
	poolID := cognito.Deref(in.IdentityPoolId)
	if region == "" {
		// The edge names the region of the pool ID when it is one the
		// server serves; it names none for any other.
		return nil, poolNotFound(poolID)
	}
	if a := cognito.Deref(in.AccountId); a != "" && a != s.account {
		return nil, cognito.NotAuthorizedException("The account ID does not own the identity pool.")
	}
	_, rec, err := s.loadPool(ctx, s.store, region, poolID)
	if err != nil {
		return nil, err
	}
	ls, err := s.verifyLogins(ctx, rec, in.Logins)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 && !cognito.Deref(rec.Pool.AllowUnauthenticatedIdentities) {
		return nil, cognito.NotAuthorizedException("Unauthenticated access is not supported for this identity pool.")
	}
	var id string
	err = s.runTx(ctx, func(tx storage.Tx) error {
		id = ""
		now := s.now()
		for _, l := range ls {
			if l.kind == kindIdentityToken {
				id = l.Subject
				continue
			}
			it, err := tx.GetItem(ctx, LoginItemKind, loginID(poolID, l.Provider, l.Subject))
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("get login: %w", err)
			}
			r, err := decodeLogin(it)
			if err != nil {
				return err
			}
			if id != "" && r.Identity != id {
				return cognito.ResourceConflictException("The logins belong to different identities.")
			}
			id = r.Identity
		}
		if id == "" {
			id = newRegionalID(regionOfID(poolID))
			it, err := identityItem(id, &identityRecord{Pool: poolID, CreatedAt: now, LastModified: now}, 1)
			if err != nil {
				return err
			}
			if err := tx.CreateItem(ctx, it); err != nil {
				return fmt.Errorf("create identity: %w", err)
			}
		} else {
			iit, irec, err := loadIdentity(ctx, tx, id)
			if err != nil {
				return err
			}
			if irec.Pool != poolID {
				return cognito.NotAuthorizedException(msgLoginsMismatch)
			}
			changed, err := s.linkLogins(ctx, tx, poolID, id, ls, now)
			if err != nil || !changed {
				return err
			}
			return touch(ctx, tx, iit, irec, now)
		}
		_, err := s.linkLogins(ctx, tx, poolID, id, ls, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &identity.GetIdResponse{IdentityId: &id}, nil
}

// authorized is an identity whose logins a request has proved.
type authorized struct {
	poolID, identityID string
	pool               *poolRecord
	// logins are the verified logins of the request; none for an
	// unauthenticated identity.
	logins []*login
}

// authorizeIdentity checks that logins authenticate identity id: every
// login verifies and belongs to it (one not linked yet is linked), or,
// without logins, the identity has none linked and its pool allows
// unauthenticated identities.
func (s *Service) authorizeIdentity(ctx context.Context, id string, logins map[string]string) (*authorized, error) {
	_, irec, err := loadIdentity(ctx, s.store, id)
	if err != nil {
		return nil, err
	}
	_, rec, err := s.loadPool(ctx, s.store, "", irec.Pool)
	if err != nil {
		return nil, err
	}
	a := &authorized{poolID: irec.Pool, identityID: id, pool: rec}
	if len(logins) == 0 {
		_, linked, err := linkedLogins(ctx, s.store, id)
		if err != nil {
			return nil, err
		}
		if len(linked) > 0 {
			return nil, cognito.NotAuthorizedException("Unauthenticated access is not supported for this identity.")
		}
		if !cognito.Deref(rec.Pool.AllowUnauthenticatedIdentities) {
			return nil, cognito.NotAuthorizedException("Unauthenticated access is not supported for this identity pool.")
		}
		return a, nil
	}
	ls, err := s.verifyLogins(ctx, rec, logins)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.kind == kindIdentityToken && l.Subject != id {
			return nil, cognito.NotAuthorizedException(msgLoginsMismatch)
		}
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		iit, irec, err := loadIdentity(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := proveOwnership(ctx, tx, a.poolID, id, ls); err != nil {
			return err
		}
		changed, err := s.linkLogins(ctx, tx, a.poolID, id, ls, s.now())
		if err != nil || !changed {
			return err
		}
		return touch(ctx, tx, iit, irec, s.now())
	})
	if err != nil {
		return nil, err
	}
	a.logins = ls
	return a, nil
}

// proveOwnership checks that logins may act for identity id: one of them
// is already linked to it (or is an OpenID token signed for it), or it has
// no logins linked yet (an unauthenticated identity, which a sign-in
// upgrades). Otherwise a login not linked anywhere would attach itself to
// someone else's identity.
func proveOwnership(ctx context.Context, tx storage.Tx, pool, id string, ls []*login) error {
	items, _, err := linkedLogins(ctx, tx, id)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	for _, l := range ls {
		if l.kind == kindIdentityToken && l.Subject == id {
			return nil
		}
		lid := loginID(pool, l.Provider, l.Subject)
		for _, it := range items {
			if it.ID == lid {
				return nil
			}
		}
	}
	return cognito.NotAuthorizedException(msgLoginsMismatch)
}

// DescribeIdentity returns an identity and the providers of its logins.
func (s *Service) DescribeIdentity(ctx context.Context, region string, in *identity.DescribeIdentityInput) (*identity.IdentityDescription, error) {
	id := cognito.Deref(in.IdentityId)
	if regionOfID(id) != region {
		return nil, identityNotFound(id)
	}
	it, rec, err := loadIdentity(ctx, s.store, id)
	if err != nil {
		return nil, err
	}
	return s.describeIdentity(ctx, it.ID, rec)
}

func (s *Service) describeIdentity(ctx context.Context, id string, rec *identityRecord) (*identity.IdentityDescription, error) {
	_, linked, err := linkedLogins(ctx, s.store, id)
	if err != nil {
		return nil, err
	}
	return &identity.IdentityDescription{
		IdentityId: &id, Logins: providersOf(linked),
		CreationDate:     cognito.NewTimestamp(rec.CreatedAt),
		LastModifiedDate: cognito.NewTimestamp(rec.LastModified),
	}, nil
}

// ListIdentities lists the identities of a pool in ID order.
func (s *Service) ListIdentities(ctx context.Context, region string, in *identity.ListIdentitiesInput) (*identity.ListIdentitiesResponse, error) {
	poolID := cognito.Deref(in.IdentityPoolId)
	if _, _, err := s.loadPool(ctx, s.store, region, poolID); err != nil {
		return nil, err
	}
	scope := "ListIdentities/" + poolID
	after := ""
	if in.NextToken != nil {
		var ok bool
		if after, ok = s.cursor(scope, *in.NextToken); !ok {
			return nil, cognito.InvalidParameterException("Invalid pagination token.")
		}
	}
	limit := int(cognito.Deref(in.MaxResults))
	items, err := s.store.ListItems(ctx, storage.ListItemsInput{Kind: IdentityItemKind, Pool: poolID, AfterID: after, Limit: limit + 1})
	if err != nil {
		return nil, internal(fmt.Errorf("list identities: %w", err))
	}
	out := &identity.ListIdentitiesResponse{IdentityPoolId: &poolID, Identities: []identity.IdentityDescription{}}
	for i, it := range items {
		if i == limit {
			out.NextToken = cognito.Ptr(s.pageToken(scope, items[i-1].ID))
			break
		}
		rec, err := decodeIdentity(it)
		if err != nil {
			return nil, err
		}
		d, err := s.describeIdentity(ctx, it.ID, rec)
		if err != nil {
			return nil, err
		}
		out.Identities = append(out.Identities, *d)
	}
	return out, nil
}

// deleteIdentity deletes identity id and its logins in tx.
func deleteIdentity(ctx context.Context, tx storage.Tx, it *storage.Item) error {
	items, _, err := linkedLogins(ctx, tx, it.ID)
	if err != nil {
		return err
	}
	for _, l := range items {
		if err := tx.DeleteItem(ctx, LoginItemKind, l.ID, l.Version); err != nil {
			return fmt.Errorf("delete login: %w", err)
		}
	}
	if err := tx.DeleteItem(ctx, IdentityItemKind, it.ID, it.Version); err != nil {
		return fmt.Errorf("delete identity: %w", err)
	}
	return nil
}

// DeleteIdentities deletes identities with their logins, each in its own
// transaction. An identity that does not exist (or is in another region)
// counts as deleted, as in Cognito; one that fails is reported unprocessed.
func (s *Service) DeleteIdentities(ctx context.Context, region string, in *identity.DeleteIdentitiesInput) (*identity.DeleteIdentitiesResponse, error) {
	out := &identity.DeleteIdentitiesResponse{UnprocessedIdentityIds: []identity.UnprocessedIdentityId{}}
	for _, id := range in.IdentityIdsToDelete {
		if regionOfID(id) != region {
			continue
		}
		err := s.runTx(ctx, func(tx storage.Tx) error {
			it, _, err := loadIdentity(ctx, tx, id)
			if err != nil {
				return err
			}
			return deleteIdentity(ctx, tx, it)
		})
		var ce *cognito.Error
		switch {
		case err == nil:
		case errors.As(err, &ce) && ce.Code == cognito.CodeResourceNotFoundException:
		default:
			s.log.Error("delete identity", "identity_id", id, "error", err)
			out.UnprocessedIdentityIds = append(out.UnprocessedIdentityIds, identity.UnprocessedIdentityId{
				IdentityId: cognito.Ptr(id), ErrorCode: cognito.Ptr(identity.ErrorCodeInternalServerError)})
		}
	}
	return out, nil
}

// UnlinkIdentity unlinks logins from an identity. The caller proves the
// identity is theirs with Logins, as for GetCredentialsForIdentity; an
// identity left without logins is an unauthenticated one.
func (s *Service) UnlinkIdentity(ctx context.Context, region string, in *identity.UnlinkIdentityInput) (*cognito.Empty, error) {
	id := cognito.Deref(in.IdentityId)
	if len(in.Logins) == 0 {
		return nil, cognito.NotAuthorizedException(msgLoginsMismatch)
	}
	a, err := s.authorizeIdentity(ctx, id, in.Logins)
	if err != nil {
		return nil, err
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		iit, irec, err := loadIdentity(ctx, tx, id)
		if err != nil {
			return err
		}
		items, recs, err := linkedLogins(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, name := range in.LoginsToRemove {
			provider := canonicalProvider(s, name)
			if provider == cognito.Deref(a.pool.Pool.DeveloperProviderName) {
				return cognito.InvalidParameterException("Developer identities are unlinked with UnlinkDeveloperIdentity.")
			}
			found := false
			for i, r := range recs {
				if r.Provider == provider {
					if err := tx.DeleteItem(ctx, LoginItemKind, items[i].ID, items[i].Version); err != nil {
						return fmt.Errorf("delete login: %w", err)
					}
					found = true
				}
			}
			if !found {
				return cognito.InvalidParameterException(fmt.Sprintf("The identity has no login of %s.", name))
			}
		}
		return touch(ctx, tx, iit, irec, s.now())
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}
