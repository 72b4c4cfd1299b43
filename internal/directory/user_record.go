package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// Item kinds this package stores. Each kind's Data is the JSON of the
// matching record type; every item of them carries its pool.
const (
	kindUser        = "user"         // userRecord; ID is the user's sub
	kindGroup       = "group"        // ID is "<pool>/<group name>"
	kindGroupMember = "group_member" // ID is "<pool>/<group name>/<sub>"
)

// Every kind this package writes is declared to the store (see
// storage.Replication): users, groups and memberships replicate to every
// region; recorded authentication events stay in the region that records
// them, out of the change log (ARCHITECTURE.md: they are
// AdminListUserAuthEvents' one source). Users are looked up by name far
// more often than they change (AdminGetUser, every sign-in), so a store
// that can keep them exactly fresh (SQLite, one process) answers those
// lookups from memory (storage.DeclareCachedByKey).
func init() {
	for _, k := range []string{kindUser, kindGroup, kindGroupMember} {
		storage.DeclareKind(k, storage.Replicated)
	}
	storage.DeclareCachedByKey(kindUser)
	storage.DeclareKind(kindAuthEvent, storage.Local)
}

// userRecord is a stored user (item kind "user", ID = sub). Later features
// add members; JSON names are part of the stored format and never change.
type userRecord struct {
	// Username is the internal username as created (case preserved). With
	// UsernameAttributes it is a UUID equal to sub.
	Username string `json:"username"`
	// Sub is the immutable UUID that identifies the user.
	Sub string `json:"sub"`
	// Attributes holds every attribute but sub, by name (custom ones with
	// their custom: or dev:custom: prefix), values as Cognito sends them.
	Attributes map[string]string `json:"attributes"`
	Enabled    bool              `json:"enabled"`
	// EnabledSetAt is when an administrator (or the disabling of a
	// primary identity) last set Enabled; nil when never. Replication
	// keeps the later of two regions' (MergeUserReplicas).
	EnabledSetAt *time.Time `json:"enabled_set_at,omitempty"`
	// Status is a UserStatusType value.
	Status    idp.UserStatusType `json:"status"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
	// PasswordHash is the PHC-format argon2id hash of the current password
	// ("" when the user has none).
	PasswordHash string `json:"password_hash,omitempty"`
	// ImportedHash is the sealed password hash an import job brought
	// (importKeys.sealImportedHash: algorithm and hash), kept until the
	// user's first sign-in with the password replaces it with
	// PasswordHash; "" when none. Setting a password drops it.
	ImportedHash string `json:"imported_hash,omitempty"`
	// PasswordSetAt is when the password was last set.
	PasswordSetAt *time.Time `json:"password_set_at,omitempty"`
	// TemporaryPasswordExpiresAt is set while Status is
	// FORCE_CHANGE_PASSWORD: after it, the temporary password no longer
	// signs in and an administrator must reset it.
	TemporaryPasswordExpiresAt *time.Time `json:"temporary_password_expires_at,omitempty"`
	// PasswordHistory holds hashes of earlier passwords, newest first, as
	// many as the pool's PasswordHistorySize asks.
	PasswordHistory []string `json:"password_history,omitempty"`
	// SRPVerifier is the encrypted SRP salt and verifier of the current
	// password (Options.SRPVerifier), "" when none was made.
	SRPVerifier string `json:"srp_verifier,omitempty"`
	// MFAOptions are the legacy SMS MFA settings (AdminSetUserSettings).
	MFAOptions []idp.MFAOptionType `json:"mfa_options,omitempty"`
	// PreferredMFA and EnabledMFA are the MFA settings (SMS_MFA,
	// SOFTWARE_TOKEN_MFA, EMAIL_OTP).
	PreferredMFA string   `json:"preferred_mfa,omitempty"`
	EnabledMFA   []string `json:"enabled_mfa,omitempty"`
	// PasskeyMFA is WebAuthnMfaSettings.Enabled: the user's passkeys,
	// verifying the user, sign in where MFA is due.
	PasskeyMFA bool `json:"passkey_mfa,omitempty"`
	// TOTPSecret is the sealed secret of the user's verified software
	// token (mfa.Secrets), "" for none; TOTPPending the sealed secret
	// AssociateSoftwareToken handed out that VerifySoftwareToken has not
	// verified yet; TOTPStep the time step of the code VerifySoftwareToken
	// accepted (sign-ins record theirs in a totp_step item, kindTOTPStep;
	// a code is accepted once); TOTPName the FriendlyDeviceName.
	TOTPSecret  string `json:"totp_secret,omitempty"`
	TOTPPending string `json:"totp_pending,omitempty"`
	TOTPStep    int64  `json:"totp_step,omitempty"`
	TOTPName    string `json:"totp_name,omitempty"`
	// Codes are the one-time codes sent to the user and not yet used
	// (attribute verification, password reset), stored hashed.
	Codes []userCode `json:"codes,omitempty"`
	// PendingAttributes holds, by name (email, phone_number), a new value
	// the user asked for in a pool whose UserAttributeUpdateSettings keep
	// the original value until the new one is verified. It is neither
	// returned nor used to sign in; VerifyUserAttribute moves it into
	// Attributes.
	PendingAttributes map[string]string `json:"pending_attributes,omitempty"`
	// Identities are the user's external identities: a federated user's
	// own, and those linked to the user (AdminLinkProviderForUser). Each
	// holds a unique key (identityKey); the identities attribute shows
	// them.
	Identities []linkedIdentity `json:"identities,omitempty"`
	// Conflict is what the user gave up to users made earlier in other
	// regions that claimed the same username or alias before the regions
	// saw each other's (YieldUserKey); nil for nearly every user.
	Conflict *userConflict `json:"conflict,omitempty"`
}

// aliasAttributes are the attributes that can be aliases or username
// attributes.
var aliasAttributes = []string{"email", "phone_number", "preferred_username"}

// usernameKey is the unique key of a user's username within its pool.
func usernameKey(p *idp.UserPoolType, username string) string {
	return cognito.Deref(p.Id) + "/username/" + userpool.FoldUsername(p, username)
}

// aliasKey is the unique key of an alias (a verified email or phone number,
// or a preferred_username) or username attribute within its pool.
func aliasKey(p *idp.UserPoolType, attr, value string) string {
	return cognito.Deref(p.Id) + "/alias/" + attr + "/" + userpool.FoldUsername(p, value)
}

// decodeUser decodes a user item.
func decodeUser(it *storage.Item) (*userRecord, error) {
	var u userRecord
	if err := json.Unmarshal(it.Data, &u); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode user %q: %w", it.ID, err))
	}
	return &u, nil
}

// userNotFound is the exception for a user that does not exist.
func userNotFound() error { return cognito.UserNotFoundException("User does not exist.") }

// findUser resolves the Username member of an admin request, as Cognito
// does: the username, then any alias or username attribute (email,
// phone_number, preferred_username), then the sub.
func findUser(ctx context.Context, r storage.ItemReader, p *idp.UserPoolType, username string) (*storage.Item, *userRecord, error) {
	return findUserWith(ctx, r, p, username, decodeUser)
}

// findUserWith is findUser decoding the user it finds with decode
// (decodeUser, or a userMemo's decode on read-only paths).
func findUserWith(ctx context.Context, r storage.ItemReader, p *idp.UserPoolType, username string, decode func(*storage.Item) (*userRecord, error)) (*storage.Item, *userRecord, error) {
	if err := userpool.CheckText("username", ruleUsername, username); err != nil {
		return nil, nil, err
	}
	// Each alias key is built only when the ones before it missed: most
	// requests name a username, found by the first.
	for i := -1; i < len(aliasAttributes); i++ {
		k := ""
		if i < 0 {
			k = usernameKey(p, username)
		} else {
			k = aliasKey(p, aliasAttributes[i], username)
		}
		it, err := r.GetItemByKey(ctx, kindUser, k)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, cognito.Internal(fmt.Errorf("find user: %w", err))
		}
		u, err := decode(it)
		return it, u, err
	}
	it, err := r.GetItem(ctx, kindUser, username)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && it.Pool != cognito.Deref(p.Id)) {
		return nil, nil, userNotFound()
	}
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("find user: %w", err))
	}
	u, err := decode(it)
	return it, u, err
}

// userKeys returns the unique keys a user holds: its username, and each
// alias it claims. An alias attribute claims its value when the pool lists
// it in UsernameAttributes, or lists it in AliasAttributes and the value is
// verified (preferred_username needs no verification).
func userKeys(p *idp.UserPoolType, u *userRecord) []string {
	keys := []string{usernameKey(p, u.Username)}
	// A federated user has no password to sign in with an alias, and its
	// provider's email must not claim one a user of the pool may want.
	for _, a := range aliasAttributes {
		if u.Status == idp.UserStatusTypeExternalProvider {
			break
		}
		v, ok := u.Attributes[a]
		if !ok || v == "" {
			continue
		}
		claimed := false
		for _, ua := range p.UsernameAttributes {
			claimed = claimed || string(ua) == a
		}
		for _, aa := range p.AliasAttributes {
			if string(aa) == a {
				claimed = claimed || a == "preferred_username" || u.Attributes[a+"_verified"] == "true"
			}
		}
		if claimed {
			keys = append(keys, aliasKey(p, a, v))
		}
	}
	for _, id := range u.Identities {
		keys = append(keys, identityKey(cognito.Deref(p.Id), id.ProviderName, id.AttributeName, id.Value))
	}
	return keys
}

// userItem returns the storage item of u in pool p, with its unique keys
// and its ListUsers index entries.
func userItem(p *idp.UserPoolType, u *userRecord, version int64) (*storage.Item, error) {
	if err := checkUserText(u); err != nil {
		return nil, err
	}
	data, err := json.Marshal(u)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("encode user: %w", err))
	}
	return &storage.Item{
		Kind: kindUser, ID: u.Sub, Pool: cognito.Deref(p.Id), Data: data,
		Keys: userKeys(p, u), Index: userIndex(p, u),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: version,
	}, nil
}
