package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/sts"
)

// Session is what a set of temporary credentials is bound to.
type Session struct {
	AccessKeyID     string
	RoleARN         string
	RoleSessionName string
	// Account is the role's account; AssumedRoleARN is
	// arn:aws:sts::<account>:assumed-role/<role>/<session> and
	// AssumedRoleID <role ID>:<session>.
	Account, AssumedRoleARN, AssumedRoleID string
	// Issuer, Subject and Audience are those of the web identity token
	// the credentials were minted for.
	Issuer, Subject, Audience string
	// Tags are the session tags.
	Tags       map[string]string
	Expiration time.Time

	secret   string
	tokenMAC []byte
}

// Secret returns the secret access key, to check a request's signature.
func (s *Session) Secret() string { return s.secret }

// IsTemporaryAccessKey reports whether id has the form of the access key
// IDs this STS mints.
func IsTemporaryAccessKey(id string) bool { return strings.HasPrefix(id, "ASIA") && len(id) == 20 }

// Session returns the credentials of accessKeyID, expired or not (see
// Authenticate), or sts.CodeInvalidClientTokenID when there are none.
func (s *Service) Session(ctx context.Context, accessKeyID string) (*Session, error) {
	unknown := sts.NewError(sts.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	if !IsTemporaryAccessKey(accessKeyID) {
		return nil, unknown
	}
	it, err := s.store.GetItem(ctx, ItemKind, accessKeyID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, unknown
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get credentials: %w", err))
	}
	var rec record
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, internal(fmt.Errorf("decode credentials %s: %w", accessKeyID, err))
	}
	secret, err := s.sealer.Open(secretPurpose(accessKeyID), rec.Secret)
	if err != nil {
		return nil, unknown.WithCause(fmt.Errorf("open the secret of %s: %w", accessKeyID, err))
	}
	return &Session{
		AccessKeyID: accessKeyID, RoleARN: rec.RoleARN, RoleSessionName: rec.RoleSessionName,
		Account: rec.Account, AssumedRoleARN: rec.AssumedRoleARN, AssumedRoleID: rec.AssumedRoleID,
		Issuer: rec.Issuer, Subject: rec.Subject, Audience: rec.Audience, Tags: rec.Tags,
		Expiration: rec.Expiration, secret: string(secret), tokenMAC: rec.TokenMAC,
	}, nil
}

// Authenticate checks a request signed with the session's access key:
// its session token must be the one minted with it, and the credentials
// must not have expired. The signature is the caller's to check.
func (s *Service) Authenticate(sess *Session, sessionToken string) error {
	if sessionToken == "" || !s.tokenMatches(sess.tokenMAC, sessionToken) {
		return sts.NewError(sts.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	if !s.clock().Before(sess.Expiration) {
		return sts.NewError(sts.CodeExpiredSessionToken, "The security token included in the request is expired")
	}
	return nil
}

// sweepBatch bounds the expired credentials one sweep deletes, and
// sweepInterval is how often a process sweeps at most (unless the last
// sweep found a full batch).
const (
	sweepBatch    = 32
	sweepInterval = time.Second
)

// maybeSweep deletes expired credentials when no sweep ran in the last
// sweepInterval. Failures are logged; a later sweep tries again.
func (s *Service) maybeSweep(ctx context.Context) {
	now := s.clock()
	s.sweepMu.Lock()
	if now.Sub(s.lastSweep) < sweepInterval && !now.Before(s.lastSweep) {
		s.sweepMu.Unlock()
		return
	}
	s.lastSweep = now
	s.sweepMu.Unlock()
	full, err := s.Sweep(ctx)
	if err != nil {
		s.log.Warn("sweep expired temporary credentials", "err", err)
		return
	}
	if full {
		s.sweepMu.Lock()
		s.lastSweep = time.Time{}
		s.sweepMu.Unlock()
	}
}

// Sweep deletes up to a batch of credentials that expired more than an
// hour ago, and reports whether it found a full batch.
func (s *Service) Sweep(ctx context.Context) (full bool, err error) {
	limit := expiryKey(s.clock())
	entries, err := s.store.ScanIndex(ctx, storage.ScanInput{Kind: ItemKind, Prefix: expiryIndex, Limit: sweepBatch})
	if err != nil {
		return false, fmt.Errorf("scan expired credentials: %w", err)
	}
	var expired []string
	for _, e := range entries {
		if e.Key >= limit {
			break
		}
		expired = append(expired, e.Item.ID)
	}
	if len(expired) == 0 {
		return false, nil
	}
	err = s.store.Tx(ctx, func(tx storage.Tx) error {
		for _, id := range expired {
			it, err := tx.GetItem(ctx, ItemKind, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := tx.DeleteItem(ctx, ItemKind, id, it.Version); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	return len(expired) == sweepBatch, err
}
