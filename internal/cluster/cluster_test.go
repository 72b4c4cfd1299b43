package cluster

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

var backends = []string{"sqlite", "postgres"}

// The tests' items are of kind "thing", replicated like the engines' sealed
// records.
func init() { storage.DeclareKind("thing", storage.Replicated) }

type migratingStore interface {
	storage.Store
	storage.Migrator
}

// openStore opens a fresh, migrated store of backend, closed when t ends;
// postgres is skipped without COGNATE_TEST_POSTGRES_DSN.
func openStore(t *testing.T, backend string) storage.Store {
	t.Helper()
	ctx := context.Background()
	var (
		db  migratingStore
		err error
	)
	switch backend {
	case "sqlite":
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: "us-east-1", Synchronous: "OFF"})
	case "postgres":
		db, err = postgres.Open(ctx, storagetest.PostgresSchema(t), postgres.Options{Region: "us-east-1"})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, seal.KeySize) }

var (
	names = KeyNames{Current: "encryption_key", Previous: "encryption_keys_previous"}
	now   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func cv(b byte) string { return seal.CheckValue(key(b)) }

// keysSetting returns the raw keys record, to check a refusal left it as
// it was.
func keysSetting(t *testing.T, st storage.Store) *storage.Setting {
	t.Helper()
	s, err := st.GetSetting(context.Background(), KeysSetting)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckKeys(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, backend)
			a := seal.Keys{Current: key(1)}

			got, err := CheckKeys(ctx, st, a, names, now, nil)
			if err != nil || !got.Recorded || got.Current != cv(1) || len(got.Pending) != 0 {
				t.Fatalf("first CheckKeys = %+v, %v; want the key recorded", got, err)
			}
			got, err = CheckKeys(ctx, st, a, names, now, nil)
			if err != nil || got.Recorded || got.RotatedFrom != "" {
				t.Fatalf("CheckKeys with the store's key = %+v, %v; want it accepted as is", got, err)
			}

			// Another key is refused and changes nothing.
			before := keysSetting(t, st)
			_, err = CheckKeys(ctx, st, seal.Keys{Current: key(2)}, names, now, nil)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("CheckKeys with another key: %v, want ErrRefused", err)
			}
			for _, want := range []string{"encryption_key:", cv(2), cv(1), "data is untouched", "encryption_keys_previous"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), string(key(2))) {
				t.Error("the refusal shows the key")
			}
			if after := keysSetting(t, st); after.Version != before.Version || !bytes.Equal(after.Value, before.Value) {
				t.Errorf("a refused key changed the record: %s -> %s", before.Value, after.Value)
			}
			// A key that only the node knows as previous is not a rotation.
			if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(2), Previous: [][]byte{key(3)}}, names, now, nil); !errors.Is(err, ErrRefused) {
				t.Errorf("CheckKeys with unknown keys only: %v, want ErrRefused", err)
			}
			// The store's key as a previous key of the node's only: extra
			// previous keys do no harm.
			if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(1), Previous: [][]byte{key(3)}}, names, now, nil); err != nil {
				t.Errorf("CheckKeys with the store's key and an unknown previous key: %v", err)
			}

			// Rotation: B current, A previous.
			ab := seal.Keys{Current: key(2), Previous: [][]byte{key(1)}}
			got, err = CheckKeys(ctx, st, ab, names, now, nil)
			if err != nil || got.RotatedFrom != cv(1) || got.Current != cv(2) || len(got.Pending) != 1 || got.Pending[0] != cv(1) {
				t.Fatalf("CheckKeys rotating to B = %+v, %v; want B current and A pending", got, err)
			}
			// While A is pending, B alone is refused: values may still be
			// sealed with A.
			before = keysSetting(t, st)
			_, err = CheckKeys(ctx, st, seal.Keys{Current: key(2)}, names, now, nil)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), cv(1)) || !strings.Contains(err.Error(), "encryption_keys_previous:") {
				t.Errorf("CheckKeys with B alone while A is pending: %v, want a refusal naming A", err)
			}
			// The old key alone is refused too.
			if _, err := CheckKeys(ctx, st, a, names, now, nil); !errors.Is(err, ErrRefused) {
				t.Errorf("CheckKeys with A alone after the rotation: %v, want ErrRefused", err)
			}
			if after := keysSetting(t, st); after.Version != before.Version {
				t.Error("a refused configuration changed the record")
			}
			// Once the re-seal is done, the store forgets A and B alone works.
			if err := ForgetKeys(ctx, st, cv(1), []string{cv(1)}, now); err != nil {
				t.Fatal(err)
			}
			if _, prev, _ := StoreKeys(ctx, st); len(prev) != 1 {
				t.Error("ForgetKeys from a server whose key is not current forgot a key")
			}
			if err := ForgetKeys(ctx, st, cv(2), []string{cv(1)}, now); err != nil {
				t.Fatal(err)
			}
			got, err = CheckKeys(ctx, st, seal.Keys{Current: key(2)}, names, now, nil)
			if err != nil || len(got.Pending) != 0 {
				t.Errorf("CheckKeys with B alone after the re-seal = %+v, %v; want it accepted", got, err)
			}
			if cur, prev, err := StoreKeys(ctx, st); err != nil || cur != cv(2) || len(prev) != 0 {
				t.Errorf("StoreKeys = %s, %v, %v; want B only", cur, prev, err)
			}
		})
	}
}

