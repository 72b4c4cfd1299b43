package authflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/tokens"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// This file is the engine's side of the hosted UI and the OAuth 2.0
// endpoints (internal/oidc): a sign-in on the pages runs the same
// dispatcher as InitiateAuth (same lockout, existence shadow, hooks and
// events) but ends in a hosted-UI session instead of tokens; the session
// then authorizes codes (RFC 6749 §4.1) and implicit tokens (§4.2), and a
// code is redeemed for tokens once.
//
// A hosted-UI session and a code are items of kind auth_session, stored by
// the SHA-256 of the opaque value handed out (never the value itself), with
// an expiring index entry that the sweeps of the kind honour.

// Lifetimes Cognito gives the hosted UI's state.
const (
	// UISessionValidity is how long the hosted UI's session cookie signs a
	// user in: one hour, as Cognito's.
	UISessionValidity = time.Hour
	// CodeValidity is how long an authorization code may be redeemed.
	CodeValidity = 5 * time.Minute
)

// ErrInvalidGrant is the error of a code or refresh token the token
// endpoint cannot redeem: unknown, expired, used, issued to another client
// or redirect URI, or a PKCE verifier that does not match (RFC 6749 §5.2
// invalid_grant). The cause is not told.
var ErrInvalidGrant = errors.New("invalid_grant")

// uiSessionRecord is a hosted-UI session (kind auth_session, ID
// "<pool>/ui/<hex SHA-256 of the cookie value>"). JSON names are part of
// the stored format.
type uiSessionRecord struct {
	Sub       string    `json:"sub"`
	AuthTime  time.Time `json:"auth_time"`
	EventID   string    `json:"event_id"`
	ExpiresAt time.Time `json:"expires_at"`
	// SAML is the SAML provider's session the sign-in came from, for
	// single logout; nil for any other sign-in.
	SAML *samlSessionRef `json:"saml,omitempty"`
}

// codeRecord is an authorization code (kind auth_session, ID
// "<pool>/code/<hex SHA-256 of the code>"): what it was issued for, and
// once redeemed the token family the redemption opened, which a second
// redemption revokes (RFC 9700 §4.2.1 / RFC 6749 §4.1.2). JSON names are
// part of the stored format.
type codeRecord struct {
	Client        string    `json:"client"`
	RedirectURI   string    `json:"redirect_uri"`
	CodeChallenge string    `json:"code_challenge,omitempty"`
	Scopes        []string  `json:"scopes"`
	Nonce         string    `json:"nonce,omitempty"`
	Sub           string    `json:"sub"`
	AuthTime      time.Time `json:"auth_time"`
	EventID       string    `json:"event_id"`
	ExpiresAt     time.Time `json:"expires_at"`
	// Family is the origin_jti of the tokens the first redemption issued;
	// "" until then.
	Family string `json:"family,omitempty"`
}

func uiSessionID(pool, hash string) string { return pool + "/ui/" + hash }
func codeID(pool, hash string) string      { return pool + "/code/" + hash }

// opaqueToken returns n random bytes, base64url without padding: a
// hosted-UI session or a code, whose store ID is its SHA-256.
func opaqueToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// HostedSignIn is a sign-in on the hosted UI's sign-in page: a username
// (or an alias the pool signs in with) and a password.
type HostedSignIn struct {
	ClientID, Username, Password string
}

