package storage

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
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
	// ApplyMigration runs m's SQL and records m in schema_migrations in
	// one transaction, unless schema_migrations lists m already (another
	// process may have applied it since the run began). It reports
	// whether it applied m.
	ApplyMigration(ctx context.Context, m Migration) (bool, error)
}

// RunMigrations applies the migrations of ms that schema_migrations does
// not list, in the order of ms, each in its own transaction, and returns
// how many it applied. It stops at the first that fails, which leaves the
// ones before it applied.
func RunMigrations(ctx context.Context, d MigrationDialect, ms []Migration) (int, error) {
	if err := d.CreateMigrationTable(ctx); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
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
