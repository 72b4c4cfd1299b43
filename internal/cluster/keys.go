package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// KeysSetting is the name of the setting that records the store's
// encryption keys, by check value.
const KeysSetting = "encryption_keys"

// keysRecord is the value of KeysSetting.
type keysRecord struct {
	// Current is the check value of the key new values are sealed with.
	Current string `json:"current"`
	// Previous are the check values of earlier keys that values may still
	// be sealed with, until a re-seal pass finds none.
	Previous []string `json:"previous,omitempty"`
}

// KeyNames say where the configured keys come from, for messages.
type KeyNames struct {
	// Current names the current key's setting, e.g. "encryption_key", or
	// the file it was generated into.
	Current string
	// Previous names the setting of the previous keys, e.g.
	// "encryption_keys_previous".
	Previous string
}

// KeyState is what CheckKeys found and did.
type KeyState struct {
	// Recorded is set when the store had no record and CheckKeys recorded
	// the configured keys.
	Recorded bool
	// RotatedFrom is the check value of the store's current key when
	// CheckKeys made the configured key current in its place, else "".
	RotatedFrom string
	// Current is the check value of the current key.
	Current string
	// Pending are the check values of the previous keys that values may
	// still be sealed with; a re-seal pass on a server whose key is
	// current seals them again.
	Pending []string
}

// ErrRefused matches every error by which CheckKeys or Issuer refuses a
// configuration that does not fit the store.
var ErrRefused = errors.New("refused")

// refused formats a refusal that matches ErrRefused.
func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// CheckKeys compares the configured keys with the ones the store records,
// before anything is sealed with them:
//
//   - a store without a record (a new store, or one from before records
//     were kept) records the current key, and the previous keys as keys
//     values may still be sealed with;
//   - the current key matches the store's: the server may start;
//   - the store's current key is among the previous keys: this is a
//     rotation, and the configured key becomes the store's current one;
//   - otherwise the server must not start: the returned error matches
//     ErrRefused and says which setting to fix.
//
// A server must also have every previous key the store may still hold
// values sealed with, or it could not open them: CheckKeys refuses it too.
// Two servers checking at once are serialized by the record's version.
//
// probe, when not nil, runs before a store without a record gets one: it
// opens values the store already holds (see ProbeSealed), so that a store
// written before records were kept is not recorded under a key that does
// not open its data.
func CheckKeys(ctx context.Context, st storage.Settings, keys seal.Keys, names KeyNames, now time.Time, probe func(context.Context) error) (KeyState, error) {
	if err := keys.Validate(); err != nil {
		return KeyState{}, err
	}
	cvs := keys.CheckValues()
	cur, prev := cvs[0], cvs[1:]
	for range 5 {
		s, err := st.GetSetting(ctx, KeysSetting)
		if errors.Is(err, storage.ErrNotFound) {
			if probe != nil {
				if err := probe(ctx); err != nil {
					return KeyState{}, refused("%s: this store holds data from before it recorded its key, and %v, so "+
						"this key (check value %s) is not the one it is sealed with. Nothing was written; the data is "+
						"untouched. Configure the key the store's data is sealed with in %s",
						names.Current, err, cur, "encryption_key")
				}
			}
			rec := keysRecord{Current: cur, Previous: without(dedupe(prev), cur)}
			err := createJSON(ctx, st, KeysSetting, rec, now)
			if errors.Is(err, storage.ErrAlreadyExists) {
				continue // another server recorded first: check against it
			}
			if err != nil {
				return KeyState{}, err
			}
			return KeyState{Recorded: true, Current: cur, Pending: rec.Previous}, nil
		}
		if err != nil {
			return KeyState{}, fmt.Errorf("read the store's encryption keys: %w", err)
		}
		var rec keysRecord
		if err := json.Unmarshal(s.Value, &rec); err != nil || rec.Current == "" {
			return KeyState{}, fmt.Errorf("the store's %s setting is damaged: %q", KeysSetting, s.Value)
		}
		switch {
		case rec.Current == cur:
			if err := needPrevious(rec.Previous, prev, names); err != nil {
				return KeyState{}, err
			}
			return KeyState{Current: cur, Pending: rec.Previous}, nil
		case slices.Contains(prev, rec.Current):
			next := keysRecord{Current: cur, Previous: without(dedupe(append(slices.Clone(rec.Previous), rec.Current)), cur)}
			if err := needPrevious(next.Previous, prev, names); err != nil {
				return KeyState{}, err
			}
			if err := updateJSON(ctx, st, s, next, now); errors.Is(err, storage.ErrConflict) {
				continue // another server changed the record: check again
			} else if err != nil {
				return KeyState{}, err
			}
			return KeyState{RotatedFrom: rec.Current, Current: cur, Pending: next.Previous}, nil
		default:
			return KeyState{}, refused("%s: this key (check value %s) is not the key this store's data is sealed with "+
				"(check value %s), so the server does not start: it would seal data that the other servers cannot open. "+
				"Nothing was written; the data is untouched. Configure the store's key in %s, as on the other servers; "+
				"to rotate to a new key, configure the store's key in %s beside the new one (docs/configuration.md, Key rotation)",
				names.Current, cur, rec.Current, "encryption_key", names.Previous)
		}
	}
	return KeyState{}, errors.New("the store's encryption keys kept changing while this server checked them; try again")
}

