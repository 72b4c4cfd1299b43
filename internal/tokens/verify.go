package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// The messages of NotAuthorizedException for tokens. The access token ones
// are what the user pools API answers; the ID token ones are what Cognito
// identity pools answer for a login token, the place Cognito takes ID
// tokens.
const (
	msgInvalidAccessToken = "Invalid Access Token"
	msgExpiredAccessToken = "Access Token has expired"
	msgInvalidIDToken     = "Invalid login token. Couldn't verify signed token."
	msgIDTokenNoAudience  = "Invalid login token. Missing a required claim: aud"
	msgIDTokenAudience    = "Invalid login token. Incorrect token audience."
	msgNotIDToken         = "Invalid login token. Not a valid OpenId Connect identity token."
	msgIDTokenEarly       = "Invalid login token. Token used before it was issued."
)

const (
	// maxTokenLength bounds what is parsed at all; Cognito's largest
	// tokens (many groups, long attributes) stay well below it.
	maxTokenLength = 64 << 10
	// clockSkew is how far in the future iat and nbf may be. Cognito sets
	// no nbf and mints and verifies on its own clocks; cognate nodes mint
	// and verify on different ones, and refusing a fresh token because the
	// minting node's clock runs a little ahead would break sign-in. exp has
	// no leeway: a token is expired from its exp second on.
	clockSkew = time.Minute
)

// AccessClaims are the verified claims of an access token.
type AccessClaims struct {
	PoolID, ClientID, Username, Sub, JTI, OriginJTI, EventID, TokenUse string
	Scopes                                                             []string
	IssuedAt, ExpiresAt, AuthTime                                      time.Time
	// Groups is cognito:groups; DeviceKey is device_key ("" when absent).
	Groups    []string
	DeviceKey string
}

// HasScope reports whether the token grants scope.
func (c *AccessClaims) HasScope(scope string) bool {
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// VerifyAccessToken verifies an access token this service minted and
// returns its claims. The token must be a three-part JWS signed RS256 by a
// live access key of the pool its iss names (iss exactly IssuerBaseURL +
// "/" + pool), with token_use "access". An expired token is refused with
// "Access Token has expired"; anything else wrong, with "Invalid Access
// Token", both NotAuthorizedException. It does not check revocation: the
// caller looks origin_jti and jti up.
//
// A token verified once is remembered (verifiedTokens): presented again,
// its signature is not checked a second time, but everything that can
// change since is: its key must still be the live access key it was
// signed with, and it must be neither expired nor early.
func (s *Service) VerifyAccessToken(ctx context.Context, token string) (*AccessClaims, error) {
	var hash [sha256.Size]byte
	if len(token) <= maxTokenLength {
		hash = sha256.Sum256([]byte(token))
		if v := s.verified.get(hash); v != nil {
			k, err := s.verificationKey(ctx, v.pool, v.kid)
			if err != nil {
				return nil, err
			}
			if k == v.key {
				return v.check(s.clock())
			}
			// Another key now answers to the kid, or none: verify the
			// token afresh.
			s.verified.forget(hash)
		}
	}
	invalid := cognito.NotAuthorizedException(msgInvalidAccessToken)
	sig, pool, k, err := s.parse(ctx, token)
	if err != nil {
		return nil, err
	}
	if sig == nil || k == nil || k.rec.Use != useAccess {
		return nil, invalid
	}
	payload, err := sig.Verify(k.pub)
	if err != nil {
		return nil, invalid.WithCause(err)
	}
	var p accessPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, invalid.WithCause(err)
	}
	if p.TokenUse != useAccess || p.Iss != s.Issuer(pool) || p.ClientID == "" || p.Sub == "" ||
		p.Username == "" || p.JTI == "" || p.Exp <= 0 || p.Iat <= 0 {
		return nil, invalid
	}
	var scopes []string
	if p.Scope != "" {
		scopes = strings.Split(p.Scope, " ")
	}
	v := &verifiedToken{pool: pool, kid: k.rec.KID, key: k, exp: p.Exp, iat: p.Iat, nbf: p.Nbf, claims: AccessClaims{
		PoolID:    pool,
		ClientID:  p.ClientID,
		Username:  p.Username,
		Sub:       p.Sub,
		JTI:       p.JTI,
		OriginJTI: p.OriginJTI,
		EventID:   p.EventID,
		TokenUse:  p.TokenUse,
		Scopes:    scopes,
		IssuedAt:  time.Unix(p.Iat, 0).UTC(),
		ExpiresAt: time.Unix(p.Exp, 0).UTC(),
		AuthTime:  time.Unix(p.AuthTime, 0).UTC(),
		Groups:    p.Groups,
		DeviceKey: p.DeviceKey,
	}}
	now := s.clock()
	claims, err := v.check(now)
	if err != nil {
		return nil, err
	}
	s.verified.add(hash, v, now.Unix())
	return claims, nil
}

