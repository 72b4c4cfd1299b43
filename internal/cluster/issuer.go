package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// IssuerSetting is the name of the setting that records the issuer base
// URL of the store's tokens.
const IssuerSetting = "issuer"

// issuerRecord is the value of IssuerSetting.
type issuerRecord struct {
	BaseURL string `json:"base_url"`
}

// Issuer returns the issuer base URL of the store's tokens, the same on
// every server that shares the store. The first server records configured,
// or its own endpoint when configured is empty; later servers use the
// recorded one. A server configured with another URL than the recorded one
// is refused (the error matches ErrRefused): its tokens would not verify
// on the other servers, nor theirs on it. SetIssuer changes it
// deliberately.
func Issuer(ctx context.Context, st storage.Settings, configured, endpoint string, now time.Time) (base string, recorded bool, err error) {
	for range 5 {
		rec, _, err := readIssuer(ctx, st)
		if errors.Is(err, storage.ErrNotFound) {
			base := configured
			if base == "" {
				base = endpoint
			}
			err := createJSON(ctx, st, IssuerSetting, issuerRecord{BaseURL: base}, now)
			if errors.Is(err, storage.ErrAlreadyExists) {
				continue // another server recorded first: use its URL
			}
			if err != nil {
				return "", false, fmt.Errorf("record the issuer: %w", err)
			}
			return base, true, nil
		}
		if err != nil {
			return "", false, err
		}
		if configured != "" && configured != rec.BaseURL {
			return "", false, refused("issuer_base_url: %s is not the issuer of this store's tokens, %s, so the server "+
				"does not start: the tokens it minted would not verify on the other servers, nor theirs on it. Nothing was "+
				"written; the data is untouched. Set issuer_base_url to %s or remove it; to change the issuer, run "+
				"`cognate issuer set %s` (tokens issued before then stop verifying)",
				configured, rec.BaseURL, rec.BaseURL, configured)
		}
		return rec.BaseURL, false, nil
	}
	return "", false, errors.New("the store's issuer kept changing while this server read it; try again")
}

// StoredIssuer returns the issuer base URL the store records, or
// storage.ErrNotFound.
func StoredIssuer(ctx context.Context, st storage.Settings) (string, error) {
	rec, _, err := readIssuer(ctx, st)
	return rec.BaseURL, err
}

// SetIssuer records base as the issuer base URL of the store's tokens and
// returns the one it replaces ("" when none was recorded). Servers pick it
// up when they start; tokens issued under the old URL stop verifying.
func SetIssuer(ctx context.Context, st storage.Settings, base string, now time.Time) (old string, err error) {
	for range 5 {
		rec, s, err := readIssuer(ctx, st)
		if errors.Is(err, storage.ErrNotFound) {
			err = createJSON(ctx, st, IssuerSetting, issuerRecord{BaseURL: base}, now)
			if errors.Is(err, storage.ErrAlreadyExists) {
				continue
			}
			return "", err
		}
		if err != nil {
			return "", err
		}
		if rec.BaseURL == base {
			return base, nil
		}
		if err := updateJSON(ctx, st, s, issuerRecord{BaseURL: base}, now); errors.Is(err, storage.ErrConflict) {
			continue
		} else if err != nil {
			return "", err
		}
		return rec.BaseURL, nil
	}
	return "", errors.New("the store's issuer kept changing; try again")
}

func readIssuer(ctx context.Context, st storage.Settings) (issuerRecord, *storage.Setting, error) {
	s, err := st.GetSetting(ctx, IssuerSetting)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return issuerRecord{}, nil, err
		}
		return issuerRecord{}, nil, fmt.Errorf("read the store's issuer: %w", err)
	}
	var rec issuerRecord
	if err := json.Unmarshal(s.Value, &rec); err != nil || rec.BaseURL == "" {
		return issuerRecord{}, nil, fmt.Errorf("the store's %s setting is damaged: %q", IssuerSetting, s.Value)
	}
	return rec, s, nil
}