// StartHostedSignIn signs a user in on the hosted UI's page. It runs the
// password through the dispatcher's shared phases, as USER_PASSWORD_AUTH
// does (lockout, the existence shadow, the pre- and post-authentication
// hooks, the sign-in event), but the client's ExplicitAuthFlows do not
// apply and no SECRET_HASH is asked: the OAuth endpoints authenticate the
// client. It ends in a Step with UISession (or the NEW_PASSWORD_REQUIRED
// challenge, answered with AnswerHostedNewPassword).
func (s *Service) StartHostedSignIn(ctx context.Context, c cognito.Caller, in HostedSignIn) (*Step, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"USERNAME": in.Username, "PASSWORD": in.Password}
	if err := checkParams("authParameters", params); err != nil {
		return nil, err
	}
	sp := &call{flowStart: flowStart{pool: pool, client: client, flow: idp.AuthFlowTypeUserPasswordAuth, hosted: true}, params: params}
	ch := passwordChallenge{}
	if sp.username, err = ch.startParams(s, sp); err != nil {
		return nil, err
	}
	sp.given = pool.FoldUsername(sp.username)
	if sp.user, err = s.lookup(ctx, pool, sp.username); err != nil {
		return nil, err
	}
	sp.found = true
	return ch.start(ctx, s, sp)
}

// HostedNewPassword answers NEW_PASSWORD_REQUIRED on the hosted UI's page.
type HostedNewPassword struct {
	ClientID, Session, NewPassword string
	// Attributes are the required attributes the challenge asked for, by
	// name (without "userAttributes.").
	Attributes map[string]string
}

