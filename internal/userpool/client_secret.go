package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

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
func (s *Service) updateClient(ctx context.Context, c Caller, poolID, id string, mutate func(rec *clientRecord) error) (*clientRecord, error) {
	var out *clientRecord
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if _, _, err := loadPoolFrom(ctx, tx, c, poolID); err != nil {
			return err
		}
		it, rec, err := poolClient(ctx, tx, c, poolID, id)
		if err != nil {
			return err
		}
		if err := mutate(rec); err != nil {
			return err
		}
		rec.Client.LastModifiedDate = &cognito.Timestamp{Time: s.now()}
		upd, err := clientItem(rec, it.Version)
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
func (s *Service) AddUserPoolClientSecret(ctx context.Context, c Caller, in *idp.AddUserPoolClientSecretRequest) (*idp.AddUserPoolClientSecretResponse, error) {
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
func (s *Service) DeleteUserPoolClientSecret(ctx context.Context, c Caller, in *idp.DeleteUserPoolClientSecretRequest) (*idp.DeleteUserPoolClientSecretResponse, error) {
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
func (s *Service) ListUserPoolClientSecrets(ctx context.Context, c Caller, in *idp.ListUserPoolClientSecretsRequest) (*idp.ListUserPoolClientSecretsResponse, error) {
	poolID := cognito.Deref(in.UserPoolId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	_, rec, err := poolClient(ctx, s.store, c, poolID, cognito.Deref(in.ClientId))
	if err != nil {
		return nil, err
	}
	out := &idp.ListUserPoolClientSecretsResponse{ClientSecrets: []idp.ClientSecretDescriptorType{}}
	for _, sec := range rec.Secrets {
		out.ClientSecrets = append(out.ClientSecrets, sec.descriptor(false))
	}
	return out, nil
}
