package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the sign-in engine's (internal/authflow) view of users:
// what a flow reads to decide, and the few writes it makes through the
// directory (a new password, an authentication event). Everything else
// stays unexported; the engine never sees a userRecord.

// SignInUser is a user as a sign-in flow sees it: a copy, so changing it
// changes nothing stored.
type SignInUser struct {
	Sub string
	// Username is the internal username, the USER_ID_FOR_SRP of SRP and
	// the username claim of tokens.
	Username string
	Status   idp.UserStatusType
	Enabled  bool
	// PasswordHash is the PHC argon2id hash of the password ("" for none);
	// check it with password.Hasher.Verify.
	PasswordHash string
	// SRPVerifier is the encrypted SRP verifier ("" for none).
	SRPVerifier string
	// ImportedHash is true for a user an import job brought with a
	// password hash that no sign-in has replaced yet: the password is
	// checked with VerifyImportedPassword.
	ImportedHash bool
	// TemporaryPasswordExpiresAt is set while the user must replace a
	// temporary password.
	TemporaryPasswordExpiresAt *time.Time
	// Attributes are the user's attributes by name, sub excluded.
	Attributes map[string]string
	// MFA are the user's second factors.
	MFA SignInMFA

	// rec is the record the copy was made from, for NewPrincipal; it may
	// be shared with the request's operation: never modified.
	rec *userRecord
}

func signInUser(u *userRecord) *SignInUser {
	out := &SignInUser{
		Sub: u.Sub, Username: u.Username, Status: u.Status, Enabled: u.Enabled,
		PasswordHash: u.PasswordHash, SRPVerifier: u.SRPVerifier, ImportedHash: u.ImportedHash != "",
		Attributes: make(map[string]string, len(u.Attributes)),
		MFA:        signInMFAOf(u),
		rec:        u,
	}
	if t := u.TemporaryPasswordExpiresAt; t != nil {
		c := *t
		out.TemporaryPasswordExpiresAt = &c
	}
	for k, v := range u.Attributes {
		if k != "sub" {
			out.Attributes[k] = v
		}
	}
	return out
}

// LookupUser finds the user a sign-in names in USERNAME: by username, then
// by an alias or username attribute, then by sub. A user that does not
// exist is UserNotFoundException; the flow decides what the client sees.
func (s *Service) LookupUser(ctx context.Context, pool *userpool.SignInPool, username string) (*SignInUser, error) {
	_, u, err := findUser(ctx, s.store, pool.Config(), username)
	if err != nil {
		return nil, err
	}
	return signInUser(u), nil
}

// UserBySub returns the user with sub in the pool, or
// UserNotFoundException. The user it returns can become an access grant's
// Principal (NewPrincipal).
func (s *Service) UserBySub(ctx context.Context, pool *userpool.SignInPool, sub string) (*SignInUser, error) {
	return s.UserBySubIn(ctx, s.store, pool, sub)
}

// UserRef names the item of the user sub, for a caller that reads it with
// other items in one store call (storage.GetItems) and then through
// UserBySubIn.
func UserRef(sub string) storage.ItemRef { return storage.ItemRef{Kind: kindUser, ID: sub} }

// UserBySubIn is UserBySub reading through r: the store, or a reader
// holding items read together (UserRef).
func (s *Service) UserBySubIn(ctx context.Context, r storage.ItemReader, pool *userpool.SignInPool, sub string) (*SignInUser, error) {
	it, err := r.GetItem(ctx, kindUser, sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != pool.ID) {
		return nil, userNotFound()
	}
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("get user: %w", err))
	}
	u, err := decodeUser(it)
	if err != nil {
		return nil, err
	}
	return signInUser(u), nil
}

// UserBySubWith is UserBySub that also reads the item ref names in the same
// store call (one round trip on PostgreSQL, storage.GetItems), for a caller
// that needs both; that item is nil when it does not exist.
func (s *Service) UserBySubWith(ctx context.Context, pool *userpool.SignInPool, sub string, ref storage.ItemRef) (*SignInUser, *storage.Item, error) {
	its, err := storage.GetItems(ctx, s.store, []storage.ItemRef{{Kind: kindUser, ID: sub}, ref})
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("get user: %w", err))
	}
	if its[0] == nil || its[0].Pool != pool.ID {
		return nil, nil, userNotFound()
	}
	u, err := decodeUser(its[0])
	if err != nil {
		return nil, nil, err
	}
	return signInUser(u), its[1], nil
}

// SignInGroup is a group a user belongs to, with what tokens carry of it.
type SignInGroup struct {
	Name       string
	RoleArn    string
	Precedence *int32
}

