package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Limits of identity providers.
const (
	maxIdentityProviders         = 300
	defaultListIdentityProviders = 60
)

// Provider types (IdentityProviderTypeType).
const (
	ProviderGoogle   = "Google"
	ProviderFacebook = "Facebook"
	ProviderAmazon   = "LoginWithAmazon"
	ProviderApple    = "SignInWithApple"
	ProviderOIDC     = "OIDC"
	ProviderSAML     = "SAML"
)

// sealedDetails are the ProviderDetails keys kept sealed at rest: the
// provider's client secret and Apple's private key.
var sealedDetails = []string{"client_secret", "private_key"}

// identityProviderRecord is the stored form of an identity provider: the
// IdentityProviderType with the sealed keys taken out of ProviderDetails
// and kept, sealed, in Sealed.
type identityProviderRecord struct {
	Provider idp.IdentityProviderType `json:"provider"`
	// Sealed holds the sealed values of sealedDetails, by key.
	Sealed map[string]string `json:"sealed,omitempty"`
}

// identityProviderID is the item ID of an identity provider: names are only
// unique within a pool.
func identityProviderID(pool, name string) string { return pool + "/" + name }

// idpIdentifierKey is the unique key an identity provider holds for each of
// its IdpIdentifiers: an identifier names one provider of a pool.
func idpIdentifierKey(pool, identifier string) string { return pool + "/idp-identifier/" + identifier }

// identityProviderPurpose is the seal purpose of the ProviderDetails key
// key of provider name in pool.
func identityProviderPurpose(pool, name, key string) string {
	return "identity-provider\x00" + pool + "\x00" + name + "\x00" + key
}

// identityProviderNotFound is the exception for an identity provider that
// does not exist.
func identityProviderNotFound(name string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("Identity provider %s does not exist.", name))
}

// decodeIdentityProvider decodes an identity provider item.
func decodeIdentityProvider(it *storage.Item) (*identityProviderRecord, error) {
	var r identityProviderRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode identity provider %q: %w", it.ID, err))
	}
	return &r, nil
}

// identityProviderItem returns the storage item of r, with the secrets in
// details sealed into it.
func (s *Service) identityProviderItem(r *identityProviderRecord, details map[string]string, version int64) (*storage.Item, error) {
	pool, name := cognito.Deref(r.Provider.UserPoolId), cognito.Deref(r.Provider.ProviderName)
	stored := maps.Clone(details)
	r.Sealed = nil
	for _, k := range sealedDetails {
		v, ok := stored[k]
		if !ok {
			continue
		}
		delete(stored, k)
		if r.Sealed == nil {
			r.Sealed = map[string]string{}
		}
		r.Sealed[k] = s.secrets.sealer.SealString(identityProviderPurpose(pool, name, k), []byte(v))
	}
	r.Provider.ProviderDetails = stored
	data, err := json.Marshal(r)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode identity provider: %w", err))
	}
	keys := make([]string, 0, len(r.Provider.IdpIdentifiers))
	for _, id := range r.Provider.IdpIdentifiers {
		keys = append(keys, idpIdentifierKey(pool, id))
	}
	return &storage.Item{
		Kind: kindIdentityProvider, ID: identityProviderID(pool, name), Pool: pool,
		Data: data, Keys: keys, Version: version,
	}, nil
}

// openDetails returns r's full ProviderDetails: the stored ones with the
// sealed keys opened.
func (s *Service) openDetails(r *identityProviderRecord) (map[string]string, error) {
	pool, name := cognito.Deref(r.Provider.UserPoolId), cognito.Deref(r.Provider.ProviderName)
	out := maps.Clone(r.Provider.ProviderDetails)
	if out == nil {
		out = map[string]string{}
	}
	for k, sealed := range r.Sealed {
		v, err := s.secrets.sealer.OpenString(identityProviderPurpose(pool, name, k), sealed)
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("open %s of identity provider %q: %w", k, name, err))
		}
		out[k] = string(v)
	}
	return out, nil
}

// describe returns the IdentityProviderType the Describe, Create and
// Update operations return: the client secret shown, as Cognito shows it,
// and Apple's private key never.
func (s *Service) describe(r *identityProviderRecord) (*idp.IdentityProviderType, error) {
	details, err := s.openDetails(r)
	if err != nil {
		return nil, err
	}
	delete(details, "private_key")
	out := r.Provider
	out.ProviderDetails = details
	out.AttributeMapping = maps.Clone(r.Provider.AttributeMapping)
	if out.AttributeMapping == nil {
		out.AttributeMapping = map[string]string{}
	}
	out.IdpIdentifiers = slices.Clone(r.Provider.IdpIdentifiers)
	if out.IdpIdentifiers == nil {
		out.IdpIdentifiers = []string{}
	}
	return &out, nil
}

