package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Names Cognito gives the pool's own users and the provider's subject in a
// ProviderUserIdentifierType.
const (
	nativeProvider = "Cognito"
	subjectName    = "Cognito_Subject"
)

// maxLinkedIdentities is how many external identities one user may have
// linked (AdminLinkProviderForUser).
const maxLinkedIdentities = 5

// linkedIdentity is one external identity of a user: a federated user's
// own (Primary), or one linked to the user by AdminLinkProviderForUser.
type linkedIdentity struct {
	ProviderName string `json:"provider_name"`
	ProviderType string `json:"provider_type"`
	// AttributeName is Cognito_Subject, or the pool attribute a link
	// names (an OIDC or SAML provider's mapped attribute).
	AttributeName string    `json:"attribute_name"`
	Value         string    `json:"value"`
	Primary       bool      `json:"primary,omitempty"`
	Created       time.Time `json:"created"`
}

// identityKey is the unique key a user holds for each of its external
// identities: an identity signs in as one user of the pool.
func identityKey(pool, provider, attr, value string) string {
	return pool + "/identity/" + provider + "/" + attr + "/" + value
}

// identitiesAttribute is the identities attribute Cognito shows for a user
// with external identities: a JSON array of them.
func identitiesAttribute(ids []linkedIdentity) string {
	type wire struct {
		UserID       string  `json:"userId"`
		ProviderName string  `json:"providerName"`
		ProviderType string  `json:"providerType"`
		Issuer       *string `json:"issuer"`
		Primary      string  `json:"primary"`
		DateCreated  string  `json:"dateCreated"`
	}
	out := make([]wire, 0, len(ids))
	for _, id := range ids {
		out = append(out, wire{
			UserID: id.Value, ProviderName: id.ProviderName, ProviderType: id.ProviderType,
			Primary: fmt.Sprint(id.Primary), DateCreated: fmt.Sprint(id.Created.UnixMilli()),
		})
	}
	b, _ := json.Marshal(out) // a slice of plain structs always encodes
	return string(b)
}

// setIdentities replaces u's external identities and the identities
// attribute that shows them.
func setIdentities(u *userRecord, ids []linkedIdentity) {
	u.Identities = ids
	if len(ids) == 0 {
		delete(u.Attributes, "identities")
		return
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	u.Attributes["identities"] = identitiesAttribute(ids)
}

// providerUser reads the members of a ProviderUserIdentifierType.
func providerUser(p *idp.ProviderUserIdentifierType) (name, attr, value string) {
	if p == nil {
		return "", "", ""
	}
	return cognito.Deref(p.ProviderName), cognito.Deref(p.ProviderAttributeName), cognito.Deref(p.ProviderAttributeValue)
}

// AdminLinkProviderForUser links an external identity that has not signed
// in yet (SourceUser) to an existing user (DestinationUser): when that
// identity signs in, it signs in as the existing user.
func (s *Service) AdminLinkProviderForUser(ctx context.Context, c cognito.Caller, in *idp.AdminLinkProviderForUserRequest) (*idp.AdminLinkProviderForUserResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	poolID := cognito.Deref(p.Id)
	dstProvider, _, dstValue := providerUser(in.DestinationUser)
	srcProvider, srcAttr, srcValue := providerUser(in.SourceUser)
	if dstValue == "" || dstProvider == "" {
		return nil, cognito.InvalidParameterException("DestinationUser needs a ProviderName and a ProviderAttributeValue.")
	}
	if srcProvider == "" || srcAttr == "" || srcValue == "" {
		return nil, cognito.InvalidParameterException("SourceUser needs a ProviderName, a ProviderAttributeName and a ProviderAttributeValue.")
	}
	if strings.EqualFold(srcProvider, nativeProvider) {
		return nil, cognito.InvalidParameterException("SourceUser must be a user of an external identity provider, not a user of the user pool.")
	}
	if !cognito.ValidText(srcAttr) || !cognito.ValidText(srcValue) || !cognito.ValidText(dstValue) {
		return nil, cognito.InvalidParameterException("Invalid characters in a provider user.")
	}
	src, err := s.pools.FederationProvider(ctx, nil, poolID, srcProvider)
	if err != nil {
		return nil, err
	}
	if src.Social() && srcAttr != subjectName {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("ProviderAttributeName of a %s SourceUser must be %s.", src.Type, subjectName))
	}
	dstUsername := dstValue
	if dstProvider != nativeProvider {
		// A federated destination is named by its provider's subject.
		if _, err := s.pools.FederationProvider(ctx, nil, poolID, dstProvider); err != nil {
			return nil, err
		}
		dstUsername = dstProvider + "_" + dstValue
	}
	key := identityKey(poolID, src.Name, srcAttr, srcValue)
	err = retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			if holder, err := tx.GetItemByKey(ctx, kindUser, key); err == nil {
				hu, err := decodeUser(holder)
				if err != nil {
					return err
				}
				if slices.ContainsFunc(hu.Identities, func(id linkedIdentity) bool { return id.Primary && id.ProviderName == src.Name }) {
					return cognito.InvalidParameterException("Merging is not currently supported, provide a SourceUser that has not been used to sign in yet.")
				}
				return cognito.AliasExistsException("The SourceUser is already linked to a user of the pool.")
			} else if !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("find linked identity: %w", err)
			}
			if srcAttr == subjectName {
				// The identity's own federated user, if it signed in before.
				if _, _, err := findUser(ctx, tx, p, src.Name+"_"+srcValue); err == nil {
					return cognito.InvalidParameterException("Merging is not currently supported, provide a SourceUser that has not been used to sign in yet.")
				}
			}
			it, u, err := findUser(ctx, tx, p, dstUsername)
			if err != nil {
				return err
			}
			if len(u.Identities) >= maxLinkedIdentities {
				return cognito.LimitExceededException(fmt.Sprintf("A user can have at most %d linked identities.", maxLinkedIdentities))
			}
			now := s.now()
			ids := append(slices.Clone(u.Identities), linkedIdentity{
				ProviderName: src.Name, ProviderType: src.Type, AttributeName: srcAttr, Value: srcValue, Created: now,
			})
			setIdentities(u, ids)
			u.UpdatedAt = now
			ni, err := userItem(p, u, it.Version)
			if err != nil {
				return err
			}
			return tx.UpdateItem(ctx, ni)
		}))
	})
	if err != nil {
		return nil, err
	}
	return &idp.AdminLinkProviderForUserResponse{}, nil
}