// UserGroups returns the groups the user sub belongs to, ordered by
// precedence (lowest value first, groups without one last), then by name.
func (s *Service) UserGroups(ctx context.Context, pool *userpool.SignInPool, sub string) ([]SignInGroup, error) {
	return s.UserGroupsIn(ctx, s.store, pool, sub)
}

// UserGroupsScan is the first index scan UserGroups runs for the user sub,
// for a caller that runs it with other reads in one store call
// (storage.GetItemsScan) and then reads the groups through UserGroupsIn.
func UserGroupsScan(pool, sub string) storage.ScanInput {
	return storage.ScanInput{Kind: kindGroupMember, Prefix: memberOfPrefix(pool, sub), Limit: userDeleteBatch}
}

// UserGroupsIn is UserGroups reading through r: the store, or a reader
// holding what was read together (UserGroupsScan).
func (s *Service) UserGroupsIn(ctx context.Context, r storage.ItemReader, pool *userpool.SignInPool, sub string) ([]SignInGroup, error) {
	var out []SignInGroup
	var afterKey, afterID string
	first := UserGroupsScan(pool.ID, sub)
	for {
		in := first
		in.AfterKey, in.AfterID = afterKey, afterID
		entries, err := r.ScanIndex(ctx, in)
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("list groups of user: %w", err))
		}
		for _, e := range entries {
			m, err := decodeMember(e.Item)
			if err != nil {
				return nil, err
			}
			it, err := r.GetItem(ctx, kindGroup, groupID(pool.ID, m.Group))
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, cognito.Internal(fmt.Errorf("get group %q: %w", m.Group, err))
			}
			g, err := decodeGroup(it)
			if err != nil {
				return nil, err
			}
			out = append(out, SignInGroup{Name: g.Name, RoleArn: cognito.Deref(g.RoleArn), Precedence: g.Precedence})
		}
		if len(entries) < userDeleteBatch {
			break
		}
		last := entries[len(entries)-1]
		afterKey, afterID = last.Key, last.Item.ID
	}
	slices.SortStableFunc(out, func(a, b SignInGroup) int {
		switch {
		case a.Precedence != nil && b.Precedence != nil && *a.Precedence != *b.Precedence:
			return int(*a.Precedence) - int(*b.Precedence)
		case a.Precedence != nil && b.Precedence == nil:
			return -1
		case a.Precedence == nil && b.Precedence != nil:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// SetNewPassword answers NEW_PASSWORD_REQUIRED for the user sub: it checks
// password against the pool's policy and history and attrs (attribute
// name to value, as the challenge response's "userAttributes.<name>"
// entries give them) against the schema and the client's WriteAttributes,
// then in one transaction runs within (the flow's own writes, such as using
// up its Session) and sets the password through the one place that sets
// passwords, sets the attributes and confirms the user, so either all of it
// happens or none. The user must still be in FORCE_CHANGE_PASSWORD, and
// must end up with every required attribute.
func (s *Service) SetNewPassword(ctx context.Context, pool *userpool.SignInPool, client *userpool.SignInClient, sub, password string, attrs map[string]string, within func(tx storage.Tx) error) (*SignInUser, error) {
	p := pool.Config()
	pp := policyOf(p)
	if err := checkPassword(pp, password); err != nil {
		return nil, err
	}
	if err := s.checkCompromised(ctx, p, signInClientID(client), idp.EventFilterTypePasswordChange, password); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	in := make([]idp.AttributeType, 0, len(names))
	for _, name := range names {
		if !client.CanWriteAttribute(name) {
			return nil, cognito.NotAuthorizedException("A client attempted to write unauthorized attribute")
		}
		in = append(in, idp.AttributeType{Name: cognito.Ptr(name), Value: cognito.Ptr(attrs[name])})
	}
	checked, err := checkAttributes(p, in, attrUpdate)
	if err != nil {
		return nil, err
	}
	current, err := s.UserBySub(ctx, pool, sub)
	if err != nil {
		return nil, err
	}
	if reused, err := s.passwordReused(ctx, pp, &userRecord{PasswordHash: current.PasswordHash}, password); err != nil {
		return nil, err
	} else if reused {
		return nil, passwordHistoryError()
	}
	np, err := s.hashNewPassword(ctx, pool.ID, current.Username, password)
	if err != nil {
		return nil, err
	}
	var out *userRecord
	err = retry(ctx, func() error {
		return userWriteError(p, attrUpdate, s.store.Tx(ctx, func(tx storage.Tx) error {
			it, err := tx.GetItem(ctx, kindUser, sub)
			if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != pool.ID) {
				return userNotFound()
			}
			if err != nil {
				return err
			}
			u, err := decodeUser(it)
			if err != nil {
				return err
			}
			if within != nil {
				if err := within(tx); err != nil {
					return err
				}
			}
			if u.Status != idp.UserStatusTypeForceChangePassword {
				return cognito.NotAuthorizedException("Invalid session for the user.")
			}
			now := s.now()
			for name, v := range checked {
				if (name == "email" || name == "phone_number") && u.Attributes[name] != v {
					if _, given := checked[name+"_verified"]; !given {
						if _, had := u.Attributes[name+"_verified"]; had {
							u.Attributes[name+"_verified"] = "false"
						}
					}
				}
				u.Attributes[name] = v
			}
			if missing := missingRequired(p, u.Attributes); len(missing) > 0 {
				return cognito.InvalidParameterException("Invalid attributes given, " + joinAnd(missing) + " is missing")
			}
			if err := s.applyNewPassword(u, p, np, now); err != nil {
				return err
			}
			u.Status, u.TemporaryPasswordExpiresAt, u.UpdatedAt = idp.UserStatusTypeConfirmed, nil, now
			ni, err := userItem(p, u, it.Version)
			if err != nil {
				return err
			}
			if err := tx.UpdateItem(ctx, ni); err != nil {
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

// missingRequired lists the schema's required attributes (other than sub)
// that attrs lacks, in schema order.
func missingRequired(p *idp.UserPoolType, attrs map[string]string) []string {
	var out []string
	for _, a := range p.SchemaAttributes {
		name := cognito.Deref(a.Name)
		if name != "sub" && cognito.Deref(a.Required) && attrs[name] == "" {
			out = append(out, name)
		}
	}
	return out
}

// joinAnd joins names as "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// RecordAuthEvent stores an authentication event of the user sub, which
// AdminListUserAuthEvents then returns, in a transaction of its own.
// Cognito records events only while the pool's threat protection is on;
// otherwise it stores nothing.
func (s *Service) RecordAuthEvent(ctx context.Context, pool *userpool.SignInPool, sub string, ev *idp.AuthEventType) error {
	if !pool.RecordsAuthEvents {
		return nil
	}
	if err := s.runTx(ctx, func(tx storage.Tx) error { return s.RecordAuthEventIn(ctx, tx, pool, sub, ev) }); err != nil {
		return err
	}
	s.ExportAuthEvent(ctx, pool, sub, ev)
	return nil
}

// RecordAuthEventIn is RecordAuthEvent inside tx: the sign-in engine
// records a successful sign-in in the transaction that issues its tokens.
// The caller exports the event (ExportAuthEvent) once tx has committed.
func (s *Service) RecordAuthEventIn(ctx context.Context, tx storage.Tx, pool *userpool.SignInPool, sub string, ev *idp.AuthEventType) error {
	if !pool.RecordsAuthEvents {
		return nil
	}
	return s.writeAuthEvent(ctx, tx, pool.ID, sub, ev, "", false)
}

// RebuildSRPVerifier gives a user whose password was just proven a new SRP
// verifier for it, when the stored one is missing (a password set before
// verifiers existed) or cannot be opened (the encryption key was replaced).
// Nothing else on the record changes. It does nothing when the user's
// password or username changed in the meantime, or when the service keeps
// no verifiers. The verifier is made through the fair queue (password.Hasher.Run).
func (s *Service) RebuildSRPVerifier(ctx context.Context, pool *userpool.SignInPool, user *SignInUser, password string) error {
	if s.srp == nil {
		return nil
	}
	made, err := s.makeSRPVerifier(ctx, pool.ID, user.Username, password)
	if err != nil {
		return err
	}
	v, err := s.srp.Seal(pool.ID, user.Sub, made)
	if err != nil {
		return cognito.Internal(err)
	}
	return s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindUser, user.Sub)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != pool.ID) {
			return nil // gone: nothing to rebuild
		}
		if err != nil {
			return err
		}
		u, err := decodeUser(it)
		if err != nil || u.PasswordHash != user.PasswordHash || u.Username != user.Username {
			return err
		}
		u.SRPVerifier = v
		next, err := userItem(pool.Config(), u, it.Version)
		if err != nil {
			return err
		}
		return tx.UpdateItem(ctx, next)
	})
}

// signInClientID is the ID of client, "" when there is none.
func signInClientID(client *userpool.SignInClient) string {
	if client == nil {
		return ""
	}
	return client.ClientID
}
