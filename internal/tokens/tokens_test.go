package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
)

func TestNewRejectsBadOptions(t *testing.T) {
	store := openStore(t, "sqlite")
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"no store", Options{IssuerBaseURL: testBase, KeyEncryptionKey: testKEK}, "no store"},
		{"no issuer", Options{Store: store, KeyEncryptionKey: testKEK}, "no issuer base URL"},
		{"issuer without scheme", Options{Store: store, IssuerBaseURL: "localhost:9229", KeyEncryptionKey: testKEK}, "scheme must be http or https"},
		{"issuer with query", Options{Store: store, IssuerBaseURL: "http://localhost:9229/?x=1", KeyEncryptionKey: testKEK}, "must not have"},
		{"short key", Options{Store: store, IssuerBaseURL: testBase, KeyEncryptionKey: testKEK[:16]}, "key encryption key is 16 bytes, want 32"},
		{"no key", Options{Store: store, IssuerBaseURL: testBase}, "key encryption key is 0 bytes, want 32"},
		{"negative rotation", Options{Store: store, IssuerBaseURL: testBase, KeyEncryptionKey: testKEK, RotationPeriod: -time.Hour}, "negative rotation period"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	s, err := New(Options{Store: store, IssuerBaseURL: testBase + "/", KeyEncryptionKey: testKEK})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Issuer(poolA), testBase+"/"+poolA; got != want {
		t.Errorf("Issuer = %q, want %q (trailing slash dropped)", got, want)
	}
}

func TestMintVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	full := identity()
	full.DeviceKey = "us-east-1_0a1b2c3d-1111-2222-3333-444455556666"
	full.Scopes = []string{"openid", "email", "aws.cognito.signin.user.admin"}
	minimal := Identity{PoolID: poolB, ClientID: clientB, Username: "bob", Sub: "bbbbbbbb-0000-4000-8000-000000000000"}

	tests := []struct {
		name     string
		id       Identity
		validity time.Duration
		want     AccessClaims
		wantID   map[string]any
	}{
		{
			name: "full", id: full, validity: time.Hour,
			want: AccessClaims{
				PoolID: poolA, ClientID: clientA, Username: "alice", Sub: full.Sub,
				OriginJTI: full.OriginJTI, EventID: full.EventID, TokenUse: "access",
				Scopes:   []string{"openid", "email", "aws.cognito.signin.user.admin"},
				IssuedAt: t0, ExpiresAt: t0.Add(time.Hour), AuthTime: t0.Add(-time.Minute),
				Groups: []string{"admins", "readers"}, DeviceKey: full.DeviceKey,
			},
			wantID: map[string]any{
				"sub":                    full.Sub,
				"cognito:groups":         []any{"admins", "readers"},
				"cognito:roles":          []any{"arn:aws:iam::111122223333:role/admins"},
				"cognito:preferred_role": "arn:aws:iam::111122223333:role/admins",
				"iss":                    testBase + "/" + poolA,
				"cognito:username":       "alice",
				"origin_jti":             full.OriginJTI,
				"aud":                    clientA,
				"event_id":               full.EventID,
				"token_use":              "id",
				"auth_time":              float64(t0.Add(-time.Minute).Unix()),
				"exp":                    float64(t0.Add(time.Hour).Unix()),
				"iat":                    float64(t0.Unix()),
				"email":                  "alice@example.com",
				"email_verified":         true,
				"updated_at":             float64(1700000000),
				"address":                map[string]any{"formatted": "1 Main St"},
				"custom:tier":            "42",
			},
		},
		{
			name: "minimal", id: minimal, validity: 5 * time.Minute,
			want: AccessClaims{
				PoolID: poolB, ClientID: clientB, Username: "bob", Sub: minimal.Sub, TokenUse: "access",
				Scopes:   []string{DefaultScope},
				IssuedAt: t0, ExpiresAt: t0.Add(5 * time.Minute), AuthTime: t0,
			},
			wantID: map[string]any{
				"sub":              minimal.Sub,
				"iss":              testBase + "/" + poolB,
				"cognito:username": "bob",
				"aud":              clientB,
				"token_use":        "id",
				"auth_time":        float64(t0.Unix()),
				"exp":              float64(t0.Add(5 * time.Minute).Unix()),
				"iat":              float64(t0.Unix()),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			access, jti, err := f.s.MintAccessToken(ctx, tc.id, tc.validity)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.s.VerifyAccessToken(ctx, access)
			if err != nil {
				t.Fatalf("VerifyAccessToken: %v", err)
			}
			want := tc.want
			want.JTI = jti
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("access claims (-want +got):\n%s", diff)
			}
			if !got.HasScope(got.Scopes[0]) || got.HasScope("nope") {
				t.Errorf("HasScope is wrong for %v", got.Scopes)
			}

			idTok := mustMintID(t, f.s, tc.id, tc.validity)
			claims, err := f.s.VerifyIDToken(ctx, idTok, tc.id.ClientID)
			if err != nil {
				t.Fatalf("VerifyIDToken: %v", err)
			}
			jtiID, _ := claims["jti"].(string)
			if len(jtiID) != 36 || jtiID == jti {
				t.Errorf("ID token jti %q: want a fresh UUID", jtiID)
			}
			delete(claims, "jti")
			if diff := cmp.Diff(tc.wantID, claims); diff != "" {
				t.Errorf("ID claims (-want +got):\n%s", diff)
			}
			if kidOf(t, access) == kidOf(t, idTok) {
				t.Error("ID and access tokens are signed with the same key")
			}
		})
	}
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

