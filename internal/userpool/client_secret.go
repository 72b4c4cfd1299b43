package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// KeyLabelClientSecrets is the seal.DeriveKey label of the key that seals
// app-client secrets at rest (Options.ClientSecretKey).
const KeyLabelClientSecrets = "client-secrets"

// clientSecretBox seals app-client secrets at rest with AES-256-GCM, each
// bound to its client and secret ID, so a sealed secret cannot be moved
// onto another client or secret.
type clientSecretBox struct {
	sealer *seal.Sealer
}

// clientSecretPurpose is the seal purpose of secret secretID of client
// clientID.
func clientSecretPurpose(clientID, secretID string) string {
	return "client-secret\x00" + clientID + "\x00" + secretID
}

// seal returns r's secrets as they are stored: Value sealed into Sealed,
// nothing in the clear.
func (b clientSecretBox) seal(r *clientRecord) []clientSecret {
	if len(r.Secrets) == 0 {
		return r.Secrets
	}
	id := cognito.Deref(r.Client.ClientId)
	out := make([]clientSecret, len(r.Secrets))
	for i, sec := range r.Secrets {
		out[i] = clientSecret{
			ID:        sec.ID,
			Sealed:    b.sealer.SealString(clientSecretPurpose(id, sec.ID), []byte(sec.Value)),
			CreatedAt: sec.CreatedAt,
		}
	}
	return out
}

// open fills in the Value of each of r's stored secrets: opened from
// Sealed, or taken from Plain for a record stored before secrets were
// sealed.
func (b clientSecretBox) open(r *clientRecord) error {
	id := cognito.Deref(r.Client.ClientId)
	for i := range r.Secrets {
		sec := &r.Secrets[i]
		if sec.Sealed == "" {
			sec.Value = sec.Plain
			continue
		}
		v, err := b.sealer.OpenString(clientSecretPurpose(id, sec.ID), sec.Sealed)
		if err != nil {
			return fmt.Errorf("open client secret %q: %w", sec.ID, err)
		}
		sec.Value = string(v)
	}
	return nil
}

// plainSecrets reports whether r, as stored, keeps a secret in the clear.
func plainSecrets(r *clientRecord) bool {
	return slices.ContainsFunc(r.Secrets, func(s clientSecret) bool { return s.Sealed == "" })
}

// maxClientSecrets is how many secrets an app client holds at once, so that
// a secret can be rotated without downtime.
const maxClientSecrets = 2

// newClientSecret returns a secret with value, or a generated one when
// value is empty.
func newClientSecret(value string, now time.Time) clientSecret {
	if value == "" {
		value = cognito.RandomString(clientSecretLength, lowerAlnum)
	}
	return clientSecret{ID: cognito.RandomString(clientIDLength, lowerAlnum), Value: value, CreatedAt: now}
}

// secretHashMAC returns the HMAC behind a SECRET_HASH: HMAC-SHA256 keyed by
// the client secret over username + client ID. SECRET_HASH is its base64.
func secretHashMAC(secret, username, clientID string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username))
	m.Write([]byte(clientID))
	return m.Sum(nil)
}

// checkSecretHash reports whether secretHash is the SECRET_HASH of
// username made with one of the client's active secrets. Every secret is
// compared, in constant time, so the answer takes as long whichever secret
// matches.
func checkSecretHash(client *clientRecord, username, secretHash string) bool {
	got, err := base64.StdEncoding.DecodeString(secretHash)
	if err != nil || client == nil {
		return false
	}
	id := cognito.Deref(client.Client.ClientId)
	ok := false
	for _, s := range client.Secrets {
		if hmac.Equal(got, secretHashMAC(s.Value, username, id)) {
			ok = true
		}
	}
	return ok
}

// checkClientSecret reports whether secret is one of the client's active
// secrets, as the token endpoint checks a client_secret. Every secret is
// compared in constant time.
func checkClientSecret(client *clientRecord, secret string) bool {
	if client == nil || secret == "" {
		return false
	}
	got := sha256.Sum256([]byte(secret))
	ok := false
	for _, s := range client.Secrets {
		want := sha256.Sum256([]byte(s.Value))
		if hmac.Equal(got[:], want[:]) {
			ok = true
		}
	}
	return ok
}

// descriptor returns the wire form of a secret, with its value only when
// withValue is set.
func (s clientSecret) descriptor(withValue bool) idp.ClientSecretDescriptorType {
	d := idp.ClientSecretDescriptorType{
		ClientSecretId:         cognito.Ptr(s.ID),
		ClientSecretCreateDate: &cognito.Timestamp{Time: s.CreatedAt},
	}
	if withValue {
		d.ClientSecretValue = cognito.Ptr(s.Value)
	}
	return d
}

// updateClient runs a read-modify-write of one app client of a pool.
func (s *Service) updateClient(ctx context.Context, c cognito.Caller, poolID, id string, mutate func(rec *clientRecord) error) (*clientRecord, error) {
	var out *clientRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, rec, err := s.poolClient(ctx, tx, c, poolID, id)
		if err != nil {
			return err
		}
		if err := mutate(rec); err != nil {
			return err
		}
		rec.Client.LastModifiedDate = &cognito.Timestamp{Time: s.now()}
		upd, err := s.clientItem(rec, it.Version)
		if err != nil {
			return err
		}
		if err := tx.UpdateItem(ctx, upd); err != nil {
			return fmt.Errorf("update client: %w", err)
		}
		out = rec
		return nil
	})
	return out, err
}

