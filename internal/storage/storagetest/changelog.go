package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// changeLogCases are the cases of what the change log keeps: erasure on
// delete and compaction.
var changeLogCases = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"ChangeLogErasure", testChangeLogErasure},
	{"CompactChanges", testCompactChanges},
	{"CompactChangesBatches", testCompactChangesBatches},
	{"ForgetPool", testForgetPool},
	{"ChangeLogActor", testChangeLogActor},
}

// logEntry is a change-log entry without its sequence number, HLC, region
// or state: what the compaction cases compare.
type logEntry struct {
	Kind   storage.ChangeKind
	Entity storage.Entity
	Key    string
}

func logEntries(changes []storage.Change) []logEntry {
	var out []logEntry
	for _, c := range changes {
		out = append(out, logEntry{c.Kind, c.Entity, c.Key})
	}
	return out
}

// logBytes is every state in the change log, concatenated.
func logBytes(t *testing.T, s storage.Store) []byte {
	t.Helper()
	var all []byte
	for _, c := range allChanges(t, s) {
		all = append(all, c.Key...)
		all = append(all, c.State...)
	}
	return all
}

// personal returns an item of a user whose data, unique key and index
// entry carry their email address.
func personal(id, email string) *storage.Item {
	it := newItem(kindUser, id, poolA, []string{"email/" + email}, []string{"idx/email/" + email})
	it.Data = fmt.Appendf(nil, `{"email": %q, "name": "Name of %s", "password_hash": "hash-of-%s"}`, email, id, id)
	return it
}

// testChangeLogErasure checks that deleting a record erases its earlier
// entries in the same transaction: nothing of a deleted record remains in
// the log but its tombstone, whether it was written in earlier
// transactions, in the deleting one, or removed by a purge. Records that
// are not deleted keep their entries.
func testChangeLogErasure(t *testing.T, s storage.Store) {
	gone := personal("gone", "gone@example.com")
	stay := personal("stay", "stay@example.com")
	mustCreateItem(t, s, gone)
	mustCreateItem(t, s, stay)
	gone.Data = []byte(`{"email": "gone@example.com", "name": "New name of gone", "password_hash": "second-hash-of-gone"}`)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, gone) })
	// The last update and the delete in one transaction.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		gone.Data = []byte(`{"email": "gone@example.com", "name": "Last name of gone"}`)
		if err := tx.UpdateItem(ctx, gone); err != nil {
			return err
		}
		return tx.DeleteItem(ctx, kindUser, "gone", gone.Version)
	})
	// Created and deleted in one transaction.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		brief := personal("brief", "brief@example.com")
		if err := tx.CreateItem(ctx, brief); err != nil {
			return err
		}
		return tx.DeleteItem(ctx, kindUser, "brief", 1)
	})
	// Purged: one user of another pool, created earlier and updated in
	// the purging transaction.
	purged := personal("purged", "purged@example.com")
	purged.Pool = poolB
	mustCreateItem(t, s, purged)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		purged.Data = []byte(`{"email": "purged@example.com"}`)
		if err := tx.UpdateItem(ctx, purged); err != nil {
			return err
		}
		_, err := tx.DeleteItems(ctx, kindUser, poolB)
		return err
	})

	want := []logEntry{
		{storage.ChangeCreate, storage.Entity(kindUser), "stay"},
		{storage.ChangeDelete, storage.Entity(kindUser), "gone"},
		{storage.ChangeDelete, storage.Entity(kindUser), "brief"},
		{storage.ChangePurge, storage.Entity(kindUser), poolB},
	}
	changes := allChanges(t, s)
	if diff := cmp.Diff(want, logEntries(changes)); diff != "" {
		t.Errorf("change log after the deletes (-want +got):\n%s", diff)
	}
	raw := logBytes(t, s)
	for _, secret := range []string{"gone@example.com", "Name of gone", "hash-of-gone", "brief@example.com", "purged@example.com"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the change log still holds %q", secret)
		}
	}
	if !bytes.Contains(raw, []byte("stay@example.com")) {
		t.Error("the change log lost the state of a user that was not deleted")
	}
	// The entries that follow still sort after every entry ever written.
	mustCreateItem(t, s, newItem(kindUser, "later", poolA, nil, nil))
	after := allChanges(t, s)
	for i := 1; i < len(after); i++ {
		if after[i].Seq <= after[i-1].Seq || after[i].HLC <= after[i-1].HLC {
			t.Errorf("entry %d (seq %d, hlc %d) does not follow (seq %d, hlc %d)", i, after[i].Seq, after[i].HLC, after[i-1].Seq, after[i-1].HLC)
		}
	}
}

// waitNextMillisecond returns once the wall clock is in a later
// millisecond than the HLC of the newest entry, so that entries written
// from then on are newer, at HLC precision, than every entry before.
func waitNextMillisecond(t *testing.T, s storage.Store) time.Time {
	t.Helper()
	changes := allChanges(t, s)
	last := storage.HLCTime(changes[len(changes)-1].HLC)
	for !time.Now().After(last.Add(time.Millisecond)) {
		time.Sleep(time.Millisecond)
	}
	return time.Now()
}

