package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// FederatedIdentity is what a sign-in through an identity provider brings
// back: the provider, the user's subject there, and the provider's claims
// (an OIDC provider's ID token and userInfo, a social provider's profile,
// a SAML assertion's attributes).
type FederatedIdentity struct {
	Provider *userpool.FederationProvider
	Subject  string
	Claims   map[string]any
}

// ProviderGroup is the group Cognito puts a provider's federated users in:
// "<pool ID>_<provider name>", which shows in their cognito:groups.
func ProviderGroup(poolID, provider string) string { return poolID + "_" + provider }

// claimString is a claim as an attribute value: strings as they are,
// booleans and numbers as JSON writes them, anything else as its JSON.
func claimString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// mappedAttributes are the pool attributes the provider's AttributeMapping
// fills from the claims (username left out: it names the user).
func mappedAttributes(in FederatedIdentity) map[string]string {
	out := map[string]string{}
	for attr, claim := range in.Provider.AttributeMapping {
		if attr == "username" {
			continue
		}
		if v, ok := claimString(in.Claims[claim]); ok {
			out[attr] = v
		}
	}
	return out
}

// FederatedSignIn finds or makes the user a provider's sign-in stands for,
// in one transaction, as Cognito does:
//
//  1. a user holding the identity (the provider and its subject): the
//     provider's own federated user, whose mapped attributes are written
//     again from this sign-in's claims, or a user the identity was linked
//     to (AdminLinkProviderForUser), signed in as it is;
//  2. else a user an identity of the provider was linked to by a mapped
//     attribute (an OIDC or SAML link that names a pool attribute) with
//     this sign-in's value;
//  3. else a new user "<provider>_<subject>", status EXTERNAL_PROVIDER,
//     with the mapped attributes, in the provider's group.
//
// No existing user is ever matched by email or any other attribute the
// provider asserts unless an administrator linked it: a provider's
// unverified (or verified) email does not take over an account. A
// federated user's email_verified is what the mapping gives it, and its
// email or phone number claims no alias of the pool (the user has no
// password to sign in with one).
func (s *Service) FederatedSignIn(ctx context.Context, pool *userpool.SignInPool, in FederatedIdentity) (*SignInUser, error) {
	p := pool.Config()
	poolID := pool.ID
	if in.Subject == "" || !cognito.ValidText(in.Subject) || len(in.Subject) > 128 {
		return nil, cognito.InvalidParameterException("The identity provider's subject is not valid.")
	}
	attrs := mappedAttributes(in)
	var out *userRecord
	err := retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			out = nil
			it, u, err := userByKey(ctx, tx, identityKey(poolID, in.Provider.Name, subjectName, in.Subject))
			if err != nil {
				return err
			}
			if u == nil {
				names := make([]string, 0, len(attrs))
				for a := range attrs {
					names = append(names, a)
				}
				sort.Strings(names)
				for _, a := range names {
					if it, u, err = userByKey(ctx, tx, identityKey(poolID, in.Provider.Name, a, attrs[a])); err != nil {
						return err
					}
					if u != nil {
						break
					}
				}
			}
			if u != nil {
				if !u.Enabled {
					return cognito.NotAuthorizedException("User is disabled.")
				}
				if u.Status != idp.UserStatusTypeExternalProvider {
					out = u // a linked user signs in as it is
					return nil
				}
				now := s.now()
				for a, v := range attrs {
					u.Attributes[a] = v
				}
				u.UpdatedAt = now
				ni, err := userItem(p, u, it.Version)
				if err != nil {
					return err
				}
				if err := tx.UpdateItem(ctx, ni); err != nil {
					return err
				}
				out = u
				return nil
			}
			u, err = s.newFederatedUser(p, in, attrs)
			if err != nil {
				return err
			}
			ni, err := userItem(p, u, 0)
			if err != nil {
				return err
			}
			if err := tx.CreateItem(ctx, ni); err != nil {
				return err
			}
			if err := s.joinProviderGroup(ctx, tx, poolID, in.Provider.Name, u.Sub); err != nil {
				return err
			}
			out = u
			return nil
		}))
	})
	if err != nil {
		return nil, err
	}
	return signInUser(out), nil
}

// userByKey reads the user holding a unique key, nil when none does.
func userByKey(ctx context.Context, r storage.ItemReader, key string) (*storage.Item, *userRecord, error) {
	it, err := r.GetItemByKey(ctx, kindUser, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("find user by identity: %w", err))
	}
	u, err := decodeUser(it)
	return it, u, err
}

// newFederatedUser makes the record of a provider's new user. The pool's
// required attributes must be among the mapped ones, as on Cognito.
func (s *Service) newFederatedUser(p *idp.UserPoolType, in FederatedIdentity, attrs map[string]string) (*userRecord, error) {
	for _, a := range p.SchemaAttributes {
		name := cognito.Deref(a.Name)
		if cognito.Deref(a.Required) && name != "sub" && attrs[name] == "" {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("Invalid user attributes: %s: The attribute is required", name))
		}
	}
	now := s.now()
	u := &userRecord{
		Username: in.Provider.Name + "_" + in.Subject, Sub: newUserSub(), Attributes: attrs,
		Enabled: true, Status: idp.UserStatusTypeExternalProvider, CreatedAt: now, UpdatedAt: now,
	}
	if strings.ContainsAny(u.Username, "\x00") || len(u.Username) > 128 {
		return nil, cognito.InvalidParameterException("The identity provider's subject is not valid.")
	}
	setIdentities(u, []linkedIdentity{{
		ProviderName: in.Provider.Name, ProviderType: in.Provider.Type, AttributeName: subjectName,
		Value: in.Subject, Primary: true, Created: now,
	}})
	return u, nil
}

// joinProviderGroup puts a new federated user in its provider's group,
// making the group at its first member.
func (s *Service) joinProviderGroup(ctx context.Context, tx storage.Tx, poolID, provider, sub string) error {
	name := ProviderGroup(poolID, provider)
	if _, err := tx.GetItem(ctx, kindGroup, groupID(poolID, name)); errors.Is(err, storage.ErrNotFound) {
		now := s.now()
		git, err := groupItem(poolID, &groupRecord{Name: name, CreatedAt: now, UpdatedAt: now}, 0)
		if err != nil {
			return err
		}
		if err := tx.CreateItem(ctx, git); err != nil {
			return fmt.Errorf("create provider group: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("get provider group: %w", err)
	}
	mit, err := memberItem(poolID, &memberRecord{Group: name, Sub: sub, CreatedAt: s.now()})
	if err != nil {
		return err
	}
	return tx.CreateItem(ctx, mit)
}
