package identitypool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Item kinds this engine stores. JSON member names of their records are
// part of the stored format and never change.
const (
	// PoolItemKind is an identity pool: ID and Pool are the pool ID.
	PoolItemKind = "identity_pool"
	// IdentityItemKind is an identity: ID is the identity ID, Pool the
	// identity pool's.
	IdentityItemKind = "identity"
	// LoginItemKind is one login linked to an identity: ID is
	// loginID(pool, provider, subject), Pool the identity pool's.
	LoginItemKind = "identity_login"
)

// Identity pools, identities and their logins replicate, so that an
// identity keeps its ID and its logins in every region.
func init() {
	for _, k := range []string{PoolItemKind, IdentityItemKind, LoginItemKind} {
		storage.DeclareKind(k, storage.Replicated)
	}
}

// maxTagsPerPool is how many tags an identity pool may carry, as Cognito.
const maxTagsPerPool = 50

// poolRecord is a stored identity pool.
type poolRecord struct {
	// Pool is the pool as DescribeIdentityPool returns it.
	Pool identity.IdentityPool `json:"pool"`
	// Roles and RoleMappings are what SetIdentityPoolRoles set.
	Roles        map[string]string               `json:"roles,omitempty"`
	RoleMappings map[string]identity.RoleMapping `json:"role_mappings,omitempty"`
	// PrincipalTags are the principal-tag maps, by identity provider name.
	PrincipalTags map[string]principalTagMap `json:"principal_tags,omitempty"`
	CreatedAt     time.Time                  `json:"created_at"`
}

