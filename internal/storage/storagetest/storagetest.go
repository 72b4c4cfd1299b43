package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognate-dev/cognate/internal/storage"
)

// Region is the region open must configure as the store's own: the suite
// expects it in every change-log entry. OtherRegion is a second region for
// listing.
const (
	Region      = "us-east-1"
	OtherRegion = "eu-west-1"
)

// base is the suite's timestamp: not UTC and finer than a microsecond, so
// the suite sees backends convert to UTC and truncate.
var base = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("UTC+2", 2*60*60))

// cmpOpts compare times at millisecond precision, the least a backend must
// keep; Config is compared byte for byte.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
	}),
}

// Run runs the Store contract cases. open must return a fresh, migrated,
// empty store whose region is Region, and close it with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"CreateGet", testCreateGet},
		{"GetMissing", testGetMissing},
		{"Update", testUpdate},
		{"DeleteThenGet", testDeleteThenGet},
		{"List", testList},
		{"ListPaging", testListPaging},
		{"ChangeLog", testChangeLog},
		{"ChangesPaging", testChangesPaging},
		{"Ping", testPing},
		{"MigrateAgain", testMigrateAgain},
	}
	tests = append(tests, itemCases...)
	tests = append(tests, changeLogCases...)
	tests = append(tests, settingCases...)
	tests = append(tests, readCases...)
	tests = append(tests, keyCacheCases...)
	tests = append(tests, markerCases...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	// One store per case.
	t.Run("FailedMutations", func(t *testing.T) { testFailedMutations(t, open) })
	t.Run("ItemFailedMutations", func(t *testing.T) { testItemFailedMutations(t, open) })
}

// newPool returns a pool whose Config has whitespace, escapable characters
// and non-ASCII text that a JSON round trip would change.
func newPool(id, region, name string) *storage.UserPool {
	return &storage.UserPool{
		ID:     id,
		Region: region,
		Name:   name,
		Config: fmt.Appendf(nil, `{"Id": %q,  "Name":%q,
	"Policies": {"PasswordPolicy": {"MinimumLength": 8}}, "Note": "<a&b> ü \u00e9"}`, id, name),
		CreatedAt: base,
		UpdatedAt: base,
	}
}

func mustCreate(t *testing.T, s storage.Store, p *storage.UserPool) {
	t.Helper()
	if err := s.CreateUserPool(context.Background(), p); err != nil {
		t.Fatalf("CreateUserPool(%q): %v", p.ID, err)
	}
}

func mustGet(t *testing.T, s storage.Store, id string) *storage.UserPool {
	t.Helper()
	p, err := s.GetUserPool(context.Background(), id)
	if err != nil {
		t.Fatalf("GetUserPool(%q): %v", id, err)
	}
	return p
}