// AnswerHostedNewPassword answers the NEW_PASSWORD_REQUIRED challenge a
// hosted sign-in opened, through the same challenge type as
// RespondToAuthChallenge; it ends in a Step with UISession.
func (s *Service) AnswerHostedNewPassword(ctx context.Context, c cognito.Caller, in HostedNewPassword) (*Step, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"NEW_PASSWORD": in.NewPassword}
	for name, v := range in.Attributes {
		params[userAttributesPrefix+name] = v
	}
	if err := checkParams("challengeResponses", params); err != nil {
		return nil, err
	}
	if in.Session == "" {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	st, err := s.readFlow(in.Session, purposeSession, pool.ID, client.ClientID)
	if err != nil {
		return nil, err
	}
	if !st.Hosted || st.Challenge != idp.ChallengeNameTypeNewPasswordRequired {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	if in.NewPassword == "" {
		return nil, missing("NEW_PASSWORD")
	}
	sp := &call{
		flowStart: flowStart{pool: pool, client: client, flow: st.Flow, hosted: true},
		params:    params, name: idp.ChallengeNameTypeNewPasswordRequired, st: st,
		username: st.Username, given: st.Given,
	}
	return newPasswordRequiredChallenge{}.answer(ctx, s, sp)
}

// HostedMFA answers an MFA challenge a hosted sign-in opened, on the hosted
// UI's pages.
type HostedMFA struct {
	ClientID, Session string
	Challenge         idp.ChallengeNameType
	// Code answers SMS_MFA, EMAIL_OTP, SMS_OTP and SOFTWARE_TOKEN_MFA;
	// Answer is the factor chosen at SELECT_MFA_TYPE; Credential answers
	// WEB_AUTHN (the browser's AuthenticationResponseJSON).
	Code, Answer, Credential string
}

// mfaCodeParams are the ChallengeResponses that carry each code
// challenge's code.
var mfaCodeParams = map[idp.ChallengeNameType]string{
	idp.ChallengeNameTypeSmsMfa:           "SMS_MFA_CODE",
	idp.ChallengeNameTypeEmailOtp:         "EMAIL_OTP_CODE",
	idp.ChallengeNameTypeSmsOtp:           "SMS_OTP_CODE",
	idp.ChallengeNameTypeSoftwareTokenMfa: "SOFTWARE_TOKEN_MFA_CODE",
}

// AnswerHostedMFA answers the MFA challenge (SMS_MFA, EMAIL_OTP,
// SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE, or a verified MFA_SETUP), or the
// passwordless first factor (EMAIL_OTP, SMS_OTP, WEB_AUTHN), a hosted
// sign-in opened, through the same challenge types as
// RespondToAuthChallenge; it ends in a Step with UISession, or the next
// challenge.
func (s *Service) AnswerHostedMFA(ctx context.Context, c cognito.Caller, in HostedMFA) (*Step, error) {
	pool, client, err := s.pools.SignInClient(ctx, c, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	if in.Session == "" {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	st, err := s.readFlow(in.Session, purposeSession, pool.ID, client.ClientID)
	if err != nil {
		return nil, err
	}
	if !st.Hosted || st.Challenge != in.Challenge {
		return nil, cognito.NotAuthorizedException(msgInvalidSession)
	}
	params := map[string]string{"USERNAME": st.Username}
	switch in.Challenge {
	case idp.ChallengeNameTypeSelectMfaType:
		params["ANSWER"] = in.Answer
	case idp.ChallengeNameTypeMfaSetup:
	case idp.ChallengeNameTypeWebAuthn:
		params["CREDENTIAL"] = in.Credential
	default:
		name, ok := mfaCodeParams[in.Challenge]
		if !ok {
			return nil, cognito.NotAuthorizedException(msgInvalidSession)
		}
		params[name] = strings.TrimSpace(in.Code)
	}
	if err := checkParams("challengeResponses", params); err != nil {
		return nil, err
	}
	sp := &call{
		flowStart: flowStart{pool: pool, client: client, flow: st.Flow, hosted: true},
		params:    params, name: in.Challenge, st: st, username: st.Username, given: st.Given,
	}
	ch := challenges[in.Challenge]
	if _, err := ch.answerParams(s, sp); err != nil {
		return nil, err
	}
	return ch.answer(ctx, s, sp)
}

// openUISession ends a hosted sign-in that passed every challenge: it
// stores the hosted-UI session (settling the password attempt in the same
// transaction) and records the sign-in event.
func (s *Service) openUISession(ctx context.Context, sp *call, attempt *passwordAttempt) (*Step, error) {
	now := s.now()
	token := opaqueToken(32)
	rec := uiSessionRecord{Sub: sp.user.Sub, AuthTime: now, EventID: tokens.NewJTI(), ExpiresAt: now.Add(UISessionValidity)}
	risk := sp.risk()
	if risk != nil && risk.eventID != "" {
		rec.EventID = risk.eventID
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, internal(err)
	}
	it := &storage.Item{
		Kind: kindAuthSession, ID: uiSessionID(sp.pool.ID, hashOf(token)), Pool: sp.pool.ID, Data: data,
		Index: []string{expiringKey(rec.ExpiresAt)}, CreatedAt: now, UpdatedAt: now,
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if refused, err := attempt.settle(ctx, tx); err != nil || refused {
			return err
		}
		if sp.within != nil {
			if err := sp.within(tx); err != nil {
				return err
			}
		}
		if err := tx.CreateItem(ctx, it); err != nil {
			return fmt.Errorf("store hosted UI session: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := attempt.refusal(); err != nil {
		return nil, err
	}
	s.recordSignInEvent(ctx, sp.pool, sp.user, rec.EventID, eventFactors{first: firstFactorOf(sp.st), mfa: sp.mfa, risk: risk})
	s.maybeSweep(ctx, kindAuthSession)
	return &Step{UISession: token, Params: map[string]string{}}, nil
}

// UISession is a live hosted-UI session.
type UISession struct {
	PoolID, Sub, Username string
	AuthTime              time.Time
	eventID               string
}

// OpenUISession returns the hosted-UI session the cookie value token
// names in pool, or nil when there is none: unknown, expired, or its user
// deleted, disabled or no longer confirmed.
func (s *Service) OpenUISession(ctx context.Context, poolID, token string) (*UISession, error) {
	if token == "" || len(token) > 128 {
		return nil, nil
	}
	it, err := s.store.GetItem(ctx, kindAuthSession, uiSessionID(poolID, hashOf(token)))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get hosted UI session: %w", err))
	}
	var rec uiSessionRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, internal(fmt.Errorf("decode hosted UI session: %w", err))
	}
	if !s.now().Before(rec.ExpiresAt) {
		return nil, nil
	}
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(poolID)}, poolID)
	if errors.Is(err, cognito.ResourceNotFoundException("")) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.users.UserBySub(ctx, pool, rec.Sub)
	if errors.Is(err, cognito.UserNotFoundException("")) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.Enabled || (u.Status != idp.UserStatusTypeConfirmed && u.Status != idp.UserStatusTypeExternalProvider) {
		return nil, nil
	}
	return &UISession{PoolID: poolID, Sub: u.Sub, Username: u.Username, AuthTime: rec.AuthTime, eventID: rec.EventID}, nil
}

// EndUISession deletes the hosted-UI session token names (the logout
// endpoint); one that is gone already is no error.
func (s *Service) EndUISession(ctx context.Context, poolID, token string) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	id := uiSessionID(poolID, hashOf(token))
	return s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindAuthSession, id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get hosted UI session: %w", err)
		}
		return tx.DeleteItem(ctx, kindAuthSession, id, it.Version)
	})
}

