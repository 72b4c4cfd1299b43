package authflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// familyRecord is one sign-in session (kind token_family, ID
// "<pool>/<origin_jti>"): the refresh tokens it holds, and the access and
// ID tokens minted from them, all carry its origin_jti. Revoking the
// session deletes the family and its refresh tokens, and from then on every
// token with its origin_jti is refused. JSON names are part of the stored
// format.
type familyRecord struct {
	Sub      string `json:"sub"`
	Username string `json:"username"`
	Client   string `json:"client"`
	// AuthTime is when the user authenticated, the auth_time of every
	// token of the family; EventID is the sign-in's event_id.
	AuthTime  time.Time `json:"auth_time"`
	EventID   string    `json:"event_id"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the family's newest refresh token expires; the
	// family is swept after it.
	ExpiresAt time.Time `json:"expires_at"`
	// Scopes are the OAuth scopes the family was granted at the hosted
	// UI's endpoints, which every access token minted in it carries; empty
	// for a sign-in through the API (the default scope).
	Scopes []string `json:"scopes,omitempty"`
	// DeviceKey is the device the family was signed in on: the device
	// the sign-in authenticated (DEVICE_PASSWORD_VERIFIER), or the new
	// device key it handed out (NewDeviceMetadata), whose DeviceGroupKey
	// ConfirmDevice reads here. Every access token of the family carries
	// it as device_key; forgetting the device deletes the family.
	DeviceKey      string `json:"device_key,omitempty"`
	DeviceGroupKey string `json:"device_group_key,omitempty"`
}

// refreshRecord is one refresh token (kind refresh_token, ID
// "<pool>/<hex SHA-256 of the token>"). It stays until it expires, whether
// or not its family is revoked, or until its user is deleted (eraseUser).
// JSON names are part of the stored format.
type refreshRecord struct {
	// Family is the origin_jti of the token's family.
	Family    string    `json:"family"`
	Client    string    `json:"client"`
	Sub       string    `json:"sub"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// RotatedAt is when GetTokensFromRefreshToken replaced the token under
	// refresh-token rotation; nil while it is the current one.
	RotatedAt *time.Time `json:"rotated_at,omitempty"`
}

func familyID(pool, origin string) string { return pool + "/" + origin }

// familiesOfPrefix is the index prefix of a user's families: each family
// carries "<pool>/families-of/<sub>/<origin_jti>", so signing the user out
// everywhere finds them all.
func familiesOfPrefix(pool, sub string) string { return pool + "/families-of/" + sub + "/" }

func refreshID(pool, hash string) string { return pool + "/" + hash }

// tokensOfPrefix is the index prefix of a user's refresh tokens: each
// carries "<pool>/tokens-of/<sub>/<hash>", so deleting the user finds them
// all. Tokens stored before they carried it are not found, and stay until
// they expire.
func tokensOfPrefix(pool, sub string) string { return pool + "/tokens-of/" + sub + "/" }

// refreshHash is the hex SHA-256 of a refresh token: what is stored in its
// place.
func refreshHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// refreshTokenBytes is the entropy of a refresh token: 256 bits from
// crypto/rand.
const refreshTokenBytes = 32

// newRefreshToken returns a fresh opaque refresh token, base64url without
// padding (the character set the API's token members accept).
func newRefreshToken() string {
	var b [refreshTokenBytes]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func familyItem(pool, origin string, f *familyRecord, version int64) (*storage.Item, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode token family: %w", err)
	}
	index := []string{familiesOfPrefix(pool, f.Sub) + origin, expiringKey(f.ExpiresAt)}
	if f.DeviceKey != "" {
		index = append(index, familiesOfDevicePrefix(pool, f.DeviceKey)+origin)
	}
	return &storage.Item{
		Kind: kindTokenFamily, ID: familyID(pool, origin), Pool: pool, Data: data,
		Index: index, CreatedAt: f.CreatedAt, UpdatedAt: f.CreatedAt, Version: version,
	}, nil
}

func refreshItem(pool, hash string, r *refreshRecord, version int64) (*storage.Item, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode refresh token: %w", err)
	}
	return &storage.Item{
		Kind: kindRefreshToken, ID: refreshID(pool, hash), Pool: pool, Data: data,
		Index:     []string{tokensOfPrefix(pool, r.Sub) + hash, expiringKey(r.ExpiresAt)},
		CreatedAt: r.IssuedAt, UpdatedAt: r.IssuedAt, Version: version,
	}, nil
}

func decodeFamily(it *storage.Item) (*familyRecord, error) {
	var f familyRecord
	if err := json.Unmarshal(it.Data, &f); err != nil {
		return nil, fmt.Errorf("decode token family %q: %w", it.ID, err)
	}
	return &f, nil
}