// allChanges reads the whole change log, a page at a time.
func allChanges(t *testing.T, s storage.Store) []storage.Change {
	t.Helper()
	var all []storage.Change
	var after int64
	for {
		page, err := s.Changes(context.Background(), after, 100)
		if err != nil {
			t.Fatalf("Changes(%d, 100): %v", after, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// checkUTC fails unless p's times are in UTC.
func checkUTC(t *testing.T, p *storage.UserPool) {
	t.Helper()
	if p.CreatedAt.Location() != time.UTC || p.UpdatedAt.Location() != time.UTC {
		t.Errorf("pool %q times are in %v and %v, want UTC", p.ID, p.CreatedAt.Location(), p.UpdatedAt.Location())
	}
}

func testCreateGet(t *testing.T, s storage.Store) {
	p := newPool("us-east-1_abc123DEF", Region, "pool")
	config := append([]byte(nil), p.Config...)
	mustCreate(t, s, p)

	got := mustGet(t, s, p.ID)
	want := &storage.UserPool{
		ID: p.ID, Region: Region, Name: "pool", Config: config,
		CreatedAt: base, UpdatedAt: base, Version: 1,
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetUserPool mismatch (-want +got):\n%s", diff)
	}
	if string(got.Config) != string(config) {
		t.Errorf("Config = %q, want the exact bytes %q", got.Config, config)
	}
	checkUTC(t, got)
}

func testGetMissing(t *testing.T, s storage.Store) {
	_, err := s.GetUserPool(context.Background(), "us-east-1_missing")
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserPool(missing) error = %v, want ErrNotFound", err)
	}
}

// testFailedMutations checks each rejected mutation: the right sentinel, the
// stored pool unchanged, and no change-log entry.
func testFailedMutations(t *testing.T, open func(t *testing.T) storage.Store) {
	const id = "us-east-1_existing"
	tests := []struct {
		name string
		op   func(ctx context.Context, s storage.Store) error
		want error
	}{
		{
			name: "create duplicate",
			op: func(ctx context.Context, s storage.Store) error {
				return s.CreateUserPool(ctx, newPool(id, Region, "again"))
			},
			want: storage.ErrAlreadyExists,
		},
		{
			name: "update stale version",
			op: func(ctx context.Context, s storage.Store) error {
				p := newPool(id, Region, "stale")
				p.Version = 1 // stored is 2
				return s.UpdateUserPool(ctx, p)
			},
			want: storage.ErrConflict,
		},
		{
			name: "update future version",
			op: func(ctx context.Context, s storage.Store) error {
				p := newPool(id, Region, "future")
				p.Version = 3
				return s.UpdateUserPool(ctx, p)
			},
			want: storage.ErrConflict,
		},
		{
			name: "update missing",
			op: func(ctx context.Context, s storage.Store) error {
				p := newPool("us-east-1_missing", Region, "missing")
				p.Version = 1
				return s.UpdateUserPool(ctx, p)
			},
			want: storage.ErrNotFound,
		},
		{
			name: "delete stale version",
			op: func(ctx context.Context, s storage.Store) error {
				return s.DeleteUserPool(ctx, id, 1)
			},
			want: storage.ErrConflict,
		},
		{
			name: "delete missing",
			op: func(ctx context.Context, s storage.Store) error {
				return s.DeleteUserPool(ctx, "us-east-1_missing", 1)
			},
			want: storage.ErrNotFound,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			// The existing pool is at version 2, so both an older and a
			// newer version are stale.
			p := newPool(id, Region, "existing")
			mustCreate(t, s, p)
			p.Version = 1
			if err := s.UpdateUserPool(ctx, p); err != nil {
				t.Fatalf("UpdateUserPool: %v", err)
			}
			before := mustGet(t, s, id)
			changesBefore := allChanges(t, s)

			err := tc.op(ctx, s)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if diff := cmp.Diff(before, mustGet(t, s, id), cmpOpts); diff != "" {
				t.Errorf("failed mutation changed the pool (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(changesBefore, allChanges(t, s)); diff != "" {
				t.Errorf("failed mutation changed the change log (-before +after):\n%s", diff)
			}
			if _, err := s.GetUserPool(ctx, "us-east-1_missing"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("GetUserPool(missing) error = %v, want ErrNotFound", err)
			}
		})
	}
}

func testUpdate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	p := newPool("us-east-1_upd", Region, "before")
	mustCreate(t, s, p)
	p.Version = 1

	for i, want := range []int64{2, 3} {
		p.Name = fmt.Sprintf("after %d", i)
		p.Config = fmt.Appendf(nil, `{"Name": %q,  "Round": %d}`, p.Name, i)
		p.UpdatedAt = base.Add(time.Duration(i+1) * time.Hour)
		if err := s.UpdateUserPool(ctx, p); err != nil {
			t.Fatalf("UpdateUserPool #%d: %v", i, err)
		}
		if p.Version != want {
			t.Errorf("after update #%d p.Version = %d, want %d", i, p.Version, want)
		}
		got := mustGet(t, s, p.ID)
		if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
			t.Errorf("GetUserPool after update #%d mismatch (-want +got):\n%s", i, diff)
		}
		checkUTC(t, got)
	}
}

func testDeleteThenGet(t *testing.T, s storage.Store) {
	ctx := context.Background()
	p := newPool("us-east-1_del", Region, "doomed")
	mustCreate(t, s, p)
	if err := s.DeleteUserPool(ctx, p.ID, 1); err != nil {
		t.Fatalf("DeleteUserPool: %v", err)
	}
	if _, err := s.GetUserPool(ctx, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserPool after delete error = %v, want ErrNotFound", err)
	}
	pools, err := s.ListUserPools(ctx, storage.ListUserPoolsInput{Region: Region, Limit: 10})
	if err != nil {
		t.Fatalf("ListUserPools: %v", err)
	}
	if len(pools) != 0 {
		t.Errorf("ListUserPools after delete returned %d pools, want 0", len(pools))
	}
	if err := s.DeleteUserPool(ctx, p.ID, 1); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeleteUserPool error = %v, want ErrNotFound", err)
	}
	// The ID is free again, and a new pool starts at version 1.
	again := newPool(p.ID, Region, "reborn")
	mustCreate(t, s, again)
	if got := mustGet(t, s, p.ID); got.Version != 1 || got.Name != "reborn" {
		t.Errorf("recreated pool = version %d name %q, want version 1 name reborn", got.Version, got.Name)
	}
}

