package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// ExistenceSetting is the name of the setting that keeps, sealed with the
// encryption key, the keys of the made-up answers about users that do not
// exist (ExistenceKeys).
const ExistenceSetting = "user_existence_keys"

// existenceLabel derives the key that seals ExistenceSetting's keys.
const existenceLabel = "user-existence"

// ExistenceKeys key the details made up for users that do not exist, which
// app clients that prevent user existence errors answer with: the
// simulated CodeDeliveryDetails of the directory (Delivery) and the SRP
// salts, passwordless destinations and passkey IDs of sign-in (SignIn).
// A real user's details stay the same from one node, restart or
// encryption-key rotation to the next, so these must too, or comparing
// answers would tell who exists: the store keeps them, sealed, rather
// than each server deriving them from its own key.
type ExistenceKeys struct {
	Delivery, SignIn []byte
}

// existenceRecord is the value of ExistenceSetting.
type existenceRecord struct {
	Delivery string `json:"delivery"`
	SignIn   string `json:"sign_in"`
}

// LoadExistenceKeys returns the store's ExistenceKeys. A store without
// them records initial, the keys its servers derived from the encryption
// key before the store kept them, so that a store's answers do not change
// when it starts keeping them. Keys sealed with a previous encryption key
// are sealed again with the current one. Call it after CheckKeys: a value
// that opens with none of keys is an error.
func LoadExistenceKeys(ctx context.Context, st storage.Settings, keys seal.Keys, initial ExistenceKeys, now time.Time) (ExistenceKeys, error) {
	sealer, err := keys.Derive(existenceLabel).Sealer()
	if err != nil {
		return ExistenceKeys{}, err
	}
	sealKeys := func(k ExistenceKeys) existenceRecord {
		return existenceRecord{
			Delivery: sealer.SealString(ExistenceSetting+"/delivery", k.Delivery),
			SignIn:   sealer.SealString(ExistenceSetting+"/sign_in", k.SignIn),
		}
	}
	for range 5 {
		s, err := st.GetSetting(ctx, ExistenceSetting)
		if errors.Is(err, storage.ErrNotFound) {
			err := createJSON(ctx, st, ExistenceSetting, sealKeys(initial), now)
			if errors.Is(err, storage.ErrAlreadyExists) {
				continue // another server recorded first: use its keys
			}
			if err != nil {
				return ExistenceKeys{}, err
			}
			return initial, nil
		}
		if err != nil {
			return ExistenceKeys{}, fmt.Errorf("read the store's %s: %w", ExistenceSetting, err)
		}
		var rec existenceRecord
		if err := json.Unmarshal(s.Value, &rec); err != nil {
			return ExistenceKeys{}, fmt.Errorf("the store's %s setting is damaged: %w", ExistenceSetting, err)
		}
		var k ExistenceKeys
		d, dk, err := sealer.OpenStringKey(ExistenceSetting+"/delivery", rec.Delivery)
		if err != nil {
			return ExistenceKeys{}, fmt.Errorf("the store's %s do not open with the encryption keys: %w", ExistenceSetting, err)
		}
		si, sk, err := sealer.OpenStringKey(ExistenceSetting+"/sign_in", rec.SignIn)
		if err != nil {
			return ExistenceKeys{}, fmt.Errorf("the store's %s do not open with the encryption keys: %w", ExistenceSetting, err)
		}
		k.Delivery, k.SignIn = d, si
		if dk == 0 && sk == 0 {
			return k, nil
		}
		if err := updateJSON(ctx, st, s, sealKeys(k), now); errors.Is(err, storage.ErrConflict) {
			continue // another server sealed them again first
		} else if err != nil {
			return ExistenceKeys{}, err
		}
		return k, nil
	}
	return ExistenceKeys{}, fmt.Errorf("the store's %s kept changing", ExistenceSetting)
}
