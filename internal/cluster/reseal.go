package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// ItemResealer seals again, with the current key, the values of one item
// kind that are still sealed with a previous key. The engine that owns the
// kind supplies Reseal.
type ItemResealer struct {
	// Kind is the storage item kind, e.g. "signing_key" or "user".
	Kind string
	// Reseal returns it.Data with every value that opened with a previous
	// key sealed again with the current key, and changed set; changed is
	// false when every value already is sealed with the current key. An
	// error means a value opens with none of the configured keys.
	Reseal func(it *storage.Item) (data []byte, changed bool, err error)
}

// ResealStore is what a re-seal pass needs of the store.
type ResealStore interface {
	storage.Settings
	storage.ItemReader
	storage.Transactor
	ListUserPools(ctx context.Context, in storage.ListUserPoolsInput) ([]*storage.UserPool, error)
}

// ResealCounts counts what a pass found.
type ResealCounts struct {
	// Resealed values were sealed with a previous key and now are not.
	Resealed int
	// Changed items were written by someone else between the pass's read
	// and its write; the next pass looks at them again.
	Changed int
	// Unreadable items hold a value that opens with no configured key.
	Unreadable int
}

// resealPage is how many items a pass reads at a time; each item it
// re-seals is written in a transaction of its own.
const resealPage = 100

// ResealPass runs one pass over every item of the resealers' kinds in
// every pool. Each item is re-sealed in a transaction of its own, and only
// if it has not changed since the pass read it, so a pass is idempotent and
// several servers may run passes at once.
func ResealPass(ctx context.Context, st ResealStore, resealers []ItemResealer, log *slog.Logger) (ResealCounts, error) {
	var counts ResealCounts
	afterPool := ""
	for {
		pools, err := st.ListUserPools(ctx, storage.ListUserPoolsInput{AfterID: afterPool, Limit: resealPage})
		if err != nil {
			return counts, fmt.Errorf("list pools: %w", err)
		}
		for _, p := range pools {
			for _, r := range resealers {
				if err := resealPool(ctx, st, r, p.ID, &counts, log); err != nil {
					return counts, err
				}
			}
		}
		if len(pools) < resealPage {
			return counts, nil
		}
		afterPool = pools[len(pools)-1].ID
	}
}

func resealPool(ctx context.Context, st ResealStore, r ItemResealer, pool string, counts *ResealCounts, log *slog.Logger) error {
	after := ""
	for {
		items, err := st.ListItems(ctx, storage.ListItemsInput{Kind: r.Kind, Pool: pool, AfterID: after, Limit: resealPage})
		if err != nil {
			return fmt.Errorf("list %s of pool %s: %w", r.Kind, pool, err)
		}
		for _, it := range items {
			data, changed, err := r.Reseal(it)
			if err != nil {
				counts.Unreadable++
				log.Warn("re-seal: a value opens with no configured key", "kind", r.Kind, "id", it.ID, "error", err.Error())
				continue
			}
			if !changed {
				continue
			}
			err = st.Tx(ctx, func(tx storage.Tx) error {
				cur, err := tx.GetItem(ctx, it.Kind, it.ID)
				if err != nil {
					return err
				}
				if cur.Version != it.Version {
					return storage.ErrConflict
				}
				cur.Data = data
				return tx.UpdateItem(ctx, cur)
			})
			switch {
			case err == nil:
				counts.Resealed++
			case errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound):
				counts.Changed++
			default:
				return fmt.Errorf("re-seal %s %s: %w", it.Kind, it.ID, err)
			}
		}
		if len(items) < resealPage {
			return nil
		}
		after = items[len(items)-1].ID
	}
}

// Resealing runs re-seal passes until nothing is left sealed with a
// previous key, then makes the store forget the previous keys. It runs
// only while current (a check value) is the store's current key: a server
// whose key is not current never re-seals. It runs a pass even when the
// store has forgotten every previous key already, so that a server
// started last in a rolling rotation re-seals what servers still running
// with the old key sealed after an earlier pass. It returns when done,
// when ctx ends, or with the error of a pass (the caller may start it
// again later).
func Resealing(ctx context.Context, st ResealStore, current string, resealers []ItemResealer, log *slog.Logger, retry time.Duration) error {
	for {
		cur, pending, err := StoreKeys(ctx, st)
		if err != nil {
			return err
		}
		if cur != current {
			return nil
		}
		log.Info("re-seal: sealing again, with the current key, what is sealed with previous keys", "previous_check_values", pending)
		counts, err := ResealPass(ctx, st, resealers, log)
		if err != nil {
			log.Warn("re-seal pass failed; trying again later", "error", err.Error())
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(retry):
				continue
			}
		}
		log.Info("re-seal pass", "resealed", counts.Resealed, "changed_meanwhile", counts.Changed, "unreadable", counts.Unreadable)
		if counts.Resealed > 0 || counts.Changed > 0 {
			continue // another pass confirms that nothing is left
		}
		if err := ForgetKeys(ctx, st, current, pending, time.Now()); err != nil {
			return err
		}
		log.Info("re-seal complete: the store forgot the previous keys; they may be removed from encryption_keys_previous",
			"forgotten_check_values", pending)
		return nil
	}
}

// probeSample is how many items of each kind ProbeSealed opens.
const probeSample = 20

// ProbeSealed returns a probe for CheckKeys: it runs the resealers, without
// writing, over up to probeSample items of each kind in the store's first
// pools, and fails when a value opens with none of the configured keys.
func ProbeSealed(st ResealStore, resealers []ItemResealer) func(context.Context) error {
	return func(ctx context.Context) error {
		pools, err := st.ListUserPools(ctx, storage.ListUserPoolsInput{Limit: probeSample})
		if err != nil {
			return fmt.Errorf("list pools: %w", err)
		}
		for _, r := range resealers {
			seen := 0
			for _, p := range pools {
				if seen >= probeSample {
					break
				}
				items, err := st.ListItems(ctx, storage.ListItemsInput{Kind: r.Kind, Pool: p.ID, Limit: probeSample - seen})
				if err != nil {
					return fmt.Errorf("list %s of pool %s: %w", r.Kind, p.ID, err)
				}
				for _, it := range items {
					if _, _, err := r.Reseal(it); err != nil {
						return fmt.Errorf("its %s %s does not open with it (%v)", r.Kind, it.ID, err)
					}
				}
				seen += len(items)
			}
		}
		return nil
	}
}
