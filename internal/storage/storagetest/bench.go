package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// benchPool is the pool of the benchmark items.
const benchPool = Region + "_bench"

// benchItem returns the n-th benchmark user: one unique key (its
// username), one index entry (its email) and Data of a typical size.
func benchItem(n int) *storage.Item {
	now := time.Now()
	return &storage.Item{
		Kind: kindUser,
		ID:   fmt.Sprintf("%s/user%06d", benchPool, n),
		Pool: benchPool,
		Data: fmt.Appendf(nil, `{"Username":"user%06d","Attributes":[{"Name":"email","Value":"user%06d@example.com"},`+
			`{"Name":"email_verified","Value":"true"},{"Name":"sub","Value":"6f1e0a52-0000-4000-8000-%012d"}],`+
			`"Enabled":true,"UserStatus":"CONFIRMED"}`, n, n, n),
		Keys:      []string{fmt.Sprintf("%s/username/user%06d", benchPool, n)},
		Index:     []string{fmt.Sprintf("%s/email/user%06d@example.com", benchPool, n)},
		CreatedAt: now,
		UpdatedAt: now,
	}
}

// loadBenchItems creates benchItem(0) to benchItem(n-1), 1,000 per
// transaction.
func loadBenchItems(b *testing.B, s storage.Store, n int) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		err := s.Tx(ctx, func(tx storage.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				if err := tx.CreateItem(ctx, benchItem(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("load items %d-: %v", start, err)
		}
	}
}

// BenchScanIndexPrefix measures ScanIndex pages of 25 entries among
// 100,000 items: a first page of a prefix that 100 entries match, and the
// page after a cursor in the middle of a prefix that 10,000 match.
func BenchScanIndexPrefix(b *testing.B, s storage.Store) {
	const items, limit = 100_000, 25
	start := time.Now()
	loadBenchItems(b, s, items)
	b.Logf("loaded %d items in %v", items, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	scan := func(b *testing.B, in storage.ScanInput) {
		entries, err := s.ScanIndex(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(entries) != limit {
			b.Fatalf("ScanIndex(%+v) returned %d entries, want %d", in, len(entries), limit)
		}
	}
	b.Run("FirstPage", func(b *testing.B) {
		i := 0
		for b.Loop() {
			scan(b, storage.ScanInput{
				Kind: kindUser, Prefix: fmt.Sprintf("%s/email/user%04d", benchPool, i%1000), Limit: limit,
			})
			i++
		}
	})
	b.Run("AfterCursor", func(b *testing.B) {
		i := 0
		for b.Loop() {
			n := (i%10)*10_000 + 5_000
			after := benchItem(n)
			scan(b, storage.ScanInput{
				Kind: kindUser, Prefix: fmt.Sprintf("%s/email/user%02d", benchPool, n/10_000),
				AfterKey: after.Index[0], AfterID: after.ID, Limit: limit,
			})
			i++
		}
	})
}

// BenchCreateItem measures a transaction that creates one item with a key
// and an index entry.
func BenchCreateItem(b *testing.B, s storage.Store) {
	ctx := context.Background()
	i := 0
	for b.Loop() {
		it := benchItem(i)
		if err := s.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, it) }); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchGetItemByKey measures GetItemByKey on the store among 10,000 items.
func BenchGetItemByKey(b *testing.B, s storage.Store) {
	const items = 10_000
	loadBenchItems(b, s, items)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		key := benchItem(i % items).Keys[0]
		if _, err := s.GetItemByKey(ctx, kindUser, key); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchThreeReads measures three GetItemByKey of one request among 10,000
// items, each on its own (alone) and the three in one read transaction
// (in Read): what a request's shared read transaction gains or costs.
func BenchThreeReads(b *testing.B, s storage.Store) {
	const items = 10_000
	loadBenchItems(b, s, items)
	ctx := context.Background()
	read3 := func(r storage.ItemReader, i int) error {
		for j := range 3 {
			if _, err := r.GetItemByKey(ctx, kindUser, benchItem((i + j*1000) % items).Keys[0]); err != nil {
				return err
			}
		}
		return nil
	}
	b.Run("alone", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := read3(s, i); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("in Read", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := s.Read(ctx, func(r storage.Reader) error { return read3(r, i) }); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchGetItems measures reading n items by ID among 10,000, each with a
// GetItem of its own ("alone") and in one storage.GetItems, for n of 2 and
// 6, and the same right after a write of another item ("after a write",
// the write untimed): what a sign-in's answer reads before it acts, on a
// store whose reader connections the writer has written behind.
func BenchGetItems(b *testing.B, s storage.Store) {
	const items = 10_000
	loadBenchItems(b, s, items)
	ctx := context.Background()
	refs := func(i, n int) []storage.ItemRef {
		out := make([]storage.ItemRef, n)
		for j := range n {
			out[j] = storage.ItemRef{Kind: kindUser, ID: benchItem((i + j*1000) % items).ID}
		}
		return out
	}
	alone := func(rs []storage.ItemRef) error {
		for _, r := range rs {
			if _, err := s.GetItem(ctx, r.Kind, r.ID); err != nil {
				return err
			}
		}
		return nil
	}
	together := func(rs []storage.ItemRef) error {
		got, err := storage.GetItems(ctx, s, rs)
		if err == nil && got[len(got)-1] == nil {
			err = fmt.Errorf("%v not found", rs[len(rs)-1])
		}
		return err
	}
	written := 0
	write := func(b *testing.B) {
		written++
		err := s.Tx(ctx, func(tx storage.Tx) error {
			it := benchItem(items + written)
			it.Kind = kindLocal
			return tx.CreateItem(ctx, it)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range []int{2, 6} {
		for _, v := range []struct {
			name string
			read func([]storage.ItemRef) error
		}{{"alone", alone}, {"GetItems", together}} {
			b.Run(fmt.Sprintf("%s/%d", v.name, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					if err := v.read(refs(i, n)); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run(fmt.Sprintf("%s/%d/after a write", v.name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					write(b)
					b.StartTimer()
					if err := v.read(refs(i, n)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// MustCreateUserPool creates a minimal user pool of Region with the given
// ID, failing t when the store refuses it.
func MustCreateUserPool(t testing.TB, s storage.Store, id string) {
	t.Helper()
	p := &storage.UserPool{
		ID: id, Region: Region, Name: "bench", Config: []byte(`{"Name":"bench"}`),
		CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}
	if err := s.CreateUserPool(context.Background(), p); err != nil {
		t.Fatalf("CreateUserPool(%q): %v", id, err)
	}
}

// BenchCreateUserPool measures CreateUserPool of a minimal pool into an
// empty store.
func BenchCreateUserPool(b *testing.B, s storage.Store) {
	i := 0
	for b.Loop() {
		MustCreateUserPool(b, s, fmt.Sprintf("%s_%09d", Region, i))
		i++
	}
}

// BenchGetUserPool measures GetUserPool of one pool.
func BenchGetUserPool(b *testing.B, s storage.Store) {
	id := Region + "_bench"
	MustCreateUserPool(b, s, id)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.GetUserPool(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
