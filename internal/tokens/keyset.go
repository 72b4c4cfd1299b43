package tokens

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// IdentityKeySet names the keys that sign the OpenID tokens of identity
// pools (the cognito-identity tokens that GetOpenIdToken returns). They are
// managed like a user pool's keys (sealed at rest, rotated, published while
// a token they signed may live) under a name that no user pool ID can
// take, so a user pool's JWKS never holds them and theirs never holds a
// user pool's.
const IdentityKeySet = "cognito-identity"

// SignClaims signs claims, marshalled as a JSON object, with the ID key
// that currently signs for keySet, creating or rotating the set's keys
// when needed, and returns the JWS in compact serialization with the key's
// kid in its header. The caller sets every claim, iss and exp included.
func (s *Service) SignClaims(ctx context.Context, keySet string, claims any) (string, error) {
	if keySet == "" || validPoolID(keySet) {
		return "", internal(fmt.Errorf("sign claims: %q is not a key set name", keySet))
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", internal(fmt.Errorf("marshal claims: %w", err))
	}
	return s.sign(ctx, keySet, useID, payload)
}

// VerifySigned checks that token is an RS256 JWS signed by one of keySet's
// live ID keys and returns its payload. It checks no claim: the caller
// decodes the payload and checks iss, aud, exp and the rest. A token that
// fails is NotAuthorizedException with msg.
func (s *Service) VerifySigned(ctx context.Context, keySet, token, msg string) ([]byte, error) {
	sig, kid := parseShape(token)
	if sig == nil || keySet == "" || validPoolID(keySet) {
		return nil, cognito.NotAuthorizedException(msg)
	}
	k, err := s.verificationKey(ctx, keySet, kid)
	if err != nil {
		return nil, err
	}
	if k == nil || k.rec.Use != useID {
		return nil, cognito.NotAuthorizedException(msg)
	}
	payload, err := sig.Verify(k.pub)
	if err != nil {
		return nil, cognito.NotAuthorizedException(msg).WithCause(err)
	}
	return payload, nil
}

// KeySetJWKS returns the JSON web key set of keySet's ID keys,
// {"keys":[…]}: the active one and the retired ones that may still have
// signed an unexpired token, newest first. It reads the store; a set
// without keys yet has an empty list.
func (s *Service) KeySetJWKS(ctx context.Context, keySet string) ([]byte, error) {
	set := struct {
		Keys []publicJWK `json:"keys"`
	}{Keys: []publicJWK{}}
	if keySet != "" && !validPoolID(keySet) {
		keys, err := s.loadKeys(ctx, keySet)
		if err != nil {
			return nil, internal(err)
		}
		now := s.clock()
		for _, k := range slices.Backward(keys) {
			if k.rec.Use != useID || !live(keys, k, now) {
				continue
			}
			set.Keys = append(set.Keys, publicJWK{
				Alg: k.rec.Algorithm, E: k.rec.E, KID: k.rec.KID, Kty: "RSA", N: k.rec.N, Use: "sig",
			})
		}
	}
	out, err := json.Marshal(set)
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}
