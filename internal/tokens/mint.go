package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultScope is the scope of tokens from the user pools API (InitiateAuth
// and its kin): the right to call the self-service operations.
const DefaultScope = "aws.cognito.signin.user.admin"

// Identity is what a token says about a signed-in user.
type Identity struct {
	PoolID, ClientID, Username, Sub string
	// Groups become cognito:groups (omitted when empty); Roles and
	// PreferredRole become cognito:roles and cognito:preferred_role in the
	// ID token (omitted when empty). The caller derives them from the
	// groups' RoleArn and Precedence.
	Groups        []string
	Roles         []string
	PreferredRole string
	// IDAttributes are the user attributes the app client may read, already
	// typed as the ID token carries them (IDTokenAttributes does that from
	// stored string values). Names that the token sets itself (sub, iss,
	// aud, cognito:username, …) are ignored.
	IDAttributes map[string]any
	// AuthTime is when the user authenticated; zero means now.
	AuthTime time.Time
	// OriginJTI ties access and ID tokens to the refresh token they came
	// from; EventID names the authentication event. Each is omitted when
	// empty.
	OriginJTI, EventID string
	// Scopes are the access token's scopes; empty means DefaultScope,
	// unless NoScopes says the pre-token-generation trigger suppressed
	// them all (the scope claim is then empty).
	Scopes   []string
	NoScopes bool
	// AccessClaims are claims the pre-token-generation trigger adds to the
	// access token; a name the token sets itself is ignored.
	// SuppressAccessGroups leaves cognito:groups out of the access token.
	AccessClaims         map[string]any
	SuppressAccessGroups bool
	// DeviceKey, when set, is the access token's device_key.
	DeviceKey string
	// Nonce is the ID token's nonce: the value a relying party sent to the
	// hosted UI's authorize endpoint (OpenID Connect Core 1.0 §3.1.2.1);
	// AtHash its at_hash, the AccessTokenHash of the access token issued
	// with it (§3.1.3.6). Each is omitted when empty.
	Nonce, AtHash string
}

// accessPayload is an access token's claim set, in the order Cognito
// writes it.
type accessPayload struct {
	Sub       string   `json:"sub"`
	DeviceKey string   `json:"device_key,omitempty"`
	Groups    []string `json:"cognito:groups,omitempty"`
	Iss       string   `json:"iss"`
	Version   int      `json:"version"`
	ClientID  string   `json:"client_id"`
	OriginJTI string   `json:"origin_jti,omitempty"`
	EventID   string   `json:"event_id,omitempty"`
	TokenUse  string   `json:"token_use"`
	Scope     string   `json:"scope"`
	AuthTime  int64    `json:"auth_time"`
	Exp       int64    `json:"exp"`
	Iat       int64    `json:"iat"`
	JTI       string   `json:"jti"`
	Username  string   `json:"username"`
	// Nbf is never minted (Cognito sets none) but is honoured when
	// verifying.
	Nbf *int64 `json:"nbf,omitempty"`
}

// accessTokenVersion is the version claim of access tokens.
const accessTokenVersion = 2

// reservedIDClaims are the ID token claims the token sets itself; an
// attribute of the same name does not override them.
var reservedIDClaims = map[string]bool{
	"sub": true, "iss": true, "aud": true, "exp": true, "iat": true, "nbf": true,
	"auth_time": true, "jti": true, "origin_jti": true, "event_id": true,
	"token_use": true, "cognito:username": true, "cognito:groups": true,
	"cognito:roles": true, "cognito:preferred_role": true, "nonce": true, "at_hash": true,
}

// MintAccessToken returns a signed access token for id, valid for
// validity (at most MaxTokenValidity), and its jti.
func (s *Service) MintAccessToken(ctx context.Context, id Identity, validity time.Duration) (token string, jti string, err error) {
	if err := checkIdentity(id, validity); err != nil {
		return "", "", err
	}
	now := s.clock()
	iat := now.Unix()
	scopes := id.Scopes
	if len(scopes) == 0 && !id.NoScopes {
		scopes = []string{DefaultScope}
	}
	groups := nonEmpty(id.Groups)
	if id.SuppressAccessGroups {
		groups = nil
	}
	p := accessPayload{
		Sub:       id.Sub,
		DeviceKey: id.DeviceKey,
		Groups:    groups,
		Iss:       s.Issuer(id.PoolID),
		Version:   accessTokenVersion,
		ClientID:  id.ClientID,
		OriginJTI: id.OriginJTI,
		EventID:   id.EventID,
		TokenUse:  useAccess,
		Scope:     strings.Join(scopes, " "),
		AuthTime:  authTime(id, now),
		Exp:       iat + int64(validity/time.Second),
		Iat:       iat,
		JTI:       newUUID(),
		Username:  id.Username,
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", "", internal(err)
	}
	if len(id.AccessClaims) > 0 {
		if payload, err = withClaims(payload, id.AccessClaims); err != nil {
			return "", "", internal(err)
		}
	}
	token, err = s.sign(ctx, id.PoolID, useAccess, payload)
	if err != nil {
		return "", "", err
	}
	return token, p.JTI, nil
}

// MintIDToken returns a signed ID token for id, valid for validity (at
// most MaxTokenValidity), with aud set to id.ClientID.
func (s *Service) MintIDToken(ctx context.Context, id Identity, validity time.Duration) (token string, err error) {
	if err := checkIdentity(id, validity); err != nil {
		return "", err
	}
	now := s.clock()
	iat := now.Unix()
	claims := make(map[string]any, len(id.IDAttributes)+16)
	for name, v := range id.IDAttributes {
		if !reservedIDClaims[name] {
			claims[name] = v
		}
	}
	claims["sub"] = id.Sub
	if g := nonEmpty(id.Groups); g != nil {
		claims["cognito:groups"] = g
	}
	if r := nonEmpty(id.Roles); r != nil {
		claims["cognito:roles"] = r
	}
	if id.PreferredRole != "" {
		claims["cognito:preferred_role"] = id.PreferredRole
	}
	claims["iss"] = s.Issuer(id.PoolID)
	claims["cognito:username"] = id.Username
	if id.OriginJTI != "" {
		claims["origin_jti"] = id.OriginJTI
	}
	if id.Nonce != "" {
		claims["nonce"] = id.Nonce
	}
	if id.AtHash != "" {
		claims["at_hash"] = id.AtHash
	}
	claims["aud"] = id.ClientID
	if id.EventID != "" {
		claims["event_id"] = id.EventID
	}
	claims["token_use"] = useID
	claims["auth_time"] = authTime(id, now)
	claims["exp"] = iat + int64(validity/time.Second)
	claims["iat"] = iat
	claims["jti"] = newUUID()
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", internal(fmt.Errorf("marshal ID token claims: %w", err))
	}
	return s.sign(ctx, id.PoolID, useID, payload)
}

