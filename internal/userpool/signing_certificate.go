package userpool

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// signingCertificateValidity is how long a pool's SAML signing certificate
// is valid: ten years, as Cognito's.
const signingCertificateValidity = 10 * 365 * 24 * time.Hour

// signingCertificateRecord is a pool's SAML signing key and certificate.
type signingCertificateRecord struct {
	// Certificate is the DER certificate, base64 (what
	// GetSigningCertificate returns).
	Certificate string `json:"certificate"`
	// SealedKey is the PKCS #8 private key, sealed.
	SealedKey string `json:"sealed_key"`
}

// signingKeyPurpose is the seal purpose of pool's SAML signing key.
func signingKeyPurpose(pool string) string { return "saml-signing-key\x00" + pool }

// GetSigningCertificate returns the pool's SAML signing certificate (the
// base64 of its DER form), which a SAML identity provider uses to check
// the pool's signed requests. The key and certificate are made at the first
// request and kept, the key sealed.
func (s *Service) GetSigningCertificate(ctx context.Context, c cognito.Caller, in *idp.GetSigningCertificateRequest) (*idp.GetSigningCertificateResponse, error) {
	poolID := cognito.Deref(in.UserPoolId)
	if _, _, err := s.loadPool(ctx, c, poolID); err != nil {
		return nil, err
	}
	rec, err := s.signingCertificate(ctx, poolID)
	if err != nil {
		return nil, err
	}
	return &idp.GetSigningCertificateResponse{Certificate: cognito.Ptr(rec.Certificate)}, nil
}

// SAMLSigningKey returns the pool's SAML signing key and certificate,
// making them at the first call.
func (s *Service) SAMLSigningKey(ctx context.Context, poolID string) (*rsa.PrivateKey, *x509.Certificate, error) {
	rec, err := s.signingCertificate(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	der, err := base64.StdEncoding.DecodeString(rec.Certificate)
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("decode signing certificate: %w", err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("parse signing certificate: %w", err))
	}
	raw, err := s.secrets.sealer.OpenString(signingKeyPurpose(poolID), rec.SealedKey)
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("open signing key: %w", err))
	}
	k, err := x509.ParsePKCS8PrivateKey(raw)
	if err != nil {
		return nil, nil, cognito.Internal(fmt.Errorf("parse signing key: %w", err))
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, cognito.Internal(errors.New("signing key is not RSA"))
	}
	return rk, cert, nil
}

// signingCertificate reads the pool's signing certificate, or makes and
// stores one. Two servers making one at once both succeed: the second
// write fails and reads the first's.
func (s *Service) signingCertificate(ctx context.Context, poolID string) (*signingCertificateRecord, error) {
	it, err := s.store.GetItem(ctx, kindSigningCertificate, poolID)
	if err == nil {
		return decodeSigningCertificate(it)
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, cognito.Internal(fmt.Errorf("get signing certificate: %w", err))
	}
	rec, err := s.newSigningCertificate(poolID)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, cognito.Internal(err)
	}
	now := s.now()
	err = s.runTx(ctx, func(tx storage.Tx) error {
		if _, err := tx.GetUserPool(ctx, poolID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return cognito.ResourceNotFoundException(fmt.Sprintf("User pool %s does not exist.", poolID))
			}
			return err
		}
		return tx.CreateItem(ctx, &storage.Item{Kind: kindSigningCertificate, ID: poolID, Pool: poolID, Data: data, CreatedAt: now, UpdatedAt: now})
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		it, err := s.store.GetItem(ctx, kindSigningCertificate, poolID)
		if err != nil {
			return nil, cognito.Internal(fmt.Errorf("get signing certificate: %w", err))
		}
		return decodeSigningCertificate(it)
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func decodeSigningCertificate(it *storage.Item) (*signingCertificateRecord, error) {
	var rec signingCertificateRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, cognito.Internal(fmt.Errorf("decode signing certificate: %w", err))
	}
	return &rec, nil
}

// newSigningCertificate makes an RSA key and a self-signed certificate for
// the pool, named after it.
func (s *Service) newSigningCertificate(poolID string) (*signingCertificateRecord, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, cognito.Internal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, cognito.Internal(err)
	}
	now := s.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "urn:amazon:cognito:sp:" + poolID},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(signingCertificateValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, cognito.Internal(fmt.Errorf("make signing certificate: %w", err))
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, cognito.Internal(err)
	}
	return &signingCertificateRecord{
		Certificate: base64.StdEncoding.EncodeToString(der),
		SealedKey:   s.secrets.sealer.SealString(signingKeyPurpose(poolID), pk),
	}, nil
}

// encryptionCertificate adds ActiveEncryptionCertificate to the details d
// of a SAML provider of pool with EncryptedResponses: the certificate the
// provider encrypts assertions to, which is the pool's SAML certificate
// (GetSigningCertificate's; its key decrypts them).
func (s *Service) encryptionCertificate(ctx context.Context, poolID, typ string, d map[string]string) (map[string]string, error) {
	if typ != ProviderSAML || d["EncryptedResponses"] != "true" {
		return d, nil
	}
	rec, err := s.signingCertificate(ctx, poolID)
	if err != nil {
		return nil, err
	}
	d["ActiveEncryptionCertificate"] = rec.Certificate
	return d, nil
}