// testCompactChanges checks what compaction removes: an entry older than
// the cut-off goes when a later entry of the same record supersedes it, or
// when it is a delete or purge entry; the newest entry of every live record
// stays whatever its age, entries newer than the cut-off stay, and so does
// the newest entry of the log.
func testCompactChanges(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update := func(it *storage.Item, data string) {
		t.Helper()
		it.Data = []byte(data)
		inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, it) })
	}
	del := func(it *storage.Item) {
		t.Helper()
		inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, it.Kind, it.ID, it.Version) })
	}
	// Before the cut-off.
	u1 := newItem(kindUser, "u1", poolA, nil, nil)
	mustCreateItem(t, s, u1)
	update(u1, `{"password_hash": "old-hash-1"}`)
	update(u1, `{"password_hash": "current-hash"}`)
	u2 := newItem(kindUser, "u2", poolA, nil, nil)
	mustCreateItem(t, s, u2)
	u3 := newItem(kindUser, "u3", poolA, nil, nil)
	mustCreateItem(t, s, u3)
	del(u3)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.DeleteItems(ctx, kindClient, poolB)
		return err
	})
	u4 := newItem(kindUser, "u4", poolA, nil, nil)
	mustCreateItem(t, s, u4)

	cutoff := waitNextMillisecond(t, s)
	// After the cut-off.
	update(u4, `{"v": 2}`)
	u5 := newItem(kindUser, "u5", poolA, nil, nil)
	mustCreateItem(t, s, u5)
	update(u5, `{"v": 2}`)
	u6 := newItem(kindUser, "u6", poolA, nil, nil)
	mustCreateItem(t, s, u6)
	del(u6)

	if n, err := s.CompactChanges(ctx, time.Unix(0, 0)); err != nil || n != 0 {
		t.Errorf("CompactChanges(1970) = %d, %v; want 0 removed", n, err)
	}
	n, err := s.CompactChanges(ctx, cutoff)
	if err != nil {
		t.Fatalf("CompactChanges: %v", err)
	}
	if n != 5 {
		t.Errorf("CompactChanges removed %d entries, want 5", n)
	}
	want := []logEntry{
		{storage.ChangeUpdate, storage.Entity(kindUser), "u1"},
		{storage.ChangeCreate, storage.Entity(kindUser), "u2"},
		{storage.ChangeUpdate, storage.Entity(kindUser), "u4"},
		{storage.ChangeCreate, storage.Entity(kindUser), "u5"},
		{storage.ChangeUpdate, storage.Entity(kindUser), "u5"},
		{storage.ChangeDelete, storage.Entity(kindUser), "u6"},
	}
	changes := allChanges(t, s)
	if diff := cmp.Diff(want, logEntries(changes)); diff != "" {
		t.Errorf("change log after compaction (-want +got):\n%s", diff)
	}
	if raw := logBytes(t, s); bytes.Contains(raw, []byte("old-hash-1")) || !bytes.Contains(raw, []byte("current-hash")) {
		t.Errorf("after compaction the log holds the superseded state or lost the current one")
	}
	// The kept entries are the ones Changes returned before, unchanged.
	if st, err := storage.DecodeItem(changes[0].State); err != nil || string(st.Data) != `{"password_hash": "current-hash"}` {
		t.Errorf("kept state of u1 = %+v, %v", st, err)
	}
	// Compacting again removes nothing more.
	if n, err := s.CompactChanges(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second CompactChanges = %d, %v; want 0", n, err)
	}
	// Everything older than a future cut-off: u5's create and the delete
	// of u6 would go, but the delete is the newest entry of the log and
	// stays.
	n, err = s.CompactChanges(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("CompactChanges(future) = %d, %v; want 1 removed", n, err)
	}
	want = []logEntry{
		{storage.ChangeUpdate, storage.Entity(kindUser), "u1"},
		{storage.ChangeCreate, storage.Entity(kindUser), "u2"},
		{storage.ChangeUpdate, storage.Entity(kindUser), "u4"},
		{storage.ChangeUpdate, storage.Entity(kindUser), "u5"},
		{storage.ChangeDelete, storage.Entity(kindUser), "u6"},
	}
	if diff := cmp.Diff(want, logEntries(allChanges(t, s))); diff != "" {
		t.Errorf("change log after compacting everything (-want +got):\n%s", diff)
	}
}

// testCompactChangesBatches compacts a log longer than one batch: one
// record updated many times in one transaction keeps only its newest
// entry.
func testCompactChangesBatches(t *testing.T, s storage.Store) {
	const updates = 2500
	it := newItem(kindUser, "busy", poolA, nil, nil)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateItem(ctx, it); err != nil {
			return err
		}
		for i := range updates {
			it.Data = fmt.Appendf(nil, `{"n": %d}`, i)
			if err := tx.UpdateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	cutoff := waitNextMillisecond(t, s)
	mustCreateItem(t, s, newItem(kindUser, "new", poolA, nil, nil))
	n, err := s.CompactChanges(context.Background(), cutoff)
	if err != nil || n != updates {
		t.Fatalf("CompactChanges = %d, %v; want %d removed", n, err, updates)
	}
	changes := allChanges(t, s)
	want := []logEntry{{storage.ChangeUpdate, storage.Entity(kindUser), "busy"}, {storage.ChangeCreate, storage.Entity(kindUser), "new"}}
	if diff := cmp.Diff(want, logEntries(changes)); diff != "" {
		t.Fatalf("change log after compaction (-want +got):\n%s", diff)
	}
	if st, err := storage.DecodeItem(changes[0].State); err != nil || string(st.Data) != fmt.Sprintf(`{"n": %d}`, updates-1) {
		t.Errorf("kept state = %+v, %v; want the last update", st, err)
	}
}
