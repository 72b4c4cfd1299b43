package authflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/mfa"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is passkeys: their registration (StartWebAuthnRegistration,
// CompleteWebAuthnRegistration), ListWebAuthnCredentials,
// DeleteWebAuthnCredential, and the relying party they belong to. The
// sign-in with one, USER_AUTH's WEB_AUTHN, is challenge_web_authn.go. The
// WebAuthn ceremonies themselves are internal/mfa's (go-webauthn).

// kindPasskey is one registered passkey of a user (ID "<pool>/<credential
// ID, base64url>"). It replicates, so that a passkey signs in in every
// region. Its public key is not a secret; nothing in it is.
const kindPasskey = "webauthn_credential"

func init() { storage.DeclareKind(kindPasskey, storage.Replicated) }

// DefaultDomainPattern is the host of a prefix domain when
// Options.DomainPattern is empty: the hosted UI's default.
const DefaultDomainPattern = "{prefix}.auth.{region}.localhost"

// passkeyRecord is a registered passkey. JSON names are part of the
// stored format.
type passkeyRecord struct {
	Sub string `json:"sub"`
	// ID is the credential ID, base64url without padding.
	ID             string `json:"id"`
	RelyingPartyID string `json:"rp_id"`
	Name           string `json:"name"`
	Attachment     string `json:"attachment,omitempty"`
	// Credential is the credential as the WebAuthn library keeps it: its
	// public key, sign counter, flags and transports.
	Credential mfa.Passkey `json:"credential"`
	CreatedAt  time.Time   `json:"created_at"`
}

func passkeyID(pool, credID string) string { return pool + "/" + credID }

// passkeysOfPrefix is the index prefix of a user's passkeys: each carries
// "<pool>/passkeys-of/<sub>/<credential ID>", the order
// ListWebAuthnCredentials pages in.
func passkeysOfPrefix(pool, sub string) string { return pool + "/passkeys-of/" + sub + "/" }

func passkeyItem(pool string, p *passkeyRecord, version int64, now time.Time) (*storage.Item, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode passkey: %w", err)
	}
	return &storage.Item{
		Kind: kindPasskey, ID: passkeyID(pool, p.ID), Pool: pool, Data: data,
		Index:     []string{passkeysOfPrefix(pool, p.Sub) + p.ID},
		CreatedAt: p.CreatedAt, UpdatedAt: now, Version: version,
	}, nil
}