// findIdentityProvider reads an identity provider of a pool.
func findIdentityProvider(ctx context.Context, r storage.ItemReader, pool, name string) (*storage.Item, *identityProviderRecord, error) {
	if !cognito.ValidText(name) {
		return nil, nil, identityProviderNotFound(name)
	}
	it, err := r.GetItem(ctx, kindIdentityProvider, identityProviderID(pool, name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, identityProviderNotFound(name)
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get identity provider %q: %w", name, err))
	}
	rec, err := decodeIdentityProvider(it)
	return it, rec, err
}

// identityProviderConflict turns a unique-key conflict on create or update
// into Cognito's exception: an IdpIdentifier another provider of the pool
// already has.
func identityProviderConflict(err error) error {
	var kc *storage.KeyConflictError
	if errors.As(err, &kc) {
		_, id, _ := strings.Cut(kc.Key, "/idp-identifier/")
		return cognito.InvalidParameterException(fmt.Sprintf("Duplicate identifier %s: another identity provider of the user pool has it.", id))
	}
	return err
}

// checkIdpIdentifiers checks IdpIdentifiers: each appears once.
func checkIdpIdentifiers(ids []string) ([]string, error) {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Duplicate identifier %s.", id))
		}
		seen[id] = true
	}
	return slices.Clone(ids), nil
}

// CreateIdentityProvider adds an identity provider to a pool. The provider
// details are checked for the type (providerDetails), an OIDC provider's
// endpoints discovered at its issuer, and its secrets sealed at rest.
func (s *Service) CreateIdentityProvider(ctx context.Context, c cognito.Caller, in *idp.CreateIdentityProviderRequest) (*idp.CreateIdentityProviderResponse, error) {
	poolID, name := cognito.Deref(in.UserPoolId), cognito.Deref(in.ProviderName)
	typ := string(cognito.Deref(in.ProviderType))
	if _, p, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	} else if err := checkProviderName(name, typ); err != nil {
		return nil, err
	} else if in.AttributeMapping, err = checkAttributeMapping(p, typ, in.AttributeMapping); err != nil {
		return nil, err
	}
	ids, err := checkIdpIdentifiers(in.IdpIdentifiers)
	if err != nil {
		return nil, err
	}
	details, err := s.providerDetails(ctx, typ, in.ProviderDetails, nil)
	if err != nil {
		return nil, err
	}
	if details, err = s.encryptionCertificate(ctx, poolID, typ, details); err != nil {
		return nil, err
	}
	now := s.now()
	rec := &identityProviderRecord{Provider: idp.IdentityProviderType{
		UserPoolId: cognito.Ptr(poolID), ProviderName: cognito.Ptr(name), ProviderType: cognito.Ptr(idp.IdentityProviderTypeType(typ)),
		AttributeMapping: in.AttributeMapping, IdpIdentifiers: ids,
		CreationDate: cognito.NewTimestamp(now), LastModifiedDate: cognito.NewTimestamp(now),
	}}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		if _, err := tx.GetItem(ctx, kindIdentityProvider, identityProviderID(poolID, name)); err == nil {
			return cognito.DuplicateProviderException(fmt.Sprintf("A provider with the name %s already exists in this user pool.", name))
		} else if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("get identity provider: %w", err)
		}
		n, err := tx.CountItems(ctx, kindIdentityProvider, poolID)
		if err != nil {
			return fmt.Errorf("count identity providers: %w", err)
		}
		if n >= maxIdentityProviders {
			return cognito.LimitExceededException(fmt.Sprintf("A user pool can have at most %d identity providers.", maxIdentityProviders))
		}
		it, err := s.identityProviderItem(rec, details, 0)
		if err != nil {
			return err
		}
		it.CreatedAt, it.UpdatedAt = now, now
		if err := tx.CreateItem(ctx, it); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				var kc *storage.KeyConflictError
				if errors.As(err, &kc) {
					return identityProviderConflict(err)
				}
				return cognito.DuplicateProviderException(fmt.Sprintf("A provider with the name %s already exists in this user pool.", name))
			}
			return fmt.Errorf("create identity provider: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.describe(rec)
	if err != nil {
		return nil, err
	}
	return &idp.CreateIdentityProviderResponse{IdentityProvider: out}, nil
}

