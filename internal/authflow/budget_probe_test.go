package authflow

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// storeProbe is the whole store as every service of a flowEnv uses it
// (the user pools, the tokens and the engine), counting what they do
// through it: the calls outside transactions, the transactions, and the
// reads and writes inside them. TestSignInBudget reads it.
type storeProbe struct {
	storage.Store

	// mu guards counts.
	mu     sync.Mutex
	counts probeCounts
}

// probeCounts is what a storeProbe counted, by "<method> <kind>".
type probeCounts struct {
	// Calls are the store's reads outside any transaction.
	Calls map[string]int
	// Txs counts transactions; TxReads and Writes what they did.
	Txs     int
	TxReads map[string]int
	Writes  map[string]int
	// Bytes sums the IDs, data, keys and index entries of the items
	// created and updated.
	Bytes int
}

func (c *probeCounts) init() {
	if c.Calls == nil {
		c.Calls, c.TxReads, c.Writes = map[string]int{}, map[string]int{}, map[string]int{}
	}
}

// calls is how many store calls c counts: reads outside transactions,
// transactions, and the reads and writes in them.
func (c probeCounts) calls() int {
	n := c.Txs
	for _, m := range []map[string]int{c.Calls, c.TxReads, c.Writes} {
		for _, v := range m {
			n += v
		}
	}
	return n
}

// take returns the counts so far and starts counting again.
func (p *storeProbe) take() probeCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.counts
	out.init()
	p.counts = probeCounts{}
	return out
}

func (p *storeProbe) add(f func(c *probeCounts)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.init()
	f(&p.counts)
}

func (p *storeProbe) call(name string) { p.add(func(c *probeCounts) { c.Calls[name]++ }) }

func (p *storeProbe) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	p.call("GetItem " + kind)
	return p.Store.GetItem(ctx, kind, id)
}

// GetItems is one store call however many items it reads (one statement
// on SQLite, one round trip on PostgreSQL), counted under the kinds it
// reads.
func (p *storeProbe) GetItems(ctx context.Context, refs []storage.ItemRef) ([]*storage.Item, error) {
	kinds := make([]string, 0, len(refs))
	for _, r := range refs {
		kinds = append(kinds, r.Kind)
	}
	p.call("GetItems " + strings.Join(kinds, ","))
	return storage.GetItems(ctx, p.Store, refs)
}

// GetItemsScan is one store call (one statement on SQLite, one round trip
// on PostgreSQL), counted under the kinds it reads and the kind it scans.
func (p *storeProbe) GetItemsScan(ctx context.Context, refs []storage.ItemRef, scan storage.ScanInput) ([]*storage.Item, []storage.IndexEntry, error) {
	kinds := make([]string, 0, len(refs))
	for _, r := range refs {
		kinds = append(kinds, r.Kind)
	}
	p.call("GetItemsScan " + strings.Join(kinds, ",") + " " + scan.Kind)
	return storage.GetItemsScan(ctx, p.Store, refs, scan)
}

func (p *storeProbe) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	p.call("GetMarker")
	return p.Store.GetMarker(ctx, id)
}

func (p *storeProbe) SweepMarkers(ctx context.Context, before time.Time, limit int) (int64, error) {
	p.call("SweepMarkers")
	return p.Store.SweepMarkers(ctx, before, limit)
}

func (p *storeProbe) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	p.call("GetItemByKey " + kind)
	return p.Store.GetItemByKey(ctx, kind, key)
}

func (p *storeProbe) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	p.call("ListItems " + in.Kind)
	return p.Store.ListItems(ctx, in)
}

func (p *storeProbe) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	p.call("ScanIndex " + in.Kind)
	return p.Store.ScanIndex(ctx, in)
}

func (p *storeProbe) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	p.call("CountItems " + kind)
	return p.Store.CountItems(ctx, kind, pool)
}

func (p *storeProbe) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	p.call("GetUserPool")
	return p.Store.GetUserPool(ctx, id)
}

