package identitypool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/storage"
)

// developerProvider returns the pool's developer provider name, or
// InvalidParameterException when it has none or name (when not empty) is
// another.
func developerProvider(rec *poolRecord, name string) (string, error) {
	dev := cognito.Deref(rec.Pool.DeveloperProviderName)
	if dev == "" {
		return "", cognito.InvalidParameterException("The identity pool has no developer provider.")
	}
	if name != "" && name != dev {
		return "", cognito.InvalidParameterException(fmt.Sprintf("Developer provider name %s does not match the identity pool's.", name))
	}
	return dev, nil
}

// GetOpenIdTokenForDeveloperIdentity registers (or looks up) the identity
// of a user the developer's backend has authenticated, named by the
// developer provider's user identifier in Logins, and returns an OpenID
// token for it. Other logins in the map are verified and linked too. An
// identifier linked to another identity than IdentityId is
// DeveloperUserAlreadyRegisteredException.
func (s *Service) GetOpenIdTokenForDeveloperIdentity(ctx context.Context, region string, in *identity.GetOpenIdTokenForDeveloperIdentityInput) (*identity.GetOpenIdTokenForDeveloperIdentityResponse, error) {
	poolID := cognito.Deref(in.IdentityPoolId)
	_, rec, err := s.loadPool(ctx, s.store, region, poolID)
	if err != nil {
		return nil, err
	}
	dev, err := developerProvider(rec, "")
	if err != nil {
		return nil, err
	}
	validity := developerTokenValidity
	if in.TokenDuration != nil {
		d := time.Duration(*in.TokenDuration) * time.Second
		if d < time.Second || d > maxDeveloperTokenValidity {
			return nil, cognito.InvalidParameterException("TokenDuration must be between 1 and 86400 seconds.")
		}
		validity = d
	}
	user, ok := in.Logins[dev]
	if !ok || user == "" {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("Logins must include the developer provider %s.", dev))
	}
	others := map[string]string{}
	for k, v := range in.Logins {
		if k != dev {
			others[k] = v
		}
	}
	ls, err := s.verifyLogins(ctx, rec, others)
	if err != nil {
		return nil, err
	}
	devLogin := &login{kind: kindOIDC, Provider: dev, Subject: user}
	ls = append([]*login{devLogin}, ls...)
	want := cognito.Deref(in.IdentityId)
	var id string
	err = s.runTx(ctx, func(tx storage.Tx) error {
		now := s.now()
		id = want
		it, err := tx.GetItem(ctx, LoginItemKind, loginID(poolID, dev, user))
		switch {
		case err == nil:
			r, err := decodeLogin(it)
			if err != nil {
				return err
			}
			if want != "" && r.Identity != want {
				return cognito.DeveloperUserAlreadyRegisteredException("The developer user identifier is already registered with another identity.")
			}
			id = r.Identity
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("get login: %w", err)
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
			_, err = s.linkLogins(ctx, tx, poolID, id, ls, now)
			return err
		}
		iit, irec, err := loadIdentity(ctx, tx, id)
		if err != nil {
			return err
		}
		if irec.Pool != poolID {
			return identityNotFound(id)
		}
		changed, err := s.linkLogins(ctx, tx, poolID, id, ls, now)
		if err != nil || !changed {
			return err
		}
		return touch(ctx, tx, iit, irec, now)
	})
	if err != nil {
		return nil, err
	}
	if len(in.PrincipalTags) > maxPrincipalTags {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("At most %d principal tags are allowed.", maxPrincipalTags))
	}
	tags, err := s.principalTags(rec, ls[1:])
	if err != nil {
		return nil, err
	}
	if len(in.PrincipalTags) > 0 {
		if tags == nil {
			tags = map[string]string{}
		}
		for k, v := range in.PrincipalTags {
			tags[k] = v
		}
	}
	token, err := s.signOpenIDToken(ctx, poolID, id, amrOf(ls), tags, validity)
	if err != nil {
		return nil, err
	}
	return &identity.GetOpenIdTokenForDeveloperIdentityResponse{IdentityId: &id, Token: &token}, nil
}

// developerLogins returns the developer provider's logins of identity id.
func developerLogins(ctx context.Context, r storage.ItemReader, id, dev string) ([]*storage.Item, []*loginRecord, error) {
	items, recs, err := linkedLogins(ctx, r, id)
	if err != nil {
		return nil, nil, err
	}
	var outItems []*storage.Item
	var outRecs []*loginRecord
	for i, rec := range recs {
		if rec.Provider == dev {
			outItems, outRecs = append(outItems, items[i]), append(outRecs, rec)
		}
	}
	return outItems, outRecs, nil
}

