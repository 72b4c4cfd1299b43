package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/postgres"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// luBackends are the storage backends the ListUsers and group tests run on.
var luBackends = []string{"sqlite", "postgres"}

// luTestRegion is the region of the pools the tests create.
const luTestRegion = "us-east-1"

// luCaller is the caller of every test request.
var luCaller = cognito.Caller{Region: luTestRegion}

type luMigratingStore interface {
	storage.Store
	storage.Migrator
}

// luOpenStore opens a fresh, migrated, empty store of the named backend,
// closed (and for PostgreSQL, dropped) when tb ends. SQLite runs on a
// temporary file with synchronous=OFF: the tests need no durability.
func luOpenStore(tb testing.TB, backend string) storage.Store {
	tb.Helper()
	ctx := context.Background()
	var (
		db  luMigratingStore
		err error
	)
	switch backend {
	case "sqlite":
		db, err = sqlite.Open(ctx, filepath.Join(tb.TempDir(), "cognate.db"), sqlite.Options{Region: luTestRegion, Synchronous: "OFF"})
	case "postgres":
		db, err = postgres.Open(ctx, storagetest.PostgresSchema(tb), postgres.Options{Region: luTestRegion})
	default:
		tb.Fatalf("unknown backend %q", backend)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// luNewPool creates a pool through s and returns its description.
func luNewPool(tb testing.TB, s *Service, caseSensitive bool) *idp.UserPoolType {
	tb.Helper()
	out, err := s.CreateUserPool(context.Background(), luCaller, &idp.CreateUserPoolRequest{
		PoolName:              cognito.Ptr("listusers"),
		UsernameConfiguration: &idp.UsernameConfigurationType{CaseSensitive: cognito.Ptr(caseSensitive)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := s.pools.LoadPool(context.Background(), luCaller, cognito.Deref(out.UserPool.Id))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// luPutUsers stores users in pool p as items, in transactions of batch
// users: the bulk path for test data, which AdminCreateUser is not.
func luPutUsers(tb testing.TB, st storage.Store, p *idp.UserPoolType, users []*userRecord, batch int) {
	tb.Helper()
	ctx := context.Background()
	for start := 0; start < len(users); start += batch {
		end := min(start+batch, len(users))
		err := st.Tx(ctx, func(tx storage.Tx) error {
			for _, u := range users[start:end] {
				it, err := userItem(p, u, 0)
				if err != nil {
					return err
				}
				if err := tx.CreateItem(ctx, it); err != nil {
					return fmt.Errorf("create user %q: %w", u.Username, err)
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// luUUID formats 16 random bytes as a version 4 UUID, the form of a sub.
func luUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// luSub returns a fresh random sub.
func luSub() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return luUUID(b)
}