// passkeyRegistration is the challenge StartWebAuthnRegistration handed
// out (kind auth_session, ID "<pool>/passkey-registration/<sub>"): one per
// user, replaced by the next start, used up by the completion that
// answers it (or fails to).
type passkeyRegistration struct {
	Challenge string    `json:"challenge"`
	Client    string    `json:"client"`
	RPID      string    `json:"rp_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func passkeyRegistrationID(pool, sub string) string { return pool + "/passkey-registration/" + sub }

// Messages of the passkey exceptions.
const (
	msgWebAuthnNotEnabled   = "WebAuthn is not enabled for this user pool."
	msgWebAuthnNoRP         = "The user pool has no relying party ID for WebAuthn: set WebAuthnConfiguration.RelyingPartyId or add a domain."
	msgWebAuthnChallenge    = "No WebAuthn challenge found: start the registration again."
	msgWebAuthnOrigin       = "The credential was created at an origin this relying party does not allow."
	msgWebAuthnRelyingParty = "The credential was created for another relying party."
	msgWebAuthnClient       = "The access token is of another app client than the one that started the registration."
	msgWebAuthnNotSupported = "The credential is not supported."
	msgPasskeyNotFound      = "Credential not found."
	msgPasskeyInvalid       = "Invalid WebAuthn credential."
)

// relyingParty is the pool's WebAuthn relying party: its
// WebAuthnConfiguration.RelyingPartyId, or else its custom domain, or else
// its prefix domain's host (Options.DomainPattern); a pool with none of
// them has no relying party (WebAuthnConfigurationMissingException).
func (s *Service) relyingParty(ctx context.Context, pool *userpool.SignInPool) (mfa.RelyingParty, error) {
	rp := mfa.RelyingParty{ID: pool.WebAuthn.RelyingPartyID, Name: cognito.Deref(pool.Config().Name), UserVerification: pool.WebAuthn.UserVerification}
	if rp.ID == "" {
		prefix, custom, err := s.pools.PoolDomains(ctx, pool.ID)
		if err != nil {
			return rp, err
		}
		switch {
		case custom != "":
			rp.ID = custom
		case prefix != "":
			pattern := s.domainPattern
			if pattern == "" {
				pattern = DefaultDomainPattern
			}
			rp.ID = strings.NewReplacer("{prefix}", prefix, "{region}", pool.Region).Replace(pattern)
		}
	}
	if rp.ID == "" {
		return rp, cognito.WebAuthnConfigurationMissingException(msgWebAuthnNoRP)
	}
	if rp.Name == "" {
		rp.Name = rp.ID
	}
	return rp, nil
}

// passkeysOn says the pool allows passkeys as a first factor.
func passkeysOn(pool *userpool.SignInPool) bool {
	for _, f := range pool.FirstAuthFactors {
		if f == idp.AuthFactorTypeWebAuthn {
			return true
		}
	}
	return false
}

// userPasskeys reads every passkey of the user sub.
func (s *Service) userPasskeys(ctx context.Context, pool, sub string) ([]*passkeyRecord, []*storage.Item, error) {
	var recs []*passkeyRecord
	var items []*storage.Item
	in := storage.ScanInput{Kind: kindPasskey, Prefix: passkeysOfPrefix(pool, sub), Limit: maxPasskeys + 1}
	entries, err := s.store.ScanIndex(ctx, in)
	if err != nil {
		return nil, nil, internal(fmt.Errorf("list passkeys: %w", err))
	}
	for _, e := range entries {
		var p passkeyRecord
		if err := json.Unmarshal(e.Item.Data, &p); err != nil {
			return nil, nil, internal(fmt.Errorf("decode passkey %q: %w", e.Item.ID, err))
		}
		recs = append(recs, &p)
		items = append(items, e.Item)
	}
	return recs, items, nil
}

// countPasskeys counts the passkeys of the user sub (up to maxPasskeys+1).
func (s *Service) countPasskeys(ctx context.Context, pool, sub string) (int, error) {
	recs, _, err := s.userPasskeys(ctx, pool, sub)
	return len(recs), err
}

// maxPasskeys is how many passkeys a user may register.
const maxPasskeys = 20

// passkeyUser is the WebAuthn user u with its passkeys: its user handle
// is its sub.
func passkeyUser(u *directory.SignInUser, recs []*passkeyRecord) *mfa.PasskeyUser {
	out := &mfa.PasskeyUser{ID: []byte(u.Sub), Name: u.Username, DisplayName: u.Username}
	if n := u.Attributes["name"]; n != "" {
		out.DisplayName = n
	}
	for _, r := range recs {
		out.Credentials = append(out.Credentials, r.Credential)
	}
	return out
}

// passkeyCaller is the user an access token names, in a pool that allows
// passkeys.
func (s *Service) passkeyCaller(ctx context.Context, c cognito.Caller, token *string) (*cognito.AccessGrant, *userpool.SignInPool, *directory.SignInUser, error) {
	g, err := s.accessUser(ctx, c, token)
	if err != nil {
		return nil, nil, nil, err
	}
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(g.PoolID)}, g.PoolID)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.users.UserBySub(ctx, pool, g.Sub)
	if err != nil {
		return nil, nil, nil, err
	}
	return g, pool, u, nil
}

// StartWebAuthnRegistration hands the access token's user the options of
// a new passkey (CredentialCreationOptions) for the pool's relying party,
// excluding the passkeys it has, and keeps their challenge for
// CompleteWebAuthnRegistration (one per user: a new start replaces it).
func (s *Service) StartWebAuthnRegistration(ctx context.Context, c cognito.Caller, in *idp.StartWebAuthnRegistrationRequest) (*idp.StartWebAuthnRegistrationResponse, error) {
	g, pool, u, err := s.passkeyCaller(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	options, err := s.startPasskeyRegistration(ctx, pool, u, g.ClientID)
	if err != nil {
		return nil, err
	}
	return &idp.StartWebAuthnRegistrationResponse{CredentialCreationOptions: options}, nil
}

// startPasskeyRegistration is StartWebAuthnRegistration for the user u of
// pool, signed in through the app client clientID (with an access token,
// or on the hosted UI's pages).
func (s *Service) startPasskeyRegistration(ctx context.Context, pool *userpool.SignInPool, u *directory.SignInUser, clientID string) (json.RawMessage, error) {
	if !passkeysOn(pool) {
		return nil, cognito.WebAuthnNotEnabledException(msgWebAuthnNotEnabled)
	}
	rp, err := s.relyingParty(ctx, pool)
	if err != nil {
		return nil, err
	}
	recs, _, err := s.userPasskeys(ctx, pool.ID, u.Sub)
	if err != nil {
		return nil, err
	}
	if len(recs) >= maxPasskeys {
		return nil, cognito.LimitExceededException(fmt.Sprintf("A user can register at most %d passkeys.", maxPasskeys))
	}
	options, challenge, err := mfa.BeginRegistration(rp, passkeyUser(u, recs))
	if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	reg := passkeyRegistration{Challenge: challenge, Client: clientID, RPID: rp.ID, ExpiresAt: now.Add(mfa.PasskeyTimeout)}
	data, err := json.Marshal(reg)
	if err != nil {
		return nil, internal(err)
	}
	id := passkeyRegistrationID(pool.ID, u.Sub)
	err = s.runTx(ctx, func(tx storage.Tx) error {
		next := &storage.Item{
			Kind: kindAuthSession, ID: id, Pool: pool.ID, Data: data,
			Index: []string{expiringKey(reg.ExpiresAt)}, CreatedAt: now, UpdatedAt: now,
		}
		it, err := tx.GetItem(ctx, kindAuthSession, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			err = tx.CreateItem(ctx, next)
			if errors.Is(err, storage.ErrAlreadyExists) {
				return errRetry
			}
			return err
		case err != nil:
			return err
		}
		next.Version = it.Version
		return tx.UpdateItem(ctx, next)
	})
	if err != nil {
		return nil, err
	}
	s.maybeSweep(ctx, kindAuthSession)
	return options, nil
}

// CompleteWebAuthnRegistration registers the passkey Credential (a
// RegistrationResponseJSON) answers the challenge of the user's last
// StartWebAuthnRegistration with. The challenge is used up whatever the
// outcome; the passkey is stored in the same transaction.
func (s *Service) CompleteWebAuthnRegistration(ctx context.Context, c cognito.Caller, in *idp.CompleteWebAuthnRegistrationRequest) (*idp.CompleteWebAuthnRegistrationResponse, error) {
	g, pool, u, err := s.passkeyCaller(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.completePasskeyRegistration(ctx, pool, u, g.ClientID, in.Credential); err != nil {
		return nil, err
	}
	return &idp.CompleteWebAuthnRegistrationResponse{}, nil
}

// completePasskeyRegistration is CompleteWebAuthnRegistration for the user
// u of pool, signed in through the app client clientID.
func (s *Service) completePasskeyRegistration(ctx context.Context, pool *userpool.SignInPool, u *directory.SignInUser, clientID string, credential json.RawMessage) error {
	if !passkeysOn(pool) {
		return cognito.WebAuthnNotEnabledException(msgWebAuthnNotEnabled)
	}
	if len(credential) == 0 || string(credential) == "null" {
		return cognito.InvalidParameterException("Missing required parameter Credential")
	}
	id := passkeyRegistrationID(pool.ID, u.Sub)
	it, err := s.store.GetItem(ctx, kindAuthSession, id)
	if errors.Is(err, storage.ErrNotFound) {
		return cognito.WebAuthnChallengeNotFoundException(msgWebAuthnChallenge)
	}
	if err != nil {
		return internal(fmt.Errorf("get passkey registration: %w", err))
	}
	var reg passkeyRegistration
	if err := json.Unmarshal(it.Data, &reg); err != nil {
		return internal(fmt.Errorf("decode passkey registration: %w", err))
	}
	// useUp deletes the challenge at the version read: of two completions
	// one finds it.
	useUp := func(tx storage.Tx) error {
		err := tx.DeleteItem(ctx, kindAuthSession, id, it.Version)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
			return cognito.WebAuthnChallengeNotFoundException(msgWebAuthnChallenge)
		}
		return err
	}
	fail := func(answer error) error {
		if err := s.runTx(ctx, useUp); err != nil {
			return err
		}
		return answer
	}
	if !s.now().Before(reg.ExpiresAt) {
		return fail(cognito.WebAuthnChallengeNotFoundException(msgWebAuthnChallenge))
	}
	if reg.Client != clientID {
		return fail(cognito.WebAuthnClientMismatchException(msgWebAuthnClient))
	}
	rp, err := s.relyingParty(ctx, pool)
	if err != nil {
		return err
	}
	if rp.ID != reg.RPID {
		return fail(cognito.WebAuthnRelyingPartyMismatchException(msgWebAuthnRelyingParty))
	}
	recs, _, err := s.userPasskeys(ctx, pool.ID, u.Sub)
	if err != nil {
		return err
	}
	cred, err := mfa.FinishRegistration(rp, passkeyUser(u, recs), reg.Challenge, credential)
	if err != nil {
		s.log.Info("passkey registration refused", "pool", pool.ID, "err", err)
		return fail(passkeyError(err, true))
	}
	var attachment string
	var raw struct {
		AuthenticatorAttachment string `json:"authenticatorAttachment"`
	}
	if json.Unmarshal(credential, &raw) == nil && (raw.AuthenticatorAttachment == "platform" || raw.AuthenticatorAttachment == "cross-platform") {
		attachment = raw.AuthenticatorAttachment
	}
	now := s.now()
	rec := &passkeyRecord{
		Sub: u.Sub, ID: base64.RawURLEncoding.EncodeToString(cred.ID), RelyingPartyID: rp.ID,
		Name: passkeyName(attachment), Attachment: attachment, Credential: *cred, CreatedAt: now,
	}
	pit, err := passkeyItem(pool.ID, rec, 0, now)
	if err != nil {
		return internal(err)
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if err := useUp(tx); err != nil {
			return err
		}
		err := tx.CreateItem(ctx, pit)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return cognito.WebAuthnCredentialNotSupportedException("The credential is already registered.")
		}
		return err
	})
	return err
}

// passkeyName is a registered passkey's FriendlyCredentialName: cognate
// has no metadata of authenticator models to name it by, so it names its
// kind.
func passkeyName(attachment string) string {
	switch attachment {
	case "platform":
		return "Platform passkey"
	case "cross-platform":
		return "Security key"
	}
	return "Passkey"
}

// passkeyError maps a refused WebAuthn response onto Cognito's exception:
// registration says so for a credential it does not take, sign-in answers
// NotAuthorizedException.
func passkeyError(err error, registration bool) error {
	switch {
	case errors.Is(err, mfa.ErrPasskeyOrigin):
		return cognito.WebAuthnOriginNotAllowedException(msgWebAuthnOrigin).WithCause(err)
	case errors.Is(err, mfa.ErrPasskeyRelyingParty):
		return cognito.WebAuthnRelyingPartyMismatchException(msgWebAuthnRelyingParty).WithCause(err)
	case errors.Is(err, mfa.ErrPasskeyChallenge):
		return cognito.WebAuthnChallengeNotFoundException(msgWebAuthnChallenge).WithCause(err)
	case errors.Is(err, mfa.ErrPasskeyMalformed):
		return cognito.InvalidParameterException(msgPasskeyInvalid).WithCause(err)
	case registration:
		return cognito.WebAuthnCredentialNotSupportedException(msgWebAuthnNotSupported).WithCause(err)
	}
	return cognito.NotAuthorizedException(msgPasskeyInvalid).WithCause(err)
}

// credentialIDPattern is a credential ID as ListWebAuthnCredentials and
// DeleteWebAuthnCredential take it: base64url without padding.
var credentialIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,1000}$`)