// Authorization is what the authorize endpoint grants a client for a
// hosted-UI session, after it has checked the request.
type Authorization struct {
	Session *UISession
	Client  *userpool.SignInClient
	// RedirectURI is the registered callback URL the request named.
	RedirectURI string
	// Scopes are the scopes granted: those asked for that the client may
	// have.
	Scopes []string
	Nonce  string
	// CodeChallenge is the PKCE S256 challenge ("" for none).
	CodeChallenge string
}

// IssueCode issues an authorization code for a: 128 random bits, stored as
// its SHA-256, valid for CodeValidity, redeemable once by a.Client with
// a.RedirectURI (and the PKCE verifier of a.CodeChallenge).
func (s *Service) IssueCode(ctx context.Context, a Authorization) (string, error) {
	now := s.now()
	code := opaqueToken(16)
	rec := codeRecord{
		Client: a.Client.ClientID, RedirectURI: a.RedirectURI, CodeChallenge: a.CodeChallenge,
		Scopes: a.Scopes, Nonce: a.Nonce, Sub: a.Session.Sub, AuthTime: a.Session.AuthTime,
		EventID: a.Session.eventID, ExpiresAt: now.Add(CodeValidity),
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return "", internal(err)
	}
	pool := a.Session.PoolID
	it := &storage.Item{
		Kind: kindAuthSession, ID: codeID(pool, hashOf(code)), Pool: pool, Data: data,
		Index: []string{expiringKey(rec.ExpiresAt)}, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.runTx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
		return "", err
	}
	s.maybeSweep(ctx, kindAuthSession)
	return code, nil
}

// IssueImplicit issues the tokens of the implicit grant (response_type
// token) for a: an access token and, with the openid scope, an ID token,
// and no refresh token. They belong to a token family of their own, so
// signing out revokes them.
func (s *Service) IssueImplicit(ctx context.Context, a Authorization) (*Tokens, error) {
	pool, u, err := s.grantUser(ctx, a.Session.PoolID, a.Session.Sub)
	if err != nil {
		return nil, err
	}
	now := s.now()
	origin := tokens.NewJTI()
	fam := &familyRecord{
		Sub: u.Sub, Username: u.Username, Client: a.Client.ClientID, AuthTime: a.Session.AuthTime,
		EventID: a.Session.eventID, CreatedAt: now, ExpiresAt: now.Add(a.Client.AccessTokenValidity), Scopes: a.Scopes,
	}
	famIt, err := familyItem(pool.ID, origin, fam, 0)
	if err != nil {
		return nil, internal(err)
	}
	access, id, err := s.mintOAuth(ctx, pool, a.Client, u, origin, fam, a.Nonce)
	if err != nil {
		return nil, err
	}
	if err := s.runTx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, famIt) }); err != nil {
		return nil, err
	}
	return s.result(a.Client, access, id, ""), nil
}