func decodeRefresh(it *storage.Item) (*refreshRecord, error) {
	var r refreshRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, fmt.Errorf("decode refresh token %q: %w", it.ID, err)
	}
	return &r, nil
}

// deleteFamily revokes a family inside tx: from the commit on, every token
// with its origin_jti is refused, and so is every refresh token of the
// family (its record stays until it expires, so that using it is answered
// "Refresh Token has been revoked").
func deleteFamily(ctx context.Context, tx storage.Tx, fam *storage.Item) error {
	if err := tx.DeleteItem(ctx, kindTokenFamily, fam.ID, fam.Version); err != nil {
		return fmt.Errorf("delete token family: %w", err)
	}
	return nil
}

// signIn ends a successful sign-in: it opens a new token family with a
// refresh token, mints the access and ID tokens, and records the event.
// In a pool that tracks devices, the family is signed in on dev, the
// device the sign-in authenticated (whose last sign-in and address are
// updated in the same transaction), or, with dev nil, on a new device key
// handed out as NewDeviceMetadata.
// attempt, when not nil, is the counted attempt of the password that got
// here: it is taken back in the transaction that creates the family, so a
// sign-in after a right password writes once. If that transaction fails,
// the attempt stays counted as a failure.
//
// source is the pre-token-generation event's triggerSource; dev the device
// the sign-in authenticated, nil for none. within, when not nil, runs in
// the transaction that creates the family (an MFA answer's writes);
// factors are what the sign-in answered, which its event records; r is
// what the user's groups are read through (identity).
func (s *Service) signIn(ctx context.Context, r storage.ItemReader, pool *userpool.SignInPool, client *userpool.SignInClient, u *directory.SignInUser, attempt *passwordAttempt, source string, dev *deviceRecord, within func(tx storage.Tx) error, factors eventFactors) (*Tokens, error) {
	now := s.now()
	origin, eventID := tokens.NewJTI(), tokens.NewJTI()
	if r := factors.risk; r != nil && r.eventID != "" {
		// The event a notifying risk recorded when it asked for the
		// second factor: this sign-in's, which its tokens name.
		eventID = r.eventID
	}
	fam := &familyRecord{
		Sub: u.Sub, Username: u.Username, Client: client.ClientID, AuthTime: now, EventID: eventID,
		CreatedAt: now, ExpiresAt: now.Add(client.RefreshTokenValidity),
	}
	var newDevice *NewDevice
	switch {
	case dev != nil:
		fam.DeviceKey = dev.Key
	case pool.TracksDevices:
		newDevice = &NewDevice{Key: newDeviceKey(pool), GroupKey: newDeviceGroupKey()}
		fam.DeviceKey, fam.DeviceGroupKey = newDevice.Key, newDevice.GroupKey
	}
	refresh := newRefreshToken()
	hash := refreshHash(refresh)
	rec := &refreshRecord{Family: origin, Client: client.ClientID, Sub: u.Sub, IssuedAt: now, ExpiresAt: fam.ExpiresAt}
	famIt, err := familyItem(pool.ID, origin, fam, 0)
	if err != nil {
		return nil, internal(err)
	}
	refIt, err := refreshItem(pool.ID, hash, rec, 0)
	if err != nil {
		return nil, internal(err)
	}
	access, id, err := s.mint(ctx, r, pool, client, u, origin, fam, source)
	if err != nil {
		return nil, err
	}
	factors.ip = clientIP(ctx)
	ev := s.authEvent(eventID, idp.EventResponseTypePass, factors)
	var note *recordedEvent
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if refused, err := attempt.settle(ctx, tx); err != nil || refused {
			return err
		}
		if within != nil {
			if err := within(tx); err != nil {
				return err
			}
		}
		if err := tx.CreateItem(ctx, famIt); err != nil {
			return fmt.Errorf("create token family: %w", err)
		}
		if err := tx.CreateItem(ctx, refIt); err != nil {
			return fmt.Errorf("create refresh token: %w", err)
		}
		if dev != nil {
			if err := s.deviceSignedIn(ctx, tx, pool.ID, u.Sub, dev.Key, now, clientIP(ctx)); err != nil {
				return err
			}
		}
		var err error
		note, err = s.recordRiskEventIn(ctx, tx, pool, u, ev, factors.risk, directory.RiskEmailNoAction)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := attempt.refusal(); err != nil {
		return nil, err
	}
	s.afterCommit(ctx, note)
	s.maybeSweep(ctx, kindTokenFamily)
	s.maybeSweep(ctx, kindRefreshToken)
	res := s.result(client, access, id, refresh)
	res.NewDevice = newDevice
	return res, nil
}

