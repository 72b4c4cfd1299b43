package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// hlcIndexVersion is the migration (0003 in both backends) that adds the
// index change_log_hlc, from which Open and Migrate read the newest HLC.
const (
	hlcIndexVersion = 3
	hlcIndex        = "change_log_hlc"
)

// MigrateStore is a backend store that MigrateExistingStore can upgrade.
type MigrateStore interface {
	storage.Store
	storage.Migrator
}

// MigrateBackend is what MigrateExistingStore needs of a backend: S is its
// store type, and each hook reaches into the backend where the Store
// interface does not.
type MigrateBackend[S MigrateStore] struct {
	// Migrations returns the backend's migrations in version order.
	Migrations func() ([]storage.Migration, error)
	// Open opens a fresh, empty store with no migration applied, whose
	// region is Region and whose clock is clock, closed by t.Cleanup. It
	// returns the store and where it is (a file, a DSN) for Reopen. The
	// suite may close the store itself; a second Close must be harmless.
	Open func(t *testing.T, clock func() time.Time) (S, string)
	// Apply applies those of ms the store has not recorded, as Migrate
	// does for all of them, and returns how many it applied. The store
	// comes first so that a method expression such as (*DB).migrate fits.
	Apply func(s S, ctx context.Context, ms []storage.Migration) (int, error)
	// HasIndex reports whether the store has an index named name.
	HasIndex func(t *testing.T, s S, name string) bool
	// Reopen opens the store at where (from Open) again, with clock and
	// without migrating; the caller closes it.
	Reopen func(ctx context.Context, where string, clock func() time.Time) (S, error)
	// NextHLC returns the next timestamp the store's HLC hands out.
	NextHLC func(s S) int64
	// Exec runs one SQL statement (without parameters) on the store, to
	// write rows as an earlier version of the schema holds them.
	Exec func(s S, ctx context.Context, sql string) error
	// CountRows returns how many rows the store's table holds.
	CountRows func(s S, ctx context.Context, table string) (int, error)
}

// MigrateFresh migrates an empty store twice: the first Migrate applies
// every migration and records each in schema_migrations, the second
// applies none.
func MigrateFresh[S MigrateStore](t *testing.T, b MigrateBackend[S]) {
	ctx := context.Background()
	ms, err := b.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := b.Open(t, time.Now)
	for i, want := range []int{len(ms), 0} {
		n, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
		if n != want {
			t.Errorf("Migrate #%d applied %d, want %d", i+1, n, want)
		}
	}
	versions, err := b.CountRows(s, ctx, "schema_migrations")
	if err != nil {
		t.Fatal(err)
	}
	if versions != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", versions, len(ms))
	}
}

// MigrateExistingStore upgrades a store of an earlier version that holds
// change-log entries: Migrate applies only the newer migrations (0003 adds
// change_log_hlc), keeps the entries, and a store opened afterwards with a
// clock behind them starts its HLC right after the newest one, read through
// the new index.
func MigrateExistingStore[S MigrateStore](t *testing.T, b MigrateBackend[S]) {
	ctx := context.Background()
	ms, err := b.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	older := 0
	for older < len(ms) && ms[older].Version < hlcIndexVersion {
		older++
	}
	if older == 0 || older == len(ms) {
		t.Fatalf("%d migrations, %d below version %d; want some on each side", len(ms), older, hlcIndexVersion)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, where := b.Open(t, func() time.Time { return now })
	if n, err := b.Apply(s, ctx, ms[:older]); err != nil || n != older {
		t.Fatalf("migrate to version %d = %d, %v; want %d applied", ms[older-1].Version, n, err, older)
	}
	// The entries an earlier version wrote, with the columns it had (the
	// code of this version writes the later ones too).
	for i := range 3 {
		hlc := storage.HLCAt(now) + int64(i)
		if err := b.Exec(s, ctx, fmt.Sprintf(`INSERT INTO change_log (region, hlc, kind, entity, "key", state)
			VALUES ('%s', %d, 'create', 'user_pool', '%s_a%d', NULL)`, Region, hlc, Region, i)); err != nil {
			t.Fatalf("write an entry of version %d: %v", ms[older-1].Version, err)
		}
	}
	if b.HasIndex(t, s, hlcIndex) {
		t.Fatal(hlcIndex + " exists before its migration")
	}

	n, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if want := len(ms) - older; n != want {
		t.Errorf("Migrate applied %d, want %d", n, want)
	}
	if !b.HasIndex(t, s, hlcIndex) {
		t.Error(hlcIndex + " is missing after Migrate")
	}
	changes, err := s.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 {
		t.Fatalf("%d changes after Migrate, want the 3 written before", len(changes))
	}
	for _, c := range changes {
		if c.Pool != "" || c.Actor != nil {
			t.Errorf("entry %d written before the pool and actor columns reads pool %q, actor %+v; want none", c.Seq, c.Pool, c.Actor)
		}
	}
	newest := changes[len(changes)-1].HLC

	// Reopening is a restart: the store closes first, as a SQLite store,
	// which locks its file while open, must. (The cleanup Open registered
	// closes it again, which must be harmless.)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	behind, err := b.Reopen(ctx, where, func() time.Time { return now.Add(-time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	if got := b.NextHLC(behind); got != newest+1 {
		t.Errorf("first HLC after reopening = %d, want %d, right after the newest stored %d", got, newest+1, newest)
	}
}

