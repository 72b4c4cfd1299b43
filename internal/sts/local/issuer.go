package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/sts"
)

// Messages of AssumeRoleWithWebIdentity's refusals.
const (
	msgNotJWT       = "The web identity token is not a valid JWT."
	msgNoProvider   = "No OpenIDConnect provider found in your account for %s"
	msgBadToken     = "The web identity token could not be validated."
	msgAudience     = "Incorrect token audience"
	msgNoSubject    = "The web identity token has no sub claim."
	msgIDPUnreached = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgExpired      = "Token expired: current date/time %d must be before the expiration date/time %d"
	msgNotTrusted   = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
)

// issuer is a trusted issuer and, once its discovery document has been
// read, the verifier of its tokens.
type issuer struct {
	TrustedIssuer
	roles []string
	svc   *Service

	// mu guards verifier.
	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

// tagsClaim is where a web identity token carries session tags, as AWS
// STS reads them.
const tagsClaim = "https://aws.amazon.com/tags"

// identity is what a verified web identity token says.
type identity struct {
	issuer   *issuer
	subject  string
	audience string
	amr      []string
	tags     map[string]string
}

// unverifiedIssuer reads the iss claim of a compact JWS without checking
// anything, to choose the issuer whose keys then check it.
func unverifiedIssuer(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Iss == "" {
		return "", false
	}
	return claims.Iss, true
}

// verify checks token: a trusted issuer, its signature, its expiry and
// its audience.
func (s *Service) verify(ctx context.Context, token string) (*identity, error) {
	iss, ok := unverifiedIssuer(token)
	if !ok {
		return nil, sts.NewError(sts.CodeInvalidIdentityToken, msgNotJWT)
	}
	is := s.issuers[iss]
	if is == nil {
		return nil, sts.Errorf(sts.CodeInvalidIdentityToken, msgNoProvider, iss)
	}
	v, err := is.verifierFor(ctx)
	if err != nil {
		return nil, err
	}
	fetch := &fetchFailure{}
	idt, err := v.Verify(context.WithValue(ctx, fetchFailureKey{}, fetch), token)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return nil, sts.Errorf(sts.CodeExpiredToken, msgExpired, s.clock().Unix(), expired.Expiry.Unix())
	case err != nil && fetch.err != nil:
		return nil, sts.NewError(sts.CodeIDPCommunicationError, msgIDPUnreached).WithCause(fetch.err)
	case err != nil:
		return nil, sts.NewError(sts.CodeInvalidIdentityToken, msgBadToken).WithCause(err)
	}
	if idt.Subject == "" {
		return nil, sts.NewError(sts.CodeInvalidIdentityToken, msgNoSubject)
	}
	aud, ok := is.audience(idt.Audience)
	if !ok {
		return nil, sts.NewError(sts.CodeInvalidIdentityToken, msgAudience)
	}
	var claims map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, sts.NewError(sts.CodeInvalidIdentityToken, msgBadToken).WithCause(err)
	}
	tags, err := principalTags(claims[tagsClaim])
	if err != nil {
		return nil, err
	}
	var amr []string
	if raw, ok := claims["amr"]; ok && json.Unmarshal(raw, &amr) != nil {
		// A single string, as some issuers write it.
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil, sts.NewError(sts.CodeInvalidIdentityToken, "The amr claim of the web identity token is malformed.")
		}
		amr = []string{one}
	}
	return &identity{issuer: is, subject: idt.Subject, audience: aud, amr: amr, tags: tags}, nil
}

// principalTags reads the principal_tags of the tags claim: each tag has
// a list of one value.
func principalTags(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var c struct {
		PrincipalTags map[string][]string `json:"principal_tags"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, sts.NewError(sts.CodeInvalidIdentityToken, "The session tags in the web identity token are malformed.")
	}
	tags := make(map[string]string, len(c.PrincipalTags))
	for k, v := range c.PrincipalTags {
		if len(v) != 1 {
			return nil, sts.NewError(sts.CodeInvalidIdentityToken, "Each session tag in the web identity token must have exactly one value.")
		}
		tags[k] = v[0]
	}
	return tags, nil
}

// audience returns the token audience the issuer accepts.
func (is *issuer) audience(auds []string) (string, bool) {
	if len(auds) == 0 {
		return "", false
	}
	if len(is.Audiences) == 0 {
		return auds[0], true
	}
	for _, a := range auds {
		if slices.Contains(is.Audiences, a) {
			return a, true
		}
	}
	return "", false
}

// mayAssume reports whether the issuer's tokens may assume roleARN.
func (is *issuer) mayAssume(roleARN string) bool {
	for _, p := range is.roles {
		if matchPattern(p, roleARN) {
			return true
		}
	}
	return false
}

// verifierFor returns the issuer's token verifier, reading its discovery
// document the first time for an issuer without an in-process key set. A
// failed discovery is not kept: the next token tries again.
func (is *issuer) verifierFor(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.verifier != nil {
		return is.verifier, nil
	}
	cfg := &oidc.Config{SkipClientIDCheck: true, Now: is.svc.clock, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}}
	if is.KeySet != nil {
		is.verifier = oidc.NewVerifier(is.URL, is.KeySet, cfg)
		return is.verifier, nil
	}
	cctx := oidc.ClientContext(ctx, is.svc.client)
	p, err := oidc.NewProvider(cctx, is.URL)
	if err != nil {
		return nil, sts.NewError(sts.CodeIDPCommunicationError, msgIDPUnreached).WithCause(err)
	}
	var doc struct {
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&doc); err != nil || doc.JWKSURI == "" {
		return nil, sts.NewError(sts.CodeIDPCommunicationError, msgIDPUnreached).WithCause(fmt.Errorf("discovery of %s names no jwks_uri", is.URL))
	}
	if len(doc.Algs) > 0 {
		cfg.SupportedSigningAlgs = doc.Algs
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), is.svc.client), doc.JWKSURI)
	is.verifier = oidc.NewVerifier(is.URL, remoteKeys{keys}, cfg)
	return is.verifier, nil
}

// fetchFailure records, for one verification, a failure to fetch the
// issuer's keys, as opposed to a signature they do not verify: go-oidc's
// verifier reports both as text only.
type fetchFailure struct{ err error }

type fetchFailureKey struct{}

// remoteKeys is go-oidc's RemoteKeySet that records fetch failures in the
// context's fetchFailure (the RemoteKeySet reports them as "fetching keys
// ...").
type remoteKeys struct{ keys *oidc.RemoteKeySet }

func (r remoteKeys) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := r.keys.VerifySignature(ctx, jwt)
	if err != nil && strings.Contains(err.Error(), "fetching keys") {
		if f, ok := ctx.Value(fetchFailureKey{}).(*fetchFailure); ok {
			f.err = err
		}
	}
	return payload, err
}
