package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestReadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	cases := []struct {
		name    string
		fsys    fstest.MapFS
		want    []Migration
		wantErr string
	}{
		{
			name: "version order, other files and directories skipped",
			fsys: fstest.MapFS{
				"m/0010_later.sql":      file("later"),
				"m/0002_second.sql":     file("second"),
				"m/0001_init.sql":       file("init"),
				"m/README.md":           file("notes"),
				"m/0003_dir.sql/x.sql":  file("nested"),
				"other/0004_other.sql":  file("elsewhere"),
				"m/0009_draft.sql.orig": file("draft"),
			},
			want: []Migration{
				{Version: 1, Name: "0001_init.sql", SQL: "init"},
				{Version: 2, Name: "0002_second.sql", SQL: "second"},
				{Version: 10, Name: "0010_later.sql", SQL: "later"},
			},
		},
		{
			name: "empty",
			fsys: fstest.MapFS{"m/README.md": file("notes")},
		},
		{
			name:    "no underscore",
			fsys:    fstest.MapFS{"m/0001.sql": file("x")},
			wantErr: "migration 0001.sql: name must be NNNN_description.sql",
		},
		{
			name:    "no number",
			fsys:    fstest.MapFS{"m/init_schema.sql": file("x")},
			wantErr: "migration init_schema.sql: name must be NNNN_description.sql",
		},
		{
			name:    "version zero",
			fsys:    fstest.MapFS{"m/0000_init.sql": file("x")},
			wantErr: "migration 0000_init.sql: name must be NNNN_description.sql",
		},
		{
			name:    "shared version",
			fsys:    fstest.MapFS{"m/0002_a.sql": file("a"), "m/2_b.sql": file("b"), "m/0001_init.sql": file("init")},
			wantErr: "migrations 0002_a.sql and 2_b.sql share a version",
		},
		{
			name:    "no directory",
			fsys:    fstest.MapFS{},
			wantErr: "file does not exist",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadMigrations(tc.fsys, "m")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadMigrations = %v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadMigrations (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeDialect records what RunMigrations asks of a backend.
type fakeDialect struct {
	listed    map[int64]bool // versions schema_migrations lists
	createErr error
	failAt    int64 // the version whose SQL fails, if any
	calls     []string
}

func (d *fakeDialect) CreateMigrationTable(context.Context) error {
	d.calls = append(d.calls, "create")
	return d.createErr
}

func (d *fakeDialect) AppliedMigrations(context.Context) ([]int64, error) {
	d.calls = append(d.calls, "list")
	vs := []int64{}
	for v := range d.listed {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs, nil
}

func (d *fakeDialect) ApplyMigration(_ context.Context, m Migration) (bool, error) {
	d.calls = append(d.calls, "apply "+m.Name)
	if d.listed[m.Version] {
		return false, nil
	}
	if m.Version == d.failAt {
		return false, errors.New("syntax error")
	}
	d.listed[m.Version] = true
	return true, nil
}

func TestRunMigrations(t *testing.T) {
	ms := []Migration{
		{Version: 1, Name: "0001_init.sql"},
		{Version: 2, Name: "0002_items.sql"},
		{Version: 3, Name: "0003_index.sql"},
	}
	all := []string{"create", "list", "apply 0001_init.sql", "apply 0002_items.sql", "apply 0003_index.sql"}
	cases := []struct {
		name        string
		d           *fakeDialect
		wantApplied int
		wantCalls   []string
		wantListed  map[int64]bool
		wantErr     string
	}{
		{
			name:        "fresh store",
			d:           &fakeDialect{listed: map[int64]bool{}},
			wantApplied: 3, wantCalls: all,
			wantListed: map[int64]bool{1: true, 2: true, 3: true},
		},
		{
			name:        "store of an earlier version",
			d:           &fakeDialect{listed: map[int64]bool{1: true, 2: true}},
			wantApplied: 1, wantCalls: all,
			wantListed: map[int64]bool{1: true, 2: true, 3: true},
		},
		{
			name:        "up to date",
			d:           &fakeDialect{listed: map[int64]bool{1: true, 2: true, 3: true}},
			wantApplied: 0, wantCalls: all,
			wantListed: map[int64]bool{1: true, 2: true, 3: true},
		},
		{
			name:        "a migration fails",
			d:           &fakeDialect{listed: map[int64]bool{}, failAt: 2},
			wantApplied: 1, wantCalls: all[:4],
			wantListed: map[int64]bool{1: true},
			wantErr:    "migration 0002_items.sql: syntax error",
		},
		{
			name:        "store of a newer release",
			d:           &fakeDialect{listed: map[int64]bool{1: true, 2: true, 3: true, 4: true, 6: true}},
			wantApplied: 0, wantCalls: all[:2],
			wantListed: map[int64]bool{1: true, 2: true, 3: true, 4: true, 6: true},
			wantErr: "the store's schema is newer than this binary's: it has migrations 4, 6, which this cognate " +
				"(migrations up to 3) does not know; run the release that migrated it, or a newer one, " +
				"or restore the backup taken before the upgrade",
		},
		{
			name:        "schema_migrations cannot be created",
			d:           &fakeDialect{listed: map[int64]bool{}, createErr: errors.New("read-only")},
			wantApplied: 0, wantCalls: all[:1],
			wantListed: map[int64]bool{},
			wantErr:    "create schema_migrations: read-only",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := RunMigrations(context.Background(), tc.d, ms)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("RunMigrations error = %v, want %q", err, tc.wantErr)
			}
			if n != tc.wantApplied {
				t.Errorf("RunMigrations applied %d, want %d", n, tc.wantApplied)
			}
			if diff := cmp.Diff(tc.wantCalls, tc.d.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantListed, tc.d.listed); diff != "" {
				t.Errorf("schema_migrations (-want +got):\n%s", diff)
			}
		})
	}
}