// maxVerifiedTokens bounds the access tokens a Service remembers as
// verified (a few hundred bytes each).
const maxVerifiedTokens = 4096

// verifiedTokens remembers the access tokens VerifyAccessToken has
// verified, by the SHA-256 hash of the token (never the token itself). A
// client presents one access token for as long as it lasts, and what costs
// most in verifying it, parsing its JSON and checking its RSA signature,
// gives the same answer for the same bytes under the same key. The zero
// value is ready to use.
type verifiedTokens struct {
	// mu guards byHash.
	mu     sync.Mutex
	byHash map[[sha256.Size]byte]*verifiedToken
}

// verifiedToken is a token whose signature by key verified and whose
// claims were well formed, with what must be checked again on each use.
type verifiedToken struct {
	pool, kid string
	key       *signingKey
	exp, iat  int64
	nbf       *int64
	claims    AccessClaims
}

// check returns the token's claims, a copy, at now: or the error of an
// expired token, or of one used before it was issued.
func (v *verifiedToken) check(now time.Time) (*AccessClaims, error) {
	if now.Unix() >= v.exp {
		return nil, cognito.NotAuthorizedException(msgExpiredAccessToken)
	}
	if early(now, v.iat, v.nbf) {
		return nil, cognito.NotAuthorizedException(msgInvalidAccessToken)
	}
	c := v.claims
	c.Scopes, c.Groups = slices.Clone(c.Scopes), slices.Clone(c.Groups)
	return &c, nil
}

func (t *verifiedTokens) get(hash [sha256.Size]byte) *verifiedToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byHash[hash]
}

func (t *verifiedTokens) forget(hash [sha256.Size]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byHash, hash)
}

// add remembers v. When the map is full, the expired tokens go first (at
// now, in Unix seconds), then one arbitrary token if none had expired.
func (t *verifiedTokens) add(hash [sha256.Size]byte, v *verifiedToken, now int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byHash == nil {
		t.byHash = map[[sha256.Size]byte]*verifiedToken{}
	}
	if _, ok := t.byHash[hash]; !ok && len(t.byHash) >= maxVerifiedTokens {
		for h, o := range t.byHash {
			if now >= o.exp {
				delete(t.byHash, h)
			}
		}
		for h := range t.byHash {
			if len(t.byHash) < maxVerifiedTokens {
				break
			}
			delete(t.byHash, h)
		}
	}
	t.byHash[hash] = v
}

