package identitypool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/identity"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/tokens"
)

const (
	// openIDTokenValidity is how long GetOpenIdToken's token lasts, as
	// Cognito's (ten minutes).
	openIDTokenValidity = 10 * time.Minute
	// developerTokenValidity is GetOpenIdTokenForDeveloperIdentity's
	// default TokenDuration (15 minutes); maxDeveloperTokenValidity is the
	// longest it may ask for (24 hours).
	developerTokenValidity    = 15 * time.Minute
	maxDeveloperTokenValidity = 24 * time.Hour
	// tagsClaim carries principal tags in the form STS reads session tags
	// from a web identity token.
	tagsClaim = "https://aws.amazon.com/tags"
)

// openIDClaims are the claims of an identity pool's OpenID token.
type openIDClaims struct {
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud string   `json:"aud"`
	AMR []string `json:"amr"`
	Exp int64    `json:"exp"`
	Iat int64    `json:"iat"`
	// Tags are principal tags: {"principal_tags": {"key": ["value"]}}.
	Tags *sessionTags `json:"https://aws.amazon.com/tags,omitempty"`
}

// sessionTags is the value of the tags claim.
type sessionTags struct {
	PrincipalTags map[string][]string `json:"principal_tags"`
}

func newSessionTags(tags map[string]string) *sessionTags {
	if len(tags) == 0 {
		return nil
	}
	t := &sessionTags{PrincipalTags: map[string][]string{}}
	for k, v := range tags {
		t.PrincipalTags[k] = []string{v}
	}
	return t
}

// flat returns the tags as one value per key.
func (t *sessionTags) flat() map[string]string {
	if t == nil || len(t.PrincipalTags) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range t.PrincipalTags {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// amrOf returns the amr claim of a token for an identity authenticated by
// logins (unauthenticated when there are none): "authenticated", then each
// provider, then for a user-pool login
// "<provider>:CognitoSignIn:<sub>" and for others "<provider>:<subject>".
func amrOf(logins []*login) []string {
	if len(logins) == 0 {
		return []string{"unauthenticated"}
	}
	amr := []string{"authenticated"}
	for _, l := range logins {
		if l.kind == kindIdentityToken {
			if a, ok := l.Claims["amr"].([]string); ok {
				for _, v := range a {
					if v != "authenticated" && !slices.Contains(amr, v) {
						amr = append(amr, v)
					}
				}
			}
			continue
		}
		amr = append(amr, l.Provider)
		if l.kind == kindUserPool {
			amr = append(amr, l.Provider+":CognitoSignIn:"+l.Subject)
		} else {
			amr = append(amr, l.Provider+":"+l.Subject)
		}
	}
	return amr
}

// signOpenIDToken signs the OpenID token of identityID in pool.
func (s *Service) signOpenIDToken(ctx context.Context, pool, identityID string, amr []string, tags map[string]string, validity time.Duration) (string, error) {
	now := s.clock()
	c := openIDClaims{
		Iss: s.issuer, Sub: identityID, Aud: pool, AMR: amr,
		Iat: now.Unix(), Exp: now.Add(validity).Unix(), Tags: newSessionTags(tags),
	}
	return s.tokens.SignClaims(ctx, keySet, c)
}

// parseOpenIDToken verifies an OpenID token this service signed: its
// signature by a live key of the identity issuer, its issuer and expiry.
func (s *Service) parseOpenIDToken(ctx context.Context, token string) (*openIDClaims, error) {
	payload, err := s.tokens.VerifySigned(ctx, keySet, token, msgInvalidToken)
	if err != nil {
		return nil, err
	}
	var c openIDClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, cognito.NotAuthorizedException(msgInvalidToken).WithCause(err)
	}
	if c.Iss != s.issuer || c.Sub == "" || c.Aud == "" || c.Exp <= 0 {
		return nil, cognito.NotAuthorizedException(msgInvalidToken)
	}
	if now := s.clock().Unix(); now >= c.Exp {
		return nil, cognito.NotAuthorizedException(fmt.Sprintf("Invalid login token. Token expired: %d >= %d", now, c.Exp))
	}
	return &c, nil
}

// JWKS returns the identity issuer's JSON web key set.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	return s.tokens.KeySetJWKS(ctx, keySet)
}

// Discovery returns the identity issuer's OpenID Connect discovery
// document: what a relying party (AWS STS, cognate's own STS, any
// go-oidc verifier) needs to verify its tokens.
func (s *Service) Discovery() ([]byte, error) {
	doc := struct {
		Issuer        string   `json:"issuer"`
		JWKSURI       string   `json:"jwks_uri"`
		ResponseTypes []string `json:"response_types_supported"`
		SubjectTypes  []string `json:"subject_types_supported"`
		SigningAlgs   []string `json:"id_token_signing_alg_values_supported"`
		Scopes        []string `json:"scopes_supported"`
		Claims        []string `json:"claims_supported"`
	}{
		Issuer:        s.issuer,
		JWKSURI:       s.issuer + "/.well-known/jwks_uri",
		ResponseTypes: []string{"id_token"},
		SubjectTypes:  []string{"public"},
		SigningAlgs:   []string{"RS256"},
		Scopes:        []string{"openid"},
		Claims:        []string{"sub", "aud", "amr", "iss", "exp", "iat"},
	}
	return json.Marshal(doc)
}

// GetOpenIdToken returns an OpenID token for an identity: the basic
// (classic) flow, whose client then calls AssumeRoleWithWebIdentity itself.
// Logins must authenticate the identity as GetCredentialsForIdentity's do.
func (s *Service) GetOpenIdToken(ctx context.Context, region string, in *identity.GetOpenIdTokenInput) (*identity.GetOpenIdTokenResponse, error) {
	a, err := s.authorizeIdentity(ctx, cognito.Deref(in.IdentityId), in.Logins)
	if err != nil {
		return nil, err
	}
	if f := a.pool.Pool.AllowClassicFlow; f != nil && !*f {
		return nil, cognito.InvalidParameterException("Basic (classic) flow is not enabled, please use enhanced flow.")
	}
	tags, err := s.principalTags(a.pool, a.logins)
	if err != nil {
		return nil, err
	}
	token, err := s.signOpenIDToken(ctx, a.poolID, a.identityID, amrOf(a.logins), tags, openIDTokenValidity)
	if err != nil {
		return nil, err
	}
	return &identity.GetOpenIdTokenResponse{IdentityId: &a.identityID, Token: &token}, nil
}

// IssuerURL returns the identity issuer of a server whose issuer base URL
// is base: base + IdentityIssuerPath.
func IssuerURL(base string) string {
	base = strings.TrimRight(base, "/")
	if base == "" {
		base = directory.DefaultIssuerBaseURL
	}
	return base + IdentityIssuerPath
}

// KeySet verifies the signatures of the identity issuer's OpenID tokens in
// process, with the keys tokens keeps under tokens.IdentityKeySet. It is a
// go-oidc KeySet: an STS in the same process verifies the tokens with it
// instead of fetching the JWKS it publishes.
type KeySet struct {
	Tokens *tokens.Service
}

// VerifySignature returns the payload of jwt when one of the identity
// issuer's live keys signed it.
func (k KeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	return k.Tokens.VerifySigned(ctx, keySet, jwt, msgInvalidToken)
}