// AdminDisableProviderForUser stops an external identity from signing in:
// an identity linked to a user is unlinked (its next sign-in makes a new
// federated user), a federated user's own identity disables that user,
// and for the pool's own users (ProviderName Cognito, the username as
// value) the password stops signing in: it is removed.
func (s *Service) AdminDisableProviderForUser(ctx context.Context, c cognito.Caller, in *idp.AdminDisableProviderForUserRequest) (*idp.AdminDisableProviderForUserResponse, error) {
	p, err := s.pools.LoadPool(ctx, c, cognito.Deref(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	poolID := cognito.Deref(p.Id)
	provider, attr, value := providerUser(in.User)
	if provider == "" || attr == "" || value == "" {
		return nil, cognito.InvalidParameterException("User needs a ProviderName, a ProviderAttributeName and a ProviderAttributeValue.")
	}
	if !cognito.ValidText(attr) || !cognito.ValidText(value) {
		return nil, cognito.InvalidParameterException("Invalid characters in the provider user.")
	}
	if provider == nativeProvider {
		if attr != subjectName {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("ProviderAttributeName must be %s for the user pool's own users.", subjectName))
		}
		if _, err := s.updateUser(ctx, p, value, func(u *userRecord, _ time.Time) error {
			u.PasswordHash, u.SRPVerifier, u.PasswordSetAt = "", "", nil
			return nil
		}); err != nil {
			return nil, err
		}
		return &idp.AdminDisableProviderForUserResponse{}, nil
	}
	fp, err := s.pools.FederationProvider(ctx, nil, poolID, provider)
	if err != nil {
		return nil, err
	}
	if fp.Social() && attr != subjectName {
		return nil, cognito.InvalidParameterException(fmt.Sprintf("ProviderAttributeName must be %s for a %s user.", subjectName, fp.Type))
	}
	key := identityKey(poolID, fp.Name, attr, value)
	_, err = s.mutateUser(ctx, p, func(tx storage.Tx) (*storage.Item, *userRecord, error) {
		it, err := tx.GetItemByKey(ctx, kindUser, key)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil, userNotFound()
		}
		if err != nil {
			return nil, nil, cognito.Internal(fmt.Errorf("find linked identity: %w", err))
		}
		u, err := decodeUser(it)
		return it, u, err
	}, func(u *userRecord, now time.Time) error {
		ids := slices.Clone(u.Identities)
		i := slices.IndexFunc(ids, func(id linkedIdentity) bool {
			return id.ProviderName == fp.Name && id.AttributeName == attr && id.Value == value
		})
		if i < 0 {
			return userNotFound()
		}
		if ids[i].Primary {
			u.Enabled, u.EnabledSetAt = false, &now
			return nil
		}
		setIdentities(u, slices.Delete(ids, i, i+1))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.AdminDisableProviderForUserResponse{}, nil
}