// idChecked are the ID token claims VerifyIDToken checks.
type idChecked struct {
	Iss      string `json:"iss"`
	Aud      string `json:"aud"`
	TokenUse string `json:"token_use"`
	Sub      string `json:"sub"`
	Username string `json:"cognito:username"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Nbf      *int64 `json:"nbf"`
}

// VerifyIDToken verifies an ID token this service minted for the app
// client clientID and returns its claims as JSON decodes them (numbers as
// float64). The token must be a three-part JWS signed RS256 by a live ID
// key of the pool its iss names, with token_use "id" and aud clientID. The
// errors are NotAuthorizedException with the messages Cognito identity
// pools give for a login token; an access token is refused for its missing
// aud.
func (s *Service) VerifyIDToken(ctx context.Context, token string, clientID string) (map[string]any, error) {
	invalid := cognito.NotAuthorizedException(msgInvalidIDToken)
	sig, pool, k, err := s.parse(ctx, token)
	if err != nil {
		return nil, err
	}
	if sig == nil || k == nil {
		return nil, invalid
	}
	payload, err := sig.Verify(k.pub)
	if err != nil {
		return nil, invalid.WithCause(err)
	}
	if k.rec.Use != useID {
		// A genuine access token, which has no aud.
		return nil, cognito.NotAuthorizedException(msgIDTokenNoAudience)
	}
	var c idChecked
	var claims map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid.WithCause(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, invalid.WithCause(err)
	}
	switch {
	case c.Iss != s.Issuer(pool) || c.Sub == "" || c.Username == "" || c.Exp <= 0 || c.Iat <= 0:
		return nil, invalid
	case c.TokenUse != useID:
		return nil, cognito.NotAuthorizedException(msgNotIDToken)
	case c.Aud == "":
		return nil, cognito.NotAuthorizedException(msgIDTokenNoAudience)
	case clientID == "" || c.Aud != clientID:
		return nil, cognito.NotAuthorizedException(msgIDTokenAudience)
	}
	now := s.clock()
	if now.Unix() >= c.Exp {
		return nil, cognito.NotAuthorizedException(fmt.Sprintf("Invalid login token. Token expired: %d >= %d", now.Unix(), c.Exp))
	}
	if early(now, c.Iat, c.Nbf) {
		return nil, cognito.NotAuthorizedException(msgIDTokenEarly)
	}
	return claims, nil
}

// early reports whether iat or nbf lies further in the future than the
// allowed clock skew.
func early(now time.Time, iat int64, nbf *int64) bool {
	limit := now.Add(clockSkew).Unix()
	return iat > limit || nbf != nil && *nbf > limit
}

// allowedHeader lists the JOSE header members a token may carry. Cognito
// sets kid and alg; typ is harmless. Anything else (jwk, jku, x5u, crit,
// b64, …) means the token was not made by a user pool.
var allowedHeader = map[string]bool{"alg": true, "kid": true, "typ": true}

// parse does every check that needs no signature: shape, header and
// issuer; and finds the key the token names. sig is nil (with a nil error)
// when the token is malformed; k is nil when the pool has no live key with
// its kid. err is only for failures to read the keys.
func (s *Service) parse(ctx context.Context, token string) (sig *jose.JSONWebSignature, pool string, k *signingKey, err error) {
	sig, kid := parseShape(token)
	if sig == nil {
		return nil, "", nil, nil
	}
	var unverified struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(sig.UnsafePayloadWithoutVerification(), &unverified); err != nil {
		return nil, "", nil, nil
	}
	pool, ok := s.poolFromIssuer(unverified.Iss)
	if !ok {
		return nil, "", nil, nil
	}
	k, err = s.verificationKey(ctx, pool, kid)
	if err != nil {
		return nil, "", nil, err
	}
	return sig, pool, k, nil
}

// parseShape does the checks of parse that need neither the claims nor a
// key: the compact form, the header members, RS256 and the kid's shape. It
// returns a nil sig when the token fails one of them.
func parseShape(token string) (sig *jose.JSONWebSignature, kid string) {
	if token == "" || len(token) > maxTokenLength || strings.Count(token, ".") != 2 {
		return nil, ""
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return nil, ""
		}
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	if err != nil {
		return nil, ""
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		return nil, ""
	}
	for name := range header {
		if !allowedHeader[name] {
			return nil, ""
		}
	}
	// Only RS256: alg "none" in any casing, HS256 keyed with the public
	// key and every other algorithm fail here.
	sig, err = jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(sig.Signatures) != 1 {
		return nil, ""
	}
	kid = sig.Signatures[0].Protected.KeyID
	if !validKID(kid) {
		return nil, ""
	}
	return sig, kid
}

// validKID reports whether kid has the shape of the kids this service
// makes (standard base64 of a SHA-256 hash), before it goes near the store.
func validKID(kid string) bool {
	if len(kid) != base64.StdEncoding.EncodedLen(32) || strings.ContainsAny(kid, "\r\n") {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(kid)
	return err == nil && len(b) == 32
}