// AccessTokenHash is the at_hash of an access token signed RS256: the
// base64url encoding of the left half of its SHA-256 (OpenID Connect Core
// 1.0 §3.1.3.6).
func AccessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// clientPayload is the claim set of an access token issued to an app
// client itself (the client_credentials grant): no user, so sub is the
// client ID and there is no username, origin_jti or event_id.
type clientPayload struct {
	Sub      string `json:"sub"`
	TokenUse string `json:"token_use"`
	Scope    string `json:"scope,omitempty"`
	AuthTime int64  `json:"auth_time"`
	Iss      string `json:"iss"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Version  int    `json:"version"`
	JTI      string `json:"jti"`
	ClientID string `json:"client_id"`
}

// MintClientAccessToken returns a signed access token for the app client
// clientID of poolID itself, with scopes (the client_credentials grant of
// the token endpoint), valid for validity, and the claims a
// pre-token-generation function added (nil for none; the token's own
// claims are not among them). Its sub is the client ID, as Cognito's are.
// VerifyAccessToken refuses it: it names no user, so it authorizes no
// user pools API operation.
func (s *Service) MintClientAccessToken(ctx context.Context, poolID, clientID string, scopes []string, claims map[string]any, validity time.Duration) (string, error) {
	if err := checkIdentity(Identity{PoolID: poolID, ClientID: clientID, Sub: clientID, Username: clientID}, validity); err != nil {
		return "", err
	}
	iat := s.clock().Unix()
	p := clientPayload{
		Sub: clientID, TokenUse: useAccess, Scope: strings.Join(scopes, " "), AuthTime: iat,
		Iss: s.Issuer(poolID), Exp: iat + int64(validity/time.Second), Iat: iat,
		Version: accessTokenVersion, JTI: newUUID(), ClientID: clientID,
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", internal(err)
	}
	if len(claims) > 0 {
		if payload, err = withClaims(payload, claims); err != nil {
			return "", internal(err)
		}
	}
	return s.sign(ctx, poolID, useAccess, payload)
}

// sign signs payload with pool's current key of use and returns the JWS in
// compact serialization.
func (s *Service) sign(ctx context.Context, pool, use string, payload []byte) (string, error) {
	k, err := s.signingKeyFor(ctx, pool, use)
	if err != nil {
		return "", internal(err)
	}
	signer, err := s.signerFor(k)
	if err != nil {
		return "", internal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", internal(fmt.Errorf("sign %s token: %w", use, err))
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", internal(err)
	}
	return token, nil
}

// checkIdentity rejects what would make a token that no Cognito client
// could use: these are the caller's mistakes, not the user's.
func checkIdentity(id Identity, validity time.Duration) error {
	switch {
	case !validPoolID(id.PoolID):
		return internal(fmt.Errorf("mint token: invalid pool ID %q", id.PoolID))
	case id.ClientID == "" || id.Sub == "" || id.Username == "":
		return internal(fmt.Errorf("mint token: client ID, sub and username are required"))
	case validity < time.Second || validity > MaxTokenValidity:
		return internal(fmt.Errorf("mint token: validity %s outside 1s..%s", validity, MaxTokenValidity))
	}
	return nil
}

func authTime(id Identity, now time.Time) int64 {
	if id.AuthTime.IsZero() {
		return now.Unix()
	}
	return id.AuthTime.Unix()
}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// newUUID returns a random (version 4) UUID, the form of Cognito's jti,
// origin_jti and event_id.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// NewJTI returns a fresh random identifier in the form of Cognito's jti,
// origin_jti and event_id, for callers that mint a refresh token family
// or an authentication event.
func NewJTI() string { return newUUID() }

// IDTokenAttributes types stored attribute values the way the ID token
// carries them: email_verified and phone_number_verified as booleans,
// updated_at as a number, address as an object with its value under
// "formatted" (Cognito stores address as one string), and everything
// else, custom attributes included, as strings. A boolean or number that
// does not parse stays a string.
func IDTokenAttributes(attrs map[string]string) map[string]any {
	out := make(map[string]any, len(attrs))
	for name, v := range attrs {
		switch name {
		case "email_verified", "phone_number_verified":
			switch v {
			case "true":
				out[name] = true
			case "false":
				out[name] = false
			default:
				out[name] = v
			}
		case "updated_at":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[name] = n
			} else {
				out[name] = v
			}
		case "address":
			out[name] = map[string]string{"formatted": v}
		case "identities":
			// The user's external identities, an array in the token as
			// Cognito puts it there.
			var ids []any
			if err := json.Unmarshal([]byte(v), &ids); err == nil {
				out[name] = ids
			} else {
				out[name] = v
			}
		default:
			out[name] = v
		}
	}
	return out
}

// withClaims adds extra to the claim set payload, leaving every claim
// payload has as it is.
func withClaims(payload []byte, extra map[string]any) ([]byte, error) {
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("add claims: %w", err)
	}
	for name, v := range extra {
		if _, own := claims[name]; !own && name != "nbf" && name != "cognito:groups" && name != "device_key" {
			claims[name] = v
		}
	}
	out, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("add claims: %w", err)
	}
	return out, nil
}