// DescribeIdentityProvider returns an identity provider of a pool.
func (s *Service) DescribeIdentityProvider(ctx context.Context, c cognito.Caller, in *idp.DescribeIdentityProviderRequest) (*idp.DescribeIdentityProviderResponse, error) {
	poolID := cognito.Deref(in.UserPoolId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rec, err := findIdentityProvider(ctx, s.store, poolID, cognito.Deref(in.ProviderName))
	if err != nil {
		return nil, err
	}
	out, err := s.describe(rec)
	if err != nil {
		return nil, err
	}
	return &idp.DescribeIdentityProviderResponse{IdentityProvider: out}, nil
}

// GetIdentityProviderByIdentifier returns the identity provider of a pool
// that has an IdpIdentifier.
func (s *Service) GetIdentityProviderByIdentifier(ctx context.Context, c cognito.Caller, in *idp.GetIdentityProviderByIdentifierRequest) (*idp.GetIdentityProviderByIdentifierResponse, error) {
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.IdpIdentifier)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	rec, err := s.identityProviderByIdentifier(ctx, poolID, id)
	if err != nil {
		return nil, err
	}
	out, err := s.describe(rec)
	if err != nil {
		return nil, err
	}
	return &idp.GetIdentityProviderByIdentifierResponse{IdentityProvider: out}, nil
}