// LookupDeveloperIdentity returns the identity of a developer user
// identifier, or the developer user identifiers of an identity.
func (s *Service) LookupDeveloperIdentity(ctx context.Context, region string, in *identity.LookupDeveloperIdentityInput) (*identity.LookupDeveloperIdentityResponse, error) {
	poolID := cognito.Deref(in.IdentityPoolId)
	_, rec, err := s.loadPool(ctx, s.store, region, poolID)
	if err != nil {
		return nil, err
	}
	dev, err := developerProvider(rec, "")
	if err != nil {
		return nil, err
	}
	id, user := cognito.Deref(in.IdentityId), cognito.Deref(in.DeveloperUserIdentifier)
	if id == "" && user == "" {
		return nil, cognito.InvalidParameterException("Either IdentityId or DeveloperUserIdentifier must be provided.")
	}
	if user != "" {
		it, err := s.store.GetItem(ctx, LoginItemKind, loginID(poolID, dev, user))
		if errors.Is(err, storage.ErrNotFound) {
			return nil, cognito.ResourceNotFoundException("The developer user identifier is not registered.")
		}
		if err != nil {
			return nil, internal(err)
		}
		r, err := decodeLogin(it)
		if err != nil {
			return nil, err
		}
		if id != "" && r.Identity != id {
			return nil, cognito.ResourceConflictException("The developer user identifier belongs to another identity.")
		}
		id = r.Identity
	}
	_, irec, err := loadIdentity(ctx, s.store, id)
	if err != nil {
		return nil, err
	}
	if irec.Pool != poolID {
		return nil, identityNotFound(id)
	}
	_, recs, err := developerLogins(ctx, s.store, id, dev)
	if err != nil {
		return nil, err
	}
	out := &identity.LookupDeveloperIdentityResponse{IdentityId: &id, DeveloperUserIdentifierList: []string{}}
	for _, r := range recs {
		out.DeveloperUserIdentifierList = append(out.DeveloperUserIdentifierList, r.Subject)
	}
	return out, nil
}

// MergeDeveloperIdentities moves every login of the source user's identity
// to the destination user's identity and deletes the source identity, in
// one transaction.
func (s *Service) MergeDeveloperIdentities(ctx context.Context, region string, in *identity.MergeDeveloperIdentitiesInput) (*identity.MergeDeveloperIdentitiesResponse, error) {
	poolID := cognito.Deref(in.IdentityPoolId)
	_, rec, err := s.loadPool(ctx, s.store, region, poolID)
	if err != nil {
		return nil, err
	}
	dev, err := developerProvider(rec, cognito.Deref(in.DeveloperProviderName))
	if err != nil {
		return nil, err
	}
	var dest string
	err = s.runTx(ctx, func(tx storage.Tx) error {
		now := s.now()
		find := func(user string) (*loginRecord, error) {
			it, err := tx.GetItem(ctx, LoginItemKind, loginID(poolID, dev, user))
			if errors.Is(err, storage.ErrNotFound) {
				return nil, cognito.ResourceNotFoundException(fmt.Sprintf("The developer user identifier %s is not registered.", user))
			}
			if err != nil {
				return nil, fmt.Errorf("get login: %w", err)
			}
			return decodeLogin(it)
		}
		d, err := find(cognito.Deref(in.DestinationUserIdentifier))
		if err != nil {
			return err
		}
		dest = d.Identity
		src, err := find(cognito.Deref(in.SourceUserIdentifier))
		if err != nil {
			return err
		}
		if src.Identity == dest {
			return nil
		}
		dit, drec, err := loadIdentity(ctx, tx, dest)
		if err != nil {
			return err
		}
		sit, _, err := loadIdentity(ctx, tx, src.Identity)
		if err != nil {
			return err
		}
		items, recs, err := linkedLogins(ctx, tx, src.Identity)
		if err != nil {
			return err
		}
		_, have, err := linkedLogins(ctx, tx, dest)
		if err != nil {
			return err
		}
		if len(have)+len(recs) > maxLoginsPerIdentity {
			return cognito.LimitExceededException(fmt.Sprintf("An identity can have at most %d logins.", maxLoginsPerIdentity))
		}
		for i, r := range recs {
			r.Identity = dest
			next, err := loginItem(poolID, r, now)
			if err != nil {
				return err
			}
			next.CreatedAt, next.Version = items[i].CreatedAt, items[i].Version
			if err := tx.UpdateItem(ctx, next); err != nil {
				return fmt.Errorf("move login: %w", err)
			}
		}
		if err := tx.DeleteItem(ctx, IdentityItemKind, sit.ID, sit.Version); err != nil {
			return fmt.Errorf("delete merged identity: %w", err)
		}
		return touch(ctx, tx, dit, drec, now)
	})
	if err != nil {
		return nil, err
	}
	return &identity.MergeDeveloperIdentitiesResponse{IdentityId: &dest}, nil
}

// UnlinkDeveloperIdentity unlinks a developer user identifier from its
// identity.
func (s *Service) UnlinkDeveloperIdentity(ctx context.Context, region string, in *identity.UnlinkDeveloperIdentityInput) (*cognito.Empty, error) {
	poolID := cognito.Deref(in.IdentityPoolId)
	_, rec, err := s.loadPool(ctx, s.store, region, poolID)
	if err != nil {
		return nil, err
	}
	dev, err := developerProvider(rec, cognito.Deref(in.DeveloperProviderName))
	if err != nil {
		return nil, err
	}
	id := cognito.Deref(in.IdentityId)
	err = s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, LoginItemKind, loginID(poolID, dev, cognito.Deref(in.DeveloperUserIdentifier)))
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.ResourceNotFoundException("The developer user identifier is not registered.")
		}
		if err != nil {
			return fmt.Errorf("get login: %w", err)
		}
		r, err := decodeLogin(it)
		if err != nil {
			return err
		}
		if r.Identity != id {
			return cognito.NotAuthorizedException("The developer user identifier is not linked to this identity.")
		}
		if err := tx.DeleteItem(ctx, LoginItemKind, it.ID, it.Version); err != nil {
			return fmt.Errorf("delete login: %w", err)
		}
		iit, irec, err := loadIdentity(ctx, tx, id)
		if err != nil {
			return err
		}
		return touch(ctx, tx, iit, irec, s.now())
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}