// grantUser reads the pool and the user a grant is for; a user that is
// gone, disabled or not confirmed gets no tokens.
func (s *Service) grantUser(ctx context.Context, poolID, sub string) (*userpool.SignInPool, *directory.SignInUser, error) {
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(poolID)}, poolID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.users.UserBySub(ctx, pool, sub)
	if errors.Is(err, cognito.UserNotFoundException("")) {
		return nil, nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.Enabled || (u.Status != idp.UserStatusTypeConfirmed && u.Status != idp.UserStatusTypeExternalProvider) {
		return nil, nil, ErrInvalidGrant
	}
	return pool, u, nil
}

// mintOAuth mints the access token with the family's scopes and, when
// they hold openid, the ID token with nonce and at_hash.
func (s *Service) mintOAuth(ctx context.Context, pool *userpool.SignInPool, client *userpool.SignInClient, u *directory.SignInUser, origin string, fam *familyRecord, nonce string) (access, id string, err error) {
	ident, err := s.identity(ctx, s.store, pool, client, u)
	if err != nil {
		return "", "", err
	}
	ident.OriginJTI, ident.EventID, ident.AuthTime, ident.Scopes = origin, fam.EventID, fam.AuthTime, fam.Scopes
	gen := &tokenGeneration{pool: pool, client: client, user: u, source: sourceTokenHosted, metadata: clientMetadata(ctx), id: &ident}
	if err := s.hooks.runPreTokenGeneration(ctx, gen); err != nil {
		return "", "", err
	}
	access, _, err = s.tokens.MintAccessToken(ctx, ident, client.AccessTokenValidity)
	if err != nil {
		return "", "", err
	}
	if !slices.Contains(fam.Scopes, "openid") {
		return access, "", nil
	}
	ident.Nonce, ident.AtHash = nonce, tokens.AccessTokenHash(access)
	id, err = s.tokens.MintIDToken(ctx, ident, client.IDTokenValidity)
	if err != nil {
		return "", "", err
	}
	return access, id, nil
}

// Redemption is a token request of the authorization_code grant, from a
// client the token endpoint has authenticated.
type Redemption struct {
	Client                          *userpool.SignInClient
	Code, RedirectURI, CodeVerifier string
}