// result is what freshly minted tokens answer; refresh is "" when none is
// issued.
func (s *Service) result(client *userpool.SignInClient, access, id, refresh string) *Tokens {
	return &Tokens{AccessToken: access, IDToken: id, RefreshToken: refresh, ExpiresIn: client.AccessTokenValidity}
}

// mint mints an access and an ID token for u in the family origin (the ID
// token only with openid, for a family the OAuth endpoints granted
// scopes); source is the pre-token-generation event's triggerSource. r is
// what the user's groups are read through (identity).
func (s *Service) mint(ctx context.Context, r storage.ItemReader, pool *userpool.SignInPool, client *userpool.SignInClient, u *directory.SignInUser, origin string, fam *familyRecord, source string) (access, id string, err error) {
	ident, err := s.identity(ctx, r, pool, client, u)
	if err != nil {
		return "", "", err
	}
	ident.OriginJTI, ident.EventID, ident.AuthTime = origin, fam.EventID, fam.AuthTime
	ident.Scopes = fam.Scopes
	ident.DeviceKey = fam.DeviceKey
	gen := &tokenGeneration{pool: pool, client: client, user: u, source: source, metadata: clientMetadata(ctx), id: &ident}
	if err := s.hooks.runPreTokenGeneration(ctx, gen); err != nil {
		return "", "", err
	}
	access, _, err = s.tokens.MintAccessToken(ctx, ident, client.AccessTokenValidity)
	if err != nil {
		return "", "", err
	}
	if len(fam.Scopes) > 0 && !slices.Contains(fam.Scopes, "openid") {
		// A family the hosted UI's endpoints granted without openid
		// refreshes as it was granted: an access token, no ID token
		// (Cognito's token endpoint gives one only for openid).
		return access, "", nil
	}
	id, err = s.tokens.MintIDToken(ctx, ident, client.IDTokenValidity)
	if err != nil {
		return "", "", err
	}
	return access, id, nil
}

// identity is what u's tokens say: the groups in precedence order, their
// roles and the preferred one, and the attributes the client may read,
// typed as the ID token carries them.
//
// The groups are read through r: the store, or the items an answer read
// together (readSet).
func (s *Service) identity(ctx context.Context, r storage.ItemReader, pool *userpool.SignInPool, client *userpool.SignInClient, u *directory.SignInUser) (tokens.Identity, error) {
	groups, err := s.users.UserGroupsIn(ctx, r, pool, u.Sub)
	if err != nil {
		return tokens.Identity{}, err
	}
	id := tokens.Identity{
		PoolID: pool.ID, ClientID: client.ClientID, Username: u.Username, Sub: u.Sub,
		IDAttributes: tokens.IDTokenAttributes(client.ReadableAttributes(u.Attributes)),
	}
	for _, g := range groups {
		id.Groups = append(id.Groups, g.Name)
		if g.RoleArn != "" && !slices.Contains(id.Roles, g.RoleArn) {
			id.Roles = append(id.Roles, g.RoleArn)
		}
	}
	id.PreferredRole = preferredRole(groups)
	return id, nil
}

// preferredRole is cognito:preferred_role: the role of the group with the
// lowest precedence value among the user's groups that have a role (groups
// without a precedence rank last). When groups tied for first place have
// different roles, there is no preferred role.
func preferredRole(groups []directory.SignInGroup) string {
	var best *directory.SignInGroup
	role := ""
	for i := range groups {
		g := &groups[i]
		if g.RoleArn == "" {
			continue
		}
		switch {
		case best == nil || ranksBefore(g, best):
			best, role = g, g.RoleArn
		case !ranksBefore(best, g) && g.RoleArn != role:
			role = "" // a tie with another role
		}
	}
	return role
}

// ranksBefore reports whether a has a lower precedence value than b (a
// group without one ranks after every group with one).
func ranksBefore(a, b *directory.SignInGroup) bool {
	switch {
	case a.Precedence == nil:
		return false
	case b.Precedence == nil:
		return true
	}
	return *a.Precedence < *b.Precedence
}

// eventFactors are the factors a sign-in answered, as its event in
// AdminListUserAuthEvents names them (ChallengeResponses): first is the
// first factor, "" for a password (Password); mfa says a second factor
// was answered (Mfa).
//
// The model's ChallengeName enum has only Password and Mfa, and its
// documentation speaks of the challenge "your previous authentication
// request returned in the parameter ChallengeName": a passwordless first
// factor is recorded by the name of its challenge (EMAIL_OTP, SMS_OTP,
// WEB_AUTHN) rather than as a password no one gave.
//
// A federated sign-in (federated) answered no challenge of the pool: the
// identity provider authenticated the user. Its event has no
// ChallengeResponses, as the enum names nothing it answered.
type eventFactors struct {
	first     idp.ChallengeName
	mfa       bool
	federated bool
	// ip is the client address the event records (EventContextData);
	// risk is threat protection's assessment (risk.go), nil for none.
	ip   string
	risk *riskAssessment
}