// identityProviderByIdentifier reads the provider of pool with the
// IdpIdentifier id.
func (s *Service) identityProviderByIdentifier(ctx context.Context, poolID, id string) (*identityProviderRecord, error) {
	notFound := cognito.ResourceNotFoundException(fmt.Sprintf("Identity provider with identifier %s does not exist.", id))
	if !cognito.ValidText(id) {
		return nil, notFound
	}
	it, err := s.store.GetItemByKey(ctx, kindIdentityProvider, idpIdentifierKey(poolID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get identity provider by identifier: %w", err))
	}
	return decodeIdentityProvider(it)
}

// UpdateIdentityProvider changes an identity provider's details, attribute
// mapping or identifiers; each member left out keeps its value. New
// ProviderDetails replace the old ones, except that client_secret and
// private_key, when left out, keep theirs (DescribeIdentityProvider never
// returns Apple's private key, so a described provider can be sent back).
func (s *Service) UpdateIdentityProvider(ctx context.Context, c cognito.Caller, in *idp.UpdateIdentityProviderRequest) (*idp.UpdateIdentityProviderResponse, error) {
	poolID, name := cognito.Deref(in.UserPoolId), cognito.Deref(in.ProviderName)
	_, p, err := s.loadPool(ctx, c, poolID)
	if err != nil {
		return nil, err
	}
	_, cur, err := findIdentityProvider(ctx, s.store, poolID, name)
	if err != nil {
		return nil, err
	}
	typ := string(cognito.Deref(cur.Provider.ProviderType))
	var details map[string]string
	if in.ProviderDetails != nil {
		old, err := s.openDetails(cur)
		if err != nil {
			return nil, err
		}
		if details, err = s.providerDetails(ctx, typ, in.ProviderDetails, old); err != nil {
			return nil, err
		}
		if details, err = s.encryptionCertificate(ctx, poolID, typ, details); err != nil {
			return nil, err
		}
	}
	var mapping map[string]string
	if in.AttributeMapping != nil {
		if mapping, err = checkAttributeMapping(p, typ, in.AttributeMapping); err != nil {
			return nil, err
		}
	}
	var ids []string
	if in.IdpIdentifiers != nil {
		if ids, err = checkIdpIdentifiers(in.IdpIdentifiers); err != nil {
			return nil, err
		}
	}
	var out *identityProviderRecord
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, rec, err := findIdentityProvider(ctx, tx, poolID, name)
		if err != nil {
			return err
		}
		d := details
		if d == nil {
			if d, err = s.openDetails(rec); err != nil {
				return err
			}
		}
		if mapping != nil {
			rec.Provider.AttributeMapping = mapping
		}
		if in.IdpIdentifiers != nil {
			rec.Provider.IdpIdentifiers = ids
		}
		now := s.now()
		rec.Provider.LastModifiedDate = cognito.NewTimestamp(now)
		upd, err := s.identityProviderItem(rec, d, it.Version)
		if err != nil {
			return err
		}
		upd.CreatedAt, upd.UpdatedAt = it.CreatedAt, now
		if err := tx.UpdateItem(ctx, upd); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return identityProviderConflict(err)
			}
			return fmt.Errorf("update identity provider: %w", err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	desc, err := s.describe(out)
	if err != nil {
		return nil, err
	}
	return &idp.UpdateIdentityProviderResponse{IdentityProvider: desc}, nil
}

// DeleteIdentityProvider deletes an identity provider. App clients that
// list it in SupportedIdentityProviders keep the name, as they keep a
// deleted resource server's scopes; the hosted UI no longer offers it, and
// a later UpdateUserPoolClient that still lists it fails. The pool's
// federated users stay.
func (s *Service) DeleteIdentityProvider(ctx context.Context, c cognito.Caller, in *idp.DeleteIdentityProviderRequest) (*cognito.Empty, error) {
	poolID, name := cognito.Deref(in.UserPoolId), cognito.Deref(in.ProviderName)
	if err := deletePoolItem(ctx, s, c, poolID, name, kindIdentityProvider, "identity provider", findIdentityProvider); err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ListIdentityProviders lists a pool's identity providers by name.
func (s *Service) ListIdentityProviders(ctx context.Context, c cognito.Caller, in *idp.ListIdentityProvidersRequest) (*idp.ListIdentityProvidersResponse, error) {
	q := PoolItemsQuery{
		Op: "ListIdentityProviders", Kind: kindIdentityProvider, Pool: cognito.Deref(in.UserPoolId),
		Token: in.NextToken, Limit: in.MaxResults, DefaultLimit: defaultListIdentityProviders,
	}
	list, next, err := ListPoolItems(ctx, s, c, q, decodeIdentityProvider, func(r *identityProviderRecord) idp.ProviderDescription {
		return idp.ProviderDescription{
			ProviderName: r.Provider.ProviderName, ProviderType: r.Provider.ProviderType,
			LastModifiedDate: r.Provider.LastModifiedDate, CreationDate: r.Provider.CreationDate,
		}
	})
	if err != nil {
		return nil, err
	}
	return &idp.ListIdentityProvidersResponse{Providers: list, NextToken: next}, nil
}

// providerExistsIn returns a lookup of a pool's identity providers by name
// through r, for SupportedIdentityProviders.
func providerExistsIn(ctx context.Context, r storage.ItemReader, pool string) func(name string) (bool, error) {
	return func(name string) (bool, error) {
		if !cognito.ValidText(name) {
			return false, nil
		}
		_, err := r.GetItem(ctx, kindIdentityProvider, identityProviderID(pool, name))
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("get identity provider %q: %w", name, err)
		}
		return true, nil
	}
}

// FederationProvider is an identity provider as sign-in and the linking of
// users use it: its details with the secrets open.
type FederationProvider struct {
	PoolID, Name, Type string
	// Details are the ProviderDetails, client_secret and private_key
	// included.
	Details map[string]string
	// AttributeMapping maps pool attributes (and username) to the
	// provider's attributes.
	AttributeMapping map[string]string
	IdpIdentifiers   []string
}

// FederationProvider reads the identity provider name of pool through r
// (ResourceNotFoundException when there is none).
func (s *Service) FederationProvider(ctx context.Context, r storage.ItemReader, poolID, name string) (*FederationProvider, error) {
	if r == nil {
		r = s.store
	}
	_, rec, err := findIdentityProvider(ctx, r, poolID, name)
	if err != nil {
		return nil, err
	}
	return s.federationProvider(rec)
}

// FederationProviderByIdentifier reads the identity provider of pool that
// has the IdpIdentifier id.
func (s *Service) FederationProviderByIdentifier(ctx context.Context, poolID, id string) (*FederationProvider, error) {
	rec, err := s.identityProviderByIdentifier(ctx, poolID, id)
	if err != nil {
		return nil, err
	}
	return s.federationProvider(rec)
}

func (s *Service) federationProvider(rec *identityProviderRecord) (*FederationProvider, error) {
	d, err := s.openDetails(rec)
	if err != nil {
		return nil, err
	}
	return &FederationProvider{
		PoolID: cognito.Deref(rec.Provider.UserPoolId), Name: cognito.Deref(rec.Provider.ProviderName),
		Type: string(cognito.Deref(rec.Provider.ProviderType)), Details: d,
		AttributeMapping: maps.Clone(rec.Provider.AttributeMapping), IdpIdentifiers: slices.Clone(rec.Provider.IdpIdentifiers),
	}, nil
}

// Social reports whether the provider is one of the social providers
// (Google, Facebook, LoginWithAmazon, SignInWithApple).
func (p *FederationProvider) Social() bool { return slices.Contains(socialProviders, p.Type) }