func TestClaimShapes(t *testing.T) {
	f := newFixture(t)
	withDevice := identity()
	withDevice.DeviceKey = "us-east-1_0a1b2c3d-1111-2222-3333-444455556666"
	noGroups := Identity{PoolID: poolA, ClientID: clientA, Username: "bob", Sub: "bbbbbbbb-0000-4000-8000-000000000000"}
	tests := []struct {
		name   string
		id     Identity
		access bool
		want   map[string]string
	}{
		{"access token", withDevice, true, map[string]string{
			"sub": "string", "device_key": "string", "cognito:groups": "array", "iss": "string",
			"version": "number", "client_id": "string", "origin_jti": "string", "event_id": "string",
			"token_use": "string", "scope": "string", "auth_time": "number", "exp": "number",
			"iat": "number", "jti": "string", "username": "string",
		}},
		{"access token without groups, device or refresh family", noGroups, true, map[string]string{
			"sub": "string", "iss": "string", "version": "number", "client_id": "string",
			"token_use": "string", "scope": "string", "auth_time": "number", "exp": "number",
			"iat": "number", "jti": "string", "username": "string",
		}},
		{"ID token", identity(), false, map[string]string{
			"sub": "string", "cognito:groups": "array", "email_verified": "boolean", "iss": "string",
			"cognito:username": "string", "origin_jti": "string", "aud": "string", "event_id": "string",
			"token_use": "string", "auth_time": "number", "exp": "number", "iat": "number", "jti": "string",
			"cognito:roles": "array", "cognito:preferred_role": "string", "email": "string",
			"updated_at": "number", "address": "object", "custom:tier": "string",
		}},
		{"ID token without groups or attributes", noGroups, false, map[string]string{
			"sub": "string", "iss": "string", "cognito:username": "string", "aud": "string",
			"token_use": "string", "auth_time": "number", "exp": "number", "iat": "number", "jti": "string",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tok string
			if tc.access {
				tok = mustMintAccess(t, f.s, tc.id, time.Hour)
			} else {
				tok = mustMintID(t, f.s, tc.id, time.Hour)
			}
			got := map[string]string{}
			for name, v := range claimsOf(t, tok) {
				got[name] = jsonType(v)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("claim names and types (-want +got):\n%s", diff)
			}
			h, _, _ := parts(t, tok)
			var header map[string]any
			if err := json.Unmarshal(h, &header); err != nil {
				t.Fatal(err)
			}
			wantHeader := map[string]any{"alg": "RS256", "kid": kidOf(t, tok)}
			if diff := cmp.Diff(wantHeader, header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClaimsGolden pins the exact payloads, with volatile values replaced.
func TestClaimsGolden(t *testing.T) {
	f := newFixture(t)
	id := identity()
	id.DeviceKey = "us-east-1_0a1b2c3d-1111-2222-3333-444455556666"
	access, jti := func() (string, string) {
		tok, jti, err := f.s.MintAccessToken(context.Background(), id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok, jti
	}()
	idTok := mustMintID(t, f.s, id, time.Hour)
	tests := []struct {
		golden, token string
	}{
		{"access_token.golden.json", access},
		{"id_token.golden.json", idTok},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			h, p, _ := parts(t, tc.token)
			jtiHere := jti
			if c := claimsOf(t, tc.token); c["token_use"] == "id" {
				jtiHere = c["jti"].(string)
			}
			kid := kidOf(t, tc.token)
			var out bytes.Buffer
			for _, seg := range [][]byte{h, p} {
				norm := strings.NewReplacer(jtiHere, "<jti>", kid, "<kid>").Replace(string(seg))
				if err := json.Indent(&out, []byte(norm), "", "  "); err != nil {
					t.Fatal(err)
				}
				out.WriteByte('\n')
			}
			checkGolden(t, tc.golden, out.Bytes())
		})
	}
}

func TestMintRejectsCallerMistakes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		mutate   func(*Identity)
		validity time.Duration
	}{
		{"bad pool ID", func(id *Identity) { id.PoolID = "../etc" }, time.Hour},
		{"no client", func(id *Identity) { id.ClientID = "" }, time.Hour},
		{"no sub", func(id *Identity) { id.Sub = "" }, time.Hour},
		{"no username", func(id *Identity) { id.Username = "" }, time.Hour},
		{"zero validity", func(*Identity) {}, 0},
		{"longer than a day", func(*Identity) {}, MaxTokenValidity + time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := identity()
			tc.mutate(&id)
			_, _, errA := f.s.MintAccessToken(ctx, id, tc.validity)
			_, errI := f.s.MintIDToken(ctx, id, tc.validity)
			for _, err := range []error{errA, errI} {
				if !errors.Is(err, cognito.InternalErrorException("")) {
					t.Errorf("mint: %v, want InternalErrorException", err)
				}
			}
		})
	}
}

func TestReservedAttributesDoNotOverrideClaims(t *testing.T) {
	f := newFixture(t)
	id := identity()
	id.IDAttributes = map[string]any{"sub": "forged", "aud": "other", "iss": "evil", "token_use": "access",
		"cognito:username": "mallory", "exp": 99999999999, "name": "Alice"}
	claims, err := f.s.VerifyIDToken(context.Background(), mustMintID(t, f.s, id, time.Hour), clientA)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"sub": id.Sub, "aud": clientA, "iss": testBase + "/" + poolA,
		"token_use": "id", "cognito:username": "alice", "exp": float64(t0.Add(time.Hour).Unix()), "name": "Alice"} {
		if claims[name] != want {
			t.Errorf("%s = %v, want %v", name, claims[name], want)
		}
	}
}

func TestIDTokenAttributes(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want map[string]any
	}{
		{"typed", map[string]string{
			"email_verified": "true", "phone_number_verified": "false", "updated_at": "1700000000",
			"address": "1 Main St\nSpringfield", "custom:age": "42", "custom:flag": "true", "name": "Alice",
		}, map[string]any{
			"email_verified": true, "phone_number_verified": false, "updated_at": int64(1700000000),
			"address": map[string]string{"formatted": "1 Main St\nSpringfield"}, "custom:age": "42",
			"custom:flag": "true", "name": "Alice",
		}},
		{"unparsable values stay strings", map[string]string{"email_verified": "yes", "updated_at": "soon"},
			map[string]any{"email_verified": "yes", "updated_at": "soon"}},
		{"empty", map[string]string{}, map[string]any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, IDTokenAttributes(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewJTIIsAUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		u := NewJTI()
		if len(u) != 36 || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) || strings.Count(u, "-") != 4 {
			t.Fatalf("NewJTI() = %q: not a version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("NewJTI() repeated %q", u)
		}
		seen[u] = true
	}
}
