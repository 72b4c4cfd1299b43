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
	return func(it *storage.Item) ([]byte, bool, error) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(it.Data, &fields); err != nil {
			return nil, false, fmt.Errorf("user %s: %w", it.ID, err)
		}
		raw, ok := fields["srp_verifier"]
		if !ok {
			return nil, false, nil
		}
		var sealed string
		if err := json.Unmarshal(raw, &sealed); err != nil || sealed == "" {
			return nil, false, nil
		}
		next, changed, err := reseal(it.Pool, it.ID, sealed)
		if err != nil || !changed {
			return nil, false, err
		}
		if fields["srp_verifier"], err = json.Marshal(next); err != nil {
			return nil, false, err
		}
		data, err := json.Marshal(fields)
		return data, err == nil, err
	}
}