// RedeemCode redeems an authorization code for tokens (RFC 6749 §4.1.3):
// an access token with the granted scopes, an ID token (with the openid
// scope; with the nonce and at_hash) and a refresh token. The code must be
// one the client was issued for this redirect URI, unexpired, and the
// verifier must match its S256 challenge (RFC 7636 §4.6); otherwise the
// answer is ErrInvalidGrant. A code is redeemed once: the redemption marks
// it in the transaction that opens the token family, so of any number of
// concurrent redemptions exactly one gets tokens, and every later one
// revokes the family the first opened (RFC 6749 §4.1.2).
func (s *Service) RedeemCode(ctx context.Context, r Redemption) (*Tokens, error) {
	if r.Code == "" || len(r.Code) > 128 {
		return nil, ErrInvalidGrant
	}
	poolID := r.Client.PoolID
	id := codeID(poolID, hashOf(r.Code))
	it, err := s.store.GetItem(ctx, kindAuthSession, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get code: %w", err))
	}
	rec, err := decodeCode(it)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if rec.Client != r.Client.ClientID || !now.Before(rec.ExpiresAt) {
		return nil, ErrInvalidGrant
	}
	if rec.Family != "" {
		return nil, s.revokeRedeemed(ctx, id)
	}
	if subtle.ConstantTimeCompare([]byte(rec.RedirectURI), []byte(r.RedirectURI)) != 1 || !pkceMatches(rec.CodeChallenge, r.CodeVerifier) {
		return nil, ErrInvalidGrant
	}
	pool, u, err := s.grantUser(ctx, poolID, rec.Sub)
	if err != nil {
		return nil, err
	}
	origin := tokens.NewJTI()
	fam := &familyRecord{
		Sub: u.Sub, Username: u.Username, Client: r.Client.ClientID, AuthTime: rec.AuthTime, EventID: rec.EventID,
		CreatedAt: now, ExpiresAt: now.Add(r.Client.RefreshTokenValidity), Scopes: rec.Scopes,
	}
	refresh := newRefreshToken()
	hash := refreshHash(refresh)
	famIt, err := familyItem(pool.ID, origin, fam, 0)
	if err != nil {
		return nil, internal(err)
	}
	refIt, err := refreshItem(pool.ID, hash, &refreshRecord{Family: origin, Client: r.Client.ClientID, Sub: u.Sub, IssuedAt: now, ExpiresAt: fam.ExpiresAt}, 0)
	if err != nil {
		return nil, internal(err)
	}
	access, idToken, err := s.mintOAuth(ctx, pool, r.Client, u, origin, fam, rec.Nonce)
	if err != nil {
		return nil, err
	}
	reused := false
	err = s.runTx(ctx, func(tx storage.Tx) error {
		reused = false
		cur, err := tx.GetItem(ctx, kindAuthSession, id)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrInvalidGrant
		}
		if err != nil {
			return fmt.Errorf("get code: %w", err)
		}
		c, err := decodeCode(cur)
		if err != nil {
			return err
		}
		if c.Family != "" {
			reused = true
			return revokeFamilyIn(ctx, tx, pool.ID, c.Family)
		}
		c.Family = origin
		data, err := json.Marshal(c)
		if err != nil {
			return err
		}
		upd := *cur
		upd.Data, upd.UpdatedAt = data, now
		if err := tx.UpdateItem(ctx, &upd); err != nil {
			return fmt.Errorf("mark code redeemed: %w", err)
		}
		if err := tx.CreateItem(ctx, famIt); err != nil {
			return fmt.Errorf("create token family: %w", err)
		}
		if err := tx.CreateItem(ctx, refIt); err != nil {
			return fmt.Errorf("create refresh token: %w", err)
		}
		return nil
	})
	if errors.Is(err, ErrInvalidGrant) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, err
	}
	if reused {
		return nil, ErrInvalidGrant
	}
	s.maybeSweep(ctx, kindTokenFamily)
	s.maybeSweep(ctx, kindRefreshToken)
	return s.result(r.Client, access, idToken, refresh), nil
}

// revokeRedeemed answers a code redeemed again: the family its first
// redemption opened is revoked, and the answer is ErrInvalidGrant.
func (s *Service) revokeRedeemed(ctx context.Context, id string) error {
	err := s.runTx(ctx, func(tx storage.Tx) error {
		cur, err := tx.GetItem(ctx, kindAuthSession, id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get code: %w", err)
		}
		c, err := decodeCode(cur)
		if err != nil {
			return err
		}
		return revokeFamilyIn(ctx, tx, cur.Pool, c.Family)
	})
	if err != nil {
		return err
	}
	return ErrInvalidGrant
}

// revokeFamilyIn deletes the family origin of pool inside tx; one that is
// gone already is no error.
func revokeFamilyIn(ctx context.Context, tx storage.Tx, pool, origin string) error {
	fam, err := tx.GetItem(ctx, kindTokenFamily, familyID(pool, origin))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get token family: %w", err)
	}
	return deleteFamily(ctx, tx, fam)
}

func decodeCode(it *storage.Item) (*codeRecord, error) {
	var c codeRecord
	if err := json.Unmarshal(it.Data, &c); err != nil {
		return nil, internal(fmt.Errorf("decode code: %w", err))
	}
	return &c, nil
}