// MigrateNewerStore checks the downgrade rule: a store that a newer
// release migrated (schema_migrations lists a version the binary does not
// have) is refused by Migrate with storage.ErrSchemaNewer, which applies
// nothing and leaves the newer schema as it was.
func MigrateNewerStore[S MigrateStore](t *testing.T, b MigrateBackend[S]) {
	ctx := context.Background()
	ms, err := b.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	newest := ms[len(ms)-1].Version
	future := storage.Migration{Version: newest + 1, Name: fmt.Sprintf("%04d_future.sql", newest+1),
		SQL: "CREATE INDEX future_index ON items (updated_at)"}
	s, _ := b.Open(t, time.Now)
	if n, err := b.Apply(s, ctx, append(append([]storage.Migration{}, ms...), future)); err != nil || n != len(ms)+1 {
		t.Fatalf("migrate as the newer release = %d, %v; want %d applied", n, err, len(ms)+1)
	}

	n, err := s.Migrate(ctx)
	if !errors.Is(err, storage.ErrSchemaNewer) || n != 0 {
		t.Fatalf("Migrate on a newer store = %d, %v; want 0 and storage.ErrSchemaNewer", n, err)
	}
	want := fmt.Sprintf("it has migration %d, which this cognate (migrations up to %d) does not know", newest+1, newest)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Migrate error %q does not say %q", err, want)
	}
	if !b.HasIndex(t, s, "future_index") {
		t.Error("the newer release's index is gone after the refused Migrate")
	}
}

// GuardedStore is a MigrateStore that notices a newer schema while it
// serves (storage.SchemaGuard).
type GuardedStore interface {
	MigrateStore
	storage.SchemaGuard
}

// SchemaNewerWhileServing checks the rolling-upgrade guard. A node serves
// a database at this binary's schema; then a newer release migrates it,
// through other (a second handle on the same database, as a new node of a
// rolling upgrade), or through the node's own handle when other is nil (a
// backend that lets one process at a time open its database). A backend
// whose database another handle may migrate checks the schema inside each
// write transaction: the node's first write after the migration fails with
// storage.ErrSchemaNewer and changes nothing, before the node checks or
// hears anything. From then on every write transaction of the node fails
// so, and CheckSchema says so, while the newer release's handle writes as
// before. heard, when not nil, waits for the node to notice the migration
// by itself (a notification), before any write or CheckSchema.
func SchemaNewerWhileServing[S GuardedStore](t *testing.T, b MigrateBackend[S], other func(t *testing.T, where string) S, heard func(t *testing.T, node S)) {
	ctx := context.Background()
	ms, err := b.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	node, where := b.Open(t, time.Now)
	if _, err := b.Apply(node, ctx, ms); err != nil {
		t.Fatal(err)
	}
	write := func(s S, id string) error {
		return s.Tx(ctx, func(tx storage.Tx) error {
			return tx.CreateItem(ctx, newItem(kindUser, id, poolA, nil, nil))
		})
	}
	if err := node.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema at the binary's own schema: %v", err)
	}
	if err := write(node, "before"); err != nil {
		t.Fatal(err)
	}

	newest := ms[len(ms)-1].Version
	future := storage.Migration{Version: newest + 1, Name: fmt.Sprintf("%04d_future.sql", newest+1),
		SQL: "CREATE INDEX future_index ON items (updated_at)"}
	newer := node
	if other != nil {
		newer = other(t, where)
	}
	if n, err := b.Apply(newer, ctx, append(append([]storage.Migration{}, ms...), future)); err != nil || n != 1 {
		t.Fatalf("migrate as the newer release = %d, %v; want 1 applied", n, err)
	}

	if heard != nil {
		heard(t, node)
	} else if other != nil {
		// The node has neither checked nor heard: its transaction's own
		// check refuses the write.
		if err := write(node, "unchecked"); !errors.Is(err, storage.ErrSchemaNewer) {
			t.Fatalf("a write after the migration, before the node checked the schema = %v, want storage.ErrSchemaNewer", err)
		}
		if _, err := node.GetItem(ctx, kindUser, "unchecked"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the refused write stored its item: %v", err)
		}
	}
	err = node.CheckSchema(ctx)
	if !errors.Is(err, storage.ErrSchemaNewer) {
		t.Fatalf("CheckSchema after a newer release migrated the database = %v, want storage.ErrSchemaNewer", err)
	}
	want := fmt.Sprintf("it has migration %d, which this cognate (migrations up to %d) does not know", newest+1, newest)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("CheckSchema error %q does not say %q", err, want)
	}
	if err := write(node, "after"); !errors.Is(err, storage.ErrSchemaNewer) {
		t.Fatalf("a write after CheckSchema found the newer schema = %v, want storage.ErrSchemaNewer", err)
	}
	if _, err := node.GetItem(ctx, kindUser, "after"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the refused write stored its item: %v", err)
	}
	if err := node.CreateSetting(ctx, &storage.Setting{Name: "schema-guard", Value: []byte("x"), UpdatedAt: time.Now()}); !errors.Is(err, storage.ErrSchemaNewer) {
		t.Errorf("CreateSetting after CheckSchema found the newer schema = %v, want storage.ErrSchemaNewer", err)
	}
	if _, err := node.SweepMarkers(ctx, time.Now(), 10); !errors.Is(err, storage.ErrSchemaNewer) {
		t.Errorf("SweepMarkers after CheckSchema found the newer schema = %v, want storage.ErrSchemaNewer", err)
	}
	if err := node.CheckSchema(ctx); !errors.Is(err, storage.ErrSchemaNewer) {
		t.Errorf("CheckSchema again = %v, want storage.ErrSchemaNewer still", err)
	}
	if other != nil {
		if err := write(newer, "by-the-newer-release"); err != nil {
			t.Errorf("the newer release's write: %v", err)
		}
	}
}
