package storage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// NormalizeItem checks it and returns a copy as every backend stores it:
// Keys and Index sorted without duplicates (SortedSet), times in UTC
// truncated to the microseconds both schemas keep, and version set. A
// backend encodes the change-log state from this copy, so it equals what
// GetItem returns. The errors do not name the backend: a backend wraps
// them with its name.
func NormalizeItem(it *Item, version int64) (Item, error) {
	if it == nil {
		return Item{}, errors.New("nil item")
	}
	if it.Kind == "" || it.ID == "" {
		return Item{}, fmt.Errorf("item %q of kind %q: kind and ID are required", it.ID, it.Kind)
	}
	for _, s := range [][]string{{it.Kind, it.ID, it.Pool}, it.Keys, it.Index} {
		for _, v := range s {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return Item{}, fmt.Errorf("%s %q: %q is not UTF-8 text without NUL", it.Kind, it.ID, v)
			}
		}
	}
	rec := *it
	rec.Keys = SortedSet(it.Keys)
	rec.Index = SortedSet(it.Index)
	rec.CreatedAt = it.CreatedAt.UTC().Truncate(time.Microsecond)
	rec.UpdatedAt = it.UpdatedAt.UTC().Truncate(time.Microsecond)
	rec.Version = version
	return rec, nil
}

// NormalizeUserPool returns a copy of p as every backend stores it: times
// in UTC truncated to the microseconds both schemas keep, and version set.
// A backend encodes the change-log state from this copy, so it equals what
// GetUserPool returns.
func NormalizeUserPool(p *UserPool, version int64) UserPool {
	rec := *p
	rec.CreatedAt = p.CreatedAt.UTC().Truncate(time.Microsecond)
	rec.UpdatedAt = p.UpdatedAt.UTC().Truncate(time.Microsecond)
	rec.Version = version
	return rec
}

// SortedSet returns a sorted copy of s without duplicates, or nil: how the
// store keeps an item's Keys and Index.
func SortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
