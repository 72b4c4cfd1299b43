package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// settingCases are the Store contract cases of store-wide settings.
var settingCases = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"SettingCreateGetUpdate", testSettingCreateGetUpdate},
	{"SettingNotInChangeLog", testSettingNotInChangeLog},
}

func testSettingCreateGetUpdate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	if _, err := s.GetSetting(ctx, "encryption_keys"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetSetting of a missing setting: %v, want ErrNotFound", err)
	}
	value := []byte(`{"current": "a1",  "note": "<ü>"}`)
	set := &storage.Setting{Name: "encryption_keys", Value: value, UpdatedAt: base}
	if err := s.CreateSetting(ctx, set); err != nil {
		t.Fatalf("CreateSetting: %v", err)
	}
	if set.Version != 1 {
		t.Errorf("CreateSetting set Version %d, want 1", set.Version)
	}
	got, err := s.GetSetting(ctx, "encryption_keys")
	if err != nil {
		t.Fatalf("GetSetting: %v", err)
	}
	want := &storage.Setting{Name: "encryption_keys", Value: value, UpdatedAt: base, Version: 1}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetSetting (-want +got):\n%s", diff)
	}
	if got.UpdatedAt.Location().String() != "UTC" {
		t.Errorf("UpdatedAt is in %v, want UTC", got.UpdatedAt.Location())
	}
	// A second create leaves the first value in place.
	if err := s.CreateSetting(ctx, &storage.Setting{Name: "encryption_keys", Value: []byte(`{}`), UpdatedAt: base}); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("CreateSetting of an existing setting: %v, want ErrAlreadyExists", err)
	}
	// Another name is another setting.
	if err := s.CreateSetting(ctx, &storage.Setting{Name: "issuer", Value: []byte(`"x"`), UpdatedAt: base}); err != nil {
		t.Fatalf("CreateSetting(issuer): %v", err)
	}

	next := []byte(`{"current":"b2"}`)
	later := base.Add(1e9)
	upd := &storage.Setting{Name: "encryption_keys", Value: next, UpdatedAt: later, Version: 1}
	if err := s.UpdateSetting(ctx, upd); err != nil {
		t.Fatalf("UpdateSetting: %v", err)
	}
	if upd.Version != 2 {
		t.Errorf("UpdateSetting set Version %d, want 2", upd.Version)
	}
	stale := &storage.Setting{Name: "encryption_keys", Value: []byte(`{"current":"c3"}`), UpdatedAt: later, Version: 1}
	if err := s.UpdateSetting(ctx, stale); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("UpdateSetting with a stale version: %v, want ErrConflict", err)
	}
	if stale.Version != 1 {
		t.Errorf("a failed UpdateSetting changed Version to %d", stale.Version)
	}
	missing := &storage.Setting{Name: "nothing", Value: []byte(`1`), UpdatedAt: later, Version: 1}
	if err := s.UpdateSetting(ctx, missing); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UpdateSetting of a missing setting: %v, want ErrNotFound", err)
	}
	got, err = s.GetSetting(ctx, "encryption_keys")
	if err != nil {
		t.Fatalf("GetSetting: %v", err)
	}
	want = &storage.Setting{Name: "encryption_keys", Value: next, UpdatedAt: later, Version: 2}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetSetting after update (-want +got):\n%s", diff)
	}
	if other, err := s.GetSetting(ctx, "issuer"); err != nil || string(other.Value) != `"x"` || other.Version != 1 {
		t.Errorf("GetSetting(issuer) = %+v, %v; want it unchanged", other, err)
	}
}

func testSettingNotInChangeLog(t *testing.T, s storage.Store) {
	ctx := context.Background()
	set := &storage.Setting{Name: "issuer", Value: []byte(`"x"`), UpdatedAt: base}
	if err := s.CreateSetting(ctx, set); err != nil {
		t.Fatal(err)
	}
	set.Value = []byte(`"y"`)
	if err := s.UpdateSetting(ctx, set); err != nil {
		t.Fatal(err)
	}
	if changes := allChanges(t, s); len(changes) != 0 {
		t.Errorf("settings wrote %d change-log entries, want none", len(changes))
	}
}

// testRacingSettings has n servers create one setting at once, then n
// update it from the same version: exactly one of each wins.
func testRacingSettings(t *testing.T, s storage.Store, n int) {
	ctx := deadlineContext(t)
	errs := race(t, ctx, n, func(i int) error {
		return s.CreateSetting(ctx, &storage.Setting{Name: "race", Value: fmt.Appendf(nil, "%d", i), UpdatedAt: base})
	})
	if ok, lost := countOutcomes(t, errs, storage.ErrAlreadyExists); ok != 1 || lost != n-1 {
		t.Errorf("racing creates: %d won, %d ErrAlreadyExists; want 1 and %d", ok, lost, n-1)
	}
	winner := -1
	errs = race(t, ctx, n, func(i int) error {
		err := s.UpdateSetting(ctx, &storage.Setting{Name: "race", Value: fmt.Appendf(nil, "%d", 100+i), UpdatedAt: base, Version: 1})
		if err == nil {
			winner = 100 + i
		}
		return err
	})
	if ok, lost := countOutcomes(t, errs, storage.ErrConflict); ok != 1 || lost != n-1 {
		t.Errorf("racing updates: %d won, %d ErrConflict; want 1 and %d", ok, lost, n-1)
	}
	got, err := s.GetSetting(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != fmt.Sprint(winner) || got.Version != 2 {
		t.Errorf("after racing updates: %s version %d, want the winner's %d at version 2", got.Value, got.Version, winner)
	}
}
