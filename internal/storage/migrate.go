package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// Migration is one numbered SQL file of a backend's schema,
// NNNN_description.sql, applied once and recorded by its version in the
// backend's schema_migrations table.
type Migration struct {
	Version int64
	Name    string // the file name
	SQL     string
}

// ReadMigrations returns the NNNN_description.sql files of dir in fsys (a
// backend's embedded migrations), in version order. It skips directories
// and files of other endings, and reports a name without a positive
// version or two files with one version.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// MigrationDialect is what a backend does in its own SQL when RunMigrations
// applies its migrations. The backend also keeps concurrent runners apart:
// by taking a lock around the whole run, or inside each ApplyMigration.
type MigrationDialect interface {
	// CreateMigrationTable creates schema_migrations if it does not
	// exist.
	CreateMigrationTable(ctx context.Context) error
	// AppliedMigrations returns the versions schema_migrations lists.
	AppliedMigrations(ctx context.Context) ([]int64, error)
	// ApplyMigration runs m's SQL and records m in schema_migrations in
	// one transaction, unless schema_migrations lists m already (another
	// process may have applied it since the run began). It reports
	// whether it applied m.
	ApplyMigration(ctx context.Context, m Migration) (bool, error)
}

// ErrSchemaNewer is what RunMigrations returns, wrapped, for a store that
// a newer release has migrated: schema_migrations lists a version the
// running binary does not have.
var ErrSchemaNewer = errors.New("the store's schema is newer than this binary's")

// RunMigrations applies the migrations of ms that schema_migrations does
// not list, in the order of ms, each in its own transaction, and returns
// how many it applied. It stops at the first that fails, which leaves the
// ones before it applied.
//
// A store whose schema_migrations lists a version that ms does not have
// was migrated by a newer release. RunMigrations then applies nothing and
// returns ErrSchemaNewer: this binary does not know what that schema holds
// or expects of its writers, so it must not serve the store (downgrading
// means restoring a backup taken before the upgrade).
func RunMigrations(ctx context.Context, d MigrationDialect, ms []Migration) (int, error) {
	if err := d.CreateMigrationTable(ctx); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	listed, err := d.AppliedMigrations(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema_migrations: %w", err)
	}
	if err := NewerSchema(listed, ms); err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range ms {
		did, err := d.ApplyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

// NewerSchema returns an error wrapping ErrSchemaNewer when listed, the
// versions a database's schema_migrations lists, holds one that ms (this
// binary's migrations, in version order) does not: a newer release
// migrated the database. It returns nil otherwise.
func NewerSchema(listed []int64, ms []Migration) error {
	known := make(map[int64]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
	}
	var unknown []string
	for _, v := range listed {
		if !known[v] {
			unknown = append(unknown, strconv.FormatInt(v, 10))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	newest := int64(0)
	if len(ms) > 0 {
		newest = ms[len(ms)-1].Version
	}
	what := "migration " + unknown[0] + ", which"
	if len(unknown) > 1 {
		what = "migrations " + strings.Join(unknown, ", ") + ", which"
	}
	return fmt.Errorf("%w: it has %s this cognate (migrations up to %d) does not know; "+
		"run the release that migrated it, or a newer one, or restore the backup taken before the upgrade",
		ErrSchemaNewer, what, newest)
}

// SchemaLatch keeps what a store's CheckSchema found (SchemaGuard): the
// first error wrapping ErrSchemaNewer, which stays. Its zero value holds
// none. It is safe for concurrent use.
type SchemaLatch struct{ err atomic.Pointer[error] }

// Err returns the error the latch holds, nil before one is set: a store
// returns it from every write transaction.
func (l *SchemaLatch) Err() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Set keeps err unless the latch holds one already, and returns the one
// it holds.
func (l *SchemaLatch) Set(err error) error {
	l.err.CompareAndSwap(nil, &err)
	return l.Err()
}
