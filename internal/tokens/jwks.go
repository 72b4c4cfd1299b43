package tokens

import (
	"context"
	"encoding/json"
	"slices"
)

// publicJWK is one key of a JWKS, with the members Cognito publishes in
// the order it writes them.
type publicJWK struct {
	Alg string `json:"alg"`
	E   string `json:"e"`
	KID string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	Use string `json:"use"`
}

// JWKS returns poolID's JSON web key set, {"keys":[…]}: the public halves
// of its ID and access keys, the active ones and the retired ones that may
// still have signed an unexpired token, newest first. It reads the store,
// so a key another node created a moment ago is in it; a pool without keys
// yet (nothing minted) has an empty set. It does not check that the pool
// exists.
func (s *Service) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	set := struct {
		Keys []publicJWK `json:"keys"`
	}{Keys: []publicJWK{}}
	if validPoolID(poolID) {
		keys, err := s.loadKeys(ctx, poolID)
		if err != nil {
			return nil, internal(err)
		}
		now := s.clock()
		for _, k := range slices.Backward(keys) {
			if !live(keys, k, now) {
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
