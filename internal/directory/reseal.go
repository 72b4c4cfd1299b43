package directory

import (
	"encoding/json"
	"fmt"

	"github.com/cognate-dev/cognate/internal/storage"
)

// Item kinds that hold sealed values, for the re-seal pass of a key
// rotation (internal/cluster).
const (
	// UserItemKind is the kind of users, whose records keep a sealed SRP
	// verifier.
	UserItemKind = kindUser
)

// ResealUserSRPVerifier returns the re-sealer of user items: reseal gets
// the pool ID, the sub and the sealed SRP verifier of each user that has
// one, and returns it sealed again (changed set) or as it was. Only the
// verifier changes; every other field of the record is kept as stored.
func ResealUserSRPVerifier(reseal func(poolID, sub, sealed string) (string, bool, error)) func(it *storage.Item) ([]byte, bool, error) {
	return ResealUserSecrets(reseal, nil)
}

// ResealUserSecrets returns the re-sealer of user items that re-seals both
// kinds of sealed values a user record keeps: the SRP verifier with srp,
// and the TOTP secrets (the verified one and the one waiting for
// verification) with totp (nil leaves them). Each returns the value
// sealed again (changed set) or as it was; every other field of the record
// is kept as stored.
func ResealUserSecrets(srp, totp func(poolID, sub, sealed string) (string, bool, error)) func(it *storage.Item) ([]byte, bool, error) {
	fields := []struct {
		name   string
		reseal func(poolID, sub, sealed string) (string, bool, error)
	}{{"srp_verifier", srp}, {"totp_secret", totp}, {"totp_pending", totp}}
	return func(it *storage.Item) ([]byte, bool, error) {
		var record map[string]json.RawMessage
		if err := json.Unmarshal(it.Data, &record); err != nil {
			return nil, false, fmt.Errorf("user %s: %w", it.ID, err)
		}
		changed := false
		for _, f := range fields {
			raw, ok := record[f.name]
			if !ok || f.reseal == nil {
				continue
			}
			var sealed string
			if err := json.Unmarshal(raw, &sealed); err != nil || sealed == "" {
				continue
			}
			next, ch, err := f.reseal(it.Pool, it.ID, sealed)
			if err != nil {
				return nil, false, err
			}
			if !ch {
				continue
			}
			if record[f.name], err = json.Marshal(next); err != nil {
				return nil, false, err
			}
			changed = true
		}
		if !changed {
			return nil, false, nil
		}
		data, err := json.Marshal(record)
		return data, err == nil, err
	}
}