// maxListPasskeys is the largest MaxResults ListWebAuthnCredentials takes,
// and its default.
const maxListPasskeys = 20

// ListWebAuthnCredentials lists the access token's user's passkeys in
// credential-ID order, MaxResults (at most 20, and 0 or none for 20) at a
// time; NextToken is
// the last credential ID of the page before.
func (s *Service) ListWebAuthnCredentials(ctx context.Context, c cognito.Caller, in *idp.ListWebAuthnCredentialsRequest) (*idp.ListWebAuthnCredentialsResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.listPasskeys(ctx, g.PoolID, g.Sub, in)
}

// AdminListWebAuthnCredentials lists the passkeys of the user username of
// poolID as ListWebAuthnCredentials lists the caller's (in.AccessToken
// unused): the admin console's view of a user's passkeys. Cognito has no
// Admin operation for it; the answer and its pages are
// ListWebAuthnCredentials'.
func (s *Service) AdminListWebAuthnCredentials(ctx context.Context, c cognito.Caller, poolID, username string, in *idp.ListWebAuthnCredentialsRequest) (*idp.ListWebAuthnCredentialsResponse, error) {
	pool, sub, err := s.adminUser(ctx, c, poolID, username)
	if err != nil {
		return nil, err
	}
	return s.listPasskeys(ctx, pool.ID, sub, in)
}

