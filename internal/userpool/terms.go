package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Terms documents (CreateTerms and its siblings) are the terms of use and
// the privacy policy of an app client: one link per language for each,
// which the sign-up page shows once the client has both.

// kindTerms is the item kind of a terms document: ID = its ID (a UUID),
// Pool = the pool ID, and the unique key termsNameKey, so that a client has
// one document of each name.
const kindTerms = "terms"

// Terms names, which are also their types.
const (
	TermsOfUse    = "terms-of-use"
	PrivacyPolicy = "privacy-policy"
)

// defaultListTerms is ListTerms' page size when MaxResults is left out.
const defaultListTerms = 60

// termsNameKey is the unique key of a client's terms document of a name.
func termsNameKey(pool, client, name string) string { return pool + "/" + client + "/" + name }

// termsRecord is a stored terms document. JSON names are part of the
// stored format.
type termsRecord struct {
	ClientID    string                   `json:"client_id"`
	Name        string                   `json:"name"`
	Source      idp.TermsSourceType      `json:"source"`
	Enforcement idp.TermsEnforcementType `json:"enforcement"`
	// Links are the document's URLs by language ("cognito:default",
	// "cognito:spanish", …).
	Links     map[string]string `json:"links"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// termsNotFound is the exception for a terms document that does not exist,
// or that belongs to another pool.
func termsNotFound(id string) error {
	return cognito.ResourceNotFoundException(fmt.Sprintf("Terms %s does not exist.", id))
}

// termsExist is the exception for a second document of a name for one
// client.
func termsExist(name string) error {
	return cognito.TermsExistsException(fmt.Sprintf("Terms with name %s already exist for this app client.", name))
}

// checkTermsLinks checks a document's links: each an absolute URL that uses
// HTTPS, or plain HTTP to the local machine, as callback URLs do. The
// sign-up page links to them, so no other scheme may pass.
func checkTermsLinks(links map[string]string) error {
	for lang, raw := range links {
		u, err := url.Parse(raw)
		bad := err != nil || u.Host == "" || !(strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http"))
		if !bad && strings.EqualFold(u.Scheme, "http") {
			switch u.Hostname() {
			case "localhost", "127.0.0.1", "::1":
			default:
				bad = true
			}
		}
		if bad {
			return cognito.InvalidParameterException(fmt.Sprintf("The link %s for %s is not a valid HTTPS URL.", raw, lang))
		}
	}
	return nil
}

// decodeTerms decodes a terms item.
func decodeTerms(it *storage.Item) (*termsRecord, error) {
	var t termsRecord
	if err := json.Unmarshal(it.Data, &t); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode terms %q: %w", it.ID, err))
	}
	return &t, nil
}

// termsItem returns the storage item of document id of pool.
func termsItem(pool, id string, t *termsRecord, version int64) (*storage.Item, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode terms: %w", err))
	}
	return &storage.Item{
		Kind: kindTerms, ID: id, Pool: pool, Data: data, Keys: []string{termsNameKey(pool, t.ClientID, t.Name)},
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Version: version,
	}, nil
}

// wire returns the wire form of document id of pool.
func (t *termsRecord) wire(pool, id string) *idp.TermsType {
	return &idp.TermsType{
		TermsId: cognito.Ptr(id), UserPoolId: cognito.Ptr(pool), ClientId: cognito.Ptr(t.ClientID),
		TermsName: cognito.Ptr(t.Name), TermsSource: cognito.Ptr(t.Source), Enforcement: cognito.Ptr(t.Enforcement),
		Links:        maps.Clone(t.Links),
		CreationDate: &cognito.Timestamp{Time: t.CreatedAt}, LastModifiedDate: &cognito.Timestamp{Time: t.UpdatedAt},
	}
}

// findTerms reads document id of pool.
func findTerms(ctx context.Context, r storage.ItemReader, pool, id string) (*storage.Item, *termsRecord, error) {
	it, err := r.GetItem(ctx, kindTerms, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, termsNotFound(id)
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get terms %q: %w", id, err))
	}
	if it.Pool != pool {
		return nil, nil, termsNotFound(id)
	}
	t, err := decodeTerms(it)
	return it, t, err
}

// clientTerms returns a client's documents by name.
func clientTerms(ctx context.Context, r storage.ItemReader, pool, client string) (map[string]*termsRecord, error) {
	out := map[string]*termsRecord{}
	for _, name := range []string{TermsOfUse, PrivacyPolicy} {
		it, err := r.GetItemByKey(ctx, kindTerms, termsNameKey(pool, client, name))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("get %s of client %q: %w", name, client, err))
		}
		t, err := decodeTerms(it)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

// deleteClientTerms deletes a client's documents with the client.
func deleteClientTerms(ctx context.Context, tx storage.Tx, pool, client string) error {
	for _, name := range []string{TermsOfUse, PrivacyPolicy} {
		it, err := tx.GetItemByKey(ctx, kindTerms, termsNameKey(pool, client, name))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("get %s of client %q: %w", name, client, err)
		}
		if err := tx.DeleteItem(ctx, kindTerms, it.ID, it.Version); err != nil {
			return fmt.Errorf("delete terms: %w", err)
		}
	}
	return nil
}

// CreateTerms creates a terms document (terms-of-use or privacy-policy) of
// an app client, with its links by language. A client has one document of
// each name; a second is TermsExistsException.
func (s *Service) CreateTerms(ctx context.Context, c cognito.Caller, in *idp.CreateTermsRequest) (*idp.CreateTermsResponse, error) {
	if in.Links == nil {
		var v cognito.Violations
		v.Null("links")
		return nil, v.Err()
	}
	if err := checkTermsLinks(in.Links); err != nil {
		return nil, err
	}
	poolID, id := cognito.Deref(in.UserPoolId), NewUUID()
	rec := &termsRecord{
		ClientID: cognito.Deref(in.ClientId), Name: cognito.Deref(in.TermsName),
		Source: cognito.Deref(in.TermsSource), Enforcement: cognito.Deref(in.Enforcement), Links: maps.Clone(in.Links),
	}
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		if _, _, err := s.poolClient(ctx, tx, c, poolID, rec.ClientID); err != nil {
			return err
		}
		now := s.now()
		rec.CreatedAt, rec.UpdatedAt = now, now
		it, err := termsItem(poolID, id, rec, 0)
		if err != nil {
			return err
		}
		err = tx.CreateItem(ctx, it)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return termsExist(rec.Name)
		}
		if err != nil {
			return fmt.Errorf("create terms: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.CreateTermsResponse{Terms: rec.wire(poolID, id)}, nil
}

// DescribeTerms returns a terms document.
func (s *Service) DescribeTerms(ctx context.Context, c cognito.Caller, in *idp.DescribeTermsRequest) (*idp.DescribeTermsResponse, error) {
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.TermsId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rec, err := findTerms(ctx, s.store, poolID, id)
	if err != nil {
		return nil, err
	}
	return &idp.DescribeTermsResponse{Terms: rec.wire(poolID, id)}, nil
}

// UpdateTerms changes a terms document; what the request leaves out is
// kept, and Links, when given, replace the document's links.
func (s *Service) UpdateTerms(ctx context.Context, c cognito.Caller, in *idp.UpdateTermsRequest) (*idp.UpdateTermsResponse, error) {
	if in.Links != nil {
		if err := checkTermsLinks(in.Links); err != nil {
			return nil, err
		}
	}
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.TermsId)
	var out *termsRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, rec, err := findTerms(ctx, tx, poolID, id)
		if err != nil {
			return err
		}
		if in.TermsName != nil {
			rec.Name = *in.TermsName
		}
		if in.TermsSource != nil {
			rec.Source = *in.TermsSource
		}
		if in.Enforcement != nil {
			rec.Enforcement = *in.Enforcement
		}
		if in.Links != nil {
			rec.Links = maps.Clone(in.Links)
		}
		rec.UpdatedAt = s.now()
		upd, err := termsItem(poolID, id, rec, it.Version)
		if err != nil {
			return err
		}
		err = tx.UpdateItem(ctx, upd)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return termsExist(rec.Name)
		}
		if err != nil {
			return fmt.Errorf("update terms: %w", err)
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.UpdateTermsResponse{Terms: out.wire(poolID, id)}, nil
}

// DeleteTerms deletes a terms document.
func (s *Service) DeleteTerms(ctx context.Context, c cognito.Caller, in *idp.DeleteTermsRequest) (*cognito.Empty, error) {
	poolID, id := cognito.Deref(in.UserPoolId), cognito.Deref(in.TermsId)
	if err := deletePoolItem(ctx, s, c, poolID, id, kindTerms, "terms", findTerms); err != nil {
		return nil, err
	}
	return &cognito.Empty{}, nil
}

// ListTerms lists a pool's terms documents in ID order.
func (s *Service) ListTerms(ctx context.Context, c cognito.Caller, in *idp.ListTermsRequest) (*idp.ListTermsResponse, error) {
	q := PoolItemsQuery{
		Op: "ListTerms", Kind: kindTerms, Pool: cognito.Deref(in.UserPoolId),
		Token: in.NextToken, Limit: in.MaxResults, DefaultLimit: defaultListTerms,
	}
	decode := func(it *storage.Item) (idp.TermsDescriptionType, error) {
		t, err := decodeTerms(it)
		if err != nil {
			return idp.TermsDescriptionType{}, err
		}
		return idp.TermsDescriptionType{
			TermsId: cognito.Ptr(it.ID), TermsName: cognito.Ptr(t.Name), Enforcement: cognito.Ptr(t.Enforcement),
			CreationDate: &cognito.Timestamp{Time: t.CreatedAt}, LastModifiedDate: &cognito.Timestamp{Time: t.UpdatedAt},
		}, nil
	}
	terms, next, err := ListPoolItems(ctx, s, c, q, decode, func(d idp.TermsDescriptionType) idp.TermsDescriptionType { return d })
	if err != nil {
		return nil, err
	}
	return &idp.ListTermsResponse{Terms: terms, NextToken: next}, nil
}