// needPrevious refuses a server that lacks a previous key the store may
// still hold values sealed with.
func needPrevious(pending, configured []string, names KeyNames) error {
	var missing []string
	for _, p := range pending {
		if !slices.Contains(configured, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return refused("%s: the store may still hold values sealed with the previous %s with check %s %s, which this server "+
		"is not configured with, so it could not open them. Nothing was written; the data is untouched. Keep the "+
		"previous %s in %s until the store reports the re-seal complete (docs/configuration.md, Key rotation)",
		names.Previous, plural(len(missing), "key", "keys"), plural(len(missing), "value", "values"),
		strings.Join(missing, ", "), plural(len(missing), "key", "keys"), names.Previous)
}

// ForgetKeys removes the previous keys whose check values are in done from
// the store's record, once a re-seal pass found no value sealed with them.
// It does nothing unless current is still the store's current key.
func ForgetKeys(ctx context.Context, st storage.Settings, current string, done []string, now time.Time) error {
	for range 5 {
		s, err := st.GetSetting(ctx, KeysSetting)
		if err != nil {
			return fmt.Errorf("read the store's encryption keys: %w", err)
		}
		var rec keysRecord
		if err := json.Unmarshal(s.Value, &rec); err != nil {
			return fmt.Errorf("the store's %s setting is damaged: %q", KeysSetting, s.Value)
		}
		if rec.Current != current {
			return nil
		}
		kept := slices.DeleteFunc(slices.Clone(rec.Previous), func(cv string) bool { return slices.Contains(done, cv) })
		if len(kept) == len(rec.Previous) {
			return nil
		}
		rec.Previous = kept
		if err := updateJSON(ctx, st, s, rec, now); !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	return errors.New("the store's encryption keys kept changing")
}

// StoreKeys returns the check values the store records: its current key
// and the previous keys values may still be sealed with.
func StoreKeys(ctx context.Context, st storage.Settings) (current string, previous []string, err error) {
	s, err := st.GetSetting(ctx, KeysSetting)
	if err != nil {
		return "", nil, err
	}
	var rec keysRecord
	if err := json.Unmarshal(s.Value, &rec); err != nil {
		return "", nil, fmt.Errorf("the store's %s setting is damaged: %q", KeysSetting, s.Value)
	}
	return rec.Current, rec.Previous, nil
}

func createJSON(ctx context.Context, st storage.Settings, name string, v any, now time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.CreateSetting(ctx, &storage.Setting{Name: name, Value: b, UpdatedAt: now})
}

func updateJSON(ctx context.Context, st storage.Settings, s *storage.Setting, v any, now time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	next := *s
	next.Value, next.UpdatedAt = b, now
	return st.UpdateSetting(ctx, &next)
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func without(s []string, v string) []string {
	return slices.DeleteFunc(s, func(x string) bool { return x == v })
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