// listPasskeys is ListWebAuthnCredentials for the user sub of pool.
func (s *Service) listPasskeys(ctx context.Context, pool, sub string, in *idp.ListWebAuthnCredentialsRequest) (*idp.ListWebAuthnCredentialsResponse, error) {
	n := maxListPasskeys
	if in.MaxResults != nil {
		n = int(*in.MaxResults)
		if n < 0 || n > maxListPasskeys {
			return nil, cognito.InvalidParameterException(fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxListPasskeys))
		}
		if n == 0 {
			n = maxListPasskeys
		}
	}
	prefix := passkeysOfPrefix(pool, sub)
	scan := storage.ScanInput{Kind: kindPasskey, Prefix: prefix, Limit: n + 1}
	if t := cognito.Deref(in.NextToken); t != "" {
		if !credentialIDPattern.MatchString(t) {
			return nil, cognito.InvalidParameterException("Invalid pagination token.")
		}
		scan.AfterKey, scan.AfterID = prefix+t, passkeyID(pool, t)
	}
	entries, err := s.store.ScanIndex(ctx, scan)
	if err != nil {
		return nil, internal(fmt.Errorf("list passkeys: %w", err))
	}
	out := &idp.ListWebAuthnCredentialsResponse{Credentials: []idp.WebAuthnCredentialDescription{}}
	if len(entries) > n {
		entries = entries[:n]
		out.NextToken = cognito.Ptr(entries[n-1].Key[len(prefix):])
	}
	for _, e := range entries {
		var p passkeyRecord
		if err := json.Unmarshal(e.Item.Data, &p); err != nil {
			return nil, internal(fmt.Errorf("decode passkey %q: %w", e.Item.ID, err))
		}
		d := idp.WebAuthnCredentialDescription{
			CredentialId: cognito.Ptr(p.ID), FriendlyCredentialName: cognito.Ptr(p.Name),
			RelyingPartyId: cognito.Ptr(p.RelyingPartyID), CreatedAt: &cognito.Timestamp{Time: p.CreatedAt},
			AuthenticatorTransports: []string{},
		}
		if p.Attachment != "" {
			d.AuthenticatorAttachment = cognito.Ptr(p.Attachment)
		}
		for _, t := range p.Credential.Transport {
			d.AuthenticatorTransports = append(d.AuthenticatorTransports, string(t))
		}
		out.Credentials = append(out.Credentials, d)
	}
	return out, nil
}

