package userpool

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// secretTestKey is the client-secret key of the tests that reopen a store.
var secretTestKey = seal.DeriveKey(bytes.Repeat([]byte{7}, seal.KeySize), KeyLabelClientSecrets)

// storedBytes returns every item and change-log state of st as one byte
// string: what a copy of the database holds.
func storedBytes(t *testing.T, st storage.Store, pool, kind string) []byte {
	t.Helper()
	ctx := context.Background()
	var all []byte
	items, err := st.ListItems(ctx, storage.ListItemsInput{Kind: kind, Pool: pool, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		all = append(all, it.Data...)
	}
	changes, err := st.Changes(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		all = append(all, c.State...)
	}
	return all
}

// TestClientSecretsSealedAtRest guards against app-client secrets stored
// in the clear: the item and the change log hold neither a generated nor a
// chosen secret, while DescribeUserPoolClient, SECRET_HASH, client_secret
// and AddUserPoolClientSecret still see the value.
func TestClientSecretsSealedAtRest(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			st := luOpenStore(t, backend)
			s := New(st, Options{AccountID: "123456789012", ClientSecretKey: secretTestKey})
			p := luNewPool(t, s, false)
			poolID := cognito.Deref(p.Id)
			out, err := s.CreateUserPoolClient(ctx, luCaller, &idp.CreateUserPoolClientRequest{
				UserPoolId: p.Id, ClientName: cognito.Ptr("app"), GenerateSecret: cognito.Ptr(true),
			})
			if err != nil {
				t.Fatal(err)
			}
			clientID := cognito.Deref(out.UserPoolClient.ClientId)
			generated := cognito.Deref(out.UserPoolClient.ClientSecret)
			const chosen = "chosen_secret_value_0123456789abcdef"
			if _, err := s.AddUserPoolClientSecret(ctx, luCaller, &idp.AddUserPoolClientSecretRequest{
				UserPoolId: p.Id, ClientId: cognito.Ptr(clientID), ClientSecret: cognito.Ptr(chosen),
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddUserPoolClientSecret(ctx, luCaller, &idp.AddUserPoolClientSecretRequest{
				UserPoolId: p.Id, ClientId: cognito.Ptr(clientID), ClientSecret: cognito.Ptr(chosen),
			}); err == nil {
				t.Error("AddUserPoolClientSecret accepted more than two secrets")
			}
			raw := storedBytes(t, st, poolID, kindClient)
			for _, secret := range []string{generated, chosen} {
				if bytes.Contains(raw, []byte(secret)) {
					t.Errorf("store holds client secret %q in the clear", secret)
				}
			}

			// A second service on the same store and key (a restart, or
			// another node) reads the secrets back.
			s2 := New(st, Options{AccountID: "123456789012", ClientSecretKey: secretTestKey})
			desc, err := s2.DescribeUserPoolClient(ctx, luCaller, &idp.DescribeUserPoolClientRequest{UserPoolId: p.Id, ClientId: cognito.Ptr(clientID)})
			if err != nil {
				t.Fatal(err)
			}
			if got := cognito.Deref(desc.UserPoolClient.ClientSecret); got != generated {
				t.Errorf("DescribeUserPoolClient ClientSecret = %q, want %q", got, generated)
			}
			_, client, err := s2.SignInClient(ctx, luCaller, poolID, clientID)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{generated, chosen} {
				hash := secretHashOf(secret, "alice", clientID)
				if !client.CheckSecretHash("alice", hash) {
					t.Errorf("SECRET_HASH made with %q refused", secret)
				}
				if !client.CheckClientSecret(secret) {
					t.Errorf("client_secret %q refused", secret)
				}
			}
			if client.CheckClientSecret("wrong") {
				t.Error("a wrong client_secret was accepted")
			}

			// With another key the secrets do not open: an error, never a
			// wrong answer.
			other := New(st, Options{AccountID: "123456789012", ClientSecretKey: seal.DeriveKey(secretTestKey, "other")})
			_, err = other.DescribeUserPoolClient(ctx, luCaller, &idp.DescribeUserPoolClientRequest{UserPoolId: p.Id, ClientId: cognito.Ptr(clientID)})
			luWantError(t, err, "InternalErrorException", "")
		})
	}
}

// secretHashOf is a client's SECRET_HASH for username.
func secretHashOf(secret, username, clientID string) string {
	return base64.StdEncoding.EncodeToString(secretHashMAC(secret, username, clientID))
}