func TestCheckKeysRacingFirstStart(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			st := openStore(t, backend)
			const n = 6
			errs := make([]error, n)
			done := make(chan struct{})
			for i := range n {
				go func() {
					defer func() { done <- struct{}{} }()
					// Half the servers have key 1, half key 2: one key wins,
					// and the servers with the other are refused.
					_, errs[i] = CheckKeys(context.Background(), st, seal.Keys{Current: key(byte(1 + i%2))}, names, now, nil)
				}()
			}
			for range n {
				<-done
			}
			cur, _, err := StoreKeys(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			for i, err := range errs {
				mine := cv(byte(1 + i%2))
				if mine == cur && err != nil {
					t.Errorf("server %d has the recorded key but got %v", i, err)
				}
				if mine != cur && !errors.Is(err, ErrRefused) {
					t.Errorf("server %d has another key than the recorded one but got %v", i, err)
				}
			}
		})
	}
}

func TestIssuer(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, backend)
			if _, err := StoredIssuer(ctx, st); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("StoredIssuer of a new store: %v, want ErrNotFound", err)
			}
			base, recorded, err := Issuer(ctx, st, "", "http://node1:9229", now)
			if err != nil || !recorded || base != "http://node1:9229" {
				t.Fatalf("first Issuer = %q, %v, %v; want node 1's endpoint recorded", base, recorded, err)
			}
			base, recorded, err = Issuer(ctx, st, "", "http://node2:9229", now)
			if err != nil || recorded || base != "http://node1:9229" {
				t.Errorf("second node's Issuer = %q, %v, %v; want the recorded one", base, recorded, err)
			}
			if base, _, err = Issuer(ctx, st, "http://node1:9229", "http://node2:9229", now); err != nil || base != "http://node1:9229" {
				t.Errorf("Issuer configured as recorded = %q, %v", base, err)
			}
			_, _, err = Issuer(ctx, st, "https://id.example.com", "http://node2:9229", now)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Issuer configured otherwise: %v, want ErrRefused", err)
			}
			for _, want := range []string{"issuer_base_url:", "https://id.example.com", "http://node1:9229", "cognate issuer set https://id.example.com"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			if got, _ := StoredIssuer(ctx, st); got != "http://node1:9229" {
				t.Errorf("a refused issuer changed the record to %q", got)
			}
			old, err := SetIssuer(ctx, st, "https://id.example.com", now)
			if err != nil || old != "http://node1:9229" {
				t.Fatalf("SetIssuer = %q, %v", old, err)
			}
			if base, _, err = Issuer(ctx, st, "https://id.example.com", "http://node2:9229", now); err != nil || base != "https://id.example.com" {
				t.Errorf("Issuer after SetIssuer = %q, %v", base, err)
			}
			if base, _, err = Issuer(ctx, st, "", "http://node3:9229", now); err != nil || base != "https://id.example.com" {
				t.Errorf("Issuer of an unconfigured node after SetIssuer = %q, %v", base, err)
			}
		})
	}
}

func TestIssuerConfiguredFirst(t *testing.T) {
	st := openStore(t, "sqlite")
	ctx := context.Background()
	if base, recorded, err := Issuer(ctx, st, "https://id.example.com", "http://node1:9229", now); err != nil || !recorded || base != "https://id.example.com" {
		t.Fatalf("Issuer = %q, %v, %v; want the configured URL recorded", base, recorded, err)
	}
	if old, err := SetIssuer(ctx, st, "https://id.example.com", now); err != nil || old != "https://id.example.com" {
		t.Errorf("SetIssuer to the same URL = %q, %v", old, err)
	}
}

func TestCheckKeysProbesAnUnrecordedStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite")
	wrong := func(context.Context) error { return errors.New("its user u1 does not open with it") }
	_, err := CheckKeys(ctx, st, seal.Keys{Current: key(2)}, names, now, wrong)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "from before it recorded its key") ||
		!strings.Contains(err.Error(), "its user u1 does not open with it") || !strings.Contains(err.Error(), "data is untouched") {
		t.Fatalf("CheckKeys with a failing probe: %v, want a refusal that says why", err)
	}
	if _, err := st.GetSetting(ctx, KeysSetting); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a refused key was recorded: %v", err)
	}
	probed := false
	got, err := CheckKeys(ctx, st, seal.Keys{Current: key(1)}, names, now, func(context.Context) error { probed = true; return nil })
	if err != nil || !got.Recorded || !probed {
		t.Fatalf("CheckKeys with a passing probe = %+v, %v (probed %v); want the key recorded", got, err, probed)
	}
	// Once recorded, the record decides; the probe does not run again.
	if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(1)}, names, now, wrong); err != nil {
		t.Errorf("CheckKeys on a recorded store ran the probe: %v", err)
	}
}

func TestProbeSealed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite")
	probe := ProbeSealed(st, []ItemResealer{fakeResealer})
	if err := probe(ctx); err != nil {
		t.Fatalf("probe of an empty store: %v", err)
	}
	if err := st.CreateUserPool(ctx, &storage.UserPool{ID: "us-east-1_p", Region: "us-east-1", Name: "p", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	add := func(id, data string) {
		err := st.Tx(ctx, func(tx storage.Tx) error {
			return tx.CreateItem(ctx, &storage.Item{Kind: "thing", ID: id, Pool: "us-east-1_p", Data: []byte(data), CreatedAt: now, UpdatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("a", `"old:a"`)
	add("b", `"new:b"`)
	if err := probe(ctx); err != nil {
		t.Errorf("probe of values that open: %v", err)
	}
	add("c", `"bad"`)
	if err := probe(ctx); err == nil || !strings.Contains(err.Error(), "thing c") {
		t.Errorf("probe of a value that opens with no key: %v", err)
	}
	if it, _ := st.GetItem(ctx, "thing", "a"); string(it.Data) != `"old:a"` {
		t.Error("the probe wrote")
	}
}