// DeleteWebAuthnCredential deletes one of the access token's user's
// passkeys; another user's, or none, is ResourceNotFoundException.
func (s *Service) DeleteWebAuthnCredential(ctx context.Context, c cognito.Caller, in *idp.DeleteWebAuthnCredentialRequest) (*idp.DeleteWebAuthnCredentialResponse, error) {
	g, err := s.accessUser(ctx, c, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.deletePasskey(ctx, g.PoolID, g.Sub, cognito.Deref(in.CredentialId)); err != nil {
		return nil, err
	}
	return &idp.DeleteWebAuthnCredentialResponse{}, nil
}

// AdminDeleteWebAuthnCredential deletes one of the passkeys of the user
// username of poolID as DeleteWebAuthnCredential deletes the caller's (the
// admin console's; Cognito has no Admin operation for it): another
// user's, or none, is ResourceNotFoundException.
func (s *Service) AdminDeleteWebAuthnCredential(ctx context.Context, c cognito.Caller, poolID, username, credentialID string) error {
	pool, sub, err := s.adminUser(ctx, c, poolID, username)
	if err != nil {
		return err
	}
	return s.deletePasskey(ctx, pool.ID, sub, credentialID)
}

// deletePasskey deletes the passkey credID of the user sub of pool.
func (s *Service) deletePasskey(ctx context.Context, pool, sub, credID string) error {
	if !credentialIDPattern.MatchString(credID) {
		return cognito.ResourceNotFoundException(msgPasskeyNotFound)
	}
	return s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindPasskey, passkeyID(pool, credID))
		if errors.Is(err, storage.ErrNotFound) {
			return cognito.ResourceNotFoundException(msgPasskeyNotFound)
		}
		if err != nil {
			return err
		}
		var p passkeyRecord
		if err := json.Unmarshal(it.Data, &p); err != nil {
			return fmt.Errorf("decode passkey: %w", err)
		}
		if p.Sub != sub {
			return cognito.ResourceNotFoundException(msgPasskeyNotFound)
		}
		return tx.DeleteItem(ctx, kindPasskey, it.ID, it.Version)
	})
}