// putLegacyClient stores a confidential app client of pool as stores
// written before secrets were sealed kept it: the secret in the clear.
func putLegacyClient(t *testing.T, st storage.Store, pool, id string, secrets ...string) {
	t.Helper()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	type legacySecret struct {
		ID        string    `json:"id"`
		Value     string    `json:"value"`
		CreatedAt time.Time `json:"created_at"`
	}
	var stored []legacySecret
	for i, v := range secrets {
		stored = append(stored, legacySecret{ID: id + string(rune('a'+i)), Value: v, CreatedAt: now})
	}
	data, err := json.Marshal(map[string]any{
		"client": idp.UserPoolClientType{
			ClientId: cognito.Ptr(id), UserPoolId: cognito.Ptr(pool), ClientName: cognito.Ptr("legacy"),
			CreationDate: &cognito.Timestamp{Time: now}, LastModifiedDate: &cognito.Timestamp{Time: now},
		},
		"secrets": stored,
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(context.Background(), func(tx storage.Tx) error {
		return tx.CreateItem(context.Background(), &storage.Item{Kind: kindClient, ID: id, Pool: pool, Data: data, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSealClientSecretsMigrates guards the upgrade of a store that keeps
// client secrets in the clear: they keep working before the pass, the pass
// seals every one of them in every pool and region, the values are
// unchanged, and a second pass finds nothing to do.
func TestSealClientSecretsMigrates(t *testing.T) {
	for _, backend := range luBackends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			st := luOpenStore(t, backend)
			s := New(st, Options{AccountID: "123456789012", ClientSecretKey: secretTestKey})
			p1, p2 := luNewPool(t, s, false), luNewPool(t, s, false)
			const v1, v2, v3 = "legacy_secret_one_0123456789abcdefghij", "legacy_secret_two_0123456789abcdefghij", "legacy_secret_three_0123456789abcdefgh"
			putLegacyClient(t, st, cognito.Deref(p1.Id), "legacyclient1", v1)
			putLegacyClient(t, st, cognito.Deref(p2.Id), "legacyclient2", v2, v3)

			_, before, err := s.SignInClient(ctx, luCaller, "", "legacyclient2")
			if err != nil {
				t.Fatal(err)
			}
			if !before.CheckClientSecret(v3) {
				t.Error("a plaintext secret is refused before the re-seal pass")
			}
			n, err := s.SealClientSecrets(ctx)
			if err != nil || n != 2 {
				t.Fatalf("SealClientSecrets = %d, %v; want 2 clients", n, err)
			}
			for _, p := range []*idp.UserPoolType{p1, p2} {
				items, err := st.ListItems(ctx, storage.ListItemsInput{Kind: kindClient, Pool: cognito.Deref(p.Id), Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					for _, v := range []string{v1, v2, v3} {
						if bytes.Contains(it.Data, []byte(v)) {
							t.Errorf("client %s still holds %q in the clear", it.ID, v)
						}
					}
				}
			}
			desc, err := s.DescribeUserPoolClient(ctx, luCaller, &idp.DescribeUserPoolClientRequest{UserPoolId: p2.Id, ClientId: cognito.Ptr("legacyclient2")})
			if err != nil || cognito.Deref(desc.UserPoolClient.ClientSecret) != v2 {
				t.Errorf("DescribeUserPoolClient after the pass = %v, %v; want secret %q", desc, err, v2)
			}
			_, after, err := s.SignInClient(ctx, luCaller, "", "legacyclient1")
			if err != nil || !after.CheckSecretHash("bob", secretHashOf(v1, "bob", "legacyclient1")) {
				t.Errorf("SECRET_HASH refused after the pass (%v)", err)
			}
			if n, err := s.SealClientSecrets(ctx); err != nil || n != 0 {
				t.Errorf("second SealClientSecrets = %d, %v; want 0", n, err)
			}
		})
	}
}

// TestSealClientSecretsAllOrNothing checks that a pass that cannot seal
// one client seals none: the plaintext client of the first pool is left as
// it was when a later client fails to decode.
func TestSealClientSecretsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st := luOpenStore(t, "sqlite")
	s := New(st, Options{AccountID: "123456789012", ClientSecretKey: secretTestKey})
	p := luNewPool(t, s, false)
	const v = "legacy_secret_one_0123456789abcdefghij"
	putLegacyClient(t, st, cognito.Deref(p.Id), "aaaaclient", v)
	// A client whose stored form mixes a plaintext secret with a sealed
	// one that does not open (sealed under another key).
	bad := &clientRecord{Client: idp.UserPoolClientType{ClientId: cognito.Ptr("zzzzclient"), UserPoolId: p.Id,
		CreationDate: &cognito.Timestamp{Time: time.Unix(0, 0)}, LastModifiedDate: &cognito.Timestamp{Time: time.Unix(0, 0)}},
		Secrets: []clientSecret{{ID: "s1", Plain: "plain"}, {ID: "s2", Sealed: "bm90IHNlYWxlZCBoZXJlIGF0IGFsbCwgbm90IGF0IGFsbA=="}}}
	data, err := json.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tx(ctx, func(tx storage.Tx) error {
		return tx.CreateItem(ctx, &storage.Item{Kind: kindClient, ID: "zzzzclient", Pool: cognito.Deref(p.Id), Data: data})
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SealClientSecrets(ctx); err == nil {
		t.Fatalf("SealClientSecrets = %d, nil; want an error", n)
	}
	it, err := st.GetItem(ctx, kindClient, "aaaaclient")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(it.Data, []byte(v)) || it.Version != 1 {
		t.Errorf("a failed pass rewrote client aaaaclient (version %d): %s", it.Version, it.Data)
	}
}