// principalTagMap is what SetPrincipalTagAttributeMap set for one provider.
type principalTagMap struct {
	UseDefaults bool              `json:"use_defaults"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// newIdentityPoolID returns <region>:<random UUID>, the form of Cognito's
// identity pool and identity IDs.
func newRegionalID(region string) string { return region + ":" + newUUID() }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// regionOfID returns the region part of an identity pool or identity ID
// (<region>:<uuid>), or "" when it has none.
func regionOfID(id string) string {
	region, _, ok := strings.Cut(id, ":")
	if !ok || !cognito.ValidRegion(region) {
		return ""
	}
	return region
}

// IdentityPoolARN returns the ARN of an identity pool.
func IdentityPoolARN(region, account, poolID string) string {
	return fmt.Sprintf("arn:aws:cognito-identity:%s:%s:identitypool/%s", region, account, poolID)
}

func poolNotFound(id string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("IdentityPool '%s' not found.", id))
}

func poolItem(rec *poolRecord, version int64, now time.Time) (*storage.Item, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, internal(fmt.Errorf("encode identity pool: %w", err))
	}
	id := cognito.Deref(rec.Pool.IdentityPoolId)
	return &storage.Item{
		Kind: PoolItemKind, ID: id, Pool: id, Data: data,
		Index:     []string{regionOfID(id) + "/" + id},
		CreatedAt: rec.CreatedAt, UpdatedAt: now, Version: version,
	}, nil
}

func decodePool(it *storage.Item) (*poolRecord, error) {
	var rec poolRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, internal(fmt.Errorf("decode identity pool %q: %w", it.ID, err))
	}
	return &rec, nil
}

// loadPool reads the pool id through r. A pool of another region than the
// caller's does not exist for it.
func (s *Service) loadPool(ctx context.Context, r storage.ItemReader, region, id string) (*storage.Item, *poolRecord, error) {
	if regionOfID(id) == "" || (region != "" && regionOfID(id) != region) {
		return nil, nil, poolNotFound(id)
	}
	it, err := r.GetItem(ctx, PoolItemKind, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, poolNotFound(id)
	}
	if err != nil {
		return nil, nil, internal(fmt.Errorf("get identity pool %q: %w", id, err))
	}
	rec, err := decodePool(it)
	if err != nil {
		return nil, nil, err
	}
	return it, rec, nil
}

// updatePool runs a read-modify-write of the pool id in one transaction.
func (s *Service) updatePool(ctx context.Context, region, id string, f func(rec *poolRecord) error) (*poolRecord, error) {
	var out *poolRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		it, rec, err := s.loadPool(ctx, tx, region, id)
		if err != nil {
			return err
		}
		if err := f(rec); err != nil {
			return err
		}
		next, err := poolItem(rec, it.Version, s.now())
		if err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, next); err != nil {
			return fmt.Errorf("update identity pool: %w", err)
		}
		out = rec
		return nil
	})
	return out, err
}

// checkPoolConfig applies the rules Cognito checks beyond the model's
// constraints to a pool's providers.
func (s *Service) checkPoolConfig(p *identity.IdentityPool) error {
	seen := map[string]bool{}
	for _, cp := range p.CognitoIdentityProviders {
		name := cognito.Deref(cp.ProviderName)
		if _, ok := s.userPoolOfProvider(name); !ok {
			return cognito.InvalidParameterException(fmt.Sprintf("Invalid CognitoIdentityProvider ProviderName: %s", name))
		}
		if cognito.Deref(cp.ClientId) == "" {
			return cognito.InvalidParameterException("CognitoIdentityProvider ClientId is required.")
		}
		key := canonicalProvider(s, name) + ":" + cognito.Deref(cp.ClientId)
		if seen[key] {
			return cognito.InvalidParameterException(fmt.Sprintf("Duplicate CognitoIdentityProvider: %s", key))
		}
		seen[key] = true
	}
	for _, arn := range p.OpenIdConnectProviderARNs {
		if _, ok := oidcProviderName(arn); !ok {
			return cognito.InvalidParameterException(fmt.Sprintf("Invalid OpenIdConnectProviderARN: %s", arn))
		}
	}
	for _, arn := range p.SamlProviderARNs {
		a, ok := cognito.ParseARN(arn)
		if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "saml-provider/") || len(a.Resource) == len("saml-provider/") {
			return cognito.InvalidParameterException(fmt.Sprintf("Invalid SamlProviderARN: %s", arn))
		}
	}
	for name := range p.SupportedLoginProviders {
		if name == cognito.Deref(p.DeveloperProviderName) {
			return cognito.InvalidParameterException("The developer provider name cannot be a supported login provider.")
		}
	}
	if len(p.IdentityPoolTags) > maxTagsPerPool {
		return cognito.InvalidParameterException(fmt.Sprintf("An identity pool can have at most %d tags.", maxTagsPerPool))
	}
	return nil
}

// oidcProviderName returns the provider name of an IAM OpenID Connect
// provider ARN (arn:aws:iam::<account>:oidc-provider/<name>): the issuer's
// host and path, the Logins key of its tokens.
func oidcProviderName(arn string) (string, bool) {
	a, ok := cognito.ParseARN(arn)
	if !ok || a.Service != "iam" {
		return "", false
	}
	name, ok := strings.CutPrefix(a.Resource, "oidc-provider/")
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// CreateIdentityPool creates an identity pool in the caller's region.
func (s *Service) CreateIdentityPool(ctx context.Context, region string, in *identity.CreateIdentityPoolInput) (*identity.IdentityPool, error) {
	p := identity.IdentityPool{
		IdentityPoolId:                 cognito.Ptr(newRegionalID(region)),
		IdentityPoolName:               in.IdentityPoolName,
		AllowUnauthenticatedIdentities: in.AllowUnauthenticatedIdentities,
		AllowClassicFlow:               in.AllowClassicFlow,
		SupportedLoginProviders:        in.SupportedLoginProviders,
		DeveloperProviderName:          in.DeveloperProviderName,
		OpenIdConnectProviderARNs:      in.OpenIdConnectProviderARNs,
		CognitoIdentityProviders:       in.CognitoIdentityProviders,
		SamlProviderARNs:               in.SamlProviderARNs,
		IdentityPoolTags:               in.IdentityPoolTags,
	}
	if err := s.checkPoolConfig(&p); err != nil {
		return nil, err
	}
	now := s.now()
	rec := &poolRecord{Pool: p, CreatedAt: now}
	it, err := poolItem(rec, 1, now)
	if err != nil {
		return nil, err
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if err := tx.CreateItem(ctx, it); err != nil {
			return fmt.Errorf("create identity pool: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return describe(rec), nil
}

// describe returns the pool as the API answers it, with the tags Cognito
// always sends, empty when unset. AllowClassicFlow stays absent when it
// was never set: such a pool allows the basic flow, as Cognito's does.
func describe(rec *poolRecord) *identity.IdentityPool {
	p := rec.Pool
	if p.IdentityPoolTags == nil {
		p.IdentityPoolTags = map[string]string{}
	}
	return &p
}

// DescribeIdentityPool returns an identity pool.
func (s *Service) DescribeIdentityPool(ctx context.Context, region string, in *identity.DescribeIdentityPoolInput) (*identity.IdentityPool, error) {
	_, rec, err := s.loadPool(ctx, s.store, region, cognito.Deref(in.IdentityPoolId))
	if err != nil {
		return nil, err
	}
	return describe(rec), nil
}

// UpdateIdentityPool replaces an identity pool's configuration. Members
// left out are cleared, as in Cognito; tags are kept unless the request
// carries IdentityPoolTags. The developer provider name, once set, cannot
// change.
func (s *Service) UpdateIdentityPool(ctx context.Context, region string, in *identity.IdentityPool) (*identity.IdentityPool, error) {
	id := cognito.Deref(in.IdentityPoolId)
	rec, err := s.updatePool(ctx, region, id, func(rec *poolRecord) error {
		old := rec.Pool
		next := *in
		next.IdentityPoolId = old.IdentityPoolId
		if next.IdentityPoolTags == nil {
			next.IdentityPoolTags = old.IdentityPoolTags
		}
		if d := cognito.Deref(old.DeveloperProviderName); d != "" && cognito.Deref(next.DeveloperProviderName) != d {
			return cognito.InvalidParameterException("Cannot modify the developer provider name once it is set.")
		}
		if err := s.checkPoolConfig(&next); err != nil {
			return err
		}
		rec.Pool = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return describe(rec), nil
}

// DeleteIdentityPool deletes an identity pool with its identities and
// their logins, in one transaction.
func (s *Service) DeleteIdentityPool(ctx context.Context, region string, in *identity.DeleteIdentityPoolInput) (*cognito.Empty, error) {
	id := cognito.Deref(in.IdentityPoolId)
	err := s.runTx(ctx, func(tx storage.Tx) error {
		it, _, err := s.loadPool(ctx, tx, region, id)
		if err != nil {
			return err
		}
		for _, kind := range []string{LoginItemKind, IdentityItemKind} {
			if _, err := tx.DeleteItems(ctx, kind, id); err != nil {
				return fmt.Errorf("delete %s items of identity pool %q: %w", kind, id, err)
			}
		}
		if err := tx.DeleteItem(ctx, PoolItemKind, id, it.Version); err != nil {
			return fmt.Errorf("delete identity pool: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ListIdentityPools lists the identity pools of the caller's region in ID
// order.
func (s *Service) ListIdentityPools(ctx context.Context, region string, in *identity.ListIdentityPoolsInput) (*identity.ListIdentityPoolsResponse, error) {
	scope := "ListIdentityPools/" + region
	afterKey := ""
	if in.NextToken != nil {
		var ok bool
		if afterKey, ok = s.cursor(scope, *in.NextToken); !ok {
			return nil, cognito.InvalidParameterException("Invalid pagination token.")
		}
	}
	limit := int(cognito.Deref(in.MaxResults))
	entries, err := s.store.ScanIndex(ctx, storage.ScanInput{Kind: PoolItemKind, Prefix: region + "/", AfterKey: afterKey, AfterID: idOfKey(afterKey), Limit: limit + 1})
	if err != nil {
		return nil, internal(fmt.Errorf("list identity pools: %w", err))
	}
	out := &identity.ListIdentityPoolsResponse{IdentityPools: []identity.IdentityPoolShortDescription{}}
	for i, e := range entries {
		if i == limit {
			out.NextToken = cognito.Ptr(s.pageToken(scope, entries[i-1].Key))
			break
		}
		rec, err := decodePool(e.Item)
		if err != nil {
			return nil, err
		}
		out.IdentityPools = append(out.IdentityPools, identity.IdentityPoolShortDescription{
			IdentityPoolId: rec.Pool.IdentityPoolId, IdentityPoolName: rec.Pool.IdentityPoolName,
		})
	}
	return out, nil
}

// idOfKey returns the item ID of a "<region>/<id>" index key.
func idOfKey(key string) string {
	_, id, _ := strings.Cut(key, "/")
	return id
}

// resourcePool returns the pool ID an identity pool ARN names, checking
// its region and account.
func (s *Service) resourcePool(region, arn string) (string, error) {
	a, ok := cognito.ParseARN(arn)
	id, isPool := strings.CutPrefix(a.Resource, "identitypool/")
	if !ok || a.Service != "cognito-identity" || !isPool || regionOfID(id) == "" {
		return "", cognito.InvalidParameterException(fmt.Sprintf("Invalid ARN: %s", arn))
	}
	if a.Region != region || a.Account != s.account || regionOfID(id) != region {
		return "", cognito.ResourceNotFoundException(fmt.Sprintf("Resource '%s' not found.", arn))
	}
	return id, nil
}

// TagResource adds tags to an identity pool.
func (s *Service) TagResource(ctx context.Context, region string, in *identity.TagResourceInput) (*identity.TagResourceResponse, error) {
	id, err := s.resourcePool(region, cognito.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, err = s.updatePool(ctx, region, id, func(rec *poolRecord) error {
		if rec.Pool.IdentityPoolTags == nil {
			rec.Pool.IdentityPoolTags = map[string]string{}
		}
		maps.Copy(rec.Pool.IdentityPoolTags, in.Tags)
		if len(rec.Pool.IdentityPoolTags) > maxTagsPerPool {
			return cognito.LimitExceededException(fmt.Sprintf("An identity pool can have at most %d tags.", maxTagsPerPool))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &identity.TagResourceResponse{}, nil
}

// UntagResource removes tags from an identity pool.
func (s *Service) UntagResource(ctx context.Context, region string, in *identity.UntagResourceInput) (*identity.UntagResourceResponse, error) {
	id, err := s.resourcePool(region, cognito.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, err = s.updatePool(ctx, region, id, func(rec *poolRecord) error {
		for _, k := range in.TagKeys {
			delete(rec.Pool.IdentityPoolTags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &identity.UntagResourceResponse{}, nil
}

// ListTagsForResource returns an identity pool's tags.
func (s *Service) ListTagsForResource(ctx context.Context, region string, in *identity.ListTagsForResourceInput) (*identity.ListTagsForResourceResponse, error) {
	id, err := s.resourcePool(region, cognito.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, rec, err := s.loadPool(ctx, s.store, region, id)
	if err != nil {
		return nil, err
	}
	tags := maps.Clone(rec.Pool.IdentityPoolTags)
	if tags == nil {
		tags = map[string]string{}
	}
	return &identity.ListTagsForResourceResponse{Tags: tags}, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
