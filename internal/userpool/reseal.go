package userpool

import (
	"encoding/json"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Item kinds that hold sealed values, for the re-seal pass of a key
// rotation (internal/cluster).
const (
	// ClientItemKind is the kind of app clients, whose records keep sealed
	// client secrets.
	ClientItemKind = kindClient
)

// ResealClientSecret re-seals an app client's stored secrets that opened
// with a previous key with the current one: the re-sealer of client items.
// Every other field of the record is kept as stored.
func (s *Service) ResealClientSecret(it *storage.Item) ([]byte, bool, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(it.Data, &fields); err != nil {
		return nil, false, fmt.Errorf("client %s: %w", it.ID, err)
	}
	raw, ok := fields["secrets"]
	if !ok {
		return nil, false, nil
	}
	var secrets []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &secrets); err != nil {
		return nil, false, fmt.Errorf("client %s: secrets: %w", it.ID, err)
	}
	changed := false
	for _, sec := range secrets {
		var id, sealed string
		if json.Unmarshal(sec["id"], &id) != nil || json.Unmarshal(sec["sealed"], &sealed) != nil || sealed == "" {
			continue // a secret kept in the clear is SealClientSecrets' to seal
		}
		purpose := clientSecretPurpose(it.ID, id)
		v, key, err := s.secrets.sealer.OpenStringKey(purpose, sealed)
		if err != nil {
			return nil, false, fmt.Errorf("client %s: secret %s opens with no configured key: %w", it.ID, id, err)
		}
		if key == 0 {
			continue
		}
		if sec["sealed"], err = json.Marshal(s.secrets.sealer.SealString(purpose, v)); err != nil {
			return nil, false, err
		}
		changed = true
	}
	if !changed {
		return nil, false, nil
	}
	var err error
	if fields["secrets"], err = json.Marshal(secrets); err != nil {
		return nil, false, err
	}
	data, err := json.Marshal(fields)
	return data, err == nil, err
}

// Kinds of identity providers (sealed client secrets and Apple private
// keys) and SAML signing certificates (sealed keys), for the re-seal pass.
const (
	IdentityProviderItemKind   = kindIdentityProvider
	SigningCertificateItemKind = kindSigningCertificate
)

// ResealIdentityProvider re-seals an identity provider's sealed
// ProviderDetails that opened with a previous key with the current one.
func (s *Service) ResealIdentityProvider(it *storage.Item) ([]byte, bool, error) {
	rec, err := decodeIdentityProvider(it)
	if err != nil {
		return nil, false, err
	}
	pool, name := cognito.Deref(rec.Provider.UserPoolId), cognito.Deref(rec.Provider.ProviderName)
	changed := false
	for k, sealed := range rec.Sealed {
		purpose := identityProviderPurpose(pool, name, k)
		v, key, err := s.secrets.sealer.OpenStringKey(purpose, sealed)
		if err != nil {
			return nil, false, fmt.Errorf("identity provider %s: %s opens with no configured key: %w", it.ID, k, err)
		}
		if key != 0 {
			rec.Sealed[k] = s.secrets.sealer.SealString(purpose, v)
			changed = true
		}
	}
	if !changed {
		return nil, false, nil
	}
	data, err := json.Marshal(rec)
	return data, err == nil, err
}

// ResealSigningCertificate re-seals a pool's SAML signing key that opened
// with a previous key with the current one.
func (s *Service) ResealSigningCertificate(it *storage.Item) ([]byte, bool, error) {
	rec, err := decodeSigningCertificate(it)
	if err != nil {
		return nil, false, err
	}
	purpose := signingKeyPurpose(it.ID)
	v, key, err := s.secrets.sealer.OpenStringKey(purpose, rec.SealedKey)
	if err != nil {
		return nil, false, fmt.Errorf("signing certificate %s opens with no configured key: %w", it.ID, err)
	}
	if key == 0 {
		return nil, false, nil
	}
	rec.SealedKey = s.secrets.sealer.SealString(purpose, v)
	data, err := json.Marshal(rec)
	return data, err == nil, err
}