// listFixture creates pools in two regions. The IDs mix cases and
// punctuation so that a backend sorting by a locale collation instead of by
// bytes fails.
func listFixture(t *testing.T, s storage.Store) []string {
	ids := []string{
		Region + "_b", Region + "_B", Region + "_a1", Region + "_A0", Region + "_Z", Region + "_z-", Region + "_0",
	}
	for _, id := range ids {
		mustCreate(t, s, newPool(id, Region, "p "+id))
	}
	for _, id := range []string{OtherRegion + "_a", OtherRegion + "_b", Region + "_x"} {
		// us-east-1_x lives in the other region: the region column, not the
		// ID prefix, selects.
		mustCreate(t, s, newPool(id, OtherRegion, "other"))
	}
	sort.Strings(ids)
	return ids
}

func testList(t *testing.T, s storage.Store) {
	ids := listFixture(t, s) // sorted by bytes: _0 _A0 _B _Z _a1 _b _z-
	everyRegion := append([]string{OtherRegion + "_a", OtherRegion + "_b"}, ids...)
	everyRegion = append(everyRegion, Region+"_x")
	sort.Strings(everyRegion)
	tests := []struct {
		name string
		in   storage.ListUserPoolsInput
		want []string
	}{
		{"first page", storage.ListUserPoolsInput{Region: Region, Limit: 3}, ids[:3]},
		{"all", storage.ListUserPoolsInput{Region: Region, Limit: 100}, ids},
		{"after id", storage.ListUserPoolsInput{Region: Region, AfterID: ids[2], Limit: 2}, ids[3:5]},
		{"after an absent id", storage.ListUserPoolsInput{Region: Region, AfterID: Region + "_Y", Limit: 2}, []string{Region + "_Z", Region + "_a1"}},
		{"after last", storage.ListUserPoolsInput{Region: Region, AfterID: ids[len(ids)-1], Limit: 5}, nil},
		{"other region", storage.ListUserPoolsInput{Region: OtherRegion, Limit: 10}, []string{OtherRegion + "_a", OtherRegion + "_b", Region + "_x"}},
		{"unknown region", storage.ListUserPoolsInput{Region: "ap-south-1", Limit: 10}, nil},
		{"every region", storage.ListUserPoolsInput{Limit: 100}, everyRegion},
		{"every region after id", storage.ListUserPoolsInput{AfterID: OtherRegion + "_b", Limit: 2}, everyRegion[2:4]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pools, err := s.ListUserPools(context.Background(), tc.in)
			if err != nil {
				t.Fatalf("ListUserPools(%+v): %v", tc.in, err)
			}
			var got []string
			for _, p := range pools {
				got = append(got, p.ID)
				if tc.in.Region != "" && p.Region != tc.in.Region {
					t.Errorf("pool %q has region %q, want %q", p.ID, p.Region, tc.in.Region)
				}
				checkUTC(t, p)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// Listed pools are complete records.
	pools, err := s.ListUserPools(context.Background(), storage.ListUserPoolsInput{Region: Region, Limit: 1})
	if err != nil || len(pools) != 1 {
		t.Fatalf("ListUserPools = %d pools, %v; want 1", len(pools), err)
	}
	if diff := cmp.Diff(mustGet(t, s, pools[0].ID), pools[0], cmpOpts); diff != "" {
		t.Errorf("listed pool differs from GetUserPool (-get +list):\n%s", diff)
	}
}

func testListPaging(t *testing.T, s storage.Store) {
	want := listFixture(t, s)
	var got []string
	after := ""
	for page := 0; ; page++ {
		if page > len(want) {
			t.Fatalf("paging did not end after %d pages", page)
		}
		pools, err := s.ListUserPools(context.Background(), storage.ListUserPoolsInput{Region: Region, AfterID: after, Limit: 2})
		if err != nil {
			t.Fatalf("ListUserPools: %v", err)
		}
		if len(pools) > 2 {
			t.Fatalf("page has %d pools, limit 2", len(pools))
		}
		if len(pools) == 0 {
			break
		}
		for _, p := range pools {
			got = append(got, p.ID)
		}
		after = pools[len(pools)-1].ID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged IDs mismatch (-want +got):\n%s", diff)
	}
}

func testChangeLog(t *testing.T, s storage.Store) {
	ctx := context.Background()
	type entry struct {
		Kind   storage.ChangeKind
		Entity storage.Entity
		Key    string
		State  *storage.UserPool // nil for a delete
	}
	var want []entry
	snapshot := func(p *storage.UserPool) *storage.UserPool {
		c := *p
		c.Config = append([]byte(nil), p.Config...)
		return &c
	}

	a := newPool("us-east-1_aaa", Region, "a")
	mustCreate(t, s, a)
	a.Version = 1
	want = append(want, entry{storage.ChangeCreate, storage.EntityUserPool, a.ID, snapshot(a)})

	b := newPool("us-east-1_bbb", Region, "b")
	mustCreate(t, s, b)
	b.Version = 1
	want = append(want, entry{storage.ChangeCreate, storage.EntityUserPool, b.ID, snapshot(b)})

	a.Name = "a2"
	a.Config = []byte(`{"Name":"a2"}`)
	a.UpdatedAt = base.Add(time.Minute)
	if err := s.UpdateUserPool(ctx, a); err != nil {
		t.Fatalf("UpdateUserPool: %v", err)
	}
	want = append(want, entry{storage.ChangeUpdate, storage.EntityUserPool, a.ID, snapshot(a)})

	if err := s.DeleteUserPool(ctx, b.ID, 1); err != nil {
		t.Fatalf("DeleteUserPool: %v", err)
	}
	// Deleting b erases its earlier entries: only its tombstone remains.
	want = slices.Delete(want, 1, 2)
	want = append(want, entry{storage.ChangeDelete, storage.EntityUserPool, b.ID, nil})

	changes := allChanges(t, s)
	var got []entry
	for i, c := range changes {
		if c.Region != Region {
			t.Errorf("change %d Region = %q, want %q", i, c.Region, Region)
		}
		if i > 0 {
			if c.Seq <= changes[i-1].Seq {
				t.Errorf("change %d Seq = %d, not above the previous %d", i, c.Seq, changes[i-1].Seq)
			}
			if c.HLC <= changes[i-1].HLC {
				t.Errorf("change %d HLC = %d, not above the previous %d", i, c.HLC, changes[i-1].HLC)
			}
		}
		if c.HLC <= 0 {
			t.Errorf("change %d HLC = %d, want positive", i, c.HLC)
		}
		e := entry{Kind: c.Kind, Entity: c.Entity, Key: c.Key}
		if c.State != nil {
			p, err := storage.DecodeUserPool(c.State)
			if err != nil {
				t.Fatalf("change %d: DecodeUserPool: %v", i, err)
			}
			e.State = p
		}
		got = append(got, e)
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("change log mismatch (-want +got):\n%s", diff)
	}
	// The state of the latest change of a record is what GetUserPool returns.
	if len(got) == len(want) && got[1].State != nil {
		if diff := cmp.Diff(mustGet(t, s, a.ID), got[1].State, cmpOpts); diff != "" {
			t.Errorf("change-log state differs from the stored pool (-get +state):\n%s", diff)
		}
	}
}

func testChangesPaging(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for i := range 5 {
		mustCreate(t, s, newPool(fmt.Sprintf("us-east-1_p%d", i), Region, "p"))
	}
	all := allChanges(t, s)
	if len(all) != 5 {
		t.Fatalf("change log has %d entries, want 5", len(all))
	}
	tests := []struct {
		name  string
		after int64
		limit int
		want  []storage.Change
	}{
		{"first two", 0, 2, all[:2]},
		{"next two", all[1].Seq, 2, all[2:4]},
		{"last partial page", all[3].Seq, 2, all[4:]},
		{"past the end", all[4].Seq, 2, nil},
		{"limit above size", 0, 50, all},
		{"after the middle", all[2].Seq, 1, all[3:4]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Changes(ctx, tc.after, tc.limit)
			if err != nil {
				t.Fatalf("Changes(%d, %d): %v", tc.after, tc.limit, err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Changes(%d, %d) mismatch (-want +got):\n%s", tc.after, tc.limit, diff)
			}
		})
	}
}

func testPing(t *testing.T, s storage.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testMigrateAgain(t *testing.T, s storage.Store) {
	m, ok := s.(storage.Migrator)
	if !ok {
		t.Skip("store has no migrations")
	}
	n, err := m.Migrate(context.Background())
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if n != 0 {
		t.Errorf("Migrate on a migrated store applied %d migrations, want 0", n)
	}
}