func (p *storeProbe) Tx(ctx context.Context, fn func(tx storage.Tx) error) error {
	p.add(func(c *probeCounts) { c.Txs++ })
	return p.Store.Tx(ctx, func(tx storage.Tx) error { return fn(&probeTx{Tx: tx, p: p}) })
}

// probeTx counts what one transaction does. A write that fails with a
// sentinel wrote nothing and is not counted.
type probeTx struct {
	storage.Tx
	p *storeProbe
}

func (t *probeTx) read(name string) { t.p.add(func(c *probeCounts) { c.TxReads[name]++ }) }

func (t *probeTx) write(name string, err error) {
	if err == nil {
		t.p.add(func(c *probeCounts) { c.Writes[name]++ })
	}
}

func (t *probeTx) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	t.read("GetItem " + kind)
	return t.Tx.GetItem(ctx, kind, id)
}

func (t *probeTx) GetMarker(ctx context.Context, id string) (*storage.Marker, error) {
	t.read("GetMarker")
	return t.Tx.GetMarker(ctx, id)
}

func (t *probeTx) CreateMarker(ctx context.Context, m *storage.Marker) error {
	err := t.Tx.CreateMarker(ctx, m)
	t.write("create "+storage.MarkerKind, err)
	if err == nil {
		n := len(m.ID) + len(m.Data)
		t.p.add(func(c *probeCounts) { c.Bytes += n })
	}
	return err
}

func (t *probeTx) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	t.read("GetItemByKey " + kind)
	return t.Tx.GetItemByKey(ctx, kind, key)
}

func (t *probeTx) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	t.read("ListItems " + in.Kind)
	return t.Tx.ListItems(ctx, in)
}

func (t *probeTx) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	t.read("ScanIndex " + in.Kind)
	return t.Tx.ScanIndex(ctx, in)
}

func (t *probeTx) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	t.read("CountItems " + kind)
	return t.Tx.CountItems(ctx, kind, pool)
}

func (t *probeTx) GetUserPool(ctx context.Context, id string) (*storage.UserPool, error) {
	t.read("GetUserPool")
	return t.Tx.GetUserPool(ctx, id)
}

func (t *probeTx) CreateItem(ctx context.Context, it *storage.Item) error {
	err := t.Tx.CreateItem(ctx, it)
	t.write("create "+it.Kind, err)
	t.bytes(it, err)
	return err
}

func (t *probeTx) UpdateItem(ctx context.Context, it *storage.Item) error {
	err := t.Tx.UpdateItem(ctx, it)
	t.write("update "+it.Kind, err)
	t.bytes(it, err)
	return err
}

// bytes counts the size of an item written.
func (t *probeTx) bytes(it *storage.Item, err error) {
	if err != nil {
		return
	}
	n := len(it.ID) + len(it.Data)
	for _, k := range it.Keys {
		n += len(k)
	}
	for _, k := range it.Index {
		n += len(k)
	}
	t.p.add(func(c *probeCounts) { c.Bytes += n })
}

func (t *probeTx) DeleteItem(ctx context.Context, kind, id string, version int64) error {
	err := t.Tx.DeleteItem(ctx, kind, id, version)
	t.write("delete "+kind, err)
	return err
}

func (t *probeTx) DeleteItems(ctx context.Context, kind, pool string) (int64, error) {
	n, err := t.Tx.DeleteItems(ctx, kind, pool)
	t.write("delete all "+kind, err)
	return n, err
}

func (t *probeTx) UpdateUserPool(ctx context.Context, pl *storage.UserPool) error {
	err := t.Tx.UpdateUserPool(ctx, pl)
	t.write("update user_pool", err)
	return err
}

func (t *probeTx) DeleteUserPool(ctx context.Context, id string, version int64) error {
	err := t.Tx.DeleteUserPool(ctx, id, version)
	t.write("delete user_pool", err)
	return err
}
