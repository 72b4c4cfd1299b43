package authflow

import (
	"context"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// storeCounts is what the engine did through a countingStore.
type storeCounts struct {
	// Txs counts transactions, Scans index scans outside them, Sweeps
	// sweeps of use markers.
	Txs, Scans, Sweeps int
	// Writes counts writes inside transactions, as "<op> <kind>".
	Writes map[string]int
}

// countingStore is the engine's store, counting what the engine does
// through it. afterScan, when set, runs after every index scan.
type countingStore struct {
	engineStore
	afterScan func(in storage.ScanInput)

	// mu guards counts.
	mu     sync.Mutex
	counts storeCounts
}

// count makes the engine use a countingStore over its store.
func (e *flowEnv) count() *countingStore {
	c := &countingStore{engineStore: e.s.store}
	e.s.store = c
	return c
}

// take returns the counts so far and starts counting again.
func (c *countingStore) take() storeCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = storeCounts{}
	if out.Writes == nil {
		out.Writes = map[string]int{}
	}
	return out
}

func (c *countingStore) add(f func(n *storeCounts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts.Writes == nil {
		c.counts.Writes = map[string]int{}
	}
	f(&c.counts)
}

func (c *countingStore) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	c.add(func(n *storeCounts) { n.Scans++ })
	out, err := c.engineStore.ScanIndex(ctx, in)
	if c.afterScan != nil {
		c.afterScan(in)
	}
	return out, err
}

func (c *countingStore) SweepMarkers(ctx context.Context, before time.Time, limit int) (int64, error) {
	c.add(func(n *storeCounts) { n.Sweeps++ })
	return c.engineStore.SweepMarkers(ctx, before, limit)
}

func (c *countingStore) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	c.add(func(n *storeCounts) { n.Txs++ })
	return c.engineStore.Tx(ctx, func(tx storage.Tx) error { return fn(&countingTx{Tx: tx, c: c}) })
}

type countingTx struct {
	storage.Tx
	c *countingStore
}

func (t *countingTx) write(op, kind string) {
	t.c.add(func(n *storeCounts) { n.Writes[op+" "+kind]++ })
}

func (t *countingTx) CreateItem(ctx context.Context, it *storage.Item) error {
	err := t.Tx.CreateItem(ctx, it)
	if err == nil {
		t.write("create", it.Kind)
	}
	return err
}

func (t *countingTx) CreateMarker(ctx context.Context, m *storage.Marker) error {
	err := t.Tx.CreateMarker(ctx, m)
	if err == nil {
		t.write("create", storage.MarkerKind)
	}
	return err
}

func (t *countingTx) UpdateItem(ctx context.Context, it *storage.Item) error {
	err := t.Tx.UpdateItem(ctx, it)
	if err == nil {
		t.write("update", it.Kind)
	}
	return err
}

func (t *countingTx) DeleteItem(ctx context.Context, kind, id string, version int64) error {
	err := t.Tx.DeleteItem(ctx, kind, id, version)
	if err == nil {
		t.write("delete", kind)
	}
	return err
}
