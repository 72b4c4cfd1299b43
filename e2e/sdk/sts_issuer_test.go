package sdk

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// webIdentityIssuer is an OpenID Connect issuer of web identity tokens
// for the STS tests: a discovery document and a JWKS served over HTTP, and
// an RSA key that signs tokens.
type webIdentityIssuer struct {
	URL    string
	key    *rsa.PrivateKey
	signer jose.Signer
}

// newWebIdentityIssuer starts an issuer for the test's lifetime.
func newWebIdentityIssuer(t testing.TB) *webIdentityIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &webIdentityIssuer{key: key, signer: newSigner(t, key, "test-key-1")}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.URL = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.URL, "jwks_uri": is.URL + "/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
		})
	})
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: "test-key-1", Algorithm: "RS256", Use: "sig"},
		}})
	})
	return is
}

func newSigner(t testing.TB, key *rsa.PrivateKey, kid string) jose.Signer {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// token signs claims over the defaults: this issuer, subject "alice",
// audience "sts-app", issued now and expiring in ten minutes.
func (is *webIdentityIssuer) token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return is.tokenSignedBy(t, is.signer, claims)
}

// tokenSignedBy is token signed by another signer.
func (is *webIdentityIssuer) tokenSignedBy(t testing.TB, signer jose.Signer, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{"iss": is.URL, "sub": "alice", "aud": "sts-app", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