// AddUserPoolClientSecret adds a secret to a confidential app client, which
// then accepts either of its secrets until one is deleted. The secret's
// value is returned only when cognate generated it.
func (s *Service) AddUserPoolClientSecret(ctx context.Context, c cognito.Caller, in *idp.AddUserPoolClientSecretRequest) (*idp.AddUserPoolClientSecretResponse, error) {
	var added clientSecret
	_, err := s.updateClient(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId), func(rec *clientRecord) error {
		if len(rec.Secrets) == 0 {
			return cognito.InvalidParameterException(fmt.Sprintf("User pool client %s does not have a client secret.", cognito.Deref(in.ClientId)))
		}
		if len(rec.Secrets) >= maxClientSecrets {
			return cognito.LimitExceededException(fmt.Sprintf("User pool client %s already has the maximum of %d client secrets.", cognito.Deref(in.ClientId), maxClientSecrets))
		}
		value := cognito.Deref(in.ClientSecret)
		if value != "" && slices.ContainsFunc(rec.Secrets, func(s clientSecret) bool { return s.Value == value }) {
			return cognito.InvalidParameterException("The client secret is already in use by this client.")
		}
		added = newClientSecret(value, s.now())
		rec.Secrets = append(rec.Secrets, added)
		return nil
	})
	if err != nil {
		return nil, err
	}
	d := added.descriptor(in.ClientSecret == nil)
	return &idp.AddUserPoolClientSecretResponse{ClientSecretDescriptor: &d}, nil
}

// DeleteUserPoolClientSecret deletes one secret of an app client. The last
// remaining secret cannot be deleted.
func (s *Service) DeleteUserPoolClientSecret(ctx context.Context, c cognito.Caller, in *idp.DeleteUserPoolClientSecretRequest) (*idp.DeleteUserPoolClientSecretResponse, error) {
	secretID := cognito.Deref(in.ClientSecretId)
	_, err := s.updateClient(ctx, c, cognito.Deref(in.UserPoolId), cognito.Deref(in.ClientId), func(rec *clientRecord) error {
		i := slices.IndexFunc(rec.Secrets, func(s clientSecret) bool { return s.ID == secretID })
		if i < 0 {
			return cognito.ResourceNotFoundException(fmt.Sprintf("Client secret %s does not exist.", secretID))
		}
		if len(rec.Secrets) == 1 {
			return cognito.InvalidParameterException("The last client secret of a user pool client cannot be deleted.")
		}
		rec.Secrets = slices.Delete(rec.Secrets, i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &idp.DeleteUserPoolClientSecretResponse{}, nil
}

// ListUserPoolClientSecrets lists an app client's secrets, oldest first,
// without their values. There are at most two, so there is never a next
// page.
func (s *Service) ListUserPoolClientSecrets(ctx context.Context, c cognito.Caller, in *idp.ListUserPoolClientSecretsRequest) (*idp.ListUserPoolClientSecretsResponse, error) {
	poolID := cognito.Deref(in.UserPoolId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rec, err := s.poolClient(ctx, s.store, c, poolID, cognito.Deref(in.ClientId))
	if err != nil {
		return nil, err
	}
	out := &idp.ListUserPoolClientSecretsResponse{ClientSecrets: []idp.ClientSecretDescriptorType{}}
	for _, sec := range rec.Secrets {
		out.ClientSecrets = append(out.ClientSecrets, sec.descriptor(false))
	}
	return out, nil
}

// SealClientSecrets seals the app-client secrets that stores written
// before secrets were sealed keep in the clear, and returns how many
// clients it re-sealed. It runs at every start, before the server takes
// requests: a read finds whether any client is left in the clear, and only
// then does a write transaction rewrite every such client, all or none. Run
// again, it finds nothing to do.
func (s *Service) SealClientSecrets(ctx context.Context) (int, error) {
	var pools []string
	for after := ""; ; {
		page, err := s.store.ListUserPools(ctx, storage.ListUserPoolsInput{AfterID: after, Limit: 100})
		if err != nil {
			return 0, cognito.Internal(fmt.Errorf("list user pools: %w", err))
		}
		for _, p := range page {
			pools = append(pools, p.ID)
		}
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1].ID
	}
	found := false
	for _, pool := range pools {
		items, err := plainClients(ctx, s.store, pool)
		if err != nil {
			return 0, cognito.Internal(err)
		}
		if len(items) > 0 {
			found = true
			break
		}
	}
	if !found {
		return 0, nil
	}
	var sealed int
	err := s.runTx(ctx, func(tx storage.Tx) error {
		sealed = 0
		for _, pool := range pools {
			items, err := plainClients(ctx, tx, pool)
			if err != nil {
				return err
			}
			for _, it := range items {
				rec, err := s.decodeClient(it)
				if err != nil {
					return err
				}
				upd, err := s.clientItem(rec, it.Version)
				if err != nil {
					return err
				}
				upd.Keys, upd.Index = it.Keys, it.Index
				if err := tx.UpdateItem(ctx, upd); err != nil {
					return fmt.Errorf("seal secrets of client %q: %w", it.ID, err)
				}
				sealed++
			}
		}
		return nil
	})
	return sealed, err
}

// plainClients returns the app clients of pool, read from r, that keep a
// secret in the clear.
func plainClients(ctx context.Context, r storage.ItemReader, pool string) ([]*storage.Item, error) {
	var out []*storage.Item
	for after := ""; ; {
		items, err := r.ListItems(ctx, storage.ListItemsInput{Kind: kindClient, Pool: pool, AfterID: after, Limit: 100})
		if err != nil {
			return nil, fmt.Errorf("list clients of %q: %w", pool, err)
		}
		for _, it := range items {
			var stored clientRecord
			if err := json.Unmarshal(it.Data, &stored); err != nil {
				return nil, fmt.Errorf("decode client %q: %w", it.ID, err)
			}
			if plainSecrets(&stored) {
				out = append(out, it)
			}
		}
		if len(items) < 100 {
			return out, nil
		}
		after = items[len(items)-1].ID
	}
}
