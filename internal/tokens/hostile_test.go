package tokens

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
)

// privateKeyOf opens the private key of k, as only the service can.
func privateKeyOf(tb testing.TB, s *Service, k *signingKey) *rsa.PrivateKey {
	tb.Helper()
	der, err := s.sealer.Open(keyAAD(k.pool, k.rec.KID), k.rec.SealedPrivateKey)
	if err != nil {
		tb.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		tb.Fatal(err)
	}
	return priv.(*rsa.PrivateKey)
}

// currentKey returns pool's current key of use.
func currentKey(tb testing.TB, s *Service, pool, use string) *signingKey {
	tb.Helper()
	k, err := s.signingKeyFor(context.Background(), pool, use)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// forge assembles a compact JWS from a header and payload, signed by sign
// over the signing input.
func forge(header, payload any, sign func(input []byte) []byte) string {
	enc := func(v any) string {
		switch v := v.(type) {
		case string:
			return b64([]byte(v))
		case []byte:
			return b64(v)
		}
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return b64(b)
	}
	input := enc(header) + "." + enc(payload)
	return input + "." + b64(sign([]byte(input)))
}

func rs256(priv *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		h := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, h[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func hs256(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

// accessClaimsAt is a well-formed access token payload for pool A issued
// at iat.
func accessClaimsAt(iat time.Time) map[string]any {
	return map[string]any{
		"sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "iss": testBase + "/" + poolA, "version": 2,
		"client_id": clientA, "token_use": "access", "scope": DefaultScope, "auth_time": iat.Unix(),
		"exp": iat.Add(time.Hour).Unix(), "iat": iat.Unix(), "jti": NewJTI(), "username": "alice",
	}
}

func idClaimsAt(iat time.Time) map[string]any {
	return map[string]any{
		"sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "iss": testBase + "/" + poolA, "aud": clientA,
		"cognito:username": "alice", "token_use": "id", "auth_time": iat.Unix(),
		"exp": iat.Add(time.Hour).Unix(), "iat": iat.Unix(), "jti": NewJTI(),
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// replacePayload swaps a token's payload and keeps its header and signature.
func replacePayload(tb testing.TB, token string, edit func(map[string]any)) string {
	tb.Helper()
	seg := strings.Split(token, ".")
	claims := claimsOf(tb, token)
	edit(claims)
	p, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	return seg[0] + "." + b64(p) + "." + seg[2]
}

func TestHostileTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now()

	access := mustMintAccess(t, f.s, identity(), time.Hour)
	idTok := mustMintID(t, f.s, identity(), time.Hour)
	idB := identity()
	idB.PoolID = poolB
	accessB := mustMintAccess(t, f.s, idB, time.Hour)
	otherClient := identity()
	otherClient.ClientID = clientB
	idOtherClient := mustMintID(t, f.s, otherClient, time.Hour)

	ak := currentKey(t, f.s, poolA, useAccess)
	ik := currentKey(t, f.s, poolA, useID)
	bk := currentKey(t, f.s, poolB, useAccess)
	aPriv, iPriv, bPriv := privateKeyOf(t, f.s, ak), privateKeyOf(t, f.s, ik), privateKeyOf(t, f.s, bk)
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	strangerKID, _ := thumbprintKID(&stranger.PublicKey)

	pubDER, _ := x509.MarshalPKIXPublicKey(ak.pub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(ak.pub)})
	jwks, err := f.s.JWKS(ctx, poolA)
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var accessJWK []byte
	for _, k := range set.Keys {
		if strings.Contains(string(k), ak.rec.KID) {
			accessJWK = k
		}
	}

	// Another cognate (own store, own keys) under the same issuer base URL.
	other := newFixture(t)
	otherAccess := mustMintAccess(t, other.s, identity(), time.Hour)
	otherBase, err := New(Options{Store: other.store, IssuerBaseURL: "http://evil.example", KeyEncryptionKey: testKEK, Clock: other.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	otherBaseAccess := mustMintAccess(t, otherBase, identity(), time.Hour)

	hdr := func(alg, kid string) map[string]any { return map[string]any{"alg": alg, "kid": kid} }
	accessHdr := hdr("RS256", ak.rec.KID)
	seg := strings.Split(access, ".")
	sha512Sign := func(in []byte) []byte {
		h := sha512.Sum512(in)
		sig, _ := rsa.SignPKCS1v15(rand.Reader, aPriv, crypto.SHA512, h[:])
		return sig
	}
	pssSign := func(in []byte) []byte {
		h := sha256.Sum256(in)
		sig, _ := rsa.SignPSS(rand.Reader, aPriv, crypto.SHA256, h[:], nil)
		return sig
	}
	noSig := func([]byte) []byte { return nil }

	const (
		asAccess = "access"
		asID     = "id"
	)
	tests := []struct {
		name     string
		token    string
		verify   string
		clientID string
		want     string
	}{
		// Shape.
		{"empty string", "", asAccess, "", msgInvalidAccessToken},
		{"empty string as ID token", "", asID, clientA, msgInvalidIDToken},
		{"not a token", "not a token", asAccess, "", msgInvalidAccessToken},
		{"garbage base64", "!!!.@@@.###", asAccess, "", msgInvalidAccessToken},
		{"base64 that is not JSON", "YWJj.ZGVm.Z2hp", asAccess, "", msgInvalidAccessToken},
		{"padded base64", seg[0] + "=." + seg[1] + "." + seg[2], asAccess, "", msgInvalidAccessToken},
		{"leading space", " " + access, asAccess, "", msgInvalidAccessToken},
		{"newline inside", seg[0] + "\n." + seg[1] + "." + seg[2], asAccess, "", msgInvalidAccessToken},
		{"two segments", seg[0] + "." + seg[1], asAccess, "", msgInvalidAccessToken},
		{"extra segment", access + ".e30", asAccess, "", msgInvalidAccessToken},
		{"trailing dot", access + ".", asAccess, "", msgInvalidAccessToken},
		{"JWE 5-part form", seg[0] + "." + seg[1] + "." + seg[2] + "." + seg[1] + "." + seg[2], asAccess, "", msgInvalidAccessToken},
		{"JWE 5-part form as ID token", strings.Replace(idTok, ".", "..", 2), asID, clientA, msgInvalidIDToken},
		{"JSON serialization", fmt.Sprintf(`{"payload":%q,"protected":%q,"signature":%q}`, seg[1], seg[0], seg[2]), asAccess, "", msgInvalidAccessToken},
		{"too long", access + strings.Repeat("A", maxTokenLength), asAccess, "", msgInvalidAccessToken},

		// Algorithms.
		{"alg none", forge(hdr("none", ak.rec.KID), accessClaimsAt(now), noSig), asAccess, "", msgInvalidAccessToken},
		{"alg None", forge(hdr("None", ak.rec.KID), accessClaimsAt(now), noSig), asAccess, "", msgInvalidAccessToken},
		{"alg NONE", forge(hdr("NONE", ak.rec.KID), accessClaimsAt(now), noSig), asAccess, "", msgInvalidAccessToken},
		{"alg nOnE with the real signature", forge(hdr("nOnE", ak.rec.KID), accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"alg none without kid", forge(map[string]any{"alg": "none"}, accessClaimsAt(now), noSig), asAccess, "", msgInvalidAccessToken},
		{"alg none as ID token", forge(hdr("none", ik.rec.KID), idClaimsAt(now), noSig), asID, clientA, msgInvalidIDToken},
		{"HS256 keyed with the public key PEM", forge(hdr("HS256", ak.rec.KID), accessClaimsAt(now), hs256(pubPEM)), asAccess, "", msgInvalidAccessToken},
		{"HS256 keyed with the PKCS1 PEM", forge(hdr("HS256", ak.rec.KID), accessClaimsAt(now), hs256(pkcs1PEM)), asAccess, "", msgInvalidAccessToken},
		{"HS256 keyed with the public key DER", forge(hdr("HS256", ak.rec.KID), accessClaimsAt(now), hs256(pubDER)), asAccess, "", msgInvalidAccessToken},
		{"HS256 keyed with the published JWK", forge(hdr("HS256", ak.rec.KID), accessClaimsAt(now), hs256(accessJWK)), asAccess, "", msgInvalidAccessToken},
		{"HS256 keyed with the JWKS", forge(hdr("HS256", ak.rec.KID), accessClaimsAt(now), hs256(jwks)), asAccess, "", msgInvalidAccessToken},
		{"HS256 keyed with the modulus", forge(hdr("HS256", ak.rec.KID), accessClaimsAt(now), hs256(ak.pub.N.Bytes())), asAccess, "", msgInvalidAccessToken},
		{"HS256 ID token keyed with the public key PEM", forge(hdr("HS256", ik.rec.KID), idClaimsAt(now), hs256(pubPEM)), asID, clientA, msgInvalidIDToken},
		{"RS512 with the real key", forge(hdr("RS512", ak.rec.KID), accessClaimsAt(now), sha512Sign), asAccess, "", msgInvalidAccessToken},
		{"PS256 with the real key", forge(hdr("PS256", ak.rec.KID), accessClaimsAt(now), pssSign), asAccess, "", msgInvalidAccessToken},

		// Headers beyond alg, kid and typ.
		{"embedded jwk", forge(map[string]any{"alg": "RS256", "kid": ak.rec.KID, "jwk": json.RawMessage(accessJWK)}, accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"jku", forge(map[string]any{"alg": "RS256", "kid": ak.rec.KID, "jku": "http://evil.example/jwks"}, accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"crit", forge(map[string]any{"alg": "RS256", "kid": ak.rec.KID, "crit": []string{"exp"}, "exp": 1}, accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"b64 false", forge(map[string]any{"alg": "RS256", "kid": ak.rec.KID, "b64": false, "crit": []string{"b64"}}, accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"header not an object", forge(`["RS256"]`, accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},

		// Keys.
		{"no kid", forge(map[string]any{"alg": "RS256"}, accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"unknown kid", forge(hdr("RS256", strangerKID), accessClaimsAt(now), rs256(stranger)), asAccess, "", msgInvalidAccessToken},
		{"unknown kid as ID token", forge(hdr("RS256", strangerKID), idClaimsAt(now), rs256(stranger)), asID, clientA, msgInvalidIDToken},
		{"malformed kid", forge(hdr("RS256", "../../etc\x00"), accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"the pool's kid, another key's signature", forge(accessHdr, accessClaimsAt(now), rs256(stranger)), asAccess, "", msgInvalidAccessToken},
		{"the pool's ID kid on an access token signed with the access key", forge(hdr("RS256", ik.rec.KID), accessClaimsAt(now), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"truncated signature", access[:len(access)-8], asAccess, "", msgInvalidAccessToken},
		{"signature removed", seg[0] + "." + seg[1] + ".", asAccess, "", msgInvalidAccessToken},
		{"signature of another token", seg[0] + "." + seg[1] + "." + strings.Split(accessB, ".")[2], asAccess, "", msgInvalidAccessToken},
		{"truncated ID token signature", idTok[:len(idTok)-8], asID, clientA, msgInvalidIDToken},
		{"modified payload", replacePayload(t, access, func(c map[string]any) { c["username"] = "admin" }), asAccess, "", msgInvalidAccessToken},
		{"modified ID payload", replacePayload(t, idTok, func(c map[string]any) { c["cognito:username"] = "admin" }), asID, clientA, msgInvalidIDToken},
		{"modified header", forge(hdr("RS256", ak.rec.KID), "", noSig)[:0] + b64([]byte(`{"kid":"`+ak.rec.KID+`","alg":"RS256"}`)) + "." + seg[1] + "." + seg[2], asAccess, "", msgInvalidAccessToken},

		// Pools and issuers.
		{"another pool's token claiming this pool", replacePayload(t, accessB, func(c map[string]any) { c["iss"] = testBase + "/" + poolA }), asAccess, "", msgInvalidAccessToken},
		{"re-signed by another pool's key", forge(hdr("RS256", bk.rec.KID), accessClaimsAt(now), rs256(bPriv)), asAccess, "", msgInvalidAccessToken},
		{"another cognate's token, same issuer URL", otherAccess, asAccess, "", msgInvalidAccessToken},
		{"another issuer", otherBaseAccess, asAccess, "", msgInvalidAccessToken},
		{"issuer with a trailing path", forge(accessHdr, with(accessClaimsAt(now), "iss", testBase+"/"+poolA+"/x"), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"no issuer", forge(accessHdr, with(accessClaimsAt(now), "iss", nil), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"issuer of a malformed pool", forge(accessHdr, with(accessClaimsAt(now), "iss", testBase+"/us-east-1_A/B"), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},

		// Token kinds and clients.
		{"ID token as access token", idTok, asAccess, "", msgInvalidAccessToken},
		{"access token as ID token", access, asID, clientA, msgIDTokenNoAudience},
		{"token_use id signed by the access key", forge(accessHdr, with(accessClaimsAt(now), "token_use", "id"), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"token_use access signed by the ID key", forge(hdr("RS256", ik.rec.KID), with(idClaimsAt(now), "token_use", "access"), rs256(iPriv)), asID, clientA, msgNotIDToken},
		{"ID token without aud", forge(hdr("RS256", ik.rec.KID), with(idClaimsAt(now), "aud", nil), rs256(iPriv)), asID, clientA, msgIDTokenNoAudience},
		{"ID token with a list aud", forge(hdr("RS256", ik.rec.KID), with(idClaimsAt(now), "aud", []string{clientA}), rs256(iPriv)), asID, clientA, msgInvalidIDToken},
		{"another client's ID token", idOtherClient, asID, clientA, msgIDTokenAudience},
		{"ID token for no client", idTok, asID, "", msgIDTokenAudience},
		{"access token without client_id", forge(accessHdr, with(accessClaimsAt(now), "client_id", nil), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"access token without username", forge(accessHdr, with(accessClaimsAt(now), "username", nil), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"access token with a string exp", forge(accessHdr, with(accessClaimsAt(now), "exp", "9999999999"), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},

		// Time.
		{"expired", forge(accessHdr, with(accessClaimsAt(now.Add(-2*time.Hour))), rs256(aPriv)), asAccess, "", msgExpiredAccessToken},
		{"expires this second", forge(accessHdr, with(accessClaimsAt(now), "exp", now.Unix()), rs256(aPriv)), asAccess, "", msgExpiredAccessToken},
		{"no exp", forge(accessHdr, with(accessClaimsAt(now), "exp", nil), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"expired ID token", forge(hdr("RS256", ik.rec.KID), idClaimsAt(now.Add(-2*time.Hour)), rs256(iPriv)), asID, clientA,
			fmt.Sprintf("Invalid login token. Token expired: %d >= %d", now.Unix(), now.Add(-time.Hour).Unix())},
		{"issued in the future", forge(accessHdr, accessClaimsAt(now.Add(time.Hour)), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"not before in the future", forge(accessHdr, with(accessClaimsAt(now), "nbf", now.Add(time.Hour).Unix()), rs256(aPriv)), asAccess, "", msgInvalidAccessToken},
		{"ID token issued in the future", forge(hdr("RS256", ik.rec.KID), idClaimsAt(now.Add(time.Hour)), rs256(iPriv)), asID, clientA, msgIDTokenEarly},
		{"ID token not before in the future", forge(hdr("RS256", ik.rec.KID), with(idClaimsAt(now), "nbf", now.Add(time.Hour).Unix()), rs256(iPriv)), asID, clientA, msgIDTokenEarly},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.verify == asAccess {
				var c *AccessClaims
				c, err = f.s.VerifyAccessToken(ctx, tc.token)
				if c != nil {
					t.Errorf("claims returned for a refused token: %+v", c)
				}
			} else {
				var c map[string]any
				c, err = f.s.VerifyIDToken(ctx, tc.token, tc.clientID)
				if c != nil {
					t.Errorf("claims returned for a refused token: %v", c)
				}
			}
			var ce *cognito.Error
			if !errors.As(err, &ce) || ce.Code != cognito.CodeNotAuthorizedException || ce.Message != tc.want {
				t.Fatalf("verify: %v, want NotAuthorizedException %q", err, tc.want)
			}
		})
	}
}

// TestTokensThatMustVerify are the positive controls of the hostile table:
// the forging helpers make acceptable tokens when nothing is wrong.
func TestTokensThatMustVerify(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now()
	mustMintAccess(t, f.s, identity(), time.Hour) // creates the keys
	ak := currentKey(t, f.s, poolA, useAccess)
	ik := currentKey(t, f.s, poolA, useID)
	aPriv, iPriv := privateKeyOf(t, f.s, ak), privateKeyOf(t, f.s, ik)
	hdr := map[string]any{"alg": "RS256", "kid": ak.rec.KID}
	tests := []struct {
		name  string
		token string
		id    bool
	}{
		{"forged with the real key", forge(hdr, accessClaimsAt(now), rs256(aPriv)), false},
		{"typ JWT", forge(map[string]any{"alg": "RS256", "kid": ak.rec.KID, "typ": "JWT"}, accessClaimsAt(now), rs256(aPriv)), false},
		{"iat within the clock skew", forge(hdr, accessClaimsAt(now.Add(clockSkew)), rs256(aPriv)), false},
		{"nbf now", forge(hdr, with(accessClaimsAt(now), "nbf", now.Unix()), rs256(aPriv)), false},
		{"expires next second", forge(hdr, with(accessClaimsAt(now), "exp", now.Unix()+1), rs256(aPriv)), false},
		{"extra claims", forge(hdr, with(accessClaimsAt(now), "custom", "x"), rs256(aPriv)), false},
		{"ID token forged with the real key", forge(map[string]any{"alg": "RS256", "kid": ik.rec.KID}, idClaimsAt(now), rs256(iPriv)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.id {
				_, err = f.s.VerifyIDToken(ctx, tc.token, clientA)
			} else {
				_, err = f.s.VerifyAccessToken(ctx, tc.token)
			}
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

func TestExpiryByClock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	access := mustMintAccess(t, f.s, identity(), 5*time.Minute)
	idTok := mustMintID(t, f.s, identity(), 5*time.Minute)
	exp := t0.Add(5 * time.Minute).Unix()
	tests := []struct {
		name       string
		advance    time.Duration // from t0
		wantAccess string
		wantID     string
	}{
		{"fresh", 0, "", ""},
		{"a second before exp", 5*time.Minute - time.Second, "", ""},
		{"at exp", 5 * time.Minute, msgExpiredAccessToken, fmt.Sprintf("Invalid login token. Token expired: %d >= %d", exp, exp)},
		{"a day later", 24 * time.Hour, msgExpiredAccessToken, fmt.Sprintf("Invalid login token. Token expired: %d >= %d", t0.Add(24*time.Hour).Unix(), exp)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.mu.Lock()
			f.clock.now = t0.Add(tc.advance)
			f.clock.mu.Unlock()
			_, err := f.s.VerifyAccessToken(ctx, access)
			checkNotAuthorized(t, err, tc.wantAccess)
			_, err = f.s.VerifyIDToken(ctx, idTok, clientA)
			checkNotAuthorized(t, err, tc.wantID)
		})
	}
}

// checkNotAuthorized checks that err is nil when want is "", else a
// NotAuthorizedException with message want.
func checkNotAuthorized(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("verify: %v, want success", err)
		}
		return
	}
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != cognito.CodeNotAuthorizedException || ce.Message != want {
		t.Errorf("verify: %v, want NotAuthorizedException %q", err, want)
	}
}

// base64 of a JWK must not be mistaken for a kid (sanity of validKID).
func TestValidKID(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	kid, _ := thumbprintKID(&k.PublicKey)
	tests := []struct {
		kid  string
		want bool
	}{
		{kid, true},
		{"", false},
		{strings.Repeat("A", 43) + "=", true},
		{strings.Repeat("A", 44), false},
		{strings.Repeat("A", 42) + "\n=", false},
		{base64.StdEncoding.EncodeToString(make([]byte, 33)), false},
		{"../../../../../../../../../../../etc/passwd=", false},
	}
	for _, tc := range tests {
		if got := validKID(tc.kid); got != tc.want {
			t.Errorf("validKID(%q) = %v, want %v", tc.kid, got, tc.want)
		}
	}
}