// pkceMatches checks a PKCE code_verifier against the S256 challenge of
// its code (RFC 7636 §4.6): a code issued without a challenge takes no
// verifier, and one issued with one needs it.
func pkceMatches(challenge, verifier string) bool {
	if challenge == "" {
		return verifier == ""
	}
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, c := range verifier {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// RefreshOAuth refreshes tokens at the token endpoint (grant_type
// refresh_token) for a client it has authenticated: as
// GetTokensFromRefreshToken, with the scopes the family was granted. A
// token that cannot refresh is ErrInvalidGrant.
func (s *Service) RefreshOAuth(ctx context.Context, client *userpool.SignInClient, token string) (*Tokens, error) {
	if token == "" || len(token) > 2048 {
		return nil, ErrInvalidGrant
	}
	pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(client.PoolID)}, client.PoolID)
	if err != nil {
		return nil, err
	}
	res, err := s.refresh(ctx, pool, client, token, client.RefreshTokenRotation, nil, nil)
	var ce *cognito.Error
	if errors.As(err, &ce) && (ce.Code == cognito.CodeNotAuthorizedException || ce.Code == cognito.CodeRefreshTokenReuseException || ce.Code == cognito.CodeUserNotFoundException) {
		return nil, ErrInvalidGrant
	}
	return res, err
}

// IssueClientCredentials issues an access token to an app client itself
// (the client_credentials grant, RFC 6749 §4.4), which the token endpoint
// has authenticated, with scopes it has checked: sub is the client ID. A
// pool whose pre-token-generation function is V3_0 invokes it
// (TokenGeneration_ClientCredentials, with metadata, the request's
// aws_client_metadata), which may add, override and suppress the
// token's claims and its scopes; its error issues nothing.
func (s *Service) IssueClientCredentials(ctx context.Context, client *userpool.SignInClient, scopes []string, metadata map[string]string) (*Tokens, error) {
	var claims map[string]any
	if s.triggers != nil {
		pool, err := s.pools.SignInPool(ctx, cognito.Caller{Region: cognito.RegionOfPoolID(client.PoolID)}, client.PoolID)
		if err != nil {
			return nil, err
		}
		if scopes, claims, err = s.clientCredentialsToken(ctx, pool, client, scopes, metadata); err != nil {
			return nil, err
		}
	}
	access, err := s.tokens.MintClientAccessToken(ctx, client.PoolID, client.ClientID, scopes, claims, client.AccessTokenValidity)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, ExpiresIn: client.AccessTokenValidity}, nil
}

// UserInfo answers the userInfo endpoint (OpenID Connect Core 1.0 §5.3)
// for an access token: it must authenticate as AuthenticateAccessToken's
// do and carry the openid scope (API tokens, which carry none, are
// refused). As Cognito documents it, openid alone releases every attribute
// the client may read; with email, phone or profile the claims of those
// scopes (profile adds the custom attributes). sub and username are always
// there; aws.cognito.signin.user.admin changes nothing.
func (s *Service) UserInfo(ctx context.Context, token string) (map[string]any, error) {
	g, err := s.AuthenticateAccessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if !hasScope(g.Scopes, "openid") {
		return nil, cognito.NotAuthorizedException(msgMissingScope)
	}
	pool, client, err := s.pools.SignInClient(ctx, cognito.Caller{}, g.PoolID, g.ClientID)
	if err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidAccess).WithCause(err)
	}
	u, err := s.users.UserBySub(ctx, pool, g.Sub)
	if err != nil {
		return nil, err
	}
	all := !hasScope(g.Scopes, "email") && !hasScope(g.Scopes, "phone") && !hasScope(g.Scopes, "profile")
	released := map[string]string{}
	for name, v := range client.ReadableAttributes(u.Attributes) {
		custom := strings.HasPrefix(name, "custom:")
		if all || releasedBy(g.Scopes, name) || (custom && hasScope(g.Scopes, "profile")) {
			released[name] = v
		}
	}
	out := tokens.IDTokenAttributes(released)
	out["sub"] = u.Sub
	out["username"] = u.Username
	return out, nil
}

// scopeClaims are the standard claims each OpenID Connect scope releases
// (OpenID Connect Core 1.0 §5.4).
var scopeClaims = map[string][]string{
	"email": {"email", "email_verified"},
	"phone": {"phone_number", "phone_number_verified"},
	"profile": {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at", "address"},
}

func releasedBy(scopes []string, claim string) bool {
	for _, sc := range scopes {
		if slices.Contains(scopeClaims[sc], claim) {
			return true
		}
	}
	return false
}
