package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

var kindLocalMarker = storage.DeclareKind("replication_test_local", storage.Local)

var topology = []string{"ap-southeast-2", "eu-west-1", "us-east-1"}

// replicaRegion is one region of a test topology: its store, Node and replica
// API.
type replicaRegion struct {
	name string
	st   *sqlite.DB
	node *Node
	api  *Replicas
}

// startRegions runs a Node for each of names on one NATS server, with
// pools kept in their own region by default.
func startRegions(t *testing.T, js jetstream.JetStream, hooks map[string]func(pool string, step int), names ...string) map[string]*replicaRegion {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	out := map[string]*replicaRegion{}
	for _, name := range names {
		st := openStore(t, name)
		n, err := New(Options{Store: st, Region: name, Peers: topology, JetStream: js, DefaultPoolRegions: DefaultOwnRegion,
			Merge: map[string]MergeFunc{kindWidget: mergeWidgets}, PollInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		n.pageHook = hooks[name]
		out[name] = &replicaRegion{name: name, st: st, node: n,
			api: NewReplicas(ReplicasOptions{Store: st, Region: name, Peers: topology, DefaultPoolRegions: DefaultOwnRegion, AccountID: "000000000000"})}
	}
	if err := out[names[0]].node.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		wg.Go(func() { _ = r.node.Run(ctx) })
	}
	return out
}

// eventually fails the test unless cond holds within a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func createPool(t *testing.T, st *sqlite.DB, id string) {
	t.Helper()
	err := st.CreateUserPool(context.Background(), &storage.UserPool{ID: id, Region: cognito.RegionOfPoolID(id), Name: "p",
		Config: []byte(`{}`), CreatedAt: time.Now(), UpdatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
}

// putWidget writes widget id of pool in st as a change of st's region.
func putWidget(t *testing.T, st *sqlite.DB, pool, id, name string) {
	t.Helper()
	data, _ := json.Marshal(widget{Name: name})
	err := st.Tx(context.Background(), func(tx storage.Tx) error {
		it, err := tx.GetItem(context.Background(), kindWidget, id)
		if errors.Is(err, storage.ErrNotFound) {
			return tx.CreateItem(context.Background(), &storage.Item{Kind: kindWidget, ID: id, Pool: pool, Data: data,
				CreatedAt: time.Now(), UpdatedAt: time.Now()})
		}
		if err != nil {
			return err
		}
		it.Data = data
		return tx.UpdateItem(context.Background(), it)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// widgets returns the widgets of pool in st by ID.
func widgets(t *testing.T, st storage.ItemReader, pool string) map[string]string {
	t.Helper()
	out := map[string]string{}
	after := ""
	for {
		page, err := st.ListItems(context.Background(), storage.ListItemsInput{Kind: kindWidget, Pool: pool, AfterID: after, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page {
			var w widget
			if err := json.Unmarshal(it.Data, &w); err != nil {
				t.Fatal(err)
			}
			out[it.ID] = w.Name
		}
		if len(page) < 100 {
			return out
		}
		after = page[len(page)-1].ID
	}
}

// entriesOf counts the change-log entries of widget id in st made in
// origin at hlc.
func entriesOf(t *testing.T, st *sqlite.DB, id, origin string, hlc int64) int {
	t.Helper()
	n := 0
	var after int64
	for {
		page, err := st.Changes(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return n
		}
		for _, c := range page {
			if string(c.Entity) == kindWidget && c.Key == id && c.Region == origin && c.HLC == hlc {
				n++
			}
		}
		after = page[len(page)-1].Seq
	}
}

// lastChangeOf returns the newest change-log entry of widget id in st.
func lastChangeOf(t *testing.T, st *sqlite.DB, id string) *storage.Change {
	t.Helper()
	var c *storage.Change
	err := st.Tx(context.Background(), func(tx storage.Tx) error {
		var err error
		c, err = tx.(storage.ReplicaTx).LastChange(context.Background(), storage.Entity(kindWidget), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func replicaStatuses(t *testing.T, api *Replicas, caller, pool string) map[string]string {
	t.Helper()
	out, err := api.ListUserPoolReplicas(context.Background(), cognito.Caller{Region: caller}, &idp.ListUserPoolReplicasRequest{UserPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.UserPoolReplicas {
		got[*r.RegionName] = string(*r.Role) + " " + string(*r.Status)
	}
	return got
}

// TestReplicaSnapshotThenStream creates a pool with more records than a
// snapshot page in one region only, creates a replica of it in a second
// region while the source keeps writing (between the snapshot's pages:
// a record already copied, one not copied yet, a new one), and checks
// that the second region ends with every record, each write of the source
// applied exactly once, nothing of the local kind; that the third region
// holds none of the pool but agrees on its replicas; that writes flow both
// ways; and that deleting the replica removes the pool from the second
// region only.
func TestReplicaSnapshotThenStream(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	const pool = "us-east-1_snapshot1"
	// Writes in the source between the snapshot's pages.
	var (
		once sync.Once
		us   *replicaRegion
	)
	hook := func(p string, step int) {
		if p != pool || step < 2 {
			return
		}
		once.Do(func() {
			putWidget(t, us.st, pool, pool+"/w000", "v2") // copied already
			putWidget(t, us.st, pool, pool+"/w249", "v2") // not copied yet
			putWidget(t, us.st, pool, pool+"/new", "v1")
		})
	}
	rs := startRegions(t, js, map[string]func(string, int){"eu-west-1": hook}, topology...)
	us = rs["us-east-1"]
	eu, ap := rs["eu-west-1"], rs["ap-southeast-2"]
	createPool(t, us.st, pool)
	want := map[string]string{}
	for i := range 250 {
		id := fmt.Sprintf("%s/w%03d", pool, i)
		putWidget(t, us.st, pool, id, "v1")
		want[id] = "v1"
	}
	marker := &storage.Item{Kind: kindLocalMarker, ID: pool + "/marker", Pool: pool, Data: []byte(`{}`)}
	if err := us.st.Tx(ctx, func(tx storage.Tx) error { return tx.CreateItem(ctx, marker) }); err != nil {
		t.Fatal(err)
	}
	// The pool lives in its own region: the others leave its 251 entries.
	eventually(t, "the other regions left the pool's entries", func() bool {
		return eu.node.Stats().NotHeld >= 251 && ap.node.Stats().NotHeld >= 251
	})
	if got := widgets(t, eu.st, pool); len(got) != 0 {
		t.Fatalf("eu-west-1 holds %d widgets of a pool it does not hold", len(got))
	}

	out, err := us.api.CreateUserPoolReplica(ctx, cognito.Caller{Region: "us-east-1"}, &idp.CreateUserPoolReplicaRequest{
		UserPoolId: cognito.Ptr(pool), RegionName: cognito.Ptr("eu-west-1"), UserPoolTags: map[string]string{"team": "identity"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&idp.UserPoolReplicaType{RegionName: cognito.Ptr("eu-west-1"), Status: cognito.Ptr(idp.ReplicaStatusTypeCreating),
		Role: cognito.Ptr(idp.ReplicaRoleTypeSecondary), UserPoolArn: cognito.Ptr("arn:aws:cognito-idp:eu-west-1:000000000000:userpool/" + pool)},
		out.UserPoolReplica); diff != "" {
		t.Errorf("CreateUserPoolReplica (-want +got):\n%s", diff)
	}
	want[pool+"/w000"], want[pool+"/w249"], want[pool+"/new"] = "v2", "v2", "v1"
	eventually(t, "the replica is active in both regions", func() bool {
		return replicaStatuses(t, us.api, "us-east-1", pool)["eu-west-1"] == "SECONDARY ACTIVE" &&
			replicaStatuses(t, eu.api, "us-east-1", pool)["eu-west-1"] == "SECONDARY ACTIVE"
	})
	eventually(t, "eu-west-1 has every widget", func() bool { return cmp.Equal(widgets(t, eu.st, pool), want) })
	if _, err := eu.st.GetUserPool(ctx, pool); err != nil {
		t.Fatalf("eu-west-1's pool: %v", err)
	}
	for _, id := range []string{pool + "/w000", pool + "/w249", pool + "/new", pool + "/w100"} {
		c := lastChangeOf(t, us.st, id)
		if n := entriesOf(t, eu.st, id, c.Region, c.HLC); n != 1 {
			t.Errorf("%s's last write (%s at %d) is in eu-west-1's log %d times, want once", id, c.Region, c.HLC, n)
		}
	}
	if _, err := eu.st.GetItem(ctx, kindLocalMarker, marker.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the local kind's item was copied: %v", err)
	}
	if eu.node.Stats().Copies != 1 {
		t.Errorf("copies = %d, want 1", eu.node.Stats().Copies)
	}

	// A write in the replica reaches the primary, and one in the primary
	// the replica.
	putWidget(t, eu.st, pool, pool+"/from-eu", "eu")
	putWidget(t, us.st, pool, pool+"/from-us", "us")
	want[pool+"/from-eu"], want[pool+"/from-us"] = "eu", "us"
	eventually(t, "both regions have both writes", func() bool {
		return cmp.Equal(widgets(t, eu.st, pool), want) && cmp.Equal(widgets(t, us.st, pool), want)
	})

	// The third region holds nothing of the pool, and agrees on its
	// replicas.
	eventually(t, "ap-southeast-2 lists the replicas", func() bool {
		recs, err := replicaRecords(ctx, ap.st, pool)
		return err == nil && len(recs) == 2
	})
	if _, err := ap.st.GetUserPool(ctx, pool); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ap-southeast-2 holds the pool: %v", err)
	}
	if got := widgets(t, ap.st, pool); len(got) != 0 {
		t.Errorf("ap-southeast-2 holds %d widgets of the pool", len(got))
	}

	// Deleting the replica removes the pool from eu-west-1 only.
	caller := cognito.Caller{Region: "us-east-1"}
	if _, err := us.api.UpdateUserPoolReplica(ctx, caller, &idp.UpdateUserPoolReplicaRequest{UserPoolId: cognito.Ptr(pool),
		RegionName: cognito.Ptr("eu-west-1"), Status: cognito.Ptr(idp.UpdateReplicaStatusTypeInactive)}); err != nil {
		t.Fatal(err)
	}
	if _, err := us.api.DeleteUserPoolReplica(ctx, caller, &idp.DeleteUserPoolReplicaRequest{UserPoolId: cognito.Ptr(pool),
		RegionName: cognito.Ptr("eu-west-1")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replica is gone from every region's list", func() bool {
		_, inUS := replicaStatuses(t, us.api, "us-east-1", pool)["eu-west-1"]
		recs, err := replicaRecords(ctx, eu.st, pool)
		_, inEU := recs["eu-west-1"]
		return !inUS && err == nil && !inEU
	})
	if _, err := eu.st.GetUserPool(ctx, pool); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("eu-west-1 still holds the pool: %v", err)
	}
	if got := widgets(t, eu.st, pool); len(got) != 0 {
		t.Errorf("eu-west-1 still holds %d widgets", len(got))
	}
	if got := widgets(t, us.st, pool); !cmp.Equal(got, want) {
		t.Errorf("us-east-1 lost widgets: %s", cmp.Diff(want, got))
	}
	// A later write of the primary does not reach the region that
	// dropped its replica.
	putWidget(t, us.st, pool, pool+"/after", "us")
	before := eu.node.Stats().NotHeld
	eventually(t, "eu-west-1 left the later write", func() bool { return eu.node.Stats().NotHeld > before })
	if got := widgets(t, eu.st, pool); len(got) != 0 {
		t.Errorf("eu-west-1 applied a write of a pool it no longer holds")
	}

	// Deleting the pool: every region keeps its tombstone, those that do
	// not hold it included, and drops its replica records.
	err = us.st.Tx(ctx, func(tx storage.Tx) error {
		p, err := tx.GetUserPool(ctx, pool)
		if err != nil {
			return err
		}
		if _, err := tx.DeletePoolItems(ctx, pool); err != nil {
			return err
		}
		return tx.DeleteUserPool(ctx, pool, p.Version)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*replicaRegion{eu, ap} {
		eventually(t, r.name+" has the pool's tombstone and no replica record", func() bool {
			recs, err := replicaRecords(ctx, r.st, pool)
			if err != nil || len(recs) != 0 {
				return false
			}
			var last *storage.Change
			err = r.st.Tx(ctx, func(tx storage.Tx) error {
				var err error
				last, err = tx.(storage.ReplicaTx).LastChange(ctx, storage.EntityUserPool, pool)
				return err
			})
			return err == nil && last.Kind == storage.ChangeDelete
		})
	}
}

// TestSnapshotIdempotent applies a region's snapshot twice: the second
// time applies nothing and writes nothing.
func TestSnapshotIdempotent(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	rs := startRegions(t, js, nil, "us-east-1", "eu-west-1")
	us, eu := rs["us-east-1"], rs["eu-west-1"]
	const pool = "us-east-1_idempotent"
	createPool(t, us.st, pool)
	for i := range 120 {
		putWidget(t, us.st, pool, fmt.Sprintf("%s/w%03d", pool, i), "v1")
	}
	// The source answers once its Node runs.
	var first int
	eventually(t, "the source answers", func() bool {
		var err error
		first, err = eu.node.copyFrom(ctx, "us-east-1", pool, nil)
		return err == nil
	})
	if first != 121 {
		t.Errorf("first copy applied %d records, want 121 (the pool and 120 widgets)", first)
	}
	log := len(allEntries(t, eu.st))
	again, err := eu.node.copyFrom(ctx, "us-east-1", pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != 0 || len(allEntries(t, eu.st)) != log {
		t.Errorf("a second copy applied %d records and changed the log from %d entries to %d", again, log, len(allEntries(t, eu.st)))
	}
	if got := widgets(t, eu.st, pool); len(got) != 120 {
		t.Errorf("eu-west-1 holds %d widgets, want 120", len(got))
	}
	// A region that does not hold the pool says so.
	if _, err := us.node.copyFrom(ctx, "eu-west-1", "us-east-1_nothere", nil); !errors.Is(err, errNotHeld) {
		t.Errorf("copy of a pool the source does not hold: %v, want errNotHeld", err)
	}
}

func allEntries(t *testing.T, st *sqlite.DB) []storage.Change {
	t.Helper()
	var all []storage.Change
	var after int64
	for {
		page, err := st.Changes(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// TestReplicaAPIErrors checks the replica API's refusals, each with
// Cognito's exception.
func TestReplicaAPIErrors(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "us-east-1")
	const pool = "us-east-1_errors123"
	createPool(t, st, pool)
	api := NewReplicas(ReplicasOptions{Store: st, Region: "us-east-1", Peers: topology, DefaultPoolRegions: DefaultOwnRegion, AccountID: "000000000000"})
	us, eu := cognito.Caller{Region: "us-east-1"}, cognito.Caller{Region: "eu-west-1"}
	create := func(c cognito.Caller, p, region string, tags map[string]string) error {
		_, err := api.CreateUserPoolReplica(ctx, c, &idp.CreateUserPoolReplicaRequest{UserPoolId: &p, RegionName: &region, UserPoolTags: tags})
		return err
	}
	update := func(c cognito.Caller, region string, status idp.UpdateReplicaStatusType) error {
		_, err := api.UpdateUserPoolReplica(ctx, c, &idp.UpdateUserPoolReplicaRequest{UserPoolId: cognito.Ptr(pool), RegionName: &region, Status: &status})
		return err
	}
	del := func(c cognito.Caller, region string) error {
		_, err := api.DeleteUserPoolReplica(ctx, c, &idp.DeleteUserPoolReplicaRequest{UserPoolId: cognito.Ptr(pool), RegionName: &region})
		return err
	}
	if err := create(us, pool, "eu-west-1", nil); err != nil {
		t.Fatal(err)
	}
	manyTags := map[string]string{}
	for i := range 51 {
		manyTags[fmt.Sprint("k", i)] = "v"
	}
	off := NewReplicas(ReplicasOptions{Store: st, Region: "us-east-1"})
	tests := []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"a region name that is none", create(us, pool, "nowhere", nil), cognito.CodeInvalidParameterException, "Invalid Region name"},
		{"a region outside the topology", create(us, pool, "sa-east-1", nil), cognito.CodeInvalidParameterException, "not a Region of this deployment"},
		{"the primary's region", create(us, pool, "us-east-1", nil), cognito.CodeInvalidParameterException, "is the primary Region"},
		{"a replica that exists", create(us, pool, "eu-west-1", nil), cognito.CodeInvalidParameterException, "already exists"},
		{"a replica of a replica", create(eu, pool, "ap-southeast-2", nil), cognito.CodeInvalidParameterException, "is a replica"},
		{"an unknown pool", create(us, "us-east-1_unknown12", "eu-west-1", nil), cognito.CodeResourceNotFoundException, "does not exist"},
		{"a pool addressed through a region that does not hold it", create(cognito.Caller{Region: "ap-southeast-2"}, pool, "eu-west-1", nil), cognito.CodeResourceNotFoundException, "does not exist"},
		{"too many tags", create(us, pool, "ap-southeast-2", manyTags), cognito.CodeUserPoolTaggingException, "at most 50 tags"},
		{"the primary's status", update(us, "us-east-1", idp.UpdateReplicaStatusTypeInactive), cognito.CodeInvalidParameterException, "primary replica"},
		{"the status of a replica being created", update(us, "eu-west-1", idp.UpdateReplicaStatusTypeInactive), cognito.CodeInvalidParameterException, "is CREATING"},
		{"the status of no replica", update(us, "ap-southeast-2", idp.UpdateReplicaStatusTypeActive), cognito.CodeResourceNotFoundException, "has no replica"},
		{"deleting a replica that is not INACTIVE", del(us, "eu-west-1"), cognito.CodeInvalidParameterException, "only an INACTIVE replica"},
		{"deleting through a secondary region", del(eu, "eu-west-1"), cognito.CodeInvalidParameterException, "through its primary Region"},
		{"deleting the primary", del(us, "us-east-1"), cognito.CodeInvalidParameterException, "cannot be deleted"},
		{"deleting no replica", del(us, "ap-southeast-2"), cognito.CodeResourceNotFoundException, "has no replica"},
		{"replication off", func() error {
			_, err := off.CreateUserPoolReplica(ctx, us, &idp.CreateUserPoolReplicaRequest{UserPoolId: cognito.Ptr(pool), RegionName: cognito.Ptr("eu-west-1")})
			return err
		}(), cognito.CodeOperationNotEnabledException, "not configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ce *cognito.Error
			if !errors.As(tc.err, &ce) || ce.Code != tc.code || !strings.Contains(ce.Message, tc.msg) {
				t.Errorf("got %v, want %s with %q", tc.err, tc.code, tc.msg)
			}
		})
	}
	// Nothing of the refused calls was written: the primary (made when
	// the first replica was) and the one replica.
	if got := replicaStatuses(t, api, "us-east-1", pool); !cmp.Equal(got, map[string]string{"us-east-1": "PRIMARY ACTIVE", "eu-west-1": "SECONDARY CREATING"}) {
		t.Errorf("replicas after the refusals: %v", got)
	}
	// With replication off, a pool lists its primary alone.
	if got := replicaStatuses(t, off, "us-east-1", "us-east-1_errors123"); len(got) != 2 {
		t.Errorf("listing through an engine without peers: %v", got)
	}
}

// TestDefaultPoolRegions checks the replica set of a pool without replica
// records under each default.
func TestDefaultPoolRegions(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "eu-west-1")
	const pool = "us-east-1_defaults1"
	for _, tc := range []struct {
		def  string
		want map[string]string
	}{
		{DefaultAllRegions, map[string]string{"us-east-1": "PRIMARY ACTIVE", "eu-west-1": "SECONDARY ACTIVE", "ap-southeast-2": "SECONDARY ACTIVE"}},
		{DefaultOwnRegion, map[string]string{"us-east-1": "PRIMARY ACTIVE"}},
	} {
		t.Run(tc.def, func(t *testing.T) {
			s := sets{region: "eu-west-1", def: tc.def, peers: topology}
			set, _, err := s.of(ctx, st, pool)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			api := NewReplicas(ReplicasOptions{DefaultPoolRegions: tc.def, Peers: topology})
			for r, rep := range set.Replicas {
				w := api.wire(pool, set, rep)
				got[r] = string(*w.Role) + " " + string(*w.Status)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replicas (-want +got):\n%s", diff)
			}
			if set.holds("eu-west-1") != (tc.def == DefaultAllRegions) {
				t.Errorf("holds(eu-west-1) = %v under %s", set.holds("eu-west-1"), tc.def)
			}
		})
	}
}

// TestReseed rebuilds a region's copy of its pools from its peers'
// snapshots: a region that was away holds a record its peers deleted long
// ago (their tombstone compacted) and misses their later records; a
// reseed with replace leaves it with exactly what its peers hold of the
// pools it holds, and keeps the pool only it holds. A second reseed
// applies nothing.
func TestReseed(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	rs := startRegions(t, js, nil, "us-east-1", "eu-west-1")
	us, eu := rs["us-east-1"], rs["eu-west-1"]
	const pool = "us-east-1_reseeded1"
	createPool(t, us.st, pool)
	for _, region := range []string{"eu-west-1", "ap-southeast-2"} {
		if _, err := us.api.CreateUserPoolReplica(ctx, cognito.Caller{Region: "us-east-1"}, &idp.CreateUserPoolReplicaRequest{
			UserPoolId: cognito.Ptr(pool), RegionName: cognito.Ptr(region)}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{}
	for i := range 130 {
		id := fmt.Sprintf("%s/w%03d", pool, i)
		putWidget(t, us.st, pool, id, "v1")
		want[id] = "v1"
	}
	putWidget(t, eu.st, pool, pool+"/from-eu", "eu")
	want[pool+"/from-eu"] = "eu"
	putWidget(t, us.st, "", "outside", "every region") // a record of no pool
	// eu-west-1 copies the pool in, then sets its replica ACTIVE: wait for
	// that record too, or it could reach a peer between the two reseeds.
	euActive := func(st storage.Store) bool {
		recs, err := replicaRecords(ctx, st, pool)
		if err != nil || recs["eu-west-1"] == nil {
			return false
		}
		rep, err := decodeReplica(recs["eu-west-1"])
		return err == nil && rep.Status == StatusActive
	}
	eventually(t, "eu-west-1 and us-east-1 hold the same", func() bool {
		return cmp.Equal(widgets(t, eu.st, pool), want) && cmp.Equal(widgets(t, us.st, pool), want) && len(widgets(t, eu.st, "")) == 1 &&
			euActive(us.st) && euActive(eu.st)
	})

	// The region that was away: a record of the pool its peers no longer
	// have, and a pool of its own.
	ap := openStore(t, "ap-southeast-2")
	node, err := New(Options{Store: ap, Region: "ap-southeast-2", Peers: topology, JetStream: js, DefaultPoolRegions: DefaultOwnRegion,
		Merge: map[string]MergeFunc{kindWidget: mergeWidgets}})
	if err != nil {
		t.Fatal(err)
	}
	poolState, err := storage.EncodeUserPool(&storage.UserPool{ID: pool, Region: "us-east-1", Name: "p", Config: []byte(`{}`),
		CreatedAt: time.Unix(1, 0), UpdatedAt: time.Unix(1, 0), Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	staleState, err := storage.EncodeItem(&storage.Item{Kind: kindWidget, ID: pool + "/stale", Pool: pool, Data: []byte(`{"name":"old"}`),
		CreatedAt: time.Unix(1, 0), UpdatedAt: time.Unix(1, 0), Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []storage.Change{
		{Region: "us-east-1", HLC: at(1), Kind: storage.ChangeCreate, Entity: storage.EntityUserPool, Key: pool, State: poolState},
		{Region: "us-east-1", HLC: at(2), Kind: storage.ChangeCreate, Entity: storage.Entity(kindWidget), Key: pool + "/stale", State: staleState},
	} {
		if _, err := node.Apply(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if got := widgets(t, ap, pool); len(got) != 1 {
		t.Fatalf("the stale record: %v", got)
	}
	const own = "ap-southeast-2_ownpool1"
	createPool(t, ap, own)
	putWidget(t, ap, own, own+"/mine", "ap")

	rep, err := node.Reseed(ctx, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ReseedReport{Forgotten: []string{pool}, Copied: []string{pool}, Applied: rep.Applied}, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if got := widgets(t, ap, pool); !cmp.Equal(got, want) {
		t.Errorf("ap-southeast-2 after the reseed (-want +got):\n%s", cmp.Diff(want, got))
	}
	if got := widgets(t, ap, ""); !cmp.Equal(got, map[string]string{"outside": "every region"}) {
		t.Errorf("the records outside every pool: %v", got)
	}
	if got := widgets(t, ap, own); !cmp.Equal(got, map[string]string{own + "/mine": "ap"}) {
		t.Errorf("the pool only ap-southeast-2 holds: %v", got)
	}
	again, err := node.Reseed(ctx, []string{"us-east-1", "eu-west-1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Applied != 0 || len(again.Forgotten) != 0 {
		t.Errorf("a second reseed applied %d records and forgot %v", again.Applied, again.Forgotten)
	}
}

// TestServesEndUsers checks which replica statuses serve a pool's end users
// in their region: ACTIVE, or no record of the region (replication off, or
// a pool whose replicas nobody changed); CREATING and INACTIVE refuse them
// with ResourceNotFoundException. A change of status is seen by the next
// request, although the records are read through the store's cache.
func TestServesEndUsers(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "us-east-1")
	const pool = "us-east-1_serves123"
	createPool(t, st, pool)
	engine := func(region string) *Replicas {
		return NewReplicas(ReplicasOptions{Store: st, Region: region, Peers: topology, DefaultPoolRegions: DefaultOwnRegion, AccountID: "000000000000"})
	}
	us, eu := engine("us-east-1"), engine("eu-west-1")
	off := NewReplicas(ReplicasOptions{Store: st, Region: "eu-west-1"})
	var none *Replicas
	update := func(status idp.UpdateReplicaStatusType) {
		t.Helper()
		if _, err := us.UpdateUserPoolReplica(ctx, cognito.Caller{Region: "us-east-1"}, &idp.UpdateUserPoolReplicaRequest{
			UserPoolId: cognito.Ptr(pool), RegionName: cognito.Ptr("eu-west-1"), Status: &status}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, r *Replicas, want string) {
		t.Helper()
		// Twice: the second read may come from the cache.
		for range 2 {
			err := r.ServesEndUsers(ctx, pool)
			var ce *cognito.Error
			switch {
			case want == "" && err != nil:
				t.Fatalf("%s: %v, want served", step, err)
			case want != "" && (!errors.As(err, &ce) || ce.Code != cognito.CodeResourceNotFoundException || !strings.Contains(ce.Message, want)):
				t.Fatalf("%s: %v, want ResourceNotFoundException saying %s", step, err, want)
			}
		}
	}

	check("no replica records", eu, "")
	check("no replica records, the primary", us, "")
	if _, err := us.CreateUserPoolReplica(ctx, cognito.Caller{Region: "us-east-1"}, &idp.CreateUserPoolReplicaRequest{
		UserPoolId: cognito.Ptr(pool), RegionName: cognito.Ptr("eu-west-1")}); err != nil {
		t.Fatal(err)
	}
	check("CREATING", eu, "CREATING")
	check("CREATING, the primary", us, "")
	check("CREATING, replication off", off, "")
	check("no engine", none, "")
	// The copy done, the region's Node turns it ACTIVE.
	if err := st.Tx(ctx, func(tx storage.Tx) error {
		return eu.write(ctx, tx, pool, replica{Region: "eu-west-1", Status: StatusActive})
	}); err != nil {
		t.Fatal(err)
	}
	check("ACTIVE", eu, "")
	update(idp.UpdateReplicaStatusTypeInactive)
	check("INACTIVE", eu, "INACTIVE")
	check("INACTIVE, the primary", us, "")
	update(idp.UpdateReplicaStatusTypeActive)
	check("ACTIVE again", eu, "")
}

// TestPoolOf checks which user pool a change is about, for the regions
// that hold it: an item of a user pool is the pool's; an identity pool and
// its identities, whose pool is the identity pool's ID, are outside every
// user pool, as are replica records and a pool's deletion, and every
// region applies them whatever default_pool_regions says.
func TestPoolOf(t *testing.T) {
	state := func(kind, id, pool string) []byte {
		b, err := storage.EncodeItem(&storage.Item{Kind: kind, ID: id, Pool: pool, Data: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const userPool, identityPool = "us-east-1_AbCdEf123", "us-east-1:0eca0eda-1602-4222-8273-0cd1c11205e5"
	tests := []struct {
		name   string
		change storage.Change
		pool   string
		inPool bool
	}{
		{"a user of a user pool", storage.Change{Kind: storage.ChangeCreate, Entity: "user", Key: "sub-1",
			State: state("user", "sub-1", userPool)}, userPool, true},
		{"an identity pool", storage.Change{Kind: storage.ChangeCreate, Entity: "identity_pool", Key: identityPool,
			State: state("identity_pool", identityPool, identityPool)}, "", false},
		{"an identity of an identity pool", storage.Change{Kind: storage.ChangeUpdate, Entity: "identity", Key: "us-east-1:1111",
			State: state("identity", "us-east-1:1111", identityPool)}, "", false},
		{"an item of no pool", storage.Change{Kind: storage.ChangeCreate, Entity: "sts_credentials", Key: "AKIA1",
			State: state("sts_credentials", "AKIA1", "")}, "", false},
		{"the deletion of a user pool's item, by its ID's prefix", storage.Change{Kind: storage.ChangeDelete, Entity: "client",
			Key: userPool + "/client-1"}, userPool, true},
		{"the deletion of an identity", storage.Change{Kind: storage.ChangeDelete, Entity: "identity", Key: "us-east-1:1111"}, "", false},
		{"a purge of a user pool's items", storage.Change{Kind: storage.ChangePurge, Entity: "user", Key: userPool}, userPool, true},
		{"a purge of an identity pool's items", storage.Change{Kind: storage.ChangePurge, Entity: "identity", Key: identityPool}, identityPool, false},
		{"a user pool", storage.Change{Kind: storage.ChangeUpdate, Entity: storage.EntityUserPool, Key: userPool, State: []byte(`{}`)}, userPool, true},
		{"a user pool's deletion", storage.Change{Kind: storage.ChangeDelete, Entity: storage.EntityUserPool, Key: userPool}, "", false},
		{"a replica record", storage.Change{Kind: storage.ChangeCreate, Entity: storage.Entity(ReplicaItemKind), Key: userPool + "/eu-west-1",
			State: state(ReplicaItemKind, userPool+"/eu-west-1", userPool)}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pool, ok := poolOf(tc.change)
			if ok != tc.inPool || (ok && pool != tc.pool) {
				t.Errorf("poolOf = %q, %v; want %q, %v", pool, ok, tc.pool, tc.inPool)
			}
		})
	}
}

// TestPartialReplicaSetHeld checks that a region keeps applying the entries
// of a pool it holds while a replica set made explicit in another region (one
// transaction there, one record per region) has reached it only in part: with
// the record of another region applied and its own not yet, the local set
// names no replica here, yet the pool's row is here and the entries of a
// third region are applied, not left. A pool this region never held, whose
// records leave it out, is still left.
func TestPartialReplicaSetHeld(t *testing.T) {
	ctx := context.Background()
	js := startNATS(t)
	const (
		held  = "us-east-1_partial1"
		other = "us-east-1_partial2"
	)
	var rs []*replicaRegion
	for _, name := range []string{"eu-west-1", "ap-southeast-2"} {
		st := openStore(t, name)
		n, err := New(Options{Store: st, Region: name, Peers: topology, JetStream: js, DefaultPoolRegions: DefaultAllRegions,
			Merge: map[string]MergeFunc{kindWidget: mergeWidgets}, PollInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, &replicaRegion{name: name, st: st, node: n})
	}
	eu, ap := rs[0], rs[1]
	// A record of us-east-1's, applied in eu-west-1 as the stream of
	// us-east-1 would apply it.
	record := func(pool, region string, hlc int64) {
		t.Helper()
		it, err := newReplicaItem(pool, replica{Region: region, Status: StatusActive}, storage.HLCTime(hlc))
		if err != nil {
			t.Fatal(err)
		}
		state, err := storage.EncodeItem(it)
		if err != nil {
			t.Fatal(err)
		}
		c := storage.Change{Seq: 1, Region: "us-east-1", HLC: hlc, Kind: storage.ChangeCreate, Entity: storage.Entity(ReplicaItemKind), Key: it.ID, State: state}
		if out, err := eu.node.Apply(ctx, c); err != nil || out != outcomeApplied {
			t.Fatalf("apply the record of %s in %s: %v, %v", pool, region, out, err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	if err := eu.node.EnsureStreams(runCtx); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		wg.Go(func() { _ = r.node.Run(runCtx) })
	}

	// The records of other, leaving eu-west-1 out, are here before the
	// pool is made.
	now := storage.HLCAt(time.Now())
	record(other, "us-east-1", now)
	record(other, "ap-southeast-2", now)
	createPool(t, ap.st, held)
	createPool(t, ap.st, other)
	eventually(t, "held's row in eu-west-1", func() bool { _, err := eu.st.GetUserPool(ctx, held); return err == nil })

	// us-east-1 materializes held's set (ap-southeast-2, eu-west-1,
	// us-east-1): eu-west-1 has applied the first record only.
	record(held, "ap-southeast-2", storage.HLCAt(time.Now()))
	if set, _, err := eu.node.sets.of(ctx, eu.st, held); err != nil || !set.Explicit || set.holds("eu-west-1") {
		t.Fatalf("the partial set: %+v, %v", set, err)
	}
	before := eu.node.Stats()
	putWidget(t, ap.st, held, held+"/w1", "v1")
	putWidget(t, ap.st, other, other+"/w1", "v1")
	eventually(t, "eu-west-1 took both widgets' entries", func() bool {
		s := eu.node.Stats()
		return s.Applied+s.NotHeld+s.Skipped >= before.Applied+before.NotHeld+before.Skipped+2
	})
	if got := widgets(t, eu.st, held); got[held+"/w1"] != "v1" {
		t.Errorf("eu-west-1 left the widget of the pool it holds (its set's records in flight): %v", got)
	}
	if got := widgets(t, eu.st, other); len(got) != 0 {
		t.Errorf("eu-west-1 applied widgets of a pool it does not hold: %v", got)
	}
	if _, err := eu.st.GetUserPool(ctx, other); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("eu-west-1 holds the row of a pool it does not hold: %v", err)
	}
}

// TestReplicaAPIPartialSetHeld checks that the replica API answers through
// a region for a pool it holds while a replica set made explicit in
// another region has reached it only in part (the rule the Node applies the
// pool's entries by, TestPartialReplicaSetHeld): with the pool's row here
// and the record of another region applied, its own not yet, the pool is
// listed through this region. A pool whose records leave this region out
// (its row never came), one whose record here is DELETING, and a caller
// addressing the pool through a region with no record, which the row here
// says nothing of, still get ResourceNotFoundException.
func TestReplicaAPIPartialSetHeld(t *testing.T) {
	ctx := context.Background()
	const (
		held    = "us-east-1_partial1"
		other   = "us-east-1_partial2"
		leaving = "us-east-1_partial3"
	)
	st := openStore(t, "eu-west-1")
	api := NewReplicas(ReplicasOptions{Store: st, Region: "eu-west-1", Peers: topology, DefaultPoolRegions: DefaultAllRegions, AccountID: "000000000000"})
	// record writes the replica record of pool in region, as the stream of
	// the pool's primary region would apply it here.
	record := func(pool, region, status string) {
		t.Helper()
		if err := st.Tx(ctx, func(tx storage.Tx) error { return api.write(ctx, tx, pool, replica{Region: region, Status: status}) }); err != nil {
			t.Fatalf("write the record of %s in %s: %v", pool, region, err)
		}
	}
	list := func(caller, pool string) (map[string]string, error) {
		out, err := api.ListUserPoolReplicas(ctx, cognito.Caller{Region: caller}, &idp.ListUserPoolReplicasRequest{UserPoolId: cognito.Ptr(pool)})
		if err != nil {
			return nil, err
		}
		got := map[string]string{}
		for _, r := range out.UserPoolReplicas {
			got[*r.RegionName] = string(*r.Role) + " " + string(*r.Status)
		}
		return got, nil
	}

	// held's row is here (the default set held it); us-east-1 then made
	// its set explicit (ap-southeast-2, eu-west-1, us-east-1) and only the
	// record of ap-southeast-2 has arrived.
	createPool(t, st, held)
	if got, err := list("eu-west-1", held); err != nil || len(got) != 3 {
		t.Fatalf("held by the default set: %v, %v", got, err)
	}
	record(held, "ap-southeast-2", StatusActive)
	set, _, err := api.sets.of(ctx, st, held)
	if err != nil || !set.Explicit || set.holds("eu-west-1") {
		t.Fatalf("the partial set: %+v, %v", set, err)
	}
	if got, err := list("eu-west-1", held); err != nil || !cmp.Equal(got, map[string]string{"ap-southeast-2": "SECONDARY ACTIVE"}) {
		t.Errorf("listing the replicas of a pool held here, its set's records in flight: %v, %v", got, err)
	}
	// The regions of the set and the primary answer as before.
	for _, caller := range []string{"us-east-1", "ap-southeast-2"} {
		if _, err := list(caller, held); err != nil {
			t.Errorf("listing through %s: %v", caller, err)
		}
	}
	// A region with no record, other than this one, does not hold the
	// pool by the row here.
	notFound := func(what, caller, pool string) {
		t.Helper()
		got, err := list(caller, pool)
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != cognito.CodeResourceNotFoundException || !strings.Contains(ce.Message, "does not exist") {
			t.Errorf("%s: got %v, %v, want ResourceNotFoundException", what, got, err)
		}
	}
	notFound("a caller of a region with no record", "sa-east-1", held)
	// Once this region's record arrives, the set holds the pool here.
	record(held, "eu-west-1", StatusActive)
	if got, err := list("eu-west-1", held); err != nil || len(got) != 2 {
		t.Errorf("the set with this region's record: %v, %v", got, err)
	}

	// other's records leave eu-west-1 out, and its row never came.
	record(other, "us-east-1", StatusActive)
	record(other, "ap-southeast-2", StatusActive)
	notFound("a pool whose records leave this region out", "eu-west-1", other)

	// leaving's record here is DELETING: this region is forgetting it,
	// its row not removed yet.
	createPool(t, st, leaving)
	record(leaving, "us-east-1", StatusActive)
	record(leaving, "eu-west-1", StatusDeleting)
	notFound("a pool whose record here is DELETING", "eu-west-1", leaving)
}

// TestDeletedOwnRecordNotHeld checks that a region whose own replica
// record of a pool is deleted by an entry of another region's stream stops
// holding the pool at once: the deletion forgets the pool here in the
// transaction that applies it (the row goes with the record, as forget
// removes them), so the pool's entries are no longer applied and the
// replica API no longer answers for it through this region. A row left
// without its record by a deletion applied otherwise (a tombstone here) is
// not held either: the deletion in the change log tells it from a row whose
// record has not arrived yet (TestPartialReplicaSetHeld), which is held.
func TestDeletedOwnRecordNotHeld(t *testing.T) {
	ctx := context.Background()
	const (
		removed  = "us-east-1_removed1"
		orphan   = "us-east-1_orphan1"
		arriving = "us-east-1_arriving1"
	)
	st := openStore(t, "eu-west-1")
	n, err := New(Options{Store: st, Region: "eu-west-1", Peers: topology, DefaultPoolRegions: DefaultAllRegions,
		Merge: map[string]MergeFunc{kindWidget: mergeWidgets}})
	if err != nil {
		t.Fatal(err)
	}
	api := NewReplicas(ReplicasOptions{Store: st, Region: "eu-west-1", Peers: topology, DefaultPoolRegions: DefaultAllRegions, AccountID: "000000000000"})
	hlc := storage.HLCAt(time.Now())
	// apply applies, as us-east-1's stream would, the creation of region's
	// record of pool, or its deletion.
	apply := func(pool, region string, kind storage.ChangeKind) {
		t.Helper()
		hlc++
		c := storage.Change{Seq: 1, Region: "us-east-1", HLC: hlc, Kind: kind, Entity: storage.Entity(ReplicaItemKind), Key: replicaID(pool, region)}
		if kind != storage.ChangeDelete {
			it, err := newReplicaItem(pool, replica{Region: region, Status: StatusActive}, storage.HLCTime(hlc))
			if err != nil {
				t.Fatal(err)
			}
			if c.State, err = storage.EncodeItem(it); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := n.Apply(ctx, c); err != nil || out != outcomeApplied {
			t.Fatalf("apply the %s of the record of %s in %s: %v, %v", kind, pool, region, out, err)
		}
	}
	applies := func(pool string) bool {
		t.Helper()
		held, err := n.applies(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		return held
	}
	notListed := func(what, pool string) {
		t.Helper()
		_, err := api.ListUserPoolReplicas(ctx, cognito.Caller{Region: "eu-west-1"}, &idp.ListUserPoolReplicasRequest{UserPoolId: cognito.Ptr(pool)})
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != cognito.CodeResourceNotFoundException {
			t.Errorf("the replicas of %s, through this region: %v, want ResourceNotFoundException", what, err)
		}
	}

	// removed is held here by its set; then us-east-1's stream deletes
	// this region's record.
	createPool(t, st, removed)
	putWidget(t, st, removed, removed+"/w1", "v1")
	apply(removed, "us-east-1", storage.ChangeCreate)
	apply(removed, "eu-west-1", storage.ChangeCreate)
	if !applies(removed) {
		t.Fatal("a pool whose set holds this region is not applied")
	}
	apply(removed, "eu-west-1", storage.ChangeDelete)
	if _, err := st.GetUserPool(ctx, removed); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the row of a pool whose record here was deleted: %v, want it forgotten", err)
	}
	if got := widgets(t, st, removed); len(got) != 0 {
		t.Errorf("the items of a pool whose record here was deleted: %v, want them forgotten", got)
	}
	if _, err := st.GetItem(ctx, ReplicaItemKind, replicaID(removed, "us-east-1")); err != nil {
		t.Errorf("the record of another region, which every region keeps: %v", err)
	}
	if applies(removed) {
		t.Error("a pool whose record here was deleted is still applied")
	}
	notListed("a pool whose record here was deleted", removed)

	// orphan's row is here without this region's record, whose deletion
	// the change log holds (a tombstone), as a deletion applied without
	// forgetting the pool leaves it.
	createPool(t, st, orphan)
	apply(orphan, "us-east-1", storage.ChangeCreate)
	if err := st.Tx(ctx, func(tx storage.Tx) error {
		return tx.(storage.ReplicaTx).Tombstone(ctx, storage.Entity(ReplicaItemKind), replicaID(orphan, "eu-west-1"))
	}); err != nil {
		t.Fatal(err)
	}
	if applies(orphan) {
		t.Error("a pool whose record here was deleted, its row left, is still applied")
	}
	notListed("a pool whose record here was deleted, its row left", orphan)

	// arriving's set reached this region in part: the record of
	// us-east-1 only, this region's not yet. It is held.
	createPool(t, st, arriving)
	apply(arriving, "us-east-1", storage.ChangeCreate)
	if !applies(arriving) {
		t.Error("a pool whose record here has not arrived yet is not applied")
	}
	if _, err := api.ListUserPoolReplicas(ctx, cognito.Caller{Region: "eu-west-1"}, &idp.ListUserPoolReplicasRequest{UserPoolId: cognito.Ptr(arriving)}); err != nil {
		t.Errorf("the replicas of a pool whose record here has not arrived yet: %v", err)
	}
}
