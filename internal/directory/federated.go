package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

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
	// Attributes, when not nil, are the pool attributes this sign-in
	// writes in place of those the provider's AttributeMapping makes of
	// Claims: the InboundFederation trigger's userAttributesToMap. They
	// are checked against the pool's schema as an update is
	// (InvalidLambdaResponseException when they do not fit).
	Attributes map[string]string
	// ClientID is the app client the sign-in is for: the
	// callerContext.clientId of the PreSignUp and PostConfirmation events.
	ClientID string
}

// Trigger sources of a federated user's first sign-in.
const (
	sourcePreSignUpExternal = "PreSignUp_ExternalProvider"
	sourceConfirmSignUp     = "PostConfirmation_ConfirmSignUp"
)

// ProviderGroup is the group Cognito puts a provider's federated users in:
// "<pool ID>_<provider name>", which shows in their cognito:groups.
func ProviderGroup(poolID, provider string) string { return poolID + "_" + provider }

// ClaimString is a claim as an attribute value: strings as they are,
// booleans and numbers as JSON writes them, anything else as its JSON.
func ClaimString(v any) (string, bool) {
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
		if v, ok := ClaimString(in.Claims[claim]); ok {
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
	if in.Attributes != nil {
		var err error
		if attrs, err = inboundAttributes(p, in.Attributes); err != nil {
			return nil, err
		}
	}
	// A user the sign-in makes is first shown to PreSignUp, outside any
	// transaction: a refusal leaves nothing written. The transaction below
	// reads again, so a user a concurrent first sign-in made is signed in,
	// not made twice.
	var signup *events.CognitoEventUserPoolsPreSignupResponse
	if arn := s.triggerARN(p, func(lc *idp.LambdaConfigType) *string { return lc.PreSignUp }); arn != "" {
		_, u, err := findFederated(ctx, s.store, poolID, in, attrs)
		if err != nil {
			return nil, err
		}
		if u == nil {
			if err := checkFederatedRequired(p, attrs); err != nil {
				return nil, err
			}
			r, err := s.preSignUp(ctx, p, sourcePreSignUpExternal, in.ClientID, federatedUsername(in), attrs, nil, nil)
			if err != nil {
				return nil, err
			}
			signup = &r
		}
	}
	var out *userRecord
	created := false
	err := retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			out, created = nil, false
			it, u, err := findFederated(ctx, tx, poolID, in, attrs)
			if err != nil {
				return err
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
			u, err = s.newFederatedUser(p, in, attrs, signup)
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
			out, created = u, true
			return nil
		}))
	})
	if err != nil {
		return nil, err
	}
	if created {
		// Cognito confirms a federated user at its first sign-in and tells
		// PostConfirmation so, as ConfirmSignUp does; its failure refuses
		// this sign-in and the user stays, as after ConfirmSignUp.
		if err := s.postConfirmation(ctx, p, sourceConfirmSignUp, in.ClientID, out, nil); err != nil {
			return nil, err
		}
	}
	return signInUser(out), nil
}

// federatedUsername is the username of the user a provider's sign-in
// makes: "<provider>_<subject>".
func federatedUsername(in FederatedIdentity) string { return in.Provider.Name + "_" + in.Subject }

// findFederated finds the user a provider's sign-in stands for, nil when
// there is none yet: the user holding the identity (the provider and its
// subject), else one an identity of the provider was linked to by a mapped
// attribute with this sign-in's value.
func findFederated(ctx context.Context, r storage.ItemReader, poolID string, in FederatedIdentity, attrs map[string]string) (*storage.Item, *userRecord, error) {
	it, u, err := userByKey(ctx, r, identityKey(poolID, in.Provider.Name, subjectName, in.Subject))
	if err != nil || u != nil {
		return it, u, err
	}
	names := make([]string, 0, len(attrs))
	for a := range attrs {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if it, u, err = userByKey(ctx, r, identityKey(poolID, in.Provider.Name, a, attrs[a])); err != nil || u != nil {
			return it, u, err
		}
	}
	return nil, nil, nil
}

// inboundAttributes checks the attributes the InboundFederation trigger
// answered against the pool's schema, as an update of the user's
// attributes: an attribute the pool does not have, or may not be written,
// is the function's fault.
func inboundAttributes(p *idp.UserPoolType, in map[string]string) (map[string]string, error) {
	names := make([]string, 0, len(in))
	for a := range in {
		names = append(names, a)
	}
	sort.Strings(names)
	list := make([]idp.AttributeType, 0, len(names))
	for _, a := range names {
		if a == "username" {
			return nil, invalidInbound(fmt.Errorf("userAttributesToMap names username"))
		}
		list = append(list, idp.AttributeType{Name: cognito.Ptr(a), Value: cognito.Ptr(in[a])})
	}
	attrs, err := checkAttributes(p, list, attrUpdate)
	if err != nil {
		return nil, invalidInbound(err)
	}
	return attrs, nil
}

func invalidInbound(cause error) error {
	return cognito.InvalidLambdaResponseException("Invalid userAttributesToMap in the InboundFederation response.").WithCause(cause)
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
// PreSignUp's answer, when it was asked (signup), verifies the email
// address and phone number the sign-in brings (autoVerifyEmail,
// autoVerifyPhone); autoConfirmUser changes nothing: the user is
// EXTERNAL_PROVIDER, confirmed by its provider.
func (s *Service) newFederatedUser(p *idp.UserPoolType, in FederatedIdentity, attrs map[string]string, signup *events.CognitoEventUserPoolsPreSignupResponse) (*userRecord, error) {
	if err := checkFederatedRequired(p, attrs); err != nil {
		return nil, err
	}
	attrs = maps.Clone(attrs)
	if signup != nil {
		if signup.AutoVerifyEmail && attrs["email"] != "" {
			attrs["email_verified"] = "true"
		}
		if signup.AutoVerifyPhone && attrs["phone_number"] != "" {
			attrs["phone_number_verified"] = "true"
		}
	}
	now := s.now()
	u := &userRecord{
		Username: federatedUsername(in), Sub: newUserSub(), Attributes: attrs,
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

// checkFederatedRequired refuses a new federated user that lacks a
// required attribute of the pool, as Cognito does.
func checkFederatedRequired(p *idp.UserPoolType, attrs map[string]string) error {
	for _, a := range p.SchemaAttributes {
		name := cognito.Deref(a.Name)
		if cognito.Deref(a.Required) && name != "sub" && attrs[name] == "" {
			return cognito.InvalidParameterException(fmt.Sprintf("Invalid user attributes: %s: The attribute is required", name))
		}
	}
	return nil
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