// firstFactorOf is how a sign-in event names the first factor of the
// state st opened: its challenge for a passwordless one, otherwise ""
// (Password).
func firstFactorOf(st *flowState) idp.ChallengeName {
	if st == nil || !st.FirstFactor {
		return ""
	}
	return idp.ChallengeName(st.Challenge)
}

// recordEvent records a sign-in of the user sub through the user pool
// (AdminListUserAuthEvents), in a transaction of its own: a failed one of
// its first factor (first, "" for a password), or a hosted UI sign-in. A
// failure to record is logged: it never changes the answer. A successful
// sign-in through the API records its event in the transaction that
// issues its tokens (signIn).
func (s *Service) recordEvent(ctx context.Context, pool *userpool.SignInPool, sub, eventID string, response idp.EventResponseType, factors eventFactors) {
	if sub == "" || !pool.RecordsAuthEvents {
		return
	}
	factors.ip = clientIP(ctx)
	if err := s.users.RecordAuthEvent(ctx, pool, sub, s.authEvent(eventID, response, factors)); err != nil {
		s.log.Warn("record auth event", "pool", pool.ID, "sub", sub, "err", err)
	}
}

// recordMFAEvent records an answer to a second factor of u's sign-in,
// assessed by threat protection as r (nil for none): the first factor
// passed, the second as response says. The event of a notifying risk
// replaces the InProgress one recorded when the challenge opened.
func (s *Service) recordMFAEvent(ctx context.Context, pool *userpool.SignInPool, u *directory.SignInUser, response idp.EventResponseType, r *riskAssessment) {
	if u == nil || !pool.RecordsAuthEvents {
		return
	}
	eventID := ""
	if r != nil {
		eventID = r.eventID
	}
	ev := s.authEvent(eventID, response, eventFactors{mfa: true, ip: clientIP(ctx), risk: r})
	ev.ChallengeResponses[0].ChallengeResponse = cognito.Ptr(idp.ChallengeResponseSuccess)
	var rec *recordedEvent
	err := s.runTx(ctx, func(tx storage.Tx) error {
		var err error
		rec, err = s.recordRiskEventIn(ctx, tx, pool, u, ev, r, directory.RiskEmailNoAction)
		return err
	})
	if err != nil {
		s.log.Warn("record auth event", "pool", pool.ID, "sub", u.Sub, "err", err)
		return
	}
	s.afterCommit(ctx, rec)
}

// authEvent is the sign-in event with eventID (a fresh one when empty),
// response and the factors answered, as AdminListUserAuthEvents returns
// it.
func (s *Service) authEvent(eventID string, response idp.EventResponseType, factors eventFactors) *idp.AuthEventType {
	if eventID == "" {
		eventID = tokens.NewJTI()
	}
	challenge := idp.ChallengeResponseSuccess
	if response == idp.EventResponseTypeFail {
		challenge = idp.ChallengeResponseFailure
	}
	first := factors.first
	if first == "" {
		first = idp.ChallengeNamePassword
	}
	ev := &idp.AuthEventType{
		EventId:       cognito.Ptr(eventID),
		EventType:     cognito.Ptr(idp.EventTypeSignIn),
		CreationDate:  &cognito.Timestamp{Time: s.now()},
		EventResponse: cognito.Ptr(response),
		EventRisk:     factors.risk.eventRisk(),
		ChallengeResponses: []idp.ChallengeResponseType{{
			ChallengeName: cognito.Ptr(first), ChallengeResponse: cognito.Ptr(challenge),
		}},
	}
	if factors.federated {
		ev.ChallengeResponses = []idp.ChallengeResponseType{}
	}
	if factors.ip != "" {
		ev.EventContextData = &idp.EventContextDataType{IpAddress: cognito.Ptr(factors.ip)}
		if addr, err := netip.ParseAddr(factors.ip); err == nil {
			if loc, ok := s.geo.Lookup(addr); ok {
				if loc.City != "" {
					ev.EventContextData.City = cognito.Ptr(loc.City)
				}
				if loc.Country != "" {
					ev.EventContextData.Country = cognito.Ptr(loc.Country)
				}
			}
		}
	}
	if factors.mfa {
		ev.ChallengeResponses = append(ev.ChallengeResponses, idp.ChallengeResponseType{
			ChallengeName: cognito.Ptr(idp.ChallengeNameMfa), ChallengeResponse: cognito.Ptr(challenge),
		})
	}
	return ev
}
