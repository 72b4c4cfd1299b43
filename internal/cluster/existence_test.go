package cluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// TestLoadExistenceKeys records a store's keys of made-up answers, reads
// them back under another initial value, seals them again with a new
// encryption key while the old one is a previous key, opens them with the
// new key alone, and refuses a store whose value opens with no key given,
// without touching it.
func TestLoadExistenceKeys(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			st := openStore(t, backend)
			ctx := context.Background()
			initial := ExistenceKeys{Delivery: key(10), SignIn: key(11)}
			load := func(keys seal.Keys, init ExistenceKeys) (ExistenceKeys, error) {
				return LoadExistenceKeys(ctx, st, keys, init, now)
			}
			equal := func(stage string, got ExistenceKeys) {
				t.Helper()
				if !bytes.Equal(got.Delivery, initial.Delivery) || !bytes.Equal(got.SignIn, initial.SignIn) {
					t.Fatalf("%s: keys %x, %x; want the recorded %x, %x", stage, got.Delivery, got.SignIn, initial.Delivery, initial.SignIn)
				}
			}
			got, err := load(seal.Keys{Current: key(1)}, initial)
			if err != nil {
				t.Fatal(err)
			}
			equal("recorded", got)
			raw, err := st.GetSetting(ctx, ExistenceSetting)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range [][]byte{initial.Delivery, initial.SignIn} {
				if bytes.Contains(raw.Value, k) || strings.Contains(string(raw.Value), base64.StdEncoding.EncodeToString(k)) {
					t.Fatalf("the setting holds a key in the clear: %s", raw.Value)
				}
			}

			// Another node, or a later start, derives another initial
			// value from its key: the store's keys win.
			other := ExistenceKeys{Delivery: key(20), SignIn: key(21)}
			got, err = load(seal.Keys{Current: key(1)}, other)
			if err != nil {
				t.Fatal(err)
			}
			equal("read back", got)

			got, err = load(seal.Keys{Current: key(2), Previous: [][]byte{key(1)}}, other)
			if err != nil {
				t.Fatal(err)
			}
			equal("during a rotation", got)
			got, err = load(seal.Keys{Current: key(2)}, other)
			if err != nil {
				t.Fatal(err)
			}
			equal("after the rotation", got)

			before, err := st.GetSetting(ctx, ExistenceSetting)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := load(seal.Keys{Current: key(3)}, other); err == nil {
				t.Fatal("keys sealed with another encryption key were accepted")
			}
			after, err := st.GetSetting(ctx, ExistenceSetting)
			if err != nil {
				t.Fatal(err)
			}
			if after.Version != before.Version || !bytes.Equal(after.Value, before.Value) {
				t.Fatalf("a refused load changed the setting: %+v, then %+v", before, after)
			}
			if err := st.UpdateSetting(ctx, &storage.Setting{Name: ExistenceSetting, Value: []byte("{"), Version: after.Version, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if _, err := load(seal.Keys{Current: key(2)}, other); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("a damaged setting: %v, want an error saying so", err)
			}
		})
	}
}
